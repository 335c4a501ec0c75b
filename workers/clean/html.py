"""Article body and metadata out of a page's HTML, with trafilatura (no network access)."""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura


@dataclass(frozen=True, slots=True)
class HtmlExtract:
    """What trafilatura finds in a page."""

    title: str | None
    paragraphs: list[str]
    date: str | None
    author: str | None


def extract_html(html: str) -> HtmlExtract:
    """The article's paragraphs (comments excluded), title, date and author."""
    document = trafilatura.bare_extraction(
        html, include_comments=False, include_tables=False, with_metadata=True, fast=False
    )
    if document is None:
        return HtmlExtract(title=None, paragraphs=[], date=None, author=None)
    paragraphs = (document.text or "").split("\n")
    title = document.title or None
    if title and paragraphs and paragraphs[0].strip() == title.strip():
        paragraphs = paragraphs[1:]  # trafilatura repeats the headline as the first line
    return HtmlExtract(title=title, paragraphs=paragraphs, date=document.date, author=document.author)
