"""The pipeline's topics: names from the settings, created with their partitions before workers start."""

from __future__ import annotations

import asyncio
import logging
import time
import types
from collections.abc import Collection, Iterable, Mapping
from functools import partial
from typing import Any

import aiokafka.client
from aiokafka import AIOKafkaClient
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.cluster import ClusterMetadata
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    KafkaError,
    KafkaTimeoutError,
    TopicAlreadyExistsError,
    TopicAuthorizationFailedError,
    for_code,
)
from aiokafka.protocol.metadata import MetadataRequest
from aiokafka.protocol.offset import OffsetRequest
from aiokafka.structs import TopicPartition

from workers.limits import DEADLETTER_MAX_MESSAGE_BYTES, TOPIC_MAX_MESSAGE_BYTES
from workers.security import client_options
from workers.settings import Settings

log = logging.getLogger(__name__)

# The dedup index has a single owner, so the topic that feeds it has one partition: every copy of a story
# meets its original there whatever raw partition either arrived on. Clean (the costly part before it) and
# entities scale out on the partitions of their own input topics.
DEDUP_INPUT_PARTITIONS = 1
# The dedup stage's tables (``workers.app``): article id -> index entry, cluster id -> the story view.
DEDUP_TABLES = ("dedup-index", "dedup-clusters")
MAX_MESSAGE_BYTES = "max.message.bytes"
# Every producer writes with acks=all: with two replicas in sync required, an acknowledged record survives losing a
# broker. Set from a replication factor of 3 (one broker may be down and writes go on); at 2 it would stop every
# write while one replica is down, at 1 no write could meet it. The broker's default is 1.
MIN_INSYNC_REPLICAS = "min.insync.replicas"
MIN_INSYNC_FROM_REPLICATION = 3
# A describe-configs entry's source in protocol v1+ (v0 says is_default instead): a config set on the topic itself.
DYNAMIC_TOPIC_CONFIG = 1
# How long ``ensure_topics`` waits for the topics it created to take writes (``_until_ready``), and how often it asks.
READY_TIMEOUT_SECONDS = 30.0
READY_POLL_SECONDS = 0.05
# ListOffsets' timestamp asking for a partition's end: answered by its leader alone, as a produce request is.
LATEST_OFFSET = -1
# CreateTopics' codes for a principal without the Create right: a worker may run without it (its topics made by hand).
UNAUTHORIZED = frozenset((TopicAuthorizationFailedError.errno, ClusterAuthorizationFailedError.errno))


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
    """Broker configs of a topic: the dead-letter topic takes any other topic's message whole (``workers.limits``),
    the clusters topic is compacted (latest record per cluster_id), every one has ``replica_configs``."""
    limit = DEADLETTER_MAX_MESSAGE_BYTES if name == settings.topic_deadletter else TOPIC_MAX_MESSAGE_BYTES
    configs = {MAX_MESSAGE_BYTES: str(limit)}
    if name == settings.topic_clusters:
        configs["cleanup.policy"] = "compact"
    return configs | replica_configs(settings)


def changelog_configs(settings: Settings) -> dict[str, str]:
    """Broker configs of a table's changelog: the other topics' message cap, not the broker's default (1 MiB on a
    stock broker), under which a larger state record is refused and its worker stops; and ``replica_configs``."""
    return {MAX_MESSAGE_BYTES: str(TOPIC_MAX_MESSAGE_BYTES)} | replica_configs(settings)


def changelog_topic(settings: Settings, table: str) -> str:
    """The changelog of a dedup table, named by ``ENRICH_APP_ID``: any set of stages running dedup reads the same."""
    return f"{settings.app_id}.{table}-changelog"


def changelog_topics(settings: Settings) -> list[str]:
    """The dedup tables' changelogs (created by Faust, with ``changelog_configs``)."""
    return [changelog_topic(settings, table) for table in DEDUP_TABLES]


def internal_topic(settings: Settings, name: str) -> bool:
    """Whether a topic is some software's own, not the pipeline's or a user's: the broker's (``__consumer_offsets``,
    ``__transaction_state``, ...) and this app's, which Faust names by ``ENRICH_APP_ID`` (each worker group's
    ``<app_id>-<stages>-__assignor-__leader``, the dedup changelogs ``<app_id>.<table>-changelog``) unless a setting
    names it as a pipeline topic."""
    ours = name.startswith((f"{settings.app_id}-", f"{settings.app_id}."))
    return name.startswith("__") or (ours and name not in topic_partitions(settings))


