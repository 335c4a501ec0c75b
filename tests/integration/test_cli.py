"""``enrich tail`` on a real broker: a mistyped topic is named and left uncreated; a topic's records summarised."""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient

from tests.conftest import seed_lines
from tests.integration.conftest import cli, produce
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


def test_tail_of_a_topic_that_does_not_exist_says_so_and_does_not_create_it(pipeline_settings: Settings) -> None:
    """The test broker creates a topic on first use, as a local one does: subscribing would have made it."""
    mistyped = f"{pipeline_settings.topic_raw}s"
    tail = cli(pipeline_settings, "tail", mistyped, "--timeout", "5")
    assert tail.returncode == 1 and tail.stdout == b""
    assert tail.stderr.decode().strip().splitlines()[-1] == (
        f"Error: topic {mistyped} does not exist at {pipeline_settings.bootstrap_servers}; "
        f"did you mean {pipeline_settings.topic_raw}?"
    )
    assert mistyped not in topics(pipeline_settings)


def test_tail_summarises_each_raw_message_on_one_line(pipeline_settings: Settings) -> None:
    lines, raw = seed_lines(), pipeline_settings.topic_raw
    produce(pipeline_settings, raw, lines)
    tail = cli(pipeline_settings, "tail", raw, "--summary", "--max-messages", f"{len(lines)}")
    assert tail.returncode == 0, tail.stderr
    summaries = tail.stdout.decode().splitlines()
    assert len(summaries) == len(lines)
    assert all(line.startswith(("RAW ", "NOT A RECORD ")) for line in summaries)
