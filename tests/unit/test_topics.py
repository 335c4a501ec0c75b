"""The topics as the pipeline makes them: what a CreateTopics response says of each topic (created, created first by
another process, or refused), and the existing topics' partition counts against the settings (a clean topic dedup
cannot own, raw or unique too few)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from aiokafka.errors import (
    InvalidReplicationFactorError,
    KafkaConnectionError,
    KafkaTimeoutError,
    TopicAuthorizationFailedError,
)
from aiokafka.protocol.admin import CreateTopicsResponse_v0, CreateTopicsResponse_v3

from workers import topics
from workers.app import create_app
from workers.limits import TOPIC_MAX_MESSAGE_BYTES
from workers.settings import Settings
from workers.topics import (
    UNAUTHORIZED,
    TopicLayoutError,
    check_layout,
    created_topics,
    topic_configs,
    topic_partitions,
)

SETTINGS = Settings(partitions=4)


def test_topics_as_the_pipeline_creates_them_pass_silently(caplog: pytest.LogCaptureFixture) -> None:
    check_layout(SETTINGS, topic_partitions(SETTINGS))
    check_layout(SETTINGS, {})  # none exists yet: the workers create them
    assert caplog.records == []


def test_raw_or_unique_with_fewer_partitions_than_the_setting_is_one_warning_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    check_layout(SETTINGS, topic_partitions(SETTINGS) | {SETTINGS.topic_raw: 2, SETTINGS.topic_unique: 3})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w.split(":")[0] for w in warnings] == [
        "topic articles.raw has 2 partitions, ENRICH_PARTITIONS wants 4",
        "topic articles.unique has 3 partitions, ENRICH_PARTITIONS wants 4",
    ]


def test_more_partitions_than_the_setting_is_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    check_layout(SETTINGS, topic_partitions(SETTINGS) | {SETTINGS.topic_raw: 8})
    assert caplog.records == []


def test_a_clean_topic_of_more_than_one_partition_is_refused() -> None:
    with pytest.raises(TopicLayoutError, match=r"^topic articles.clean has 2 partitions, the dedup stage needs 1 "):
        check_layout(SETTINGS, topic_partitions(SETTINGS) | {SETTINGS.topic_clean: 2})


@pytest.mark.parametrize(("factor", "wanted"), [(1, None), (2, None), (3, "2"), (5, "2")])
def test_topics_replicated_three_times_or_more_need_two_replicas_in_sync(
    factor: int, wanted: str | None, tmp_path: Path
) -> None:
    """acks=all then means two copies: an acknowledged record survives a broker lost, a broker down stops no write."""
    settings = Settings(replication_factor=factor, data_dir=tmp_path, metrics_port=0)
    for name in topic_partitions(settings):
        assert topic_configs(settings, name).get("min.insync.replicas") == wanted
    app = create_app(settings, ("dedup",))
    for table in app.tables.values():
        assert table.changelog_topic.config.get("min.insync.replicas") == wanted


def test_a_tables_changelog_takes_the_messages_the_other_topics_take() -> None:
    """read51 D1: the changelogs had the broker's default cap (1 MiB on a stock broker), the clusters topic 8 MiB: a
    cluster record between the two was published, its changelog write refused, and the dedup worker stopped."""
    app = create_app(SETTINGS, ("dedup",))
    for table in app.tables.values():
        assert table.changelog_topic.config["max.message.bytes"] == str(TOPIC_MAX_MESSAGE_BYTES)


def test_a_topic_another_process_created_first_is_not_reported_created(caplog: pytest.LogCaptureFixture) -> None:
    response = CreateTopicsResponse_v3(
        throttle_time_ms=0,
        topic_errors=[("articles.raw", 0, None), ("articles.clean", 36, "Topic 'articles.clean' already exists.")],
    )
    with caplog.at_level(logging.INFO, logger="workers.topics"):
        assert created_topics(response.topic_errors) == ["articles.raw"]
    assert "articles.clean: exists already (another process created it" in caplog.text


def test_a_refused_topic_raises_its_error_naming_the_topic() -> None:
    refused = CreateTopicsResponse_v3(
        throttle_time_ms=0,
        topic_errors=[("articles.raw", 0, None), ("articles.clean", 38, "Replication factor: 3 larger than 1.")],
    )
    with pytest.raises(InvalidReplicationFactorError, match=r"articles\.clean: Replication factor: 3 larger than 1\."):
        created_topics(refused.topic_errors)
    unexplained = CreateTopicsResponse_v0(topic_errors=[("articles.raw", 29)])  # v0 gives no message: the code's
    with pytest.raises(TopicAuthorizationFailedError, match=r"articles\.raw: .*not authorized"):
        created_topics(unexplained.topic_errors)


def test_a_worker_without_the_create_right_warns_and_starts(caplog: pytest.LogCaptureFixture) -> None:
    """read51 D4: a worker allowed only the topics of its stages is not shown the others, asks to create them and is
    refused each (29); ``enrich topics`` raises that, a worker warns and goes on with the topics it has."""
    refused = CreateTopicsResponse_v3(
        throttle_time_ms=0,
        topic_errors=[
            ("articles.unique", 29, "Authorization failed."),
            ("articles.enriched", 31, None),
            ("articles.clusters", 0, None),
        ],
    )
    with caplog.at_level(logging.WARNING, logger="workers.topics"):
        assert created_topics(refused.topic_errors, UNAUTHORIZED) == ["articles.clusters"]
    assert "cannot create topic articles.unique: Authorization failed.; create it by hand" in caplog.text
    assert "cannot create topic articles.enriched: " in caplog.text
    too_many = CreateTopicsResponse_v3(throttle_time_ms=0, topic_errors=[("articles.raw", 38, "Replication factor")])
    with pytest.raises(InvalidReplicationFactorError):
        created_topics(too_many.topic_errors, UNAUTHORIZED)


class _Unreachable:
    """A cluster that answers no request (a leader still connecting, a request timed out)."""

    def get_random_node(self) -> int:
        return 1

    async def send(self, node_id: int, request: object) -> None:
        raise KafkaConnectionError(f"no connection to node {node_id} yet")

    async def fetch_all_metadata(self) -> None:
        raise KafkaConnectionError("no connection to node 1 yet")


def test_a_cluster_not_answering_while_topics_are_made_is_asked_again_up_to_the_bound(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """read205: a retriable error while waiting for created topics' leaders ended ``ensure_topics`` at once, a
    worker's start with it; it is asked again until the bound, past which a worker warns (``enrich topics`` raises)."""
    monkeypatch.setattr(topics, "READY_TIMEOUT_SECONDS", 0.2)
    with caplog.at_level(logging.WARNING, logger="workers.topics"):
        asyncio.run(topics._until_ready(_Unreachable(), {"articles.raw"}, warn=True))  # type: ignore[arg-type]
    assert "topics articles.raw were created, but their partitions had no leader" in caplog.text
    with pytest.raises(KafkaTimeoutError):
        asyncio.run(topics._until_ready(_Unreachable(), {"articles.raw"}))  # type: ignore[arg-type]
