"""Producing to and reading from topics with aiokafka, for the CLI and the tests."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import CommitFailedError, KafkaError, for_code

from workers.deadletters import Replay, ReplayFilter, ReplayRun, coordinates
from workers.intake import message_key
from workers.layouts import OffsetsRefused, offsets_to_copy
from workers.limits import CLIENT_MAX_MESSAGE_BYTES
from workers.security import client_options
from workers.settings import Settings, Stage
from workers.topics import listed_cluster, listed_topics

# Fetch sizes that let a consumer read the largest message a topic accepts.
_FETCH_SIZES = {"fetch_max_bytes": CLIENT_MAX_MESSAGE_BYTES, "max_partition_fetch_bytes": CLIENT_MAX_MESSAGE_BYTES}
# How often wait_committed asks the broker: Faust commits every 2.8 s by default.
_LAG_POLL_SECONDS = 1.0


class UnknownTopic(LookupError):
    """A topic the broker does not have (or does not show these credentials), with the topics it has."""

    def __init__(self, topic: str, existing: Collection[str]) -> None:
        super().__init__(topic)
        self.topic = topic
        self.existing = frozenset(existing)


def require_topic(topic: str, existing: Collection[str]) -> None:
    """Raise ``UnknownTopic`` unless the broker has ``topic``. Checked before a client names it in a request: a
    producer's first send to, or a subscription to, a missing topic creates it on a broker that creates topics on
    first use (Kafka's default, and deploy/kafka/kafka.sh's), so a mistyped name would become a topic."""
    if topic not in existing:
        raise UnknownTopic(topic, existing)


def new_producer(settings: Settings) -> AIOKafkaProducer:
    """A producer that waits for every in-sync replica and can send the largest message a topic takes."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        acks="all",
        max_request_size=CLIENT_MAX_MESSAGE_BYTES,
        **client_options(settings),
    )


async def produce_lines(settings: Settings, topic: str, lines: Iterable[bytes]) -> int:
    """Publish every non-blank line as one message; return how many. Raises ``UnknownTopic``, publishing nothing,
    when the broker has no such topic."""
    producer = new_producer(settings)
    try:
        await producer.start()  # inside the try: a failed start (say, refused credentials) still closes the client
        require_topic(topic, await listed_topics(producer.client))
        pending = [
            await producer.send(topic, value=line.rstrip(b"\r\n"), key=message_key(line))
            for line in lines
            if line.strip()
        ]
        await asyncio.gather(*pending)
        return len(pending)
    finally:
        await producer.stop()


