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

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import faust
from aiokafka.errors import IllegalStateError, RecordTooLargeError
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, EventT
from faust.web.drivers import aiohttp as faust_aiohttp
from mode import Service

from workers.offsets import CommitLedger
from workers.settings import IsolationLevel
from workers.topics import creating_no_topic

log = logging.getLogger(__name__)

LOST_CHECK_SECONDS = 1.0  # how often the delivery loop looks for messages fetched and lost on their way
STALL_SECONDS = 30.0  # a commit held at one message, or one under way, is logged once every so often
STALL_CHECK_SECONDS = 5.0  # how often the consumer looks for either
# A commit not answered in this time looks whether the cluster still has its partitions' topics. Healthy commits
# take milliseconds; a deleted topic's commit ends about this long after the deletion reached the broker.
COMMIT_CHECK_SECONDS = 1.0
# How often a consumer missing a topic it subscribes to asks the cluster for it again: aiokafka would ask only every
# ``metadata_max_age_ms`` (5 min), so a source topic made again by ``enrich topics`` would wait that long to be
# read, and a changelog Faust made at start that the group's first assignment missed that long to be assigned.
MISSING_CHECK_SECONDS = 5.0


@dataclass(slots=True)
class HeldCommit:
    """A commit held at one place (a source partition's offset, or Faust's commit under way: its future): since when,
    and when that was last logged."""

    at: object
    since: float
    logged: float


def held_at(held: HeldCommit | None, at: object, now: float) -> HeldCommit:
    """``held`` while the commit is still held ``at`` the same place, else a hold that starts now."""
    return held if held is not None and held.at == at else HeldCommit(at, now, now)


