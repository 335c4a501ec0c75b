"""The entities stage: spaCy's named entities of a cleaned text, resolved and grouped per distinct entity.

The spaCy pipeline is passed in (see ``workers.nlp``); this module never loads a model itself. Its data files,
``data/variants.tsv`` (common variants of names) and ``data/patterns.jsonl`` (EntityRuler patterns for news
names the small model misses), are plain text meant to be edited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from workers.entities.resolve import resolve_entities
from workers.records import Entity

__all__ = ["PATTERNS", "VARIANTS", "load_variants", "resolve_entities", "tag_texts"]

DATA = Path(__file__).resolve().parent / "data"
PATTERNS = DATA / "patterns.jsonl"
VARIANTS = DATA / "variants.tsv"


def load_variants(path: Path = VARIANTS) -> dict[str, str]:
    """Variant -> normalised name, from a file of tab-separated lines ``name<TAB>variant<TAB>...``."""
    variants: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, *others = (field.strip() for field in line.split("\t"))
            variants.update(dict.fromkeys(others, name))
    return variants


def tag_texts(nlp: Any, texts: Sequence[str], batch_size: int, variants: Mapping[str, str]) -> list[list[Entity]]:
    """Resolved entities of each text, from one batched ``nlp.pipe`` call."""
    docs = nlp.pipe(texts, batch_size=batch_size)
    return [
        resolve_entities(text, ((e.start_char, e.end_char, e.label_) for e in doc.ents), variants)
        for text, doc in zip(texts, docs, strict=True)
    ]
