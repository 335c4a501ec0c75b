"""The hostile corpus through the real broker: each message comes out enriched or as a dead letter with its
reason, the worker survives all of it, and its peak memory is reported."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.hostile import hostile_messages
from tests.integration.conftest import produce, read_topic
from workers.settings import Settings

WAIT = 240  # seconds: 20 messages, two of them megabytes, through every stage on a shared machine


def topic(settings: Settings, output: str) -> str:
    return getattr(settings, f"topic_{output}")


def peak_rss_mib(pid: int) -> float:
    """The process's high-water resident memory (VmHWM), MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def test_hostile_corpus_through_the_broker(pipeline_settings: Settings, start_worker) -> None:
    settings = pipeline_settings
    corpus = hostile_messages(settings.max_message_bytes)
    worker = start_worker(settings)
    produce(settings, settings.topic_raw, [payload for payload, _ in corpus.values()])
    must_enrich = {f"hostile-{name}" for name, (_, error) in corpus.items() if error is None}
    dead = read_topic(settings, settings.topic_deadletter, len(corpus) - len(must_enrich), WAIT)
    # Several hostile messages carry the seed article itself: the first of them is enriched, the others come out
    # as its duplicates. Either way they came through whole.
    deadline = time.monotonic() + WAIT
    passed: list[dict] = []
    while {r["id"] for r in passed} < must_enrich and time.monotonic() < deadline:
        passed = [
            r for output in ("enriched", "duplicates") for r in read_topic(settings, topic(settings, output), 1, 2)
        ]
    assert {r["id"] for r in passed} == must_enrich
    expected_errors = {f"hostile-{n}": e for n, (_, e) in corpus.items() if e is not None}
    assert sorted(letter["error"] for letter in dead) == sorted(expected_errors.values())
    for letter in dead:
        assert letter["reason"], letter
        if letter["id"]:
            assert letter["error"] == expected_errors[letter["id"]], letter
    languages = {r["id"]: r["language"] for r in passed}
    assert (languages["hostile-chinese"], languages["hostile-arabic"], languages["hostile-russian"]) == (
        "zh",
        "ar",
        "ru",
    )
    assert worker.alive(), worker.log.read_text()[-3000:]
    print(f"\nhostile corpus: worker peak RSS {peak_rss_mib(worker.process.pid):.0f} MiB")