def wanted_configs(settings: Settings, name: str) -> dict[str, str]:
    """The broker configs the pipeline gives the topic ``name``: a changelog's or another topic's."""
    return changelog_configs(settings) if name in changelog_topics(settings) else topic_configs(settings, name)


def replica_configs(settings: Settings) -> dict[str, str]:
    """``min.insync.replicas`` 2 on the topics the pipeline creates (Faust's changelogs too) from a replication factor
    of ``MIN_INSYNC_FROM_REPLICATION``; none below (the broker's default, 1)."""
    return {MIN_INSYNC_REPLICAS: "2"} if settings.replication_factor >= MIN_INSYNC_FROM_REPLICATION else {}


async def listed_topics(client: AIOKafkaClient) -> set[str]:
    """The topics the broker lists to these credentials: the project's one way to ask which exist. A metadata request
    for every topic, which creates none and needs no right beyond Describe on each topic it lists (on a cluster with
    ACLs a principal is shown the topics it may describe). Internal topics are left out, and so is a topic the broker
    names with an error (one just created whose leader is not known yet): a client could not produce to it yet.
    ``client``: a producer's ``client``, or the one a consumer or an admin client holds (``_client``: aiokafka
    gives them no public one)."""
    return (await listed_cluster(client)).topics()


async def listed_cluster(client: AIOKafkaClient) -> ClusterMetadata:
    """``listed_topics``' answer whole, for a caller that also needs the listed topics' partitions: one request."""
    return await client.fetch_all_metadata()


class ListedTopicsClient(AIOKafkaClient):
    """aiokafka's client whose metadata requests never ask the broker to create the topics they name.

    aiokafka asks for its producer's and consumer's topics with ``allow_auto_topic_creation`` true, so a broker with
    ``auto.create.topics.enable`` made a source topic deleted under a worker again at once, with its default
    partitions: the group's next rebalance could crash Faust's assignor, and offsets of the deleted topic be
    committed on the new one. Here a missing topic stays missing until ``enrich topics`` makes it. The one method
    that asks for named topics is aiokafka's own, run against its module's names with ``MetadataRequest`` bound to
    ``allow_auto_topic_creation=False`` (no copy of it to drift from the aiokafka installed). The requests without
    topics (bootstrap, Faust's, ``listed_topics``) create none anyway.
    """

    _metadata_update = types.FunctionType(
        AIOKafkaClient._metadata_update.__code__,
        {**vars(aiokafka.client), "MetadataRequest": partial(MetadataRequest, allow_auto_topic_creation=False)},
        "_metadata_update",
    )


def creating_no_topic(client: AIOKafkaClient) -> AIOKafkaClient:
    """``client`` (made by an aiokafka producer, consumer or admin client, which take no client class) as a
    ``ListedTopicsClient``: the same state, only its metadata requests differ. Before it starts."""
    client.__class__ = ListedTopicsClient
    return client


