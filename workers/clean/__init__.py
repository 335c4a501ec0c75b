"""The clean stage: a raw page in, a normalised article body with title, language and wire attribution out."""

from __future__ import annotations

from dataclasses import dataclass

from workers.clean.html import extract_html
from workers.clean.language import detect_language
from workers.clean.normalize import content_hash, join_paragraphs, normalize_line, words_up_to
from workers.clean.pagetext import split_page_text
from workers.clean.wire import attribute
from workers.records import SCHEMA_VERSION, CleanArticle, Origin, RawArticle, Rejected

__all__ = ["CleanOptions", "clean_article", "detect_language"]


@dataclass(frozen=True, slots=True)
class CleanOptions:
    """Tunables of the clean stage."""

    min_body_words: int = 25


def _optional(value: str | None) -> str | None:
    """A normalised metadata value, or None when nothing is left of it."""
    return normalize_line(value) or None if value else None


def clean_article(raw: RawArticle, origin: Origin, options: CleanOptions) -> CleanArticle:
    """Clean one raw article; raise ``Rejected`` when no article body is left."""
    author = language = published_at = None
    if "html" in raw:
        extract = extract_html(raw["html"])
        title, paragraphs, author, input_kind = extract.title, extract.paragraphs, extract.author, "html"
        published_at = extract.published_at
    else:
        page = split_page_text(raw.get("text", ""))
        title, paragraphs, language, input_kind = page.title, page.paragraphs, page.language, "text"
    wire, paragraphs = attribute(join_paragraphs(paragraphs).split("\n\n"))
    text = "\n\n".join(paragraphs)
    words = words_up_to(text, options.min_body_words)
    if words < options.min_body_words:
        raise Rejected(
            "empty_body",
            f"not an article: {words} words of article body after cleaning (minimum {options.min_body_words})",
        )
    return CleanArticle(
        schema_version=SCHEMA_VERSION,
        id=raw["id"],
        url=raw["url"],
        source=raw["source"],
        title=_optional(raw["title"]) or _optional(title),
        author=_optional(author),
        published_at=raw["published_at"] or published_at,  # the producer's time wins over the page's day
        language=language or detect_language(text),
        text=text,
        content_hash=content_hash(text),
        input_kind=input_kind,
        wire=wire,
        origin=origin,
    )
