"""A real Kafka broker (started by deploy/kafka/kafka.sh), per-test topics and groups, worker processes.

No test here skips: a broker that does not start fails the session, loudly.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.protocol.types import Array, Bytes, Int16, Int32, Int64, Schema, String

from tests.conftest import ROOT
from tests.ports import BROKER_PORTS, free_port
from workers.intake import message_key
from workers.kafka_io import new_producer, produce_lines
from workers.security import client_options
from workers.settings import Settings
from workers.stacks import STACKS_END
from workers.topics import ensure_topics

KAFKA_SH = ROOT / "deploy" / "kafka" / "kafka.sh"
BROKER_PORT = BROKER_PORTS.start  # ENRICH_TEST_KAFKA_PORT, default 19092: apart from a dev broker on 9092
WORKER_STOP_SECONDS = 30
STACKS_SECONDS = 10  # the longest wait for a worker's stacks after SIGUSR1
CLI_TIMEOUT = 60  # seconds: a CLI run that hangs instead of failing fails the test
RUNS: list[str] = []  # the prefix of every topic and group the session's tests made (private_settings)


def kafka_sh(command: str, port: int = BROKER_PORT, **env: str) -> subprocess.CompletedProcess[str]:
    """Run deploy/kafka/kafka.sh for the broker on ``port`` (its controller on port+1), with extra ``KAFKA_*`` env."""
    env = {**os.environ, "KAFKA_PORT": str(port), "KAFKA_CONTROLLER_PORT": str(port + 1), **env}
    return subprocess.run([str(KAFKA_SH), command], env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def broker(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of a running broker, shared by the run's pytest processes (``scripts/test`` runs two):
    started unless one already runs there, stopped by the last process to leave if the run started it."""
    run_dir = tmp_path_factory.getbasetemp()
    if hasattr(pytestconfig, "workerinput"):  # an xdist worker: the run's processes share its parent
        run_dir = run_dir.parent
    with sharing_broker(run_dir / f"broker-{BROKER_PORT}.json"):
        yield f"127.0.0.1:{BROKER_PORT}"
        asyncio.run(delete_topics(f"127.0.0.1:{BROKER_PORT}", RUNS))


@contextmanager
def sharing_broker(users_file: Path) -> Iterator[None]:
    """Count this process among the broker's users while the block runs: the first user starts it, the last one
    stops it if a user started it (a broker that ran before the first user is left running)."""
    with _locked(users_file) as users:
        if not users["count"]:
            users["started"] = kafka_sh("status").returncode != 0
            started = kafka_sh("start")
            if started.returncode != 0:
                pytest.fail(f"the Kafka broker did not start:\n{started.stdout}\n{started.stderr}", pytrace=False)
        users["count"] += 1
    try:
        yield
    finally:
        with _locked(users_file) as users:
            users["count"] -= 1
            if not users["count"] and users["started"]:
                kafka_sh("stop")


