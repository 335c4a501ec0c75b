"""A raw message as large as the raw topic takes, and unusable, ends as one dead letter on a real broker."""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from tests.integration.conftest import cli, private_settings, produce
from workers.deadletters import ReplayFilter, original_bytes
from workers.kafka_io import end_offsets, read_to_end, replay_deadletters, wait_committed
from workers.limits import DEADLETTER_MAX_MESSAGE_BYTES, TOPIC_MAX_MESSAGE_BYTES
from workers.settings import Settings
from workers.topics import changelog_topics, ensure_topics

COMMIT_TIMEOUT_SECONDS = 300  # one message; a loaded 2-core machine starts a worker in under a minute
pytestmark = pytest.mark.timeout(600)  # past the commit timeout, so that it fails with its own message


def records_of(settings: Settings, topic: str) -> list[bytes]:
    """Every value on ``topic`` up to its end, read with the pipeline's own fetch sizes."""

    async def run() -> list[bytes]:
        return [record.value async for record in read_to_end(settings, topic)]

    return asyncio.run(run())


def test_a_raw_message_just_under_the_raw_topic_cap_ends_as_one_dead_letter(
    pipeline_settings: Settings, start_worker
) -> None:
    """All quotes: as JSON text the dead letter would be twice the message and no topic would take it (the worker
    failed on it at every restart); as base64 it is 4/3 and the dead-letter topic takes it."""
    settings = pipeline_settings
    payload = b'"' * (TOPIC_MAX_MESSAGE_BYTES - 4096)  # the record batch's header and the rest fit in the 4 KiB
    produce(settings, settings.topic_raw, [payload])
    worker = start_worker(settings, "clean")
    group = settings.consumer_group(("clean",))
    asyncio.run(wait_committed(settings, {settings.topic_raw: group}, COMMIT_TIMEOUT_SECONDS))  # raises if not
    [letter] = [orjson.loads(value) for value in records_of(settings, settings.topic_deadletter)]
    assert (letter["stage"], letter["error"], letter["payload_encoding"]) == ("clean", "oversized", "base64")
    assert original_bytes(letter) == payload
    assert worker.alive(), worker.log.read_text()[-3000:]


async def _produce_compressed(settings: Settings, value: bytes) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, compression_type="gzip", max_request_size=2 * len(value)
    )
    await producer.start()
    try:
        await (await producer.send(settings.topic_raw, value))
    finally:
        await producer.stop()


def test_a_compressed_raw_message_past_every_cap_ends_as_a_truncated_dead_letter(
    pipeline_settings: Settings, start_worker
) -> None:
    """A topic's cap bounds a batch as compressed: 16 MiB of one byte is a few KiB as gzip, and no dead letter can
    carry it whole. It keeps a prefix, the size and the sha256; the worker commits past it; replay leaves it."""
    settings = pipeline_settings
    payload = b"\xff" * (2 * TOPIC_MAX_MESSAGE_BYTES)
    asyncio.run(_produce_compressed(settings, payload))
    worker = start_worker(settings, "clean")
    group = settings.consumer_group(("clean",))
    asyncio.run(wait_committed(settings, {settings.topic_raw: group}, COMMIT_TIMEOUT_SECONDS))
    [letter] = [orjson.loads(value) for value in records_of(settings, settings.topic_deadletter)]
    assert (letter["error"], letter["payload_truncated"], letter["payload_size"]) == ("oversized", True, len(payload))
    assert letter["payload_sha256"] == hashlib.sha256(payload).hexdigest()
    counts = asyncio.run(replay_deadletters(settings, ReplayFilter(), dry_run=False))
    assert counts == Counter({"clean:oversized:truncated_not_replayed": 1})
    assert sum(asyncio.run(end_offsets(settings, [settings.topic_raw])).values()) == 1  # nothing sent again
    assert worker.alive(), worker.log.read_text()[-3000:]


async def _topic_configs(settings: Settings, topic: str) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        return {entry[0]: entry[1] for entry in response.resources[0][4]}
    finally:
        await admin.close()


async def _create_old_topics(settings: Settings, names: list[str], configs: dict[str, str]) -> None:
    """Topics as an older version made them: ``configs`` on each, the broker's defaults for the rest."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 1, 1, topic_configs=configs) for name in names])
    finally:
        await admin.close()


def test_enrich_topics_raises_an_existing_dead_letter_topic_cap_and_keeps_its_other_configs(
    broker: str, tmp_path: Path
) -> None:
    """An operator upgrading runs ``enrich topics``: the dead-letter topic an older version made takes the larger
    dead letters, and the retention set on it stays (AlterConfigs replaces a topic's whole set of configs)."""
    settings = private_settings(broker, tmp_path / "data")
    old = {"max.message.bytes": str(TOPIC_MAX_MESSAGE_BYTES), "retention.ms": "123456789"}
    asyncio.run(_create_old_topics(settings, [settings.topic_deadletter], old))
    created = asyncio.run(ensure_topics(settings))
    assert settings.topic_deadletter not in created
    configs = asyncio.run(_topic_configs(settings, settings.topic_deadletter))
    assert configs["max.message.bytes"] == str(DEADLETTER_MAX_MESSAGE_BYTES)
    assert configs["retention.ms"] == "123456789"
    assert asyncio.run(_topic_configs(settings, settings.topic_clusters))["cleanup.policy"] == "compact"


def test_enrich_topics_raises_the_cap_of_dedup_changelogs_made_before_it_was_set_and_keeps_their_compaction(
    broker: str, tmp_path: Path
) -> None:
    """Faust made them with the broker's 1 MiB before the pipeline gave them 8 MiB: a state record past it stopped the
    worker. ``enrich topics`` (and a worker's start) raises it as it does the dead-letter topic's."""
    settings = private_settings(broker, tmp_path / "data")
    changelogs = changelog_topics(settings)
    stock_default = {"max.message.bytes": "1048588"}  # a stock broker's; the test broker's default is larger
    asyncio.run(_create_old_topics(settings, changelogs, {"cleanup.policy": "compact", **stock_default}))
    topics = cli(settings, "topics")
    assert topics.returncode == 0, topics.stderr.decode()
    for name in changelogs:
        configs = asyncio.run(_topic_configs(settings, name))
        assert (configs["max.message.bytes"], configs["cleanup.policy"]) == (str(TOPIC_MAX_MESSAGE_BYTES), "compact")
        assert f"raised max.message.bytes of topic {name} to {TOPIC_MAX_MESSAGE_BYTES}" in topics.stderr.decode()
