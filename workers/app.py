"""The one Faust app: topics, the dedup table and the agents of the stages this worker runs."""

from __future__ import annotations

import logging
import weakref
from datetime import timedelta
from typing import Any

import faust
from faust import web
from faust.streams import _current_event  # faust-streaming 0.15.3: read by its table stores
from faust.types import TP

from workers import child, metrics
from workers.agents import StageAgent
from workers.child import ENDINGS
from workers.consumer import PipelineApp
from workers.dedup import DedupIndex
from workers.limits import CLIENT_MAX_MESSAGE_BYTES
from workers.monitor import LagMonitor
from workers.nlp import load_pipelines
from workers.pipeline import (
    DedupStage,
    Destination,
    EntitiesStage,
    StageRunner,
    dedup_options,
)
from workers.security import broker_credentials
from workers.settings import CLIENT_REQUEST_TIMEOUT_SECONDS, PRODUCER_REQUEST_TIMEOUT_SECONDS, Settings, Stage
from workers.topics import DEDUP_INPUT_PARTITIONS, DEDUP_TABLES, changelog_configs, changelog_topic

log = logging.getLogger(__name__)

# Batches of the cheap stages: large enough to amortise the hop to the stage thread, small enough that a
# batch is published well within Faust's commit interval.
CLEAN_BATCH = 16
CLEAN_BATCH_WAIT = timedelta(milliseconds=50)
# Where the web (probes) and metrics servers listen: every interface, for the orchestrator and Prometheus.
BIND_ADDRESS = "0.0.0.0"
LAG_SAMPLE_SECONDS = 5.0  # as often as Prometheus scrapes in deploy/prometheus; the sample is cheap


class PartitionCheckedTable(faust.Table):
    """The app's table class (Faust's ``Table`` setting): its partition check waits for the changelog's count, and
    it keeps its changelog writes for the agent to await.

    Faust checks, on a table's first write, that the changelog has as many partitions as the topic being read,
    counting them in the consumer's metadata snapshot. On a fresh broker, just after Faust created the
    changelog, that snapshot can still list it with 0 partitions, and the check raised
    ``PartitionsMismatch`` and stopped the worker. Zero means "not known yet": skip, check on a later write.
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        self._changelog_sends: list[faust.types.FutureMessage] = []

    def _verify_source_topic_partitions(self, source_topic: str) -> None:
        if self.app.consumer.topic_partitions(self.changelog_topic_name) != 0:
            super()._verify_source_topic_partitions(source_topic)

    def send_changelog(
        self,
        partition: int | None,
        key: object,
        value: object,
        key_serializer: faust.types.CodecArg | None = None,
        value_serializer: faust.types.CodecArg | None = None,
    ) -> faust.types.FutureMessage:
        """Faust's changelog write, kept until the agent takes it: Faust sends it in the background and only logs a
        refusal (``Topic._on_published``), so the agent awaits it with the batch's outputs (``StageAgent._publish``)
        and a write the broker refused ends the worker before the batch's offsets are committed."""
        sent = super().send_changelog(partition, key, value, key_serializer, value_serializer)
        self._changelog_sends.append(sent)
        return sent

    def take_changelog_sends(self) -> list[faust.types.FutureMessage]:
        """The changelog writes sent since the last call, each resolved once the broker acknowledged it or refused."""
        sends, self._changelog_sends = self._changelog_sends, []
        return sends


