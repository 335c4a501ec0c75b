"""The entities stage: spaCy's named entities of a cleaned text, grouped per distinct entity.

The spaCy pipeline is passed in (see ``workers.nlp``); this module never loads a model itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from workers.records import Entity, Mention

__all__ = ["group_entities", "tag_texts"]


def group_entities(spans: Iterable[tuple[str, str, int, int]]) -> list[Entity]:
    """Group (text, label, start, end) spans by label and surface text, in order of first mention."""
    grouped: dict[tuple[str, str], Entity] = {}
    for text, label, start, end in spans:
        entity = grouped.setdefault((label, text), Entity(text=text, label=label, count=0, mentions=[]))
        entity["mentions"].append(Mention(start=start, end=end))
        entity["count"] += 1
    return list(grouped.values())


def tag_texts(nlp: Any, texts: Sequence[str], batch_size: int) -> list[list[Entity]]:
    """Entities of each text, from one batched ``nlp.pipe`` call."""
    docs = nlp.pipe(texts, batch_size=batch_size)
    return [group_entities((e.text, e.label_, e.start_char, e.end_char) for e in doc.ents) for doc in docs]
