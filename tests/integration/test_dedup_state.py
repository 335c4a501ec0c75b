"""The dedup index across worker restarts and processes, on the real broker with real worker processes.

The original is the seed page; its copy is the same Reuters story republished by another outlet (the
seed file's copy line). Workers run the clean and dedup stages only: no spaCy load, quicker starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import subprocess
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.conn import AIOKafkaConnection

from tests.conftest import COPY_URL, SEED_PAGE_ID, seed_lines
from tests.integration.conftest import KAFKA_SH, Worker, free_port, produce, produce_to, read_keyed, read_topic
from tests.ports import wait_ready
from tests.unit.test_dedup import STORY, merge_scenario, seed_text, text_of
from workers import codec
from workers.dedup.store import MIN_CAPACITY
from workers.settings import Settings
from workers.state import CLUSTER_ID_FILE, broker_view
from workers.topics import DEDUP_TABLES, changelog_topic

WAIT = 180  # seconds: a worker start joins its group and recovers its tables; CI machines are slow and shared
STAGES = "clean,dedup"
ORIGINAL = next(line for line in seed_lines() if SEED_PAGE_ID.encode() in line)
COPY = next(line for line in seed_lines() if COPY_URL.encode() in line)
UNRELATED = next(line for line in seed_lines() if b"btd-kremlin-weapons-ukraine" in line)
DISCARDED = "discarding local table state the broker does not hold (Faust rebuilds it from the changelogs): "


def raw_at(article_id: str, text: str, at: str | None = None) -> bytes:
    """A raw line of ``text`` under ``article_id``, published at ``at`` (HH:MM on 2025-01-01; by default no time)."""
    published_at = at and f"2025-01-01T{at}:00Z"
    return codec.dumps(
        {"id": article_id, "url": None, "source": "Wire", "title": None, "published_at": published_at, "text": text}
    )


def another_process(settings: Settings, data_dir: Path) -> Settings:
    """The same pipeline and consumer group, with ports and a data directory of its own."""
    return settings.model_copy(update={"metrics_port": free_port(), "web_port": free_port(), "data_dir": data_dir})


def assert_copy_caught(settings: Settings, log: Path) -> None:
    """The copy is a duplicate of the original, and the story view lists both."""
    duplicates = read_topic(settings, settings.topic_duplicates, 1, WAIT)
    assert len({d["id"] for d in duplicates}) == 1, log.read_text()[-3000:]  # a replay after a rebalance: same id
    for duplicate in duplicates:
        codec.check("duplicate", duplicate)
        assert (duplicate["canonical_id"], duplicate["url"]) == (SEED_PAGE_ID, COPY_URL)
    clusters = [
        r for r in read_topic(settings, settings.topic_clusters, 2, 10) if r["cluster_id"] == duplicate["cluster_id"]
    ]
    for record in clusters:
        codec.check("cluster", record)
    assert [m["id"] for m in clusters[-1]["members"]] == [SEED_PAGE_ID, duplicate["id"]]
    assert [m["url"] for m in clusters[-1]["members"]][1] == COPY_URL


def first_copy_seen(settings: Settings, worker) -> None:
    """Wait until the dedup stage has let the original through."""
    unique = read_topic(settings, settings.topic_unique, 1, WAIT, grace=0)
    assert [r["id"] for r in unique] == [SEED_PAGE_ID], worker.log.read_text()[-3000:]


def original_then_restart(settings: Settings, start_worker, data_dir: Path, copy_partition: int) -> Path:
    """The original through one worker, stopped; then the copy through a new one on ``data_dir``: its log."""
    first = start_worker(settings, STAGES)
    produce_to(settings, [ORIGINAL])
    first_copy_seen(settings, first)
    assert first.stop() == 0
    second = start_worker(another_process(settings, data_dir), STAGES)
    produce_to(settings, [COPY], copy_partition)
    return second.log


def test_a_worker_restarted_between_original_and_copy_catches_the_copy(
    pipeline_settings: Settings, start_worker
) -> None:
    settings = pipeline_settings
    log = original_then_restart(settings, start_worker, settings.data_dir, 1)  # same RocksDB directory
    assert_copy_caught(settings, log)
    assert DISCARDED not in log.read_text()  # the state of its own broker's changelogs is kept


def test_a_new_worker_recovers_the_index_from_the_changelog(
    pipeline_settings: Settings, start_worker, tmp_path: Path
) -> None:
    log = original_then_restart(pipeline_settings, start_worker, tmp_path / "fresh", 0)  # nothing on disk
    assert_copy_caught(pipeline_settings, log)


def test_two_workers_catch_a_copy_arriving_on_another_partition(
    pipeline_settings: Settings, start_worker, tmp_path: Path
) -> None:
    settings = pipeline_settings
    workers = [start_worker(settings, STAGES), start_worker(another_process(settings, tmp_path / "w2"), STAGES)]
    produce_to(settings, [ORIGINAL])
    first_copy_seen(settings, workers[0])
    produce_to(settings, [COPY], 1)
    assert_copy_caught(settings, workers[0].log)
    assert all(worker.alive() for worker in workers)


def test_a_copy_of_two_clusters_merges_them_on_the_clusters_topic(pipeline_settings: Settings, start_worker) -> None:
    """Two copies holding other halves of the story start two clusters; the whole story, a copy of both, merges
    the younger into the older."""
    settings = pipeline_settings
    worker = start_worker(settings, STAGES)
    produce_to(settings, [raw_at(*article) for article in merge_scenario()])
    [duplicate] = read_topic(settings, settings.topic_duplicates, 1, WAIT)
    codec.check("duplicate", duplicate)
    assert (duplicate["id"], duplicate["cluster_id"], duplicate["merged"]) == ("whole", "cl-first", ["cl-second"])
    records = read_topic(settings, settings.topic_clusters, 4, 30)
    for record in records:
        codec.check("cluster", record)
    last = {record["cluster_id"]: record for record in records}  # what a reader of the compacted topic keeps
    assert last["cl-second"]["merged_into"] == "cl-first", worker.log.read_text()[-3000:]
    assert (last["cl-first"]["merged"], last["cl-first"]["merged_into"]) == (["cl-second"], None)
    assert [m["id"] for m in last["cl-first"]["members"]] == ["first", "second", "whole"]


def test_a_member_of_a_merged_cluster_sent_again_leaves_the_clusters_as_merged(
    pipeline_settings: Settings, start_worker
) -> None:
    """The merge, then the younger cluster's first copy sent again, the same bytes (a re-scrape, a producer's retry:
    review57 finding 1): the last record of each cluster stays as the merge left it, so each member is listed by
    one live cluster, and the dedup-clusters table holds no record of the merged cluster. Before, the copy sent
    again published the merged cluster live again with itself alone, and the table kept that record for good."""
    settings = pipeline_settings
    worker = start_worker(settings, STAGES)
    raws = [raw_at(*article) for article in merge_scenario()]
    produce_to(settings, raws)
    read_topic(settings, settings.topic_duplicates, 1, WAIT)
    merged = {record["cluster_id"]: record for record in read_topic(settings, settings.topic_clusters, 4, 30)}
    produce_to(settings, [raws[1]])
    unique = read_topic(settings, settings.topic_unique, 3, WAIT)
    assert sorted(record["id"] for record in unique) == ["first", "second", "second"], worker.log.read_text()[-3000:]
    records = read_topic(settings, settings.topic_clusters, 5, 30)
    for record in records:
        codec.check("cluster", record)
    last = {record["cluster_id"]: record for record in records}
    assert {key: (r["members"], r["merged"], r["merged_into"]) for key, r in last.items()} == {
        key: (r["members"], r["merged"], r["merged_into"]) for key, r in merged.items()
    }
    live = [m["id"] for record in last.values() if record["merged_into"] is None for m in record["members"]]
    assert sorted(live) == ["first", "second", "whole"]
    changelog = read_keyed(settings, f"{settings.app_id}.dedup-clusters-changelog", 6, 30)
    assert {orjson.loads(key): value is not None for key, value in changelog} == {"cl-first": True, "cl-second": False}


def test_an_id_decided_afresh_leaves_the_record_of_its_old_cluster(pipeline_settings: Settings, start_worker) -> None:
    """left66: an id sent again with content no copy of its old, decided afresh into another cluster, stayed listed by
    its old cluster's record (one id in two live clusters). Now that record is published again without it, in the
    same batch, and deleted (a null value) when it lists nothing else. "copy" then "wire" go to "other"'s story."""
    settings = pipeline_settings
    worker = start_worker(settings, STAGES)
    story, other = text_of(STORY[:3]), seed_text()
    articles = [("other", other), ("wire", story), ("copy", story), ("copy", other), ("wire", other)]
    produce_to(settings, [raw_at(*article) for article in articles])
    records = read_keyed(settings, settings.topic_clusters, 7, WAIT)
    listed: dict[str, list[list[str] | None]] = {}  # by key: the topic's partitions are read in no set order
    for key, value in records:
        listed.setdefault(key.decode(), []).append(value and [m["id"] for m in value["members"]])
    assert listed == {
        "cl-other": [["other"], ["other", "copy"], ["other", "copy", "wire"]],
        "cl-wire": [["wire"], ["wire", "copy"], ["wire"], None],  # "copy" left it, then "wire": deleted
    }, worker.log.read_text()[-3000:]
    for _, value in records:
        if value is not None:
            codec.check("cluster", value)
    changelog = read_keyed(settings, f"{settings.app_id}.dedup-clusters-changelog", 7, 10)
    assert {orjson.loads(key): value is not None for key, value in changelog} == {"cl-other": True, "cl-wire": False}


