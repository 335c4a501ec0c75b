"""Throughput, latency and memory of the dedup index alone, holding a million articles.

    python -m bench.dedup_throughput --size 1000000      # the full run: a few minutes, a few GB of RAM
    python -m bench.dedup_throughput --size 50000        # a quick look

Bodies are synthesised from the Reuters corpus by recombining its sentences (so that they do not collide);
one article in ten is a republished copy of a recent one (trimmed, or with boilerplate); with
``--copies-of-copies 0.33``, one in three is a trim, a wrapper or a lead of one of the last 200, copies of copies
included (the path where the second-witness rule scores a cluster's anchor the LSH did not propose). Event times advance
so that the 7-day window holds ``--size`` articles: the index fills up over the first ``--size`` articles
(untimed), then the next ``--measure`` articles are timed in steady state, each evicting an old one.

The index is fed as the dedup worker feeds it: batches of ``--batch`` articles with the text forms of the sketches
the parallel clean workers made (``Sketcher.sketch_many`` and ``Sketches.texts``, timed separately: its articles/s is
per core of the clean stage); the index reads them for the batch at once. Printed, on one thread (so articles/s is
per core): the index (``DedupIndex.decide_many``: reading the sketches, LSH walks, verification, insertion,
eviction), sketching, and both together; latency per batch (every article of a batch waits for its batch);
bytes per indexed article; and, on ``--sample`` articles in the same run, the whole
``DedupStage`` (JSON decode, schema check, decision, outputs) and the baseline, the walking skeleton's index
(rensa RMinHash objects in an RMinHashLSH of 32 bands, one article at a time). The index and the baseline are
also given per second of the thread's CPU time: on a shared, loaded machine the wall clock counts the time other
processes held the core, and those two figures are the ones to compare between runs.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Iterator

import numpy as np
from rensa import RMinHash, RMinHashLSH

from bench import syndication
from workers import codec
from workers.clean.normalize import content_hash
from workers.dedup import DedupIndex, DedupOptions, sketch_record
from workers.dedup.sketch import Sketcher
from workers.pipeline import DedupStage, Message, dedup_options
from workers.records import SCHEMA_VERSION, CleanArticle, Origin
from workers.settings import Settings

COPY_EVERY = 10  # one article in ten is a copy of a recent one
SENTENCES_PER_ARTICLE = (6, 16)  # 150 to 400 words, around the corpus's median story


def sentence_pool() -> list[str]:
    """Every sentence of the Reuters bodies, once."""
    pool = {s for story in syndication.reuters_bodies() for p in story["paragraphs"] for s in syndication.sentences(p)}
    return sorted(s for s in pool if len(s.split()) >= 6)


def articles(size: int, seed: int, copies_of_copies: float = 0.0) -> Iterator[tuple[str, str]]:
    """``size`` (id, text) pairs: recombined sentences, with copies of recent articles mixed in.

    ``copies_of_copies``: instead, this share of the articles (one in ``round(1 / share)``) are copies of one of
    the last 200 articles, copies included (a trim, a wrapper or a lead of a copy): clusters whose anchor the LSH
    does not always propose, so the second-witness rule scores it on demand.
    """
    every, edits, reach = COPY_EVERY, (syndication.truncate, syndication.boilerplate), 1000
    if copies_of_copies:
        every, edits, reach = round(1 / copies_of_copies), (*edits, syndication.lead), 200
    rng, pool, recent = random.Random(seed), sentence_pool(), []
    for n in range(size):
        copy = bool(recent) and n % every == 0
        if copy:
            edit = rng.choice(edits)
            paragraphs = edit(rng.choice(recent[-reach:]), rng)
        else:
            chosen = rng.sample(pool, rng.randint(*SENTENCES_PER_ARTICLE))
            paragraphs = [" ".join(chosen[i : i + 3]) for i in range(0, len(chosen), 3)]
        if copies_of_copies or not copy:
            recent = [*recent[-999:], paragraphs]
        yield f"a{n}", "\n\n".join(paragraphs)


def rss_bytes() -> int:
    """Resident memory of this process."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def timed(items: Iterator[tuple[str, str]], decide: Callable[[str, str], object]) -> tuple[np.ndarray, float]:
    """Seconds taken by ``decide`` on each item, and the CPU seconds of this thread they took in all."""
    seconds, cpu = [], 0.0
    for article_id, text in items:
        started, cpu_started = time.perf_counter(), time.thread_time()
        decide(article_id, text)
        seconds.append(time.perf_counter() - started)
        cpu += time.thread_time() - cpu_started
    return np.array(seconds), cpu


