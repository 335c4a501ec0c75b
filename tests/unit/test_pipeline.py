"""The stages as the agents and the offline mode run them: routing, dead letters, schemas."""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import logging
import random
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice
from types import SimpleNamespace
from typing import ClassVar

import pytest
import spacy
from prometheus_client import REGISTRY

from bench import syndication
from bench.clean_eval import DEFAULT_REUTERS, load_reuters
from tests.conftest import SEED_PAGE_ID, raw, seed_lines, seed_record
from tests.unit.test_dedup import STORY, UPDATE, merge_scenario, seed_text, text_of
from workers import codec
from workers.agents import StageAgent, message_of, process_counted
from workers.clean.normalize import content_hash
from workers.deadletters import REPLAY_HEADER, original_bytes
from workers.dedup import Article, Decision, DedupIndex, DedupOptions, IndexEntry
from workers.dedup.sketch import FACTS_KEPT, Sketcher
from workers.dedup.store import MIN_CAPACITY
from workers.entities import PATTERNS
from workers.limits import CLUSTER_MEMBER_MIN_BYTES, CLUSTER_MEMBERS_MAX, CLUSTER_RECORD_BYTES, TOPIC_RECORD_BYTES
from workers.nlp import Pipelines, load_pipeline
from workers.pipeline import (
    CLUSTER_TABLE_OUTPUTS,
    MADE_ON_THE_LOOP,
    CleanStage,
    ClusterChange,
    DedupStage,
    EntitiesStage,
    Joined,
    Message,
    Output,
    apply_cluster_output,
    dedup_options,
    fit_mentions,
    grow_cluster,
    merge_clusters,
    record_headers,
    save,
    with_members,
    without_member,
)
from workers.records import Origin, Rejected
from workers.settings import Settings
from workers.times import ALLOWANCE_SECONDS, utc_text


def message(payload: bytes, offset: int = 0) -> Message:
    return Message(payload, Origin(topic="articles.raw", partition=1, offset=offset, timestamp_ms=1_700_000_000_000))


class BrokenNlp:
    """A pipeline whose inference fails, as a corrupt model or an out-of-memory would."""

    meta: ClassVar[dict[str, str]] = {"lang": "en", "name": "broken", "version": "0"}

    def pipe(self, texts, batch_size):
        raise RuntimeError("inference failed")


def test_clean_stage_routes_articles_on_and_bad_input_to_dead_letters(settings: Settings) -> None:
    lines = seed_lines()
    results = CleanStage(settings).process([message(line, i) for i, line in enumerate(lines)])
    destinations = [[o.destination for o in group] for group in results]
    assert destinations == [["clean"], ["clean"], ["clean"], ["deadletter"], ["deadletter"]]
    for group in results:
        for output in group:
            codec.check("clean" if output.destination == "clean" else "deadletter", output.record)
    broken = results[3][0].record
    assert broken["stage"] == "clean"
    assert broken["error"] == "invalid_json"
    assert broken["payload"].encode() == lines[3]
    assert broken["origin"] == {"topic": "articles.raw", "partition": 1, "offset": 3, "timestamp_ms": 1_700_000_000_000}
    assert results[4][0].record["id"] == "no-page-item"


def test_a_dead_letter_names_no_id_when_the_message_gives_none_and_is_keyed_by_its_origin(settings: Settings) -> None:
    """docs/records.md: null when the message could not be read as a record with an id (none is derived then); the
    key is then the message's topic, partition and offset: an offset alone names a message only in its partition
    (review57: the letters of p0 o4 and p1 o4 were both keyed articles.raw:4, one overwriting the other in a store)."""
    unreadable = [b"\xff\xfe", b"{not json", b"x" * (settings.max_message_bytes + 1)]
    without_id = [json.dumps({"source": "Feed Export", "title": "A record without its page"}).encode()]
    with_id = [json.dumps({"id": "no-page-item", "source": "Feed Export"}).encode()]
    payloads = [*unreadable, *without_id, *with_id]
    results = CleanStage(settings).process([message(payload, offset) for offset, payload in enumerate(payloads)])
    letters = [(o.key, o.record["id"], o.record["error"]) for [o] in results]
    assert letters == [
        ("articles.raw:1:0", None, "invalid_encoding"),
        ("articles.raw:1:1", None, "invalid_json"),
        ("articles.raw:1:2", None, "oversized"),
        ("articles.raw:1:3", None, "schema_violation"),
        ("no-page-item", "no-page-item", "schema_violation"),
    ]
    elsewhere = Message(b"{not json", Origin(topic="articles.raw", partition=0, offset=1, timestamp_ms=None))
    [[other]] = CleanStage(settings).process([elsewhere])
    assert other.key == "articles.raw:0:1" != results[1][0].key


@pytest.mark.parametrize("stage_name", ["dedup", "entities"])
def test_a_record_of_an_internal_topic_its_stage_refuses_is_dead_lettered_under_the_id_it_gives(
    settings: Settings, stage_name: str
) -> None:
    """As the clean stage names a raw record it refuses by its string id, the dedup and entities stages name a record
    of theirs (review57: bad-clean and bad-unique were letters with id null); a letter's origin is where its stage read
    the message, the raw message's origin being in the record itself."""
    broken = Pipelines(lambda language: BrokenNlp(), ["en"], {"en": BrokenNlp()})  # never reached: nothing decodes
    stage = DedupStage(settings) if stage_name == "dedup" else EntitiesStage(settings, broken)
    topic = f"articles.{'clean' if stage_name == 'dedup' else 'unique'}"
    raw_origin = {"topic": "articles.raw", "partition": 0, "offset": 7, "timestamp_ms": None}
    records = [{"id": "bad-record", "source": "X", "origin": raw_origin}, {"id": 12345, "source": "X"}, ["bad-record"]]
    place = Origin(topic=topic, partition=0, offset=9, timestamp_ms=None)
    results = stage.process([Message(json.dumps(record).encode(), place) for record in records])
    letters = [(o.key, o.record["id"], o.record["stage"], o.record["error"]) for [o] in results]
    assert letters == [
        ("bad-record", "bad-record", stage_name, "schema_violation"),
        (f"{topic}:0:9", None, stage_name, "schema_violation"),
        (f"{topic}:0:9", None, stage_name, "schema_violation"),
    ]
    assert results[0][0].record["origin"] == place
    assert json.loads(results[0][0].record["payload"])["origin"] == raw_origin


def test_undecodable_bytes_are_kept_as_base64(settings: Settings) -> None:
    payload = b"\x00\xff\xfe binary"
    [[output]] = CleanStage(settings).process([message(payload)])
    assert output.record["error"] == "invalid_encoding"
    assert output.record["payload_encoding"] == "base64"
    assert base64.b64decode(output.record["payload"]) == payload


def test_dedup_stage_emits_unique_then_duplicate_and_state(settings: Settings) -> None:
    [[cleaned]] = CleanStage(settings).process([message(json.dumps(seed_record(SEED_PAGE_ID)).encode())])
    payload = codec.dumps(cleaned.record)
    stage = DedupStage(settings)
    first, second = stage.process([message(payload), message(payload.replace(b'"daily8-', b'"copy-'))])
    assert [o.destination for o in first] == ["unique", "clusters", "state"]
    assert [o.destination for o in second] == ["duplicates", "clusters", "state"]
    codec.check("unique", first[0].record)
    codec.check("duplicate", second[0].record)
    assert second[0].record["canonical_id"] == SEED_PAGE_ID
    assert (second[0].record["match"], second[0].record["revision_of"]) == ("exact", None)
    assert second[0].record["text"] == cleaned.record["text"]
    table: dict[str, dict] = {}
    for output in (first[1], second[1], second[1]):  # the second copy replayed: added once
        assert output.key == first[0].record["cluster_id"]
        change = apply_cluster_output(table, output)
        assert change is not None and change.record is not None
        codec.check("cluster", change.record)
        assert change.value == codec.dumps(change.record)
    cluster = table[first[0].record["cluster_id"]]
    assert cluster["canonical_id"] == SEED_PAGE_ID
    assert [(m["id"], m["match"]) for m in cluster["members"]] == [(SEED_PAGE_ID, "unique"), (second[0].key, "exact")]