def test_a_first_copy_updated_to_another_story_leaves_its_copies_their_cluster_across_a_restart(
    pipeline_settings: Settings, start_worker, tmp_path: Path
) -> None:
    """read69: the first copy of a story with a copy, sent again with unrelated content, kept its cluster id: the new
    story and the old one's copy were one cluster on the topic, which a copy of either joined. Now the old record is
    published without it, saying where it went (``canonical_moved_to``), and the new story is ``cl2-wire``; a worker
    recovering from the changelogs alone puts a later copy of each story in its own cluster."""
    settings = pipeline_settings
    story, other = text_of(STORY[:3]), seed_text()
    first = start_worker(settings, STAGES)
    produce_to(settings, [raw_at("wire", story), raw_at("copy", story), raw_at("wire", other)])
    read_keyed(settings, settings.topic_clusters, 4, WAIT, grace=0)
    assert first.stop() == 0
    second = start_worker(another_process(settings, tmp_path / "fresh"), STAGES)
    produce_to(settings, [raw_at("old-copy", story), raw_at("new-copy", other)])
    duplicates = read_topic(settings, settings.topic_duplicates, 3, WAIT)
    assert {d["id"]: d["cluster_id"] for d in duplicates} == {
        "copy": "cl-wire",
        "old-copy": "cl-wire",
        "new-copy": "cl2-wire",
    }, second.log.read_text()[-3000:]
    records = read_keyed(settings, settings.topic_clusters, 6, 30)
    listed: dict[str, list[tuple[list[str], str | None]]] = {}  # by key: the partitions are read in no set order
    for key, value in records:
        codec.check("cluster", value)
        listed.setdefault(key.decode(), []).append(
            ([m["id"] for m in value["members"]], value.get("canonical_moved_to"))
        )
    assert listed == {
        "cl-wire": [
            (["wire"], None),
            (["wire", "copy"], None),
            (["copy"], "cl2-wire"),
            (["copy", "old-copy"], "cl2-wire"),
        ],
        "cl2-wire": [(["wire"], None), (["wire", "new-copy"], None)],
    }
    assert {r["cluster_id"]: r["canonical_id"] for _, r in records} == {"cl-wire": "wire", "cl2-wire": "wire"}


