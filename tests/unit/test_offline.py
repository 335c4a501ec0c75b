"""``enrich process`` on the seed file: the real command, three files, every record valid."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED_BODY_START, SEED_CHROME, SEEDS
from workers import codec


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
    assert sorted(files) == ["articles.deadletter.jsonl", "articles.duplicates.jsonl", "articles.enriched.jsonl"]
    enriched, duplicates, dead = (files[f"articles.{t}.jsonl"] for t in ("enriched", "duplicates", "deadletter"))
    for record in enriched:
        codec.check("enriched", record)
    for record in duplicates:
        codec.check("duplicate", record)
    for record in dead:
        codec.check("deadletter", record)
    assert [r["origin"]["offset"] for r in enriched] == [0, 2]  # input order
    seed = enriched[0]
    assert seed["text"].startswith(SEED_BODY_START)
    assert not any(chrome in seed["text"] for chrome in SEED_CHROME)
    [copy] = duplicates
    assert (copy["canonical_id"], copy["match"], copy["source"]) == (seed["id"], "near", "Frontier Wire")
    assert copy["text"].startswith("Zamir Kabulov")
    assert [(r["origin"]["offset"], r["error"]) for r in dead] == [(3, "invalid_json"), (4, "schema_violation")]


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
