"""``ensure_topics`` on a real broker: the topics it returns take writes at once."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from aiokafka import AIOKafkaClient
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaTimeoutError

from tests.integration.conftest import private_settings
from workers import topics
from workers.kafka_io import produce_lines
from workers.topics import ensure_topics, topic_partitions

# Messages sent at once to the topics just made: each partition of the raw topic gets some.
MESSAGES = 400
# More partitions than a test's two: the broker takes longer to lead them all, as on a fresh one with many topics.
PARTITIONS = 8


def test_topics_created_then_produced_to_at_once_give_no_not_leader_warning(
    broker: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """polish finding 1: ``enrich produce`` on a fresh broker logged aiokafka's NotLeaderForPartitionError just
    after creating the topics (the sends retried and landed, but it read as a failure): the broker listed every
    partition with its leader before that leader took writes."""
    settings = private_settings(broker, tmp_path / "data").model_copy(update={"partitions": PARTITIONS})
    sender = logging.getLogger("aiokafka.producer.sender")
    sender.addHandler(caplog.handler)  # on the logger itself: caught whatever an earlier dictConfig set propagating
    try:
        with caplog.at_level(logging.WARNING, logger=sender.name):
            assert asyncio.run(ensure_topics(settings))  # created here, not by an earlier run
            lines = [b'{"id": "a%d", "url": "https://example.com/%d"}' % (i, i) for i in range(MESSAGES)]
            assert asyncio.run(produce_lines(settings, settings.topic_raw, lines)) == MESSAGES
    finally:
        sender.removeHandler(caplog.handler)
    assert [r.getMessage() for r in caplog.records if "NotLeaderForPartition" in r.getMessage()] == []


def test_a_created_topic_that_never_takes_writes_is_an_error_naming_it(
    broker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wait is bounded: past it, one error naming the topics, not a warning and a producer left to retry."""
    monkeypatch.setattr(topics, "READY_TIMEOUT_SECONDS", 0.2)

    async def wait() -> None:
        client = AIOKafkaClient(bootstrap_servers=broker)
        await client.bootstrap()
        try:
            await topics._until_ready(client, {"polish.never-created"})
        finally:
            await client.close()

    with pytest.raises(KafkaTimeoutError, match=r"topics polish\.never-created were created, but .* after 0 s"):
        asyncio.run(wait())


def test_a_workers_start_past_the_bound_is_a_warning_naming_the_topics(
    broker: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """read205: a worker (``may_lack_rights``) whose topics take no writes within the bound (a slow cluster) was
    stopped by an error. Its clients wait for leaders themselves; the bound is a warning there, as before the wait
    asked for leaders. (A topic it may not describe is not waited for at all: test_security.)"""
    monkeypatch.setattr(topics, "READY_TIMEOUT_SECONDS", 0.2)

    async def wait() -> None:
        client = AIOKafkaClient(bootstrap_servers=broker)
        await client.bootstrap()
        try:
            await topics._until_ready(client, {"read205.not-shown"}, warn=True)
        finally:
            await client.close()

    with caplog.at_level(logging.WARNING, logger=topics.log.name):
        asyncio.run(wait())
    assert [r.getMessage() for r in caplog.records if r.name == topics.log.name] == [
        "topics read205.not-shown were created, but their partitions had no leader taking writes after 0 s; "
        "starting without them ready"
    ]


def test_the_process_that_loses_the_race_to_create_the_topics_waits_for_their_leaders_too(
    broker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """leftovers 1: two workers starting at once both find the topics missing and ask to create them; one does,
    the other is told they exist, perhaps before their leaders take writes. Neither returns before they do."""
    settings = private_settings(broker, tmp_path / "data").model_copy(update={"partitions": PARTITIONS})
    names = set(topic_partitions(settings))
    create = AIOKafkaAdminClient.create_topics

    async def race() -> list[tuple[list[str], set[str]]]:
        both_listed = asyncio.Barrier(2)

        async def after_both_listed(admin: AIOKafkaAdminClient, *args: object, **kwargs: object) -> object:
            await both_listed.wait()  # each found every topic missing: both ask to create them all
            return await create(admin, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(AIOKafkaAdminClient, "create_topics", after_both_listed)
        client = AIOKafkaClient(bootstrap_servers=broker)
        await client.bootstrap()

        async def start() -> tuple[list[str], set[str]]:
            created = await ensure_topics(settings)
            return created, await topics._not_ready(client, names)  # asked as soon as it returns

        try:
            return await asyncio.gather(start(), start())
        finally:
            await client.close()

    starts = asyncio.run(race())
    assert sorted(len(created) for created, _ in starts) == [0, len(names)]  # one created them all, one lost
    assert [waiting for _, waiting in starts] == [set(), set()]
