"""Thin Faust agents: read a batch, run the stage off the event loop, publish, then let the offsets go.

The body awaits every send's delivery (the dedup tables' changelog writes too), then reports the batch as
published; the consumer commits a source partition only over offsets reported so (``workers.consumer``), not
over what Faust acked. So an offset is never committed before the records and state derived from its message
are written (at-least-once).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import faust
from faust.types import EventT

from workers import metrics
from workers.deadletters import replay_of
from workers.monitor import LagMonitor
from workers.pipeline import (
    CLUSTER_TABLE_OUTPUTS,
    EXIT_UNPUBLISHED,
    FINAL,
    ClusterChange,
    Destination,
    Message,
    Output,
    StageRunner,
    StageUnavailable,
    Table,
    apply_cluster_output,
    record_headers,
    save,
    serialised,
)
from workers.records import Origin
from workers.settings import Stage

log = logging.getLogger(__name__)


class StateTable(Table, Protocol):
    """What an agent needs of a table (``workers.app.PartitionCheckedTable``): a mapping that keeps its changelog
    writes, which Faust sends in the background, for the agent to await."""

    def take_changelog_sends(self) -> list[Awaitable[Any]]: ...


def process_counted(stage: StageRunner, messages: Sequence[Message]) -> tuple[list[list[Output]], int]:
    """The stage's outputs for a batch, each record published as it is serialised here (a text can be a megabyte:
    not on the event loop), and how many times it fell back to one record at a time doing it: read on the stage's own
    thread, so batches in flight at once (an agent's concurrency above 1) cannot count each other's."""
    before = stage.fallbacks
    results = [[serialised(output) for output in group] for group in stage.process(messages)]
    return results, stage.fallbacks - before


def origin_of(event: EventT) -> Origin:
    """Kafka coordinates and timestamp of the message behind an event."""
    message = event.message
    timestamp = message.timestamp
    return Origin(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        timestamp_ms=round(timestamp * 1000) if timestamp else None,
    )


def message_of(event: EventT) -> Message:
    """The stage's input for an event. A record with a null value (a tombstone, which Faust passes as None) is an
    empty payload marked null, so that it becomes an ordinary dead letter instead of breaking the dead-letter builder,
    and a replay sends a null value again; a replay's header names the letter it replays."""
    value = event.value
    return Message(
        b"" if value is None else value,
        origin_of(event),
        null=value is None,
        replay_of=replay_of(event.message.headers),
    )


class StageAgent:
    """Runs one stage for a Faust agent: off-loop processing, publishing, metrics."""

    def __init__(
        self,
        name: Stage,
        make_stage: Callable[[], StageRunner],
        sinks: Mapping[Destination, faust.TopicT],
        lag: LagMonitor,
        published: Callable[[Sequence[EventT]], None],
        tables: Mapping[Destination, StateTable] | None = None,
    ) -> None:
        self.name = name
        self._make_stage = make_stage
        self._lag = lag
        self._published = published
        self._sinks = sinks
        self._tables = tables or {}
        # One thread per stage: the stage's state (dedup index, spaCy pipeline) is touched by one thread only,
        # and the event loop stays free to heartbeat and commit while it works.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stage")
        self.stage: StageRunner | None = None
        metrics.BATCH_FALLBACKS.labels(name)  # exported at 0 from the start: a rate over no series shows nothing

    def output_topics(self) -> set[str]:
        """The topics the stage publishes to (its tables' changelogs aside: Faust makes those as the worker starts)."""
        return {topic.get_topic_name() for topic in self._sinks.values()}

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn`` on the stage's thread."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def start(self) -> StageRunner:
        """Build the stage (loading a model, say) off the event loop, once; a stage unavailable ends the worker."""
        if self.stage is None:
            try:
                self.stage = await self.call(self._make_stage)
            except StageUnavailable as unavailable:
                self._exit_unavailable(unavailable, 0)
        return self.stage

    async def handle(self, events: Sequence[EventT]) -> None:
        """Process a batch of events and publish every output before returning, or end the worker.

        A record's own failure is a dead letter (the stage sees to that); what escapes to here is a batch that
        cannot be published (the broker refused an output or a changelog write of a table for good, or the
        producer gave up retrying). The
        worker ends at once: the orchestrator restarts it and the batch, never reported published, is read
        again.
        """
        try:
            await self._handle(events)
        except StageUnavailable as unavailable:
            self._exit_unavailable(unavailable, len(events))
        except Exception:
            self._exit(
                "could not publish a batch of %d; exiting before its offsets are committed", len(events), traceback=True
            )

    def _exit_unavailable(self, unavailable: StageUnavailable, batch: int) -> None:
        """End the worker with one line saying why its stage cannot go on (no traceback: the reason is known)."""
        self._exit(
            "cannot go on (%s); exiting with a batch of %d unpublished, its offsets not committed", unavailable, batch
        )

    def _exit(self, message: str, *args: object, traceback: bool = False) -> None:
        """Log why (``message`` after the stage's name) and end the worker before the batch's offsets are committed,
        for its supervisor to restart it."""
        log.critical("stage %s " + message, self.name, *args, exc_info=traceback or None, extra={"stage": self.name})
        logging.shutdown()
        os._exit(EXIT_UNPUBLISHED)

    async def _handle(self, events: Sequence[EventT]) -> None:
        stage = await self.start()
        messages = [message_of(event) for event in events]
        metrics.MESSAGES_IN.labels(self.name).inc(len(messages))
        metrics.BATCH_SIZE.labels(self.name).observe(len(messages))
        started = time.perf_counter()
        results, fell_back = await self.call(process_counted, stage, messages)
        elapsed = time.perf_counter() - started
        metrics.BATCH_SECONDS.labels(self.name).observe(elapsed)
        metrics.BATCH_FALLBACKS.labels(self.name).inc(fell_back)
        for _ in messages:
            metrics.STAGE_SECONDS.labels(self.name).observe(elapsed / len(messages))
        made = [
            (output, message.replay_of)
            for message, outputs in zip(messages, results, strict=True)
            for output in outputs
        ]
        await self._publish(self.name, made)
        self._published(events)
        self._lag.processed(events)

    async def _publish(self, stage: Stage, made: Sequence[tuple[Output, str | None]]) -> None:
        """Publish each output, with the place of the letter its message replays (None: no replay), and write the
        tables; return once the broker has every record and table write."""
        pending = []
        for output, replay in made:
            if output.destination in CLUSTER_TABLE_OUTPUTS:
                change = apply_cluster_output(self._tables["cluster_state"], output)
                self._count_cluster(output, change)
                if change is None:
                    continue
                value = change.value
            elif output.destination in self._tables:
                save(self._tables[output.destination], output.key, output.record)
                continue
            else:
                value = output.serialised()
            topic = self._sinks[output.destination]
            headers = record_headers(output.destination, replay)
            pending.append(await topic.send(key=output.key.encode(), value=value, headers=headers))
            self._count(stage, output)
        await asyncio.gather(*pending, *self._changelog_sends())
        now = time.time()
        for output, _ in made:
            if output.destination in FINAL and output.record["origin"]["timestamp_ms"]:
                latency = now - output.record["origin"]["timestamp_ms"] / 1000
                metrics.END_TO_END_SECONDS.labels(output.destination).observe(max(latency, 0.0))

    def _changelog_sends(self) -> list[Awaitable[Any]]:
        """The batch's writes of state: awaited with its outputs, since Faust only logs a changelog write the broker
        refused, and the batch's offsets would be committed over state a restarted worker never finds."""
        return [sent for table in self._tables.values() for sent in table.take_changelog_sends()]

    @staticmethod
    def _count_cluster(output: Output, change: ClusterChange | None) -> None:
        """A cluster record grown (its size), or a cluster merged into another (its last record published)."""
        if change is None or change.record is None:
            return
        if output.destination == "clusters":
            metrics.DEDUP_CLUSTER_SIZE.observe(len(change.record["members"]))
        elif output.destination == "cluster_merges":
            metrics.DEDUP_CLUSTER_MERGES.inc()

    @staticmethod
    def _count(stage: Stage, output: Output) -> None:
        metrics.MESSAGES_OUT.labels(stage, output.destination).inc()
        if output.destination == "deadletter":
            record = output.record
            metrics.DEADLETTERS.labels(stage, record["error"]).inc()
            log.warning(
                "dead letter from %s: %s: %s",
                stage,
                record["error"],
                record["reason"],
                extra={"stage": stage, "article_id": record["id"], "origin": record["origin"]},
            )
        elif stage == "dedup" and output.destination in ("unique", "duplicates"):
            metrics.DEDUP_DECISIONS.labels(output.record.get("match", "unique")).inc()
        elif output.destination == "enriched":
            record = output.record
            metrics.ENTITIES_ARTICLES.labels(record["language"] or "unknown", record["nlp_reason"] or "tagged").inc()
