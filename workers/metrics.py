"""Every Prometheus metric of the pipeline, defined once, in base units (seconds, bytes, ``_total``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, Info, disable_created_metrics

PREFIX = "enrich"

# The *_created series double the series count and no dashboard or alert of ours reads them.
disable_created_metrics()

# Latency buckets in seconds: per-stage work is milliseconds, end to end can be seconds.
_STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_E2E_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

BUILD_INFO = Info(f"{PREFIX}_build", "Version of the workers and the spaCy models they load (English, the others)")

MESSAGES_IN = Counter(f"{PREFIX}_messages_in_total", "Messages consumed by a stage", ["stage"])
MESSAGES_OUT = Counter(
    f"{PREFIX}_messages_out_total",
    "Records a stage produced, by outcome: the destination (clean, unique, enriched, duplicates, deadletter; "
    "clusters, cluster_merges and cluster_leaves: a story view record, grown, merged or left by an id decided afresh)",
    ["stage", "outcome"],
)
DEADLETTERS = Counter(f"{PREFIX}_deadletters_total", "Dead-lettered messages by stage and reason", ["stage", "reason"])
STAGE_SECONDS = Histogram(
    f"{PREFIX}_stage_seconds", "Processing time of one record in a stage", ["stage"], buckets=_STAGE_BUCKETS
)
END_TO_END_SECONDS = Histogram(
    f"{PREFIX}_end_to_end_seconds",
    "Time from the raw message's Kafka timestamp to the publication of its final record",
    ["outcome"],
    buckets=_E2E_BUCKETS,
)
ENTITIES_ARTICLES = Counter(
    f"{PREFIX}_entities_articles_total",
    "Articles the entities stage enriched, by language (unknown: not detected) and outcome: tagged, or why not "
    "(no_model_for_language, language_unknown, model_unavailable)",
    ["language", "outcome"],
)
DEDUP_DECISIONS = Counter(
    f"{PREFIX}_dedup_decisions_total", "Dedup decisions by kind (unique, exact, near, revision)", ["kind"]
)
DEDUP_CLUSTER_MERGES = Counter(
    f"{PREFIX}_dedup_cluster_merges_total",
    "Story clusters merged into an older one (a later copy matched both), each counted as its last record "
    "(merged_into) is published: a merge replayed (its copy sent again, a batch read again once its outputs were out) "
    "finds that record gone and is not counted again, nor is a merge into a cluster that has no record",
)
DEDUP_INDEX_ENTRIES = Gauge(f"{PREFIX}_dedup_index_entries", "Articles held in the dedup index")
DEDUP_INDEX_BYTES = Gauge(f"{PREFIX}_dedup_index_bytes", "Memory the dedup index's arrays and ids take")
DEDUP_INDEX_BUDGET_BYTES = Gauge(
    f"{PREFIX}_dedup_index_budget_bytes", "Memory the operator allows the dedup index (ENRICH_DEDUP_INDEX_BUDGET_BYTES)"
)
DEDUP_CLUSTER_SIZE = Histogram(
    f"{PREFIX}_dedup_cluster_size",
    "Members of a story cluster each time one is published (1: a first copy)",
    buckets=(1, 2, 3, 5, 10, 20, 50, 100, 250),
)
BATCH_SIZE = Histogram(
    f"{PREFIX}_batch_size",
    "Records per batch a stage processes at once",
    ["stage"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
BATCH_FALLBACKS = Counter(
    f"{PREFIX}_batch_fallbacks_total",
    "Batches a stage processed one record at a time because processing them together failed (a record broke it)",
    ["stage"],
)
BATCH_SECONDS = Histogram(
    f"{PREFIX}_batch_seconds",
    "Time a stage's thread spends on one batch (for entities: NER inference)",
    ["stage"],
    buckets=(*_STAGE_BUCKETS, 10.0, 30.0),
)
STAGE_PROCESSES_REPLACED = Counter(
    f"{PREFIX}_stage_processes_replaced_total",
    "Child processes of a stage replaced, by how the last one ended: cpu_limit_exceeded (it used more than "
    "ENRICH_CLEAN_CPU_LIMIT_SECONDS of CPU on a message), stage_process_died (killed, by the OOM killer say, crashed, "
    "or no answer within the wall-clock backstop)",
    ["stage", "reason"],
)
CONSUMER_LAG = Gauge(
    f"{PREFIX}_consumer_lag_messages", "Messages waiting in a partition this worker consumes", ["topic", "partition"]
)
CONSUMER_LAG_SECONDS = Gauge(
    f"{PREFIX}_consumer_lag_seconds",
    "Age of the last processed message of a partition while messages wait behind it (0 when caught up)",
    ["topic", "partition"],
)
CONSUMER_COMMITTED_OFFSET = Gauge(
    f"{PREFIX}_consumer_committed_offset",
    "The offset this worker's group resumes a partition from: its last commit (never committed: the log's start)",
    ["topic", "partition"],
)
CONSUMER_UNCOMMITTED = Gauge(
    f"{PREFIX}_consumer_uncommitted_messages",
    "Messages of a partition past its committed offset: what a restart reads again (kafka-consumer-groups' LAG)",
    ["topic", "partition"],
)
WORKER_READY = Gauge(f"{PREFIX}_worker_ready", "1 when every stage of this worker is built and consuming")
