"""Settings: read from the environment (the handbook's tables of them: test_docs.py)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from workers.limits import TOPIC_MAX_MESSAGE_BYTES
from workers.settings import Settings, explain, unknown_variables


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_TOPIC_RAW", "news.in")
    monkeypatch.setenv("ENRICH_BOOTSTRAP_SERVERS", "k1:9092, k2:9092")
    settings = Settings()
    assert settings.topic_raw == "news.in"
    assert settings.broker_url == "kafka://k1:9092;kafka://k2:9092"


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_DEDUP_THRESHOLD", "1.5")
    with pytest.raises(ValueError, match="dedup_threshold"):
        Settings()


def test_the_raw_size_limit_leaves_a_clean_record_room_under_the_topics_cap() -> None:
    """A raw message the clean stage takes yields a clean record within the clean topic's cap."""
    half = TOPIC_MAX_MESSAGE_BYTES // 2
    assert Settings(max_message_bytes=half).max_message_bytes == half
    with pytest.raises(ValueError, match="max_message_bytes"):
        Settings(max_message_bytes=half + 1)


SASL = {"security_protocol": "SASL_PLAINTEXT", "sasl_username": "enrich"}
PASSWORD = "pa55-not-for-logs"


def test_sasl_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("ENRICH_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("ENRICH_SASL_USERNAME", "enrich")
    monkeypatch.setenv("ENRICH_SASL_PASSWORD", PASSWORD)
    monkeypatch.setenv("ENRICH_SSL_CAFILE", "/etc/kafka/ca.crt")
    settings = Settings()
    assert (settings.security_protocol, settings.sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512")
    assert settings.sasl_password.get_secret_value() == PASSWORD
    assert str(settings.ssl_cafile) == "/etc/kafka/ca.crt"


def test_the_password_is_never_shown() -> None:
    settings = Settings(**SASL, sasl_password=PASSWORD)
    shown = [repr(settings), str(settings), str(settings.model_dump()), settings.model_dump_json()]
    assert not [text for text in shown if PASSWORD in text]
    assert "**********" in repr(settings)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"security_protocol": "SASL_PLAINTEXT"}, "needs sasl_username and sasl_password"),
        ({**SASL}, "needs sasl_username and sasl_password"),
        ({"security_protocol": "SASL_SSL", "sasl_password": PASSWORD}, "needs sasl_username and sasl_password"),
        ({"sasl_username": "enrich", "sasl_password": PASSWORD}, "security_protocol is PLAINTEXT"),
        ({"security_protocol": "SSL", "sasl_password": PASSWORD}, "security_protocol is SSL"),
        ({**SASL, "sasl_password": PASSWORD, "ssl_cafile": "ca.crt"}, "ssl_\\* files are set"),
        ({"security_protocol": "SSL", "ssl_keyfile": "client.key"}, "ssl_keyfile is set without ssl_certfile"),
        ({**SASL, "sasl_password": PASSWORD, "sasl_mechanism": "GSSAPI"}, "sasl_mechanism"),
        ({**SASL, "sasl_password": PASSWORD, "security_protocol": "TLS"}, "security_protocol"),
    ],
)
def test_incoherent_security_settings_are_refused_without_showing_the_password(
    values: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        Settings(**values)
    assert PASSWORD not in str(refused.value)


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"security_protocol": "SSL"},
        {"security_protocol": "SSL", "ssl_cafile": "ca.crt", "ssl_certfile": "client.pem"},
        {**SASL, "sasl_password": PASSWORD, "sasl_mechanism": "SCRAM-SHA-256"},
        {**SASL, "sasl_password": PASSWORD, "security_protocol": "SASL_SSL", "ssl_cafile": "ca.crt"},
    ],
)
def test_coherent_security_settings_are_accepted(values: dict[str, str]) -> None:
    settings = Settings(**values)
    for name, value in values.items():
        kept = getattr(settings, name)
        assert (kept.get_secret_value() if isinstance(kept, SecretStr) else str(kept)) == value


