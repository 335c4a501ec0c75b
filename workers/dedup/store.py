"""The index's memory: one row per article in flat numpy arrays, and a banded LSH over the signatures.

rensa's own LSH keeps a Rust hash map per band and an ``RMinHash`` object per article (about 3.4 KB per
article at 32 bands); here the LSH is one bucket-head table per band plus one "previous in my bucket" pointer
per article and band (the hash-chain layout of zlib's matcher), which holds all of it in a few hundred bytes.
Rows are appended; expired rows are dropped, and the chains rebuilt, when the arrays are full.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from workers.dedup.sketch import FACT_DTYPE, FACTS_KEPT, Sketch

__all__ = ["Row", "Store"]

_U64 = np.uint64
_BAND_MIX = _U64(0x9E3779B97F4A7C15)  # golden-ratio constant: folds a band's rows into one key
_MIX_1, _MIX_2 = _U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB)  # splitmix64 finaliser constants
MIN_CAPACITY = 1024  # rows allocated at first; small enough for tests, grown by half when full of live rows
GROWTH = 1.5  # a full array of live rows grows by half: at most a third of the memory is headroom
# A chain walk stops after this many hops per band: a bucket crowded by one template's stories (thousands of
# dividend notices) must not make every lookup slow. A true copy sits in many bands; one of them finds it.
MAX_CHAIN = 24
NO_ROW = -1


@dataclass(frozen=True, slots=True)
class Row:
    """What the store holds of one article besides its sketch: its decision and where it sits in time."""

    article_id: str
    canonical_id: str
    revision_of: str | None
    kind: int
    similarity: float
    content_hash: str  # 32 hex digits
    event_time: float
    seq: int


class Store:
    """Rows of articles and the LSH that finds, for a signature, the rows sharing a band with it."""

    def __init__(self, num_perm: int, bands: int) -> None:
        self.num_perm, self.bands = num_perm, bands
        self.rows_per_band = num_perm // bands
        self._band_index = np.arange(bands)
        self._allocate(MIN_CAPACITY)
        self.size = 0

    def _allocate(self, capacity: int) -> None:
        self.capacity = capacity
        self.signatures = np.zeros((capacity, self.num_perm), dtype=np.uint16)
        self.sizes = np.zeros(capacity, dtype=np.uint32)
        self.numbers = np.zeros((capacity, FACTS_KEPT), dtype=FACT_DTYPE)
        self.names = np.zeros((capacity, FACTS_KEPT), dtype=FACT_DTYPE)
        self.fact_counts = np.zeros((capacity, 4), dtype=np.uint16)  # distinct numbers, names; kept of each
        self.times = np.zeros(capacity, dtype=np.float64)
        self.content_hashes = np.zeros((capacity, 2), dtype=np.uint64)
        self.seqs = np.zeros(capacity, dtype=np.int64)
        self.kinds = np.zeros(capacity, dtype=np.uint8)
        self.similarities = np.zeros(capacity, dtype=np.float32)
        self.ids: list[str] = []
        self.canonical: list[str] = []
        self.revision_of: list[str | None] = []
        self.slot_of: dict[str, int] = {}
        # Buckets per band: a power of two near half the rows, so a chain holds one or two strangers on average.
        self._buckets = 1 << max((capacity // 2 - 1).bit_length(), 1)
        self._heads = np.full((self.bands, self._buckets), NO_ROW, dtype=np.int32)
        self._previous = np.full((capacity, self.bands), NO_ROW, dtype=np.int32)

    def nbytes(self) -> int:
        """Bytes held by the arrays, the id lists and the id map."""
        arrays = (
            self.signatures,
            self.sizes,
            self.numbers,
            self.names,
            self.fact_counts,
            self.times,
            self.content_hashes,
            self.seqs,
            self.kinds,
            self.similarities,
            self._heads,
            self._previous,
        )
        return sum(a.nbytes for a in arrays) + _python_bytes(self.ids, self.canonical, self.revision_of, self.slot_of)

    def append(self, row: Row, sketch: Sketch) -> None:
        """Add an article; the caller makes room first (``full``/``rebuild``)."""
        slot = self.size
        self.signatures[slot] = sketch.signature
        self.sizes[slot] = sketch.size
        self.numbers[slot, : len(sketch.numbers)] = sketch.numbers
        self.names[slot, : len(sketch.names)] = sketch.names
        self.fact_counts[slot] = (
            min(sketch.number_count, 2**16 - 1),
            min(sketch.name_count, 2**16 - 1),
            len(sketch.numbers),
            len(sketch.names),
        )
        self.times[slot], self.seqs[slot] = row.event_time, row.seq
        self.content_hashes[slot] = split_hash(row.content_hash)
        self.kinds[slot], self.similarities[slot] = row.kind, row.similarity
        self.ids.append(row.article_id)
        self.canonical.append(row.canonical_id)
        self.revision_of.append(row.revision_of)
        self.slot_of[row.article_id] = slot
        buckets = self._bucket_rows(sketch.signature[np.newaxis])[0]
        self._previous[slot] = self._heads[self._band_index, buckets]
        self._heads[self._band_index, buckets] = slot
        self.size += 1

    def sketch_at(self, slot: int) -> Sketch:
        """The sketch stored in a row."""
        number_count, name_count, n_numbers, n_names = (int(v) for v in self.fact_counts[slot])
        return Sketch(
            signature=self.signatures[slot].copy(),
            size=int(self.sizes[slot]),
            numbers=self.numbers[slot, :n_numbers].copy(),
            names=self.names[slot, :n_names].copy(),
            number_count=number_count,
            name_count=name_count,
        )

    def content_hash_at(self, slot: int) -> str:
        """The content hash stored in a row, as 32 hex digits."""
        high, low = self.content_hashes[slot]
        return f"{int(high):016x}{int(low):016x}"

    @property
    def full(self) -> bool:
        """No room for one more row."""
        return self.size == self.capacity

    def candidates(self, signature: np.ndarray) -> np.ndarray:
        """Rows that share a bucket with the signature in some band, newest first along each chain."""
        bands = self._band_index
        rows = self._heads[bands, self._bucket_rows(signature[np.newaxis])[0]]
        found = []
        for _ in range(MAX_CHAIN):
            live = rows != NO_ROW
            if not live.any():
                break
            rows, bands = rows[live], bands[live]
            found.append(rows)
            rows = self._previous[rows, bands]
        return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int32)

    def keep(self, rows: np.ndarray) -> None:
        """Keep only ``rows`` (in order), grow the arrays when they stay more than two thirds full, relink."""
        old = {name: getattr(self, name) for name in _ARRAYS}
        ids, canonical, revision_of = self.ids, self.canonical, self.revision_of
        capacity = self.capacity
        if len(rows) > capacity / GROWTH:
            capacity = int(capacity * GROWTH)
        self._allocate(capacity)
        for name, values in old.items():
            getattr(self, name)[: len(rows)] = values[rows]
        self.ids = [ids[r] for r in rows]
        self.canonical = [canonical[r] for r in rows]
        self.revision_of = [revision_of[r] for r in rows]
        self.slot_of = {article_id: slot for slot, article_id in enumerate(self.ids)}
        self.size = len(rows)
        self._link()

    def _link(self) -> None:
        """Rebuild every band's chains at once: sort the rows by bucket, link each to the one before it."""
        if not self.size:
            return
        for band, buckets in enumerate(self._bucket_rows(self.signatures[: self.size]).T):
            order = np.argsort(buckets, kind="stable")
            ordered = buckets[order]
            same = np.concatenate(([False], ordered[1:] == ordered[:-1]))
            self._previous[order[same], band] = order[np.flatnonzero(same) - 1]
            last = np.concatenate((ordered[1:] != ordered[:-1], [True]))
            self._heads[band, ordered[last]] = order[last]

    def _bucket_rows(self, signatures: np.ndarray) -> np.ndarray:
        """The bucket of each signature in each band: its band's rows folded and mixed into one 64-bit key."""
        width = self.bands * self.rows_per_band
        bands = signatures[:, :width].reshape(len(signatures), self.bands, self.rows_per_band).astype(np.uint64)
        with np.errstate(over="ignore"):
            keys = np.zeros(bands.shape[:2], dtype=np.uint64)
            for row in range(self.rows_per_band):
                keys = keys * _BAND_MIX ^ bands[:, :, row]
            keys = (keys ^ (keys >> _U64(31))) * _MIX_1
            keys = (keys ^ (keys >> _U64(29))) * _MIX_2
        return (keys >> _U64(32)).astype(np.int64) & (self._buckets - 1)


def split_hash(content_hash: str) -> tuple[int, int]:
    """A 128-bit hex content hash as two 64-bit integers."""
    return int(content_hash[:16], 16), int(content_hash[16:32], 16)


_ARRAYS = (
    "signatures",
    "sizes",
    "numbers",
    "names",
    "fact_counts",
    "times",
    "content_hashes",
    "seqs",
    "kinds",
    "similarities",
)


def _python_bytes(ids: list[str], canonical: list[str], revision_of: list[str | None], slot_of: dict) -> int:
    """Bytes of the Python objects: the lists, each distinct id string once, and the id map with its ints."""
    strings = {id(s): s for s in (*ids, *canonical, *revision_of) if s is not None}
    ints = sum(sys.getsizeof(v) for v in slot_of.values() if v > 256)  # CPython caches the small ints
    lists = sum(sys.getsizeof(values) for values in (ids, canonical, revision_of))
    return lists + sys.getsizeof(slot_of) + ints + sum(sys.getsizeof(s) for s in strings.values())
