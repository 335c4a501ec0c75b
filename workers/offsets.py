"""Which offset of a source partition may be committed: one past the gap-free run of published offsets.

Faust commits the offsets its streams acked, and it acks messages it never handed to an agent: a stream
acks, unprocessed, a message of an older consumer generation or one met while flow control is suspended
(both happen in a rebalance), and its batching stream acks a batch when the batch's generator closes,
published or not. This ledger counts an offset as done only once the records derived from its message were
delivered, and commits only over a run with no hole in it, from the offset the partition was (re)started at.
A hole holds the commit back until the message is read again (the consumer seeks back to the hole when Faust
acks a message that was not published; Faust seeks to the committed offset after every rebalance), so a
fault costs a replay, never a message. The pipeline's
source topics are neither compacted nor written in transactions, so their offsets have no holes of their own.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable


class PartitionLedger:
    """One source partition: the offset to commit, and the offsets published beyond it."""

    __slots__ = ("_published", "position")

    def __init__(self, position: int) -> None:
        self.position = position  # the first offset not known to be published: the offset to commit
        self._published: set[int] = set()

    def published(self, offset: int) -> None:
        """Note that every record derived from the message at ``offset`` was delivered."""
        if offset >= self.position:
            self._published.add(offset)

    def committable(self) -> int:
        """The offset to commit: one past the longest run of published offsets from ``position``."""
        while self.position in self._published:
            self._published.remove(self.position)
            self.position += 1
        return self.position

    def done(self, offset: int) -> bool:
        """Whether the message at ``offset`` is committed or published."""
        return offset < self.position or offset in self._published

    @property
    def held_back(self) -> int:
        """Offsets published beyond a hole: done, but not committable until the hole is published."""
        return len(self._published)


class CommitLedger:
    """The ledgers of the source partitions a consumer owns, keyed by topic-partition."""

    def __init__(self) -> None:
        self._partitions: dict[Hashable, PartitionLedger] = {}

    def start(self, tp: Hashable, position: int) -> None:
        """(Re)start ``tp`` at the offset the consumer was sought to; what was noted of it before is dropped."""
        self._partitions[tp] = PartitionLedger(position)

    def forget(self, tps: Iterable[Hashable]) -> None:
        """Drop the partitions this consumer no longer owns."""
        for tp in tps:
            self._partitions.pop(tp, None)

    def published(self, offsets: Iterable[tuple[Hashable, int]]) -> None:
        """Note that the outputs of these messages were delivered (those of partitions not owned are ignored)."""
        for tp, offset in offsets:
            ledger = self._partitions.get(tp)
            if ledger is not None:
                ledger.published(offset)

    def committable(self, tp: Hashable) -> int | None:
        """The offset ``tp`` may be committed at, or None if it has no ledger."""
        ledger = self._partitions.get(tp)
        return None if ledger is None else ledger.committable()

    def get(self, tp: Hashable) -> PartitionLedger | None:
        """The ledger of ``tp``, if it is owned."""
        return self._partitions.get(tp)

    def partitions(self) -> list[Hashable]:
        """The partitions with a ledger."""
        return list(self._partitions)