def test_a_deprecated_dedup_threshold_is_accepted_with_a_future_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_DEDUP_MERGE_THRESHOLD", "0.7")
    with pytest.warns(FutureWarning, match="ENRICH_DEDUP_MERGE_THRESHOLD is deprecated"):
        settings = Settings()
    assert settings.dedup_merge_threshold == 0.7


def test_more_lsh_bands_than_signature_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A band of no value would leave every article out of the LSH tables (the index crashed on it)."""
    monkeypatch.setenv("ENRICH_DEDUP_LSH_BANDS", "200")
    with pytest.raises(ValueError, match="dedup_lsh_bands 200 > dedup_num_perm 128"):
        Settings()


def test_an_enrich_variable_that_is_no_setting_is_named_with_the_nearest_setting() -> None:
    """pydantic ignores them: a typo would be lost. Case as pydantic reads it: a known name in lower case is known."""
    environment = {"ENRICH_PARTITION": "0", "enrich_topic_raw": "x", "ENRICH_ZZZ": "1", "PATH": "/bin"}
    environment["ENRICH_TEST_KAFKA_PORT"] = "19093"  # the test suite's, no setting's: a developer exports it
    assert unknown_variables(environment) == [
        "ENRICH_PARTITION is not a setting and is ignored; did you mean ENRICH_PARTITIONS?",
        "ENRICH_ZZZ is not a setting and is ignored",
    ]
    assert unknown_variables(Settings().as_environment()) == []


def test_the_consumer_group_timeouts_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_SESSION_TIMEOUT_SECONDS", "10")
    monkeypatch.setenv("ENRICH_HEARTBEAT_INTERVAL_SECONDS", "1")
    monkeypatch.setenv("ENRICH_REBALANCE_TIMEOUT_SECONDS", "30")
    settings = Settings()
    assert (settings.session_timeout_seconds, settings.heartbeat_interval_seconds) == (10, 1)
    assert settings.rebalance_timeout_seconds == 30


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"session_timeout_seconds": 5.9},
            "ENRICH_SESSION_TIMEOUT_SECONDS: Input should be greater than or equal",
        ),
        ({"session_timeout_seconds": 90.5}, "ENRICH_SESSION_TIMEOUT_SECONDS: Input should be less than or equal to 90"),
        ({"rebalance_timeout_seconds": 0}, "ENRICH_REBALANCE_TIMEOUT_SECONDS: Input should be greater than"),
        # Faust sends int(seconds * 1000): 0 ms, a rebalance waiting for no member (read77)
        ({"rebalance_timeout_seconds": 0.0004}, "ENRICH_REBALANCE_TIMEOUT_SECONDS: Input should be greater than"),
        (
            {"rebalance_timeout_seconds": 91},
            "ENRICH_REBALANCE_TIMEOUT_SECONDS: Input should be less than or equal to 90",
        ),
        ({"heartbeat_interval_seconds": 0.0004}, "ENRICH_HEARTBEAT_INTERVAL_SECONDS: Input should be greater than"),
        ({"heartbeat_interval_seconds": 20.5}, "heartbeat_interval_seconds 20.5 is more than a third of "),
        (
            {"session_timeout_seconds": 10, "heartbeat_interval_seconds": 3.4},
            "heartbeat_interval_seconds 3.4 is more than a third of session_timeout_seconds 10",
        ),
    ],
)
def test_consumer_group_timeouts_the_broker_or_faust_would_refuse_are_refused(
    values: dict[str, float], message: str
) -> None:
    """A session outside the broker's default range fails the worker's join; Faust refuses one above its request
    timeout; a heartbeat of more than a third of the session lets one late heartbeat end it."""
    with pytest.raises(ValidationError) as refused:
        Settings(**values)
    assert message in explain(refused.value)


@pytest.mark.parametrize(("session", "heartbeat"), [(6, 2), (6.3, 2.1)])
def test_heartbeats_of_a_third_of_the_session_are_accepted(session: float, heartbeat: float) -> None:
    """A third exactly, whatever the float product's rounding (2.1 * 3 is 6.300000000000001; read77)."""
    settings = Settings(session_timeout_seconds=session, heartbeat_interval_seconds=heartbeat)
    assert (settings.session_timeout_seconds, settings.heartbeat_interval_seconds) == (session, heartbeat)
