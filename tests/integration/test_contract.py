"""What a downstream consumer reads on the output topics (review57): one form of time, and headers naming each
record's schema and the release that wrote it."""

from __future__ import annotations

import json

from tests.conftest import SEED_PAGE_ID, seed_record
from tests.integration.conftest import produce, read_messages
from tests.integration.test_chain import WAIT
from workers import codec
from workers.pipeline import PACKAGE_VERSION
from workers.settings import Settings

BODY = (
    "Officials in Sacramento said on Friday that the California budget gap had widened to 68 billion dollars.\n"
    "Governor Gavin Newsom proposed deep cuts to schools and health programmes in the state capital."
)
PAGE = (
    "<html lang='en'><head><title>Rates rise again</title>"
    "<meta property='article:published_time' content='2026-12-05T22:30:00-08:00'></head><body><article>"
    + "".join(
        f"<p>The central bank raised its main rate on Thursday, step {n}, as prices rose faster than expected.</p>"
        for n in range(6)
    )
    + "</article></body></html>"
)


def _line(**record: object) -> bytes:
    return json.dumps({"source": "Contract", **record}).encode()


def test_times_are_utc_and_every_record_names_its_schema(pipeline_settings: Settings, start_worker) -> None:
    """Producer times with an offset, in lower case and as a day alone, and a page's meta time with its zone,
    come out in UTC with a Z on the enriched, duplicates and clusters topics; every record there and on the
    dead-letter topic carries the enrich-schema and enrich-version headers."""
    settings = pipeline_settings
    worker = start_worker(settings)
    produce(
        settings,
        settings.topic_raw,
        [
            _line(id="offset", published_at="2026-12-06T10:00:00+02:00", body=BODY),
            _line(id="lower", published_at="2026-12-06t09:00:00z", body=BODY),  # an exact copy
            _line(id="day", published_at="2026-12-06", text=seed_record(SEED_PAGE_ID)["text"]),
            _line(id="page", url="https://contract.example/rates", html=PAGE),
            b"{not json",
        ],
    )
    topics = {
        settings.topic_enriched: ("enriched", 3),
        settings.topic_duplicates: ("duplicate", 1),
        settings.topic_deadletter: ("deadletter", 1),
        settings.topic_clusters: ("cluster", 4),
    }
    messages = {topic: read_messages(settings, topic, count, WAIT) for topic, (_, count) in topics.items()}
    assert {topic: len(found) for topic, found in messages.items()} == {
        topic: count for topic, (_, count) in topics.items()
    }, worker.log.read_text()[-3000:]
    for topic, found in messages.items():
        schema = topics[topic][0]
        for message in found:
            codec.check(schema, json.loads(message.value))
            assert list(message.headers) == [
                ("enrich-schema", f"{schema}/1".encode()),
                ("enrich-version", PACKAGE_VERSION.encode()),
            ]
    published = {
        record["id"]: (record["published_at"], record["published_precision"])
        for topic in (settings.topic_enriched, settings.topic_duplicates)
        for record in map(json.loads, (m.value for m in messages[topic]))
    }
    assert published == {
        "offset": ("2026-12-06T08:00:00Z", "time"),
        "lower": ("2026-12-06T09:00:00Z", "time"),
        "day": ("2026-12-06T00:00:00Z", "day"),
        "page": ("2026-12-06T06:30:00Z", "time"),
    }
    members = {
        member["id"]: (member["published_at"], member["published_precision"])
        for message in messages[settings.topic_clusters]
        for member in json.loads(message.value)["members"]
    }
    assert members == published
    assert worker.stop() == 0
