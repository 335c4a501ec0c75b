"""The entities stage: spaCy's named entities of a cleaned text and its title, resolved per distinct entity.

The spaCy pipelines are passed in (see ``workers.nlp``); this module never loads a model itself. Its data files
are per language, in ``data/<language>/``: ``variants.tsv`` (common variants of names) and ``patterns.jsonl``
(EntityRuler patterns for news names the small model misses), plain text meant to be edited. A language
without a folder gets neither.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from workers.entities.resolve import Span, resolve_entities
from workers.records import Entity

__all__ = [
    "PATTERNS",
    "VARIANTS",
    "cut_mentions",
    "load_variants",
    "patterns_of",
    "piece_bounds",
    "resolve_entities",
    "tag_texts",
    "variants_of",
]

DATA = Path(__file__).resolve().parent / "data"
PATTERNS_FILE, VARIANTS_FILE = "patterns.jsonl", "variants.tsv"
PATTERNS = DATA / "en" / PATTERNS_FILE
VARIANTS = DATA / "en" / VARIANTS_FILE
# Where a long text is cut, best first: a paragraph break (the clean stage's), a sentence's end, any whitespace.
# Each pattern's group is the whitespace left out between two pieces.
_BOUNDS = (re.compile(r"(\n\n+)"), re.compile(r"[.!?][\"'\u2019\u201d)\]]*(\s+)"), re.compile(r"(\s+)"))


def load_variants(path: Path = VARIANTS) -> dict[str, str]:
    """Variant -> normalised name, from a file of tab-separated lines ``name<TAB>variant<TAB>...``."""
    variants: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, *others = (field.strip() for field in line.split("\t"))
            variants.update(dict.fromkeys(others, name))
    return variants


def patterns_of(language: str) -> Path | None:
    """The language's EntityRuler patterns file, if it has one."""
    path = DATA / language / PATTERNS_FILE
    return path if path.is_file() else None


def variants_of(language: str) -> dict[str, str]:
    """The language's name variants; none for a language without a variants file."""
    path = DATA / language / VARIANTS_FILE
    return load_variants(path) if path.is_file() else {}


def tag_texts(
    nlp: Any,
    texts: Sequence[str],
    batch_size: int,
    batch_chars: int,
    variants: Mapping[str, str],
    titles: Sequence[str | None] | None = None,
) -> list[list[Entity]]:
    """Resolved entities of each text and of its title (when given). spaCy's memory grows with the characters it
    tags at once, so a text longer than ``batch_chars`` is tagged in pieces (``piece_bounds``) and the pieces go
    through ``nlp.pipe`` in batches of at most ``batch_size`` pieces and ``batch_chars`` characters, each batch's
    docs read and dropped before the next."""
    heads = list(titles) if titles is not None else [None] * len(texts)
    titled = [i for i, title in enumerate(heads) if title]
    whole = [*texts, *(heads[i] or "" for i in titled)]
    spans: list[list[Span]] = [[] for _ in whole]
    pieces = [(i, start, end) for i, text in enumerate(whole) for start, end in piece_bounds(text, batch_chars)]
    for batch in _batches(pieces, batch_size, batch_chars):
        docs = nlp.pipe([whole[i][start:end] for i, start, end in batch], batch_size=len(batch))
        for (i, start, _), doc in zip(batch, docs, strict=True):
            spans[i].extend((begin + start, end + start, label) for begin, end, label in spans_of(doc))
    title_spans = dict(zip(titled, spans[len(texts) :], strict=True))
    return [
        resolve_entities(text, spans[i], variants, heads[i] or "", title_spans.get(i, []))
        for i, text in enumerate(texts)
    ]


def piece_bounds(text: str, most: int) -> list[tuple[int, int]]:
    """(start, end) of the pieces of ``text``, each at most ``most`` characters, cut at the last paragraph break
    that allows it, else the last sentence end, else the last whitespace (a hard cut only in a run of ``most``
    characters without any); the whitespace at a cut belongs to no piece. A text up to ``most`` is one piece."""
    bounds, start = [], 0
    while len(text) - start > most:
        end, resume = _cut(text, start, start + most)
        bounds.append((start, end))
        start = resume
    return [*bounds, (start, len(text))]


def _cut(text: str, start: int, stop: int) -> tuple[int, int]:
    """Where the piece from ``start`` ends (at most ``stop``) and the next one begins."""
    for bound in _BOUNDS:
        if last := deque(bound.finditer(text, start + 1, stop + 1), maxlen=1):
            return last[0].start(1), last[0].end(1)
    return stop, stop


def _batches(pieces: list[tuple[int, int, int]], most: int, chars: int) -> Iterator[list[tuple[int, int, int]]]:
    """The pieces in order, in runs of at most ``most`` pieces and ``chars`` characters together."""
    batch: list[tuple[int, int, int]] = []
    size = 0
    for piece in pieces:
        length = piece[2] - piece[1]
        if batch and (len(batch) == most or size + length > chars):
            yield batch
            batch, size = [], 0
        batch.append(piece)
        size += length
    if batch:
        yield batch


def spans_of(doc: Any) -> list[Span]:
    """A tagged doc's entity spans: character offsets and label."""
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def cut_mentions(entities: Sequence[Entity], most: int) -> list[Entity]:
    """The entities with at most their first ``most`` mentions listed in the text and in the title; their counts
    stay whole, so a record cut to fit its topic still ranks and counts every mention."""
    return [{**e, "mentions": e["mentions"][:most], "title_mentions": e["title_mentions"][:most]} for e in entities]
