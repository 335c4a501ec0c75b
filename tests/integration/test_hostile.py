"""The hostile corpus through the real broker: each message comes out enriched or as a dead letter with its
reason, the worker survives all of it, and its peak memory is reported."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

from aiokafka import AIOKafkaProducer

from tests.busy import busy_core
from tests.conftest import SEED_PAGE_ID, seed_record
from tests.hostile import (
    ARTICLE,
    attribute_flood,
    hostile_messages,
    lower_case_lines,
    newsletter_flood,
    raw,
    svg_attributes,
)
from tests.integration.conftest import produce, produce_to, read_topic
from tests.synthetic import make_batch
from workers.clean import CleanOptions, clean_article
from workers.deadletters import original_bytes
from workers.kafka_io import end_offsets, wait_committed
from workers.records import Origin, RawArticle
from workers.security import client_options
from workers.settings import Settings

WAIT = 240  # seconds: 20 messages, two of them megabytes, through every stage on a shared machine


def topic(settings: Settings, output: str) -> str:
    return getattr(settings, f"topic_{output}")


def peak_rss_mib(pid: int) -> float:
    """The process's high-water resident memory (VmHWM), MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def test_hostile_corpus_through_the_broker(pipeline_settings: Settings, start_worker) -> None:
    settings = pipeline_settings
    corpus = hostile_messages(settings.max_message_bytes)
    worker = start_worker(settings)
    produce(settings, settings.topic_raw, [payload for payload, _ in corpus.values()])
    must_enrich = {f"hostile-{name}" for name, (_, error) in corpus.items() if error is None}
    dead = read_topic(settings, settings.topic_deadletter, len(corpus) - len(must_enrich), WAIT)
    # Several hostile messages carry the seed article itself: the first of them is enriched, the others come out
    # as its duplicates. Either way they came through whole.
    deadline = time.monotonic() + WAIT
    passed: list[dict] = []
    while {r["id"] for r in passed} < must_enrich and time.monotonic() < deadline:
        passed = [
            r for output in ("enriched", "duplicates") for r in read_topic(settings, topic(settings, output), 1, 2)
        ]
    assert {r["id"] for r in passed} == must_enrich
    expected_errors = {f"hostile-{n}": e for n, (_, e) in corpus.items() if e is not None}
    assert sorted(letter["error"] for letter in dead) == sorted(expected_errors.values())
    for letter in dead:
        assert letter["reason"], letter
        if letter["id"]:
            assert letter["error"] == expected_errors[letter["id"]], letter
    languages = {r["id"]: r["language"] for r in passed}
    assert (languages["hostile-chinese"], languages["hostile-arabic"], languages["hostile-russian"]) == (
        "zh",
        "ar",
        "ru",
    )
    assert worker.alive(), worker.log.read_text()[-3000:]
    print(f"\nhostile corpus: worker peak RSS {peak_rss_mib(worker.process.pid):.0f} MiB")


