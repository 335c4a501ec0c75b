"""``enrich tail`` on a real broker: a mistyped topic is named and left uncreated; a topic's records summarised."""

from __future__ import annotations

import asyncio
import subprocess

from aiokafka.admin import AIOKafkaAdminClient

from tests.conftest import seed_lines
from tests.integration.conftest import cli, produce
from workers import codec
from workers.pipeline import Message, dead_letter
from workers.records import Origin, Rejected
from workers.settings import Settings


def topics(settings: Settings) -> list[str]:
    async def run() -> list[str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
        await admin.start()
        try:
            return await admin.list_topics()
        finally:
            await admin.close()

    return asyncio.run(run())


def assert_refused(run: subprocess.CompletedProcess[bytes], mistyped: str, settings: Settings) -> None:
    """The command failed on the topic, naming it, the one meant and the topics there are; it created none."""
    assert run.returncode == 1 and run.stdout == b"", run.stderr
    error = run.stderr.decode().strip().splitlines()[-1]
    assert error.startswith(f"Error: topic {mistyped} does not exist at {settings.bootstrap_servers} (it has ")
    assert error.endswith(f"; did you mean {settings.topic_raw}?") and "__consumer_offsets" not in error
    there = topics(settings)
    assert mistyped not in there
    assert all(name in error for name in there if name.startswith(settings.app_id)) or " more)" in error


def test_tail_of_a_topic_that_does_not_exist_says_so_and_does_not_create_it(pipeline_settings: Settings) -> None:
    """The test broker creates a topic on first use, as a local one does: subscribing would have made it."""
    mistyped = f"{pipeline_settings.topic_raw}s"
    assert_refused(cli(pipeline_settings, "tail", mistyped, "--timeout", "5"), mistyped, pipeline_settings)


def test_produce_to_a_topic_that_does_not_exist_says_so_publishes_nothing_and_does_not_create_it(
    pipeline_settings: Settings,
) -> None:
    """A producer's first send to a missing topic would have made it (with the broker's defaults: one partition)."""
    mistyped = f"{pipeline_settings.topic_raw}s"
    produced = cli(pipeline_settings, "produce", "--topic", mistyped, "-", stdin=seed_lines()[0])
    assert_refused(produced, mistyped, pipeline_settings)


def test_replay_leaves_a_letter_whose_topic_is_gone_and_does_not_create_it(pipeline_settings: Settings) -> None:
    """A dead letter names the topic its message came from; one the broker no longer has is counted, not sent."""
    gone = f"{pipeline_settings.app_id}.renamed"
    origin = Origin(topic=gone, partition=0, offset=3, timestamp_ms=None)
    letter = dead_letter("clean", Message(b"{not json", origin), Rejected("invalid_json", "not JSON"), None).record
    produce(pipeline_settings, pipeline_settings.topic_deadletter, [codec.dumps(letter)])
    replay = cli(pipeline_settings, "replay")
    assert replay.returncode == 0, replay.stderr
    assert "replayed 0 ({'clean:invalid_json:no_topic_not_replayed': 1}); skipped 0" in replay.stderr.decode()
    assert gone not in topics(pipeline_settings)


def test_tail_summarises_each_raw_message_on_one_line(pipeline_settings: Settings) -> None:
    lines, raw = seed_lines(), pipeline_settings.topic_raw
    produce(pipeline_settings, raw, lines)
    tail = cli(pipeline_settings, "tail", raw, "--summary", "--max-messages", f"{len(lines)}")
    assert tail.returncode == 0, tail.stderr
    summaries = tail.stdout.decode().splitlines()
    assert len(summaries) == len(lines)
    assert all(line.startswith(("RAW ", "NOT A RECORD ")) for line in summaries)
