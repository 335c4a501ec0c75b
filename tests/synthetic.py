"""Many distinct raw articles, made up on the spot, for load and fault tests (no corpus needed).

Each article reads as prose to the clean stage (function words, sentences, paragraphs) but is made of made-up
words, so no two articles share a 5-word run and only the exact copies this module makes are duplicates.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
# Function words make the text read as prose to the clean stage; made-up words make every 5-word run unique.
_FUNCTION_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "that",
    "for",
    "on",
    "with",
    "as",
    "by",
    "at",
    "from",
    "said",
    "would",
    "will",
    "was",
    "were",
    "has",
    "its",
    "their",
]


@dataclass(frozen=True, slots=True)
class Batch:
    """Raw messages, the ids that must be dead-lettered, and the ids that share one text (a story each).

    Of a story's ids exactly one must come out enriched and the others as its duplicates: which one is the
    first copy depends on the order the partitions are read in, not on the order of production.
    """

    messages: list[bytes]
    deadletters: set[str]
    stories: list[list[str]]

    @property
    def ids(self) -> set[str]:
        return self.deadletters | {i for story in self.stories for i in story}


_ID_IN_PAYLOAD = re.compile(r'"id": "([^"]+)"')  # a dead letter of a malformed message keeps only its bytes


def raw_id(key: bytes | None, value: bytes) -> str | None:
    """The article id of a message on any topic: its record's id, else its key, else the id in a malformed one."""
    try:
        record = json.loads(value)
    except ValueError:
        record = None
    if isinstance(record, dict) and isinstance(record.get("id"), str):
        return record["id"]
    if key:
        return key.decode()
    found = _ID_IN_PAYLOAD.search(value.decode(errors="replace"))
    return found.group(1) if found else None


def record_id(record: dict[str, Any]) -> str:
    """The raw id of an output record: its ``id``, else (a dead letter of a malformed message) the id in its payload."""
    return record["id"] or _ID_IN_PAYLOAD.search(record["payload"]).group(1)


def output_placements(outputs: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Each raw id's output records, from (output, record) pairs: ``output`` and ``canonical_id`` of each."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for output, record in outputs:
        found[record_id(record)].append({"output": output, "canonical_id": record.get("canonical_id")})
    return found


def misplaced(batch: Batch, found: Mapping[str, list[dict[str, Any]]], first: str = "enriched") -> set[str]:
    """Ids in one place, but not the one the batch says (``found``: ``output_placements``): a malformed message
    not dead-lettered or a good one dead-lettered, a story without exactly one copy on ``first``, a copy not a
    duplicate of that one; and ids not of the batch. Ids in several places, or in none, are counted apart.

    A fault can move a message to a wrong place without losing it or placing it twice: a dedup state lost in a
    kill publishes a story's second copy as new (junk), a failed send dead-letters a good article.
    """
    places = {i: {r["output"] for r in records} for i, records in found.items()}
    placed_once = {i for i, p in places.items() if len(p) == 1}
    wrong = (set(found) - batch.ids) | {
        i for i in placed_once & batch.ids if (i in batch.deadletters) != (places[i] == {"deadletter"})
    }
    for story in batch.stories:
        firsts = [i for i in story if places.get(i) == {first}]
        if len(firsts) != 1:
            wrong |= placed_once & set(story)
            continue
        copies = placed_once & set(story) - set(firsts)
        wrong |= {
            c for c in copies if places[c] != {"duplicates"} or {r["canonical_id"] for r in found[c]} != {firsts[0]}
        }
    return wrong


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_FUNCTION_WORDS) if rng.random() < 0.4 else _word(rng) for _ in range(rng.randint(12, 18))]
    return f"{_word(rng).capitalize()} {' '.join(words)}."


def _article(rng: random.Random, paragraphs: int) -> str:
    return "\n".join(" ".join(_sentence(rng) for _ in range(3)) for _ in range(paragraphs))


def make_batch(count: int, seed: int, prefix: str, paragraphs: int = 2) -> Batch:
    """``count`` messages: mostly distinct articles, 5% exact copies under another id, 2% malformed."""
    rng = random.Random(seed)
    messages: list[bytes] = []
    deadletters: set[str] = set()
    texts: list[str] = []
    stories: list[list[str]] = []
    for n in range(count):
        article_id = f"{prefix}-{n:05d}"
        roll = rng.random()
        if roll < 0.02:
            messages.append(f'{{"id": "{article_id}", "source": "Broken", "text": '.encode())
            deadletters.add(article_id)
            continue
        if roll < 0.07 and texts:
            story = rng.randrange(len(texts))
            stories[story].append(article_id)
            text = texts[story]
        else:
            text = _article(rng, paragraphs)
            texts.append(text)
            stories.append([article_id])
        record = {
            "id": article_id,
            "source": "Synthetic Wire",
            "url": f"https://synthetic.example/{article_id}",
            "text": text,
        }
        messages.append(json.dumps(record).encode())
    return Batch(messages, deadletters, stories)
