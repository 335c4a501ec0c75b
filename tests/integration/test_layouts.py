"""Moving the workers from one layout of stages to another (``enrich offsets copy``) processes nothing again.

Judged on the brokers' offsets: after the move the new layout's groups are committed to the end of their topics,
and the outputs grew by exactly the messages produced after the move (once each), not by the retained ones.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from tests.conftest import seed_lines
from tests.integration.conftest import cli, produce
from tests.integration.test_dedup_state import another_process
from workers.kafka_io import commit_from_outside, committed_offsets, end_offsets, wait_committed
from workers.layouts import OffsetsRefused
from workers.settings import Settings

WAIT = 300  # seconds: a worker joins its group and recovers its tables on a loaded 2-core machine
OLD, NEW = ("clean", "dedup"), (("clean",), ("dedup",))
pytestmark = pytest.mark.timeout(900)  # past the waits, so that a test fails with its own message


def ends(settings: Settings, *topics: str) -> int:
    """Messages on ``topics``: the sum of their partitions' end offsets."""
    return sum(asyncio.run(end_offsets(settings, topics)).values())


def final_outputs(settings: Settings) -> int:
    """Where each raw message ends when no entities stage runs: unique, duplicates, or a dead letter."""
    return ends(settings, settings.topic_unique, settings.topic_duplicates, settings.topic_deadletter)


def copy(settings: Settings, old: tuple[str, ...], new: tuple[str, ...]) -> tuple[int, str]:
    """``enrich offsets copy``: its exit code and its output."""
    done = cli(settings, "offsets", "copy", "--from-stages", ",".join(old), "--to-stages", ",".join(new))
    return done.returncode, (done.stdout + done.stderr).decode()


def test_moving_from_clean_dedup_to_clean_and_dedup_processes_nothing_again(
    pipeline_settings: Settings, start_worker, tmp_path: Path
) -> None:
    settings = pipeline_settings
    old_group = settings.consumer_group(OLD)
    lines = seed_lines()
    worker = start_worker(settings, ",".join(OLD))
    produce(settings, settings.topic_raw, lines)
    asyncio.run(wait_committed(settings, {settings.topic_raw: old_group, settings.topic_clean: old_group}, WAIT))

    refused = copy(settings, OLD, NEW[0])
    assert refused[0] == 1 and f"consumer group {old_group} has 1 member(s)" in refused[1], refused
    assert not asyncio.run(committed_offsets(settings, settings.consumer_group(NEW[0])))
    assert worker.stop() == 0
    old = asyncio.run(committed_offsets(settings, old_group))
    assert final_outputs(settings) == len(lines)

    for stages in NEW:
        code, output = copy(settings, OLD, stages)
        assert code == 0, output
        copied = asyncio.run(committed_offsets(settings, settings.consumer_group(stages)))
        assert copied == {tp: offset for tp, offset in old.items() if tp[0] == settings.source_topic(stages[0])}
    start_worker(settings, "clean")
    start_worker(another_process(settings, tmp_path / "dedup"), "dedup")
    produce(settings, settings.topic_raw, lines)  # the same articles again, as new messages
    groups = {settings.source_topic(stages[0]): settings.consumer_group(stages) for stages in NEW}
    asyncio.run(wait_committed(settings, groups, WAIT))
    assert final_outputs(settings) == 2 * len(lines)  # the new messages once each; the old ones not again


def test_a_commit_from_outside_a_group_with_a_member_is_refused(pipeline_settings: Settings) -> None:
    """A worker that joins the new group between the check for members and the commit: the broker refuses it."""
    settings = pipeline_settings
    group, tp = settings.consumer_group(NEW[0]), (settings.topic_raw, 0)

    async def run() -> None:
        member = AIOKafkaConsumer(settings.topic_raw, bootstrap_servers=settings.bootstrap_servers, group_id=group)
        await member.start()
        try:
            await member.getmany(timeout_ms=5000)  # joined, partitions assigned
            with pytest.raises(OffsetsRefused, match=f"consumer group {group} has a member now"):
                await commit_from_outside(settings, group, {tp: 1})
        finally:
            await member.stop()
        await commit_from_outside(settings, group, {tp: 1})  # empty again: taken

    asyncio.run(run())
    assert asyncio.run(committed_offsets(settings, group))[tp] == 1