def summary(name: str, seconds: np.ndarray, cpu: float) -> None:
    """Print articles/s (by the wall clock and by this thread's CPU time) and latency percentiles."""
    p50, p99 = np.percentile(seconds, [50, 99]) * 1e6
    print(f"{name}: {len(seconds)} articles, {len(seconds) / seconds.sum():,.0f} articles/s on one core, ")
    print(f"    {len(seconds) / cpu:,.0f} articles/s per second of this thread's CPU")
    print(f"    p50 {p50:.0f} us, p99 {p99:.0f} us, max {seconds.max() * 1e3:.0f} ms per article")


def batches(
    size: int, seed: int, batch: int, spacing: float, copies_of_copies: float = 0.0
) -> Iterator[list[tuple[str, str, str, float]]]:
    """Batches of (id, content hash, text, event time), ``spacing`` seconds of event time apart."""
    chunk = []
    for n, (article_id, text) in enumerate(articles(size, seed, copies_of_copies)):
        chunk.append((article_id, content_hash(text), text, n * spacing))
        if len(chunk) == batch:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_index(size: int, measure: int, batch: int, seed: int, copies_of_copies: float = 0.0) -> None:
    """The index filled with ``size`` articles (untimed), then ``measure`` more timed in steady state."""
    options = DedupOptions()
    index, sketcher, before = DedupIndex(options), Sketcher(options.num_perm, options.shingle_words), rss_bytes()
    sketch_seconds, index_seconds, index_cpu, per_batch, done, held = 0.0, 0.0, 0.0, [], 0, None
    for chunk in batches(size + measure, seed, batch, options.window_seconds / size, copies_of_copies):
        started = time.perf_counter()
        sketches = sketcher.sketch_many([text for _, _, text, _ in chunk]).texts()  # as the records bring them
        sketched, cpu = time.perf_counter(), time.thread_time()
        index.decide_many([(*article, sketch) for article, sketch in zip(chunk, sketches, strict=True)])
        finished, cpu = time.perf_counter(), time.thread_time() - cpu
        index.drain_evicted()
        index.drain_departed()
        index.drain_closed()
        if held is not None:
            sketch_seconds += sketched - started
            index_seconds += finished - sketched
            index_cpu += cpu
            per_batch.append((finished - sketched, finished - started))
        done += len(chunk)
        if held is None and done >= size:
            held, counted, grown = len(index), index.nbytes() / len(index), (rss_bytes() - before) / len(index)
    timed = done - held
    print(f"dedup index holding {held:,} articles, {timed:,} more timed in batches of {batch} (1 core):")
    print(f"    index (sketches made by the clean stage): {timed / index_seconds:,.0f} articles/s")
    # On a shared machine the wall clock counts the time other processes held the core: the thread's CPU time
    # is what one core spent on the index (cache contention from the others still slows it).
    print(f"    index, per second of this thread's CPU:   {timed / index_cpu:,.0f} articles/s")
    print(f"    sketching (in the clean stage, per core): {timed / sketch_seconds:,.0f} articles/s")
    print(f"    both on one thread:                       {timed / (index_seconds + sketch_seconds):,.0f} articles/s")
    for name, seconds in (("index", [i for i, _ in per_batch]), ("sketch + index", [t for _, t in per_batch])):
        p50, p99 = np.percentile(seconds, [50, 99]) * 1e3
        print(f"    {name} time per batch: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(seconds) * 1e3:.0f} ms")
    print(f"    {counted:.0f} bytes per indexed article (arrays, id strings, id map); process RSS grew {grown:.0f}")
    print(f"    after the timed part: {len(index):,} articles held")


