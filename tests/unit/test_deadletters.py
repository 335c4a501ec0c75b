"""Choosing dead letters to replay and recovering their original bytes."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import json
import tracemalloc
from datetime import UTC, datetime, timedelta

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
from workers.deadletters import REPLAY_HEADER, Replay, ReplayFilter, ReplayRun, original_bytes
from workers.intake import message_key, read_raw
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


def fitted_letter(
    payload: bytes, reason: str = "why", article_id: str | None = None, replay_of: str | None = None
) -> tuple[dict, int]:
    """The dead letter of ``payload`` and the bytes it takes on the dead-letter topic's cap (key included)."""
    sent = dataclasses.replace(message(payload), replay_of=replay_of)
    output = dead_letter("clean", sent, Rejected("oversized", reason), article_id)
    codec.check("deadletter", output.record)
    return output.record, len(codec.dumps(output.record)) + len(output.key.encode())


@pytest.mark.parametrize(
    "unit", [b'"', b"\x01", b"\xff", b"\\", "\u2028".encode(), b'<div class="x" id="y">a</div>\n'], ids=repr
)
def test_any_message_a_topic_takes_has_a_whole_dead_letter_under_the_dead_letter_topic_cap(unit: bytes) -> None:
    payload = (unit * (TOPIC_MAX_MESSAGE_BYTES // len(unit) + 1))[:TOPIC_MAX_MESSAGE_BYTES]
    worst_id, worst_reason = "\x00" * 512, "\x1f" * 100_000  # both escaped as 6 bytes a character
    worst_replay = f"{'t' * 249}:{2**31 - 1}:{2**63 - 1}"  # the longest topic name, partition and offset
    record, size = fitted_letter(payload, worst_reason, worst_id, worst_replay)
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
    is dropped, and the letter is keyed by its topic, partition and offset as an unreadable record's is."""
    record = {**seed_record(SEED_PAGE_ID), "id": given, "source": ""}  # refused by the schema for its source too
    [[output]] = CleanStage(Settings(metrics_port=0)).process([message(json.dumps(record).encode(), offset=9)])
    codec.check("deadletter", output.record)
    assert (output.record["error"], output.record["id"]) == ("schema_violation", kept)
    assert output.key == (kept or "articles.raw:1:9")
    assert codec.loads(original_bytes(output.record)) == record


def replayed(place: str, payload: bytes, **changes: object) -> dict:
    """A letter of the message at ``place`` (topic:partition:offset) whose replay failed again."""
    return {**letter(payload), "replay_of": place, **changes}


def test_a_replay_run_sends_each_message_once_and_leaves_the_letters_of_replays_by_default() -> None:
    """review57: run after run, each replay sent the messages of the letters the last one made too (5, 10, 20)."""
    first, second = letter(b"{not json"), {**letter(b"[1]", code="schema_violation"), "id": "x"}
    truncated = {**letter(b"{"), "payload_truncated": True, "payload_size": 1, "payload_sha256": "0" * 64}
    elsewhere = {**letter(b"{"), "origin": {**letter(b"{")["origin"], "topic": "articles.gone"}}
    dedup = letter(b"{not json", stage="dedup")  # the same bytes failed at another stage: sent to its topic
    again = [
        replayed("articles.deadletter:0:0", b"{not json"),
        replayed("articles.deadletter:0:1", b"[1]", error="schema_violation"),
    ]
    letters = [first, second, truncated, elsewhere, dedup, *again, letter(b"{not json")]  # the last: a resend
    default, everything = (
        ReplayRun(ReplayFilter(), {"articles.raw"}),
        ReplayRun(ReplayFilter(replays=True), {"articles.raw"}),
    )
    for run in (default, everything):
        sent = [run.read(codec.dumps(one), f"articles.deadletter:0:{i}") for i, one in enumerate(letters)]
        assert sent[:2] == [
            Replay("articles.raw", b"articles.raw:1:0", b"{not json", [(REPLAY_HEADER, b"articles.deadletter:0:0")]),
            Replay("articles.raw", b"x", b"[1]", [(REPLAY_HEADER, b"articles.deadletter:0:1")]),
        ]
        assert sent[2:4] == [None, None] and sent[4] is not None and sent[5:] == [None, None, None]
    assert default.counts == {
        "clean:invalid_json": 1,
        "clean:schema_violation": 1,
        "clean:invalid_json:truncated_not_replayed": 1,
        "clean:invalid_json:no_topic_not_replayed": 1,
        "dedup:invalid_json": 1,
        "skipped_replays": 2,
        "clean:invalid_json:repeat_not_replayed": 1,
    }
    assert everything.counts["clean:invalid_json:repeat_not_replayed"] == 2
    assert everything.counts["clean:schema_violation:repeat_not_replayed"] == 1
    assert "skipped_replays" not in everything.counts
    unwanted = ReplayRun(ReplayFilter(errors={"oversized"}), {"articles.raw"})
    assert [unwanted.read(codec.dumps(one), "articles.deadletter:0:0") for one in (first, again[0])] == [None, None]
    assert unwanted.counts == {"skipped": 2}  # not wanted whatever it replays


def test_a_letter_of_a_replay_whose_first_letter_the_run_left_out_is_sent() -> None:
    """read62: with ``--error`` or ``--since`` leaving out a failure's first letter, the letter of its replay that
    the filter chose was left as a replay's, and the run sent nothing; it is left only when the run chose the first."""
    first = {**letter(b"{not json"), "failed_at": "2026-12-06T10:00:00.000Z"}
    again = replayed("articles.deadletter:0:0", b"{not json", failed_at="2026-12-06T12:00:00.000Z")
    again["origin"] = {**again["origin"], "offset": 9}
    since = datetime.fromisoformat("2026-12-06T11:00:00+00:00")
    cases = [  # the filter, the place each letter sent names, how many letters were left as replays'
        (ReplayFilter(since=since), [b"articles.deadletter:0:1"], 0),
        (ReplayFilter(errors=("invalid_json",)), [b"articles.deadletter:0:0"], 1),
        (ReplayFilter(until=since), [b"articles.deadletter:0:0"], 0),
    ]
    for wanted, places, skipped in cases:
        run = ReplayRun(wanted, {"articles.raw"})
        sent = [
            run.read(codec.dumps(one), f"articles.deadletter:0:{n}") for n, one in enumerate((first, again))
        ] + run.rest()
        assert [replay.headers for replay in sent if replay] == [[(REPLAY_HEADER, place)] for place in places]
        assert run.counts["skipped_replays"] == skipped


def test_a_letter_of_a_replay_read_before_the_letter_it_names_is_left_all_the_same() -> None:
    """The dead-letter topic's partitions come in no set order, and a letter without an id is keyed by its message's
    place: the letter of a replay can be read first. It waits for the run's end, and is left when the run chose the
    letter it names (the clean-clone run at f573d29 replayed it: test_replay's "skipped 3" where 4 were left)."""
    first = letter(b"{not json")
    again = replayed("articles.deadletter:1:0", b"{not json")
    run = ReplayRun(ReplayFilter(), {"articles.raw"})
    sent = [
        run.read(codec.dumps(again), "articles.deadletter:0:0"),
        run.read(codec.dumps(first), "articles.deadletter:1:0"),
        *run.rest(),
    ]
    assert [replay.headers for replay in sent if replay] == [[(REPLAY_HEADER, b"articles.deadletter:1:0")]]
    assert run.counts["skipped_replays"] == 1


def test_a_letter_of_a_null_value_replays_a_null_value_not_an_empty_one() -> None:
    """review57's nit: a tombstone's letter had an empty payload, which a replay sent as b""."""
    null = {**letter(b""), "payload_null": True}
    codec.check("deadletter", null)
    run = ReplayRun(ReplayFilter(), {"articles.raw"})
    assert run.read(codec.dumps(null), "articles.deadletter:2:5") == Replay(
        "articles.raw", b"articles.raw:1:0", None, [(REPLAY_HEADER, b"articles.deadletter:2:5")]
    )
    assert (
        run.read(codec.dumps(letter(b"")), "articles.deadletter:2:6") is not None
    )  # an empty message is another message


def test_the_filter_takes_failed_at_as_written() -> None:
    """review57: --since would not take a failed_at value as written; the CLI parses with the same reader."""
    oversized = letter(b"x", code="oversized")
    failed_at = datetime.fromisoformat(oversized["failed_at"])
    assert oversized["failed_at"].endswith("Z") and failed_at.tzinfo is not None
    assert ReplayFilter(since=failed_at, until=failed_at + timedelta(milliseconds=1)).wants(oversized)


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


def test_messages_on_the_dead_letter_topic_that_are_no_letters_are_counted_and_left() -> None:
    """A message of another writer on the dead-letter topic (not JSON, a null value, a record without ``failed_at``)
    stopped ``enrich replay`` with a trace, the letters after it unreplayed."""
    first = letter(b"{not json")
    stray = {key: value for key, value in first.items() if key != "failed_at"}
    run = ReplayRun(ReplayFilter(), {"articles.raw"})
    values = [b"not json", None, json.dumps(stray).encode(), json.dumps(first).encode()]
    sent = [run.read(value, f"articles.deadletter:0:{i}") for i, value in enumerate(values)]
    assert sent == [None, None, None, run_sends(first, "articles.deadletter:0:3")]
    assert run.counts == {"skipped_not_letters": 3, "clean:invalid_json": 1}


def run_sends(one: dict, place: str) -> Replay | None:
    """What a fresh run sends for the letter ``one`` at ``place``."""
    return ReplayRun(ReplayFilter(), {"articles.raw"}).read(codec.dumps(one), place)


@pytest.mark.parametrize("failed_at", ["2026-12-06T23:59:60Z", "2026-12-06t10:00:00z"])
def test_a_letter_whose_failed_at_the_schema_takes_does_not_stop_the_run(failed_at: str) -> None:
    """read69: deadletter.json's date-time format takes a leap second and a lower-case "t"/"z" (RFC 3339), which
    ``datetime.fromisoformat`` refuses: ``ReplayRun.read`` raised ValueError from ``ReplayFilter.wants``, outside its
    try, and the run stopped with a trace, the letters after it unreplayed (what 455dce6 mends for other records)."""
    stamped = {**letter(b"{not json"), "failed_at": failed_at}
    codec.check("deadletter", stamped)
    run = ReplayRun(ReplayFilter(since=datetime(2026, 1, 1, tzinfo=UTC)), {"articles.raw"})
    assert run.read(json.dumps(stamped).encode(), "articles.deadletter:0:7") is not None


def test_a_letter_whose_base64_payload_cannot_be_decoded_is_left_not_sent_or_raised() -> None:
    """read69: a record that passes deadletter.json with ``payload_encoding`` base64 and a payload that is no base64
    raised binascii.Error (stopping the run), or, for characters outside the alphabet, was sent as other bytes (b"")."""
    run = ReplayRun(ReplayFilter(), {"articles.raw"})
    for offset, payload in enumerate(["abc", "!!!"]):
        bad = {**letter(b"x"), "payload_encoding": "base64", "payload": payload}
        codec.check("deadletter", bad)
        assert run.read(json.dumps(bad).encode(), f"articles.deadletter:0:{offset}") is None
    assert run.counts["skipped_not_letters"] == 2


def test_a_run_reading_letters_decodes_each_payload_once_and_sends_its_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """tidy74: ``read`` decoded a base64 payload to check it, and ``_send`` decoded it again. Binary messages, one of
    them a letter of a replay read before any letter it names (sent at the run's end, and decoded again then: it
    waits without its decoded message, read75), one truncated (never sent)."""
    decoded: list[str] = []
    b64decode = base64.b64decode
    monkeypatch.setattr(base64, "b64decode", lambda text, **kw: decoded.append(text) or b64decode(text, **kw))
    first, again = letter(b"\xff first"), replayed("articles.deadletter:9:9", b"\xfe again")
    truncated = {**letter(b"\xfd"), "payload_truncated": True, "payload_size": 1, "payload_sha256": "0" * 64}
    run = ReplayRun(ReplayFilter(), {"articles.raw"})
    values = [json.dumps(one).encode() for one in (again, first, truncated)]
    sent = [run.read(value, f"articles.deadletter:0:{n}") for n, value in enumerate(values)] + run.rest()
    assert [(replay.value, replay.headers) for replay in sent if replay] == [
        (b"\xff first", [(REPLAY_HEADER, b"articles.deadletter:0:1")]),
        (b"\xfe again", [(REPLAY_HEADER, b"articles.deadletter:0:0")]),
    ]
    assert decoded == [again["payload"], first["payload"], again["payload"]]
    assert run.counts == {"clean:invalid_json": 2, "clean:invalid_json:truncated_not_replayed": 1}


def test_the_letters_of_replays_waiting_for_the_end_of_the_run_hold_no_second_copy_of_their_message() -> None:
    """read75: since tidy74 a letter waiting for the run's end (a replay's, read before the letter it names) held its
    decoded message beside its base64 payload: 1.75 times the memory of the payloads (56 to 96 MB for 2,000 letters
    of 20 kB). Decoded again at the end, as before; the letters sent as they are read are decoded once."""
    values = [
        json.dumps(replayed(f"articles.deadletter:9:{n}", b"\xff" * 100_000 + bytes([n]))).encode() for n in range(20)
    ]
    payloads = sum(len(json.loads(value)["payload"]) for value in values)
    run = ReplayRun(ReplayFilter(), {"articles.raw"})
    tracemalloc.start()
    try:
        for n, value in enumerate(values):
            assert run.read(value, f"articles.deadletter:0:{n}") is None  # waits for the run's end
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 1.3 * payloads  # the letters, their base64 payloads (1.75 with the decoded messages too)
    assert [replay.value for replay in run.rest()] == [b"\xff" * 100_000 + bytes([n]) for n in range(20)]


def test_a_raw_message_whose_letter_names_no_id_is_replayed_under_the_key_enrich_produce_gives_it() -> None:
    """consumer21: an ``oversized`` letter names no id (the message is not read), and its replay went under its
    origin's place, to another raw partition than the id's other messages: its records could no longer be ordered
    after theirs by ``origin.offset`` (records.md, the latest record of an id)."""
    article = json.dumps({"id": "huge-1", "source": "s", "body": "words"}).encode()
    oversized = letter(article, code="oversized")
    derived = letter(json.dumps({"url": "https://a.example/1", "source": "s", "body": "x"}).encode(), code="oversized")
    assert oversized["id"] is None
    assert run_sends(oversized, "articles.deadletter:3:3").key == b"huge-1"  # type: ignore[union-attr]
    derived_id = read_raw(derived["payload"].encode(), 1000)["id"]  # the id the clean stage gives it
    assert run_sends(derived, "articles.deadletter:3:4").key == derived_id.encode()  # type: ignore[union-attr]
    assert message_key(derived["payload"].encode()) == derived_id.encode()  # enrich produce's key: the same function
    assert run_sends(letter(b"{not json"), "articles.deadletter:3:5").key == b"articles.raw:1:0"  # type: ignore[union-attr]
    assert run_sends(letter(article, stage="dedup"), "articles.deadletter:3:6").key == b"articles.raw:1:0"  # type: ignore[union-attr]
