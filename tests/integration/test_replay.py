"""``enrich replay`` after a fix: dead letters go back where they failed and come out enriched."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT, SEED_PAGE_ID, seed_lines
from tests.integration.conftest import produce, read_topic
from workers.settings import Settings


def test_replay_oversized_articles_after_raising_the_limit(pipeline_settings: Settings, start_worker) -> None:
    strict = pipeline_settings.model_copy(update={"max_message_bytes": 2048})
    worker = start_worker(strict)
    seed = next(line for line in seed_lines() if SEED_PAGE_ID.encode() in line)
    produce(strict, strict.topic_raw, [seed, b"{not json"])
    dead = read_topic(strict, strict.topic_deadletter, 2, 180)
    assert sorted(d["error"] for d in dead) == ["invalid_json", "oversized"]
    assert worker.stop() == 0

    start_worker(pipeline_settings)  # the fix: the default limit
    replay = subprocess.run(
        [sys.executable, "-m", "workers", "replay", "--error", "oversized"],
        cwd=ROOT,
        env={**os.environ, **pipeline_settings.as_environment()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert replay.returncode == 0, replay.stderr
    assert "replayed 1" in replay.stderr and "skipped 1" in replay.stderr
    [enriched] = read_topic(pipeline_settings, pipeline_settings.topic_enriched, 1, 180)
    assert enriched["id"] == SEED_PAGE_ID
    assert len(read_topic(pipeline_settings, pipeline_settings.topic_deadletter, 3, 5)) == 2  # nothing new failed
