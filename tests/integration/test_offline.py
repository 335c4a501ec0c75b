"""``enrich process`` and the workers over the same messages: the same story view, from the same code."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from tests.conftest import SEED_PAGE_ID, seed_record
from tests.integration.conftest import cli, private_settings, produce, read_keyed
from tests.integration.test_chain import WAIT
from tests.unit.test_dedup import STORY, seed_text, text_of
from workers import codec
from workers.topics import ensure_topics


def _by_cluster(records: list[tuple[str, dict[str, Any] | None]]) -> dict[str, list[object]]:
    """Each cluster's records in order, as what a consumer keeps of them: members, merges, or its delete."""
    kept: dict[str, list[object]] = defaultdict(list)
    for key, record in records:
        if record is None:
            kept[key].append("deleted")
        else:
            kept[key].append(([m["id"] for m in record["members"]], record["merged"], record["merged_into"]))
    return dict(kept)


def test_enrich_process_writes_the_cluster_records_the_workers_publish(broker: str, tmp_path: Path, start_worker):
    """tidy74: ``enrich process`` wrote no clusters file. An id sent again as a copy of another story leaves its
    cluster of one: the workers publish a null value under its key, the file a line naming it."""
    settings = private_settings(broker, tmp_path / "data").model_copy(update={"partitions": 1})  # the file's order
    asyncio.run(ensure_topics(settings))
    records = [
        {**seed_record(SEED_PAGE_ID), "id": article_id, "text": text}
        for article_id, text in [("other", seed_text()), ("wire", text_of(STORY[:3])), ("copy", seed_text())]
    ]
    records.append({**records[0], "id": "wire"})
    lines = [codec.dumps(record) for record in records]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(line + b"\n" for line in lines))
    offline = cli(settings, "process", str(source), "--out-dir", str(tmp_path / "out"))
    assert offline.returncode == 0, offline.stderr
    assert offline.stderr.decode().splitlines()[-1] == "enriched: 2, duplicates: 2, deadletter: 0, clusters: 5"
    file_lines = (tmp_path / "out" / f"{settings.topic_clusters}.jsonl").read_bytes().splitlines()
    written = [json.loads(line) for line in file_lines]
    for line in written:  # a delete line is no cluster record: the file holds lines of two schemas
        codec.check("cluster_delete" if "deleted" in line else "cluster", line)
    from_file = [(r["cluster_id"], None if r.get("deleted") else r) for r in written]
    worker = start_worker(settings)
    produce(settings, settings.topic_raw, lines)
    published = read_keyed(settings, settings.topic_clusters, 5, WAIT)
    assert worker.stop() == 0
    from_topic = [(key.decode(), record) for key, record in published]
    assert _by_cluster(from_file) == _by_cluster(from_topic), worker.log.read_text()[-3000:]
    assert _by_cluster(from_file)["cl-wire"] == [(["wire"], [], None), "deleted"]
    tail = cli(
        settings, "tail", settings.topic_clusters, "--deletes", "named", "--max-messages", "5", "--timeout", "10"
    )
    assert tail.returncode == 0, tail.stderr
    # With --deletes named, a delete read from the topic is printed as the file's line for it (null by default).
    file_deletes = [line for line, record in zip(file_lines, written, strict=True) if "deleted" in record]
    assert [line for line in tail.stdout.splitlines() if b'"deleted"' in line] == file_deletes
