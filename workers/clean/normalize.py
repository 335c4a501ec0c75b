"""Unicode and whitespace normalisation: one form of every character, paragraphs as paragraphs."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

import ftfy

# Zero-width characters, BOM, soft hyphen and bidi controls carry nothing a reader sees.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
# C0/C1 control characters except newline (a tab becomes a space below).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What UTF-8 read as Latin-1 or Windows-1252 looks like: a lead byte (Â..ô) then a continuation byte as cp1252
# shows it. Only text with such a pair can hold mojibake, so only it pays for ftfy's slow encoding repair.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
# Curly quotes straightened the way ftfy's uncurl_quotes does, so every copy of a story quotes alike.
_QUOTES: dict[str, str] = dict.fromkeys("\u02bc\u2018\u2019\u201a\u201b", "'") | dict.fromkeys(
    "\u201c\u201d\u201e\u201f", '"'
)
_WORD = re.compile(r"\w+")
# Scripts written without spaces between words (Chinese, Japanese kana and kanji, Thai): \w+ sees whole clauses.
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
UNSPACED_CHARS_PER_WORD = 2  # about two characters of Chinese or Japanese carry what one English word does
PREFIX_CHARS_PER_WORD = 12  # twice an English word and its space: a real body's prefix this long holds enough
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def collapse(text: str) -> str:
    """The text with each run of white space made one space, none at its ends.

    ``str.split`` splits where the regular expression ``\\s+`` matches (the same Unicode white space), at a
    fraction of its cost: the renderer calls this on every line and link of a page, page text on every line.
    """
    return " ".join(text.split())


def _tidy(line: str) -> str:
    """Drop invisible and control characters and collapse spaces of text ftfy has already fixed."""
    if line.isprintable() and "  " not in line:
        # No control, format (zero-width) or separator character but the space, no run of spaces: nothing for
        # the patterns below to do, found at C speed (their three passes were a tenth of page-text cleaning).
        return line.strip()
    return _SPACES.sub(" ", _CONTROL.sub(" ", _INVISIBLE.sub("", line))).strip()


def straighten_quotes(text: str) -> str:
    """Curly quotes made straight.

    One ``str.replace`` per quote present: ``str.translate`` with a table looks up every character of the text
    and took 40 times as long on article bodies.
    """
    for curly, straight in _QUOTES.items():
        if curly in text:
            text = text.replace(curly, straight)
    return text


def fix_unicode(text: str) -> str:
    """Mojibake repaired (by ftfy, when there can be any), entities decoded, quotes straightened, NFC."""
    if text.isascii() and "&" not in text:
        return text  # nothing to repair, decode, straighten or compose
    if _may_hold_mojibake(text) and _MOJIBAKE_HINT.search(text):
        text = ftfy.fix_text(text)
    if "&" in text:
        text = html.unescape(text)
    return unicodedata.normalize("NFC", straighten_quotes(text))


def _may_hold_mojibake(text: str) -> bool:
    """False when the text holds no lead character of ``_MOJIBAKE_HINT`` (U+00C2-U+00F4), each of which UTF-8 writes
    as the byte 0xC3 and one more: most non-ASCII article text (curly quotes, dashes) has no such byte, found at C
    speed, where the pattern's scan of every character cost a fifth of normalising it."""
    return b"\xc3" in text.encode(errors="surrogatepass")


def normalize_line(line: str) -> str:
    """Fix mojibake, straighten quotes, drop invisible and control characters, collapse spaces."""
    return _tidy(fix_unicode(line))


def join_paragraphs(paragraphs: list[str]) -> str:
    """Normalised, non-empty paragraphs separated by one blank line."""
    fixed = fix_unicode("\n".join(p.replace("\n", " ") for p in paragraphs))
    return "\n\n".join(line for line in map(_tidy, fixed.split("\n")) if line)


def has_unspaced_script(line: str) -> bool:
    """True when the line holds a script written without spaces, whose words ``\\w+`` cannot count."""
    return not line.isascii() and _UNSPACED.search(line) is not None


def word_count(line: str, word: re.Pattern[str] = _WORD) -> int:
    """Words of a line (what ``word`` matches outside scripts without spaces), counting those scripts by their
    characters."""
    if not has_unspaced_script(line):
        return len(word.findall(line))
    unspaced = len(_UNSPACED.findall(line))
    return len(word.findall(_UNSPACED.sub(" ", line))) + unspaced // UNSPACED_CHARS_PER_WORD


def words_up_to(text: str, minimum: int) -> int:
    """The text's word count when under ``minimum``, else a count of at least ``minimum``.

    A body is counted only to be compared with a minimum, and a long one need not be counted to its end: the
    words of its first characters are enough (a prefix never holds more words than the whole text).
    """
    prefix_words = word_count(text[: minimum * PREFIX_CHARS_PER_WORD])
    return prefix_words if prefix_words >= minimum else word_count(text)


def content_hash(text: str) -> str:
    """A 128-bit hash of the normalised body, stable across processes and versions."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
