"""Paragraphs many stories share: an outlet's wrapper (newsletter prompt, copyright line, "read more").

The index counts, for the first and last paragraphs of every first copy in the window, how many first copies hold
each, in a count-min sketch (two rows of saturating 16-bit counters, eight per row of the index, so a count is
never too low and seldom too high). A paragraph that the first copies of several stories hold is none of them's
own text: two copies that share it share nothing for that, and a copy wrapped in it holds that much less story.
"""

from __future__ import annotations

import numpy as np

from workers.dedup.sketch import gather

__all__ = ["ParagraphCounts"]

_SEEDS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F], dtype=np.uint64)  # odd multipliers, one per row
_MAX = np.iinfo(np.uint16).max
COLUMNS_PER_ROW = 8  # counters per row of the index and sketch row: six paragraphs per article at most, spread thin


class ParagraphCounts:
    """How many first copies hold each paragraph hash, never under-counted."""

    def __init__(self, capacity: int) -> None:
        self.bits = max(int(COLUMNS_PER_ROW * capacity - 1).bit_length(), 10)
        self.counts = np.zeros((len(_SEEDS), 1 << self.bits), dtype=np.uint16)
        self._row_starts = np.arange(len(_SEEDS), dtype=np.intp)[:, None] << self.bits  # in the flat counts

    @property
    def nbytes(self) -> int:
        return self.counts.nbytes

    def _columns(self, hashes: np.ndarray) -> np.ndarray:
        """The counter of each hash in each row: [rows, hashes]."""
        with np.errstate(over="ignore"):
            mixed = hashes.astype(np.uint64)[None, :] * _SEEDS[:, None]  # multiply-shift: the top bits
        return (mixed >> np.uint64(64 - self.bits)).astype(np.intp)

    def add(self, hashes: np.ndarray, step: int = 1) -> None:
        """Count each of ``hashes`` once more (``step`` -1: once less)."""
        if not len(hashes):
            return
        for row, columns in enumerate(self._columns(hashes)):
            unique, times = np.unique(columns, return_counts=True)
            counts = self.counts[row, unique].astype(np.int64) + step * times
            self.counts[row, unique] = np.clip(counts, 0, _MAX)

    def count(self, hashes: np.ndarray) -> np.ndarray:
        """The (never lower) count of each hash, in the shape of ``hashes``."""
        # ``gather`` on the flat counters: half the time of fancy indexing on the 2-D array (every candidate pair asks)
        counts = gather(self.counts.reshape(-1), self._columns(hashes.reshape(-1)) + self._row_starts)
        return counts.min(axis=0).reshape(hashes.shape)
