"""An article's compact fingerprint: a b-bit MinHash of its word shingles, its size, its numbers and names.

Words are found and hashed with numpy over the UTF-8 bytes (no Python object per word), so one sketch costs
tens of microseconds; rensa turns the shingle hashes into the MinHash signature.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from rensa import RMinHash

__all__ = ["FACTS_KEPT", "FACT_DTYPE", "FactMatch", "Sketch", "Sketcher", "fact_match"]

MINHASH_SEED = 1  # fixed: signatures must agree across processes and restarts
# Numbers and names kept per article: a bottom-k sample (the k smallest) of their keys, each a fact's 16-bit
# hash under the 16-bit hash of its context (the two words either side, other facts masked). 16 keys per kind
# find a few facts in the text two copies share; they cost 64 bytes per kind.
FACTS_KEPT = 16
FACT_DTYPE = np.uint32
MIN_SAMPLE = 2  # fewer shared contexts than this say nothing either way
CONTEXT_WORDS = 2  # words each side of a fact that place it in the text
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
# Stand-ins for a fact in its neighbours' contexts, and for the text's edges (any fixed odd 64-bit values).
_NUMBER_MASK, _NAME_MASK = _U64(0x2545F4914F6CDD1D), _U64(0x5851F42D4C957F2D)
_EDGES = np.full(CONTEXT_WORDS, 0x14057B7EF767814F, dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class Sketch:
    """What the index keeps of an article: signature, shingle count, samples of its numbers and names."""

    signature: np.ndarray  # uint16[num_perm]: the low 16 bits of each MinHash value (b-bit MinHash)
    size: int  # shingles in the article
    numbers: np.ndarray  # uint32[<= FACTS_KEPT]: the smallest context-and-fact keys of its numbers, sorted
    names: np.ndarray  # uint32[<= FACTS_KEPT]: the same for its names
    number_count: int  # distinct keys of its numbers
    name_count: int  # distinct keys of its names

    def to_text(self) -> str:
        """A compact base64 form for the persisted index entry."""
        counts = (self.number_count, self.name_count, len(self.numbers), len(self.names))
        head = np.array([min(self.size, 2**32 - 1), *counts], dtype=np.uint32)
        facts = np.concatenate((self.numbers, self.names)).astype(FACT_DTYPE)
        return base64.b64encode(head.tobytes() + self.signature.tobytes() + facts.tobytes()).decode("ascii")

    @classmethod
    def from_text(cls, text: str, num_perm: int) -> Sketch:
        """The sketch ``to_text`` wrote; facts of the older form (bare 16-bit hashes, no context) are dropped."""
        data = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
        size, number_count, name_count, n_numbers, n_names = (int(v) for v in data[:20].view(np.uint32))
        signature = data[20 : 20 + 2 * num_perm].view(np.uint16).copy()
        facts = data[20 + 2 * num_perm :]
        if len(facts) != (n_numbers + n_names) * FACT_DTYPE().itemsize:
            facts, n_numbers, n_names, number_count, name_count = facts[:0], 0, 0, 0, 0
        facts = facts.view(FACT_DTYPE)
        return cls(
            signature=signature,
            size=size,
            numbers=facts[:n_numbers].copy(),
            names=facts[n_numbers : n_numbers + n_names].copy(),
            number_count=number_count,
            name_count=name_count,
        )


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit reaches every output bit."""
    values = (values ^ (values >> _U64(30))) * _MIX_1
    values = (values ^ (values >> _U64(27))) * _MIX_2
    return values ^ (values >> _U64(31))


def _bottom(values: np.ndarray) -> tuple[np.ndarray, int]:
    """The ``FACTS_KEPT`` smallest distinct keys of ``values``, and how many distinct there are."""
    distinct = np.unique(values)
    return distinct[:FACTS_KEPT], len(distinct)


def _fact_keys(
    data: np.ndarray, starts: np.ndarray, ends: np.ndarray, words: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Keys of the numbers and of the names: the hash of a fact's context in the high 16 bits, its own below.

    The context is the words either side, numbers and capitalised words masked: a templated sibling puts
    another fact under the same context (a conflict), while boilerplate, a trailer or an added paragraph puts
    its facts under contexts the other copy does not have (nothing to compare). Every capitalised word is
    masked, not only names, so a context does not change when a paragraph break moves.
    """
    is_number = _has_digit(data, starts, ends)
    is_name = _is_name(data, starts, ends, is_number)
    masked = np.where(is_number, _NUMBER_MASK, np.where(_UPPER[data[starts]], _NAME_MASK, words))
    padded = np.concatenate((_EDGES, masked, _EDGES))
    positions = np.flatnonzero(is_number | is_name)
    context = np.zeros(len(positions), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in (*range(CONTEXT_WORDS), *range(CONTEXT_WORDS + 1, 2 * CONTEXT_WORDS + 1)):
            context = context * _SHINGLE_MIX ^ padded[positions + offset]
        context = _mix(context)
    keys = ((context >> _U64(48)) << _U64(16) | (words[positions] & _U64(0xFFFF))).astype(FACT_DTYPE)
    return keys[is_number[positions]], keys[is_name[positions]]


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
        number_keys, name_keys = _fact_keys(data, starts, ends, words)
        numbers, number_count = _bottom(number_keys)
        names, name_count = _bottom(name_keys)
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


def _is_name(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, is_number: np.ndarray) -> np.ndarray:
    """Capitalised words that do not open a sentence, a line or a quote."""
    is_break = _SENTENCE_BREAK[data]
    # Curly quotes, dashes and the ellipsis (U+2010-U+2026) break as their ASCII forms do, or a quote's first
    # word would be a name in a copy with curly quotes and not in the original.
    lead = np.flatnonzero((data[:-2] == 0xE2) & (data[1:-1] == 0x80) & (data[2:] >= 0x90) & (data[2:] <= 0xA6))
    is_break[lead] = True
    breaks = np.concatenate(([0], np.cumsum(is_break)))
    previous_end = np.concatenate(([0], ends[:-1]))
    opens = breaks[starts] > breaks[previous_end]
    if len(opens):
        opens[0] = True
    return _UPPER[data[starts]] & ~opens & ~is_number


class FactMatch(NamedTuple):
    """How two articles' samples of one kind of fact compare, under the bound where both are complete."""

    shared: int  # contexts both articles put a fact of this kind under
    agreeing: int  # of those, contexts under which both put the same fact
    common: int  # keys (a fact in its context) in both samples
    mine: int  # keys of the first sample compared
    theirs: int  # keys of the second sample compared


def fact_match(mine: np.ndarray, my_count: int, theirs: np.ndarray, their_count: int) -> FactMatch:
    """Compare two samples of fact keys.

    A bottom-k sample holds every key of its article below its largest kept key, so under the smaller of the
    two bounds each sample is complete: a key, or a context, missing from one sample is missing from its article.
    """
    bound = min(_bound(mine, my_count), _bound(theirs, their_count))
    mine, theirs = mine[mine <= bound], theirs[theirs <= bound]
    common = np.intersect1d(mine, theirs, assume_unique=True)
    return FactMatch(
        shared=len(np.intersect1d(mine >> 16, theirs >> 16)),
        agreeing=len(np.unique(common >> 16)),
        common=len(common),
        mine=len(mine),
        theirs=len(theirs),
    )


def _bound(sample: np.ndarray, count: int) -> int:
    return int(sample[-1]) if count > len(sample) else 2**32
