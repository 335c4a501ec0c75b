"""A real worker whose clean stage cannot go on: it exits 75 with one line, the batch's offsets not committed, and a
worker started once the cause is mended publishes the batch."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
from pathlib import Path

from tests.conftest import SEED_PAGE_ID, seed_record
from tests.integration.conftest import produce_to, read_topic
from tests.integration.test_faults import GROUP_TIMEOUTS
from tests.ports import wait_ready
from workers.dedup.decision import DEFAULT_MODEL
from workers.kafka_io import committed_offsets, end_offsets, wait_committed
from workers.pipeline import EXIT_UNPUBLISHED
from workers.settings import Settings

WAIT = 240  # seconds: a worker's start, a batch and its exit on a shared machine


def stage_children(worker_pid: int) -> list[int]:
    """The worker's clean stage's child processes: its forkserver's children, its own children's children."""
    tasks = Path(f"/proc/{worker_pid}/task").iterdir()
    return [
        grandchild
        for task in tasks
        for child in _children(task)
        for grandchild in _children(Path(f"/proc/{child}/task/{child}"))
    ]


def _children(task: Path) -> list[int]:
    return [int(pid) for pid in (task / "children").read_text().split()]


def test_a_worker_whose_clean_child_cannot_start_exits_75_with_the_batch_uncommitted(
    pipeline_settings: Settings, start_worker, tmp_path: Path
) -> None:
    """The file a new child builds its stage from is gone (a volume unmounted, say) and the running child is killed
    (the OOM killer): the next batch finds it ended, no new child can start, and the worker exits before it commits
    the batch; once the file is back, a new worker publishes the article."""
    model = tmp_path / "decision.json"
    shutil.copy(DEFAULT_MODEL, model)
    # The group's short session: the worker gone by its exit holds its partitions until it ends (Faust's 60 s).
    settings = pipeline_settings.model_copy(update={"dedup_decision_model": model, **GROUP_TIMEOUTS})
    first = start_worker(settings, "clean")
    wait_ready(settings.web_port, WAIT, alive=first.alive)
    model.unlink()
    [child] = stage_children(first.process.pid)
    os.kill(child, signal.SIGKILL)
    produce_to(settings, [json.dumps(seed_record(SEED_PAGE_ID)).encode()])
    assert first.process.wait(WAIT) == EXIT_UNPUBLISHED
    [line] = [line for line in first.log.read_text().splitlines() if "cannot go on" in line]
    assert "stage clean cannot go on (the clean stage's child process could not start: FileNotFoundError" in line
    assert "exiting with a batch of 1 unpublished, its offsets not committed" in line
    assert "Traceback" not in first.log.read_text()
    raw = (settings.topic_raw, 0)
    group = settings.consumer_group(("clean",))
    assert asyncio.run(end_offsets(settings, [settings.topic_raw]))[raw] == 1
    assert asyncio.run(committed_offsets(settings, group)).get(raw, -1) < 1
    assert sum(asyncio.run(end_offsets(settings, [settings.topic_clean])).values()) == 0

    shutil.copy(DEFAULT_MODEL, model)
    second = start_worker(settings, "clean")
    assert [record["id"] for record in read_topic(settings, settings.topic_clean, 1, WAIT)] == [SEED_PAGE_ID]
    asyncio.run(wait_committed(settings, {settings.topic_raw: group}, WAIT))
    assert second.alive()
