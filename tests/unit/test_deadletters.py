"""Choosing dead letters to replay and recovering their original bytes."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.unit.test_pipeline import message
from workers.deadletters import ReplayFilter, original_bytes
from workers.pipeline import dead_letter
from workers.records import Rejected


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
