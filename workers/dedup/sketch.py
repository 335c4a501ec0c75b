"""An article's compact fingerprint: a b-bit MinHash of its word shingles, its size, its numbers and names.

Words are found and hashed with numpy over the UTF-8 bytes (no Python object per word), so one sketch costs
tens of microseconds; rensa turns the shingle hashes into the MinHash signature.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np
from rensa import RMinHash

__all__ = ["FACTS_KEPT", "Sketch", "Sketcher", "fact_containment"]

MINHASH_SEED = 1  # fixed: signatures must agree across processes and restarts
# Numbers and names kept per article: a bottom-k sample of their 16-bit hashes (the k smallest), from which
# the share of one article's numbers found in another is estimated. 16 tells a templated story's figures and
# names from its sibling's, and costs 32 bytes per kind.
FACTS_KEPT = 16
MIN_SAMPLE = 2  # fewer sampled facts than this say nothing either way
_U64 = np.uint64
_HASH_BASE = _U64(0x100000001B3)  # odd (FNV-1 64-bit prime), so it has an inverse modulo 2**64
_HASH_BASE_INVERSE = _U64(pow(0x100000001B3, -1, 2**64))
_SHINGLE_MIX = _U64(0x9E3779B97F4A7C15)  # golden-ratio constant: spreads each word's contribution
_MIX_1, _MIX_2 = _U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB)  # splitmix64 finaliser constants


def _byte_class(chars: str) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[list(chars.encode("ascii"))] = True
    return table


_DIGIT = _byte_class("0123456789")
_UPPER = _byte_class("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WORD = _DIGIT | _UPPER | _byte_class("abcdefghijklmnopqrstuvwxyz")
_WORD[0x80:] = True  # bytes of non-ASCII letters belong to words (general punctuation is cleared below)
# A capitalised word right after one of these starts a sentence or a line: not evidence of a name.
_SENTENCE_BREAK = _byte_class(".!?:;-\n\"'(")
_LOWER = np.arange(256, dtype=np.uint8)
_LOWER[_UPPER] += 32


@dataclass(frozen=True, slots=True)
class Sketch:
    """What the index keeps of an article: signature, shingle count, samples of its numbers and names."""

    signature: np.ndarray  # uint16[num_perm]: the low 16 bits of each MinHash value (b-bit MinHash)
    size: int  # shingles in the article
    numbers: np.ndarray  # uint16[<= FACTS_KEPT]: the smallest hashes of its distinct numbers, sorted
    names: np.ndarray  # uint16[<= FACTS_KEPT]: the same for its names
    number_count: int  # distinct numbers in the article
    name_count: int  # distinct names in the article

    def to_text(self) -> str:
        """A compact base64 form for the persisted index entry."""
        counts = (self.number_count, self.name_count, len(self.numbers), len(self.names))
        head = np.array([min(self.size, 2**32 - 1), *counts], dtype=np.uint32)
        return base64.b64encode(
            head.tobytes() + self.signature.tobytes() + self.numbers.tobytes() + self.names.tobytes()
        ).decode("ascii")

    @classmethod
    def from_text(cls, text: str, num_perm: int) -> Sketch:
        """The sketch ``to_text`` wrote."""
        data = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
        size, number_count, name_count, n_numbers, n_names = (int(v) for v in data[:20].view(np.uint32))
        body = data[20:].view(np.uint16)
        return cls(
            signature=body[:num_perm].copy(),
            size=size,
            numbers=body[num_perm : num_perm + n_numbers].copy(),
            names=body[num_perm + n_numbers : num_perm + n_numbers + n_names].copy(),
            number_count=number_count,
            name_count=name_count,
        )


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit reaches every output bit."""
    values = (values ^ (values >> _U64(30))) * _MIX_1
    values = (values ^ (values >> _U64(27))) * _MIX_2
    return values ^ (values >> _U64(31))


def _bottom(values: np.ndarray) -> tuple[np.ndarray, int]:
    """The ``FACTS_KEPT`` smallest distinct 16-bit hashes of ``values``, and how many distinct there are."""
    distinct = np.unique(values.astype(np.uint16))
    return distinct[:FACTS_KEPT], len(distinct)


