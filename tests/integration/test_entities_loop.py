"""A tagging worker answers on its event loop while a large NER batch is tagged on its stage thread.

The Faust web server runs on the worker's event loop, as do the consumer's heartbeats and commits; the
Prometheus endpoint runs on a thread of its own. So the test watches the batch through the metrics (handed to
the stage, not yet tagged), asks the web server for a page meanwhile, and checks that the batch was still
being tagged when the answer came. A loop blocked by the tagging could only answer after the batch.
"""

from __future__ import annotations

import json
import time
import urllib.request

from tests.conftest import SEED_PAGE_ID, seed_record
from tests.integration.conftest import produce, read_topic
from workers import codec
from workers.pipeline import CleanStage, DedupStage, Message
from workers.records import Origin
from workers.settings import Settings

ARTICLES = 48  # with LONG_TEXT_REPEAT, a batch of ~100k words: many seconds of tagging even on a fast machine
LONG_TEXT_REPEAT = 6
WAIT = 300  # seconds: a worker start loads spaCy and joins its group; shared CI machines are slow


def unique_records(settings: Settings) -> list[bytes]:
    """Long first copies of the seed article under distinct ids, as dedup would send them to tagging."""
    origin = Origin(topic=settings.topic_raw, partition=0, offset=0, timestamp_ms=None)
    [[cleaned]] = CleanStage(settings).process([Message(json.dumps(seed_record(SEED_PAGE_ID)).encode(), origin)])
    [unique, *_] = DedupStage(settings).process([Message(codec.dumps(cleaned.record), origin)])[0]
    text = "\n\n".join([unique.record["text"]] * LONG_TEXT_REPEAT)
    return [
        codec.dumps({**unique.record, "id": f"long-{n}", "text": text, "cluster_id": f"cl-{n}"})
        for n in range(ARTICLES)
    ]


def metrics(settings: Settings) -> dict[str, float]:
    body = urllib.request.urlopen(f"http://127.0.0.1:{settings.metrics_port}/metrics", timeout=10).read().decode()
    samples = (line.rsplit(" ", 1) for line in body.splitlines() if line and not line.startswith("#"))
    return {sample: float(value) for sample, value in samples}


def batch_state(settings: Settings) -> tuple[float, float]:
    """(articles handed to the entities stage, articles it has tagged), from the worker's metrics.

    The agent observes the stage's time right after the stage thread returns, before its next await: a loop
    that was blocked by the tagging has counted the batch as tagged before it can serve anything else.
    """
    try:
        sample = metrics(settings)
    except OSError:  # the worker is still starting
        return 0.0, 0.0
    handed = sample.get('enrich_messages_in_total{stage="entities"}', 0.0)
    return handed, sample.get('enrich_stage_seconds_count{stage="entities"}', 0.0)


def test_the_event_loop_answers_while_a_large_batch_is_tagged(pipeline_settings: Settings, start_worker) -> None:
    settings = pipeline_settings.model_copy(update={"ner_batch_size": ARTICLES, "ner_batch_wait_seconds": 10.0})
    produce(settings, settings.topic_unique, unique_records(settings))
    worker = start_worker(settings, "entities")

    deadline = time.monotonic() + WAIT
    while batch_state(settings)[0] == 0 and time.monotonic() < deadline and worker.alive():
        time.sleep(0.05)
    handed, tagged = batch_state(settings)
    assert handed > 0 and tagged == 0, worker.log.read_text()[-3000:]

    page = urllib.request.urlopen(f"http://127.0.0.1:{settings.web_port}/livez", timeout=WAIT)
    assert page.status == 200
    assert batch_state(settings)[1] == 0, "the web server answered only after the batch: the loop was blocked"

    enriched = read_topic(settings, settings.topic_enriched, ARTICLES, WAIT, grace=0)
    assert len(enriched) == ARTICLES
    assert batch_state(settings)[1] == ARTICLES
    log = worker.log.read_text()
    assert "Heartbeat failed" not in log and "session expired" not in log.lower(), log[-3000:]
    assert worker.alive() and worker.stop() == 0
