"""``enrich process`` on the seed file: the real command, a file per output topic, every record valid."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, SEED_BODY_START, SEED_CHROME, SEED_PAGE_ID, SEEDS, seed_record
from tests.hostile import svg_attributes
from tests.unit.test_child import Unbuildable
from tests.unit.test_dedup import STORY, seed_text, text_of
from workers import codec
from workers.child import ChildStage
from workers.cli import main
from workers.nlp import Pipelines
from workers.offline import process_file
from workers.pipeline import EXIT_UNPUBLISHED
from workers.settings import Settings


def process(source: Path, out: Path) -> dict[str, list[dict]]:
    """Run ``enrich process`` on ``source``: the records of each file it writes, by file name."""
    subprocess.run(
        [sys.executable, "-m", "workers", "process", str(source), "--out-dir", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=240,
    )
    return {p.name: [json.loads(line) for line in p.read_text().splitlines()] for p in out.iterdir()}


@pytest.mark.slow
def test_enrich_process_writes_one_valid_file_per_output_topic(tmp_path: Path) -> None:
    files = process(SEEDS, tmp_path / "out")
    names = ["articles.clusters.jsonl", "articles.deadletter.jsonl", "articles.duplicates.jsonl"]
    assert sorted(files) == [*names, "articles.enriched.jsonl"]
    enriched, duplicates, dead, clusters = (
        files[f"articles.{t}.jsonl"] for t in ("enriched", "duplicates", "deadletter", "clusters")
    )
    for schema, records in (("enriched", enriched), ("duplicate", duplicates), ("deadletter", dead)):
        for record in records:
            codec.check(schema, record)
    for record in clusters:
        codec.check("cluster", record)
    assert [r["origin"]["offset"] for r in enriched] == [0, 2]  # input order
    seed = enriched[0]
    assert seed["text"].startswith(SEED_BODY_START)
    assert not any(chrome in seed["text"] for chrome in SEED_CHROME)
    [copy] = duplicates
    assert (copy["canonical_id"], copy["match"], copy["source"]) == (seed["id"], "near", "Frontier Wire")
    assert copy["text"].startswith("Zamir Kabulov")
    assert [(r["origin"]["offset"], r["error"]) for r in dead] == [(3, "invalid_json"), (4, "schema_violation")]
    story = [(r["cluster_id"], [m["id"] for m in r["members"]]) for r in clusters]
    assert story == [  # the story view as the clusters topic has it: each record as its cluster grows
        (seed["cluster_id"], [seed["id"]]),
        (seed["cluster_id"], [seed["id"], copy["id"]]),
        (enriched[1]["cluster_id"], [enriched[1]["id"]]),
    ]


@pytest.mark.slow
def test_a_story_too_long_to_tag_and_its_copy_are_both_dead_lettered_and_no_duplicate_names_it(tmp_path: Path) -> None:
    """review22's big2.jsonl: two identical `body` records of 15,000 lines, 1.41 M characters once cleaned. Before,
    the first was an entities internal_error (spaCy E088) and the copy a duplicate naming it."""
    body = "\n".join(
        f"Paragraph {i} says the council met on day {i} and voted {7 * i} to {3 * i} on the budget plan."
        for i in range(15_000)
    )
    source = tmp_path / "big2.jsonl"
    source.write_text(
        "".join(json.dumps({"id": i, "source": s, "body": body}) + "\n" for i, s in (("big", "X"), ("copy", "Y")))
    )
    files = process(source, tmp_path / "out")
    enriched, duplicates, dead = (files[f"articles.{t}.jsonl"] for t in ("enriched", "duplicates", "deadletter"))
    assert {record["canonical_id"] for record in duplicates} <= {record["id"] for record in enriched}
    assert [(r["id"], r["stage"], r["error"]) for r in dead] == [
        ("big", "clean", "too_long"),
        ("copy", "clean", "too_long"),
    ]


def clusters_file(settings: Settings, out: Path, articles: list[tuple[str, str]]) -> tuple[Counter[str], list[dict]]:
    """``process_file`` over ``articles`` (id, text: the seed page's fields) with no language model: its counts, and
    the lines of its clusters file."""
    records = [{**seed_record(SEED_PAGE_ID), "id": article_id, "text": text} for article_id, text in articles]
    source = io.BytesIO(b"".join(codec.dumps(record) + b"\n" for record in records))
    counts = process_file(source, "file", out, settings, Pipelines(lambda language: None, []))
    return counts, [json.loads(line) for line in (out / "articles.clusters.jsonl").read_text().splitlines()]


def test_the_clusters_file_holds_the_cluster_records_and_a_deletes_key(settings: Settings, tmp_path: Path) -> None:
    """tidy74: ``enrich process`` wrote no clusters file. An id sent again as a copy of another story leaves its
    cluster, which listed nothing else: the cluster's delete, a null value under its key on the topic, is a line
    naming the key. No language has a model here: the entities stage enriches without entities."""
    articles = [("other", seed_text()), ("wire", text_of(STORY[:3])), ("copy", seed_text())]
    articles.append(("wire", seed_text()))  # decided afresh: a copy of "other", out of its own cluster
    counts, lines = clusters_file(settings, tmp_path, articles)
    assert (counts["enriched"], counts["duplicates"], counts["clusters"]) == (2, 2, len(lines))
    for record in lines[:3] + lines[4:]:
        codec.check("cluster", record)
    assert [(r["cluster_id"], [m["id"] for m in r.get("members", [])]) for r in lines] == [
        ("cl-other", ["other"]),
        ("cl-wire", ["wire"]),
        ("cl-other", ["other", "copy"]),
        ("cl-wire", []),
        ("cl-other", ["other", "copy", "wire"]),
    ]
    assert lines[3] == {"cluster_id": "cl-wire", "deleted": True}


def test_the_clusters_file_keeps_a_story_whose_first_copy_became_another_apart_from_it(
    settings: Settings, tmp_path: Path
) -> None:
    """read69 offline: the first copy sent again as another story is the first copy of ``cl2-wire``; the old story's
    record drops it, says where it went, and takes the old story's later copy."""
    story = text_of(STORY[:3])
    articles = [("wire", story), ("copy", story), ("wire", seed_text()), ("new-copy", seed_text()), ("old-copy", story)]
    _, lines = clusters_file(settings, tmp_path, articles)
    for record in lines:
        codec.check("cluster", record)
    assert [(r["cluster_id"], [m["id"] for m in r["members"]], r.get("canonical_moved_to")) for r in lines] == [
        ("cl-wire", ["wire"], None),
        ("cl-wire", ["wire", "copy"], None),
        ("cl-wire", ["copy"], "cl2-wire"),
        ("cl2-wire", ["wire"], None),
        ("cl2-wire", ["wire", "new-copy"], None),
        ("cl-wire", ["copy", "old-copy"], "cl2-wire"),
    ]


def test_the_clusters_file_never_lists_an_id_sent_twice_around_the_merge_of_its_new_story_as_gone(
    settings: Settings, tmp_path: Path
) -> None:
    """live96 offline, one chunk: "wire" sent again as another story (``cl2-wire``), a copy of both stories that
    merges ``cl2-wire`` into ``cl-wire``, then "wire" again: ``cl-wire``'s record was written without "wire", its
    first copy said to have moved to the cluster merged into it, then with it last."""
    a, b = text_of(STORY[:3]), text_of(STORY[3:])
    articles = [("wire", a), ("copy", a), ("wire", b), ("whole", text_of(STORY)), ("wire", b)]
    _, lines = clusters_file(settings, tmp_path, articles)
    assert [
        (r["cluster_id"], [m["id"] for m in r["members"]], r.get("canonical_moved_to"), r["merged_into"]) for r in lines
    ] == [
        ("cl-wire", ["wire"], None, None),
        ("cl-wire", ["wire", "copy"], None, None),
        ("cl-wire", ["copy"], "cl2-wire", None),
        ("cl2-wire", ["wire"], None, None),
        ("cl2-wire", ["wire"], None, "cl-wire"),
        ("cl-wire", ["copy", "wire", "whole"], None, None),
        ("cl-wire", ["copy", "wire", "whole"], None, None),  # the second "wire": its cluster's record again
    ]


def written(out: Path) -> dict[str, list[dict]]:
    """The records of each file ``process_file`` wrote, the times they were made aside (a dead letter's, a cluster
    record's)."""
    made = {"failed_at": None, "updated_at": None}
    return {
        path.name: [{**record, **made} for record in map(json.loads, path.read_text().splitlines())]
        for path in sorted(out.iterdir())
    }


@pytest.mark.slow
def test_the_clean_stage_in_a_child_writes_what_it_writes_here_and_dead_letters_the_page_past_its_cpu_limit(
    settings: Settings, tmp_path: Path
) -> None:
    """``enrich process`` runs the clean stage as a worker does: in a child process under the CPU limit (1 s here),
    whose page past it is its one ``cpu_limit_exceeded`` letter; with no limit (0), in this process."""
    seeds = SEEDS.read_bytes()
    no_model = Pipelines(lambda language: None, [])
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    process_file(io.BytesIO(seeds), "file", here, settings.model_copy(update={"clean_cpu_limit_seconds": 0}), no_model)
    limited = settings.model_copy(update={"clean_cpu_limit_seconds": 1})
    process_file(io.BytesIO(seeds + svg_attributes(40_000) + b"\n"), "file", there, limited, no_model)
    files, expected = written(there), written(here)
    letter = files["articles.deadletter.jsonl"].pop()
    assert (letter["id"], letter["stage"], letter["error"]) == (None, "clean", "cpu_limit_exceeded")
    assert files == expected


def test_enrich_process_whose_clean_stage_cannot_go_on_ends_with_one_line_and_the_workers_exit_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child process of the clean stage that cannot start (no fork, no memory, a stage that cannot be built)
    ended ``enrich process`` with StageUnavailable's traceback and status 1; the worker exits 75 with one line."""
    monkeypatch.setattr("workers.offline.clean_stage", lambda settings: ChildStage("clean", Unbuildable, 1))
    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps(seed_record(SEED_PAGE_ID)) + "\n")
    result = CliRunner().invoke(main, ["process", str(source), "--out-dir", str(tmp_path / "out")])
    assert result.exit_code == EXIT_UNPUBLISHED, result.output
    assert result.stderr.splitlines()[-1] == (  # after the log's lines (the model loaded)
        "Error: cannot go on (the clean stage's child process could not start: OSError: no model here); "
        f"the files in {tmp_path / 'out'} are incomplete"
    )
