"""Choosing dead letters to replay and recovering their original bytes."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
    UnsupportedVersionError,
)

from tests.conftest import SEED_PAGE_ID, seed_record
from tests.unit.test_pipeline import message
from workers import codec
from workers.deadletters import ReplayFilter, original_bytes
from workers.limits import DEADLETTER_MAX_MESSAGE_BYTES, DEADLETTER_REASON_CHARS, TOPIC_MAX_MESSAGE_BYTES
from workers.pipeline import CleanStage, dead_letter
from workers.records import Rejected
from workers.settings import Settings
from workers.topics import _raise_message_caps, topic_configs


def letter(payload: bytes, code: str = "invalid_json", stage: str = "clean") -> dict:
    return dead_letter(stage, message(payload), Rejected(code, "why"), None).record  # type: ignore[arg-type]


def test_original_bytes_round_trip_text_and_binary() -> None:
    for payload in (b'{"broken": ', "caf\u00e9 \u2014 \u5317\u4eac".encode(), b"\x00\xff\xfe\x80 raw"):
        assert original_bytes(letter(payload)) == payload


def test_filter_by_error_stage_and_time() -> None:
    oversized = letter(b"x", code="oversized")
    now = datetime.fromisoformat(oversized["failed_at"])
    assert ReplayFilter().wants(oversized)
    assert ReplayFilter(errors={"oversized"}).wants(oversized)
    assert not ReplayFilter(errors={"invalid_json"}).wants(oversized)
    assert not ReplayFilter(stages={"entities"}).wants(oversized)
    assert ReplayFilter(since=now, until=now.replace(year=now.year + 1)).wants(oversized)
    assert not ReplayFilter(until=now).wants(oversized)
    assert not ReplayFilter(since=datetime(9999, 1, 1, tzinfo=UTC)).wants(oversized)


def fitted_letter(payload: bytes, reason: str = "why", article_id: str | None = None) -> tuple[dict, int]:
    """The dead letter of ``payload`` and the bytes it takes on the dead-letter topic's cap (key included)."""
    output = dead_letter("clean", message(payload), Rejected("oversized", reason), article_id)
    codec.check("deadletter", output.record)
    return output.record, len(codec.dumps(output.record)) + len(output.key.encode())


@pytest.mark.parametrize(
    "unit", [b'"', b"\x01", b"\xff", b"\\", "\u2028".encode(), b'<div class="x" id="y">a</div>\n'], ids=repr
)
def test_any_message_a_topic_takes_has_a_whole_dead_letter_under_the_dead_letter_topic_cap(unit: bytes) -> None:
    payload = (unit * (TOPIC_MAX_MESSAGE_BYTES // len(unit) + 1))[:TOPIC_MAX_MESSAGE_BYTES]
    worst_id, worst_reason = "\x00" * 512, "\x1f" * 100_000  # both escaped as 6 bytes a character
    record, size = fitted_letter(payload, worst_reason, worst_id)
    cap = int(topic_configs(Settings(), Settings().topic_deadletter)["max.message.bytes"])
    assert size <= cap - 1024  # room for the record batch's header
    assert "payload_truncated" not in record
    assert original_bytes(record) == payload
    assert len(record["reason"]) == DEADLETTER_REASON_CHARS


@pytest.mark.parametrize(
    "payload",
    [b'{"id": "", "url": ""}', "caf\u00e9 \u2014 plain text".encode() * 1000, b'"' * (2 * 1024 * 1024)],
    ids=["a_small_record", "plain_text", "2_MiB_of_quotes"],
)
def test_a_message_that_fits_as_text_is_kept_as_text(payload: bytes) -> None:
    """An operator reads a dead letter's message as it was sent, quotes and all, whenever its escaped text fits."""
    record, _ = fitted_letter(payload)
    assert record["payload_encoding"] == "utf-8" and record["payload"].encode() == payload


def test_a_message_larger_than_any_topic_cap_keeps_a_prefix_its_size_and_sha256() -> None:
    payload = b"\xff" * (2 * TOPIC_MAX_MESSAGE_BYTES)  # only a compressed batch brings this past a topic's cap
    record, size = fitted_letter(payload)
    assert size <= DEADLETTER_MAX_MESSAGE_BYTES - 1024
    assert record["payload_truncated"] is True
    assert record["payload_size"] == len(payload)
    assert record["payload_sha256"] == hashlib.sha256(payload).hexdigest()
    assert base64.b64decode(record["payload"]) == payload[: len(base64.b64decode(record["payload"]))]
    with pytest.raises(ValueError, match="prefix"):
        original_bytes(record)


@pytest.mark.parametrize(("given", "kept"), [("x" * 512, "x" * 512), ("x" * 513, None), ("x" * 1_500_000, None)])
def test_a_dead_letter_keeps_and_is_keyed_by_an_id_only_of_a_length_the_schema_takes(
    given: str, kept: str | None
) -> None:
    """A raw id the schema refuses for its length could push the letter past its topic's cap (as the key too): it
    is dropped, and the letter is keyed by its topic and offset as an unreadable record's is."""
    record = {**seed_record(SEED_PAGE_ID), "id": given, "source": ""}  # refused by the schema for its source too
    [[output]] = CleanStage(Settings(metrics_port=0)).process([message(json.dumps(record).encode(), offset=9)])
    codec.check("deadletter", output.record)
    assert (output.record["error"], output.record["id"]) == ("schema_violation", kept)
    assert output.key == (kept or "articles.raw:9")
    assert codec.loads(original_bytes(output.record)) == record


class RefusingAdmin:
    """An admin client whose broker refuses the whole DescribeConfigs request (an old broker, a proxy, no right)."""

    def __init__(self, error: KafkaError) -> None:
        self.error = error

    async def describe_configs(self, resources: list) -> list:
        raise self.error


@pytest.mark.parametrize("error", [UnsupportedVersionError(), TopicAuthorizationFailedError(), KafkaConnectionError()])
def test_a_broker_refusing_to_describe_the_dead_letter_topic_is_a_warning_not_a_stopped_worker(
    error: KafkaError, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(metrics_port=0)
    asyncio.run(_raise_message_caps(RefusingAdmin(error), settings, [settings.topic_deadletter]))  # type: ignore[arg-type]
    [warning] = [r for r in caplog.records if r.name == "workers.topics"]
    assert warning.levelname == "WARNING" and type(error).__name__ in warning.getMessage()
