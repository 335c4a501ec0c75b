"""Which offset of a source partition may be committed: the first one read whose outputs are not delivered yet.

Faust commits the offsets its streams acked, and it acks messages it never handed to an agent: a stream
acks, unprocessed, a message of an older consumer generation or one met while flow control is suspended
(both happen in a rebalance), and its batching stream acks a batch when the batch's generator closes,
published or not. This ledger counts a message as done only once the records derived from it were delivered,
and commits a partition only up to the first message read and not yet done. Such a hole holds the commit back
until the message is read again (the consumer seeks back to the hole when Faust acks a message that was not
published; Faust seeks to the committed offset after every rebalance), so a fault costs a replay, never a
message. Offsets where no message is (transaction markers, compaction, retention) are no holes: the ledger
knows the messages that were read, not the offsets that should exist.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable


class PartitionLedger:
    """One source partition: the offset to commit, and the messages read beyond it whose outputs are not out yet.

    A partition's offsets need not be contiguous: a transaction's commit marker, a compacted key or a retention
    cut (a committed offset older than the log's start) leaves offsets no message will ever come from. So the
    ledger counts what was read (``fetched``, in offset order, as the consumer reads a partition), not what
    should exist: an offset is committable once every message read before it was published.
    """

    __slots__ = ("_next", "_pending", "_published", "position")

    def __init__(self, position: int) -> None:
        self.position = position  # the offset to commit: every message before it is done
        self._next = position  # one past the last offset read
        self._pending: set[int] = set()  # read, outputs not yet delivered
        self._published: set[int] = set()  # at or past the position, outputs delivered

    def fetched(self, offset: int) -> bool:
        """Note that the message at ``offset`` was read; False if its outputs are out already (skip it).

        A partition sought back to a hole reads again the messages after the hole too: those published since
        are not handed to the streams a second time, but count as read (a batch of an older generation may have
        published them before this ledger read them). Only a message known to be published is skipped: one
        never read before is noted, whatever was read after it.
        """
        if offset >= self.position:
            self._next = max(self._next, offset + 1)
        if self.done(offset):
            return False
        self._pending.add(offset)
        return True

    def published(self, offset: int) -> None:
        """Note that every record derived from the message at ``offset`` was delivered."""
        self._pending.discard(offset)
        if offset >= self.position:
            self._published.add(offset)

    def committable(self) -> int:
        """The offset to commit: the first message read and not yet published, else one past the last read."""
        self.position = min(self._pending, default=self._next)
        self._published = {offset for offset in self._published if offset >= self.position}
        return self.position

    def done(self, offset: int) -> bool:
        """Whether the message at ``offset`` is committed or published."""
        return offset < self.position or offset in self._published

    def passed(self, offset: int) -> None:
        """Note that no message lies between what was read and ``offset`` (a read from there returned none, only
        moved the position: a transaction's commit marker), so nothing read holds the commit before it."""
        if not self._pending:
            self._next = max(self._next, offset)

    def unpublished(self) -> set[int]:
        """The offsets read whose outputs are not delivered yet."""
        return set(self._pending)

    @property
    def in_flight(self) -> int:
        """Messages read whose outputs are not delivered yet (a batch in the stage, or a hole to read again)."""
        return len(self._pending)


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

    def fetched(self, tp: Hashable, offset: int) -> bool:
        """Note that the message at ``offset`` of ``tp`` was read; False if it is done already (skip it).

        A message of a partition not owned is not noted, and not skipped.
        """
        ledger = self._partitions.get(tp)
        return True if ledger is None else ledger.fetched(offset)

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
