"""``enrich process`` on the seed file: the real command, three files, every record valid."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED_BODY_START, SEED_CHROME, SEEDS
from workers import codec


@pytest.mark.slow
def test_enrich_process_writes_one_valid_file_per_output_topic(tmp_path: Path) -> None:
    out = tmp_path / "out"
    subprocess.run(
        [sys.executable, "-m", "workers", "process", str(SEEDS), "--out-dir", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=240,
    )
    files = {p.name: [json.loads(line) for line in p.read_text().splitlines()] for p in out.iterdir()}
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
