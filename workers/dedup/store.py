"""The index's memory: one row per article in flat numpy arrays, and a banded LSH over the signatures.

rensa's own LSH keeps a Rust hash map per band and an ``RMinHash`` object per article (about 3.4 KB per
article at 32 bands); here the LSH is one bucket-head table per band plus one "previous in my bucket" pointer
per article and band (the hash-chain layout of zlib's matcher), which holds all of it in a few hundred bytes.

An evicted row's slot is reused by a later article, and the chains are never rebuilt for it: a chain link is
followed only to an older row (by arrival ``seq``), so a link into a slot that now holds a newer article ends
the walk there. Eviction goes by event time, not arrival: a row evicted while older rows of its buckets stay (a
copy that arrived late with an early time, an article updated) is first taken out of those chains, the head or
link naming it set to the held row behind it (``_Chains.unlink``), and a bucket head naming an evicted row with
none held behind it is cleared. Chains are rebuilt only when the arrays grow, which happens while the window
fills, a few times in a worker's life.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from workers.dedup.sketch import (
    EDGES_KEPT,
    FACT_DTYPE,
    FACTS_KEPT,
    FIGURE_KEYS,
    LEAD_KEYS,
    Sketches,
    any_across,
    distinct,
    gather,
)

__all__ = ["ClusterKey", "RowNumbers", "Rows", "Store"]

_U64 = np.uint64
_BAND_MIX = _U64(0x9E3779B97F4A7C15)  # golden-ratio constant: folds a band's rows into one key
_MIX_1, _MIX_2 = _U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB)  # splitmix64 finaliser constants
MIN_CAPACITY = 1024  # rows allocated at first; small enough for tests, grown by half when full of live rows
GROWTH = 1.5  # arrays full of live rows grow by half: at most a third of the memory is headroom
# A chain walk stops after this many hops per band: a bucket crowded by one template's stories (thousands of
# dividend notices) must not make every lookup slow. A true copy sits in many bands; one of them finds it.
MAX_CHAIN = 24
NO_ROW = -1
_ROW_BITS = 24
MAX_ROWS = (1 << _ROW_BITS) - 1  # rows a chain table can name (three bytes a link): 16.7 million, far above any budget
# Pairs whose signatures are compared at a time: their two [pairs, num_perm] copies (512 KB each at 128 values) stay
# in the cache between the gathers, the comparison and the count. All of a batch's pairs at once (tens of thousands
# at a million held) took 2.5 times as long (a micro-benchmark on random rows of a million, this machine).
EQUAL_CHUNK = 2048
# A story cluster's key in the index: the id of its first copy, or (that id, n) for the n-th cluster the id started
# while one it started before still had members held (``workers.dedup.cluster_of`` names both).
ClusterKey = str | tuple[str, int]


@dataclass(frozen=True, slots=True)
class Rows:
    """What the store holds of a batch of articles besides their sketches: ids, decisions, place in time."""

    article_ids: list[str]
    canonical_ids: list[ClusterKey]  # each article's cluster key (its canonical copy's, unless merged since)
    revision_of: list[str | None]
    kinds: np.ndarray  # uint8
    similarities: np.ndarray  # float32
    content_hashes: np.ndarray  # uint64[n, 2]: the 128-bit content hashes
    event_times: np.ndarray  # float64
    seqs: np.ndarray  # int64


class Store:
    """Rows of articles and the LSH that finds, for a signature, the rows sharing a band with it."""

    def __init__(self, num_perm: int, bands: int) -> None:
        self.num_perm, self.bands = num_perm, bands
        self.rows_per_band = num_perm // bands
        self._allocate(MIN_CAPACITY)

    def _allocate(self, capacity: int) -> None:
        if capacity > MAX_ROWS:
            raise ValueError(f"a dedup index of {capacity:,} rows: the chain tables name at most {MAX_ROWS:,}")
        self.capacity = capacity
        self.signatures = np.zeros((capacity, self.num_perm), dtype=np.uint16)
        self.sizes = np.zeros(capacity, dtype=np.uint32)
        self.numbers = np.zeros((capacity, FACTS_KEPT), dtype=FACT_DTYPE)
        self.names = np.zeros((capacity, FACTS_KEPT), dtype=FACT_DTYPE)
        self.fact_counts = np.zeros((capacity, 4), dtype=np.uint16)  # distinct numbers, names; kept of each
        self.edges = np.zeros((capacity, EDGES_KEPT), dtype=np.uint32)  # first and last paragraphs' hashes
        self.edge_words = np.zeros((capacity, EDGES_KEPT), dtype=np.uint16)
        self.edge_counts = np.zeros(capacity, dtype=np.uint8)
        self.leads = np.zeros((capacity, LEAD_KEYS), dtype=np.uint32)  # 0: no lead (a sketch of an older form)
        self.figures = np.zeros((capacity, FIGURE_KEYS), dtype=np.uint32)  # 0: a long article, or an older form
        self._sketches = Sketches(*(getattr(self, name) for name in _SKETCH_ARRAYS))  # a view of the rows above
        self.times = np.full(capacity, -np.inf)  # -inf: no live row in the slot
        self.content_hashes = np.zeros((capacity, 2), dtype=np.uint64)
        # Arrival order, after a first arrival no row reaches: the chain walks read it by the links' stored form.
        self._arrivals = np.concatenate(([np.iinfo(np.int64).max], np.zeros(capacity, dtype=np.int64)))
        self.seqs = self._arrivals[1:]
        self.kinds = np.zeros(capacity, dtype=np.uint8)
        self.similarities = np.zeros(capacity, dtype=np.float32)
        self.counted = np.zeros(capacity, dtype=np.uint8)  # bit k: end paragraph k is in the boilerplate counts
        self.ids: list[str | None] = [None] * capacity
        self.canonical: list[ClusterKey | None] = [None] * capacity
        self.revision_of: list[str | None] = [None] * capacity
        self.slot_of: dict[str, int] = {}
        self.used = 0  # slots ever filled since the arrays were allocated; those beyond are free
        # Bytes of the live rows' id strings, kept as rows come and go: counting them on demand walked every row
        # (half a second at a million, every metrics sample). Canonical and revision ids are these same strings.
        self._id_bytes = 0
        self._free = np.empty(0, dtype=np.int64)  # slots below ``used`` whose rows were evicted
        # The signature's bands, the lead's keys, a short article's figure keys.
        self._chains = (_Chains(capacity, self.bands), _Chains(capacity, LEAD_KEYS), _Chains(capacity, FIGURE_KEYS))

    @property
    def size(self) -> int:
        """Rows held."""
        return len(self.slot_of)

    def nbytes(self) -> int:
        """Bytes held by the arrays, the id lists and the id map."""
        arrays = [getattr(self, name) for name in _ARRAYS] + [a for c in self._chains for a in (c.heads, c.previous)]
        lists = sum(sys.getsizeof(values) for values in (self.ids, self.canonical, self.revision_of))
        # The slots' ints in the id map: CPython caches those up to 256, every other one is an object of its own.
        ints = max(self.size - 257, 0) * sys.getsizeof(self.capacity)
        return sum(a.nbytes for a in arrays) + lists + sys.getsizeof(self.slot_of) + ints + self._id_bytes

    def append(self, rows: Rows, sketches: Sketches) -> np.ndarray:
        """Add a batch of articles, in order, and return their slots; the caller makes room first (``room``)."""
        reused = self._free[: len(sketches)]
        self._free = self._free[len(reused) :]
        slots = np.concatenate((reused, np.arange(self.used, self.used + len(sketches) - len(reused))))
        self.used += len(sketches) - len(reused)
        for name in _SKETCH_ARRAYS:
            getattr(self, name)[slots] = getattr(sketches, name)
        self.times[slots], self.seqs[slots] = rows.event_times, rows.seqs
        self.content_hashes[slots] = rows.content_hashes
        self.kinds[slots], self.similarities[slots] = rows.kinds, rows.similarities
        listed = slots.tolist()
        for slot, article_id, canonical_id, revision_of in zip(
            listed, rows.article_ids, rows.canonical_ids, rows.revision_of, strict=True
        ):
            self.ids[slot], self.canonical[slot], self.revision_of[slot] = article_id, canonical_id, revision_of
        self.slot_of.update(zip(rows.article_ids, listed, strict=True))
        self._id_bytes += sum(map(sys.getsizeof, rows.article_ids))
        self._chain(slots)
        return slots

    def evict(self, slots: np.ndarray) -> None:
        """Forget the rows in ``slots``, taken out of the chains where held rows are behind them (``_Chains.unlink``);
        their slots are reused by later articles. An id whose newer row is held already (an update, scored against
        its old row) stays found at that row."""
        slots = np.sort(slots)
        self.times[slots] = -np.inf
        for chains, banded in zip(self._chains, self._banded_values(), strict=True):
            chains.unlink(slots, banded[slots], self._arrivals, self.times)
        for slot in slots.tolist():
            self._id_bytes -= sys.getsizeof(self.ids[slot])
            if self.slot_of[self.ids[slot]] == slot:
                del self.slot_of[self.ids[slot]]
            self.ids[slot] = self.canonical[slot] = self.revision_of[slot] = None
        self._free = np.concatenate((self._free, slots))

    def sketches_at(self, slots: np.ndarray) -> Sketches:
        """The sketches stored in rows, copied."""
        return self._sketches.take(slots)

    def content_hashes_at(self, slots: np.ndarray) -> list[str]:
        """The content hashes stored in rows, as 32 hex digits each."""
        digits = gather(self.content_hashes, slots).astype(">u8").tobytes().hex()
        return [digits[start : start + 32] for start in range(0, len(digits), 32)]

    def room(self) -> int:
        """Rows that can still be appended."""
        return len(self._free) + self.capacity - self.used

    def expired(self, horizon: float) -> np.ndarray:
        """The slots of live rows whose event time is before ``horizon``."""
        times = self.times[: self.used]
        return np.flatnonzero((times < horizon) & (times != -np.inf))

    def live(self) -> np.ndarray:
        """The slots holding rows, in arrival order."""
        slots = np.flatnonzero(self.times[: self.used] != -np.inf)
        return slots[np.argsort(self.seqs[slots], kind="stable")]

    def earlier(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (i, row): earlier rows with the same values as ``slots[i]`` in some band of the signature, in some
        key of the lead or in some figure key, sorted by i then row (see ``_Chains.walk``)."""
        found = [
            chains.walk(slots, self._arrivals, values)
            for chains, values in zip(self._chains, self._compared_values(), strict=True)
        ]
        owners, rows = np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])
        # (i, row) as one integer, row in the low bits (rows are below 2**24): shifts, not a division by the capacity.
        pairs = distinct(owners << _ROW_BITS | rows)
        return pairs >> _ROW_BITS, pairs & ((1 << _ROW_BITS) - 1)

    def equal_values(self, rows: np.ndarray, mine: np.ndarray) -> np.ndarray:
        """Pair by pair, how many signature values rows ``rows`` and ``mine`` have equal (intp), a chunk of pairs at
        a time; counted as bytes in 16 bits (``count_nonzero`` along an axis takes twice as long; ``num_perm`` is
        far below 65,536)."""
        equal = np.empty(len(rows), dtype=np.intp)
        for start in range(0, len(rows), EQUAL_CHUNK):
            chunk = slice(start, start + EQUAL_CHUNK)
            same = gather(self.signatures, rows[chunk]) == gather(self.signatures, mine[chunk])
            equal[chunk] = same.view(np.uint8).sum(axis=1, dtype=np.uint16)
        return equal

    def set_decision(self, slot: int, key: ClusterKey, revision_of: str | None, kind: int, similarity: float) -> None:
        """Record the decision taken on the article in ``slot``."""
        self.canonical[slot], self.revision_of[slot] = key, revision_of
        self.kinds[slot], self.similarities[slot] = kind, similarity

    def grow(self, extra: int) -> None:
        """Move the live rows, in arrival order, to arrays with room for ``extra`` more and at most two thirds
        full, and rebuild the chains."""
        rows = self.live()
        old = {name: getattr(self, name) for name in _ARRAYS}
        ids, canonical, revision_of = self.ids, self.canonical, self.revision_of
        capacity = self.capacity
        while len(rows) + extra > capacity or len(rows) > capacity / GROWTH:
            capacity = int(capacity * GROWTH)
        self._allocate(capacity)
        for name, values in old.items():
            getattr(self, name)[: len(rows)] = values[rows]
        for slot, row in enumerate(rows.tolist()):
            self.ids[slot], self.canonical[slot], self.revision_of[slot] = ids[row], canonical[row], revision_of[row]
            self.slot_of[ids[row]] = slot
            self._id_bytes += sys.getsizeof(ids[row])
        self.used = len(rows)
        self._chain(np.arange(self.used))

    def _chain(self, slots: np.ndarray) -> None:
        """Link new rows (given in arrival order) into their buckets' chains."""
        for chains, banded in zip(self._chains, self._banded_values(), strict=True):
            chains.link(slots, banded[slots])

    def banded(self, signatures: np.ndarray) -> np.ndarray:
        """Signatures as [rows, bands, rows_per_band], the values each LSH band is made of (a view, not a copy)."""
        return signatures[:, : self.bands * self.rows_per_band].reshape(len(signatures), self.bands, self.rows_per_band)

    def _compared_values(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each chain table's values of every row as [rows, bands] items compared whole: each band of the
        signature as one opaque item of its bytes (a strided view, not a copy), the lead's keys, the figure keys."""
        band = np.dtype((np.void, self.signatures.itemsize * self.rows_per_band))
        strides = (self.signatures.strides[0], band.itemsize)
        return np.ndarray((self.capacity, self.bands), band, self.signatures, strides=strides), self.leads, self.figures

    def _banded_values(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each chain table's values of every row, [rows, bands, values per band]: the signature's bands, the
        lead's keys and the figure keys (one a band)."""
        return self.banded(self.signatures), self.leads[:, :, None], self.figures[:, :, None]


class RowNumbers:
    """A flat array of row numbers (or ``NO_ROW``) in three bytes each, for rows below ``MAX_ROWS``: the chain
    tables' heads and links, which are most of the index's memory after the signatures, at three quarters of int32's.

    A value is stored as row + 1 (0: ``NO_ROW``) in three little-endian bytes and read as the low three bytes of a
    four-byte word at its place (a strided view over the bytes, one spare byte at the end for the last).
    """

    def __init__(self, size: int) -> None:
        self._bytes = np.zeros(3 * size + 1, dtype=np.uint8)
        self._words = np.ndarray((size,), dtype="<u4", buffer=self._bytes, strides=(3,))

    @property
    def nbytes(self) -> int:
        return self._bytes.nbytes

    def __getitem__(self, at: np.ndarray) -> np.ndarray:
        """The row numbers at ``at`` (int32, ``NO_ROW`` where none)."""
        return self.raw(at).view(np.int32) - 1

    def raw(self, at: np.ndarray | slice) -> np.ndarray:
        """The stored form at ``at`` (uint32): row + 1, 0 where none, unless ``put`` stored more in the spare bits; a
        slice reads a strided view (every link of one band: no gather)."""
        return self._words[at] & 0xFFFFFF

    def __setitem__(self, at: np.ndarray, rows: np.ndarray) -> None:
        """Store ``rows`` (row numbers or ``NO_ROW``) at ``at``; an index given twice keeps its last value."""
        self.put(at, np.asarray(rows, dtype=np.int64) + 1)

    def put(self, at: np.ndarray, raw: np.ndarray) -> None:
        """Store values in their stored form (``raw``: below 2**24) at ``at``; an index given twice keeps its last."""
        stored = np.atleast_1d(raw).astype("<u4").view(np.uint8).reshape(-1, 4)
        place = 3 * np.atleast_1d(np.asarray(at, dtype=np.intp))
        # Byte by byte: three scatters of bytes take a third of the time of one scatter of three-byte void items.
        for byte in range(3):
            self._bytes[place + byte] = stored[:, byte]


class _Chains:
    """One banded LSH table: a bucket-head table per band and a "previous in my bucket" pointer per row and band.

    A band whose values are all 0 (a row without a lead, a long article's figure keys) is left out of its bucket.
    """

    def __init__(self, capacity: int, bands: int) -> None:
        self.bands = bands
        self._band_index = np.arange(bands)
        self._stride = np.intp(bands)  # a numpy scalar: int32 row numbers times it are computed in intp
        # Buckets per band: a power of two near half the rows, so a chain holds one or two strangers on average.
        self.buckets = 1 << max((capacity // 2 - 1).bit_length(), 1)
        self.heads = RowNumbers(bands * self.buckets)  # flat: band * buckets + bucket
        # Flat: row * bands + band. Its words are tagged links (below): ``walk`` reads them through ``raw`` and the
        # row mask; indexing would return the tag bits as part of the row number.
        self.previous = RowNumbers(capacity * bands)
        # A link's stored form is row + 1 in its low bits and, in the bits the capacity leaves spare, a tag of the
        # linking row's own band value (bits of its hash that do not choose the bucket): a walk reads it with the
        # link it reads anyway, and drops most strangers without reading their rows' values.
        self._row_bits = capacity.bit_length()
        self._row_mask = np.uint32((1 << self._row_bits) - 1)
        self._tag_mask = _U64((1 << (24 - self._row_bits)) - 1)

    def link(self, slots: np.ndarray, banded: np.ndarray) -> None:
        """Link new rows (in arrival order; ``banded``: their values) into their buckets' chains, all bands at
        once: sort the (band, bucket) keys, link each row to the one before it with the same key, the first of
        each key to the old head."""
        if not len(slots):
            return
        hashes = self._hashes(banded)
        keys = (self._band_index * self.buckets + self._bucket(hashes)).ravel()  # flat index into the heads
        tags = (hashes & self._tag_mask).astype(np.int64).ravel() << self._row_bits
        arrival = np.repeat(np.arange(len(slots)), self.bands)
        band_of = np.tile(self._band_index, len(slots))
        used = any_across(banded != 0).ravel()
        if not used.all():
            self.previous[slots[arrival[~used]] * self._stride + band_of[~used]] = NO_ROW
            keys, tags, arrival, band_of = keys[used], tags[used], arrival[used], band_of[used]
        if not len(keys):  # no row of the batch has values here (sketches of a form without a lead)
            return
        order = np.argsort(keys * len(slots) + arrival)  # by key, then arrival (unique: no need for a stable sort)
        ordered, row_of, band_of = keys[order], slots[arrival[order]], band_of[order]
        heads = self.heads
        first = np.concatenate(([True], ordered[1:] != ordered[:-1]))
        previous = np.where(first, heads[ordered], np.concatenate(([NO_ROW], row_of[:-1])))
        self.previous.put(row_of * self._stride + band_of, (previous + 1) | tags[order])
        last = np.concatenate((ordered[1:] != ordered[:-1], [True]))
        heads[ordered[last]] = row_of[last]

    def unlink(self, slots: np.ndarray, banded: np.ndarray, arrivals: np.ndarray, times: np.ndarray) -> None:
        """Take evicted rows (``slots``, ascending; ``banded``: their values; ``times``: -inf at them) out of the chains
        where held rows are behind them: eviction goes by event time, so a row can leave before older rows of its
        buckets (a copy that arrived later with an earlier time, an article updated), and its slot, once reused, would
        end the walks to them. The head or link naming a run of evicted rows is set to the held row behind the run,
        and a head naming an evicted row with none held behind is cleared: a chain's held rows stay ahead of its
        evicted ones, so the held row behind an evicted one is found through rows of this batch only."""
        at, band = np.nonzero(any_across(banded != 0))  # a band without values is in no bucket
        rows = slots[at].astype(np.intp)
        keys = band * self.buckets + self._buckets_of(banded)[at, band]
        behind, inside = self._held_behind(rows, band, arrivals, times)
        named = self.heads[keys] == rows
        self.heads[keys[named]] = behind[named]
        cut = (behind != NO_ROW) & ~named & ~inside  # a run's first row: the link to it is set past the whole run
        self._relink(keys[cut], rows[cut], band[cut], behind[cut], arrivals, times)

    def _held_behind(
        self, rows: np.ndarray, band: np.ndarray, arrivals: np.ndarray, times: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """For evicted rows' bands, the first held row their chain reaches through rows of the batch (or ``NO_ROW``),
        and whether a row of the batch links to them; runs of the batch's rows followed by pointer jumping: a few
        rounds, however long a run."""
        links = rows * self._stride + band  # ascending, as the slots are
        on = (self.previous.raw(links) & self._row_mask).astype(np.intp)  # row + 1, 0 for none
        valid = arrivals[on] < arrivals[rows + 1]  # a reused slot (a newer row) ends the chain, as in ``walk``
        held = valid & (times[on - 1] != -np.inf)
        evicted = np.flatnonzero(valid & ~held)  # by this batch or before: only the first have pairs here
        wanted = (on[evicted] - 1) * self._stride + band[evicted]
        place = np.minimum(np.searchsorted(links, wanted), len(links) - 1)
        batch = links[place] == wanted
        following = np.full(len(links), -1)
        following[evicted[batch]] = place[batch]
        pending = following >= 0
        inside = np.zeros(len(links), dtype=bool)
        inside[place[batch]] = True
        behind = np.where(held, on - 1, NO_ROW)
        while pending.any():
            waiting = np.flatnonzero(pending)
            ahead = following[waiting]
            settled = ~pending[ahead]
            behind[waiting[settled]] = behind[ahead[settled]]
            pending[waiting[settled]] = False
            following[waiting[~settled]] = following[ahead[~settled]]
        return behind, inside

    def _relink(
        self,
        keys: np.ndarray,
        rows: np.ndarray,
        band: np.ndarray,
        behind: np.ndarray,
        arrivals: np.ndarray,
        times: np.ndarray,
    ) -> None:
        """Set the link naming each of ``rows`` in ``band`` (of bucket ``keys``), found by a walk from the bucket's
        head, to ``behind``; the linking row's tag kept. The walk is bounded at ``4 * MAX_CHAIN`` hops; a row it does
        not reach is found by a scan of its band's links (``_relink_scanned``): out of any lookup's reach now, the
        held rows behind it come within it once the rows ahead leave the window first."""
        mask, unfound = self._row_mask, np.ones(len(rows), dtype=bool)
        walking = np.flatnonzero(self.heads[keys] != NO_ROW)
        current = self.heads[keys[walking]].astype(np.intp)
        for _ in range(4 * MAX_CHAIN):
            if not len(walking):
                break
            links = current * self._stride + band[walking]
            words = self.previous.raw(links)
            on = (words & mask).astype(np.intp)
            valid = arrivals[on] < arrivals[current + 1]  # the chain ends as a walk's does
            found = (on - 1 == rows[walking]) & valid
            self.previous.put(links[found], (words[found] & ~mask) | (behind[walking[found]] + 1).astype(np.uint32))
            unfound[walking[found]] = False
            going = ~found & valid
            walking, current = walking[going], on[going] - 1
        if unfound.any():
            self._relink_scanned(rows[unfound], band[unfound], behind[unfound], arrivals, times)

    def _relink_scanned(
        self, rows: np.ndarray, band: np.ndarray, behind: np.ndarray, arrivals: np.ndarray, times: np.ndarray
    ) -> None:
        """Set the link naming each of ``rows`` in ``band`` to ``behind``: the one held row whose link leads to it (to
        an older row, as walks follow links), among all rows' links of the band. Rare: a row evicted more than the
        walk's bound deep with held rows behind it; a read of every row's link in each band concerned."""
        mask = self._row_mask
        for each in np.unique(band).tolist():
            mine = np.flatnonzero(band == each)
            order = np.argsort(rows[mine])
            targets = rows[mine][order] + 1
            column = self.previous.raw(slice(each, None, self.bands))
            namers = np.flatnonzero(np.isin(column & mask, targets))
            namers = namers[(times[namers] != -np.inf)]  # an evicted row's link can still name it
            links = namers * self._stride + each
            words = column[namers]
            on = (words & mask).astype(np.intp)
            valid = arrivals[on] < arrivals[namers + 1]  # not a link to the slot's earlier row
            links, words, on = links[valid], words[valid], on[valid]
            linked = behind[mine][order][np.searchsorted(targets, on)] + 1
            self.previous.put(links, (words & ~mask) | linked.astype(np.uint32))

    def walk(self, slots: np.ndarray, arrivals: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (i, row): earlier rows with the same value as ``slots[i]`` in some band (``values``: every row's
        value of each band, [rows, bands], compared whole), unsorted, a pair possibly more than once.

        Each row's chains lead, newest first, to the rows put in its buckets before it: what a lookup made just
        before the row was appended would have found. A link to a row newer than the one it leaves from points
        into a reused slot: the chain ends there. The strangers a bucket also holds (one or two in a chain on
        average, other band values hashed to the same bucket) are walked through like the others and dropped at
        the end, on the band's values, before anything reads their whole rows; a row found only as a stranger
        (its own band's chain cut at ``MAX_CHAIN``) is dropped with them.

        ``arrivals``: every row's arrival (``seq``) at ``row + 1``, after an arrival no row reaches at 0, so that the
        links' stored form (row + 1, 0 for none) reads it as is, and a missing link ends its walk like a reused
        slot. A link of the walk carries its article, its band's offset from its row's links and the arrival of
        the row it left (no division: an int64 modulo costs as much as the random read of the link).
        """
        links, stride, mask, shift = self.previous, self._stride, self._row_mask, self._row_bits
        owner = np.repeat(np.arange(len(slots)), self.bands)
        offset = np.tile(self._band_index - stride, len(slots))  # band b's link of row r: (r + 1) * stride + offset
        words = links.raw((slots[:, None] * stride + self._band_index).reshape(-1))
        numbers, wanted = words & mask, words >> shift  # the first links, and the tags of the rows' own values
        left = arrivals[slots + 1].repeat(self.bands)
        found_owners, found_numbers, found_offsets = [], [], []
        for _ in range(MAX_CHAIN):
            arrived = arrivals[numbers]
            live = np.flatnonzero(arrived < left)
            if not len(live):
                break
            owner, numbers, offset, left, wanted = owner[live], numbers[live], offset[live], arrived[live], wanted[live]
            words = links.raw(numbers * stride + offset)  # the rows reached: their links on, and their own tags
            tagged = np.flatnonzero(words >> shift == wanted)
            found_owners.append(owner[tagged])
            found_numbers.append(numbers[tagged])
            found_offsets.append(offset[tagged])
            numbers = words & mask
        owner, rows, band = (
            np.concatenate([np.empty(0, dtype=np.intp), *found])
            for found in (found_owners, found_numbers, found_offsets)
        )
        rows -= 1
        band += stride
        same = values[rows, band] == values[slots][owner, band]
        return owner[same], rows[same]

    def _buckets_of(self, banded: np.ndarray) -> np.ndarray:
        """The bucket of each row in each band."""
        return self._bucket(self._hashes(banded))

    def _bucket(self, hashes: np.ndarray) -> np.ndarray:
        """The buckets of band hashes: their high bits (the low ones make the tags)."""
        return (hashes >> _U64(32)).astype(np.int64) & (self.buckets - 1)

    @staticmethod
    def _hashes(banded: np.ndarray) -> np.ndarray:
        """Each row's values of each band folded and mixed into one 64-bit key."""
        bands = banded.astype(np.uint64)
        with np.errstate(over="ignore"):
            keys = np.zeros(bands.shape[:2], dtype=np.uint64)
            for row in range(bands.shape[2]):
                keys = keys * _BAND_MIX ^ bands[:, :, row]
            keys = (keys ^ (keys >> _U64(31))) * _MIX_1
            return (keys ^ (keys >> _U64(29))) * _MIX_2


def split_hash(content_hash: str) -> tuple[int, int]:
    """A 128-bit hex content hash as two 64-bit integers."""
    return int(content_hash[:16], 16), int(content_hash[16:32], 16)


# The per-row arrays that hold a sketch, in the order of ``Sketches``' fields, then the others.
_SKETCH_ARRAYS = (
    "signatures",
    "sizes",
    "numbers",
    "names",
    "fact_counts",
    "edges",
    "edge_words",
    "edge_counts",
    "leads",
    "figures",
)
_ARRAYS = (*_SKETCH_ARRAYS, "times", "content_hashes", "seqs", "kinds", "similarities", "counted")