def test_a_later_copy_the_window_passed_leaves_its_cluster_back_as_another_story_across_a_restart(
    pipeline_settings: Settings, start_worker, tmp_path: Path
) -> None:
    """gap111 on the broker: "y", a copy in ``cl-x``, passed by the window (an hour here) while "z" holds ``cl-x``
    open, evicted when the index's first arrays fill; a worker recovering from the changelogs alone, "y" back as
    another story: ``cl-x``'s record is published without it (before, the table had forgotten "y" and both records
    listed it), from what the index's changelog kept of "y": the cluster that lists it."""
    settings = pipeline_settings.model_copy(update={"dedup_window_seconds": 3600})
    story, words, rng = text_of(STORY[:3]), [f"w{n}" for n in range(5000)], random.Random(5)
    story_copies = [("x", story, "00:00"), ("y", story, "00:05"), ("z", story, "00:50")]
    fillers = [(f"f{n}", " ".join(rng.choices(words, k=80)), "01:06") for n in range(MIN_CAPACITY)]  # room made
    first = start_worker(settings, STAGES)
    produce_to(settings, [raw_at(*article) for article in story_copies])  # one partition: "x" the first copy
    read_keyed(settings, settings.topic_clusters, len(story_copies), WAIT, grace=0)
    produce(settings, settings.topic_raw, [raw_at(*article) for article in fillers])
    articles = [*story_copies, *fillers]
    read_keyed(settings, settings.topic_clusters, len(articles), WAIT, grace=0)
    assert first.stop() == 0
    index = read_keyed(settings, changelog_topic(settings, DEDUP_TABLES[0]), len(articles) + 2, 30)
    assert [value for key, value in index if orjson.loads(key) == "y"][-1] == {"listed_in": "cl-x"}
    second = start_worker(another_process(settings, tmp_path / "fresh"), STAGES)
    produce(settings, settings.topic_raw, [raw_at("y", seed_text(), "01:07")])
    records = read_keyed(settings, settings.topic_clusters, len(articles) + 2, WAIT)
    listed = {key.decode(): [m["id"] for m in value["members"]] for key, value in records if value}
    assert (listed["cl-x"], listed["cl-y"]) == (["x", "z"], ["y"]), second.log.read_text()[-3000:]