def run_baseline(size: int, seed: int, copies_of_copies: float = 0.0) -> None:
    """The walking skeleton's index: RMinHash objects of string shingles in rensa's LSH, 32 bands."""
    lsh, kept, before = RMinHashLSH(threshold=0.7, num_perm=128, num_bands=32), {}, rss_bytes()

    def decide(article_id: str, text: str) -> None:
        words = text.lower().split()
        minhash = RMinHash(num_perm=128, seed=1)
        minhash.update([" ".join(words[i : i + 5]) for i in range(max(len(words) - 4, 1))])
        for key in lsh.query(minhash):
            minhash.jaccard(kept[key])
        key = len(kept)
        kept[key] = minhash
        lsh.insert(key, minhash)

    summary("baseline (RMinHash + RMinHashLSH, 32 bands)", *timed(articles(size, seed, copies_of_copies), decide))
    print(f"    process RSS grew {(rss_bytes() - before) / len(kept):.0f} bytes per article")


def run_stage(size: int, batch: int, seed: int, copies_of_copies: float = 0.0) -> None:
    """The whole stage: batches of clean records (sketched, as the clean stage sends them) in, outputs out."""
    settings = Settings()
    stage, options = DedupStage(settings), dedup_options(settings)
    sketcher = Sketcher(options.num_perm, options.shingle_words)
    origin = Origin(topic="articles.clean", partition=0, offset=0, timestamp_ms=None)
    texts = list(articles(size, seed, copies_of_copies))
    encoded = sketcher.sketch_many([text for _, text in texts]).texts()
    payloads = [
        codec.dumps({**_clean_record(a, t, origin), "sketch": sketch_record(sketch, options)})
        for (a, t), sketch in zip(texts, encoded, strict=True)
    ]
    seconds = []
    for start in range(0, size, batch):
        chunk = [Message(payload, origin) for payload in payloads[start : start + batch]]
        started = time.perf_counter()
        stage.process(chunk)
        seconds.append((time.perf_counter() - started) / len(chunk))
    print(f"whole DedupStage (JSON decode, schema check, decision, outputs), {size:,} articles in batches of {batch}:")
    print(f"    {size / (sum(seconds) * batch):,.0f} articles/s on one core")


def _clean_record(article_id: str, text: str, origin: Origin) -> CleanArticle:
    wire = {"agency": None, "dateline": None, "city": None, "date": None, "trailer": None}
    return CleanArticle(
        schema_version=SCHEMA_VERSION,
        id=article_id,
        url=None,
        source="bench",
        title=None,
        published_at=None,
        language="en",
        text=text,
        content_hash=content_hash(text),
        input_kind="text",
        wire=wire,
        origin=origin,
    )


def main() -> None:
    """Run the three measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="articles the index holds")
    parser.add_argument("--measure", type=int, default=200_000, help="articles timed once the index holds --size")
    parser.add_argument("--batch", type=int, default=Settings().dedup_batch_size, help="articles per batch")
    parser.add_argument("--sample", type=int, default=20_000, help="articles for the stage and the baseline")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--copies-of-copies",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="this share of the articles copies of one of the last 200, copies included (e.g. 0.33)",
    )
    args = parser.parse_args()
    if not 0.0 <= args.copies_of_copies <= 1.0:
        parser.error("--copies-of-copies is a share between 0 and 1")
    run_index(args.size, args.measure, args.batch, args.seed, args.copies_of_copies)
    run_stage(min(args.sample, args.size), args.batch, args.seed, args.copies_of_copies)
    run_baseline(min(args.sample, args.size), args.seed, args.copies_of_copies)


if __name__ == "__main__":
    main()
