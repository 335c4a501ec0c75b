"""The times a record claims and the latest it can claim (``workers.times``): the message's time is the producer's to
set, so it bounds nothing unless it is in the past."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest

from workers.records import Origin
from workers.times import latest_time, now_iso, published, read_time, received_at, utc_text, utc_time

YEAR_2099_MS = 4_070_908_800_000  # 2099-01-01T00:00:00Z


def _origin(timestamp_ms: int | None) -> Origin:
    return Origin(topic="articles.raw", partition=0, offset=0, timestamp_ms=timestamp_ms)


def test_a_message_time_in_the_past_is_the_records_time() -> None:
    assert received_at(_origin(1_500_000_000_000)) == 1_500_000_000.0


@pytest.mark.parametrize("timestamp_ms", [YEAR_2099_MS, None, -1, 0], ids=["future", "none", "kafka-none", "zero"])
def test_a_message_time_in_the_future_or_missing_is_now(timestamp_ms: int | None) -> None:
    """A producer's clock set to 2099 would otherwise let a published_at of 2099 through, and empty the dedup window;
    Kafka's -1 (no time) would put every record's bound in 1970."""
    before = time.time()
    at = received_at(_origin(timestamp_ms))
    assert before <= at <= time.time()
    assert latest_time(at) < YEAR_2099_MS / 1000


def test_rfc3339_lower_case_separators_are_read() -> None:
    """The schema's date-time format passes them; unread, a 2099 time would pass the clean stage's bound unseen."""
    assert read_time("2099-12-06t10:00:00z") == read_time("2099-12-06T10:00:00Z") == 4_100_234_400.0
    assert read_time("last Tuesday") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-06T10:00:00+02:00", ("2026-12-06T08:00:00Z", "time")),
        ("2026-12-06 10:00:00.5+0000", ("2026-12-06T10:00:00.500Z", "time")),  # as meta tags write it
        ("2026-12-06", ("2026-12-06T00:00:00Z", "day")),
        ("2026-02-30", None),
        ("2026-W49-1", None),  # ISO 8601, which fromisoformat reads, but not RFC 3339
        ("2026-12-06T10:00:00", None),  # no zone: no instant
        ("0001-01-01T00:00:00+01:00", None),  # before datetime's first instant in UTC
        ("last Tuesday", None),
        (None, None),
    ],
)
def test_published_is_utc_with_its_precision(value: str | None, expected: tuple[str, str] | None) -> None:
    assert published(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-06T19:07:29.083+02:00", datetime(2026, 12, 6, 17, 7, 29, 83000, UTC)),
        ("2026-12-06t17:07:29z", datetime(2026, 12, 6, 17, 7, 29, tzinfo=UTC)),
        ("2026-12-06 17:07", datetime(2026, 12, 6, 17, 7, tzinfo=UTC)),  # no offset: UTC
        ("2026-12-06", datetime(2026, 12, 6, tzinfo=UTC)),
        ("0001-01-01T00:00:00+01:00", None),
        ("yesterday", None),
    ],
)
def test_a_time_a_person_gives_is_read_as_a_records_time_and_utc_without_an_offset(
    value: str, expected: datetime | None
) -> None:
    """The CLI's --since/--until and the records' times have one reader: the CLI's own refused a lower-case "t" and
    failed with a trace on a time out of range once in UTC."""
    assert utc_time(value) == expected


def test_now_is_written_as_a_publication_time_always_to_the_millisecond() -> None:
    """failed_at and updated_at: in the form ``published`` writes a time with a fraction in, with a fraction even at
    a whole second (a string comparison of two then orders them)."""
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", now_iso())
    assert utc_text(datetime(2026, 12, 6, 17, 7, 29, tzinfo=UTC)) == "2026-12-06T17:07:29.000Z"
    assert published("2026-12-06T19:07:29.0831+02:00") == ("2026-12-06T17:07:29.083Z", "time")
