"""What a CreateTopics response says of each topic: created, created first by another process, or refused."""

from __future__ import annotations

import logging

import pytest
from aiokafka.errors import InvalidReplicationFactorError, TopicAuthorizationFailedError
from aiokafka.protocol.admin import CreateTopicsResponse_v0, CreateTopicsResponse_v3

from workers.topics import created_topics


def test_a_topic_another_process_created_first_is_not_reported_created(caplog: pytest.LogCaptureFixture) -> None:
    response = CreateTopicsResponse_v3(
        throttle_time_ms=0,
        topic_errors=[("articles.raw", 0, None), ("articles.clean", 36, "Topic 'articles.clean' already exists.")],
    )
    with caplog.at_level(logging.INFO, logger="workers.topics"):
        assert created_topics(response.topic_errors) == ["articles.raw"]
    assert "articles.clean: another process created it first" in caplog.text


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
