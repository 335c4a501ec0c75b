"""Many distinct raw articles, made up on the spot, for load and fault tests (no corpus needed).

Each article reads like news prose (function words, sentences, paragraphs) about made-up people and places,
so the clean stage keeps it, NER finds entities in it, and no two articles share a paragraph.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
_SENTENCES = [
    "{person} said on {day} that the government of {place} would review the {thing} before the end of the year.",
    "Officials in {place} told reporters that the {thing} had been delayed by several weeks because of the weather.",
    "The company, which is based in {place}, expects the {thing} to cost about {number} million dollars.",
    "According to {person}, talks with {place} were going well and a deal could be signed within days.",
    "{person} added that there was no reason to believe the {thing} would be cancelled.",
    "Analysts said the decision by {place} to back the {thing} was a surprise to most investors.",
]


@dataclass(frozen=True, slots=True)
class Batch:
    """Raw messages and, for each id, where it must end up."""

    messages: list[bytes]
    expected: dict[str, str]  # id -> "enriched" | "duplicates" | "deadletter"


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _article(rng: random.Random, paragraphs: int) -> str:
    cast = {"person": f"{_name(rng)} {_name(rng)}", "place": _name(rng), "thing": f"{_name(rng).lower()} project"}
    lines = []
    for _ in range(paragraphs):
        picked = rng.sample(_SENTENCES, 3)
        lines.append(
            " ".join(s.format(day=rng.choice(["Monday", "Friday"]), number=rng.randint(2, 900), **cast) for s in picked)
        )
    return "\n".join(lines)


def make_batch(count: int, seed: int, prefix: str, paragraphs: int = 3) -> Batch:
    """``count`` messages: mostly distinct articles, 5% exact copies under another id, 2% malformed."""
    rng = random.Random(seed)
    messages: list[bytes] = []
    expected: dict[str, str] = {}
    originals: list[str] = []
    for n in range(count):
        article_id = f"{prefix}-{n:05d}"
        roll = rng.random()
        if roll < 0.02:
            messages.append(f'{{"id": "{article_id}", "source": "Broken", "text": '.encode())
            expected[article_id] = "deadletter"
            continue
        if roll < 0.07 and originals:
            text = rng.choice(originals)
            expected[article_id] = "duplicates"
        else:
            text = _article(rng, paragraphs)
            originals.append(text)
            expected[article_id] = "enriched"
        record = {
            "id": article_id,
            "source": "Synthetic Wire",
            "url": f"https://synthetic.example/{article_id}",
            "text": text,
        }
        messages.append(json.dumps(record).encode())
    return Batch(messages, expected)