def test_an_id_sent_twice_around_the_copy_that_merged_its_new_story_into_its_old_one_stays_listed(
    pipeline_settings: Settings, start_worker, tmp_path: Path
) -> None:
    """live96 on the topic: "wire" sent again as another story, a copy of both stories, then "wire" again, waiting
    together for a worker (decided in one batch): ``cl-wire``'s record, which lists "wire" again once the copy merged
    ``cl2-wire`` into it, was published without it, saying its first copy had moved to ``cl2-wire``, then with it
    last. Now the records are those one record at a time publishes."""
    settings = pipeline_settings
    old, new = text_of(STORY[:3]), text_of(STORY[3:])
    first = start_worker(settings, STAGES)
    produce_to(settings, [raw_at("wire", old), raw_at("copy", old)])
    read_keyed(settings, settings.topic_clusters, 2, WAIT, grace=0)
    assert first.stop() == 0
    produce_to(settings, [raw_at("wire", new), raw_at("whole", text_of(STORY)), raw_at("wire", new)])
    second = start_worker(another_process(settings, tmp_path / "second"), STAGES)
    records = read_keyed(settings, settings.topic_clusters, 7, WAIT)
    listed: dict[str, list[tuple[list[str], str | None, str | None]]] = {}  # by key: partitions in no set order
    for key, value in records:
        codec.check("cluster", value)
        moved = (value.get("canonical_moved_to"), value["merged_into"])
        listed.setdefault(key.decode(), []).append(([m["id"] for m in value["members"]], *moved))
    assert listed == {
        "cl-wire": [
            (["wire"], None, None),
            (["wire", "copy"], None, None),
            (["copy"], "cl2-wire", None),
            (["copy", "wire", "whole"], None, None),
            (["copy", "wire", "whole"], None, None),
        ],
        "cl2-wire": [(["wire"], None, None), (["wire"], None, "cl-wire")],
    }, second.log.read_text()[-3000:]