async def tail_topic(
    settings: Settings,
    topic: str,
    from_beginning: bool,
    max_messages: int | None,
    idle_timeout: float,
    since: datetime | None = None,
) -> AsyncIterator[tuple[bytes | None, bytes | None]]:
    """Keys and values arriving on ``topic`` (a value None: the key's delete), read without a consumer group
    (nothing committed); with ``since``, from each partition's first record of that time or later (its Kafka
    timestamp), whatever ``from_beginning`` says.

    Raises ``UnknownTopic`` when the broker has no such topic: it is looked up before subscribing, as subscribing
    to it would create it on a broker that creates topics on first use.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        group_id=None,  # no group: every partition, nothing committed, no coordinator to wait for
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        **_FETCH_SIZES,
        **client_options(settings),
    )
    seen = 0
    try:
        await consumer.start()
        cluster = await listed_cluster(consumer._client)  # the topic looked up, and its partitions (for ``since``)
        require_topic(topic, cluster.topics())
        if since is None:
            consumer.subscribe([topic])
        else:
            partitions = [TopicPartition(topic, p) for p in sorted(cluster.partitions_for_topic(topic) or ())]
            await _seek_to_time(consumer, partitions, since)
        while max_messages is None or seen < max_messages:
            batch = await consumer.getmany(timeout_ms=int(idle_timeout * 1000))
            if not batch:
                return
            for record in (r for records in batch.values() for r in records):
                yield record.key, record.value
                seen += 1
                if max_messages is not None and seen >= max_messages:
                    return
    finally:
        await consumer.stop()


async def _seek_to_time(consumer: AIOKafkaConsumer, partitions: list[TopicPartition], since: datetime) -> None:
    """Assign ``partitions`` (every partition of a topic: a consumer knows no topic it has not subscribed to, so the
    caller's metadata names them) to ``consumer``, each at its first record written at ``since`` or later (the log's
    end for a partition with none: its end offset asked for only then)."""
    consumer.assign(partitions)
    found = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in partitions})
    none_since = [tp for tp in partitions if found.get(tp) is None]
    ends = await consumer.end_offsets(none_since) if none_since else {}
    for tp in partitions:  # offsets, not seek_to_end: a fetch from the start made on assigning came through it
        consumer.seek(tp, ends[tp] if tp in ends else found[tp].offset)


async def replay_deadletters(settings: Settings, wanted: ReplayFilter, dry_run: bool) -> Counter[str]:
    """Re-publish the chosen dead letters to the topic each failed on (the raw topic for the clean stage), each with
    the header naming its letter (``ReplayRun`` chooses, and counts what each letter came to).

    Reads the dead-letter topic from its start up to its end as of now, so the replay is bounded even while
    new dead letters arrive (including those of the replayed messages, if they fail again). Raises ``UnknownTopic``
    when the broker has no dead-letter topic; a letter whose topic the broker no longer has is counted, not sent
    (sending would create that topic anew, with the broker's defaults).
    """
    producer = new_producer(settings)
    try:
        await producer.start()
        existing = await listed_topics(producer.client)
        require_topic(settings.topic_deadletter, existing)
        run, pending = ReplayRun(wanted, existing), []

        async def send(replay: Replay | None) -> None:
            if replay is not None and not dry_run:
                pending.append(await producer.send(replay.topic, replay.value, key=replay.key, headers=replay.headers))

        async for record in read_to_end(settings, settings.topic_deadletter):
            await send(run.read(record.value, coordinates(record.topic, record.partition, record.offset)))
        for replay in run.rest():  # the letters of replays read before the letter they name
            await send(replay)
        await asyncio.gather(*pending)
        return run.counts
    finally:
        await producer.stop()


async def read_to_end(settings: Settings, topic: str) -> AsyncIterator[ConsumerRecord]:
    """The records of ``topic`` from its start up to its end offsets as of now (later ones are left unread)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=None,  # no group: every partition, no committed offsets
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **_FETCH_SIZES,
        **client_options(settings),
    )
    try:
        await consumer.start()
        while not (partitions := consumer.assignment()):
            await asyncio.sleep(0.1)  # the assignment follows the first metadata response
        ends = await consumer.end_offsets(list(partitions))
        while await _behind(consumer, ends):
            batch = await consumer.getmany(*partitions, timeout_ms=1000)
            for tp, records in batch.items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield record
    finally:
        await consumer.stop()


async def _behind(consumer: AIOKafkaConsumer, ends: dict) -> bool:
    """True while some partition's position is short of its end offset."""
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


