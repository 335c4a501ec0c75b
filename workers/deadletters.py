"""Dead letters' places, choosing those to replay after a fix, and getting back the exact message that failed."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from workers import codec
from workers.intake import message_key
from workers.records import DeadLetter, Rejected
from workers.times import utc_time

# The header ``enrich replay`` sends each message with: the place (``coordinates``) of the letter it replays. The
# records a stage makes of the message carry it on (``workers.pipeline.CARRIES_REPLAY``), and a stage that fails on
# the message or one of them writes it into the new letter (``replay_of``), which the next replay leaves.
REPLAY_HEADER = "enrich-replay-of"
# What a header must look like to be copied into a letter: a Kafka topic name (at most 249 of these characters), a
# partition and an offset. Anything else a producer sends under the name is no replay of ours, and could be any size.
_COORDINATES = re.compile(r"[a-zA-Z0-9._-]{1,249}:[0-9]{1,10}:[0-9]{1,19}")


def coordinates(topic: str, partition: int, offset: int) -> str:
    """A message's place as one string, ``topic:partition:offset``: a dead letter's key when it has no id (an offset
    alone names a message only within its partition), and the replay header's value."""
    return f"{topic}:{partition}:{offset}"


def replay_of(headers: Mapping[str, bytes] | Iterable[tuple[str, bytes]] | None) -> str | None:
    """The place of the dead letter a message replays, from its ``REPLAY_HEADER``; None when it is no replay."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
    for name, value in pairs:
        if name == REPLAY_HEADER and value is not None:
            text = bytes(value).decode("utf-8", "replace")
            return text if _COORDINATES.fullmatch(text) else None
    return None


@dataclass(frozen=True, slots=True)
class ReplayFilter:
    """Which dead letters to replay: by error code, stage and failure time (all optional); the letters of replays
    that failed again whose first letter the run chose only when ``replays`` is set (that one sends the message)."""

    errors: Collection[str] = ()
    stages: Collection[str] = ()
    since: datetime | None = None
    until: datetime | None = None
    replays: bool = False

    def wants(self, letter: DeadLetter) -> bool:
        """True when ``letter`` matches every criterion given, whatever it is the letter of."""
        failed_at = utc_time(letter["failed_at"])  # ``ReplayRun.read`` leaves a letter whose time none reads
        return (
            (not self.errors or letter["error"] in self.errors)
            and (not self.stages or letter["stage"] in self.stages)
            and (self.since is None or (failed_at is not None and failed_at >= self.since))
            and (self.until is None or (failed_at is not None and failed_at < self.until))
        )


@dataclass(frozen=True, slots=True)
class Replay:
    """One message to send again: where, with which key, and the header naming the letter it replays."""

    topic: str
    key: bytes
    value: bytes | None  # None: a null value, as the message had
    headers: list[tuple[str, bytes]]


@dataclass
class ReplayRun:
    """The choices of one ``enrich replay`` over the dead-letter topic, letter by letter, and what each letter read
    came to (``counts``: ``skipped``, ``skipped_replays``, and ``<stage>:<error>`` with a ``:<why>_not_replayed``
    suffix for a letter chosen but not sent). A message is sent once a run: letters of one failure, as a letter and
    that of its replay, or of one message sent twice, hold the same bytes for the same stage. A letter of a replay is
    left only when the run chose the letter it names (read62: one whose first letter the filter left out, as a letter
    older than ``--since`` or of another error, was left too, and nothing was sent)."""

    wanted: ReplayFilter
    topics: Collection[str]  # the topics the broker has: sending to another would create it
    counts: Counter[str] = field(default_factory=Counter)
    sent: set[tuple[str, str]] = field(default_factory=set)  # (stage, sha256 of the message) of the run so far
    chosen: set[str] = field(default_factory=set)  # places of the letters the filter chose so far
    # Letters of replays read before the letter they name: the dead-letter topic's partitions are read in no set
    # order, and a letter without an id is keyed by its message's place, so a replay's letter can come first.
    # Their messages are decoded again at the end (``rest``): held decoded beside the payload, a waiting letter took
    # 1.75 times the memory of its payload (read75).
    waiting: list[tuple[DeadLetter, str]] = field(default_factory=list)

    def read(self, value: bytes | None, place: str) -> Replay | None:
        """The message to send for the message at ``place`` of the dead-letter topic as it is read, or None when
        it is left (and counted why) or waits for the letter it replays (``rest``). One that is no dead letter
        (not JSON, a null value, another writer's record that breaks ``deadletter.json``, or one whose time or
        payload cannot be read although the schema takes it: a leap second, base64 that is none) is left and
        counted (``skipped_not_letters``): it stopped the run with a trace, and the letters after it went unreplayed."""
        try:
            letter = codec.loads(value if value is not None else b"")
            codec.check("deadletter", letter)
            if utc_time(letter["failed_at"]) is None:
                raise ValueError(f"failed_at {letter['failed_at']!r} is no time")
            message = _held_message(letter)  # raises ValueError (binascii.Error) on a payload that is no base64
        except (Rejected, ValueError):
            self.counts["skipped_not_letters"] += 1
            return None
        return self._take(letter, place, message)

    def _take(self, letter: DeadLetter, place: str, message: bytes | None) -> Replay | None:
        """``read`` for a message that is a dead letter, its ``message`` decoded (``_held_message``)."""
        if not self.wanted.wants(letter):
            self.counts["skipped"] += 1
            return None
        self.chosen.add(place)
        if not self.wanted.replays and letter.get("replay_of"):
            if letter["replay_of"] in self.chosen:
                self.counts["skipped_replays"] += 1
            else:
                self.waiting.append((letter, place))
            return None
        return self._send(letter, place, message)

    def rest(self) -> list[Replay]:
        """Once every letter is read: the letters of replays whose first letter the run did not choose."""
        waiting, self.waiting = self.waiting, []
        replays = []
        for letter, place in waiting:
            if letter["replay_of"] in self.chosen:
                self.counts["skipped_replays"] += 1
            elif (replay := self._send(letter, place, _held_message(letter))) is not None:
                replays.append(replay)
        return replays

    def _send(self, letter: DeadLetter, place: str, message: bytes | None) -> Replay | None:
        """The message of a chosen letter, or None when it is held (counted why)."""
        held = self._held(letter, message)
        self.counts[f"{letter['stage']}:{letter['error']}" + (f":{held}_not_replayed" if held else "")] += 1
        if held:
            return None
        topic = letter["origin"]["topic"]
        return Replay(topic, replay_key(letter, message), message, [(REPLAY_HEADER, place.encode())])

    def _held(self, letter: DeadLetter, message: bytes | None) -> str | None:
        """Why the chosen ``letter`` (its ``message``) is not sent, or None (then it is marked sent)."""
        if letter.get("payload_truncated", False):
            return "truncated"
        if letter["origin"]["topic"] not in self.topics:
            return "no_topic"
        sent = (letter["stage"], "null" if message is None else hashlib.sha256(message).hexdigest())
        if sent in self.sent:
            return "repeat"
        self.sent.add(sent)
        return None


def _held_message(letter: DeadLetter) -> bytes | None:
    """The message a letter holds to send (``original_bytes``); None for a truncated letter, which is never sent."""
    return None if letter.get("payload_truncated", False) else original_bytes(letter)


def letter_key(letter: DeadLetter) -> str:
    """A dead letter's key, and its replay's (a message with a null value must have one): its id, else its origin's
    place."""
    origin = letter["origin"]
    return letter["id"] or coordinates(origin["topic"], origin["partition"], origin["offset"])


def replay_key(letter: DeadLetter, message: bytes | None) -> bytes:
    """The key a letter's message is sent again under: for a raw message whose letter names no id (``oversized``, a
    refused record without an id of its own), the key ``enrich produce`` gives it (its id, or the id derived from its
    url or page), so that it lands on the partition of the id's other messages, after them, as "the latest record of
    an id" in docs/records.md needs; else, and for a message that is no JSON object (``invalid_json``: produce gives
    it no key), the letter's key (consumer21: ``oversized`` letters were replayed under their origin's place, to
    another raw partition than their id's)."""
    if letter["id"] is None and letter["stage"] == "clean" and message is not None:
        return message_key(message) or letter_key(letter).encode()
    return letter_key(letter).encode()


def original_bytes(letter: DeadLetter) -> bytes | None:
    """The message the failing stage received, byte for byte (None for a message with a null value); a truncated
    letter holds only its prefix (the whole message stays at its origin, its size and sha256 in the letter)."""
    if letter.get("payload_truncated"):
        raise ValueError(f"dead letter of {letter['origin']} keeps only a prefix of the message")
    if letter.get("payload_null"):
        return None
    if letter["payload_encoding"] == "base64":
        return base64.b64decode(letter["payload"], validate=True)  # not validated, "!!!" reads as b""
    return letter["payload"].encode("utf-8")