def test_the_web_port_serves_the_probes_and_not_the_tables(pipeline_settings: Settings, start_worker) -> None:
    """Faust's pages read its tables (the story clusters, the index) to anyone on the probes' port: all off."""
    worker = start_worker(pipeline_settings, STAGES)
    produce_to(pipeline_settings, [ORIGINAL])
    first_copy_seen(pipeline_settings, worker)  # a cluster record in the tables that Faust's pages would show
    wait_ready(pipeline_settings.web_port, WAIT)
    base = f"http://127.0.0.1:{pipeline_settings.web_port}"
    for path in ("/livez", "/readyz"):
        assert urllib.request.urlopen(base + path, timeout=10).status == 200
    for path in ("/table/", "/table/dedup-clusters/", "/table/dedup-index/", "/router/", "/graph/", "/"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + path, timeout=10)
        assert refused.value.code == 404, path


def test_a_worker_asked_for_its_stacks_says_what_it_waits_on_and_goes_on(
    pipeline_settings: Settings, start_worker
) -> None:
    """A stuck worker is diagnosed in place (``workers.stacks``): each task's await chain and its clients' state."""
    settings = pipeline_settings
    worker = start_worker(settings, STAGES)
    produce_to(settings, [ORIGINAL])
    first_copy_seen(settings, worker)
    stacks = worker.stacks()
    assert "TASK (main loop)" in stacks and "in _commit_handler" in stacks, stacks
    assert "Thread 0x" in stacks and 'File "' in stacks, stacks  # SIGUSR2's, from faulthandler
    assert f"  {settings.topic_raw}[0]: position 1, highwater 1, paused False" in stacks, stacks
    assert f"  ledger {settings.topic_raw}[0]: commits up to 1, 0 in flight" in stacks, stacks
    produce_to(settings, [UNRELATED], 1)
    assert len(read_topic(settings, settings.topic_unique, 2, WAIT, grace=0)) == 2, worker.log.read_text()[-3000:]
    assert worker.stop() == 0


def ready(worker: Worker, settings: Settings) -> None:
    """Wait until the worker says ready; one that exits first fails the test at once, with the end of its log."""
    for _ in range(WAIT):
        if not worker.alive():
            break
        with contextlib.suppress(TimeoutError):
            wait_ready(settings.web_port, 1)
            return
    pytest.fail(f"the worker exited or was not ready:\n{worker.log.read_text()[-3000:]}")


def two_stories_then_stop(settings: Settings, start_worker) -> None:
    """Two unrelated stories through a worker, stopped: each table's state holds changelog offsets 0 and 1 (Faust
    checks an offset of 0 against nothing)."""
    worker = start_worker(settings, STAGES)
    produce_to(settings, [ORIGINAL])
    produce_to(settings, [UNRELATED], 1)
    assert len(read_topic(settings, settings.topic_unique, 2, WAIT, grace=0)) == 2, worker.log.read_text()[-3000:]
    assert worker.stop() == 0


async def delete_changelogs(settings: Settings, recreate: bool) -> None:
    """Delete the dedup tables' changelogs; with ``recreate``, make them again, empty, as an operator might."""
    names = [changelog_topic(settings, table) for table in DEDUP_TABLES]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_topics(names)
        if recreate:
            for _ in range(WAIT):  # the deletion completes in the background
                if not set(names) & set(await admin.list_topics()):
                    break
                await asyncio.sleep(1)
            await admin.create_topics(
                [NewTopic(name, 1, 1, topic_configs={"cleanup.policy": "compact"}) for name in names]
            )
    finally:
        await admin.close()