class LedgerConsumer(faust_aiokafka.Consumer):
    """Commits a source partition up to its first message fetched whose outputs were not delivered yet."""

    lost_check_seconds: float = LOST_CHECK_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ledger = CommitLedger()
        self._fetching = asyncio.Lock()  # a rebalance's seek waits for the fetch under way
        self._seek_waits = False  # a rebalance's seek waits: the fetch under way is from before it
        self._next_lost_check = 0.0
        self._on_their_way: dict[TP, set[int]] = {}  # per partition sought back, offsets not to deliver again
        self._holding: dict[TP, HeldCommit] = {}  # per source partition with messages in flight
        self._idle: dict[TP, HeldCommit] = {}  # per source partition with none in flight and messages waiting
        self._log_starts: dict[TP, int] = {}  # per source partition never committed, its first offset
        self._read_again_from: dict[TP, int] = {}  # per source partition the idle net sought back, where to
        self._commit_watched: HeldCommit | None = None  # Faust's commit under way

    def _new_consumer_thread(self) -> IsolatedConsumerThread:
        return IsolatedConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def _is_source(self, tp: TP) -> bool:
        return tp.topic in self.app.source_topics  # type: ignore[attr-defined]  # a PipelineApp

    def lists_topic(self, topic: str) -> bool:
        """Whether this consumer's metadata lists ``topic`` with partitions (aiokafka's view of the cluster, as Faust's
        own thread reads it); not the group's assignment, which a worker left without partitions has none of."""
        consumer = self._thread._consumer  # type: ignore[attr-defined]  # None until the consumer started
        return consumer is not None and bool(consumer._client.cluster.partitions_for_topic(topic))

    def committed_offset(self, tp: TP) -> int | None:
        """The offset this group resumes ``tp`` from: its last commit, else (never committed) the log's first offset."""
        committed = self._committed_offset.get(tp)
        return committed if committed is not None else self._log_starts.get(tp)

    def published(self, events: Sequence[EventT]) -> None:
        """Note that every output of these events' messages was delivered."""
        self.ledger.published((event.message.tp, event.message.offset) for event in events)

    async def _getmany(self, active_partitions: set[TP] | None, timeout: float) -> Any:
        """Read lost messages again, then fetch records; each source partition's ledger notes every record fetched.

        Faust calls this from its delivery loop once it has handed every record of the last fetch to the streams
        or dropped it, so no message is on its way between the fetch and a stream here: a message fetched and
        not published is in a stream, queued for one, or lost (see ``_read_lost_again``). Records whose outputs
        are out already, or still on their way in the worker (read again after a seek back), are left out. So are
        the records of a fetch a rebalance's seek waited for (it would come back after the seek with records from
        before it, and a commit could pass the messages between the seek's offset and theirs), and those Faust
        fetches between resuming the streams and that seek (#216), when the partition has no ledger yet: the seek
        reads them all again.
        """
        async with self._fetching:
            if time.monotonic() >= self._next_lost_check:
                self._next_lost_check = time.monotonic() + self.lost_check_seconds
                await self._read_lost_again()
            try:
                records = await super()._getmany(active_partitions, timeout)
            except RecordTooLargeError:  # aiokafka moved a position past a record it could not return
                self._read_again_from.clear()
                raise
            for tp in [tp for tp in records if self._is_source(tp)]:
                if self._seek_waits or (self.ledger.get(tp) is None and self.app.rebalancing):
                    del records[tp]  # from before the rebalance's seek, which reads them again
                    self._read_again_from.pop(tp, None)  # a position moved past them is no sign of no message
                    continue
                on_their_way = self._on_their_way.get(tp, ())
                fresh = [r for r in records[tp] if r.offset not in on_their_way and self.ledger.fetched(tp, r.offset)]
                if fresh:
                    records[tp] = fresh
                else:
                    del records[tp]
            return records

    async def _read_lost_again(self) -> None:
        """Seek each source partition that lost a message back to it: without a rebalance nothing would read it.

        A message fetched and not published that is neither in a stream (taken, not acked) nor queued for one is
        lost: a stream acked it unprocessed (flow control, a closed batch), or Faust dropped it on its way (its
        read-offset check after a seek, a paused partition, a fetch cut short). The partition is read again from
        the first such message; what is still in the worker is not handed over twice. Not while rebalancing or
        stopping: a rebalance ends with a seek to the committed offsets anyway.
        """
        if self.app.rebalancing or self.should_stop or self.app.should_stop:
            return
        in_worker: list[dict[TP, set[int]]] = []  # read once, at the first partition that needs it
        for tp in self.ledger.partitions():
            try:
                await self._read_partition_again(tp, in_worker)
            except (AssertionError, IllegalStateError):
                # aiokafka asserts (highwater) or raises (position, seek) on a partition no longer assigned; its
                # consumer thread can revoke one between any two calls here. Its next owner reads it from the
                # committed offset; on a partition still assigned the error is a real one.
                if tp in self.assignment():
                    raise
                log.info("%s[%d]: revoked while checked for lost messages", tp.topic, tp.partition)

    async def _read_partition_again(self, tp: TP, in_worker: list[dict[TP, set[int]]]) -> None:
        """``_read_lost_again`` for one source partition."""
        ledger = self.ledger.get(tp)
        if ledger is None:
            return
        if not ledger.in_flight:
            await self._read_passed_again(tp, ledger.committable())
            return
        if not in_worker:
            in_worker.append(self._in_worker())
        unpublished = ledger.unpublished()
        lost = unpublished - in_worker[0].get(tp, set())
        if not lost:
            return
        position = min(lost)
        log.warning(
            "%s[%d]: offset %d was fetched but is in no stream and was never published; reading again from it",
            tp.topic,
            tp.partition,
            position,
            extra={"topic": tp.topic, "partition": tp.partition, "offset": position},
        )
        self._on_their_way[tp] = {offset for offset in unpublished - lost if offset > position}
        await self.seek(tp, position)

    async def _read_passed_again(self, tp: TP, unread: int) -> None:
        """Seek a source partition back to its first unread offset when messages wait there and nothing is in the
        worker: the consumer's position passed them without handing them over, and nothing else would read them
        before the next rebalance. The stall would show nowhere else: no hole holds the commit, and the lag
        measured from the position is 0. A read again that finds no message there passes the offsets.

        With the position at the log's end the read again is at once: no fetch under way can bring those offsets,
        and a log ending in a transaction's commit marker (an offset no message holds) stands there after every
        upstream transaction, its commit one short of the end until read again. With the position short of the
        end, a fetch under way may bring the messages waiting, so the net waits until nothing has been read for
        ``STALL_SECONDS`` and warns. Either read is safe at any time: nothing at or past ``unread`` was handed
        over in this generation (nothing is in flight), and a message read again that is done is skipped."""
        if self._read_again_from.get(tp, unread) != unread:
            del self._read_again_from[tp]  # read since it sought back: it found messages (or new ones came)
        highwater = self.highwater(tp)
        if highwater is None or highwater <= unread:
            self._idle.pop(tp, None)
            return
        try:
            at_the_end = await self.position(tp) == highwater
        except IllegalStateError:  # revoked meanwhile: its next owner reads it from the committed offset
            return
        if at_the_end and self._read_again_from.get(tp) == unread:
            self._pass_markers(tp, unread, highwater)
            return
        now = time.monotonic()
        previous = self._idle.get(tp)
        idle = self._idle[tp] = held_at(previous, unread, now)
        if at_the_end:
            log.debug("%s[%d]: at the log's end %d, reading again from %d", tp.topic, tp.partition, highwater, unread)
            await self._read_again(tp, unread)
        elif idle is previous and now - idle.since >= STALL_SECONDS:
            log.warning(
                "%s[%d]: nothing read from offset %d for %.0f s though the log ends at %d; reading again from it",
                tp.topic,
                tp.partition,
                unread,
                now - idle.since,
                highwater,
                extra={"topic": tp.topic, "partition": tp.partition, "offset": unread},
            )
            idle.since = now
            await self._read_again(tp, unread)

    async def _read_again(self, tp: TP, unread: int) -> None:
        """Seek ``tp`` back to ``unread``, remembered so the next look can tell whether a message lay there."""
        await self.seek(tp, unread)
        self._read_again_from[tp] = unread

    def _pass_markers(self, tp: TP, unread: int, position: int) -> None:
        """The read again from ``unread`` moved the position to the log's end with no message: none lies there (a
        log ending in a transaction's commit marker, which consumers skip), so the ledger passes to the end and
        the commit does too instead of staying one short of it. Only to the log's end: a position moved anywhere
        short of it (aiokafka skips a record too large for a fetch by one offset, then raises) is no such sign."""
        ledger = self.ledger.get(tp)
        if ledger is not None:
            ledger.passed(position)
        self._read_again_from.pop(tp, None)
        self._idle.pop(tp, None)
        log.debug(
            "%s[%d]: no message from offset %d to %d (a transaction's marker): committing past it",
            tp.topic,
            tp.partition,
            unread,
            position,
            extra={"topic": tp.topic, "partition": tp.partition, "offset": position},
        )

    def _in_worker(self) -> dict[TP, set[int]]:
        """Per source partition, the offsets of this generation's messages in a stream (taken and not acked) or
        queued for one. An older generation's message is not counted: the rebalance's seek reads it again."""
        generation = self.app.consumer_generation_id
        messages = [message for message in list(self._unacked_messages) if not message.acked]
        for topic in self.app.source_topics:  # type: ignore[attr-defined]  # a PipelineApp
            for channel in self.app.topics._topic_name_index.get(topic, ()):  # type: ignore[attr-defined]
                messages.extend(event.message for event in list(channel.queue._queue))
        in_worker: dict[TP, set[int]] = {}
        for message in messages:
            if message.generation_id == generation and self._is_source(message.tp):
                in_worker.setdefault(message.tp, set()).add(message.offset)
        return in_worker

    @Service.timer(STALL_CHECK_SECONDS)
    async def _watch_commits(self) -> None:
        self.report_stalls()

    def report_stalls(self) -> None:
        """Log a source partition whose commit has been held at one hole for long (a slow stage, a stuck one), and a
        commit under way for long. From a timer of its own: a commit stuck (in the producer's flush that opens it,
        say) never reached the report again when the commit made it, and the worker said nothing at all."""
        now = time.monotonic()
        self._report_holes(now)
        self._report_slow_commit(now)

    def _report_slow_commit(self, now: float) -> None:
        commit = self._commit_fut  # Faust's: set while a commit is under way
        watched = self._commit_watched
        self._commit_watched = None if commit is None else held_at(watched, commit, now)
        if watched is not None and watched is self._commit_watched and now - watched.logged >= STALL_SECONDS:
            watched.logged = now
            log.warning(
                "a commit has been under way for %.0f s (it flushes the producer first; the worker's stacks and "
                "clients' state: kill -USR1)",
                now - watched.since,
            )

    def _report_holes(self, now: float) -> None:
        holding = {}
        for tp in self.ledger.partitions():
            ledger = self.ledger.get(tp)
            if ledger is None or not ledger.in_flight:
                continue
            hole = ledger.committable()
            holding[tp] = held = held_at(self._holding.get(tp), hole, now)
            if now - held.logged >= STALL_SECONDS:
                held.logged = now
                log.warning(
                    "%s[%d]: commit held at offset %d for %.0f s, %d messages read and not published",
                    tp.topic,
                    tp.partition,
                    hole,
                    now - held.since,
                    ledger.in_flight,
                    extra={"topic": tp.topic, "partition": tp.partition, "offset": hole},
                )
        self._holding = holding

    async def perform_seek(self) -> None:
        """Seek to the committed offsets (Faust does after each rebalance), and start the ledgers there.

        Faust's fetcher also seeks when it finds the flow stopped, as a rebalance begins: then the ledgers that
        exist stay, so the revocation commits what was published since the last commit (restarted, they would
        commit the committed offset again, and the next owner would process that work a second time). The flow
        alone cannot tell the two seeks apart: a worker without tables seeks after a rebalance before it resumes
        the flow. So with the flow stopped the partitions without a ledger (revoked, then assigned again) still
        get one; a revocation drops them all, so after a rebalance every ledger starts afresh. A partition never
        committed is sought to its first offset, where its ledger starts: Faust's seek to the committed offsets
        passes it by, and the records of the fetch the seek waited for, left out, would never be read again.
        """
        self._seek_waits = True
        try:
            async with self._fetching:
                self._seek_waits = False
                await super().perform_seek()
                self._on_their_way.clear()
                self._holding.clear()
                self._idle.clear()
                sources = [tp for tp in self.assignment() if self._is_source(tp)]
                if not self.flow_active:
                    sources = [tp for tp in sources if self.ledger.get(tp) is None]
                never_committed = [tp for tp in sources if self._committed_offset.get(tp) is None]
                earliest = await self.earliest_offsets(*never_committed) if never_committed else {}
                self._log_starts.update(earliest)
                for tp in sources:
                    committed = self._committed_offset.get(tp)
                    self.ledger.start(tp, committed if committed is not None else earliest[tp])
                    if committed is None:  # seek_to_committed leaves it where the last fetch (left out) took it
                        await self.seek(tp, earliest[tp])
        finally:
            self._seek_waits = False  # also when Faust's recovery gives up on the seek and cancels it
            self._read_again_from.clear()  # records left out for the seek moved positions: no sign of no message

    def verify_event_path(self, now: float, tp: TP) -> None:
        """Faust's check that streams still take what is fetched, for the source partitions only. A dedup table's
        changelog is read only while the table recovers, so the check took it for a stream that stopped and
        logged an ERROR every 7 s, for as long as the worker ran."""
        if self._is_source(tp):
            super().verify_event_path(now, tp)

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


class IsolatedConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """aiokafka's consumer at the app's isolation level. Faust reads ``read_committed`` only under exactly-once;
    a source written by a transactional producer upstream needs it under at-least-once too, or the records of
    its aborted transactions are processed like any other."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._isolation_level = self.app.isolation_level  # aiokafka hands it to its fetcher at start
        creating_no_topic(consumer._client)  # a source topic deleted under the worker stays missing
        return consumer

    @Service.timer(MISSING_CHECK_SECONDS)
    async def _ask_for_missing_topics(self) -> None:
        """Ask for the metadata again while a topic the consumer subscribes to is missing from it: a source topic
        deleted or not made yet (its clients never create it by asking, ``creating_no_topic``: it comes back when
        ``enrich topics`` makes it), or a changelog Faust has just made that the broker's metadata did not list yet
        when the group's first assignment was made. The assignor leaves such a topic out ("Ignoring missing topic")
        and the dedup worker waited, its first messages unpublished, until aiokafka asked again 5 minutes later
        (a clean-clone CI run at 2de3fe2); the metadata that lists it starts the rebalance that assigns it."""
        consumer = self._consumer
        if consumer is None:
            return
        if missing_topics(consumer.subscription(), consumer._client.cluster.partitions_for_topic):
            await consumer._client.force_metadata_update()

    def highwater(self, tp: TP) -> int:
        """The end of what this consumer can read: under ``read_committed`` the last stable offset (an open
        transaction's records are not readable yet), as Faust's own thread does under exactly-once."""
        if self.app.isolation_level == "read_committed":
            return self._ensure_consumer().last_stable_offset(tp)
        return super().highwater(tp)

    async def _commit(self, offsets: Mapping[TP, int]) -> bool:
        """Faust's commit, bounded by the cluster's metadata (``commit_listed``)."""
        return await commit_listed(super()._commit, offsets, self._ensure_consumer()._client)


class MetadataClient(Protocol):
    """What ``commit_listed`` needs of aiokafka's client: its view of the cluster, and a way to ask again."""

    cluster: Any  # aiokafka's ClusterMetadata: partitions_for_topic

    async def force_metadata_update(self) -> Any: ...


async def commit_listed(
    send: Callable[[dict[TP, int]], Awaitable[bool]], offsets: Mapping[TP, int], client: MetadataClient
) -> bool:
    """``send`` (Faust's commit) of ``offsets``, without the partitions the cluster no longer lists, before it and
    while it waits.

    aiokafka retries a commit the broker refuses with UnknownTopicOrPartition without end, ten requests a second
    (aio-libs/aiokafka#1095): a source topic deleted under the worker held the commit, and with it the rebalance
    and SIGTERM's stop, for good. A commit sent before this consumer's metadata saw the deletion is such a
    commit, so one not answered within ``COMMIT_CHECK_SECONDS`` asks for the metadata again and, if a topic of
    it is gone, is sent again without it. A partition still listed keeps its offset and its wait: a commit slow
    for any other reason is retried by aiokafka as before, never dropped. The offsets of a deleted topic would
    mean nothing on a topic made again. Nothing left to commit, nothing is sent: aiokafka refuses an empty
    commit (ValueError), which crashed the consumer thread.
    """
    left: dict[TP, int] | None = listed_offsets(offsets, client.cluster.partitions_for_topic)
    while left:
        commit = asyncio.ensure_future(send(left))
        try:
            left = await _listed_until_answered(client, commit, left)
        finally:
            _abandon(commit)
        if left is None:
            return commit.result()
    return False


async def _listed_until_answered(
    client: MetadataClient, commit: asyncio.Future[bool], offsets: dict[TP, int]
) -> dict[TP, int] | None:
    """Wait for ``commit`` of ``offsets``: None once answered, or the offsets still listed once the cluster's
    metadata, asked again every ``COMMIT_CHECK_SECONDS`` it waits, no longer lists a partition of it."""
    while not (await asyncio.wait({commit}, timeout=COMMIT_CHECK_SECONDS))[0]:
        await client.force_metadata_update()
        listed = listed_offsets(offsets, client.cluster.partitions_for_topic)
        if len(listed) < len(offsets):
            return listed
    return None


def _abandon(commit: asyncio.Future[bool]) -> None:
    """Cancel ``commit`` unless it is answered (a topic gone, or the wait cancelled: a stop), and retrieve how it
    ends. ``cancel`` marks the outcome of a task already done as retrieved, but a task cancelled in flight that ends
    with an exception other than the cancellation (its coroutine fails cleaning up) had no one to retrieve it:
    asyncio logged "Task exception was never retrieved" when it was collected. Its end is of no use here: its
    offsets are sent again without the topic gone, or the worker is stopping."""
    commit.cancel()
    commit.add_done_callback(_retrieve)


def _retrieve(commit: asyncio.Future[bool]) -> None:
    if not commit.cancelled():
        commit.exception()


def missing_topics(subscribed: Iterable[str], partitions_for_topic: Callable[[str], set[int] | None]) -> list[str]:
    """The ``subscribed`` topics the cluster's metadata (``partitions_for_topic``) lists with no partition."""
    return sorted(topic for topic in subscribed if not partitions_for_topic(topic))


def listed_offsets(offsets: Mapping[TP, int], partitions_for_topic: Callable[[str], set[int] | None]) -> dict[TP, int]:
    """``offsets`` without the partitions the cluster's metadata does not list (``partitions_for_topic``: aiokafka's
    ``ClusterMetadata`` method, None for a topic it does not know), logging them. aiokafka's metadata leaves a topic
    out only on a topic-level error: the topic deleted, or not authorised; either way no commit of it can succeed.
    """
    gone = sorted(tp for tp in offsets if tp.partition not in (partitions_for_topic(tp.topic) or ()))
    if gone:
        named = ", ".join(f"{tp.topic}[{tp.partition}]" for tp in gone)
        log.warning("not committing %s: the cluster no longer has them (deleted)", named)
    return {tp: offset for tp, offset in offsets.items() if tp not in gone}


class ListedTopicsProducer(faust_aiokafka.Producer):
    """Faust's producer, whose aiokafka producers (one, or one per partition under exactly-once) ask for the metadata
    of the topics they write to without creating them: a topic deleted under the worker stays missing; keep the app's
    output topics in that metadata from the start; and retry a record for the app's delivery timeout, each request
    for its request timeout.

    aiokafka's client asks for every topic until it is told of one (a send to a topic its metadata does not list:
    Faust's first changelog write when the broker listed the changelog late), then for the topics it was told of
    only, each answer replacing the last: the topics it knew from the answers for all left its metadata, and a record
    queued for one of them had no leader for good. The producer asked again without end, silently, until the batch
    expired; the agent and Faust's commit (which flushes the producer first) waited on it (as two CI runs did). Told
    of the app's output topics at the start, the client never asks for all, so drops none; it adds each other topic
    (the changelogs) at its first send, before anything is queued for it.

    aiokafka has one timeout for both: a record is retried only while younger than a request's timeout. Faust's
    default of 20 minutes held a batch, and every send and commit behind it, that long on one answer lost; the
    request timeout alone, short, would fail a batch on its first lost answer. So a batch's time to live (aiokafka's
    ``MessageBatch`` expiry) and a send's wait for room in a full batch (the producer's own copy of the timeout,
    read by ``send`` only: its client and sender keep theirs) are set apart, to the delivery timeout. A send to a
    topic the metadata does not list waits the request timeout for it (the client's)."""

    def _new_producer(self, transactional_id: str | None = None) -> Any:
        producer = super()._new_producer(transactional_id)
        creating_no_topic(producer.client)
        producer.client.set_topics(self.app.output_topics)
        delivery = self.app.delivery_timeout_seconds
        producer._message_accumulator._batch_ttl = delivery
        producer._request_timeout_ms = round(delivery * 1000)  # a send's wait for room in its partition's batch
        return producer


class LedgerTransport(faust_aiokafka.Transport):
    """The aiokafka transport with the ledger's consumer, and clients that never create a topic by asking for it."""

    Consumer: ClassVar[type[faust_aiokafka.Consumer]] = LedgerConsumer
    Producer: ClassVar[type[faust_aiokafka.Producer]] = ListedTopicsProducer


class ProbesWeb(faust_aiohttp.Web):
    """Faust's web server without the index page it adds when its statistics are off ("/" answering OK whatever the
    worker's state); the app's ``web_*_enabled`` settings turn off its other pages (``workers.app.create_app``)."""

    production_blueprints: ClassVar[list] = []


class PipelineApp(faust.App):
    """The pipeline's Faust app: it knows its source topics, and its consumer commits them by the ledger; its
    producer retries a record for ``delivery_timeout_seconds``."""

    def __init__(
        self,
        *args: Any,
        source_topics: Iterable[str],
        isolation_level: IsolationLevel,
        delivery_timeout_seconds: float,
        **kwargs: Any,
    ) -> None:
        self.source_topics = frozenset(source_topics)
        self.isolation_level = isolation_level
        self.delivery_timeout_seconds = delivery_timeout_seconds
        self.output_topics: frozenset[str] = frozenset()  # set by workers.app.create_app once the agents are made
        super().__init__(*args, **kwargs)

    def _new_transport(self) -> LedgerTransport:
        return LedgerTransport(self.conf.broker_consumer, self)

    def _new_web(self) -> ProbesWeb:
        return ProbesWeb(self)

    def current(self, events: Sequence[EventT]) -> list[EventT]:
        """The events of this consumer generation. A batch taken before a rebalance may hold older ones: the
        rebalance's seek to the committed offsets reads them again (here or in another worker), so processing
        them would publish their records twice."""
        generation = self.consumer_generation_id
        return [event for event in events if event.message.generation_id == generation]

    def published(self, events: Sequence[EventT]) -> None:
        """Tell the consumer these events' outputs were delivered: their offsets may be committed."""
        self.consumer.published(events)  # type: ignore[attr-defined]  # a LedgerConsumer