class Sketcher:
    """Computes sketches; owns the table of hash-base powers, grown to the longest text seen."""

    def __init__(self, num_perm: int, shingle_words: int) -> None:
        self.num_perm = num_perm
        self.shingle_words = shingle_words
        self._powers = np.ones(1, dtype=np.uint64)
        self._inverse_powers = np.ones(1, dtype=np.uint64)

    def sketch(self, text: str) -> Sketch:
        """The sketch of a text."""
        data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
        is_word = _WORD[data]
        _clear_general_punctuation(data, is_word)
        edges = np.flatnonzero(np.diff(is_word, prepend=False, append=False))
        starts, ends = edges[0::2], edges[1::2]
        words = self._word_hashes(data, is_word, starts, ends)
        numbers, number_count = _bottom(words[_has_digit(data, starts, ends)])
        names, name_count = _bottom(words[_is_name(data, starts, ends)])
        return Sketch(
            signature=self._signature(self._shingles(words)),
            size=max(len(words) - self.shingle_words + 1, 1),
            numbers=numbers,
            names=names,
            number_count=number_count,
            name_count=name_count,
        )

    def _word_hashes(self, data: np.ndarray, is_word: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """A polynomial hash of each lower-cased word, from prefix sums over the whole text at once."""
        self._grow(len(data) + 1)
        with np.errstate(over="ignore"):
            weighted = np.where(is_word, _LOWER[data].astype(np.uint64), _U64(0)) * self._powers[: len(data)]
            prefix = np.concatenate(([_U64(0)], np.cumsum(weighted, dtype=np.uint64)))
            return _mix((prefix[ends] - prefix[starts]) * self._inverse_powers[starts])

    def _shingles(self, words: np.ndarray) -> np.ndarray:
        """One hash per run of ``shingle_words`` words (the whole text when it is shorter)."""
        size = min(self.shingle_words, max(len(words), 1))
        count = max(len(words) - size + 1, 1)
        shingles = np.zeros(count, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for offset in range(min(size, len(words))):
                shingles = shingles * _SHINGLE_MIX ^ words[offset : offset + count]
            return _mix(shingles)

    def _signature(self, shingles: np.ndarray) -> np.ndarray:
        offsets = np.array([0, len(shingles)], dtype=np.uint64)
        matrix = RMinHash.digest_matrix_from_flat_token_hashes(shingles, offsets, self.num_perm, MINHASH_SEED)
        return np.array(matrix.to_rows()[0], dtype=np.uint32).astype(np.uint16)

    def _grow(self, length: int) -> None:
        if length <= len(self._powers):
            return
        length = max(length, 2 * len(self._powers))
        with np.errstate(over="ignore"):
            self._powers = np.concatenate(([_U64(1)], np.cumprod(np.full(length - 1, _HASH_BASE), dtype=np.uint64)))
            self._inverse_powers = np.concatenate(
                ([_U64(1)], np.cumprod(np.full(length - 1, _HASH_BASE_INVERSE), dtype=np.uint64))
            )


def _clear_general_punctuation(data: np.ndarray, is_word: np.ndarray) -> None:
    """Curly quotes, dashes, ellipses and odd spaces (U+2000-U+207F, U+00A0) separate words as ASCII ones do."""
    lead = np.flatnonzero(data[:-2] == 0xE2)
    lead = lead[(data[lead + 1] & 0xFE) == 0x80]
    nbsp = np.flatnonzero((data[:-1] == 0xC2) & (data[1:] == 0xA0))
    for shift in (0, 1, 2):
        is_word[lead + shift] = False
    is_word[nbsp] = False
    is_word[nbsp + 1] = False


def _has_digit(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    digits = np.concatenate(([0], np.cumsum(_DIGIT[data])))
    return digits[ends] > digits[starts]


def _is_name(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Capitalised words that do not open a sentence, a line or a quote."""
    breaks = np.concatenate(([0], np.cumsum(_SENTENCE_BREAK[data])))
    previous_end = np.concatenate(([0], ends[:-1]))
    opens = breaks[starts] > breaks[previous_end]
    if len(opens):
        opens[0] = True
    return _UPPER[data[starts]] & ~opens & ~_has_digit(data, starts, ends)


def fact_containment(mine: np.ndarray, my_count: int, theirs: np.ndarray, their_count: int) -> float | None:
    """Estimated share of the smaller fact set found in the larger one; None when the samples cannot tell.

    A bottom-k sample holds every value of its set below its largest kept value, so the smaller set's sampled
    values under that bound are each in the larger set exactly when they are in its sample.
    """
    (small, _), (large, large_count) = sorted(((mine, my_count), (theirs, their_count)), key=lambda s: s[1])
    bound = int(large[-1]) if large_count > len(large) else 2**16
    sample = [value for value in small.tolist() if value <= bound]
    if len(sample) < MIN_SAMPLE:
        return None
    kept = set(large.tolist())
    return sum(value in kept for value in sample) / len(sample)