@contextmanager
def _locked(users_file: Path) -> Iterator[dict[str, Any]]:
    """The users record of the broker, read and written back under an exclusive lock of the run's processes."""
    with users_file.with_suffix(".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        users = json.loads(users_file.read_text()) if users_file.exists() else {"count": 0, "started": False}
        yield users
        users_file.write_text(json.dumps(users))


@pytest.fixture
def private_broker(pytestconfig: pytest.Config, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A broker of this test alone, which the test may stop, start and reset: its bootstrap address and the
    environment of ``deploy/kafka/kafka.sh`` for it. Each pytest process of the run has its own port pair."""
    worker = getattr(pytestconfig, "workerinput", {}).get("workerid", "gw0")  # gw0, gw1, ... under xdist
    port = BROKER_PORT + 20 + 2 * int(worker.removeprefix("gw"))
    env = {
        **os.environ,
        "KAFKA_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(port + 1),
        "KAFKA_STATE_DIR": str(tmp_path / "kafka"),
    }
    started = subprocess.run([str(KAFKA_SH), "start"], env=env, capture_output=True, text=True, timeout=300)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield f"127.0.0.1:{port}", env
    finally:
        subprocess.run([str(KAFKA_SH), "stop"], env=env, capture_output=True, timeout=120)


async def delete_topics(bootstrap_servers: str, runs: list[str]) -> None:
    """Delete the topics of the session's tests (Faust's changelogs too): a broker holding thousands of earlier
    sessions' topics starts slowly, and nothing reads them again."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="tests-cleanup")
    try:
        await admin.start()
        prefixes = tuple(runs)
        ours = [name for name in await admin.list_topics() if name.startswith(prefixes)]
        if ours:
            await admin.delete_topics(ours)
    except KafkaError as error:  # housekeeping: the tests have passed or failed by now
        warnings.warn(f"the session's topics were not deleted: {error!r}", stacklevel=1)
    finally:
        await admin.close()


def private_settings(bootstrap_servers: str, data_dir: Path, **values: Any) -> Settings:
    """Settings with topics, consumer groups and ports of their own, and any other ``values``."""
    run = f"t{uuid.uuid4().hex[:10]}"
    RUNS.append(run)
    topics = {
        f"topic_{t}": f"{run}.{t}"
        for t in ("raw", "clean", "unique", "enriched", "duplicates", "deadletter", "clusters")
    }
    return Settings(
        bootstrap_servers=bootstrap_servers,
        app_id=run,
        partitions=2,
        data_dir=data_dir,
        metrics_port=free_port(),
        web_port=free_port(),
        **topics,
        **values,
    )


@pytest.fixture
def pipeline_settings(broker: str, tmp_path: Path) -> Settings:
    """Settings with topics, consumer groups and ports of this test alone, the topics already created."""
    settings = private_settings(broker, tmp_path / "data")
    asyncio.run(ensure_topics(settings))  # before anything is produced: no auto-created one-partition topics
    return settings


class Worker:
    """A worker process (``python -m workers worker``) and its log."""

    def __init__(self, settings: Settings, log: Path, stages: str | None) -> None:
        env = {**os.environ, **settings.as_environment()}
        args = [sys.executable, "-m", "workers", "worker", *(["--stages", stages] if stages else [])]
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        """SIGTERM, as an orchestrator stops a worker; the exit code."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
        return self.process.returncode

    def stacks(self) -> str:
        """What the running worker is doing (``workers.stacks``): its threads' stacks (SIGUSR2, printed while its
        event loop is blocked too), then its tasks' await chains and its clients' state (SIGUSR1), up to their end
        line (at most ``STACKS_SECONDS``: a worker whose loop is blocked, or not started, prints no more)."""
        if not self.alive():
            return f"exited with {self.process.returncode}"
        start = self.log.stat().st_size
        self.process.send_signal(signal.SIGUSR2)
        time.sleep(0.5)
        self.process.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + STACKS_SECONDS
        while time.monotonic() < deadline and STACKS_END not in self._log_since(start):
            time.sleep(0.5)
        return self._log_since(start)

    def _log_since(self, offset: int) -> str:
        with self.log.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")


class WorkerStarter:
    """``start_worker``: starts worker processes and remembers them, for the stop after the test and the stacks of
    a failed one."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.workers: list[Worker] = []

    def __call__(self, settings: Settings, stages: str | None = None) -> Worker:
        worker = Worker(settings, self.directory / f"worker-{len(self.workers)}.log", stages)
        self.workers.append(worker)
        return worker


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A test that fails with workers running reports what each was doing (its stacks): a worker stuck on the
    shared CI machine can rarely be made to stick again."""
    report = yield
    starter = getattr(item, "funcargs", {}).get("start_worker")
    if report.when == "call" and report.failed and isinstance(starter, WorkerStarter):
        for number, worker in enumerate(starter.workers):
            report.sections.append((f"worker {number} stacks", worker.stacks()))
    return report


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[WorkerStarter]:
    """Start worker processes; every one is stopped after the test."""
    starter = WorkerStarter(tmp_path)
    yield starter
    for worker in starter.workers:
        worker.stop()


def cli(settings: Settings, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m workers ARGS`` with these settings in its environment; output and exit code."""
    return subprocess.run(
        [sys.executable, "-m", "workers", *args],
        cwd=ROOT,
        env={**os.environ, **settings.as_environment()},
        input=stdin,
        capture_output=True,
        timeout=CLI_TIMEOUT,
    )


def produce(settings: Settings, topic: str, lines: list[bytes]) -> None:
    """Publish raw lines, one message each, and wait for the broker's acks."""
    asyncio.run(produce_lines(settings, topic, lines))


def produce_to(settings: Settings, values: Iterable[bytes], partition: int = 0, topic: str | None = None) -> None:
    """Publish ``values`` whole, in order, to one partition of ``topic`` (the raw topic), keyed as ``enrich produce``
    keys a line: where a test needs one partition's order (``produce`` spreads lines by key). The topics are made
    first, with their partitions (a broker that makes a topic on its first use gives it one)."""

    async def run() -> None:
        await ensure_topics(settings)
        producer = new_producer(settings)
        try:
            await producer.start()
            for value in values:
                await producer.send_and_wait(
                    topic or settings.topic_raw, value, key=message_key(value), partition=partition
                )
        finally:
            await producer.stop()

    asyncio.run(run())


def read_topic(
    settings: Settings, topic: str, expected: int, timeout: float, grace: float = 2.0
) -> list[dict[str, Any]]:
    """Records on ``topic`` from its start: wait up to ``timeout`` for ``expected``, then ``grace`` for extras."""
    return [value for _, value in read_keyed(settings, topic, expected, timeout, grace)]


