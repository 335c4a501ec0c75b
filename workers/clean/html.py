"""Article body and metadata out of a page's HTML, with trafilatura (no network access).

Each extractor proposes a body (trafilatura's precision mode, its default mode, the page rendered to text and
cleaned by the page-text path) and ``workers.clean.judge`` picks one. What a trafilatura body holds of share
prompts and bare dates is dropped by the same wording rules as in page text (cutting at a "Related" heading, as
page text does, costs more article than it saves here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document
from trafilatura.utils import load_html

from workers.clean.judge import Candidate, candidate, page_text_wins, precision_holds
from workers.clean.metadata import PageMetadata, page_metadata
from workers.clean.pagetext import is_figure_row, split_page_text, unwrap
from workers.clean.render import render_page, render_tree

OPTIONS = {"include_comments": False, "include_tables": True}
# The precise pass skips trafilatura's fallback extractors (readability, jusText): they cost more than its own and
# the judge checks its body anyway. The default pass runs only when that body looks wrong, so it keeps them: on
# old layouts they find the article that trafilatura's own pass misses.
FAST = {"fast": True}


@dataclass(frozen=True, slots=True)
class HtmlExtract:
    """What the page's HTML gives: title, body paragraphs, publication time (RFC 3339) and author."""

    title: str | None
    paragraphs: list[str]
    published_at: str | None
    author: str | None
    article_like: bool  # a paragraph reads as prose or is a row of figures: else the page holds no article
    language: str | None  # of the page's prose, as the page-text path found it


def published_day(day: str | None) -> str | None:
    """The page's publication day (``YYYY-MM-DD``, as htmldate gives it) as an RFC 3339 time: midnight UTC.

    htmldate finds the day a page was published, not its hour, so the time is the day's start; a day is
    precise enough for the dedup window this time feeds (it counts in days).
    """
    if not day:
        return None
    try:
        return f"{date.fromisoformat(day).isoformat()}T00:00:00Z"
    except ValueError:
        return None


def _trafilatura(
    name: str, document: Document | None, title: str | None, stopwords: frozenset[str], links: frozenset[str]
) -> Candidate:
    """trafilatura's body as a candidate, without the headline it repeats as the first line."""
    lines = (document.text or "").split("\n") if document else []
    if title and lines and lines[0].strip() == title.strip():
        lines = lines[1:]  # before unwrapping: a headline without a full stop would join the first paragraph
    return candidate(name, unwrap(lines), stopwords, links)  # <pre> wire copy keeps its wraps: unwrapped here


def _extraction(tree: HtmlElement | None, **mode: bool) -> Document | None:
    """trafilatura's body of the parsed page (it works on a copy: the tree stays as it was)."""
    return trafilatura.bare_extraction(tree, **OPTIONS, **mode) if tree is not None else None


def extract_html(html: str) -> HtmlExtract:
    """The article's paragraphs (comments excluded), title, publication day and author, chosen by the judge.

    The page is parsed once; trafilatura's passes and the metadata rules share the tree. trafilatura's default
    mode runs only when its precision mode's body does not hold against the page text's (which stands in for it:
    the two find the same article on most pages), so most pages pay for one extraction.
    """
    tree = load_html(html)
    meta = page_metadata(tree) if tree is not None else PageMetadata(None, None, None)
    rendered = render_tree(tree) if tree is not None else render_page(html)
    page = split_page_text(rendered.text)
    stopwords = page.stopwords
    page_text = candidate("page_text", page.paragraphs, stopwords, rendered.links)
    body = _trafilatura(
        "precision", _extraction(tree, favor_precision=True, **FAST), meta.title, stopwords, rendered.links
    )
    if not precision_holds(body.judgement, page_text.judgement):
        default = _trafilatura("default", _extraction(tree), meta.title, stopwords, rendered.links)
        body = body if precision_holds(body.judgement, default.judgement) else default
    chosen = page_text if page_text_wins(body.judgement, page_text.judgement) else body
    return HtmlExtract(
        title=meta.title or page.title,
        paragraphs=chosen.paragraphs,
        published_at=published_day(meta.day),
        author=meta.author,
        article_like=chosen.judgement.prose_words > 0 or any(map(is_figure_row, chosen.paragraphs)),
        language=page.language,
    )
