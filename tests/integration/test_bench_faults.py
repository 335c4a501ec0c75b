"""The fault bench's topics on a real broker: the time ``bench.faults.written_late`` takes an output as written."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aiokafka import AIOKafkaProducer

from bench.faults import OUTPUT_TOPICS, make_topics, read_topic
from tests.integration.conftest import private_settings
from workers.settings import Settings

MADE_AT_MS = 1_000  # a producer's stamp far before any commit: CreateTime would keep it


async def send_made_early(settings: Settings, topics: list[str]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers)
    await producer.start()
    try:
        for topic in topics:
            await producer.send_and_wait(topic, b"{}", key=b"a", timestamp_ms=MADE_AT_MS)
    finally:
        await producer.stop()


def test_an_output_is_stamped_when_the_broker_appends_it(broker: str, tmp_path: Path) -> None:
    """A record made before a commit and appended after it was written after it: the bench must see the append."""
    settings = private_settings(broker, tmp_path / "data")
    asyncio.run(make_topics(settings))
    outputs = [getattr(settings, f"topic_{o}") for o in (*OUTPUT_TOPICS, "deadletter")]
    before_ms = int(time.time() * 1000)
    asyncio.run(send_made_early(settings, outputs))
    stamps = {topic: [r.timestamp for r in read_topic(settings, topic)] for topic in outputs}
    assert all(len(s) == 1 and s[0] >= before_ms for s in stamps.values()), stamps