def test_a_clean_record_claiming_a_time_in_the_future_moves_no_article_out_of_the_window(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A record on articles.clean no clean stage of this version checked (an older one's, another client's) claiming
    2099 is taken at its message's time and one day: the index's newest time does not jump to 2099, so a later
    copy of an article held is still its duplicate, and nothing is evicted."""
    stories = [text for _, text in islice(load_reuters(DEFAULT_REUTERS, 0, None), 3)]
    raws = [codec.dumps({"id": f"r{n}", "source": "Reuters", "body": story}) for n, story in enumerate(stories)]
    records = [output.record for [output] in CleanStage(settings).process([message(r) for r in raws])]
    records[1]["published_at"] = "2099-01-01T00:00:00Z"
    stage = DedupStage(settings)
    with caplog.at_level(logging.WARNING, logger="workers.pipeline"):
        outputs = [
            stage.process([message(codec.dumps(r), n)])[0] for n, r in enumerate([*records, {**records[0], "id": "c"}])
        ]
    [*_, (duplicate, *_)] = outputs
    codec.check("duplicate", duplicate.record)
    assert (duplicate.destination, duplicate.record["canonical_id"]) == ("duplicates", "r0")
    assert [o.key for batch in outputs for o in batch if o.record is None] == []  # no entry's delete
    assert [r.article_id for r in caplog.records] == ["r1"]
    assert stage.index.decide("r1", records[1]["content_hash"], "", 0.0)[1]["event_time"] == 1_700_000_000 + 86_400


def test_the_clean_stage_sketches_for_dedup_and_dedup_takes_the_sketch_off(settings: Settings) -> None:
    """The single dedup owner uses the sketch the parallel clean workers made, and no later record carries it."""
    [[cleaned]] = CleanStage(settings).process([message(json.dumps(seed_record(SEED_PAGE_ID)).encode())])
    sketch = cleaned.record["sketch"]
    assert (sketch["num_perm"], sketch["shingle_words"]) == (settings.dedup_num_perm, settings.dedup_shingle_words)
    index = DedupIndex(dedup_options(settings))
    [[unique, *_]] = DedupStage(settings, index).process([message(codec.dumps(cleaned.record))])
    assert "sketch" not in unique.record
    codec.check("unique", unique.record)
    saved = index.decide(SEED_PAGE_ID, cleaned.record["content_hash"], "", 0.0)[1][
        "sketch"
    ]  # an id seen before: its entry, as decided
    assert (
        saved
        == sketch["data"]
        == Sketcher(settings.dedup_num_perm, settings.dedup_shingle_words).sketch(cleaned.record["text"]).to_text()
    )


def test_a_sketch_made_with_other_settings_is_not_used(settings: Settings) -> None:
    [[cleaned]] = CleanStage(settings).process([message(json.dumps(seed_record(SEED_PAGE_ID)).encode())])
    foreign = Sketcher(settings.dedup_num_perm, settings.dedup_shingle_words + 1).sketch(cleaned.record["text"])
    record = {
        **cleaned.record,
        "sketch": {**cleaned.record["sketch"], "shingle_words": settings.dedup_shingle_words + 1},
    }
    record["sketch"]["data"] = foreign.to_text()
    index = DedupIndex(dedup_options(settings))
    DedupStage(settings, index).process([message(codec.dumps(record))])
    assert (
        index.decide(SEED_PAGE_ID, cleaned.record["content_hash"], "", 0.0)[1]["sketch"]
        == cleaned.record["sketch"]["data"]
        != foreign.to_text()
    )


def test_dedup_stage_dead_letters_records_that_break_its_schema(settings: Settings) -> None:
    [[output]] = DedupStage(settings).process([message(b'{"id": "x"}')])
    assert (output.destination, output.record["stage"], output.record["error"]) == (
        "deadletter",
        "dedup",
        "schema_violation",
    )


class FailingBatches(DedupIndex):
    """An index whose call for more than one article fails before it decides any (a fault of the batch path): the
    stage decides the batch again one record at a time."""

    def decide_many(self, articles):
        if len(articles) > 1:
            raise RuntimeError("the batch call failed")
        return super().decide_many(articles)


def test_a_sketch_that_cannot_be_read_costs_no_fallback_and_no_other_decision(settings: Settings) -> None:
    """A sketch that is no sketch is its article's to lose, not its batch's: the article is decided from its text in
    the batch (atomic102: it failed the batch's index call, after the records ahead of it were decided), the others
    as a batch without it decides them."""
    cleaned = [group[0].record for group in CleanStage(settings).process([message(line) for line in seed_lines()])]
    good = [codec.dumps(record) for record in cleaned if "sketch" in record]
    broken = codec.dumps({**cleaned[0], "id": "broken-sketch", "sketch": {**cleaned[0]["sketch"], "data": "AAAA"}})
    stage = DedupStage(settings)
    results = stage.process([message(payload, i) for i, payload in enumerate([*good, broken])])
    assert stage.fallbacks == 0
    assert results[:-1] == DedupStage(settings).process([message(payload, i) for i, payload in enumerate(good)])
    assert (results[-1][0].destination, results[-1][0].record["canonical_id"]) == ("duplicates", cleaned[0]["id"])


def test_a_failed_dedup_batch_is_decided_one_record_at_a_time_and_counted_once(settings: Settings) -> None:
    """What the agent exports: each batch's own fallbacks, counted on the stage's thread as it runs the batch; the
    records decided again as the batch call would have."""
    cleaned = [group[0].record for group in CleanStage(settings).process([message(line) for line in seed_lines()])]
    messages = [message(codec.dumps(record), i) for i, record in enumerate(cleaned) if "sketch" in record]
    stage = DedupStage(settings, FailingBatches(dedup_options(settings)))
    results, fell_back = process_counted(stage, messages)
    assert (fell_back, stage.fallbacks) == (1, 1)
    assert results == process_counted(DedupStage(settings), messages)[0]
    _, fell_back = process_counted(stage, messages[:1])
    assert (fell_back, stage.fallbacks) == (0, 1)


def test_a_batch_decided_again_one_by_one_keeps_the_sketches_and_names_those_it_cannot_read(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A record whose sketch cannot be read (cut short, not base64, noise of no form's length, a header claiming more
    names than a sketch keeps) is deduplicated from its text, and a warning names it, in its batch as in a batch that
    fell back; the records of a batch that fell back are decided again with the sketches they brought (the batch call
    takes nothing off them). A good record carries another story's sketch, so that its decision tells which it was
    decided by: a copy of that story by its sketch, a first copy by its text."""
    stories = load_reuters(DEFAULT_REUTERS, 0, 9)
    raws = [message(json.dumps(raw(id=story_id, body=body)).encode(), n) for n, (story_id, body) in enumerate(stories)]
    cleaned = [group[0].record for group in CleanStage(settings).process(raws)]
    borrowed = {**cleaned[1], "sketch": cleaned[0]["sketch"]}
    good = [codec.dumps(record) for record in (cleaned[0], borrowed, *cleaned[2:5])]
    cut = {**cleaned[5], "sketch": {**cleaned[5]["sketch"], "data": cleaned[5]["sketch"]["data"][:200]}}  # 150 bytes
    not_base64 = {**cleaned[6], "sketch": {**cleaned[6]["sketch"], "data": "%" * 400}}
    noise = {**cleaned[7], "sketch": {**cleaned[7]["sketch"], "data": base64.b64encode(b"x" * 400).decode()}}
    overcounted = {**cleaned[8], "sketch": {**cleaned[8]["sketch"], "data": claiming_more_names_than_kept(cleaned[8])}}
    bad = (cut, not_base64, noise, overcounted)
    messages = [message(payload, i) for i, payload in enumerate([*good, *map(codec.dumps, bad)])]
    stage = DedupStage(settings)
    with caplog.at_level(logging.WARNING, logger="workers.dedup"):
        results = stage.process(messages)
    assert stage.fallbacks == 0
    retried = DedupStage(settings, FailingBatches(dedup_options(settings)))
    assert (retried.process(messages), retried.fallbacks) == (results, 1)
    assert results[:5] == DedupStage(settings).process([message(payload, i) for i, payload in enumerate(good)])
    assert (results[1][0].destination, results[1][0].record["canonical_id"]) == ("duplicates", cleaned[0]["id"])
    sketcher = Sketcher(settings.dedup_num_perm, settings.dedup_shingle_words)
    for record, outputs in zip(bad, results[5:], strict=True):
        unique, _, state = outputs
        assert (unique.destination, state.destination) == ("unique", "state")
        assert state.record["sketch"] == sketcher.sketch(record["text"]).to_text()
    named = [(log.levelname, log.article_id) for log in caplog.records if hasattr(log, "article_id")]
    assert named[: len(bad)] == [("WARNING", record["id"]) for record in bad]
    schemas = {"unique": "unique", "duplicates": "duplicate"}
    for outputs in results:
        codec.check(schemas[outputs[0].destination], outputs[0].record)  # no sketch left on the record


def claiming_more_names_than_kept(record: dict) -> str:
    """The record's sketch with its header claiming ``FACTS_KEPT + 1`` names (more than a sketch keeps), and zeros
    added after its names up to that many: the length of a form keeping them."""
    data = bytearray(base64.b64decode(record["sketch"]["data"]))
    names_end = 20 + 2 * record["sketch"]["num_perm"] + 4 * sum(struct.unpack_from("<2I", data, 12))
    added = FACTS_KEPT + 1 - struct.unpack_from("<I", data, 16)[0]
    data[16:20] = struct.pack("<I", FACTS_KEPT + 1)
    return base64.b64encode(data[:names_end] + bytes(4 * added) + data[names_end:]).decode()


@pytest.mark.parametrize("stage_name", ["clean", "dedup", "entities"])
def test_a_null_valued_record_becomes_one_dead_letter_at_every_stage(settings: Settings, stage_name: str) -> None:
    """A tombstone (Faust passes its value as None) is an empty payload: an ordinary dead letter, not a TypeError in
    the dead-letter builder outside the per-record guard (the worker would exit and read it again, for ever)."""
    stage = {
        "clean": lambda: CleanStage(settings),
        "dedup": lambda: DedupStage(settings),
        "entities": lambda: EntitiesStage(
            settings, Pipelines(lambda language: BrokenNlp(), ["en"], {"en": BrokenNlp()})
        ),
    }[stage_name]()
    kafka_message = SimpleNamespace(
        topic="articles.raw", partition=2, offset=41, timestamp=1_700_000_000.0, headers=[("other", b"x")]
    )
    [[output]] = stage.process([message_of(SimpleNamespace(value=None, message=kafka_message))])
    codec.check("deadletter", output.record)
    assert (output.destination, output.record["payload"]) == ("deadletter", "")
    assert output.record["origin"] == {
        "topic": "articles.raw",
        "partition": 2,
        "offset": 41,
        "timestamp_ms": 1_700_000_000_000,
    }
    # It says the value was null (review57: an empty payload a replay would send as b""), and replays as null.
    assert output.record["payload_null"] is True and "replay_of" not in output.record
    assert original_bytes(output.record) is None


@pytest.mark.parametrize(
    ("headers", "replay_of"),
    [
        ([("enrich-replay-of", b"articles.deadletter:3:12")], "articles.deadletter:3:12"),
        ({"enrich-replay-of": b"dlq.v2-x_y:0:0"}, "dlq.v2-x_y:0:0"),
        ([("other", b"1"), ("enrich-replay-of", b"articles.deadletter:12")], None),
        ([("enrich-replay-of", b"articles.deadletter:0:1 " + b"x" * 100_000)], None),
        ([("enrich-replay-of", b"\xff:0:1")], None),
        ([], None),
        (None, None),
    ],
    ids=["list", "mapping", "no_partition", "huge", "not_utf8", "none", "null"],
)
def test_a_replayed_message_that_fails_again_names_the_letter_it_replays(
    settings: Settings, headers: object, replay_of: str | None
) -> None:
    """The header ``enrich replay`` sends goes into the new letter, so that the next replay leaves it, and a desk ties
    it to the first; a header of another form (any producer can send one, of any size) is not copied."""
    kafka_message = SimpleNamespace(topic="articles.raw", partition=1, offset=5, timestamp=None, headers=headers)
    [[output]] = CleanStage(settings).process([message_of(SimpleNamespace(value=b"[1]", message=kafka_message))])
    codec.check("deadletter", output.record)
    assert output.record.get("replay_of") == replay_of
    assert "payload_null" not in output.record


def test_entities_stage_isolates_failures_per_record(settings: Settings) -> None:
    [[cleaned]] = CleanStage(settings).process([message(json.dumps(seed_record(SEED_PAGE_ID)).encode())])
    article = {key: value for key, value in cleaned.record.items() if key != "sketch"}  # the dedup stage drops it
    unique = codec.dumps({**article, "cluster_id": "cl-x"})
    pipelines = Pipelines(lambda language: BrokenNlp(), ["en"], {"en": BrokenNlp()})
    stage = EntitiesStage(settings, pipelines)
    results = stage.process([message(unique), message(b"not json")])
    assert [(o.destination, o.record["error"]) for group in results for o in group] == [
        ("deadletter", "internal_error"),
        ("deadletter", "invalid_json"),
    ]
    assert results[0][0].record["id"] == SEED_PAGE_ID
    assert "inference failed" in results[0][0].record["reason"]
    assert stage.fallbacks == 1


def test_settings_reject_unknown_stages() -> None:
    assert Settings(stages="dedup, clean").stage_list == ("clean", "dedup")
    with pytest.raises(ValueError, match="unknown stages"):
        _ = Settings(stages="clean,tagging").stage_list


def test_dedup_stage_keeps_the_index_it_is_given_even_when_empty(settings: Settings) -> None:
    """The agent restores the shared index after start: the stage must hold that very object."""
    index = DedupIndex(dedup_options(settings))
    assert DedupStage(settings, index).index is index


def test_the_dedup_options_a_caller_leaves_out_are_a_workers_default_settings(settings: Settings) -> None:
    """``DedupOptions()`` (the tests', the benchmarks') is what a worker left at its defaults runs with."""
    defaults, worker = DedupOptions(), dedup_options(settings)
    assert {f.name: getattr(defaults, f.name) for f in dataclasses.fields(DedupOptions)} == {
        f.name: getattr(worker, f.name) for f in dataclasses.fields(DedupOptions)
    }


def test_an_entry_left_out_of_a_restored_index_and_read_again_stays_in_the_table(settings: Settings) -> None:
    """After a restart the uncommitted batch is read again: an article whose entry was left out as unreadable is
    decided afresh, and its fresh entry must be written after the delete of the one left out, not before."""
    [[cleaned]] = CleanStage(settings).process([message(json.dumps(seed_record(SEED_PAGE_ID)).encode())])
    payload = codec.dumps(cleaned.record)
    [outputs] = DedupStage(settings, DedupIndex(dedup_options(settings))).process([message(payload)])
    table = {o.key: o.record for o in outputs if o.destination == "state"}
    table[SEED_PAGE_ID] = {**table[SEED_PAGE_ID], "sketch": base64.b64encode(b"x" * 400).decode()}
    restarted = DedupIndex(dedup_options(settings))
    assert restarted.reset(list(table.items())) == [SEED_PAGE_ID]
    [outputs] = DedupStage(settings, restarted).process([message(payload)])
    for output in outputs:  # applied in order, as the agent does
        if output.destination == "state" and output.record is None:
            del table[output.key]
        elif output.destination == "state":
            table[output.key] = output.record
    assert list(table) == [SEED_PAGE_ID] and len(restarted) == 1
    assert DedupIndex(dedup_options(settings)).reset(list(table.items())) == []


def test_a_merged_cluster_hands_its_members_to_the_older_one_once() -> None:
    member = {"source": "S", "url": None, "published_at": None, "revision_of": None}
    older, _ = grow_cluster(None, "cl-a", {**member, "id": "a", "match": "unique"})
    younger, _ = grow_cluster(None, "cl-b", {**member, "id": "b", "match": "unique"})
    younger, _ = grow_cluster(younger, "cl-b", {**member, "id": "a", "match": "near"})  # already in the older one
    folded, last = merge_clusters(older, younger, "cl-b")
    for record in (folded, last):
        codec.check("cluster", record)
    assert ([m["id"] for m in folded["members"]], folded["merged"], folded["merged_into"]) == (
        ["a", "b"],
        ["cl-b"],
        None,
    )
    assert (last["cluster_id"], last["merged_into"]) == ("cl-b", "cl-a")
    grown, _ = grow_cluster(folded, "cl-a", {**member, "id": "c", "match": "near"})
    assert (grown["merged"], [m["id"] for m in grown["members"]]) == (["cl-b"], ["a", "b", "c"])
    assert merge_clusters(grown, None, "cl-b") == (grown, None)  # a replayed merge: the younger's record is gone


def test_a_replayed_member_of_a_merged_cluster_goes_to_the_cluster_it_lives_in(settings: Settings) -> None:
    """A member re-sent once its cluster was merged (review57 finding 1) goes to the cluster record that lists it:
    alone, or behind the copy that merges its cluster in the same batch. Before, it went to its own cluster, whose
    state the merge had deleted, and the agent published that cluster live again, as the member alone."""
    raws = [
        codec.dumps(
            {"id": article_id, "url": None, "source": "Wire", "title": None, "published_at": None, "text": text}
        )
        for article_id, text in merge_scenario()
    ]
    first, second, whole = (output.record for [output] in CleanStage(settings).process([message(r) for r in raws]))
    stage = DedupStage(settings)
    for article in (first, second, whole):
        stage.process([message(codec.dumps(article))])
    [alone] = stage.process([message(codec.dumps(second))])
    batched = DedupStage(settings)
    batched.process([message(codec.dumps(article)) for article in (first, second)])
    _, behind = batched.process([message(codec.dumps(article)) for article in (whole, second)])
    for outputs in (alone, behind):
        to_clusters = [(o.destination, o.key) for o in outputs if o.destination in ("clusters", "cluster_merges")]
        assert to_clusters == [("clusters", "cl-first")]
        assert (outputs[0].destination, outputs[0].record["cluster_id"]) == ("unique", "cl-second")  # as published


def reuters_body_record(record_id: str, chars: int) -> bytes:
    """A raw `body` record of Reuters stories, a blank line between them, of about ``chars`` characters."""
    stories, size = [], 0
    for _, text in load_reuters(DEFAULT_REUTERS, 0, None):
        stories.append(" ".join(text.split()))
        size += len(stories[-1]) + 2
        if size >= chars:
            break
    return codec.dumps({"id": record_id, "source": "Reuters", "body": "\n\n".join(stories)})


def test_a_text_longer_than_the_tagger_takes_is_dead_lettered_at_clean_before_dedup(settings: Settings) -> None:
    """spaCy refuses a text over its max_length: decided at clean, so no copy is indexed and named a duplicate of
    an article never enriched (review22 D2: it was an entities internal_error after its copy was published)."""
    long, copy = reuters_body_record("long", 1_050_000), reuters_body_record("long-copy", 1_050_000)
    fits = reuters_body_record("fits", 20_000)
    results = CleanStage(settings).process([message(long), message(copy, 1), message(fits, 2)])
    assert [[o.destination for o in group] for group in results] == [["deadletter"], ["deadletter"], ["clean"]]
    letter = results[0][0].record
    codec.check("deadletter", letter)
    assert (letter["error"], letter["id"]) == ("too_long", "long")
    assert f"limit is {settings.max_text_chars}" in letter["reason"]
    narrow = settings.model_copy(update={"max_text_chars": 10_000})
    [[refused]] = CleanStage(narrow).process([message(fits)])
    assert (refused.destination, refused.record["error"]) == ("deadletter", "too_long")


def test_the_entities_pipeline_takes_texts_as_long_as_the_clean_stage_lets_through() -> None:
    settings = Settings(max_text_chars=1_500_000)
    assert load_pipeline(settings).max_length == 1_500_000


def ruler_pipelines(settings: Settings) -> Pipelines:
    """Blank English with the project's EntityRuler: tags the listed news names with no model to load."""

    def load(language: str) -> spacy.language.Language:
        nlp = spacy.blank("en")
        nlp.add_pipe("entity_ruler").from_disk(PATTERNS)
        nlp.max_length = settings.max_text_chars
        return nlp

    return Pipelines(load, ["en"])


def dense_enriched(settings: Settings, chars: int) -> tuple[bytes, list[list]]:
    """A Reuters lead followed by names, up to ``chars`` characters, as the entities stage takes it and enriches it
    (review24 D1: 1 MB of "ISIS ISIL" made a 9,183,324-byte record, over the 8 MiB topic cap), a paragraph a sentence:
    in one paragraph, the names are a run of two words repeated, which the clean stage drops (``is_word_run``)."""
    lead = codec.loads(reuters_body_record("dense", 2_000))["body"]
    body = lead + "\n\n" + ("ISIS ISIL ISIS ISIL.\n\n" * (chars // 22))[: chars - len(lead) - 2].strip()
    [[cleaned]] = CleanStage(settings).process([message(codec.dumps({"id": "dense", "source": "S", "body": body}))])
    article = {key: value for key, value in cleaned.record.items() if key != "sketch"}  # the dedup stage drops it
    unique = codec.dumps({**article, "cluster_id": "cl-dense"})
    return unique, EntitiesStage(settings, ruler_pipelines(settings)).process([message(unique)])


def test_an_enriched_record_lists_as_many_mentions_per_entity_as_fit_its_limit(settings: Settings) -> None:
    [[whole]] = dense_enriched(settings, 20_000)[1]
    size = len(codec.dumps(whole.record))
    assert fit_mentions(whole.record, size)[0] is whole.record and "mentions_truncated" not in whole.record
    cut, value = fit_mentions(whole.record, size // 2)
    codec.check("enriched", cut)
    assert value == codec.dumps(cut)
    assert cut["mentions_truncated"] is True and len(codec.dumps(cut)) <= size // 2
    most = max(len(e["mentions"]) for e in cut["entities"])
    for full, kept in zip(whole.record["entities"], cut["entities"], strict=True):
        assert (kept["count"], kept["salience"]) == (full["count"], full["salience"])
        assert kept["mentions"] == full["mentions"][:most]
    assert len(fit_mentions(whole.record, len(value) + 1)[1]) == len(value)
    with pytest.raises(Rejected, match="one mention per entity"):
        fit_mentions(whole.record, 2_000)


def test_a_record_measured_against_its_cap_is_serialised_once(settings: Settings, monkeypatch) -> None:
    """The bytes made to measure an enriched or a cluster record against its cap are the bytes published: one
    serialisation of a record that can take megabytes (a cluster's on the event loop)."""
    [[enriched]] = dense_enriched(settings, 20_000)[1]
    serialise, made = codec.dumps, []
    monkeypatch.setattr(codec, "dumps", lambda record: made.append(record) or serialise(record))
    assert enriched.serialised() is enriched.value and enriched.value == serialise(enriched.record)
    record = None
    for member in long_url_members("a", 3):
        record, value = grow_cluster(record, "cl-a0", member)
        assert value == serialise(record)
    assert len(made) == 3


@pytest.mark.slow
def test_an_enriched_record_dense_with_mentions_stays_under_its_topic_cap(settings: Settings) -> None:
    [[enriched]] = dense_enriched(settings, settings.max_text_chars - 100)[1]
    assert enriched.destination == "enriched"
    codec.check("enriched", enriched.record)
    assert len(codec.dumps(enriched.record)) <= TOPIC_RECORD_BYTES and enriched.record["mentions_truncated"]
    assert sum(e["count"] for e in enriched.record["entities"]) > 180_000  # 4 names in 22 characters, all counted


def test_a_url_or_source_longer_than_the_raw_schema_takes_is_a_schema_violation(settings: Settings) -> None:
    record = seed_record(SEED_PAGE_ID)
    url = "https://x.example/" + "a" * (8192 - 18)
    for fields, error in (
        ({"url": url}, "clean"),
        ({"url": url + "a"}, "schema_violation"),
        ({"source": "S" * 513}, "schema_violation"),
    ):
        [[output]] = CleanStage(settings).process([message(json.dumps({**record, **fields}).encode())])
        assert output.record.get("error", output.destination) == error


def long_url_members(prefix: str, count: int) -> list[dict]:
    """Copies of one story whose urls are as long as the raw schema takes (review24 D2: such copies grew the
    clusters record without bound, over the topic's cap)."""
    url = "https://x.example/" + "a" * (8192 - 30)
    return [
        {
            "id": f"{prefix}{i}",
            "source": "S",
            "url": f"{url}{i}",
            "published_at": None,
            "revision_of": None,
            "match": "near" if i else "unique",
        }
        for i in range(count)
    ]


def test_a_cluster_record_lists_its_first_members_within_its_limit() -> None:
    record = None
    for member in long_url_members("a", 120):
        record, _ = grow_cluster(record, "cl-a0", member)
    codec.check("cluster", record)
    listed = [m["id"] for m in record["members"]]
    assert record["members_truncated"] is True and listed == [f"a{i}" for i in range(len(listed))]
    next_one = len(codec.dumps(long_url_members("a", 120)[len(listed)])) + 1
    assert len(codec.dumps(record)) <= CLUSTER_RECORD_BYTES < len(codec.dumps(record)) + next_one
    assert grow_cluster(record, "cl-a0", long_url_members("a", 120)[-1])[0]["members"] == record["members"]
    younger = None
    for member in long_url_members("b", 10):
        younger, _ = grow_cluster(younger, "cl-b0", member)
    assert "members_truncated" not in younger
    half = {**record, "members": record["members"][: len(listed) - 5]}
    del half["members_truncated"]
    grown, _ = merge_clusters(half, younger, "cl-b0")
    assert [m["id"] for m in grown["members"]] == [*listed[:-5], "b0", "b1", "b2", "b3", "b4"]
    assert grown["members_truncated"] is True and len(codec.dumps(grown)) <= CLUSTER_RECORD_BYTES
    folded, last = merge_clusters(record, younger, "cl-b0")
    codec.check("cluster", folded)
    assert (folded["members"], folded["members_truncated"], folded["merged"]) == (
        record["members"],
        True,
        ["cl-b0"],
    )
    assert last["merged_into"] == "cl-a0"


def test_a_cluster_record_lists_no_more_members_than_the_departed_copies_kept_of_a_cluster() -> None:
    """A record lists at most ``CLUSTER_MEMBERS_MAX`` members (the fewest bytes a member's entry takes, an older
    record's, with empty id and source): the most later copies the window passed the index keeps of a cluster for its
    record's leave (``DedupIndex._depart``) never falls short of what a record can list."""
    member = {"id": "", "source": "", "url": None, "published_at": None, "match": "near", "revision_of": None}
    assert len(codec.dumps(member)) + 1 >= CLUSTER_MEMBER_MIN_BYTES
    record, _ = with_members(grow_cluster(None, "cl-a", {**member, "match": "unique"})[0], [member] * 7000)
    assert record["members_truncated"] is True and len(record["members"]) <= CLUSTER_MEMBERS_MAX


def test_a_member_decided_afresh_into_its_cluster_is_listed_in_its_place_with_its_new_entry() -> None:
    """read101: an id decided afresh into the cluster whose record lists it (``renewed``) is listed with its new
    entry, in its place, the record within its cap; the same entry, or another one not renewed (an earlier decision
    given back), changes nothing: the same record, the same bytes."""
    record = None
    for member in long_url_members("a", 3):
        record, _ = grow_cluster(record, "cl-a0", {**member, "url": None})
    old = record["members"][1]
    back = {**old, "published_at": "2025-01-01T01:07:00Z", "match": "exact"}
    for entry, renewed in ((old, True), (back, False)):
        assert grow_cluster(record, "cl-a0", entry, renewed) == (record, codec.dumps(record))
    grown, value = grow_cluster(record, "cl-a0", back, renewed=True)
    codec.check("cluster", grown)
    assert (grown["members"], value) == ([record["members"][0], back, record["members"][2]], codec.dumps(grown))
    full = None
    for member in long_url_members("c", 120):
        full, _ = grow_cluster(full, "cl-c0", member)
    listed = [m["id"] for m in full["members"]]
    over = CLUSTER_RECORD_BYTES - len(codec.dumps(full)) + 1  # a url this much longer takes the record past its cap
    longer = {**full["members"][1], "url": full["members"][1]["url"] + "b" * over}
    grown, value = grow_cluster(full, "cl-c0", longer, renewed=True)
    assert len(value) <= CLUSTER_RECORD_BYTES and grown["members_truncated"] is True
    assert ([m["id"] for m in grown["members"]], grown["members"][1]) == (listed[:-1], longer)


def test_a_cluster_record_lists_its_latest_merged_clusters_within_its_limit() -> None:
    """read51 D1: ``merged`` grew with every merge, past the 1 MiB the table's changelog takes (2,100 merges of
    cluster ids as long as the schema allows made 1,091,153 bytes), and the refused write stopped the worker."""
    older, _ = grow_cluster(None, "cl-a", long_url_members("a", 1)[0])
    older = {**older, "merged": [f"cl-{i:04}".ljust(515, "x") for i in range(2100)]}
    younger, _ = grow_cluster(None, "cl-b", long_url_members("b", 1)[0])
    folded, last = merge_clusters(older, younger, "cl-b")
    codec.check("cluster", folded)
    kept = folded["merged"]
    assert len(codec.dumps(folded)) <= CLUSTER_RECORD_BYTES < len(codec.dumps({**folded, "merged": [*kept, "x" * 515]}))
    assert kept == [*older["merged"][-(len(kept) - 1) :], "cl-b"] and folded["merged_truncated"] is True
    assert ([m["id"] for m in folded["members"]], folded["members_truncated"]) == (["a0"], True)
    grown, value = grow_cluster(folded, "cl-a", long_url_members("c", 2)[1])
    assert (grown["merged"], grown["merged_truncated"], grown["members"]) == (kept, True, folded["members"])
    assert value == codec.dumps(grown)
    assert last["merged_into"] == "cl-a"


class ClosingCluster:
    """A cluster of "old" and its copy "old2", out of the window on a full index not compacted yet: the next batch's
    room-making closes it."""

    def __init__(self, settings: Settings) -> None:
        [[cleaned]] = CleanStage(settings).process([message(json.dumps(seed_record(SEED_PAGE_ID)).encode())])
        self.base = {key: value for key, value in cleaned.record.items() if key != "sketch"}
        self.base["origin"] = {**self.base["origin"], "timestamp_ms": 1_735_689_900_000}  # the articles' times stand
        self.rng = random.Random(1)
        self.vocabulary = [f"w{n}" for n in range(5000)]
        self.index = DedupIndex(DedupOptions(window_seconds=50))
        self.stage = DedupStage(settings, self.index)
        self.old = codec.loads(self.article("old", "2025-01-01T00:00:00Z"))
        self.table: dict[str, dict] = {}
        self.decide(codec.dumps(self.old), self.article("old2", self.old))
        later = datetime(2025, 1, 1, 0, 1, 40, tzinfo=UTC).timestamp()  # 100 s on: the cluster is out of the window
        fillers = [self.text(60) for _ in range(MIN_CAPACITY - 2)]
        self.index.decide_many([(f"filler-{n}", content_hash(t), t, later, None) for n, t in enumerate(fillers)])
        self.index.drain_evicted(), self.index.drain_closed()

    def text(self, words: int) -> str:
        return " ".join(self.rng.choices(self.vocabulary, k=words))

    def article(self, article_id: str, published_at: str | dict, text: str | None = None) -> bytes:
        """A new article, or (``published_at`` a record) a replay of that record under ``article_id``."""
        if isinstance(published_at, dict):
            return codec.dumps({**published_at, "id": article_id})
        text = text or self.text(80)
        fields = {"id": article_id, "text": text, "content_hash": content_hash(text), "published_at": published_at}
        return codec.dumps({**self.base, **fields})

    def decide(self, *payloads: bytes) -> list[tuple[str, str]]:
        """Run a batch and apply its cluster outputs to a cluster state table as the agent does; the outputs' order."""
        groups = self.stage.process([message(payload) for payload in payloads])
        for output in (output for group in groups for output in group):
            if output.destination in CLUSTER_TABLE_OUTPUTS:
                apply_cluster_output(self.table, output)
        return [(output.destination, output.key) for group in groups for output in group]


def test_a_cluster_that_making_room_closes_is_forgotten_after_its_replayed_member_republishes_it(
    settings: Settings,
) -> None:
    """A batch replays a member of a cluster out of the window (not yet evicted) onto a full index: making room for
    the batch closes the cluster, whose state the agent still reads to publish the replayed member's cluster record.
    So the cluster's delete comes after that record (review27: it came first, and the replay republished the cluster
    as that member alone, on a compacted topic, and saved it again for good)."""
    scene = ClosingCluster(settings)
    order = scene.decide(scene.article("old2", scene.old), scene.article("new", "2025-01-01T00:01:40Z"))
    assert ("cluster_state", "cl-old") in order  # making room closed it
    assert order.index(("clusters", "cl-old")) < order.index(("cluster_state", "cl-old"))
    assert "cl-old" not in scene.table


def test_a_cluster_its_first_copy_opens_again_keeps_that_first_copy(settings: Settings) -> None:
    """The first copy of a cluster out of the window comes back with new content in a batch whose room-making evicts
    its row: the cluster closes and the id is decided afresh, as the first copy of the same cluster id. The closed
    cluster's delete goes before the reopening record (read62: it went last, the state forgot the reopened cluster,
    and the next copy's record listed that copy alone, its first copy gone on the compacted topic)."""
    scene = ClosingCluster(settings)
    updated = scene.text(80)
    order = scene.decide(
        scene.article("new", "2025-01-01T00:01:40Z"), scene.article("old", "2025-01-01T00:01:40Z", updated)
    )
    assert order.index(("cluster_state", "cl-old")) < order.index(("clusters", "cl-old"))
    scene.decide(scene.article("copy", "2025-01-01T00:01:41Z", updated))
    assert [member["id"] for member in scene.table["cl-old"]["members"]] == ["old", "copy"]


def test_a_dedup_batch_of_no_readable_record_is_no_failed_batch(settings: Settings) -> None:
    """A batch whose every message is unreadable is dead letters, not a batch that failed and fell back to one record
    at a time (read28: the index's deletes were put on a first record that did not exist)."""
    stage = DedupStage(settings)
    [[letter]] = stage.process([message(b"not json")])
    assert (letter.destination, letter.record["error"], stage.fallbacks) == ("deadletter", "invalid_json", 0)


def test_the_records_an_agent_publishes_are_serialised_on_the_stages_thread(settings: Settings) -> None:
    """process_counted (run on the stage's thread) gives every record published as the stage made it its bytes, so
    the event loop does not serialise texts of up to a megabyte (read28); what the agent makes on the loop from its
    tables (table writes, cluster records) it serialises there."""
    raws = [message(line, i) for i, line in enumerate(seed_lines())]
    cleaned, _ = process_counted(CleanStage(settings), raws)
    clean = [message(output.serialised(), i) for i, [output] in enumerate(cleaned) if output.destination == "clean"]
    decided, _ = process_counted(DedupStage(settings), clean)
    outputs = [output for group in [*cleaned, *decided] for output in group]
    assert {"clean", "deadletter", "unique", "duplicates", "clusters", "state"} <= {o.destination for o in outputs}
    for output in outputs:
        made_on_the_loop = output.destination in MADE_ON_THE_LOOP
        assert output.value == (None if made_on_the_loop else codec.dumps(output.record)), output.destination


def test_a_member_that_left_its_cluster_is_no_longer_listed_and_the_last_one_leaving_deletes_it() -> None:
    """left66: an id decided afresh into another cluster (``Decision.left``); a record that does not list it (a
    replay of the leave) is the same record, which the agent does not publish again."""
    member = {"source": "S", "url": None, "published_at": None, "revision_of": None}
    record, _ = grow_cluster(None, "cl-a", {**member, "id": "a", "match": "unique"})
    record, _ = grow_cluster(record, "cl-a", {**member, "id": "b", "match": "near"})
    left = without_member(record, "b", "cl-c")
    codec.check("cluster", left)
    assert ([m["id"] for m in left["members"]], left["canonical_id"]) == (["a"], "a")
    assert "canonical_moved_to" not in left  # a copy left: the story's first copy is still its own
    assert without_member(left, "b", "cl-c") is left
    assert without_member(None, "b", "cl-c") is None
    assert without_member(left, "a", "cl2-a") is None


def last_decided(settings: Settings, articles: list[tuple[str, str]]) -> list[Output]:
    """The dedup stage's outputs of the last of ``articles`` (id, text: the seed page's fields), cleaned and decided
    in one batch."""
    records = [{**seed_record(SEED_PAGE_ID), "id": article_id, "text": text} for article_id, text in articles]
    cleaned = [o.record for [o] in CleanStage(settings).process([message(codec.dumps(r)) for r in records])]
    return DedupStage(settings).process([message(codec.dumps(record), n) for n, record in enumerate(cleaned)])[-1]


def test_the_cluster_outputs_applied_to_a_table_give_the_records_to_publish(caplog: pytest.LogCaptureFixture) -> None:
    """The one code the agent and ``enrich process`` apply the dedup stage's cluster outputs with: a merge publishes
    the merged cluster's last record and leaves the older one holding both; its replay, and a leave of an id no
    record lists, publish nothing; a merge into a cluster without a record is a warning."""
    member = {"source": "S", "url": None, "published_at": None, "revision_of": None}
    table: dict[str, dict] = {}
    for key, article_id in (("cl-a", "a"), ("cl-b", "b")):
        joined = Joined({**member, "id": article_id, "match": "unique"}, key)
        grown = apply_cluster_output(table, Output("clusters", key, joined))
        assert grown is not None and grown.value == codec.dumps(grown.record) and table[key] == grown.record
    last = apply_cluster_output(table, Output("cluster_merges", "cl-b", "cl-a"))
    assert last is not None and (last.key, last.record["merged_into"]) == ("cl-b", "cl-a")
    assert (list(table), [m["id"] for m in table["cl-a"]["members"]]) == (["cl-a"], ["a", "b"])
    assert apply_cluster_output(table, Output("cluster_merges", "cl-b", "cl-a")) is None  # a replay
    assert apply_cluster_output(table, Output("cluster_leaves", "cl-a", ("c", "cl-d"))) is None
    with caplog.at_level(logging.WARNING, logger="workers.pipeline"):
        assert apply_cluster_output(table, Output("cluster_merges", "cl-c", "cl-gone")) is None
    assert "no record of cluster cl-gone to merge cl-c into" in caplog.text
    assert apply_cluster_output(table, Output("cluster_state", "cl-a", None)) is None and not table


def test_a_merge_is_counted_as_the_merged_clusters_last_record_is_published_and_never_again(settings: Settings) -> None:
    """What the metrics table of docs/operations.md says: ``enrich_dedup_cluster_merges_total`` counts a cluster merged
    into an older one as its last record (``merged_into``) is published, as ``enrich_messages_out_total`` does under
    ``cluster_merges``; the copy that merged it sent again (in its own batch, in a later one) finds that record gone
    and adds nothing, and so does a merge into a cluster that has no record."""
    records = [{**seed_record(SEED_PAGE_ID), "id": article_id, "text": text} for article_id, text in merge_scenario()]
    cleaned = [o.record for [o] in CleanStage(settings).process([message(codec.dumps(r)) for r in records])]
    whole = cleaned[-1]
    stage, table = DedupStage(settings), {}

    def decided(batch: list[dict]) -> list[Output]:
        return [output for group in stage.process([message(codec.dumps(r)) for r in batch]) for output in group]

    def counted(outputs: list[Output]) -> tuple[float, ...]:
        """The two counts' increase as the agent applies and counts ``outputs`` on the clusters."""
        before = merges_counted()
        for output in (o for o in outputs if o.destination in CLUSTER_TABLE_OUTPUTS):
            change = apply_cluster_output(table, output)
            StageAgent._count_cluster(output, change)
            if change is not None:
                StageAgent._count("dedup", output)
        return tuple(now - then for now, then in zip(merges_counted(), before, strict=True))

    assert counted(decided([*cleaned, whole])) == (1, 1)  # "whole" merged "cl-second", then sent again
    assert (table["cl-first"]["merged"], "cl-second" in table) == (["cl-second"], False)
    assert counted(decided([whole])) == (0, 0)
    assert counted([Output("cluster_merges", "cl-first", "cl-gone")]) == (0, 0)


def merges_counted() -> tuple[float, float]:
    """``enrich_dedup_cluster_merges_total``, and ``enrich_messages_out_total`` of the dedup stage's merges."""
    out = {"stage": "dedup", "outcome": "cluster_merges"}
    return (
        REGISTRY.get_sample_value("enrich_dedup_cluster_merges_total") or 0.0,
        REGISTRY.get_sample_value("enrich_messages_out_total", out) or 0.0,
    )


def test_a_dedup_decision_that_leaves_a_cluster_says_so_before_its_new_cluster(settings: Settings) -> None:
    """The leave is published before the record of the cluster it goes to, in the same batch (``Decision.left``)."""
    story = text_of(STORY[:3])
    moved = last_decided(settings, [("other", seed_text()), ("wire", story), ("copy", story), ("copy", seed_text())])
    assert [(o.destination, o.key) for o in moved[:3]] == [
        ("duplicates", "copy"),
        ("cluster_leaves", "cl-wire"),
        ("clusters", "cl-other"),
    ]
    assert moved[1].record == ("copy", "cl-other")


def test_a_story_whose_first_copy_left_says_where_it_went_until_it_is_back() -> None:
    """read69: the first copy leaving its story (its id sent again with unrelated content) leaves the record's
    ``canonical_id`` naming an id whose records carry another article: the record says which cluster holds it now
    (``canonical_moved_to``), as it grows, until the id is back in the story."""
    member = {"source": "S", "url": None, "published_at": None, "revision_of": None}
    record, _ = grow_cluster(None, "cl-a", {**member, "id": "a", "match": "unique"})
    record, _ = grow_cluster(record, "cl-a", {**member, "id": "b", "match": "near"})
    left = without_member(record, "a", "cl2-a")
    codec.check("cluster", left)
    assert [m["id"] for m in left["members"]] == ["b"]
    assert (left["canonical_id"], left["canonical_moved_to"]) == ("a", "cl2-a")
    grown, value = grow_cluster(left, "cl-a", {**member, "id": "c", "match": "near"})
    assert (grown["canonical_moved_to"], codec.loads(value)) == ("cl2-a", grown)
    codec.check("cluster", grown)
    back, _ = grow_cluster(grown, "cl-a", {**member, "id": "a", "match": "exact"})
    assert "canonical_moved_to" not in back
    second, _ = grow_cluster(None, "cl2-a", {**member, "id": "a", "match": "unique"})
    assert (second["cluster_id"], second["canonical_id"]) == ("cl2-a", "a")


def test_a_story_whose_first_copy_left_says_so_no_more_once_the_cluster_it_went_to_is_merged_in() -> None:
    """A copy of both stories merges the one the first copy went to (``cl2-a``) into the old one: its record lists
    the first copy again, and kept ``canonical_moved_to`` naming the cluster merged into it."""
    member = {"source": "S", "url": None, "published_at": None, "revision_of": None}
    record, _ = grow_cluster(None, "cl-a", {**member, "id": "a", "match": "unique"})
    record, _ = grow_cluster(record, "cl-a", {**member, "id": "b", "match": "near"})
    left = without_member(record, "a", "cl2-a")
    second, _ = grow_cluster(None, "cl2-a", {**member, "id": "a", "match": "unique"})
    folded, last = merge_clusters(left, second, "cl2-a")
    codec.check("cluster", folded)
    assert ([m["id"] for m in folded["members"]], "canonical_moved_to" in folded) == (["b", "a"], False)
    assert last is not None and last["merged_into"] == "cl-a"
    other, _ = grow_cluster(None, "cl-c", {**member, "id": "c", "match": "unique"})
    assert merge_clusters(left, other, "cl-c")[0]["canonical_moved_to"] == "cl2-a"  # still elsewhere


def test_a_first_copy_updated_to_another_story_leaves_it_for_a_cluster_of_its_own(settings: Settings) -> None:
    """read69: the id's new story is enriched in a cluster of its own, ``cl2-<id>``, which the leave names to the old
    one's record, published before the new cluster's."""
    story = text_of(STORY[:3])
    moved = last_decided(settings, [("wire", story), ("copy", story), ("wire", seed_text())])
    assert [(o.destination, o.key) for o in moved[:3]] == [
        ("unique", "wire"),
        ("cluster_leaves", "cl-wire"),
        ("clusters", "cl2-wire"),
    ]
    assert (moved[0].record["cluster_id"], moved[1].record) == ("cl2-wire", ("wire", "cl2-wire"))
    codec.check("unique", moved[0].record)


def cluster_table(settings: Settings, batches: list[list[tuple[str, str, int]]]) -> dict[str, dict]:
    """The cluster records left by the dedup stage deciding ``batches`` (``published_clusters``)."""
    return published_clusters(settings, batches)[0]


Published = tuple[str, list[str] | None, str | None, str | None]  # key, members (None: a delete), moved to, merged into


def published_clusters(
    settings: Settings,
    batches: list[list[tuple[str, str, int]]],
    unreadable: str | None = None,
    index: Callable[[DedupOptions], DedupIndex] = DedupIndex,
    one_at_a_time: bool = False,
) -> tuple[dict[str, dict], list[Published]]:
    """``cluster_changes``, each record published named by its key, its members, and where it went."""
    table, changes = cluster_changes(dedup_outputs(settings, batches, unreadable, index, one_at_a_time=one_at_a_time))
    published = []
    for change in changes:
        record = change.record or {}
        members = [m["id"] for m in record["members"]] if record else None
        published.append((change.key, members, record.get("canonical_moved_to"), record.get("merged_into")))
    return table, published


def cluster_changes(outputs: Iterable[Output]) -> tuple[dict[str, dict], list[ClusterChange]]:
    """The cluster records left by the dedup stage's ``outputs`` (``dedup_outputs``) applied in order, and the
    changes they published."""
    table: dict[str, dict] = {}
    changes = []
    for output in outputs:
        if output.destination in CLUSTER_TABLE_OUTPUTS and (change := apply_cluster_output(table, output)):
            changes.append(change)
    return table, changes


def dedup_outputs(
    settings: Settings,
    batches: list[list[tuple[str, str, int]]],
    unreadable: str | None = None,
    index: Callable[[DedupOptions], DedupIndex] = DedupIndex,
    origins: dict[tuple[str, int], dict] | None = None,
    restart: bool = False,
    one_at_a_time: bool = False,
) -> Iterator[Output]:
    """The outputs of the dedup stage deciding ``batches`` of articles (id, text, minute of 2025-01-01), in order, its
    window an hour, compacted after each batch (the window passes those an hour older than the newest), its entries
    persisted in a table as a worker's are. What compacting forgot is written with the batch, as a worker's index
    compacts only in a batch's call, whose outputs carry the deletes: left for the next batch, a failed one would
    rebuild its index with the entries the live index forgot, their deletes lost (read202's fuzz). The article
    ``unreadable`` brings a sketch that cannot be read; those ``origins`` names by (id, minute), those fields
    (``published_at``, ``origin``'s ``timestamp_ms``) instead. ``restart``: the index is rebuilt from the table before
    each batch, as a restarted worker's is. ``one_at_a_time``: a batch's records go to the stage as batches of one,
    compacted only after the last, as a batch is: the ways of deciding them then differ in nothing else."""
    [[cleaned]] = CleanStage(settings).process([message(json.dumps(seed_record(SEED_PAGE_ID)).encode())])
    base = {key: value for key, value in cleaned.record.items() if key != "sketch"}
    base["origin"] = {**base["origin"], "timestamp_ms": 1_735_689_900_000}  # the articles' times stand
    broken = {"sketch": {**cleaned.record["sketch"], "data": "AAAA"}}
    table: dict[str, dict] = {}
    stage = DedupStage(settings, index(DedupOptions(window_seconds=3600)), lambda: list(table.items()))
    for batch in batches:
        if restart:
            stage.index.reset(list(table.items()))
        payloads = [
            codec.dumps(
                {**base, "id": article_id, "text": text, "content_hash": content_hash(text)}
                | at_minute(minute)
                | (broken if article_id == unreadable else {})
                | _origin(base, (origins or {}).get((article_id, minute), {}))
            )
            for article_id, text, minute in batch
        ]
        messages = [message(p, n) for n, p in enumerate(payloads)]
        for call in [[m] for m in messages] if one_at_a_time else [messages]:
            yield from _saved(table, [o for group in stage.process(call) for o in group])
        stage.index.compact()
        yield from _saved(table, stage._with_forgotten([[]])[0])


def _saved(table: dict[str, dict], outputs: list[Output]) -> Iterator[Output]:
    """``outputs``, each state write applied to ``table`` (the worker's ``dedup-index``) as it goes by."""
    for output in outputs:
        if output.destination == "state":
            save(table, output.key, output.record)
        yield output


def _origin(base: dict, fields: dict) -> dict:
    """A record's ``published_at`` and ``origin``'s ``timestamp_ms`` as ``fields`` gives them (none: as they are)."""
    given = {"published_at": fields["published_at"]} if "published_at" in fields else {}
    if "timestamp_ms" in fields:
        given["origin"] = {**base["origin"], "timestamp_ms": fields["timestamp_ms"]}
    return given


def at_minute(minute: int) -> dict[str, str]:
    return {"published_at": f"2025-01-01T{minute // 60:02}:{minute % 60:02}:00Z"}


def members_by_cluster(table: dict[str, dict]) -> dict[str, list[str]]:
    return {key: [m["id"] for m in record["members"]] for key, record in table.items()}


FILLER = " ".join(f"w{n}" for n in range(80))  # no copy of any story here: an hour on, the window passes the others


def test_a_first_copy_the_window_passed_in_its_second_story_back_as_a_third_is_listed_in_that_one_alone(
    settings: Settings,
) -> None:
    """The window passes "wire" in ``cl2-wire`` (its second story, after ``cl-wire``), not the copies: back as a third
    story, it left ``cl-wire``'s record, which no longer listed it, and ``cl2-wire``'s kept it (one id in two live
    records). The leaves name both: ``cl2-wire``'s drops it and says where it went; ``cl-wire``'s is as it was."""
    old, new = text_of(STORY[:3]), seed_text()
    articles = [("wire", old, 0), ("copy", old, 50), ("wire", new, 0), ("new-copy", new, 50), ("other", FILLER, 62)]
    table = cluster_table(settings, [[article] for article in [*articles, ("wire", text_of(STORY[3:]), 63)]])
    assert members_by_cluster(table) == {
        "cl-wire": ["copy"],
        "cl2-wire": ["new-copy"],
        "cl3-wire": ["wire"],
        "cl-other": ["other"],
    }
    assert (table["cl-wire"]["canonical_moved_to"], table["cl2-wire"]["canonical_moved_to"]) == ("cl2-wire", "cl3-wire")


def test_a_leave_from_a_cluster_merged_ahead_of_it_in_its_batch_reaches_the_record_it_went_into(
    settings: Settings,
) -> None:
    """read76: "wire", passed by the window in ``cl2-wire``, back as another story in the batch where a copy of both
    merged ``cl2-wire`` into ``cl-s``: its leave named ``cl2-wire``, whose record was gone, and ``cl-s`` listed it
    still (not one article at a time, where the leave names ``cl-s``)."""
    a, b = text_of(STORY[:3]), text_of(STORY[3:])
    articles = [("wire", seed_text(), 0), ("copy", seed_text(), 0), ("wire", b, 0), ("c2", b, 50), ("s", a, 0)]
    articles += [("s2", a, 50), ("other", FILLER, 62)]
    last = [("whole", text_of(STORY), 63), ("wire", " ".join(f"v{n}" for n in range(80)), 63)]
    one_by_one = cluster_table(settings, [[article] for article in [*articles, *last]])
    batched = cluster_table(settings, [*([article] for article in articles), last])
    assert members_by_cluster(batched) == members_by_cluster(one_by_one)
    assert members_by_cluster(batched)["cl-s"] == ["s", "s2", "c2", "whole"]


def published_three_ways(
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    before: list[list[tuple[str, str, int]]],
    last: list[tuple[str, str, int]],
    unreadable: str,
) -> tuple[dict[str, dict], list[Published]]:
    """``published_clusters`` of ``before`` then ``last`` in one batch, once it is checked that deciding ``last``
    publishes the same records one record at a time, as a batch of one each, as a batch whose record ``unreadable``
    brings a sketch that cannot be read, and as a batch whose index call failed once it had decided them all, decided
    again one record at a time. Each way compacts after ``last`` only: where the index compacts changes what it holds
    (an id back after the window is an update of itself, or leaves its old record, while its entry is held), which
    compacting between the records one at a time alone would put down to the batch (read202's fuzz)."""
    _, one_by_one = published_clusters(settings, [*before, last], one_at_a_time=True)
    table, batched = published_clusters(settings, [*before, last])
    with caplog.at_level(logging.WARNING, logger="workers.dedup"):
        _, unread = published_clusters(settings, [*before, last], unreadable=unreadable)
    assert f"the sketch {unreadable} brought cannot be read" in caplog.text  # decided from its text
    failing = functools.partial(FailingMidBatch, fault=last[-1][0])
    _, retried = published_clusters(settings, [*before, last], index=failing)
    assert batched == unread == retried == one_by_one
    return table, batched


def test_an_id_sent_twice_in_a_batch_with_a_copy_between_that_merged_its_new_cluster_into_the_old_leaves_once(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """live96: "wire", sent again as another story (``cl2-wire``), then a copy of both stories, which merged
    ``cl2-wire`` into ``cl-wire``, then "wire" again (a producer's retry), in one batch: the second "wire" got the
    first's decision, its leave naming ``cl2-wire`` as where it went, and ``cl-wire``'s record, which listed it
    again, was published without it and saying it had moved to the cluster merged into it, then with it last. One
    record at a time (a batch of one, or a failed batch decided again), the second is a replay and leaves nothing."""
    a, b = text_of(STORY[:3]), text_of(STORY[3:])
    before = [[("wire", a, 0)], [("copy", a, 1)]]
    last = [("other", FILLER, 2), ("wire", b, 2), ("whole", text_of(STORY), 3), ("wire", b, 2)]
    table, batched = published_three_ways(settings, caplog, before, last, unreadable="other")
    assert members_by_cluster(table) == {"cl-wire": ["copy", "wire", "whole"], "cl-other": ["other"]}
    assert batched[2:] == [
        ("cl-other", ["other"], None, None),
        ("cl-wire", ["copy"], "cl2-wire", None),
        ("cl2-wire", ["wire"], None, None),
        ("cl2-wire", ["wire"], None, "cl-wire"),
        ("cl-wire", ["copy", "wire", "whole"], None, None),
        ("cl-wire", ["copy", "wire", "whole"], None, None),  # the replay's: its cluster's record published again
    ]


def test_an_id_back_after_the_window_leaves_its_old_story_even_when_a_later_copy_of_its_run_merges_the_two(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """live96's review: "wire", passed by the window while "copy" of its story is held, back as another story
    (``cl2-wire``) with a copy of both stories after it, decided in one run: the leave was worked out against where
    ``cl2-wire`` lives once the run is decided (``cl-wire``, merged into by the copy of both), so none was made:
    ``cl-wire``'s record kept "wire"'s old entry, first, where one record at a time (or a failed batch decided again)
    drops it and lists it again, new, after "copy"."""
    a, b = text_of(STORY[:3]), text_of(STORY[3:])
    before = [[("wire", a, 0)], [("copy", a, 50)], [("other", FILLER, 65)]]
    last = [("wire", b, 66), ("whole", text_of(STORY), 67)]
    table, batched = published_three_ways(settings, caplog, before, last, unreadable="whole")
    assert batched[3:] == [
        ("cl-wire", ["copy"], "cl2-wire", None),
        ("cl2-wire", ["wire"], None, None),
        ("cl2-wire", ["wire"], None, "cl-wire"),
        ("cl-wire", ["copy", "wire", "whole"], None, None),
    ]
    assert table["cl-wire"]["members"][1]["published_at"] == "2025-01-01T01:06:00Z"  # the new article's entry


def test_a_later_copy_back_after_the_window_as_another_story_leaves_the_cluster_that_listed_it(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """gap111 (member105): "y", a copy in ``cl-x``, passed by the window while "z" holds ``cl-x`` open, back as another
    story (``cl-y``): no leave was made from ``cl-x`` (``Decision.left`` named only the clusters an id started), and
    both records listed it, one id in two live clusters, whether the batch was decided at once, one record at a time,
    or again after a failed call (on an index rebuilt from the table, which had deleted "y"'s entry)."""
    a, b = text_of(STORY[:3]), text_of(STORY[3:])
    # "other2"'s batch deletes the entries of "x" and "y" the window passed: a failed last batch rebuilds without them
    before = [[("x", a, 0)], [("y", a, 5)], [("z", a, 50)], [("other", FILLER, 66)], [("other2", FILLER, 66)]]
    last = [("y", b, 67), ("z2", a, 68)]
    table, _ = published_three_ways(settings, caplog, before, last, unreadable="z2")
    assert members_by_cluster(table) == {
        "cl-x": ["x", "z", "z2"],
        "cl-y": ["y"],
        "cl-other": ["other", "other2"],
    }


@pytest.mark.parametrize(
    "replayed_at",
    [
        10,
        pytest.param(
            0,
            marks=pytest.mark.xfail(
                strict=True,
                reason="threeways, known limit: the message that decided a first copy read again ahead of the record "
                "that opens its closed cluster again, in one batch, renews its entry (``_renewed``) as the reopening "
                "does: the closed cluster's state is deleted before the replay's record, published without the "
                "cluster's other members (mergekeep2: the newest entry's record taken as the reopening one instead, "
                "fuzz seed 755 published a later fresh decision into the reopened cluster without its members)",
            ),
        ),
    ],
)
def test_a_replay_of_a_first_copy_ahead_of_it_opening_its_cluster_again_in_its_batch_lists_the_members(
    settings: Settings, caplog: pytest.LogCaptureFixture, replayed_at: int
) -> None:
    """read202's fuzz (seeds 1405, 2179 of 150-2649): "a", first copy of a story copied by "b", sent again (a replay:
    its cluster's record published again), then "b" and "a" as other stories in the same batch: ``cl-a`` closes and
    "a" opens it again. The delete of ``cl-a``'s state went before the first record of "a" in ``cl-a`` in the batch,
    the replay's, not that of the record that opened it again: the replay's record was published without "b", still
    a member then, and "b"'s leave changed nothing. Only a decision made afresh on the article opens a cluster again
    (``Joined.renews``); a replay of the same message (``replayed_at`` 0) renews its entry too (``_renewed``)."""
    story = text_of(STORY)
    before = [[("a", story, 0)], [("b", story, 2)]]
    last = [("a", story, replayed_at), ("b", FILLER, 11), ("a", OTHER_STORY, 12)]
    table, batched = published_three_ways(settings, caplog, before, last, unreadable="b")
    assert batched[2:] == [
        ("cl-a", ["a", "b"], None, None),  # the replay's: the record as it stands
        ("cl-a", ["a"], None, None),
        ("cl-b", ["b"], None, None),
        ("cl-a", ["a"], None, None),  # opened again: "a" alone, its new entry
    ]
    assert table["cl-a"]["members"][0]["published_at"] == at_minute(12)["published_at"]


@pytest.mark.parametrize("minutes", [(0, 5, 10, 15), (0, 51, 72, 122)], ids=["lead-held", "lead-passed"])
def test_a_story_whose_lead_came_first_keeps_its_later_half_after_three_whole_copies_however_its_batch_is_decided(
    settings: Settings, caplog: pytest.LogCaptureFixture, minutes: tuple[int, int, int, int]
) -> None:
    """read222's fuzz (merge runs, seeds 64, 85 and 176 of 300): the story's lead first, then three whole copies, the
    third in the batch of the story's later half. The whole copies were marked for the boilerplate counts against the
    lead alone, each counting the later paragraphs the lead lacks (or, the window past the lead, all of them): after
    the third, one story's own paragraphs were boilerplate, and the half, set aside all but 8 shingles, was a first copy
    decided one at a time, a copy in the batch (whose counts take in its articles after it). A copy now counts only what
    neither the first copy nor the article it matched holds: the half joins its story each way."""
    lead, whole, half = text_of(STORY[:3]), text_of(STORY), text_of(STORY[3:])
    first, second, third, last = minutes
    before = [[("lead", lead, first)], [("whole1", whole, second)], [("whole2", whole, third)]]
    _, batched = published_three_ways(settings, caplog, before, [("whole3", whole, last), ("half", half, last)], "half")
    assert batched[-1] == ("cl-lead", ["lead", "whole1", "whole2", "whole3", "half"], None, None)


RUN_TEXTS = [text_of(STORY[:3]), text_of(STORY[3:]), text_of(STORY), text_of([*UPDATE, *STORY[:2]])]
RUN_TEXTS += [" ".join(f"{c}{n}" for n in range(80)) for c in "pqrs"]  # four stories with no copy elsewhere
# The seeds read202's harness failed on (it compacted between the records decided one at a time, and left deletes
# for the next batch, which a failed batch's rebuild did not see): in the fast tier, the other runs slow.
RUN_SEEDS_FAST = {7, 12, 19, 23, 30, 32, 53, 59, 64, 67, 99, 105, 115, 116, 120, 131, 132}


def random_run(rng: random.Random) -> tuple[list[list[tuple[str, str, int]]], list[tuple[str, str, int]]]:
    """Articles decided one a batch, then a last batch of 2 to 4: six ids, each sent again with any of the texts,
    times jumping by up to 40 minutes (the window, an hour, passes some; ids come back held, passed, evicted)."""
    minute, before = 0, []
    for _ in range(rng.randint(4, 14)):
        minute += rng.choice([0, 1, 5, 20, 40])
        before.append([(f"i{rng.randrange(6)}", rng.choice(RUN_TEXTS), minute)])
    last = []
    for _ in range(rng.randint(2, 4)):
        minute += rng.choice([0, 1, 5, 20])
        last.append((f"i{rng.randrange(6)}", rng.choice(RUN_TEXTS), minute))
    return before, last


@pytest.mark.parametrize(
    "seed",
    [s if s in RUN_SEEDS_FAST else pytest.param(s, marks=pytest.mark.slow) for s in range(150)]
    + [539, 921],  # of seeds 150-1149, the two that differed before mergekeep2: a merge handed over (``_hand_over``)
)
def test_random_runs_publish_the_same_records_in_a_batch_one_at_a_time_and_after_a_failed_batch(
    settings: Settings, caplog: pytest.LogCaptureFixture, seed: int
) -> None:
    """read202's fuzz: random runs of ids sent again (an id twice in the last batch included), their last batch
    decided each way of ``published_three_ways``, publish the same records."""
    before, last = random_run(random.Random(seed))
    published_three_ways(settings, caplog, before, last, unreadable=last[-1][0])


def held_state(index: DedupIndex) -> tuple[dict, dict, dict]:
    """What an index rebuilt from the table must hold as the live one does: the members held by cluster, the cluster
    each merged one lives on in, and the cluster of each copy the window passed that a record lists."""
    return dict(index._members), {key: index._root(key) for key in index._merged_into}, dict(index._departed)


def rebuilt_as_live(index: DedupIndex, table: dict[str, dict]) -> bool:
    """Whether an index rebuilt from ``table``, in its order and in the reverse (a rebuild relies on no order of the
    table's), holds what ``index`` does (``held_state``)."""
    rebuilt = [DedupIndex(index.options), DedupIndex(index.options)]
    rebuilt[0].reset(list(table.items()))
    rebuilt[1].reset(list(reversed(table.items())))
    return held_state(rebuilt[0]) == held_state(rebuilt[1]) == held_state(index)


@pytest.mark.parametrize("seed", [s if s in {38, 48} else pytest.param(s, marks=pytest.mark.slow) for s in range(60)])
def test_an_index_rebuilt_from_the_table_after_each_batch_of_random_runs_holds_the_live_ones_clusters_and_merges(
    settings: Settings, seed: int
) -> None:
    """mergekeep2: read202's random runs, the table written as a worker's: before each batch and after the last, an
    index rebuilt from it holds the live index's merges still in force, members and departed copies (before, 38 and 48
    of these 60 differed once at least: the merges of a copy decided afresh as another story went with its old
    entry, while the live index kept them)."""
    before, last = random_run(random.Random(seed))
    assert rebuilt_each_batch_as_live(settings, [*before, last]) == [True] * (len(before) + 2)


def rebuilt_each_batch_as_live(settings: Settings, batches: list[list[tuple[str, str, int]]]) -> list[bool]:
    """``batches`` decided by the dedup stage, its table written as a worker's: before each batch and after the last,
    whether an index rebuilt from the table holds what the live one does (``rebuilt_as_live``)."""
    table: dict[str, dict] = {}
    live: list[DedupIndex] = []
    checks: list[bool] = []

    class Checked(DedupIndex):
        def decide_many(self, articles: Sequence[Article]) -> list[tuple[Decision, IndexEntry]]:
            live[:] = [self]
            checks.append(rebuilt_as_live(self, table))
            return super().decide_many(articles)

    for output in dedup_outputs(settings, batches, index=Checked):
        if output.destination == "state":
            save(table, output.key, output.record)
    return [*checks, rebuilt_as_live(live[0], table)]


def test_a_member_replayed_ahead_of_the_copy_whose_merges_it_is_handed_keeps_them_in_the_table(
    settings: Settings,
) -> None:
    """mergekeep2: "whole" merged ``cl-x`` into ``cl-s``; in one batch "s", the first member held, is read again, then
    "whole" comes with another story: its merge is handed to "s", whose entry the replay's output wrote before the
    batch's end without it. The entry written again with it comes after (written with the batch's first outputs,
    the replay's overwrote it, and a rebuilt index decided ``cl-x`` apart)."""
    a, b = text_of(STORY[:3]), text_of(STORY[3:])
    before = [[("s", b, 0)], [("x", a, 1)], [("z", a, 60)], [("s2", b, 60)], [("whole", text_of(STORY), 55)]]
    assert rebuilt_each_batch_as_live(settings, [*before, [("s", b, 0), ("whole", OTHER_STORY, 57)]]) == [True] * 7


def test_an_entry_written_in_a_batch_then_evicted_by_the_same_batch_is_deleted_after_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """read212: the index full (four rows here), "a" read again with a later date (its entry, of minute 0, written
    again), then "d" twice with other content: making room for the update evicts "a" and "b", which the window passed.
    "a"'s delete went with the batch's first outputs, ahead of its own entry's write: the table kept an entry the
    index had evicted, and an index rebuilt from it held "a" (a cluster the live index had closed)."""
    monkeypatch.setattr("workers.dedup.store.MIN_CAPACITY", 4)
    p, q, r, s = RUN_TEXTS[4:8]
    before = [[("a", p, 0)], [("b", q, 10)], [("c", r, 20)]]
    assert (
        rebuilt_each_batch_as_live(settings, [*before, [("a", p, 70), ("d", s, 71), ("d", FILLER, 72)]]) == [True] * 5
    )


OTHER_STORY = " ".join(f"v{n}" for n in range(80))  # no copy of any story here, nor of FILLER


@pytest.mark.parametrize("merge_ahead", [False, True])
def test_a_later_copy_back_after_the_window_leaves_the_cluster_its_own_was_merged_into_since(
    settings: Settings, caplog: pytest.LogCaptureFixture, merge_ahead: bool
) -> None:
    """gap111: "y", a copy in ``cl-x``, passed by the window while "z" holds ``cl-x`` open; "whole", a copy of both
    stories, merges ``cl-x`` into ``cl-s`` (both first copies gone: the older by name), in a batch before "y" comes back
    as another story or ahead of it in its batch: the record that lists "y" is ``cl-s``'s, which it leaves, decided at
    once, one record at a time, or again on an index rebuilt from the table after a failed call."""
    a, b = text_of(STORY[:3]), text_of(STORY[3:])
    before = [[("s", b, 0)], [("x", a, 1)], [("y", a, 5)], [("z", a, 50)], [("s2", b, 50)], [("other", FILLER, 66)]]
    whole = [("whole", text_of(STORY), 67)]
    if not merge_ahead:
        before.append(whole)
    last = [*whole, ("y", OTHER_STORY, 68)] if merge_ahead else [("y", OTHER_STORY, 68), ("z2", a, 69)]
    table, _ = published_three_ways(settings, caplog, before, last, unreadable=last[-1][0])
    cl_s = ["s", "s2", "x", "z", "whole"] + ([] if merge_ahead else ["z2"])
    assert members_by_cluster(table) == {"cl-s": cl_s, "cl-other": ["other"], "cl-y": ["y"]}


def test_a_later_copy_back_after_the_window_read_again_publishes_its_records_as_they_were(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """gap111: "y", passed by the window in ``cl-x``, back as another story, leaves ``cl-x``; its message read again
    (after a crash) is a replay: no leave again, and its record published byte for byte as it was, at once, one
    record at a time or on an index rebuilt after a failed call."""
    a = text_of(STORY[:3])
    before = [[("x", a, 0)], [("y", a, 5)], [("z", a, 50)], [("other", FILLER, 66)], [("y", OTHER_STORY, 67)]]
    last = [("y", OTHER_STORY, 67), ("z2", a, 68)]
    table, batched = published_three_ways(settings, caplog, before, last, unreadable="z2")
    assert members_by_cluster(table) == {"cl-x": ["x", "z", "z2"], "cl-y": ["y"], "cl-other": ["other"]}
    _, changes = cluster_changes(dedup_outputs(settings, [*before, [last[0]]]))
    assert (changes[-3].key, [m["id"] for m in changes[-3].record["members"]]) == ("cl-x", ["x", "z"])  # its leave
    assert changes[-1].key == changes[-2].key == "cl-y" and changes[-1].value == changes[-2].value
    assert batched[-2:] == [("cl-y", ["y"], None, None), ("cl-x", ["x", "z", "z2"], None, None)]


def test_a_later_copy_whose_cluster_closed_before_it_came_back_leaves_nothing_and_is_forgotten(
    settings: Settings,
) -> None:
    """gap111: while "z" holds ``cl-x`` open, the table keeps of "y", passed by the window, the cluster whose record
    lists it; once the window passes "z" too, ``cl-x`` closes (its record deleted) and the table forgets "y": back as
    another story, it makes no leave."""
    a = text_of(STORY[:3])
    before = [
        [("x", a, 0)],
        [("y", a, 5)],
        [("z", a, 50)],
        [("other", FILLER, 66)],
        [("other2", " ".join(f"t{n}" for n in range(80)), 67)],
    ]
    last = [
        [("other3", seed_text(), 116)],
        [("other4", " ".join(f"u{n}" for n in range(80)), 116)],
        [("y", OTHER_STORY, 117)],
    ]
    outputs = list(dedup_outputs(settings, [*before, *last]))
    kept = [output.record for output in outputs if output.destination == "state" and output.key == "y"]
    assert [entry and entry.get("listed_in", entry.get("cluster_id")) for entry in kept] == [
        "cl-x",  # decided a copy in cl-x
        "cl-x",  # passed by the window, "z" held: what the table keeps of it
        None,  # forgotten once the window passed "z"
        "cl-y",  # back, as another story
    ]
    assert not [output for output in outputs if output.destination == "cluster_leaves"]
    assert members_by_cluster(cluster_changes(outputs)[0]) == {
        "cl-other": ["other"],
        "cl-other2": ["other2"],
        "cl-other3": ["other3"],
        "cl-other4": ["other4"],
        "cl-y": ["y"],
    }


@pytest.mark.parametrize(
    ("batches", "cluster", "merged"),
    [
        # "whole", a later copy of both stories, merges cl-x into cl-s (both first copies gone: the older by name);
        # the window passes it while "z" and "s2" hold the story
        (
            [
                ("s", "b", 0),
                ("x", "a", 1),
                ("z", "a", 60),
                ("s2", "b", 60),
                ("other", FILLER, 66),
                ("whole", "ab", 55),
                ("other2", OTHER_STORY, 117),
                ("z2", "a", 118),
            ],
            "cl-s",
            ["s", "s2", "x", "z", "whole", "z2"],
        ),
        # "x", its first copy evicted before its copies, back as a copy of both stories, merges cl-zs into cl-x (the
        # older by name): a first copy whose decision merged; the window passes it while "s2" holds the story
        (
            [
                ("zs", "b", 0),
                ("x", "a", 1),
                ("z", "a", 50),
                ("s2", "b", 58),
                ("other", FILLER, 62),
                ("x", "ab", 57),
                ("other2", OTHER_STORY, 118),
                ("s3", "b", 118),
            ],
            "cl-x",
            ["x", "z", "zs", "s2", "s3"],
        ),
    ],
)
def test_a_worker_restarted_before_every_batch_keeps_the_merge_of_a_copy_the_window_passed(
    settings: Settings, batches: list[tuple[str, str, int]], cluster: str, merged: list[str]
) -> None:
    """mergekeep: the copy that merged two stories' clusters, passed by the window while the merged story has members
    held: a worker whose index is rebuilt from its table before every batch publishes the cluster records the live one
    does, the story's next copy in the merged cluster, and deletes that cluster when the live one does (before, the
    table lost the merge with the copy's entry: the rebuilt index put the next copy in the merged cluster's own, and
    kept that cluster's record after the live index deleted it)."""
    texts = {"a": text_of(STORY[:3]), "b": text_of(STORY[3:]), "ab": text_of(STORY)}
    decided = [[(article_id, texts.get(text, text), minute)] for article_id, text, minute in batches]
    decided.append([("far", seed_text(), 200)])  # the window passes every other
    live, again = (list(dedup_outputs(settings, decided, restart=restart)) for restart in (False, True))
    published = [
        [(c.key, c.record and c.record | {"updated_at": None}) for c in cluster_changes(o)[1]] for o in (live, again)
    ]
    assert published[0] == published[1]
    before_far = cluster_changes(list(dedup_outputs(settings, decided[:-1], restart=True)))[0]
    assert members_by_cluster(before_far)[cluster] == merged
    assert members_by_cluster(cluster_changes(again)[0]) == {"cl-far": ["far"]}


@pytest.mark.parametrize(
    ("before", "last", "cluster", "members"),
    [
        (  # "wire"'s cluster merged into cl-s by "whole", the window passes "wire", back as a copy of its old text
            [("s", "b", 0), ("wire", "a", 5), ("whole", "ab", 55), ("s2", "b", 50), ("other", "filler", 66)],
            [("wire", "a", 67), ("s3", "b", 68)],
            "cl-s",
            ["s", "wire", "whole", "s2", "s3"],
        ),
        (  # a copy the window passes, its story's copies held, back as a copy of it again
            [("x", "a", 0), ("y", "a", 5), ("z", "a", 50), ("other", "filler", 66)],
            [("y", "a", 67), ("z2", "a", 68)],
            "cl-x",
            ["x", "y", "z", "z2"],
        ),
    ],
)
def test_an_id_back_after_the_window_into_a_cluster_that_lists_it_is_listed_with_its_new_entry(
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    before: list[tuple[str, str, int]],
    last: list[tuple[str, str, int]],
    cluster: str,
    members: list[str],
) -> None:
    """read101: an id the window passed, decided afresh into the cluster whose record lists it (its old cluster
    merged into that one, or its own), made no leave, and the record, taking it for a replay, kept its old entry
    (its old published_at and match) where the duplicate published now says otherwise. Its new entry is listed in
    the old one's place; the record's merges and first copy as they were."""
    texts = {"a": text_of(STORY[:3]), "b": text_of(STORY[3:]), "ab": text_of(STORY), "filler": FILLER}
    before_batches = [[(article_id, texts[text], minute)] for article_id, text, minute in before]
    last_batch = [(article_id, texts[text], minute) for article_id, text, minute in last]
    table, _ = published_three_ways(settings, caplog, before_batches, last_batch, unreadable=last[-1][0])
    record, back = table[cluster], last[0][0]
    assert [m["id"] for m in record["members"]] == members
    entry = next(m for m in record["members"] if m["id"] == back)
    assert (entry["published_at"], entry["match"]) == ("2025-01-01T01:07:00Z", "near" if cluster == "cl-s" else "exact")
    assert record["merged"] == (["cl-wire"] if cluster == "cl-s" else [])
    assert "canonical_moved_to" not in record


@pytest.mark.parametrize(
    "batches",
    [
        # "wire" back after the window into cl-s (its old cluster merged into it), its message then read again
        [
            ("s", "b", 0),
            ("wire", "a", 5),
            ("whole", "ab", 55),
            ("s2", "b", 50),
            ("other", "filler", 66),
            ("wire", "a", 67),
            ("wire", "a", 67),
        ],
        # "y", a copy the window passed, back as another story (cl-y, its leave of cl-x made), merged by "w" into
        # cl-x, whose record lists it again with the entry the merge brought: the message read again, its decision
        # naming cl-x (merged_into), changes nothing
        [
            ("x", "a", 0),
            ("y", "a", 5),
            ("z", "a", 50),
            ("other", "filler", 66),
            ("y", "b", 67),
            ("w", "ab", 68),
            ("y", "b", 67),
        ],
        # "y" sent again with the same text and another date (its first decision given back), then both read again
        [("x", "b", 0), ("y", "b", 1), ("y", "b", 3), ("y", "b", 1), ("y", "b", 3)],
        # "x" updated in place of itself (a copy of its text), then both read again
        [("x", "ab", 0), ("y", "ab", 1), ("x", "ab-edited", 5), ("x", "ab", 0), ("x", "ab-edited", 5)],
    ],
)
def test_a_message_read_again_publishes_its_cluster_record_byte_for_byte_as_it_was(
    settings: Settings, batches: list[tuple[str, str, int]]
) -> None:
    """Messages read again after a crash (their decisions given back) change no member's entry, even where the
    record lists the id with another entry than the one a replay makes (kept by a merge, or by the id's first
    decision): only a decision made afresh on the article replaces one (``_renewed``), so that the records are
    published byte for byte as they were."""
    texts = {"a": text_of(STORY[:3]), "b": text_of(STORY[3:]), "ab": text_of(STORY), "filler": FILLER}
    texts["ab-edited"] = texts["ab"].replace("8 percent", "9 percent")
    table, changes = cluster_changes(
        dedup_outputs(settings, [[(i, texts[text], minute)] for i, text, minute in batches])
    )
    replayed, before = changes[-1], [change for change in changes[:-1] if change.key == changes[-1].key][-1]
    assert replayed.value == before.value == codec.dumps(table[replayed.key])


@pytest.mark.parametrize(
    ("fields", "ahead"),
    [
        ({"timestamp_ms": None, "published_at": None}, 0),  # a line of a file ``enrich process`` reads, with no date
        ({"timestamp_ms": 4_102_444_800_000, "published_at": None}, 0),  # a producer's time in the future: now
        # later than now and a day: taken as that, its story's copies published up to then
        ({"timestamp_ms": None, "published_at": "2100-01-01T00:00:00Z"}, ALLOWANCE_SECONDS),
    ],
)
def test_an_id_back_after_the_window_with_a_time_read_from_the_clock_is_listed_with_its_new_entry(
    settings: Settings, fields: dict, ahead: float
) -> None:
    """read110: ``_renewed`` read the article's event time again, and where it is the clock's (no message time, or
    one in the future; no date, or one past the bound) the clock had moved on since the index was given it: the
    decision made afresh was taken for an earlier one given back, and the record kept the id's old entry, as it did
    before read101's review. The event time the index was given is the one compared."""
    a, now = text_of(STORY[:3]), round(datetime.now(UTC).timestamp() + ahead) - 1
    articles = [("x", a, 0), ("y", a, 5), ("z", a, 50), ("other", FILLER, 66), ("y", a, 67)]
    dated = {  # read offline too, dated up to now: the window passes "x" and "y"
        (i, minute): {"timestamp_ms": None, "published_at": utc_text(datetime.fromtimestamp(now + (minute - 67) * 60))}
        for i, _, minute in articles
    }
    table, _ = cluster_changes(
        dedup_outputs(settings, [[article] for article in articles], origins={**dated, ("y", 67): fields})
    )
    assert [(m["id"], m["match"], m["published_at"]) for m in table["cl-x"]["members"]] == [
        ("x", "unique", dated["x", 0]["published_at"]),
        ("y", "exact", fields["published_at"]),
        ("z", "exact", dated["z", 50]["published_at"]),
    ]


A, B = text_of(STORY[:3]), text_of(STORY[3:])
# A batch of every kind of decision after "wire" and "copy" of story A: "wire" updated to story B (a leave), copies of
# B (exact, near, revision), "copy" updated in place of itself, the whole story (a copy of both: a merge), a stranger.
EVERY_KIND = [
    ("wire", B, 2),
    ("exact", B, 2),
    ("near", text_of(syndication.word_edits(STORY[3:], random.Random(4))), 2),
    ("revised", text_of([*STORY[3:], *UPDATE]), 2),
    ("copy", text_of([*STORY[:3], *UPDATE]), 2),
    ("whole", text_of(STORY), 3),
    ("other", FILLER, 2),
]
BEFORE_EVERY_KIND = [[("wire", A, 0)], [("copy", A, 1)]]
PROBES = [[("probe", B, 4)], [("probe-whole", text_of(STORY), 4)], [("copy", A, 5)]]  # read the index left


def test_the_batch_of_every_kind_of_decision_has_each(settings: Settings) -> None:
    """What the next test's batch decides: each kind of decision, a leave and a merge."""
    before = list(dedup_outputs(settings, BEFORE_EVERY_KIND))
    outputs = list(dedup_outputs(settings, [*BEFORE_EVERY_KIND, EVERY_KIND]))[len(before) :]
    kinds = {o.record.get("match", "unique") for o in outputs if o.destination in ("unique", "duplicates")}
    assert kinds == {"unique", "exact", "near", "revision"}
    assert {"cluster_leaves", "cluster_merges"} <= {o.destination for o in outputs}


def every_kind_with(article_id: str, place: str) -> list[tuple[str, str, int]]:
    """``EVERY_KIND`` with the article ``article_id`` moved to the ``place`` (first, middle, last) of the batch."""
    moved = next(article for article in EVERY_KIND if article[0] == article_id)
    rest = [article for article in EVERY_KIND if article is not moved]
    at = {"first": 0, "middle": len(rest) // 2, "last": len(rest)}[place]
    return [*rest[:at], moved, *rest[at:]]


@pytest.mark.parametrize("place", ["first", "middle", "last"])
@pytest.mark.parametrize("unreadable", [article_id for article_id, _, _ in EVERY_KIND])
def test_a_batch_holding_an_unreadable_sketch_anywhere_decides_as_one_record_at_a_time(
    settings: Settings, unreadable: str, place: str
) -> None:
    """atomic102: a sketch that could not be read failed the index call after it had decided the records ahead of it
    (an id updated to another story among them): decided again one record at a time, that id was a replay and left
    no cluster, listed in two. Now the record is decided from its text in the batch, as one record at a time would,
    wherever it stands: the same outputs (decisions, leaves, merges, cluster records, index entries), and an index
    that decides the next records the same."""
    batch = every_kind_with(unreadable, place)
    one_by_one = list(dedup_outputs(settings, [*BEFORE_EVERY_KIND, *([a] for a in batch), *PROBES], unreadable))
    batched = list(dedup_outputs(settings, [*BEFORE_EVERY_KIND, batch, *PROBES], unreadable))
    assert batched == one_by_one
    listed: dict[str, list[str]] = {}
    for cluster_id, members in members_by_cluster(published_clusters(settings, [*BEFORE_EVERY_KIND, batch])[0]).items():
        for member in members:
            listed.setdefault(member, []).append(cluster_id)
    assert all(len(clusters) == 1 for clusters in listed.values()), listed  # one id in one live cluster


class FailingMidBatch(DedupIndex):
    """An index whose call for more than one article fails once it has decided the article ``fault`` (the index
    changed for it and those ahead of it: a bug, a MemoryError), whether a new article or an update of an id held."""

    def __init__(self, options: DedupOptions, fault: str) -> None:
        super().__init__(options)
        self.fault, self.batch = fault, False

    def decide_many(self, articles):
        self.batch = len(articles) > 1
        return super().decide_many(articles)

    def _decide_new(self, articles):
        return self._failing(articles, super()._decide_new(articles))

    def _update(self, article):
        return self._failing([article], super()._update(article))

    def _failing(self, articles, decided):
        if self.batch and any(article[0] == self.fault for article in articles):
            raise MemoryError("the batch call failed")
        return decided


@pytest.mark.parametrize("place", ["first", "middle", "last"])
@pytest.mark.parametrize("fault", [article_id for article_id, _, _ in EVERY_KIND])
def test_a_batch_that_failed_after_changing_the_index_is_decided_again_as_one_record_at_a_time(
    settings: Settings, caplog: pytest.LogCaptureFixture, fault: str, place: str
) -> None:
    """atomic102: a batch call that fails after it decided records of the batch leaves them in the index; decided
    again one record at a time, they were replays (an id updated to another story left no cluster). The index is
    rebuilt from the entries persisted before the batch: the same outputs as one record at a time from the start,
    wherever the record at fault stands, and an index that decides the next records the same."""
    batch = every_kind_with(fault, place)
    one_by_one = list(dedup_outputs(settings, [*BEFORE_EVERY_KIND, *([a] for a in batch), *PROBES]))
    with caplog.at_level(logging.WARNING, logger="workers.pipeline"):
        failing = functools.partial(FailingMidBatch, fault=fault)
        retried = list(dedup_outputs(settings, [*BEFORE_EVERY_KIND, batch, *PROBES], index=failing))
    assert "dedup batch of 7 failed" in caplog.text
    assert retried == one_by_one


def test_a_batch_decided_again_on_its_rebuilt_index_picks_among_equal_copies_as_the_live_index_did(
    settings: Settings,
) -> None:
    """read109: ties between equal candidates went by row, and a row's slot is a freed one reused ("copy" took the
    slot "x" left, ahead of "wire"'s), where a rebuilt index lays rows out in arrival order: "rev", a revision of
    both, was a revision of "copy" one record at a time and of "wire" decided again after its batch failed. Ties go
    by arrival now: the earliest copy, whatever the layout."""
    story, revised = text_of(STORY), text_of([*STORY, *UPDATE])
    before = [[("x", FILLER, 0)], [("wire", story, 0)], [("x", seed_text(), 0)], [("copy", story, 0)]]
    batch = [("rev", revised, 0), ("other", " ".join(f"v{n}" for n in range(80)), 0)]
    one_by_one = list(dedup_outputs(settings, [*before, *([article] for article in batch)]))
    retried = list(dedup_outputs(settings, [*before, batch], index=functools.partial(FailingMidBatch, fault="other")))
    assert retried == one_by_one
    [rev] = [o.record for o in one_by_one if o.destination == "duplicates" and o.key == "rev"]
    assert (rev["match"], rev["revision_of"]) == ("revision", "wire")


def test_the_records_made_of_a_replay_carry_its_header_on_and_the_story_records_do_not() -> None:
    """read62: a replayed message that passed clean and failed at dedup or entities left a letter without replay_of
    (the header stopped at the clean stage), which every later replay sent again."""
    for destination in ("clean", "unique", "enriched", "duplicates"):
        assert (REPLAY_HEADER, b"articles.deadletter:0:7") in record_headers(destination, "articles.deadletter:0:7")
    for destination in ("clusters", "cluster_merges", "cluster_leaves", "deadletter"):
        assert REPLAY_HEADER not in dict(record_headers(destination, "articles.deadletter:0:7"))
    assert REPLAY_HEADER not in dict(record_headers("unique"))


def raw_message(payload: bytes, partition: int, offset: int) -> Message:
    return Message(payload, Origin(topic="articles.raw", partition=partition, offset=offset, timestamp_ms=None))


def test_an_ids_messages_of_two_raw_partitions_are_decided_in_the_order_they_reach_the_dedup_stage(
    settings: Settings,
) -> None:
    """read210: records.md told a consumer to keep an id's record of the highest ``origin.offset``. Offsets of two raw
    partitions do not compare (another producer's key, a keyless message, partitions added): ``wire`` at offset 5 of
    partition 1, then at offset 0 of partition 0, lives in the story of its offset-0 message. And a letter of the
    entities stage on an id's later message comes after the dedup stage published that message's cluster records:
    its decision stands, though no enriched record of it does."""
    story = text_of(STORY[:3])
    sent = [("wire", story, 1, 5), ("copy", story, 1, 6), ("wire", seed_text(), 0, 0)]
    records = [codec.dumps({**seed_record(SEED_PAGE_ID), "id": i, "text": text}) for i, text, _, _ in sent]
    cleaned = CleanStage(settings).process(
        [raw_message(r, p, o) for r, (_, _, p, o) in zip(records, sent, strict=True)]
    )
    first, _, last = DedupStage(settings).process(
        [message(codec.dumps(c.record), n) for n, [c] in enumerate(cleaned)]  # articles.clean: one partition
    )
    assert (first[0].record["origin"]["offset"], last[0].record["origin"]["offset"]) == (5, 0)
    assert (first[0].destination, last[0].destination, last[0].record["cluster_id"]) == ("unique", "unique", "cl2-wire")
    assert [(o.destination, o.key) for o in last if o.destination.startswith("cluster")] == [
        ("cluster_leaves", "cl-wire"),
        ("clusters", "cl2-wire"),
    ]
    pipelines = Pipelines(lambda language: BrokenNlp(), ["en"], {"en": BrokenNlp()})
    [[letter]] = EntitiesStage(settings, pipelines).process([message(codec.dumps(last[0].record), 7)])
    assert (letter.destination, letter.record["stage"], letter.record["origin"]["offset"]) == (
        "deadletter",
        "entities",
        7,
    )
    assert codec.loads(letter.record["payload"])["origin"]["partition"] == 0  # the raw origin, in its payload
