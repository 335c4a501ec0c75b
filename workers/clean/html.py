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
from trafilatura.settings import Document

from workers.clean.judge import Candidate, candidate_lines, choose, judge, precision_holds
from workers.clean.pagetext import split_page_text
from workers.clean.render import render_page
from workers.clean.stopwords import stoplist

OPTIONS = {"include_comments": False, "include_tables": True, "fast": True}


@dataclass(frozen=True, slots=True)
class HtmlExtract:
    """What the page's HTML gives: title, body paragraphs, publication time (RFC 3339) and author."""

    title: str | None
    paragraphs: list[str]
    published_at: str | None
    author: str | None
    prose_words: int  # words of the paragraphs that read as prose: none, and the page holds no article


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


def _trafilatura(name: str, document: Document | None, stopwords: frozenset[str]) -> Candidate:
    """trafilatura's body as a candidate, without the headline it repeats as the first line."""
    lines = candidate_lines((document.text or "").split("\n") if document else [], stopwords)
    title = (document.title or "").strip() if document else ""
    if title and lines and lines[0].strip() == title:
        lines = lines[1:]
    return Candidate(name, lines)


def extract_html(html: str) -> HtmlExtract:
    """The article's paragraphs (comments excluded), title, publication day and author.

    Candidates: trafilatura's precision mode, the page rendered to text and cleaned by the page-text path, and,
    only when the precise body does not hold against the rendered one, trafilatura's default mode.
    """
    document = trafilatura.bare_extraction(html, favor_precision=True, with_metadata=True, **OPTIONS)
    rendered_page = render_page(html)
    page = split_page_text(rendered_page.text)
    stopwords, links = stoplist(page.language), rendered_page.links
    precise = _trafilatura("precision", document, stopwords)
    rendered = Candidate("page_text", candidate_lines(page.paragraphs, stopwords))
    judged = [
        (precise, judge(precise.paragraphs, stopwords, links)),
        (rendered, judge(rendered.paragraphs, stopwords, links)),
    ]
    if not precision_holds(judged[0][1], judged[1][1]):
        default = _trafilatura("default", trafilatura.bare_extraction(html, **OPTIONS), stopwords)
        judged.append((default, judge(default.paragraphs, stopwords, links)))
    chosen, verdict = choose(judged)
    return HtmlExtract(
        title=(document.title if document else None) or page.title,
        paragraphs=chosen.paragraphs,
        published_at=published_day(document.date) if document else None,
        author=document.author if document else None,
        prose_words=verdict.prose_words,
    )
