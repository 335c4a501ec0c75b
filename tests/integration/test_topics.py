"""``ensure_topics`` on a real broker: the topics it returns take writes at once."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from aiokafka import AIOKafkaClient
from aiokafka.errors import KafkaTimeoutError

from tests.integration.conftest import private_settings
from workers import topics
from workers.kafka_io import produce_lines
from workers.topics import ensure_topics

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