async def ensure_topics(
    settings: Settings, *, may_lack_rights: bool = False, added: Mapping[str, Mapping[str, str]] | None = None
) -> list[str]:
    """Create the topics that do not exist yet and raise the message cap of the dead-letter topic and of the dedup
    changelogs where it is less than the pipeline needs (one created by an older version); return the names created.
    The existing topics' partitions are checked first (``check_layout``), from the same metadata answer.
    ``may_lack_rights``: a topic the principal may not create, or whose partitions take no writes within
    ``READY_TIMEOUT_SECONDS``, is a warning, not an error (a worker's start: its clients wait for leaders themselves).
    ``added``: configs a topic is created with beside ``topic_configs`` (a benchmark's), by name."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers, client_id=f"{settings.app_id}-admin", **client_options(settings)
    )
    await admin.start()
    try:
        metadata = await listed_cluster(admin._client)  # the existing topics, and their partition counts
        existing = metadata.topics()
        check_layout(settings, {name: len(metadata.partitions_for_topic(name) or ()) for name in existing})
        wanted = [
            NewTopic(
                name=name,
                num_partitions=partitions,
                replication_factor=settings.replication_factor,
                topic_configs=topic_configs(settings, name) | dict((added or {}).get(name, {})),
            )
            for name, partitions in topic_partitions(settings).items()
            if name not in existing
        ]
        # The caps the pipeline derives: the dead-letter topic's from the others' (any message's dead letter fits),
        # the dedup changelogs' for a state record; the other topics' are the operator's to set.
        derived = {settings.topic_deadletter, *changelog_topics(settings)}
        await _raise_message_caps(admin, settings, sorted(existing & derived))
        if not wanted:
            return []
        answers = (await admin.create_topics(wanted)).topic_errors
        created = created_topics(answers, UNAUTHORIZED if may_lack_rights else frozenset())
        log.info("created topics %s", created)
        await _until_ready(
            admin._client,
            {t.name for t in wanted} - {name for name, code, *_ in answers if code in UNAUTHORIZED},
            may_lack_rights,
        )
        return created
    finally:
        await admin.close()


def created_topics(topic_errors: Iterable[tuple[Any, ...]], warned: Collection[int] = frozenset()) -> list[str]:
    """The topics a CreateTopics response created, read from its ``topic_errors`` (name, error code, from v1 a
    message): aiokafka returns the response whatever each topic's code says, and raises none. A topic another
    process created first is fine, not created; a refusal with a code in ``warned`` is logged as a warning; any
    other (a replication factor the cluster cannot meet, no Create right) raises the code's ``KafkaError``, naming
    the topic."""
    created = []
    for name, code, *message in topic_errors:
        if code == TopicAlreadyExistsError.errno:
            log.info("topic %s: exists already (another process created it, or it is not shown to us)", name)
        elif code:
            error = for_code(code)
            why = f"cannot create topic {name}: {(message and message[0]) or error.description}"
            if code not in warned:
                raise error(why)
            log.warning("%s; create it by hand if it is missing", why)
        else:
            created.append(name)
    return created


async def _until_ready(client: AIOKafkaClient, names: set[str], warn: bool = False) -> None:
    """Wait until every partition of the topics just made (by this call, or by another process that won the race to
    create them: CreateTopics answered that they exist, perhaps before their leaders were elected) has a leader that
    takes writes, so that a producer started at once gets no NotLeaderForPartition answer (a retried send, logged as
    a warning). Being listed with a leader is not enough: a KRaft broker shows the new leader in its metadata some
    150 ms before its replica manager leads the partition (measured on a fresh broker with the pipeline's 25
    partitions). Topics these credentials may not describe are not waited for (``_describable``). Raises
    ``KafkaTimeoutError`` past ``READY_TIMEOUT_SECONDS``: a topic no client can write to is no topic made. ``warn``
    (a worker's start): a warning instead, as a stop would buy nothing: its clients wait for the leaders themselves,
    and a restart finds the topics made and does not wait for them."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    names = await _describable(client, names)
    while names and (waiting := await _still_waiting(client, names)):  # none left: no request
        if time.monotonic() > deadline:
            why = (
                f"topics {', '.join(sorted(waiting))} were created, but their partitions had no leader taking "
                f"writes after {READY_TIMEOUT_SECONDS:.0f} s"
            )
            if not warn:
                raise KafkaTimeoutError(why)
            log.warning("%s; starting without them ready", why)
            return
        await asyncio.sleep(READY_POLL_SECONDS)


async def _describable(client: AIOKafkaClient, names: set[str]) -> set[str]:
    """The topics of ``names`` these credentials may describe, from one metadata request naming them (creating
    none), which the broker answers TOPIC_AUTHORIZATION_FAILED for the others, made or not. Such a topic is never
    listed, so waiting for its leaders would take the whole bound at every start of a worker allowed to create it
    (a Create right on the cluster, Describe on its stages' topics only: CreateTopics answers that it exists each
    time); a warning names them instead. The right to describe does not wait for a leader, so a process that lost
    the race to create a topic still waits for it. No answer: all of ``names``, left to the wait and its bound."""
    if not names:  # none to wait for: no request
        return names
    request = MetadataRequest(sorted(names), allow_auto_topic_creation=False)
    try:
        response = await client.send(client.get_random_node(), request)
    except KafkaError as exc:
        log.debug("topics %s: no answer yet (%s: %s)", sorted(names), type(exc).__name__, exc)
        return set(names)
    hidden = {name for code, name, *_ in response.topics if code == TopicAuthorizationFailedError.errno}
    if hidden:
        log.warning(
            "topics %s exist, but these credentials may not describe them: not waiting for their leaders "
            "(a worker needs Describe on its own stages' topics only)",
            ", ".join(sorted(hidden)),
        )
    return names - hidden


async def _still_waiting(client: AIOKafkaClient, names: set[str]) -> set[str]:
    """``_not_ready``, or all of ``names`` when the cluster did not answer (a leader still connecting, a request
    timed out): asked again at the next poll, up to the bound, as a producer would retry, not a stopped start."""
    try:
        return await _not_ready(client, names)
    except KafkaError as exc:
        log.debug("topics %s: no answer yet (%s: %s)", sorted(names), type(exc).__name__, exc)
        return set(names)


async def _not_ready(client: AIOKafkaClient, names: set[str]) -> set[str]:
    """The topics of ``names`` a producer could not write to yet: not listed, a partition without a leader, or one
    its leader does not lead yet. The last is asked of each leader by ListOffsets, which it answers, like a produce
    request, only for a partition it leads (NOT_LEADER_OR_FOLLOWER until then)."""
    metadata = await listed_cluster(client)
    waiting = names - metadata.topics()
    by_leader: dict[int, dict[str, list[int]]] = {}
    for name in names - waiting:
        for partition in metadata.partitions_for_topic(name) or ():
            leader = metadata.leader_for_partition(TopicPartition(name, partition))
            if leader is None or leader < 0:
                waiting.add(name)
            else:
                by_leader.setdefault(leader, {}).setdefault(name, []).append(partition)
    for leader, topics in by_leader.items():
        request = OffsetRequest(-1, 0, [(name, [(p, LATEST_OFFSET) for p in parts]) for name, parts in topics.items()])
        response = await client.send(leader, request)
        waiting |= {name for name, partitions in response.topics for _partition, code, *_ in partitions if code}
    return waiting


async def _raise_message_caps(admin: AIOKafkaAdminClient, settings: Settings, names: list[str]) -> None:
    """Raise ``max.message.bytes`` where an existing topic takes less than ``wanted_configs`` asks. AlterConfigs
    replaces a topic's whole set of configs, so the configs set on the topic (retention, compaction) go with it.
    A broker that refuses (no DescribeConfigs or AlterConfigs right, for a topic or the whole request: an old
    broker, a proxy, an authorization error) gets a warning, not a stopped worker."""
    if not names:
        return
    try:
        await _raise_caps(admin, settings, names)
    except KafkaError as exc:
        log.warning("cannot check or raise %s of topics %s (%s: %s)", MAX_MESSAGE_BYTES, names, type(exc).__name__, exc)


async def _raise_caps(admin: AIOKafkaAdminClient, settings: Settings, names: list[str]) -> None:
    """``_raise_message_caps``' work, whose per-topic refusals the broker reports in its responses."""
    described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name) for name in names])
    for response in described:
        for code, message, _type, name, entries in response.resources:
            if code:
                log.warning("cannot read the configs of topic %s (error %d: %s)", name, code, message)
                continue
            wanted = int(wanted_configs(settings, name)[MAX_MESSAGE_BYTES])
            current = {entry[0]: entry[1] for entry in entries}
            if int(current[MAX_MESSAGE_BYTES]) >= wanted:
                continue
            kept = {entry[0]: entry[1] for entry in entries if _set_on_topic(response.API_VERSION, entry[3])}
            [altered] = await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, name, {**kept, MAX_MESSAGE_BYTES: str(wanted)})]
            )
            refused, why = altered.resources[0][:2]
            outcome = f"error {refused}: {why}" if refused else f"from {current[MAX_MESSAGE_BYTES]}"
            log.warning(
                "%s %s of topic %s to %d (%s)",
                "cannot raise" if refused else "raised",
                MAX_MESSAGE_BYTES,
                name,
                wanted,
                outcome,
            )


