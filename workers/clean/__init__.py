"""The clean stage: a raw page in, a normalised article body with title, language and wire attribution out."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from workers.clean.body import (
    as_body,
    body_paragraphs,
    copy_title,
    holds_article,
    holds_copy,
    is_all_copy,
    is_clean_copy,
    table_rows,
)
from workers.clean.html import extract_html
from workers.clean.language import detect_language
from workers.clean.metadata import warm_up as warm_up_metadata
from workers.clean.normalize import content_hash, join_paragraphs, normalize_line, words_up_to
from workers.clean.pagetext import article_of, article_title, is_hard_wrapped, page_lines, unwrap_as, without_word_runs
from workers.clean.stopwords import any_stoplist
from workers.clean.wire import (
    attribute,
    is_continued,
    is_dated_or_credited,
    is_signed,
    opens_with_results,
    strip_transmission,
)
from workers.records import SCHEMA_VERSION, CleanArticle, InputKind, Origin, RawArticle, Rejected
from workers.settings import setting_default
from workers.times import Published, latest_time, received_at
from workers.times import published as normal_time

__all__ = ["CleanOptions", "clean_article", "detect_language", "is_wire_copy", "latest_day", "warm_up"]

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w")


@dataclass(frozen=True, slots=True)
class CleanOptions:
    """Tunables of the clean stage (``ENRICH_MIN_BODY_WORDS``, ``ENRICH_MAX_TEXT_CHARS``)."""

    min_body_words: int = setting_default("min_body_words")
    max_text_chars: int = setting_default("max_text_chars")  # spaCy's max_length: the entities tag no longer text


@dataclass(frozen=True, slots=True)
class Extract:
    """What one input kind's extractor found: title, body paragraphs, metadata, and whether it is an article."""

    kind: InputKind
    title: str | None
    paragraphs: list[str]
    article_like: bool  # False: the input holds no article (navigation, prompts), whatever its length
    author: str | None = None
    published_at: str | None = None  # the page's day, midnight UTC
    language: str | None = None
    published_time: str | None = None  # the page's meta tags' time of day, in UTC, on that day
    whole: bool = False  # an article sent as itself, kept whole: held to no minimum length


def warm_up() -> None:
    """Load now what the first pages would load inside them: dateparser's tables of the languages it reads dates in
    (about 2.5 s of CPU) and py3langid's model (about 0.6 s); a worker calls this at start, the benchmark before
    it times the stage."""
    warm_up_metadata()
    detect_language("warm up")
    any_stoplist()  # asked for when py3langid names a language without a stoplist (``LanguageGuess.words_agree``)


def _optional(value: str | None) -> str | None:
    """A normalised metadata value, or None when nothing is left of it."""
    return normalize_line(value) or None if value else None


def latest_day(origin: Origin) -> date:
    """The last day a page read at ``origin`` can be of: the UTC day of its message's time (now for a file read
    offline), and one more (``workers.times.latest_time``: a page's day is its own time zone's)."""
    return datetime.fromtimestamp(latest_time(received_at(origin)), UTC).date()


def _producer_time(raw: RawArticle, origin: Origin) -> Published | None:
    """The raw record's ``published_at`` in UTC (``workers.times.published``), None when it is later than its
    message's time and one day (``workers.times``): a time in the future is not a fact, and an html page's own day is
    searched instead; None too for a time the schema passes but no datetime holds (year 1 east of Greenwich)."""
    given = raw["published_at"]
    published = normal_time(given)
    if given and (published is None or not _not_future(published, origin)):
        log.warning(
            "clean: %s's published_at %s is %s; dropped",
            raw["id"],
            given,
            "out of range" if published is None else "later than its message's time and one day",
            extra={"stage": "clean", "article_id": raw["id"]},
        )
        return None
    return published


def _page_time(found: Extract, origin: Origin) -> Published | None:
    """The page's own time: its meta tags' time of day (``html.HtmlExtract.published_time``) unless it is later
    than its message's time and one day, else its day. Both are in the published form already (``metadata``)."""
    if found.published_time and _not_future(meta := Published(found.published_time, "time"), origin):
        return meta
    return Published(found.published_at, "day") if found.published_at else None


def _not_future(when: Published, origin: Origin) -> bool:
    """No later than its message's time and one day (``workers.times``): the one bound of both times."""
    return when.seconds <= latest_time(received_at(origin))


def extract(raw: RawArticle, origin: Origin, published: Published | None) -> Extract:
    """The article of the raw record's html, text or body; ``published``: the producer's time (``_producer_time``)."""
    if "html" in raw:
        with_day = not published  # the producer's time wins
        found = extract_html(raw["html"], with_day, raw["url"], latest_day(origin))
        return Extract(
            "html",
            found.title,
            found.paragraphs,
            found.article_like,
            found.author,
            found.published_at,
            found.language,
            published_time=found.published_time,
        )
    if "body" in raw:
        paragraphs = body_paragraphs(raw["body"])
        return Extract("body", None, paragraphs, holds_article(paragraphs), whole=True)
    raw_lines = raw.get("text", "").splitlines()
    wrapped = is_hard_wrapped(raw_lines)
    lines = unwrap_as(raw_lines, wrapped)
    if is_wire_copy(lines, raw_lines):  # an article sent as text: kept whole as a body is, a headline set apart
        return _wire_copy(raw_lines, lines, wrapped)
    page = page_lines(lines)
    article = article_of(page)
    return Extract("text", article_title(page, article), article.paragraphs, True, language=article.language)