@pytest.mark.parametrize("recreated", [False, True], ids=["deleted", "recreated-empty"])
def test_a_worker_whose_changelogs_were_deleted_discards_its_state_and_runs(
    pipeline_settings: Settings, start_worker, recreated: bool
) -> None:
    """Faust stopped such a worker at every start (``ConsistencyError``: local state ahead of the changelog)."""
    settings = pipeline_settings
    two_stories_then_stop(settings, start_worker)
    asyncio.run(delete_changelogs(settings, recreated))
    restarted = another_process(settings, settings.data_dir)
    worker = start_worker(restarted, STAGES)
    ready(worker, restarted)
    produce_to(settings, [COPY])  # the index is the broker's now: empty, so the copy is a first copy
    unique = read_topic(settings, settings.topic_unique, 3, WAIT)
    assert COPY_URL in [record["url"] for record in unique], worker.log.read_text()[-3000:]
    [warning] = [line for line in worker.log.read_text().splitlines() if DISCARDED in line]
    for table in DEDUP_TABLES:
        changelog = changelog_topic(settings, table)
        ahead = rf"offset [1-9]\d* held, {re.escape(changelog)}\[0\] ends at 0"
        why = ahead if recreated else re.escape(f"changelog {changelog} missing")
        assert re.search(rf"{table}-0\.db \({why}\)", warning), warning


def test_a_worker_of_a_wiped_broker_discards_its_state_and_runs(
    private_broker, pipeline_settings: Settings, start_worker
) -> None:
    """``kafka.sh reset`` gives the broker a new cluster id and no topics: the worker's state is of another cluster."""
    bootstrap, env = private_broker
    settings = pipeline_settings.model_copy(update={"bootstrap_servers": bootstrap})
    two_stories_then_stop(settings, start_worker)
    for command in ("reset", "start"):
        subprocess.run([str(KAFKA_SH), command], env=env, check=True, capture_output=True, timeout=300)
    restarted = another_process(settings, settings.data_dir)
    worker = start_worker(restarted, STAGES)
    ready(worker, restarted)
    produce_to(settings, [ORIGINAL])
    assert [r["id"] for r in read_topic(settings, settings.topic_unique, 1, WAIT)] == [SEED_PAGE_ID]
    [warning] = [line for line in worker.log.read_text().splitlines() if DISCARDED in line]
    assert "/v1/tables (of Kafka cluster " in warning
    cluster_id = subprocess.run([str(KAFKA_SH), "cluster-id"], env=env, capture_output=True, text=True).stdout
    assert (settings.data_dir / CLUSTER_ID_FILE).read_text() == cluster_id  # noted for the next start


def test_the_state_check_asks_for_the_changelogs_metadata_once(
    pipeline_settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """state56's check asked three times: the client's bootstrap (no topic), the changelogs by name (the cluster id
    with them), and the changelogs again, the client's own refresh before ListOffsets, knowing no leader of them."""
    settings = pipeline_settings
    index, clusters = (changelog_topic(settings, table) for table in DEDUP_TABLES)

    async def make_index_changelog() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(index, 1, 1, topic_configs={"cleanup.policy": "compact"})])
        finally:
            await admin.close()

    asyncio.run(make_index_changelog())
    for _ in range(WAIT):  # a topic just made is listed without a leader for a moment: the view leaves it out
        if asyncio.run(broker_view(settings, [(index, 0)])).ends.get((index, 0)) == 0:
            break
    requests: Counter[str] = Counter()
    send = AIOKafkaConnection.send

    def counted(connection: AIOKafkaConnection, request, expect_response: bool = True):
        requests[type(request).__name__] += 1
        return send(connection, request, expect_response=expect_response)

    monkeypatch.setattr(AIOKafkaConnection, "send", counted)
    view = asyncio.run(broker_view(settings, [(index, 0), (clusters, 0)]))
    assert view.cluster_id and view.ends == {(index, 0): 0, (clusters, 0): None}
    assert (requests["MetadataRequest"], requests["OffsetRequest"]) == (2, 1)  # the bootstrap's, and the changelogs'
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]  # a changelog not made yet