def create_app(settings: Settings, stages: tuple[Stage, ...]) -> PipelineApp:
    """A Faust app running ``stages``; one consumer group per set of stages."""
    app = PipelineApp(
        settings.consumer_group(stages),
        source_topics={settings.source_topic(stage) for stage in stages},
        isolation_level=settings.consumer_isolation_level,
        delivery_timeout_seconds=settings.delivery_timeout_seconds,
        broker=settings.broker_url,
        broker_credentials=broker_credentials(settings),
        store="rocksdb://",
        Table=PartitionCheckedTable,
        datadir=str(settings.data_dir),
        key_serializer="raw",
        value_serializer="raw",
        topic_replication_factor=settings.replication_factor,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.session_timeout_seconds,
        broker_heartbeat_interval=settings.heartbeat_interval_seconds,
        broker_rebalance_timeout=settings.rebalance_timeout_seconds,
        broker_request_timeout=CLIENT_REQUEST_TIMEOUT_SECONDS,
        producer_request_timeout=PRODUCER_REQUEST_TIMEOUT_SECONDS,
        producer_acks=-1,
        producer_max_request_size=CLIENT_MAX_MESSAGE_BYTES,
        consumer_max_fetch_size=CLIENT_MAX_MESSAGE_BYTES,
        web_port=settings.web_port,
        web_bind=BIND_ADDRESS,
        # Faust's own pages off (its tables' keys and values, which partitions each worker holds, its graph and
        # statistics), without authentication on the probes' port: it serves /livez and /readyz only.
        web_router_enabled=False,
        web_tables_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        web_metrics_enabled=False,
    )
    topic = {
        name: app.topic(getattr(settings, f"topic_{name}"), key_type=bytes, value_type=bytes)
        for name in ("raw", "clean", "unique", "enriched", "duplicates", "deadletter", "clusters")
    }
    lag = LagMonitor(app, set(app.source_topics))
    agents: list[StageAgent] = []
    if "clean" in stages:
        sinks = _sinks(topic, "clean", "deadletter")
        clean = StageAgent("clean", lambda: clean_stage(settings), sinks, lag, app.published)
        _batch_agent(app, topic["raw"], clean, CLEAN_BATCH, CLEAN_BATCH_WAIT)
        agents.append(clean)
        for ending in ENDINGS:  # at 0 from the start: a rate over no series shows nothing
            metrics.STAGE_PROCESSES_REPLACED.labels("clean", ending)
    if "dedup" in stages:
        agents.append(_register_dedup(app, settings, topic, lag))
    if "entities" in stages:
        entities = StageAgent(
            "entities",
            lambda: EntitiesStage(settings, load_pipelines(settings)),
            _sinks(topic, "enriched", "deadletter"),
            lag,
            app.published,
        )
        _batch_agent(app, topic["unique"], entities, settings.ner_batch_size, settings.ner_batch_wait_seconds)
        agents.append(entities)
        for language in settings.language_models:  # at 0 from the start: the alert's increase() sees the first one
            metrics.ENTITIES_ARTICLES.labels(language, "model_unavailable")
    _register_health(app, agents, lag)
    app.output_topics = frozenset(name for agent in agents for name in agent.output_topics())
    return app


def clean_stage(settings: Settings) -> StageRunner:
    """The clean stage (``workers.child.clean_stage``), its child processes' replacements counted."""
    return child.clean_stage(settings, lambda ending: metrics.STAGE_PROCESSES_REPLACED.labels("clean", ending).inc())


def _sinks(topic: dict[str, faust.TopicT], *destinations: Destination) -> dict[Destination, faust.TopicT]:
    return {destination: topic[destination] for destination in destinations}


def _batch_agent(
    app: PipelineApp, source: faust.TopicT, agent: StageAgent, size: int, within: float | timedelta
) -> None:
    """Register an agent that feeds ``agent`` batches of up to ``size`` events, waiting at most ``within``."""

    async def run(stream: faust.StreamT) -> None:
        await agent.start()
        async for batch in stream.take_events(size, within=within):
            if events := app.current(batch):
                await agent.handle(events)

    app.agent(source, name=agent.name)(run)


def _register_health(app: faust.App, agents: list[StageAgent], lag: LagMonitor) -> None:
    """Liveness and readiness pages for Kubernetes probes, and the periodic lag sample."""

    @app.page("/livez")
    async def livez(view: web.View, request: web.Request) -> web.Response:
        """Alive while the event loop answers: a blocked loop fails the probe."""
        return view.json({"status": "alive"})

    @app.page("/readyz")
    async def readyz(view: web.View, request: web.Request) -> web.Response:
        """Ready or not, and why (``readiness``)."""
        body = readiness(app, agents)
        return view.json(body, status=200 if body["status"] == "ready" else 503)

    @app.timer(interval=LAG_SAMPLE_SECONDS)
    async def sample_lag() -> None:
        await lag.sample()
        readiness(app, agents)

    @app.on_partitions_revoked.connect
    async def forget_revoked(sender: object, revoked: set[TP], **_: object) -> None:
        lag.forget(revoked)


