"""A source topic deleted under a running worker stays missing until ``enrich topics`` makes it again.

The broker started by deploy/kafka/kafka.sh creates a topic a client asks metadata for (``auto.create.topics.enable``,
Apache Kafka's default); aiokafka's clients ask with auto-creation allowed unless told otherwise, so the worker's own
requests made the deleted topic again at once, with the broker's default partitions (commit65).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tests.integration.conftest import cli, produce, read_topic
from tests.integration.test_faults import _delete_topic, readiness_body
from tests.ports import wait_ready
from tests.synthetic import make_batch
from workers.security import client_options
from workers.settings import Settings
from workers.topics import listed_topics

pytestmark = pytest.mark.timeout(600)
WORKER_SECONDS = 300  # a worker's start, or its recovery, on a loaded 2-core machine: seconds to a minute


async def _broker_lists(settings: Settings, topic: str) -> bool:
    """Whether the broker lists ``topic``, asked in the way that creates none (``listed_topics``)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, **client_options(settings))
    await admin.start()
    try:
        return topic in await listed_topics(admin._client)
    finally:
        await admin.close()


def _readiness_until(settings: Settings, wanted: Callable[[dict], bool], timeout: float) -> dict:
    """The worker's /readyz body once ``wanted(body)`` holds; fails past ``timeout``, showing the last body."""
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        body = readiness_body(settings.web_port)
        if wanted(body):
            return body
        time.sleep(0.5)
    pytest.fail(f"/readyz never showed what was waited for in {timeout:.0f} s: {body}")


def test_a_deleted_source_topic_is_not_made_again_by_the_worker(pipeline_settings: Settings, start_worker) -> None:
    """Deleted under a worker, the source topic stays missing (its readiness names it, the broker lists no topic of
    that name) after the worker has asked for it and ended the rebalance the deletion started; ``enrich topics``
    makes it again and the worker reads it."""
    settings = pipeline_settings
    raw = settings.topic_raw
    worker = start_worker(settings, "clean")
    wait_ready(settings.web_port, WORKER_SECONDS)
    asyncio.run(_delete_topic(settings, raw))
    # The worker's metadata no longer lists the topic: it asked the broker for it after the deletion. Then its group's
    # rebalance for the lost partitions ends: the leader's assignor ran on metadata asked for again.
    _readiness_until(settings, lambda body: raw in body.get("topics_missing", ()), WORKER_SECONDS)
    body = _readiness_until(settings, lambda body: body.get("rebalancing") is False, WORKER_SECONDS)
    assert raw in body["topics_missing"], body
    assert not asyncio.run(_broker_lists(settings, raw)), "the worker's metadata requests made the topic again"
    assert worker.alive(), worker.log.read_text()[-3000:]

    assert cli(settings, "topics").returncode == 0
    batch = make_batch(3, seed=32, prefix="again")
    produce(settings, raw, batch.messages)
    assert len(read_topic(settings, settings.topic_clean, 3, WORKER_SECONDS, grace=0)) == 3
    wait_ready(settings.web_port, WORKER_SECONDS)
    assert worker.stop() == 0, worker.log.read_text()[-3000:]
