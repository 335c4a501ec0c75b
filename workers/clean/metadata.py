"""A page's title, author and publication day, read from its parsed HTML by trafilatura's and htmldate's rules.

``trafilatura.bare_extraction(with_metadata=True)`` also reads the site name, categories, tags and licence, which
the stage never uses. This reads the three fields the stage uses, with the same rules and the same results, on
the tree the stage parsed once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from htmldate import find_date
from htmldate.extractors import get_external_parser
from lxml.html import HtmlElement
from trafilatura.metadata import examine_meta, extract_author, extract_meta_json, extract_title, extract_url
from trafilatura.settings import set_date_params

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What the page says of itself: its title, author and publication day (``YYYY-MM-DD``)."""

    title: str | None
    author: str | None
    day: str | None


def page_metadata(tree: HtmlElement) -> PageMetadata:
    """Title, author and day of the page as ``trafilatura.metadata.extract_metadata`` finds them (tree unchanged)."""
    found = examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None  # a one-word meta author is a handle, as trafilatura judges it
    try:
        found = extract_meta_json(tree, found)
    except Exception:  # trafilatura guards this call the same way: its JSON-LD reader can fail
        log.warning("JSON-LD metadata unreadable", exc_info=True)
    day = find_date(tree, **{**set_date_params(), "url": found.url or extract_url(tree)})
    return PageMetadata(found.title or extract_title(tree), found.author or extract_author(tree), day)


def warm_up() -> None:
    """Load dateparser's tables of every locale now, not inside the first page whose date needs them.

    htmldate hands hard date strings to dateparser, which loads them on first use: about 3 s of CPU once a process
    (a worker calls this at start; the benchmark before it times the stage).
    """
    get_external_parser().get_date_data("no date here")
