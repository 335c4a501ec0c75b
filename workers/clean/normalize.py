"""Unicode and whitespace normalisation: one form of every character, paragraphs as paragraphs."""

from __future__ import annotations

import hashlib
import re

import ftfy

# Zero-width characters, BOM and bidi controls carry nothing a reader sees.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
# C0/C1 control characters except tab and newline.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def normalize_line(line: str) -> str:
    """Fix mojibake, straighten quotes, drop invisible and control characters, collapse spaces."""
    line = ftfy.fix_text(line, normalization="NFC")
    line = _CONTROL.sub(" ", _INVISIBLE.sub("", line))
    return _SPACES.sub(" ", line).strip()


def join_paragraphs(paragraphs: list[str]) -> str:
    """Normalised, non-empty paragraphs separated by one blank line."""
    cleaned = (normalize_line(p) for p in paragraphs)
    return "\n\n".join(p for p in cleaned if p)


def content_hash(text: str) -> str:
    """A 128-bit hash of the normalised body, stable across processes and versions."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
