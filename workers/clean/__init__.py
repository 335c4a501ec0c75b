"""The clean stage: a raw page in, a normalised article body with title, language and wire attribution out."""

from __future__ import annotations

from dataclasses import dataclass

import py3langid

from workers.clean.html import extract_html
from workers.clean.normalize import content_hash, join_paragraphs, normalize_line
from workers.clean.pagetext import split_page_text
from workers.clean.wire import attribute
from workers.records import SCHEMA_VERSION, CleanArticle, Origin, RawArticle, Rejected

__all__ = ["CleanOptions", "clean_article", "detect_language"]


@dataclass(frozen=True, slots=True)
class CleanOptions:
    """Tunables of the clean stage."""

    min_body_words: int = 25


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, from py3langid's bundled model."""
    language, _score = py3langid.classify(text[:5000])
    return language or None


def clean_article(raw: RawArticle, origin: Origin, options: CleanOptions) -> CleanArticle:
    """Clean one raw article; raise ``Rejected`` when no article body is left."""
    if "html" in raw:
        extract = extract_html(raw["html"])
        title, paragraphs, input_kind = extract.title, extract.paragraphs, "html"
    else:
        page = split_page_text(raw.get("text", ""))
        title, paragraphs = page.title, page.paragraphs
        input_kind = "text"
    wire, paragraphs = attribute([normalize_line(p) for p in paragraphs])
    text = join_paragraphs(paragraphs)
    words = len(text.split())
    if words < options.min_body_words:
        raise Rejected("empty_body", f"{words} words of article body after cleaning (minimum {options.min_body_words})")
    return CleanArticle(
        schema_version=SCHEMA_VERSION,
        id=raw["id"],
        url=raw["url"],
        source=raw["source"],
        title=normalize_line(raw["title"] or "") or (normalize_line(title) if title else None),
        published_at=raw["published_at"],
        language=detect_language(text),
        text=text,
        content_hash=content_hash(text),
        input_kind=input_kind,
        wire=wire,
        origin=origin,
    )
