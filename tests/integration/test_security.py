"""Secured brokers: the worker, the CLI and the admin client authenticate, and no password reaches a log.

A broker of its own (deploy/kafka/kafka.sh with KAFKA_SASL=1: SASL_PLAINTEXT, SASL_SSL and SSL listeners, a
fresh test CA and a password made for this run; KAFKA_ACLS=1: an authorizer, every resource open until an ACL names
it) on ENRICH_TEST_KAFKA_PORT+2 and up, stopped at the end.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest
from pydantic import SecretStr

from tests.conftest import SEED_BODY_START, SEED_PAGE_ID, seed_lines
from tests.integration.conftest import BROKER_PORT, cli, kafka_sh, private_settings, read_topic
from workers import codec, topics
from workers.settings import Settings
from workers.topics import ensure_topics

WAIT = 180  # seconds: a first worker start loads spaCy and joins its group; CI machines are slow and shared
SASL_BROKER_PORT = BROKER_PORT + 2  # after the plaintext test broker and its controller
USER = "enrich"
# The module's broker has fixed ports: scripts/test runs a test file in one pytest process (--dist loadfile).


@dataclass(frozen=True)
class SecuredBroker:
    """The listeners of the secured test broker, its test CA and client certificate, the user's password."""

    plaintext: str  # a super user's (KAFKA_ACLS=1): the one that adds ACLs
    sasl_plaintext: str
    sasl_ssl: str
    ssl: str
    tls_dir: Path
    password: str
    log_dir: Path


@pytest.fixture(scope="module")
def secured_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredBroker]:
    """A broker with SASL and TLS listeners, in a fresh state dir (new SCRAM credentials and CA); stopped after."""
    state = tmp_path_factory.mktemp("secured-kafka")
    ports = {name: SASL_BROKER_PORT + offset for offset, name in enumerate(("SASL", "SASL_SSL", "SSL"), start=2)}
    env = {
        "KAFKA_SASL": "1",
        "KAFKA_ACLS": "1",
        "KAFKA_STATE_DIR": str(state),
        "KAFKA_SASL_USER": USER,
        "KAFKA_SASL_PASSWORD": f"pw-{uuid.uuid4().hex}",  # unique, so that finding it in a log means a leak
        **{f"KAFKA_{name}_PORT": str(port) for name, port in ports.items()},
    }
    started = kafka_sh("start", SASL_BROKER_PORT, **env)
    if started.returncode != 0:
        kafka_sh("stop", SASL_BROKER_PORT, **env)
        pytest.fail(f"the secured Kafka broker did not start:\n{started.stdout}\n{started.stderr}", pytrace=False)
    yield SecuredBroker(
        f"127.0.0.1:{SASL_BROKER_PORT}",
        *(f"127.0.0.1:{port}" for port in ports.values()),
        state / "tls",
        env["KAFKA_SASL_PASSWORD"],
        state / "logs",
    )
    kafka_sh("stop", SASL_BROKER_PORT, **env)


def secured_settings(broker: SecuredBroker, tmp_path: Path, protocol: str, mechanism: str) -> Settings:
    """Private settings for one protocol (and SASL mechanism) against the secured broker."""
    values: dict[str, Any] = {"security_protocol": protocol}
    if protocol.startswith("SASL_"):
        values |= {"sasl_mechanism": mechanism, "sasl_username": USER, "sasl_password": broker.password}
    if protocol.endswith("SSL"):
        values["ssl_cafile"] = broker.tls_dir / "ca.crt"
    if protocol == "SSL":
        values |= {"ssl_certfile": broker.tls_dir / "client.crt", "ssl_keyfile": broker.tls_dir / "client.key"}
    listener = {"SASL_PLAINTEXT": broker.sasl_plaintext, "SASL_SSL": broker.sasl_ssl, "SSL": broker.ssl}[protocol]
    return private_settings(listener, tmp_path / "data", **values)


def output(run: subprocess.CompletedProcess[bytes]) -> str:
    return (run.stdout + run.stderr).decode("utf-8", "replace")


