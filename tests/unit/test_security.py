"""The security settings as aiokafka options and Faust credentials: the same options either way."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path
from typing import Any

import faust
import pytest
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from faust.types.auth import AuthProtocol

from workers.security import broker_credentials, client_options
from workers.settings import Settings

PASSWORD = "pa55-not-for-logs"
SASL = {"sasl_username": "enrich", "sasl_password": PASSWORD}


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed CA certificate (PEM), made with openssl as deploy/kafka/kafka.sh makes its test CA."""
    folder = tmp_path_factory.mktemp("ca")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=unit test CA"),
            *("-keyout", str(folder / "ca.key"), "-out", str(folder / "ca.crt")),
        ],
        check=True,
        capture_output=True,
    )
    return folder / "ca.crt"


def without_context(options: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in options.items() if name != "ssl_context"}


def test_plaintext_needs_no_options_and_no_credentials() -> None:
    settings = Settings()
    assert client_options(settings) == {"security_protocol": "PLAINTEXT", "ssl_context": None}
    assert broker_credentials(settings) is None


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_plaintext_options(mechanism: str) -> None:
    settings = Settings(security_protocol="SASL_PLAINTEXT", sasl_mechanism=mechanism, **SASL)
    assert client_options(settings) == {
        "security_protocol": "SASL_PLAINTEXT",
        "ssl_context": None,
        "sasl_mechanism": mechanism,
        "sasl_plain_username": "enrich",
        "sasl_plain_password": PASSWORD,
    }


def test_sasl_ssl_verifies_the_brokers_against_the_ca_file(ca_file: Path) -> None:
    settings = Settings(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", ssl_cafile=ca_file, **SASL)
    options = client_options(settings)
    assert without_context(options) == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "enrich",
        "sasl_plain_password": PASSWORD,
    }
    context = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [cert["subject"] for cert in context.get_ca_certs()] == [((("commonName", "unit test CA"),),)]


def test_ssl_without_a_ca_file_trusts_the_system_cas() -> None:
    options = client_options(Settings(security_protocol="SSL"))
    assert options["security_protocol"] == "SSL"
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    assert options["ssl_context"].cert_store_stats() == ssl.create_default_context().cert_store_stats()


@pytest.mark.parametrize(
    ("values", "credentials_type", "protocol"),
    [
        ({"security_protocol": "SSL"}, faust.SSLCredentials, AuthProtocol.SSL),
        ({"security_protocol": "SASL_PLAINTEXT", **SASL}, faust.SASLCredentials, AuthProtocol.SASL_PLAINTEXT),
        (
            {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-256", **SASL},
            faust.SASLCredentials,
            AuthProtocol.SASL_PLAINTEXT,
        ),
        (
            {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", **SASL},
            faust.SASLCredentials,
            AuthProtocol.SASL_SSL,
        ),
    ],
)
def test_faust_hands_its_clients_the_same_options(
    values: dict[str, str], credentials_type: type, protocol: AuthProtocol
) -> None:
    settings = Settings(**values)
    credentials = broker_credentials(settings)
    assert isinstance(credentials, credentials_type) and credentials.protocol == protocol
    faust_options = credentials_to_aiokafka_auth(credentials)
    ours = client_options(settings)
    assert without_context(faust_options) == without_context(ours)
    assert isinstance(faust_options["ssl_context"], ssl.SSLContext) == isinstance(ours["ssl_context"], ssl.SSLContext)
    assert PASSWORD not in repr(credentials)
