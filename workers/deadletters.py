"""Choosing dead letters to replay after a fix, and getting back the exact bytes that failed."""

from __future__ import annotations

import base64
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from workers.records import DeadLetter


@dataclass(frozen=True, slots=True)
class ReplayFilter:
    """Which dead letters to replay: by error code, stage and failure time (all optional)."""

    errors: Collection[str] = ()
    stages: Collection[str] = ()
    since: datetime | None = None
    until: datetime | None = None

    def wants(self, letter: DeadLetter) -> bool:
        """True when ``letter`` matches every criterion given."""
        failed_at = datetime.fromisoformat(letter["failed_at"])
        return (
            (not self.errors or letter["error"] in self.errors)
            and (not self.stages or letter["stage"] in self.stages)
            and (self.since is None or failed_at >= self.since)
            and (self.until is None or failed_at < self.until)
        )


def original_bytes(letter: DeadLetter) -> bytes:
    """The message the failing stage received, byte for byte; a truncated letter holds only its prefix (the whole
    message stays at its origin, its size and sha256 in the letter)."""
    if letter.get("payload_truncated"):
        raise ValueError(f"dead letter of {letter['origin']} keeps only a prefix of the message")
    if letter["payload_encoding"] == "base64":
        return base64.b64decode(letter["payload"])
    return letter["payload"].encode("utf-8")
