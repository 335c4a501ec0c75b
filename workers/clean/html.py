"""Article body and metadata out of a page's HTML, with trafilatura (no network access).

trafilatura's precision mode keeps less of the related links and comment blocks its users see leaking, but now
and then it keeps almost nothing of a real article; then its default mode's longer extraction is taken. What
either leaves of share prompts and bare dates is dropped by the same wording rules as in page text (cutting at
a "Related" heading, as page text does, costs more article than it saves here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import trafilatura

from workers.clean.chrome import is_chrome, is_timestamp
from workers.clean.normalize import has_unspaced_script, word_count
from workers.clean.pagetext import split_page_text
from workers.clean.render import render_page_text

PRECISION_MIN_WORDS = 100  # a shorter precise extraction is checked against the default one (it may have cut)
# Under this, trafilatura found no article at all (a page nested past lxml's depth limit, say): the page's text,
# rendered by a tokenizer, goes through the page-text extractor instead.
RENDER_FALLBACK_WORDS = 50


@dataclass(frozen=True, slots=True)
class HtmlExtract:
    """What the page's HTML gives: title, body paragraphs, publication time (RFC 3339) and author."""

    title: str | None
    paragraphs: list[str]
    published_at: str | None
    author: str | None


def _paragraphs(text: str | None) -> list[str]:
    return [line for line in (text or "").split("\n") if line.strip()]


def _words(paragraphs: list[str]) -> int:
    """Words of the paragraphs, by spaces; a script without spaces (Chinese, Japanese) by its characters."""
    return sum(word_count(p) if has_unspaced_script(p) else len(p.split()) for p in paragraphs)


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


def drop_chrome(paragraphs: list[str]) -> list[str]:
    """Paragraphs without share and subscribe prompts and bare dates."""
    return [p for p in paragraphs if not (is_chrome(p) or is_timestamp(p))]


def extract_html(html: str) -> HtmlExtract:
    """The article's paragraphs (comments excluded), title, publication day and author."""
    options = {"include_comments": False, "include_tables": True, "fast": True}
    document = trafilatura.bare_extraction(html, favor_precision=True, with_metadata=True, **options)
    if document is None:
        return _from_page_text(html, None)
    paragraphs = _paragraphs(document.text)
    if _words(paragraphs) < PRECISION_MIN_WORDS:
        fallback = trafilatura.bare_extraction(html, **options)
        longer = _paragraphs(fallback.text if fallback else None)
        paragraphs = longer if _words(longer) > _words(paragraphs) else paragraphs
    title = document.title or None
    if title and paragraphs and paragraphs[0].strip() == title.strip():
        paragraphs = paragraphs[1:]  # trafilatura repeats the headline as the first line
    if _words(paragraphs) < RENDER_FALLBACK_WORDS:
        return _from_page_text(html, title)
    return HtmlExtract(
        title=title,
        paragraphs=drop_chrome(paragraphs),
        published_at=published_day(document.date),
        author=document.author,
    )


def _from_page_text(html: str, title: str | None) -> HtmlExtract:
    """The article of the page's rendered text, when the HTML extractor found none."""
    page = split_page_text(render_page_text(html))
    return HtmlExtract(title=title or page.title, paragraphs=page.paragraphs, published_at=None, author=None)
