"""The entities stage: spaCy's named entities of a cleaned text and its title, resolved per distinct entity.

The spaCy pipelines are passed in (see ``workers.nlp``); this module never loads a model itself. Its data files
are per language, in ``data/<language>/``: ``variants.tsv`` (common variants of names) and ``patterns.jsonl``
(EntityRuler patterns for news names the small model misses), plain text meant to be edited. A language
without a folder gets neither.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    "resolve_entities",
    "tag_texts",
    "variants_of",
]

DATA = Path(__file__).resolve().parent / "data"
PATTERNS_FILE, VARIANTS_FILE = "patterns.jsonl", "variants.tsv"
PATTERNS = DATA / "en" / PATTERNS_FILE
VARIANTS = DATA / "en" / VARIANTS_FILE


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
    variants: Mapping[str, str],
    titles: Sequence[str | None] | None = None,
) -> list[list[Entity]]:
    """Resolved entities of each text and of its title (when given), from one batched ``nlp.pipe`` call."""
    heads = list(titles) if titles is not None else [None] * len(texts)
    titled = [i for i, title in enumerate(heads) if title]
    docs = list(nlp.pipe([*texts, *(heads[i] for i in titled)], batch_size=batch_size))
    title_spans = dict(zip(titled, map(spans_of, docs[len(texts) :]), strict=True))
    return [
        resolve_entities(text, spans_of(doc), variants, heads[i] or "", title_spans.get(i, []))
        for i, (text, doc) in enumerate(zip(texts, docs[: len(texts)], strict=True))
    ]


def spans_of(doc: Any) -> list[Span]:
    """A tagged doc's entity spans: character offsets and label."""
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def cut_mentions(entities: Sequence[Entity], most: int) -> list[Entity]:
    """The entities with at most their first ``most`` mentions listed in the text and in the title; their counts
    stay whole, so a record cut to fit its topic still ranks and counts every mention."""
    return [{**e, "mentions": e["mentions"][:most], "title_mentions": e["title_mentions"][:most]} for e in entities]
