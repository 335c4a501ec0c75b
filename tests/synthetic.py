"""Many distinct raw articles, made up on the spot, for load and fault tests (no corpus needed)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

# Syllables make pronounceable made-up words: distinct articles share almost no 5-word shingles.
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
_CITIES = ["Moscow", "Kabul", "Berlin", "Paris", "Tokyo", "Nairobi", "Lima", "Oslo", "Cairo", "Seoul"]


@dataclass(frozen=True, slots=True)
class Batch:
    """Raw messages and, for each id, where it must end up."""

    messages: list[bytes]
    expected: dict[str, str]  # id -> "enriched" | "duplicates" | "deadletter"


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))


def _article(rng: random.Random, words: int) -> str:
    sentences, count = [], 0
    while count < words:
        body = [_word(rng) for _ in range(rng.randint(8, 16))]
        sentence = f"{rng.choice(_CITIES)} {' '.join(body)}."
        sentences.append(sentence[0].upper() + sentence[1:])
        count += len(body) + 1
    return " ".join(sentences)


def make_batch(count: int, seed: int, prefix: str, words: int = 60) -> Batch:
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
            text = _article(rng, words)
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