def read_keyed(
    settings: Settings, topic: str, expected: int, timeout: float, grace: float = 2.0
) -> list[tuple[bytes | None, Any]]:
    """The keys and values (JSON read; None for a delete) of the records on ``topic``, as ``read_topic`` waits."""
    return [
        (message.key, message.value and orjson.loads(message.value))
        for message in read_messages(settings, topic, expected, timeout, grace)
    ]


def read_messages(
    settings: Settings, topic: str, expected: int, timeout: float, grace: float = 2.0
) -> list[ConsumerRecord]:
    """``read_topic``'s messages as the broker gives them: key, value and headers."""

    async def run() -> list[ConsumerRecord]:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=settings.bootstrap_servers,
            group_id=f"reader-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            **client_options(settings),
        )
        await consumer.start()
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=500)
                records += [r for rs in batch.values() for r in rs]
                if len(records) >= expected:
                    deadline = min(deadline, time.monotonic() + grace)
        finally:
            await consumer.stop()
        return records

    return asyncio.run(run())


# A classic consumer group's record in __consumer_offsets, as the group coordinator writes it at each generation: the
# key (version 2: group metadata; 0 and 1 are offset commits) and the value at version 3 (Kafka 2.3 to 4.3).
OFFSETS_TOPIC = "__consumer_offsets"
GROUP_METADATA_KEY = Schema(("version", Int16), ("group", String("utf-8")))
GROUP_METADATA_KEY_VERSION = 2
GROUP_METADATA_VERSION = 3
GROUP_METADATA_V3 = Schema(
    ("version", Int16),
    ("protocol_type", String("utf-8")),
    ("generation", Int32),
    ("protocol", String("utf-8")),
    ("leader", String("utf-8")),
    ("current_state_timestamp", Int64),
    (
        "members",
        Array(
            ("member_id", String("utf-8")),
            ("group_instance_id", String("utf-8")),
            ("client_id", String("utf-8")),
            ("client_host", String("utf-8")),
            ("rebalance_timeout_ms", Int32),
            ("session_timeout_ms", Int32),
            ("subscription", Bytes),
            ("assignment", Bytes),
        ),
    ),
)


class GroupMember(NamedTuple):
    """A member of a consumer group's latest generation as the broker holds it."""

    member_id: str
    session_timeout_ms: int
    rebalance_timeout_ms: int


def group_members(settings: Settings, group: str) -> list[GroupMember]:
    """The members of ``group``'s latest generation with the timeouts each joined with, read from the broker's own
    record of the group (``__consumer_offsets``): what the broker judges the members by, which the group's
    description (DescribeGroups) does not show."""

    async def run() -> list[GroupMember]:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, **client_options(settings))
        await admin.start()
        try:
            [described] = await admin.describe_topics([OFFSETS_TOPIC])
        finally:
            await admin.close()
        partition = TopicPartition(OFFSETS_TOPIC, _java_abs_hash(group) % len(described["partitions"]))
        return _members(await _last_group_record(settings, partition, group))

    return asyncio.run(run())


def _java_abs_hash(group: str) -> int:
    """How the broker picks a group's partition of ``__consumer_offsets``: Kafka's ``Utils.abs`` (0 for the least
    int) of Java's ``String.hashCode``, over UTF-16 code units in 32-bit arithmetic."""
    units = group.encode("utf-16-be")
    java_hash = 0
    for high, low in zip(units[::2], units[1::2], strict=True):
        java_hash = (31 * java_hash + (high << 8 | low)) & 0xFFFFFFFF
    signed = java_hash - (1 << 32) if java_hash >= 1 << 31 else java_hash
    return 0 if signed == -(1 << 31) else abs(signed)


async def _last_group_record(settings: Settings, partition: TopicPartition, group: str) -> bytes | None:
    """The value of the group's latest metadata record in the partition (None: a tombstone, or none)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False, **client_options(settings)
    )
    await consumer.start()
    try:
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        end = (await consumer.end_offsets([partition]))[partition]
        last = None
        while await consumer.position(partition) < end:
            for record in (await consumer.getmany(partition, timeout_ms=1000)).get(partition, []):
                key = GROUP_METADATA_KEY.decode(BytesIO(record.key))
                if key == (GROUP_METADATA_KEY_VERSION, group):
                    last = record.value
        return last
    finally:
        await consumer.stop()


def _members(value: bytes | None) -> list[GroupMember]:
    if value is None:
        return []
    version = Int16.decode(BytesIO(value))
    assert version == GROUP_METADATA_VERSION, f"group metadata of version {version}: its layout is not known here"
    *_, members = GROUP_METADATA_V3.decode(BytesIO(value))
    return [GroupMember(member[0], member[5], member[4]) for member in members]