async def produce_tombstone(settings: Settings, topic: str) -> None:
    """Publish one record with a null value (a tombstone, as a compacting producer upstream writes)."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", **client_options(settings))
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=None, key=b"gone")
    finally:
        await producer.stop()


def test_a_null_valued_record_is_one_dead_letter_and_committed_past(pipeline_settings: Settings, start_worker) -> None:
    """Faust passes a tombstone's value as None: the clean worker dead-letters it and goes on (it exited 75 and
    read it again, for ever)."""
    settings = pipeline_settings
    asyncio.run(produce_tombstone(settings, settings.topic_raw))
    produce(settings, settings.topic_raw, [json.dumps(seed_record(SEED_PAGE_ID)).encode()])
    worker = start_worker(settings, "clean")
    asyncio.run(wait_committed(settings, {settings.topic_raw: settings.consumer_group(("clean",))}, WAIT))
    [letter] = read_topic(settings, settings.topic_deadletter, 1, 30)
    assert (letter["error"], letter["payload"], letter["id"], letter["stage"]) == ("invalid_json", "", None, "clean")
    assert [record["id"] for record in read_topic(settings, settings.topic_clean, 1, 30)] == [SEED_PAGE_ID]
    assert worker.alive()


def test_costly_messages_at_the_size_limit_hold_up_none_after_them(pipeline_settings: Settings, start_worker) -> None:
    """The messages that took the clean stage hours or seconds by the megabyte (a tag of 230,000 attributes, a line of
    190,000 "newsletter"s, 700,000 lines in lower case), each as large as a raw message may be, on one partition
    before ten articles: the tag is one dead letter with its reason and its bytes, the two runs of one word repeated
    are dropped from the article before them (``pagetext.is_word_run``), which is cleaned as every article after them
    is, and the group commits the partition to its end."""
    settings = pipeline_settings
    costly = {
        "attribute-flood": attribute_flood(settings.max_message_bytes),
        "newsletter-flood": newsletter_flood(settings.max_message_bytes),
        "lower-case-lines": lower_case_lines(settings.max_message_bytes),
    }
    articles = [raw(f"after-{n}", text=f"Article {n}.\n{ARTICLE}") for n in range(10)]
    produce_to(settings, [*costly.values(), *articles])  # one partition: in this order
    worker = start_worker(settings, "clean")
    asyncio.run(wait_committed(settings, {settings.topic_raw: settings.consumer_group(("clean",))}, WAIT))
    ends = asyncio.run(end_offsets(settings, [settings.topic_raw]))
    assert ends[(settings.topic_raw, 0)] == len(costly) + len(articles)
    [letter] = read_topic(settings, settings.topic_deadletter, 1, 30)
    assert (letter["id"], letter["error"]) == ("hostile-attribute-flood", "too_many_attributes")
    assert (letter["stage"], letter["origin"]["partition"]) == ("clean", 0)
    assert letter["reason"] and original_bytes(letter) == costly["attribute-flood"]
    runs = ["hostile-newsletter-flood", "hostile-lower-case-lines"]
    cleaned = {record["id"]: record for record in read_topic(settings, settings.topic_clean, len(articles) + 2, 30)}
    assert sorted(cleaned) == sorted([*runs, *(f"hostile-after-{n}" for n in range(10))])
    sent = RawArticle(id="article", url=None, source="Hostile", title=None, published_at=None, text=ARTICLE)
    article = clean_article(sent, Origin(topic="t", partition=0, offset=0, timestamp_ms=None), CleanOptions())
    assert [cleaned[name]["text"] for name in runs] == [article["text"]] * 2
    assert worker.alive(), worker.log.read_text()[-3000:]


def test_a_message_past_the_cpu_limit_is_one_dead_letter_and_the_worker_goes_on(
    pipeline_settings: Settings, start_worker
) -> None:
    """The SVG page no guard bounds (a tag of 80,000 attributes in an SVG style: over 10 s of CPU in resiliparse,
    holding the GIL) between six articles on one partition, a core busy: its message is a cpu_limit_exceeded dead
    letter with its bytes, the clean stage's child is replaced, every article is enriched, every stage commits its
    topic to the end, and the worker is the process it was (its event loop stopped behind the GIL: the liveness probe
    failed, it was restarted and read the page again)."""
    settings = pipeline_settings.model_copy(update={"clean_cpu_limit_seconds": 2})
    svg, articles = svg_attributes(80_000), make_batch(6, 0, "around")  # seed 0: six distinct articles
    assert not articles.deadletters and all(len(story) == 1 for story in articles.stories)
    values = [*articles.messages[:3], svg, *articles.messages[3:]]
    produce_to(settings, values)  # one partition: the page's offset 3
    group = settings.consumer_group(settings.stage_list)
    with busy_core():
        worker = start_worker(settings)
        pid = worker.process.pid
        topics = (settings.topic_raw, settings.topic_clean, settings.topic_unique)
        asyncio.run(wait_committed(settings, dict.fromkeys(topics, group), WAIT))
    ends = asyncio.run(end_offsets(settings, [settings.topic_raw]))
    assert ends[(settings.topic_raw, 0)] == len(values)
    [letter] = read_topic(settings, settings.topic_deadletter, 1, 30)
    assert (letter["error"], letter["stage"], letter["origin"]["offset"]) == ("cpu_limit_exceeded", "clean", 3)
    assert "SIGXCPU" in letter["reason"] and original_bytes(letter) == svg
    enriched = read_topic(settings, settings.topic_enriched, len(articles.ids), 30)
    assert sorted(record["id"] for record in enriched) == sorted(articles.ids)
    assert worker.alive() and worker.process.pid == pid, worker.log.read_text()[-3000:]
    assert "cpu_limit_exceeded" in worker.log.read_text()