async def end_offsets(settings: Settings, topics: Iterable[str]) -> dict[tuple[str, int], int]:
    """The end offset of every partition of ``topics`` (in that order), as the broker knows it now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, **client_options(settings))
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None, **client_options(settings))
    try:
        await admin.start()
        await consumer.start()
        ends: dict[tuple[str, int], int] = {}
        for topic in topics:  # one at a time: a topic's ends are read after those of the topics before it
            [described] = await admin.describe_topics([topic])
            partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
            if not partitions:
                raise LookupError(f"topic {topic} has no partitions in the broker's metadata")
            ends.update({(tp.topic, tp.partition): end for tp, end in (await consumer.end_offsets(partitions)).items()})
        return ends
    finally:
        await consumer.stop()
        await admin.close()


async def committed_lag(settings: Settings, groups: Mapping[str, str]) -> dict[tuple[str, int], int]:
    """Per partition of each topic in ``groups`` (topic -> consumer group): end offset minus the group's commit.

    The commits are read first, then the ends topic by topic in the order given: for the pipeline's source
    topics in pipeline order, a lag of 0 on all of them means every record derived from an earlier topic was
    read and committed by the next stage.
    """
    committed = {group: await committed_offsets(settings, group) for group in set(groups.values())}
    ends = await end_offsets(settings, groups)
    return {tp: end - max(committed[groups[tp[0]]].get(tp, 0), 0) for tp, end in ends.items()}


async def committed_offsets(settings: Settings, group: str) -> dict[tuple[str, int], int]:
    """The offset ``group`` has committed on each partition it committed on (-1 where none)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, **client_options(settings))
    try:
        await admin.start()
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items()}


async def wait_committed(settings: Settings, groups: Mapping[str, str], timeout: float) -> float:
    """Wait until every group has committed its topic to the end (lag 0 everywhere); the seconds it took.

    Raises ``TimeoutError`` naming the partitions still behind after ``timeout`` seconds.
    """
    started = time.monotonic()
    while True:
        try:
            behind: dict | str = {tp: n for tp, n in (await committed_lag(settings, groups)).items() if n}
        except KafkaError as error:  # e.g. a new broker has no group coordinator yet: ask again
            if not error.retriable:
                raise
            behind = repr(error)
        if not behind:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not committed to the end after {timeout:.0f} s (partition: lag): {behind}")
        await asyncio.sleep(_LAG_POLL_SECONDS)


async def group_members(settings: Settings, group: str) -> int:
    """How many consumers are members of ``group`` now (0 for a group that does not exist)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, **client_options(settings))
    try:
        await admin.start()
        [response] = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    return members_of(response.to_object())


def members_of(response: Mapping[str, Any]) -> int:
    """The members of the one group a DescribeGroups ``response`` describes. Its error code raises: the coordinator
    still loading the group, or no longer its coordinator, lists no members for a group that may have some."""
    [described] = response["groups"]
    if code := described["error_code"]:
        error = for_code(code)
        raise error(f"cannot describe consumer group {described['group']}: {error.description}")
    return len(described["members"])


async def copy_offsets(
    settings: Settings, old: tuple[Stage, ...], new: tuple[Stage, ...]
) -> dict[tuple[str, int], int]:
    """Commit for the group of the ``new`` stages the offsets the group of the ``old`` ones committed on the topics
    the new stages read (``offsets_to_copy``); what was committed. Refused while either group has members: a
    running worker would commit over the copy, or go on from where it stands (and one that joins the new group
    meanwhile makes the broker refuse the commit: ``commit_from_outside``)."""
    groups = (settings.consumer_group(old), settings.consumer_group(new))
    for group in groups:
        if members := await group_members(settings, group):
            raise OffsetsRefused(f"consumer group {group} has {members} member(s): stop its workers first")
    offsets = offsets_to_copy(settings, old, new, await committed_offsets(settings, groups[0]))
    await commit_from_outside(settings, groups[1], offsets)
    return offsets


async def commit_from_outside(settings: Settings, group: str, offsets: Mapping[tuple[str, int], int]) -> None:
    """Commit ``offsets`` for ``group`` without joining it (a consumer assigned, not subscribed). The broker takes
    such a commit only while the group has no member: else ``OffsetsRefused``."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        **client_options(settings),
    )
    try:
        await consumer.start()
        partitions = {TopicPartition(topic, partition): offset for (topic, partition), offset in offsets.items()}
        consumer.assign(list(partitions))
        await consumer.commit(partitions)
    except CommitFailedError as error:  # the broker's UNKNOWN_MEMBER_ID: the group has a member
        raise OffsetsRefused(f"consumer group {group} has a member now: stop its workers first") from error
    finally:
        await consumer.stop()