def _wire_copy(raw_lines: list[str], lines: list[str], wrapped: bool) -> Extract:
    """Wire copy sent as text, kept whole: its paragraphs unwrapped as a body's are (``as_body``: a lede cut by its
    dateline joined), judged an article on its ``lines`` as page text unwraps them: a window of a page with the
    sign-off appended has lines that the body's reading joins into one that reads as copy (a date and a teaser's
    headline), 147 windows of 71 pages rendered by w3m."""
    copy = strip_transmission(lines)
    title = copy_title(raw_lines, copy)
    whole = as_body(raw_lines, lines, wrapped)
    paragraphs = copy if whole is lines else strip_transmission(whole)
    body, judged = (paragraphs[1:], copy[1:]) if title else (paragraphs, copy)
    return Extract("text", title, body, holds_copy(judged), whole=True)


def is_wire_copy(lines: list[str], raw_lines: list[str]) -> bool:
    """True when a text (its ``raw_lines``, and those ``unwrap``ped) is wire copy sent as text: no furniture in it
    (``is_clean_copy``; signed, the headings of its tables read as such; set in columns, its rows and headings) and a
    wire agency's mark on it: its sign-off (``is_signed``), a table of figures set in fixed-width columns
    (``table_rows``), a dateline, a credit trailer, a continued take or the wire's results row opening it
    (``_marked_unsigned``). Without that positive evidence a short text with no furniture the stage knows (a cookie
    wall or paywall in another language, a 404 page, a menu, a page's footer) reads as clean copy too, indented or
    not: such a text goes the page-text path. Unsigned copy with no mark (a story) is sent whole as a ``body``."""
    signed = is_signed(lines, raw_lines)
    if (signed or _marked_unsigned(lines, raw_lines)) and is_clean_copy(lines, signed):  # the mark first
        return True
    table = table_rows(raw_lines, signed)  # read only here: most signed copy holds no label, most pages no table
    return bool(table) and is_clean_copy(lines, signed, table)


def _marked_unsigned(lines: list[str], raw_lines: list[str]) -> bool:
    """A wire agency's mark but the sign-off: a dateline, a credit trailer (``is_dated_or_credited``), the results row
    that opens an earnings report or dividend notice (``opens_with_results``), or the wire's continuation marker
    closing a hard-wrapped take of which no line is a label (``is_continued``, ``is_all_copy``): a "More" on a line
    of its own also closes teasers, comment threads and lists of scores, which are neither indented nor wrapped at a
    fixed width; a text closed so goes the page-text path and its minimum length."""
    return (
        is_dated_or_credited(lines)
        or opens_with_results(lines)
        or (is_continued(lines, raw_lines) and is_all_copy(lines[:-1]))
    )


def _without_word_runs(found: Extract) -> list[str]:
    """The paragraphs found but runs of a few words repeated, no article text of any input kind, a body kept whole
    too (``is_word_run``); page text's are gone already (``page_lines`` reads the page without them), and testing its
    article's lines again cost 6% of its time on AEB and L3S-GN1."""
    return found.paragraphs if found.kind == "text" and not found.whole else without_word_runs(found.paragraphs)


def _check(raw: RawArticle, found: Extract, text: str, title: str | None, options: CleanOptions) -> None:
    """Raise ``Rejected`` when the input held no words (``empty_body``), no article (``no_article``), or a text or
    title the entities stage could not tag (``too_long``: spaCy refuses a text over its max_length), decided here,
    before dedup, so that no copy is published naming an article that is never enriched."""
    if _WORD.search(raw.get(found.kind, "")) is None:
        raise Rejected("empty_body", f"not an article: the {found.kind} holds no words")
    if not text or not found.article_like:
        raise Rejected("no_article", f"not an article: nothing of the {found.kind} reads as an article body")
    # An article sent as itself is kept at any length.
    if not found.whole and (words := words_up_to(text, options.min_body_words)) < options.min_body_words:
        raise Rejected(
            "no_article",
            f"not an article: {words} words of article body after cleaning (minimum {options.min_body_words})",
        )
    limit = options.max_text_chars
    for field, value in (("text", text), ("title", title or "")):
        if len(value) > limit:
            raise Rejected("too_long", f"the cleaned {field} is {len(value)} characters, limit is {limit}")


def clean_article(raw: RawArticle, origin: Origin, options: CleanOptions) -> CleanArticle:
    """Clean one raw article; raise ``Rejected`` when no article body is left."""
    published = _producer_time(raw, origin)
    found = extract(raw, origin, published)
    when = published or _page_time(found, origin)  # the producer's time wins over the page's
    wire, paragraphs = attribute(join_paragraphs(_without_word_runs(found)).split("\n\n"))
    text = "\n\n".join(paragraphs)
    title = _optional(raw["title"]) or _optional(found.title)
    _check(raw, found, text, title, options)
    return CleanArticle(
        schema_version=SCHEMA_VERSION,
        id=raw["id"],
        url=raw["url"],
        source=raw["source"],
        title=title,
        author=_optional(found.author),
        published_at=when.at if when else None,
        published_precision=when.precision if when else None,
        language=found.language or detect_language(text),
        text=text,
        content_hash=content_hash(text),
        input_kind=found.kind,
        wire=wire,
        origin=origin,
    )