def _set_on_topic(version: int, source: int | bool) -> bool:
    """Whether a described config was set on the topic itself, not inherited from the broker's defaults."""
    return not source if version == 0 else source == DYNAMIC_TOPIC_CONFIG


class TopicLayoutError(RuntimeError):
    """An existing topic the pipeline cannot run on: it is the broker's to mend, not a worker's to work around."""


def check_layout(settings: Settings, partitions: dict[str, int]) -> None:
    """Raise ``TopicLayoutError`` when the clean topic has more than one partition (the dedup index has one owner, which
    would then see only some copies of a story); warn where the raw or unique topic has fewer than
    ``ENRICH_PARTITIONS``: creating topics leaves an existing one's count as it is, and workers past it stay idle."""
    clean = partitions.get(settings.topic_clean, DEDUP_INPUT_PARTITIONS)
    if clean > DEDUP_INPUT_PARTITIONS:
        raise TopicLayoutError(
            f"topic {settings.topic_clean} has {clean} partitions, the dedup stage needs {DEDUP_INPUT_PARTITIONS} "
            "(one owner of the index sees every copy of a story): recreate it with one partition"
        )
    for name in (settings.topic_raw, settings.topic_unique):
        if 0 < (has := partitions.get(name, settings.partitions)) < settings.partitions:
            log.warning(
                "topic %s has %d partitions, ENRICH_PARTITIONS wants %d: at most %d workers of the stage reading it "
                "share the work (add partitions with kafka-topics.sh --alter, or lower the setting)",
                name,
                has,
                settings.partitions,
                has,
            )
