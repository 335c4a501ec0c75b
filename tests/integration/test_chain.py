"""The whole chain on the real broker: the seed page, a copy from another outlet, a malformed message."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

from tests.conftest import COPY_URL, ROOT, SEED_BODY_END, SEED_BODY_START, SEED_CHROME, SEED_PAGE_ID, seed_lines
from tests.integration.conftest import free_port, produce, read_topic
from workers import codec
from workers.pipeline import CleanStage, Message
from workers.records import Origin
from workers.settings import Settings

SEEDS_SENT_MS = 1_752_494_400_000  # 2025-07-14T12:00:00Z: the seed records' day
WAIT = 180  # seconds: a first worker start loads spaCy and joins its group; CI machines are slow and shared


def line_of(record_id: str) -> bytes:
    return next(line for line in seed_lines() if record_id.encode() in line)


MALFORMED = b'{"id": "broken-feed-item", "source": "Feed Export", "text": "cut off'


def metric(port: int, name: str, labels: str) -> float:
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    line = next(line for line in body.splitlines() if line.startswith(f"{name}{{{labels}}}"))
    return float(line.rsplit(" ", 1)[1])


def test_seed_copy_and_malformed_message(pipeline_settings: Settings, start_worker) -> None:
    settings = pipeline_settings
    worker = start_worker(settings)
    produce(settings, settings.topic_raw, [line_of(SEED_PAGE_ID)])
    assert len(read_topic(settings, settings.topic_enriched, 1, WAIT, grace=0)) == 1, worker.log.read_text()[-3000:]
    produce(settings, settings.topic_raw, [line_of(COPY_URL), MALFORMED])

    [duplicate] = read_topic(settings, settings.topic_duplicates, 1, WAIT)
    [dead] = read_topic(settings, settings.topic_deadletter, 1, WAIT)
    [enriched] = read_topic(settings, settings.topic_enriched, 1, 5)

    codec.check("enriched", enriched)
    assert enriched["id"] == SEED_PAGE_ID
    assert enriched["text"].startswith(SEED_BODY_START) and enriched["text"].endswith(SEED_BODY_END)
    assert not [chrome for chrome in SEED_CHROME if chrome in enriched["text"]]
    entities = {(e["text"], e["label"]) for e in enriched["entities"]}
    assert {("Zamir Kabulov", "PERSON"), ("Moscow", "GPE"), ("Kabul", "GPE")} <= entities
    assert enriched["origin"]["topic"] == settings.topic_raw

    codec.check("duplicate", duplicate)
    assert duplicate["canonical_id"] == enriched["id"]
    assert duplicate["cluster_id"] == enriched["cluster_id"]
    assert duplicate["url"] == COPY_URL and duplicate["match"] == "near"

    codec.check("deadletter", dead)
    assert (dead["stage"], dead["error"]) == ("clean", "invalid_json")
    assert dead["reason"] and dead["payload"].encode() == MALFORMED

    assert worker.alive(), worker.log.read_text()[-3000:]
    assert metric(settings.metrics_port, "enrich_messages_in_total", 'stage="clean"') == 3
    assert metric(settings.metrics_port, "enrich_deadletters_total", 'reason="invalid_json",stage="clean"') == 1
    assert worker.stop() == 0


def test_stages_in_separate_processes_with_the_cli(pipeline_settings: Settings, start_worker, tmp_path) -> None:
    settings = pipeline_settings
    cleaner = start_worker(settings, "clean")
    rest = start_worker(
        settings.model_copy(
            update={"metrics_port": free_port(), "web_port": free_port(), "data_dir": tmp_path / "rest"}
        ),
        "dedup,entities",
    )
    subprocess.run(
        [sys.executable, "-m", "workers", "produce", str(ROOT / "seeds" / "articles.jsonl")],
        cwd=ROOT,
        env={**os.environ, **settings.as_environment()},
        check=True,
        timeout=60,
    )
    enriched = read_topic(settings, settings.topic_enriched, 2, WAIT)
    duplicates = read_topic(settings, settings.topic_duplicates, 1, 10)
    dead = read_topic(settings, settings.topic_deadletter, 2, 10)
    assert (len(enriched), len(duplicates), len(dead)) == (2, 1, 2)
    for record in enriched:
        codec.check("enriched", record)
    ids = {r["id"] for r in enriched + duplicates}
    assert len(ids) == 3 and {SEED_PAGE_ID, "btd-kremlin-weapons-ukraine"} <= ids
    assert duplicates[0]["canonical_id"] in {r["id"] for r in enriched}
    assert {r["error"] for r in dead} == {"invalid_json", "schema_violation"}
    assert cleaner.alive() and rest.alive()


def test_a_record_whose_sketch_cannot_be_read_is_decided_from_its_text_in_its_batch(
    pipeline_settings: Settings, start_worker
) -> None:
    """A clean record whose sketch is no sketch is sketched from its text, in its batch, and a warning names it: no
    batch falls back to one record at a time (atomic102: it failed its batch's index call, after the records ahead of
    it had changed the index, and the records decided again found them replays), whatever the batching.
    Among them a record no clean stage of this version checked (an older one's) claims 2099: taken at its message's
    time and one day, it moves no article out of the window, and the copies after it are still duplicates."""
    settings = pipeline_settings
    sent = Origin(topic=settings.topic_raw, partition=0, offset=0, timestamp_ms=SEEDS_SENT_MS)
    outputs = CleanStage(settings).process([Message(line, sent) for line in seed_lines()])
    seed, copy, other = [group[0].record for group in outputs if group[0].destination == "clean"]
    future = {**other, "published_at": "2099-01-01T00:00:00Z"}
    broken = {**seed, "id": "broken-sketch", "sketch": {**seed["sketch"], "data": "AAAA"}}
    worker = start_worker(settings, "dedup")
    produce(settings, settings.topic_clean, [codec.dumps(record) for record in [seed, future, copy, broken]])
    assert len(read_topic(settings, settings.topic_unique, 2, WAIT)) == 2, worker.log.read_text()[-3000:]
    duplicates = read_topic(settings, settings.topic_duplicates, 2, WAIT)
    for duplicate in duplicates:
        codec.check("duplicate", duplicate)
    assert {(d["id"], d["canonical_id"]) for d in duplicates} == {
        (copy["id"], SEED_PAGE_ID),
        ("broken-sketch", SEED_PAGE_ID),
    }
    assert f"{other['id']}'s published_at 2099-01-01T00:00:00Z is later" in worker.log.read_text()
    assert "the sketch broken-sketch brought cannot be read" in worker.log.read_text()
    assert metric(settings.metrics_port, "enrich_batch_fallbacks_total", 'stage="dedup"') == 0
    assert worker.alive(), worker.log.read_text()[-3000:]