def readiness(app: PipelineApp, agents: list[StageAgent]) -> dict[str, Any]:
    """Ready once every stage is built (model loaded, index restored), the worker is not rebalancing and its consumer
    knows each source topic: Faust ignores one missing at a rebalance ("Ignoring missing topic"), and the stage
    reading it would then wait for nothing. The body says what is missing; ``enrich_worker_ready`` follows it."""
    pending = [agent.name for agent in agents if agent.stage is None]
    missing = sorted(topic for topic in app.source_topics if not app.consumer.lists_topic(topic))  # type: ignore[attr-defined]
    ready = not pending and not missing and not app.rebalancing
    metrics.WORKER_READY.set(int(ready))
    return {
        "status": "ready" if ready else "starting",
        "stages_pending": pending,
        "topics_missing": missing,
        "rebalancing": app.rebalancing,
    }


def _dedup_table(app: faust.App, settings: Settings, name: str) -> faust.types.TableT:
    """A table of the dedup owner: RocksDB locally, its changelog (compacted, one partition) in Kafka."""
    changelog = app.topic(
        changelog_topic(settings, name),
        partitions=DEDUP_INPUT_PARTITIONS,
        compacting=True,
        deleting=False,
        internal=True,
        config=changelog_configs(settings),
    )
    return app.Table(
        name,
        default=None,
        partitions=DEDUP_INPUT_PARTITIONS,
        changelog_topic=changelog,
        schema=faust.Schema(key_type=str, value_type=dict, key_serializer="json", value_serializer="json"),
    )


def _register_dedup(
    app: PipelineApp, settings: Settings, topic: dict[str, faust.TopicT], lag: LagMonitor
) -> StageAgent:
    """The dedup agent: batches decided in one index call, the index rebuilt from the changelogged table when needed.

    Two tables (``DEDUP_TABLES``): ``dedup-index`` (article id -> index entry) and ``dedup-clusters`` (cluster id ->
    the story view published on the clusters topic).
    """
    index_table, cluster_table = DEDUP_TABLES
    table = _dedup_table(app, settings, index_table)
    index = DedupIndex(dedup_options(settings))
    agent = StageAgent(
        "dedup",
        lambda: DedupStage(settings, index, lambda: list(table.items())),  # a failed batch rebuilds from the table
        {
            **_sinks(topic, "unique", "duplicates", "deadletter", "clusters"),
            "cluster_merges": topic["clusters"],
            "cluster_leaves": topic["clusters"],
        },
        lag,
        app.published,
        tables={"state": table, "cluster_state": _dedup_table(app, settings, cluster_table)},
    )
    restored = False

    @app.on_rebalance_complete.connect
    async def _after_rebalance(sender: object, **_: object) -> None:
        nonlocal restored
        restored = False  # another worker may have owned the index meanwhile: reload it from the table

    async def dedup_agent(stream: faust.StreamT) -> None:
        nonlocal restored
        await agent.start()
        async for batch in stream.take_events(settings.dedup_batch_size, within=settings.dedup_batch_wait_seconds):
            if not (events := app.current(batch)):
                continue
            if not restored:  # read and decoded on the stage thread: a window's entries take seconds
                await agent.call(lambda: index.reset(list(table.items())))  # logs the entries it leaves out
                metrics.DEDUP_INDEX_ENTRIES.set(len(index))
                restored = True
            # Faust's table stores write to the partition of "the current event", a context variable a stream
            # sets while it yields one event and take_events leaves unset in this task. Set it in this task's
            # context to the batch's last event (a batch is from the one partition of articles.clean). Not
            # through the stream: its own iteration reads the stream's current_event to fill the next batch.
            _current_event.set(weakref.ref(events[-1]))
            await agent.handle(events)
            metrics.DEDUP_INDEX_ENTRIES.set(len(index))

    app.agent(topic["clean"], name="dedup")(dedup_agent)
    metrics.DEDUP_INDEX_BUDGET_BYTES.set(settings.dedup_index_budget_bytes)

    @app.timer(interval=LAG_SAMPLE_SECONDS)
    async def sample_index_size() -> None:
        if agent.stage is not None:  # measured on the stage's thread: the index is not shared across threads
            metrics.DEDUP_INDEX_BYTES.set(await agent.call(index.nbytes))

    return agent
