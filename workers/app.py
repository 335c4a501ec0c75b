"""The one Faust app: topics, the dedup table and the agents of the stages this worker runs."""

from __future__ import annotations

from datetime import timedelta

import faust

from workers import metrics
from workers.agents import StageAgent
from workers.dedup import DedupIndex
from workers.nlp import load_pipeline
from workers.pipeline import CleanStage, DedupStage, EntitiesStage, dedup_options
from workers.settings import Settings, Stage
from workers.topics import DEDUP_INPUT_PARTITIONS, TOPIC_MAX_MESSAGE_BYTES

# Batches of the cheap stages: large enough to amortise the hop to the stage thread, small enough that a
# batch is published well within Faust's commit interval.
CLEAN_BATCH = 16
CLEAN_BATCH_WAIT = timedelta(milliseconds=50)


def create_app(settings: Settings, stages: tuple[Stage, ...]) -> faust.App:
    """A Faust app running ``stages``; one consumer group per set of stages."""
    app = faust.App(
        f"{settings.app_id}-{'-'.join(stages)}",
        broker=settings.broker_url,
        store="rocksdb://",
        datadir=str(settings.data_dir),
        key_serializer="raw",
        value_serializer="raw",
        topic_replication_factor=settings.replication_factor,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_max_request_size=TOPIC_MAX_MESSAGE_BYTES,
        consumer_max_fetch_size=TOPIC_MAX_MESSAGE_BYTES,
        web_port=settings.web_port,
        web_bind="0.0.0.0",
    )
    topic = {
        name: app.topic(getattr(settings, f"topic_{name}"), key_type=bytes, value_type=bytes)
        for name in ("raw", "clean", "unique", "enriched", "duplicates", "deadletter")
    }
    if "clean" in stages:
        clean = StageAgent(lambda: CleanStage(settings), {"clean": topic["clean"], "deadletter": topic["deadletter"]})

        async def clean_agent(stream: faust.StreamT) -> None:
            async for events in stream.take_events(CLEAN_BATCH, within=CLEAN_BATCH_WAIT):
                await clean.handle(events)

        app.agent(topic["raw"], name="clean")(clean_agent)
    if "dedup" in stages:
        _register_dedup(app, settings, topic)
    if "entities" in stages:
        entities = StageAgent(
            lambda: EntitiesStage(settings, load_pipeline(settings)),
            {"enriched": topic["enriched"], "deadletter": topic["deadletter"]},
        )

        async def entities_agent(stream: faust.StreamT) -> None:
            await entities.start()
            async for events in stream.take_events(settings.ner_batch_size, within=settings.ner_batch_wait_seconds):
                metrics.NER_BATCH_SIZE.observe(len(events))
                with metrics.NER_BATCH_SECONDS.time():
                    await entities.handle(events)

        app.agent(topic["unique"], name="entities")(entities_agent)
    return app


def _register_dedup(app: faust.App, settings: Settings, topic: dict[str, faust.TopicT]) -> None:
    """The dedup agent: one event at a time, its index rebuilt from the changelogged table when needed."""
    changelog = app.topic(
        f"{settings.app_id}.dedup-index-changelog",
        partitions=DEDUP_INPUT_PARTITIONS,
        compacting=True,
        deleting=False,
        internal=True,
    )
    table = app.Table(
        "dedup-index",
        default=None,
        partitions=DEDUP_INPUT_PARTITIONS,
        changelog_topic=changelog,
        schema=faust.Schema(key_type=str, value_type=dict, key_serializer="json", value_serializer="json"),
    )
    index = DedupIndex(dedup_options(settings))
    agent = StageAgent(
        lambda: DedupStage(settings, index),
        {"unique": topic["unique"], "duplicates": topic["duplicates"], "deadletter": topic["deadletter"]},
        state=table,
    )
    restored = False

    @app.on_rebalance_complete.connect
    async def _after_rebalance(sender: object, **_: object) -> None:
        nonlocal restored
        restored = False  # another worker may have owned the index meanwhile: reload it from the table

    async def dedup_agent(stream: faust.StreamT) -> None:
        nonlocal restored
        async for event in stream.events():
            if not restored:
                entries = list(table.items())
                await agent.call(index.reset, entries)
                metrics.DEDUP_INDEX_ENTRIES.set(len(index))
                restored = True
            await agent.handle([event])
            metrics.DEDUP_INDEX_ENTRIES.set(len(index))

    app.agent(topic["clean"], name="dedup")(dedup_agent)
