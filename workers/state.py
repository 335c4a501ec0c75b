"""The worker's local table state (``ENRICH_DATA_DIR``), checked against its broker before Faust opens it.

The dedup tables' RocksDB stores mirror their changelogs on one Kafka cluster. After that broker was wiped, or a
changelog deleted, Faust refuses state ahead of the changelog (``ConsistencyError``) and the worker crash-looped
until an operator emptied the directory; state of another cluster behind a longer changelog it would even keep.
At start the worker discards what does not belong to its broker, and Faust rebuilds it from the changelogs. State
is discarded only on the broker's word: a broker that cannot be asked leaves it as it is.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rocksdict
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError, UnknownTopicOrPartitionError
from aiokafka.protocol.metadata import MetadataRequest

from workers.security import client_options
from workers.settings import Settings
from workers.topics import DEDUP_INPUT_PARTITIONS, DEDUP_TABLES, changelog_topic, creating_no_topic

log = logging.getLogger(__name__)

# Faust's table directory under its data directory (its default ``tabledir`` for app version 1).
TABLE_DIR = Path("v1") / "tables"
# The id of the Kafka cluster whose changelogs the state mirrors, noted at each start (scripts/demo wrote it first).
CLUSTER_ID_FILE = "kafka-cluster.id"
# Where Faust's RocksDB store keeps the offset of the last changelog record it holds (faust-streaming 0.15.3).
FAUST_OFFSET_KEY = b"__faust\0offset__"

ChangelogPartition = tuple[str, int]


@dataclass(frozen=True, slots=True)
class LocalStore:
    """One table partition's RocksDB store: the changelog partition it mirrors, and Faust's offset in it (``None``
    when it never noted one)."""

    path: Path
    changelog: ChangelogPartition
    offset: int | None


@dataclass(frozen=True, slots=True)
class BrokerView:
    """What the broker says: its cluster id (``None`` from a broker too old to say), and per changelog partition its
    end offset, ``None`` when the topic does not exist; a partition it could not tell is absent."""

    cluster_id: str | None
    ends: Mapping[ChangelogPartition, int | None]


def table_dir(settings: Settings) -> Path:
    """Where Faust keeps the tables' stores (``tabledir``)."""
    return settings.data_dir / TABLE_DIR


def stale_state(
    stores: Iterable[LocalStore], noted_cluster: str | None, broker: BrokerView, tables: Path
) -> dict[Path, str]:
    """What to discard, and why: the whole ``tables`` directory when it holds state of another cluster, else each
    store whose changelog is gone or ends at or before the offset the store holds (Faust's ``ConsistencyError``)."""
    if noted_cluster and broker.cluster_id and noted_cluster != broker.cluster_id:
        return {tables: f"of Kafka cluster {noted_cluster}, not the broker's {broker.cluster_id}"}
    stale = {}
    for store in stores:
        topic, partition = store.changelog
        if store.changelog not in broker.ends:
            continue
        end = broker.ends[store.changelog]
        if end is None:
            stale[store.path] = f"changelog {topic} missing"
        elif store.offset is not None and store.offset >= end:
            stale[store.path] = f"offset {store.offset} held, {topic}[{partition}] ends at {end}"
    return stale


def discard_warning(stale: Mapping[Path, str]) -> str:
    """The one warning line naming what is discarded and why (``stale_state``), each path once."""
    listed = "; ".join(f"{path} ({why})" for path, why in stale.items())
    return f"discarding local table state the broker does not hold (Faust rebuilds it from the changelogs): {listed}"


def local_stores(settings: Settings) -> list[LocalStore]:
    """The dedup tables' stores on disk, each with the changelog offset it holds."""
    stores = []
    for table in DEDUP_TABLES:
        for partition in range(DEDUP_INPUT_PARTITIONS):
            path = table_dir(settings) / f"{table}-{partition}.db"
            if path.is_dir():
                stores.append(LocalStore(path, (changelog_topic(settings, table), partition), _faust_offset(path)))
    return stores


def _faust_offset(path: Path) -> int | None:
    """The changelog offset Faust noted in a store, read without taking its lock; ``None`` from a store that cannot
    be read (left to Faust, as before this check)."""
    options = rocksdict.Options(raw_mode=True)  # as Faust opens it
    try:
        db = rocksdict.Rdict(str(path), options=options, access_type=rocksdict.AccessType.read_only())
    except Exception as error:  # rocksdict raises a bare Exception (an I/O error, a corrupt store)
        log.warning("cannot read the changelog offset of %s (%s): left to Faust", path, error)
        return None
    try:
        offset = db.get(FAUST_OFFSET_KEY)
    finally:
        db.close()
    return None if offset is None else int(offset)


async def broker_view(settings: Settings, changelogs: Iterable[ChangelogPartition]) -> BrokerView:
    """The broker's cluster id and the changelogs' end offsets. Asked for by name without creating them (a broker
    with ``auto.create.topics.enable`` would create a missing topic for a consumer's metadata request)."""
    wanted = sorted(set(changelogs))
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=f"{settings.app_id}-state",
        group_id=None,
        enable_auto_commit=False,
        **client_options(settings),
    )
    client = creating_no_topic(consumer._client)  # also end_offsets' own requests; aiokafka names it no public way
    await consumer.start()
    try:
        request = MetadataRequest(sorted({topic for topic, _ in wanted}), allow_auto_topic_creation=False)
        response = await client.send(client.get_random_node(), request)
        client.cluster.update_metadata(_listed_only(response))
        metadata = response.to_object()
        codes = {topic["topic"]: topic["error_code"] for topic in metadata["topics"]}
        listed = [TopicPartition(*tp) for tp in wanted if codes.get(tp[0]) == 0]
        ends: dict[ChangelogPartition, int | None] = {
            tp: None for tp in wanted if codes.get(tp[0]) == UnknownTopicOrPartitionError.errno
        }
        if listed:
            ends.update({(tp.topic, tp.partition): end for tp, end in (await consumer.end_offsets(listed)).items()})
        return BrokerView(metadata.get("cluster_id"), ends)
    finally:
        await consumer.stop()


def _listed_only(response: Any) -> Any:
    """A metadata response with only the topics listed without error: the partitions' leaders, for the client's
    ``end_offsets``, which, told none (the client's bootstrap asks for no topic), asks for the topics' metadata once
    more; and none the client would log as an error (a changelog not made yet, on a first start)."""
    fields = {name: response.get_item(name) for name in response.SCHEMA.names}
    return type(response)(**{**fields, "topics": [topic for topic in response.topics if topic[0] == 0]})


async def discard_stale_state(settings: Settings) -> list[Path]:
    """Discard the local table state that does not belong to the broker, with one warning saying what and why; note
    the broker's cluster id in the data directory. The paths discarded."""
    stores = local_stores(settings)
    noted_file = settings.data_dir / CLUSTER_ID_FILE
    noted = noted_file.read_text().strip() if noted_file.is_file() else None
    try:
        broker = await broker_view(settings, [store.changelog for store in stores])
    except KafkaError as error:
        log.warning("cannot check the local table state against the broker (%r): kept as it is", error)
        return []
    tables = table_dir(settings)
    stale = stale_state(stores, noted, broker, tables) if tables.is_dir() else {}
    if stale:
        log.warning("%s", discard_warning(stale))
        for path in stale:
            shutil.rmtree(path)
    if broker.cluster_id and broker.cluster_id != noted:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        noted_file.write_text(f"{broker.cluster_id}\n")
    return list(stale)
