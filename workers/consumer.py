"""Faust's Kafka consumer, committing the pipeline's source topics by what was published, not by what was acked.

See ``workers.offsets`` for why Faust's acks cannot say what is done. The agents tell the consumer which
messages' outputs were delivered (``published``); for the source topics the commit is the ledger's, for any
other topic (the dedup tables' changelogs) Faust's own. A source message Faust acks without it having been
published (a stream skips it), or reads past and drops on its way to a stream, leaves a hole; the consumer
seeks back to the hole at a commit, so the message is read again instead of holding the commit back until
the next rebalance. At each revocation the
consumer logs, per source partition, what it committed against what Faust had acked.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, EventT, Message

from workers.offsets import CommitLedger, PartitionLedger

log = logging.getLogger(__name__)


class LedgerConsumer(faust_aiokafka.Consumer):
    """Commits a source partition up to its first message fetched whose outputs were not delivered yet."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ledger = CommitLedger()
        self._unpublished: dict[TP, int] = {}  # per source partition, the first offset acked but not published
        self._dropped: dict[TP, int] = {}  # per source partition, the position seen dropped at the last commit
        self._drained: dict[TP, int] = {}  # per source partition, the last offset Faust's delivery loop let go
        self._waiting: Message | None = None  # the message Faust's delivery loop is handing to the streams now
        self._on_their_way: dict[TP, set[int]] = {}  # per partition sought back, offsets not to deliver again
        self.callback = self._delivering(self.callback)

    def _delivering(self, deliver: Callable[[Message], Awaitable[None]]) -> Callable[[Message], Awaitable[None]]:
        """Faust's delivery to the streams, noting how far it got: a message behind it is on its way, not dropped.

        Faust hands fetched messages to the streams one by one, and a delivery can wait long (flow control in a
        rebalance, a full producer buffer); the messages behind it are in no queue and no stream meanwhile.
        """

        async def deliver_noted(message: Message) -> None:
            self._waiting = message
            try:
                await deliver(message)
            finally:  # delivered, or cancelled (dropped): either way the loop is past it
                self._waiting = None
                if self._is_source(message.tp):
                    self._drained[message.tp] = message.offset

        return deliver_noted

    def _is_source(self, tp: TP) -> bool:
        return tp.topic in self.app.source_topics  # type: ignore[attr-defined]  # a PipelineApp

    def published(self, events: Sequence[EventT]) -> None:
        """Note that every output of these events' messages was delivered."""
        self.ledger.published((event.message.tp, event.message.offset) for event in events)

    async def _getmany(self, active_partitions: set[TP] | None, timeout: float) -> Any:
        """Fetch records; each source partition's ledger notes every record fetched, before Faust may drop some
        on the way to the streams (a paused partition's, those of a batch cut short by a rebalance). Records
        whose outputs are out already (read again after a seek back to a hole before them) are left out."""
        records = await super()._getmany(active_partitions, timeout)
        for tp in [tp for tp in records if self._is_source(tp)]:
            on_their_way = self._on_their_way.get(tp, ())
            fresh = [r for r in records[tp] if r.offset not in on_their_way and self.ledger.fetched(tp, r.offset)]
            if fresh:
                records[tp] = fresh
            else:
                del records[tp]
        return records

    def ack(self, message: Message) -> bool:
        """Faust's ack; a source message acked but never published (skipped by a stream) is noted, to read again."""
        ledger = self.ledger.get(message.tp) if self._is_source(message.tp) else None
        stale = message.generation_id != self.app.consumer_generation_id  # the rebalance's seek reads it again
        if ledger is not None and not stale and not ledger.done(message.offset):
            self._unpublished.setdefault(message.tp, message.offset)
        return super().ack(message)

    async def commit(self, *args: Any, **kwargs: Any) -> bool:
        """Read the holes of the source partitions again, then commit (every few seconds)."""
        await self._read_holes_again()
        return await super().commit(*args, **kwargs)

    async def _read_holes_again(self) -> None:
        """Seek each source partition with a hole back to it: without a rebalance nothing else would read it again.

        A hole is a message Faust acked without it being published (a stream skipped it), or one Faust read
        past but that is nowhere in the worker, neither queued for a stream nor in one, at two commits in a
        row (it was dropped on its way to the stream). Not while rebalancing or stopping: a rebalance ends
        with a seek to the committed offsets anyway, and a stopping worker reads nothing more. A message acked
        unpublished is read again from itself: the messages before it may still be on their way through a stage
        (if one was dropped instead, the check for dropped messages finds it).
        """
        acked, self._unpublished = self._unpublished, {}
        if self.app.rebalancing or self.should_stop or self.app.should_stop:
            self._dropped.clear()
            return
        seen, self._dropped = self._dropped, self._dropped_now()
        dropped = {tp: position for tp, position in self._dropped.items() if seen.get(tp) == position}
        for tp, offset in {**dropped, **acked}.items():
            ledger = self.ledger.get(tp)
            if ledger is None or ledger.done(offset):
                continue  # published since, or no longer owned
            position = offset if tp in acked else ledger.committable()
            log.warning(
                "%s[%d]: offset %d was %s but never published; reading again from %d",
                tp.topic,
                tp.partition,
                offset,
                "acked by Faust" if tp in acked else "read past and dropped",
                position,
                extra={"topic": tp.topic, "partition": tp.partition, "offset": offset},
            )
            self._on_their_way[tp] = self._still_on_their_way(tp, ledger) - {offset}
            await self.seek(tp, position)
            self._drained.pop(tp, None)  # the loop will let the hole go again, or deliver it

    def _still_on_their_way(self, tp: TP, ledger: PartitionLedger) -> set[int]:
        """Offsets of ``tp`` read and not published that are on their way still: in a stream, queued for one, or
        behind a delivery that waits. A seek back to a hole reads them again; they are not delivered twice."""
        in_streams = {message.offset for message in self._unacked_messages if message.tp == tp}
        queued = {
            event.message.offset
            for channel in self._channels(tp)
            for event in list(channel.queue._queue)
            if event.message.tp == tp
        }
        return {
            offset
            for offset in ledger.unpublished()
            if offset in in_streams or offset in queued or self._behind_a_waiting_delivery(tp, offset)
        }

    def _behind_a_waiting_delivery(self, tp: TP, offset: int) -> bool:
        """Whether Faust's delivery loop waits on a message and has not let ``offset`` of ``tp`` go yet."""
        return self._waiting is not None and self._drained.get(tp, -1) < offset

    def _channels(self, tp: TP) -> Iterable[Any]:
        """The channels (streams' queues) Faust delivers the messages of ``tp`` to."""
        return self.app.topics._topic_name_index.get(tp.topic, ())  # type: ignore[attr-defined]

    def _dropped_now(self) -> dict[TP, int]:
        """Source partitions whose first message fetched and not published is in no stream's queue nor in a stream,
        nor behind a delivery that waits.

        In a stream means the message at the hole itself: an unacked message of the partition that a stream
        never lets go (one from before a rebalance, say) must not hide the hole for good.
        """
        in_flight = {(message.tp, message.offset) for message in self._unacked_messages}
        dropped = {}
        for tp in self.ledger.partitions():
            ledger = self.ledger.get(tp)
            if ledger is None or not ledger.in_flight:
                continue
            hole = ledger.committable()
            if (tp, hole) in in_flight or self._behind_a_waiting_delivery(tp, hole):
                continue  # in a stream, or on its way behind a delivery that waits
            if all(channel.queue.empty() for channel in self._channels(tp)):
                dropped[tp] = hole
        return dropped

    async def perform_seek(self) -> None:
        """Seek to the committed offsets (Faust does after each rebalance), and start the ledgers there."""
        await super().perform_seek()
        self._drained.clear()
        self._on_their_way.clear()
        self._unpublished.clear()  # the holes noted before are read again from the committed offsets
        self._dropped.clear()
        sources = [tp for tp in self.assignment() if self._is_source(tp)]
        never_committed = [tp for tp in sources if self._committed_offset.get(tp) is None]
        earliest = await self.earliest_offsets(*never_committed) if never_committed else {}
        for tp in sources:
            committed = self._committed_offset.get(tp)
            self.ledger.start(tp, committed if committed is not None else earliest[tp])

    def _filter_tps_with_pending_acks(self, topics: Iterable[TP | str] | None = None) -> Iterator[TP]:
        wanted = set(super()._filter_tps_with_pending_acks(topics))
        wanted.update(tp for tp in self.ledger.partitions() if topics is None or tp in topics or tp.topic in topics)
        return iter(wanted)

    def _new_offset(self, tp: TP) -> int | None:
        if not self._is_source(tp):
            return super()._new_offset(tp)
        self._acked.pop(tp, None)  # Faust's acks of this partition are not used: drop them, they only grow
        self._acked_index.pop(tp, None)
        self._gap.pop(tp, None)
        return self.ledger.committable(tp)

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        """Let Faust drain and commit (the ledger's offsets, for sources), log what was committed, drop the ledgers."""
        sources = sorted(tp for tp in revoked if self._is_source(tp))
        acked = {tp: max(self._acked.get(tp) or [-1]) for tp in sources}
        before = {tp: self._committed_offset.get(tp) for tp in sources}
        await super().on_partitions_revoked(revoked)
        for tp in sources:
            ledger = self.ledger.get(tp)
            log.info(
                "revoked %s[%d]: committed %s then %s (the ledger's: %s, %d read and not published); "
                "Faust had acked up to %s",
                tp.topic,
                tp.partition,
                before[tp],
                self._committed_offset.get(tp),
                ledger.position if ledger else None,
                ledger.in_flight if ledger else 0,
                acked[tp] if acked[tp] >= 0 else None,
                extra={"topic": tp.topic, "partition": tp.partition},
            )
        self.ledger.forget(sources)


class LedgerTransport(faust_aiokafka.Transport):
    """The aiokafka transport with the ledger's consumer."""

    Consumer: ClassVar[type[faust_aiokafka.Consumer]] = LedgerConsumer


class PipelineApp(faust.App):
    """The pipeline's Faust app: it knows its source topics, and its consumer commits them by the ledger."""

    def __init__(self, *args: Any, source_topics: Iterable[str], **kwargs: Any) -> None:
        self.source_topics = frozenset(source_topics)
        super().__init__(*args, **kwargs)

    def _new_transport(self) -> LedgerTransport:
        return LedgerTransport(self.conf.broker_consumer, self)

    def current(self, events: Sequence[EventT]) -> list[EventT]:
        """The events of this consumer generation. A batch taken before a rebalance may hold older ones: the
        rebalance's seek to the committed offsets reads them again (here or in another worker), so processing
        them would publish their records twice."""
        generation = self.consumer_generation_id
        return [event for event in events if event.message.generation_id == generation]

    def published(self, events: Sequence[EventT]) -> None:
        """Tell the consumer these events' outputs were delivered: their offsets may be committed."""
        self.consumer.published(events)  # type: ignore[attr-defined]  # a LedgerConsumer
