"""A page's title, author and publication day, read from its parsed HTML by trafilatura's and htmldate's rules.

``trafilatura.bare_extraction(with_metadata=True)`` also reads the site name, categories, tags and licence, which
the stage never uses. This reads the three fields the stage uses, with the same rules and the same results, on
the tree the stage parsed once. htmldate's date parser (dateparser, for the date strings htmldate's own patterns
cannot read) reads English and the page's own language (``day_languages``), not all of dateparser's.
"""

from __future__ import annotations

import logging
import re
import threading
from copy import deepcopy
from dataclasses import dataclass
from functools import cache

from dateparser import DateDataParser
from dateparser.data import language_locale_dict
from htmldate import find_date
from htmldate.extractors import get_external_parser, try_date_expr
from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import examine_meta, extract_meta_json, extract_metainfo, extract_title, extract_url
from trafilatura.settings import set_date_params
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

from workers.clean.language import detectable_languages

log = logging.getLogger(__name__)

# trafilatura's byline search (``trafilatura.metadata.extract_author``): a copy of the tree pruned of comments,
# sidebars, dates and figures (``AUTHOR_DISCARD_XPATHS``), then ``AUTHOR_XPATHS`` in turn. Each XPath's attribute and
# element tests, widened into a scan (``Scan``): an XPath no element of the page could match finds nothing, so it is
# not run, and with no element the prune could take the copy and the prune are spared (the same author: pruning
# only removes elements). The XPaths' regular expressions call back into Python for every element; the scan reads
# each attribute's values of the whole page at once (libxml2 collects them), one value a line: the patterns hold
# no line break, so none matches across two values ("^...$" matches a whole value, or a line of one holding a
# break: a wider test, still safe).
AUTHOR_GATES = (
    {  # specific and almost specific, and <author> or a <rel> element (an XPath tests "rel='me'": a child element)
        "rel": re.compile(r"^author$", re.MULTILINE),
        "id": re.compile(r"^author$", re.MULTILINE),
        "itemprop": re.compile(r"^author name$", re.MULTILINE),
        "data-testid": re.compile(r"^(?:AuthorCard|AuthorURL)$", re.MULTILINE),
        "class": re.compile(r"^author$|author-?name|AuthorName|authorName", re.MULTILINE),
        "": XPath("boolean(//author | //rel)"),
    },
    {  # almost generic and generic
        "class": re.compile(
            r"^(?:byline|username|byl|BBL)$|author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by"
            r"|journalist-name",
            re.MULTILINE,
        ),
        "itemprop": re.compile("author"),
        "id": re.compile("author|zuozhe|bianji|xiaobian"),
    },
    {  # any element
        "data-component": re.compile("Byline"),
        "itemprop": re.compile("author"),
        "id": re.compile("[Aa]uthor"),
        "class": re.compile("[Aa]uthor|screenname|writer|[Bb]yline"),
    },
)
DISCARD_GATE = {
    "id": re.compile(r"^comments|comment-?list|ProductReviews", re.MULTILINE),
    "class": re.compile(
        r"^(?:title|date)$|^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram"
        r"|article-(?:share|support)|print|category|meta-date|meta-reviewer",
        re.MULTILINE,
    ),
    "data-component": re.compile("Figure"),
    "": XPath("boolean(//time | //figure)"),
}
# Every value of each attribute the scan reads, one XPath each, compiled once (not once a page).
_ATTRIBUTE_VALUES = {
    attribute: XPath(f"//@{attribute}")
    for attribute in ("class", "id", "itemprop", "rel", "data-component", "data-testid")
}
# Held by a date search from setting htmldate's parser's languages to its end (``_find_day``).
_DAY_SEARCH = threading.Lock()


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What the page says of itself: its title, author and publication day (``YYYY-MM-DD``)."""

    title: str | None
    author: str | None
    day: str | None


def page_metadata(tree: HtmlElement, with_day: bool = True, language: str | None = None) -> PageMetadata:
    """Title, author and day of the page as ``trafilatura.metadata.extract_metadata`` finds them (tree unchanged).

    ``with_day=False`` skips htmldate's date search (the costliest part on old pages): the day is then None.
    ``language``: the page's, its date strings read in it (``day_languages``).
    """
    found = examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None  # a one-word meta author is a handle, as trafilatura judges it
    try:
        found = extract_meta_json(tree, found)
    except Exception:  # trafilatura guards this call the same way: its JSON-LD reader can fail
        log.warning("JSON-LD metadata unreadable", exc_info=True)
    day = _find_day(tree, found.url or extract_url(tree), language) if with_day else None
    author = found.author or page_author(tree)
    return PageMetadata(found.title or extract_title(tree), author, day)


def _find_day(tree: HtmlElement, url: str | None, language: str | None) -> str | None:
    """htmldate's day of the page (trafilatura's settings), its date strings read in ``day_languages(language)``.

    htmldate's parser is one a process and its languages one attribute: a search holds the lock from setting them
    to its end, so that no search in another thread reads its strings in this page's languages.
    """
    with _DAY_SEARCH:
        date_parser(language)
        return find_date(tree, **{**set_date_params(), "url": url})


def date_parser(language: str | None = None) -> DateDataParser:
    """htmldate's date parser (one a process, its own settings), set to read ``day_languages(language)`` only.

    htmldate caches the day it reads in a string without the languages it was read in: the cache is emptied when
    they change, so a page's day never depends on the pages before it (the same day as a search in a new process).
    """
    parser = get_external_parser()
    languages = day_languages(language)
    if parser.languages != languages:
        try_date_expr.cache_clear()
        parser.languages = languages  # a public attribute, read on every call
    return parser


@cache
def day_languages(language: str | None) -> list[str]:
    """The languages a page's date strings are read in: English (the web's dates, whatever the page's language)
    and the page's own; every one of ``date_languages`` when its language is unknown or one dateparser lacks.

    A string no language reads (most of those htmldate hands dateparser) is tried in every locale of every language
    given: two languages instead of 101 spare most of the date search's cost on L3S-GN1 (docs: Benchmarks).
    """
    code = "nb" if language == "no" else language
    if code not in language_locale_dict:
        return date_languages()
    return list(dict.fromkeys(("en", code)))


@cache
def date_languages() -> list[str]:
    """The languages dateparser reads a date string in for htmldate: every one py3langid can name a page's language
    (dateparser says "nb" for Norwegian Bokmål, py3langid "no"), in dateparser's own order of its locales.

    A string dateparser cannot read (most of those htmldate hands it: "Jan 16, 7:00", "Published: Dec. 30, 2007 at
    8:20 PM") is tried in every locale of every language it is given: 25-50 ms with all 205 of dateparser's, about
    half that with these 101. The same day on all 790 pages of AEB and L3S-GN1 either way (docs: Benchmarks).
    """
    codes = {"nb" if code == "no" else code for code in detectable_languages()}
    return [language for language in language_locale_dict if language in codes]


def page_author(tree: HtmlElement) -> str | None:
    """``extract_author(tree)``, its XPaths run only where an element of the page could match them (``Scan``)."""
    scan = Scan(tree)
    xpaths = [xpath for xpath, gate in zip(AUTHOR_XPATHS, AUTHOR_GATES, strict=True) if scan.may_match(gate)]
    if not xpaths:
        return None
    if scan.may_match(DISCARD_GATE):
        tree = prune_unwanted_nodes(deepcopy(tree), AUTHOR_DISCARD_XPATHS)
    author = extract_metainfo(tree, xpaths, len_limit=120)  # extract_author's bound
    return normalize_authors(None, author) if author else None


class Scan:
    """A page's attribute values, each attribute's read once (all its values joined a line each) when first asked."""

    def __init__(self, tree: HtmlElement) -> None:
        self.tree = tree
        self.values: dict[str, str] = {}

    def may_match(self, gate: dict[str, re.Pattern[str] | XPath]) -> bool:
        """True when a value of an attribute matches the gate's pattern for it, or the gate's XPath finds an element."""
        return any(self._matches(attribute, test) for attribute, test in gate.items())

    def _matches(self, attribute: str, test: re.Pattern[str] | XPath) -> bool:
        if isinstance(test, XPath):
            return bool(test(self.tree))
        if attribute not in self.values:
            self.values[attribute] = "\n".join(_ATTRIBUTE_VALUES[attribute](self.tree))
        return test.search(self.values[attribute]) is not None


def warm_up() -> None:
    """Load dateparser's tables of ``date_languages`` now, not inside the first page whose date needs them.

    htmldate hands hard date strings to dateparser, which loads them on first use: about 2.5 s of CPU once a process
    (a worker calls this at start; the benchmark before it times the stage).
    """
    with _DAY_SEARCH:
        date_parser().get_date_data("no date here")
