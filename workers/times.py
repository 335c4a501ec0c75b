"""The times a record claims, in epoch seconds, and the latest one it can claim: a publication time later than the
message's time and one day is not a fact (a producer's clock or default, a date read wrong), dropped by the clean
stage and bounded by the dedup stage, where one such time would make every article held look out of the window."""

from __future__ import annotations

from datetime import UTC, datetime

from workers.records import Origin

# A page's day is its own time zone's, up to 14 hours ahead of UTC: its midnight is less than a day after the message.
ALLOWANCE_SECONDS = 86_400.0


def read_time(value: str | None) -> float | None:
    """An RFC 3339 time in epoch seconds; None when there is none or it cannot be read. RFC 3339 allows a lower-case
    "t" and "z" (the schema's format check passes them), which ``fromisoformat`` does not read."""
    if value:
        try:
            return datetime.fromisoformat(value.upper()).timestamp()
        except ValueError:
            pass
    return None


def received_at(origin: Origin) -> float:
    """The message's time in epoch seconds, but no later than now; now for a record read without one (a file read
    offline) or with none a broker keeps (Kafka's -1, no time). A message's time is its producer's to set
    (CreateTime): one in the future would carry a future publication time past the bound."""
    now = datetime.now(UTC).timestamp()
    timestamp_ms = origin["timestamp_ms"]
    return min(timestamp_ms / 1000, now) if timestamp_ms and timestamp_ms > 0 else now


def latest_time(received: float) -> float:
    """The latest time a record received at ``received`` can be of."""
    return received + ALLOWANCE_SECONDS
