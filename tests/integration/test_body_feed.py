"""An article sent as itself (a raw ``body``) through the real broker: kept whole, enriched, schema-valid."""

from __future__ import annotations

import orjson

from bench.clean_eval import DEFAULT_REUTERS, load_reuters
from tests.integration.conftest import produce, read_topic
from workers import codec
from workers.settings import Settings

WAIT = 180  # seconds: a first worker start loads spaCy and joins its group; CI machines are slow and shared
NAV_ONLY = "Home\nSign in\nSubscribe\n12 minutes ago"
POSITIONS = "May 6765\n Aug 13126\n Oct 4462\n Dec 167\n Total 25273\n"  # Reuters 13438's table: rows of 2 words


def test_a_wire_table_sent_as_body_is_enriched_whole_and_a_body_of_prompts_is_a_dead_letter(
    pipeline_settings: Settings, start_worker
) -> None:
    settings = pipeline_settings
    worker = start_worker(settings)
    [(story_id, story)] = load_reuters(DEFAULT_REUTERS, 1, 1)  # Standard Oil and BP form a venture
    table = "LONDON, March 3 (Reuters) - Acme Corp results:\nShr 23 cts vs 18 cts\nNet 509,144 vs 277,834"
    records = [
        {"id": story_id, "source": "Reuters", "body": story},
        {"id": "earnings-table", "source": "Reuters", "body": table},
        {"id": "position-table", "source": "Reuters", "body": POSITIONS},
        {"id": "prompts-only", "source": "Feed", "body": NAV_ONLY},
    ]
    produce(settings, settings.topic_raw, [orjson.dumps(record) for record in records])

    enriched = {record["id"]: record for record in read_topic(settings, settings.topic_enriched, 3, WAIT)}
    [dead] = read_topic(settings, settings.topic_deadletter, 1, WAIT)
    assert worker.alive(), worker.log.read_text()[-3000:]

    for record in enriched.values():
        codec.check("enriched", record)
        assert record["input_kind"] == "body"
    assert " ".join(story.split()).startswith(enriched[story_id]["text"].split("\n\n")[0])
    assert enriched["earnings-table"]["text"].split("\n\n") == [
        "Acme Corp results:",
        "Shr 23 cts vs 18 cts",
        "Net 509,144 vs 277,834",
    ]
    assert enriched["earnings-table"]["wire"]["agency"] == "Reuters"
    assert enriched["position-table"]["text"].split("\n\n") == [line.strip() for line in POSITIONS.splitlines()]
    codec.check("deadletter", dead)
    assert (dead["id"], dead["stage"], dead["error"]) == ("prompts-only", "clean", "no_article")
    assert orjson.loads(dead["payload"])["body"] == NAV_ONLY


def test_a_short_wire_brief_sent_as_text_is_enriched_whole_and_a_text_of_prompts_is_a_dead_letter(
    pipeline_settings: Settings, start_worker
) -> None:
    """Unsigned dividend notices are enriched whole, sent as a body and sent as text: as text, the wire's results row
    opening the notice ("Qtrly div five cts vs five cts") is its wire mark, and its 11 words are under the minimum
    that page text would hold it to."""
    settings = pipeline_settings
    worker = start_worker(settings)
    [brief] = [text for found, text in load_reuters(DEFAULT_REUTERS, 500, 100) if found == "reuters21578-580"]
    [notice] = [text for found, text in load_reuters(DEFAULT_REUTERS, 4100, 10) if found == "reuters21578-4440"]
    [other] = [text for found, text in load_reuters(DEFAULT_REUTERS, 5920, 10) if found == "reuters21578-6457"]
    records = [
        {"id": "earnings-brief", "source": "Reuters", "text": brief},  # 22 words, under ENRICH_MIN_BODY_WORDS
        {"id": "unsigned-notice", "source": "Reuters", "body": notice},
        {"id": "unsigned-notice-text", "source": "Reuters", "text": other},  # another notice: no duplicate
        {"id": "prompts-only", "source": "Feed", "text": NAV_ONLY},
    ]
    produce(settings, settings.topic_raw, [orjson.dumps(record) for record in records])

    enriched = {record["id"]: record for record in read_topic(settings, settings.topic_enriched, 3, WAIT)}
    dead = {record["id"]: record for record in read_topic(settings, settings.topic_deadletter, 1, WAIT)}
    assert worker.alive(), worker.log.read_text()[-3000:]
    sent = (
        ("earnings-brief", brief, "text"),
        ("unsigned-notice", notice, "body"),
        ("unsigned-notice-text", other, "text"),
    )
    for story_id, story, kind in sent:
        codec.check("enriched", enriched[story_id])
        assert enriched[story_id]["input_kind"] == kind
        assert enriched[story_id]["text"].split("\n\n") == [line.strip() for line in story.splitlines() if line.strip()]
    codec.check("deadletter", dead["prompts-only"])
    assert (dead["prompts-only"]["stage"], dead["prompts-only"]["error"]) == ("clean", "no_article")
