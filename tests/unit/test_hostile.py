"""Hostile input at the clean stage: anything at all becomes exactly one valid record, and nothing is fetched."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile import hostile_messages, network_bait, raw
from workers import codec
from workers.deadletters import original_bytes
from workers.pipeline import CleanStage, Message
from workers.records import Origin
from workers.settings import Settings

STAGE = CleanStage(Settings())
ORIGIN = Origin(topic="articles.raw", partition=0, offset=7, timestamp_ms=None)


def clean_one(payload: bytes) -> tuple[str, dict]:
    """The single output of the clean stage for one message, checked against its schema."""
    [[output]] = STAGE.process([Message(payload, ORIGIN)])
    codec.check("clean" if output.destination == "clean" else "deadletter", output.record)
    return output.destination, output.record


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_any_bytes_become_one_valid_record(payload: bytes) -> None:
    destination, _ = clean_one(payload)
    assert destination in ("clean", "deadletter")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["id", "url", "source", "title", "published_at", "html", "text", "extra"]),
        JSON_VALUES | st.text(alphabet=st.characters(codec="utf-8"), max_size=2000),
        max_size=8,
    )
)
def test_any_json_object_becomes_one_valid_record(record: dict) -> None:
    payload = json.dumps(record).encode()  # the stdlib writes what orjson refuses too: integers beyond 64 bits
    destination, output = clean_one(payload)
    if destination == "deadletter":
        assert output["reason"] and original_bytes(output) == payload


@pytest.mark.parametrize(("name", "case"), hostile_messages(Settings().max_message_bytes).items())
def test_hostile_corpus(name: str, case: tuple[bytes, str | None]) -> None:
    payload, error = case
    destination, record = clean_one(payload)
    assert (destination, record.get("error")) == (("deadletter", error) if error else ("clean", None)), record


class CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - shared by the handler instances of one server

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def bait_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_cleaning_fetches_nothing(bait_server: str) -> None:
    CountingHandler.hits.clear()
    destination, record = clean_one(raw("bait", html=network_bait(bait_server), url=f"{bait_server}/article"))
    assert destination == "clean" and "Kabulov" in record["text"]
    assert CountingHandler.hits == []
