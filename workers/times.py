"""The times a record claims, in epoch seconds, and the latest one it can claim: a publication time later than the
message's time and one day is not a fact (a producer's clock or default, a date read wrong), dropped by the clean
stage and bounded by the dedup stage, where one such time would make every article held look out of the window."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal, NamedTuple

from workers.records import Origin, Precision

# A page's day is its own time zone's, up to 14 hours ahead of UTC: its midnight is less than a day after the message.
ALLOWANCE_SECONDS = 86_400.0


# A day alone (RFC 3339's full-date), which the raw schema takes as a producer's published_at.
_DAY = re.compile(r"\d{4}-\d\d-\d\d")
# An RFC 3339 time with its offset, as the schema's date-time format takes it and a page's meta tags write it (a "T"
# or a space, any fraction, "Z" or an offset, with or without its colon: "+0000" is common in meta tags).
_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)")
# A leap second ("23:59:60Z" passes the schema's format check): ``datetime`` has no such second, read as the one before.
_LEAP_SECOND = re.compile(r"(?<=\d\d:\d\d):60")


class Published(NamedTuple):
    """A publication time as published: RFC 3339 in UTC ("Z"), and how precise it is (``Precision``)."""

    at: str
    precision: Precision

    @property
    def seconds(self) -> float:
        """The time in epoch seconds."""
        return datetime.fromisoformat(self.at).timestamp()


def parse_time(value: str | None) -> tuple[datetime, Precision] | None:
    """An RFC 3339 time (any offset, a lower-case "t" or "z", a leap second, any fraction) or a day alone (midnight
    UTC, precision "day") as an aware UTC datetime; None when there is none or it is neither."""
    text = _normal(value)
    if _DAY.fullmatch(text):
        return (at, "day") if (at := _utc(text)) else None
    if _TIME.fullmatch(text):
        return (at, "time") if (at := _utc(text)) else None
    return None


def utc_time(value: str | None) -> datetime | None:
    """Any ISO 8601 date or time ``datetime`` reads, as ``parse_time`` reads one (a lower-case "t" or "z", a leap
    second), an aware UTC datetime; one without an offset (a person's ``--since 2026-12-06 17:07``) is taken as UTC.
    None when it cannot be read or is out of range."""
    return _utc(_normal(value))


def _normal(value: str | None) -> str:
    """A time as ``datetime.fromisoformat`` reads it: no surrounding space, upper case, a leap second one less."""
    return _LEAP_SECOND.sub(":59", value.strip().upper()) if value else ""


def _utc(text: str) -> datetime | None:
    """An ISO 8601 date or time as an aware UTC datetime (UTC when it has no offset); None when it is none, names no
    such day ("02-30"), or is out of datetime's range once moved to UTC."""
    try:
        at = datetime.fromisoformat(text)
        return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def utc_text(at: datetime, timespec: Literal["seconds", "milliseconds"] = "milliseconds") -> str:
    """``at`` as the records write a time: RFC 3339 in UTC with a "Z" (``now``'s, a publication time's)."""
    return at.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def now_iso() -> str:
    """The current time as the records write it (``utc_text``), to the millisecond."""
    return utc_text(datetime.now(UTC))


def published(value: str | None) -> Published | None:
    """``value`` (``parse_time``) in the one form the output records carry: UTC, "Z", whole seconds unless it has a
    fraction (then milliseconds). Producers write offsets, lower case and nine-digit fractions; a consumer comparing
    times as strings, or a strict parser, reads this one form."""
    if (parsed := parse_time(value)) is None:
        return None
    at, precision = parsed
    return Published(utc_text(at, "milliseconds" if at.microsecond else "seconds"), precision)


def read_time(value: str | None) -> float | None:
    """An RFC 3339 time or a day (``parse_time``) in epoch seconds; None when there is none or it cannot be read."""
    parsed = parse_time(value)
    return None if parsed is None else parsed[0].timestamp()


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
