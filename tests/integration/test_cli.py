"""``enrich tail`` and ``produce`` on a real broker: a mistyped topic is named and left uncreated, a missing pipeline
topic created with the others; a topic's records summarised."""

from __future__ import annotations

import asyncio
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient
from aiokafka.cluster import ClusterMetadata

from tests.conftest import seed_lines
from tests.integration.conftest import cli, private_settings, produce
from workers import codec
from workers.kafka_io import tail_topic
from workers.pipeline import Message, dead_letter
from workers.records import Origin, Rejected
from workers.settings import Settings
from workers.topics import internal_topic, listed_topics, topic_partitions


def topics(settings: Settings) -> dict[str, int]:
    """The broker's topics and their partition counts."""

    async def run() -> dict[str, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
        await admin.start()
        try:
            return {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics(await admin.list_topics())}
        finally:
            await admin.close()

    return asyncio.run(run())


def assert_refused(run: subprocess.CompletedProcess[bytes], mistyped: str, settings: Settings) -> None:
    """The command failed on the topic, naming it, the one meant and the topics there are; it created none."""
    assert run.returncode == 1 and run.stdout == b"", run.stderr
    error = run.stderr.decode().strip().splitlines()[-1]
    assert error.startswith(f"Error: topic {mistyped} does not exist at {settings.bootstrap_servers} (it has ")
    assert error.endswith(f"; did you mean {settings.topic_raw}?") and "__consumer_offsets" not in error
    there = topics(settings)
    assert mistyped not in there
    ours = [name for name in there if name.startswith(settings.app_id) and not internal_topic(settings, name)]
    assert all(name in error for name in ours) or " more)" in error


def test_tail_of_a_topic_that_does_not_exist_says_so_and_does_not_create_it(pipeline_settings: Settings) -> None:
    """The test broker creates a topic on first use, as a local one does: subscribing would have made it."""
    mistyped = f"{pipeline_settings.topic_raw}s"
    assert_refused(cli(pipeline_settings, "tail", mistyped, "--timeout", "5"), mistyped, pipeline_settings)


def test_produce_to_a_topic_that_does_not_exist_says_so_publishes_nothing_and_does_not_create_it(
    pipeline_settings: Settings,
) -> None:
    """A producer's first send to a missing topic would have made it (with the broker's defaults: one partition)."""
    mistyped = f"{pipeline_settings.topic_raw}s"
    produced = cli(pipeline_settings, "produce", "--topic", mistyped, "-", stdin=seed_lines()[0])
    assert_refused(produced, mistyped, pipeline_settings)


def test_produce_to_the_raw_topic_of_a_broker_without_the_pipelines_topics_creates_them_and_publishes(
    broker: str, tmp_path: Path
) -> None:
    """The README's first step on a fresh broker: the pipeline's topics are made as ``enrich topics`` makes them
    (the dedup input with one partition, the others with ``partitions``), not the raw one alone with the broker's
    defaults; a typo there stays an error and makes nothing."""
    settings = private_settings(broker, tmp_path / "data")
    mistyped = f"{settings.topic_raw}s"
    refused = cli(settings, "produce", "--topic", mistyped, "-", stdin=seed_lines()[0])
    assert refused.returncode == 1 and f"Error: topic {mistyped} does not exist" in refused.stderr.decode()
    assert not [name for name in topics(settings) if name.startswith(settings.app_id)]
    produced = cli(settings, "produce", "-", stdin=b"\n".join(seed_lines()[:2]))
    assert produced.returncode == 0, produced.stderr
    assert f"topic {settings.topic_raw} did not exist: created the pipeline's topics " in produced.stderr.decode()
    assert f"published 2 messages to {settings.topic_raw}" in produced.stderr.decode()
    there = topics(settings)
    assert {name: there.get(name) for name in topic_partitions(settings)} == topic_partitions(settings)
    assert set(topic_partitions(settings).values()) == {1, 2} and mistyped not in there
    tailed = cli(settings, "tail", settings.topic_raw, "--max-messages", "2", "--timeout", "10")
    assert sorted(tailed.stdout.splitlines()) == sorted(seed_lines()[:2]), tailed.stderr  # from either partition


def test_replay_leaves_a_letter_whose_topic_is_gone_and_does_not_create_it(pipeline_settings: Settings) -> None:
    """A dead letter names the topic its message came from; one the broker no longer has is counted, not sent."""
    gone = f"{pipeline_settings.app_id}.renamed"
    origin = Origin(topic=gone, partition=0, offset=3, timestamp_ms=None)
    letter = dead_letter("clean", Message(b"{not json", origin), Rejected("invalid_json", "not JSON"), None).record
    produce(pipeline_settings, pipeline_settings.topic_deadletter, [codec.dumps(letter)])
    replay = cli(pipeline_settings, "replay")
    assert replay.returncode == 0, replay.stderr
    assert "replayed 0 ({'clean:invalid_json:no_topic_not_replayed': 1}); skipped 0" in replay.stderr.decode()
    assert gone not in topics(pipeline_settings)


def test_tail_since_a_time_prints_only_the_records_written_from_then(pipeline_settings: Settings) -> None:
    """The demo run again on a broker that kept its topics printed an earlier run's records (tail reads from the
    start): ``--since`` starts each partition at its first record of that time (offsets_for_times)."""
    lines, raw = seed_lines(), pipeline_settings.topic_raw
    produce(pipeline_settings, raw, lines[:2])
    time.sleep(0.01)  # the later records' timestamps after ``since``, to the millisecond
    since = datetime.now(UTC)
    time.sleep(0.01)
    produce(pipeline_settings, raw, lines[2:4])
    tail = cli(pipeline_settings, "tail", raw, "--since", since.isoformat(), "--timeout", "10")
    assert tail.returncode == 0, tail.stderr
    assert sorted(tail.stdout.splitlines()) == sorted(lines[2:4])


def test_tail_since_asks_the_broker_for_its_topics_once_and_for_end_offsets_only_where_nothing_is_since(
    pipeline_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tidy74: ``tail --since`` fetched every topic's metadata twice, to look the topic up and for its partitions;
    one answer holds both. tidy83: it asked for every partition's end offset, needed only by a partition with no
    record since then (it starts at its end). In-process, to count the client's requests."""
    lines, raw = seed_lines(), pipeline_settings.topic_raw
    produce(pipeline_settings, raw, lines[:2])
    fetched: list[object] = []
    fetch = AIOKafkaClient.fetch_all_metadata
    ends_asked: list[list[TopicPartition]] = []
    end_offsets = AIOKafkaConsumer.end_offsets

    async def counted(client: AIOKafkaClient) -> ClusterMetadata:
        fetched.append(client)
        return await fetch(client)

    async def counted_ends(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> dict:
        ends_asked.append(list(partitions))
        return await end_offsets(consumer, partitions)

    monkeypatch.setattr(AIOKafkaClient, "fetch_all_metadata", counted)
    monkeypatch.setattr(AIOKafkaConsumer, "end_offsets", counted_ends)

    async def tail(since: datetime, timeout: float) -> list[bytes | None]:
        return [value async for _, value in tail_topic(pipeline_settings, raw, False, 2, timeout, since)]

    # every record: each partition from its first
    assert sorted(asyncio.run(tail(datetime(2000, 1, 1, tzinfo=UTC), 10.0))) == sorted(lines[:2])
    assert len(fetched) == 1 and ends_asked == []
    assert asyncio.run(tail(datetime.now(UTC) + timedelta(days=1), 1.0)) == []  # none since: each at its end
    assert [sorted(tp.partition for tp in asked) for asked in ends_asked] == [[0, 1]]


def test_tail_summarises_each_raw_message_on_one_line(pipeline_settings: Settings) -> None:
    lines, raw = seed_lines(), pipeline_settings.topic_raw
    produce(pipeline_settings, raw, lines)
    tail = cli(pipeline_settings, "tail", raw, "--summary", "--max-messages", f"{len(lines)}")
    assert tail.returncode == 0, tail.stderr
    summaries = tail.stdout.decode().splitlines()
    assert len(summaries) == len(lines)
    assert all(line.startswith(("RAW ", "NOT A RECORD ")) for line in summaries)
    assert b"aiokafka" not in tail.stderr, tail.stderr  # the client's subscription and metadata lines stay out


def test_topics_fewer_than_the_setting_are_named_and_a_clean_topic_dedup_cannot_own_is_refused(
    pipeline_settings: Settings, broker: str, tmp_path: Path
) -> None:
    """Creating topics leaves existing ones as they are: an operator raising ENRICH_PARTITIONS is told it did not."""
    wider = pipeline_settings.model_copy(update={"partitions": 4})
    warned = cli(wider, "topics")
    assert warned.returncode == 0 and warned.stdout == b"created: none (all exist)\n", warned.stderr
    for name in (wider.topic_raw, wider.topic_unique):
        assert f"topic {name} has 2 partitions, ENRICH_PARTITIONS wants 4" in warned.stderr.decode()
    split = private_settings(broker, tmp_path / "split")
    asyncio.run(create_topic(split, split.topic_clean, 2))  # as a broker's defaults, or a hand, would make it
    for args in (["topics"], ["worker", "--stages", "clean"]):
        refused = cli(split, *args)
        assert refused.returncode == 1, refused.stderr
        line = refused.stderr.decode().strip().splitlines()[-1]
        assert line.startswith(f"Error: topic {split.topic_clean} has 2 partitions, the dedup stage needs 1 ")


async def create_topic(settings: Settings, name: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
        while name not in await listed_topics(admin._client):  # as the command will look it up
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
