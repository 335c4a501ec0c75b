"""The pipeline's topics: names from the settings, created with their partitions before workers start."""

from __future__ import annotations

import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from workers.security import client_options
from workers.settings import Settings

log = logging.getLogger(__name__)

# The dedup index has a single owner, so the topic that feeds it has one partition: every copy of a story
# meets its original there whatever raw partition either arrived on. Clean (the costly part before it) and
# entities scale out on the partitions of their own input topics.
DEDUP_INPUT_PARTITIONS = 1
# Headroom over the raw size limit: a clean record carries the text only, an enriched one adds entities.
TOPIC_MAX_MESSAGE_BYTES = 8 * 1024 * 1024


def topic_partitions(settings: Settings) -> dict[str, int]:
    """Every topic the pipeline reads or writes, with its partition count."""
    topics = dict.fromkeys(
        (
            settings.topic_raw,
            settings.topic_unique,
            settings.topic_enriched,
            settings.topic_duplicates,
            settings.topic_deadletter,
            settings.topic_clusters,
        ),
        settings.partitions,
    )
    topics[settings.topic_clean] = DEDUP_INPUT_PARTITIONS
    return topics


def topic_configs(settings: Settings, name: str) -> dict[str, str]:
    """Broker configs of a topic: the clusters topic is compacted (latest record per cluster_id)."""
    configs = {"max.message.bytes": str(TOPIC_MAX_MESSAGE_BYTES)}
    if name == settings.topic_clusters:
        configs["cleanup.policy"] = "compact"
    return configs


async def ensure_topics(settings: Settings) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers, client_id=f"{settings.app_id}-admin", **client_options(settings)
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=name,
                num_partitions=partitions,
                replication_factor=settings.replication_factor,
                topic_configs=topic_configs(settings, name),
            )
            for name, partitions in topic_partitions(settings).items()
            if name not in existing
        ]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                log.info("another process created the topics first")
            log.info("created topics %s", [t.name for t in wanted])
        return [t.name for t in wanted]
    finally:
        await admin.close()