@pytest.mark.parametrize(
    ("protocol", "mechanism"),
    [
        ("SASL_PLAINTEXT", "PLAIN"),
        ("SASL_PLAINTEXT", "SCRAM-SHA-512"),
        ("SASL_SSL", "SCRAM-SHA-512"),  # the README's example: SCRAM over TLS, brokers checked against a CA file
        ("SSL", "PLAIN"),  # TLS with a client certificate; the mechanism is not used
    ],
)
def test_worker_cli_and_admin_authenticate(
    secured_broker: SecuredBroker, tmp_path: Path, start_worker, protocol: str, mechanism: str
) -> None:
    settings = secured_settings(secured_broker, tmp_path, protocol, mechanism)
    made = cli(settings, "topics")  # first, as an operator does: produce refuses a topic the broker does not have
    assert made.returncode == 0 and "created: " in output(made), output(made)
    worker = start_worker(settings)  # lists the topics with the admin client, then runs the agents
    seed = next(line for line in seed_lines() if SEED_PAGE_ID.encode() in line)

    produced = cli(settings, "produce", "-", stdin=seed + b"\n")
    assert produced.returncode == 0, output(produced)
    records = read_topic(settings, settings.topic_enriched, 1, WAIT, grace=0)
    assert len(records) == 1, worker.log.read_text()[-3000:]
    [enriched] = records
    codec.check("enriched", enriched)
    assert enriched["id"] == SEED_PAGE_ID and enriched["text"].startswith(SEED_BODY_START)

    tailed = cli(settings, "tail", settings.topic_enriched, "--max-messages", "1", "--timeout", "30")
    assert tailed.returncode == 0 and SEED_PAGE_ID in tailed.stdout.decode(), output(tailed)
    topics = cli(settings, "topics")
    assert topics.returncode == 0 and "none (all exist)" in output(topics), output(topics)

    assert worker.stop() == 0, worker.log.read_text()[-3000:]
    logs = {"worker": worker.log.read_text(), **{run.args[3]: output(run) for run in (produced, tailed, topics)}}
    assert not [name for name, text in logs.items() if secured_broker.password in text]


# What the broker answers a wrong password with, per mechanism: proof that the clients used the one configured.
REFUSAL = {"PLAIN": "Invalid username or password", "SCRAM-SHA-512": "with SASL mechanism SCRAM-SHA-512"}


@pytest.mark.parametrize("mechanism", sorted(REFUSAL))
def test_a_wrong_password_fails_at_once_and_says_why(
    secured_broker: SecuredBroker, tmp_path: Path, mechanism: str
) -> None:
    good = secured_settings(secured_broker, tmp_path, "SASL_PLAINTEXT", mechanism)
    wrong_password = f"wrong-{uuid.uuid4().hex}"
    settings = good.model_copy(update={"sasl_password": SecretStr(wrong_password)})
    runs = [cli(settings, "produce", "-", stdin=seed_lines()[0]), cli(settings, "worker", "--stages", "clean")]
    for run in runs:
        text = output(run)
        assert run.returncode != 0, text
        assert "SaslAuthenticationFailed" in text and REFUSAL[mechanism] in text, text
        assert "cannot connect to Kafka" in text, text
        assert "Traceback" not in text
        assert secured_broker.password not in text and wrong_password not in text


def test_the_broker_does_not_log_the_password(secured_broker: SecuredBroker) -> None:
    logs = sorted(secured_broker.log_dir.iterdir())
    assert logs
    assert not [log.name for log in logs if secured_broker.password in log.read_text(errors="replace")]


# CreateAcls' codes (Kafka's AclOperation, ResourceType, PatternType, AclPermissionType).
TOPIC, LITERAL, DESCRIBE, DENY = 2, 3, 8, 2


async def deny_describe(broker: SecuredBroker, names: list[str]) -> None:
    """Deny the SASL user Describe on the topics ``names``, as the super user of the plaintext listener."""
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.plaintext)
    await admin.start()
    try:
        for name in names:
            request = CreateAclsRequest(TOPIC, name, LITERAL, f"User:{USER}", "*", DESCRIBE, DENY)
            response = await admin._client.send(admin._client.get_random_node(), request)
            assert [code for code, _message in response.creation_responses] == [0], response
    finally:
        await admin.close()


def test_a_worker_that_may_create_topics_it_may_not_describe_does_not_wait_for_them(
    secured_broker: SecuredBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """leftovers 1: a worker whose principal may create every topic but describe only its stages' waited the whole
    bound (30 s) at every start for the others, made but never listed to it, CreateTopics answering that they
    exist. It warns and does not wait for them; the topics it may describe are still waited for."""
    settings = secured_settings(secured_broker, tmp_path, "SASL_PLAINTEXT", "SCRAM-SHA-512")
    hidden = [settings.topic_enriched, settings.topic_clusters]
    asyncio.run(deny_describe(secured_broker, hidden))
    operator = settings.model_copy(
        update={"security_protocol": "PLAINTEXT", "bootstrap_servers": secured_broker.plaintext}
    )
    with caplog.at_level(logging.WARNING, logger=topics.log.name):
        assert sorted(asyncio.run(ensure_topics(operator))) == sorted(topics.topic_partitions(settings))
        assert asyncio.run(ensure_topics(settings, may_lack_rights=True)) == []
    assert [r.getMessage() for r in caplog.records if r.name == topics.log.name] == [
        f"topics {', '.join(sorted(hidden))} exist, but these credentials may not describe them: not waiting for "
        "their leaders (a worker needs Describe on its own stages' topics only)"
    ]
