"""Throughput, latency and memory of the dedup index alone, filled with up to a million articles.

    python -m bench.dedup_throughput --size 1000000      # the full run: a few minutes, a few GB of RAM
    python -m bench.dedup_throughput --size 50000        # a quick look

Bodies are synthesised from the Reuters corpus by recombining its sentences (so that they do not collide);
one article in ten is a republished copy of a recent one (trimmed, or with boilerplate). The clock runs
around ``DedupIndex.decide`` only (sketch, LSH lookup, verification, insertion, compaction when the arrays
fill up), on one thread: articles/s is per core. Also printed, on a smaller sample in the same run: the
whole ``DedupStage`` per article (JSON decode, schema check, outputs), and the walking skeleton's index
(rensa RMinHash objects in an RMinHashLSH of 32 bands) as the baseline.
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
from workers.dedup import DedupIndex, DedupOptions
from workers.pipeline import DedupStage, Message
from workers.records import SCHEMA_VERSION, CleanArticle, Origin
from workers.settings import Settings

COPY_EVERY = 10  # one article in ten is a copy of a recent one
SENTENCES_PER_ARTICLE = (6, 16)  # 150 to 400 words, around the corpus's median story


def sentence_pool() -> list[str]:
    """Every sentence of the Reuters bodies, once."""
    pool = {s for story in syndication.reuters_bodies() for p in story["paragraphs"] for s in syndication.sentences(p)}
    return sorted(s for s in pool if len(s.split()) >= 6)


def articles(size: int, seed: int) -> Iterator[tuple[str, str]]:
    """``size`` (id, text) pairs: recombined sentences, with copies of recent articles mixed in."""
    rng, pool, recent = random.Random(seed), sentence_pool(), []
    for n in range(size):
        if recent and n % COPY_EVERY == 0:
            edit = rng.choice((syndication.truncate, syndication.boilerplate))
            paragraphs = edit(rng.choice(recent), rng)
        else:
            chosen = rng.sample(pool, rng.randint(*SENTENCES_PER_ARTICLE))
            paragraphs = [" ".join(chosen[i : i + 3]) for i in range(0, len(chosen), 3)]
            recent = [*recent[-999:], paragraphs]
        yield f"a{n}", "\n\n".join(paragraphs)


def rss_bytes() -> int:
    """Resident memory of this process."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def timed(items: Iterator[tuple[str, str]], decide: Callable[[str, str], object]) -> np.ndarray:
    """Seconds taken by ``decide`` on each item."""
    seconds = []
    for article_id, text in items:
        started = time.perf_counter()
        decide(article_id, text)
        seconds.append(time.perf_counter() - started)
    return np.array(seconds)


def summary(name: str, seconds: np.ndarray) -> None:
    """Print articles/s and latency percentiles."""
    p50, p99 = np.percentile(seconds, [50, 99]) * 1e6
    print(f"{name}: {len(seconds)} articles, {len(seconds) / seconds.sum():,.0f} articles/s on one core, ")
    print(f"    p50 {p50:.0f} us, p99 {p99:.0f} us, max {seconds.max() * 1e3:.0f} ms per article")


def run_index(size: int, seed: int) -> None:
    """The index filled with ``size`` articles."""
    index, before = DedupIndex(DedupOptions()), rss_bytes()
    hashes = ((a, t, content_hash(t)) for a, t in articles(size, seed))
    seconds = []
    for article_id, text, digest in hashes:
        started = time.perf_counter()
        index.decide(article_id, digest, text, 0.0)
        seconds.append(time.perf_counter() - started)
    summary("dedup index", np.array(seconds))
    counted, grown = index.nbytes() / len(index), (rss_bytes() - before) / len(index)
    print(f"    index holds {len(index)} articles: {counted:.0f} bytes per article (arrays, id strings, id map)")
    print(f"    process RSS grew {grown:.0f} bytes per article")


def run_baseline(size: int, seed: int) -> None:
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

    summary("baseline (RMinHash + RMinHashLSH, 32 bands)", timed(articles(size, seed), decide))
    print(f"    process RSS grew {(rss_bytes() - before) / len(kept):.0f} bytes per article")


def run_stage(size: int, seed: int) -> None:
    """The whole stage: clean records in, outputs out."""
    stage = DedupStage(Settings())
    origin = Origin(topic="articles.clean", partition=0, offset=0, timestamp_ms=None)
    payloads = [codec.dumps(_clean_record(a, t, origin)) for a, t in articles(size, seed)]
    seconds = timed(((str(n), p) for n, p in enumerate(payloads)), lambda _, p: stage.process([Message(p, origin)]))
    summary("whole DedupStage (JSON decode, schema check, decision, outputs)", seconds)


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
    parser.add_argument("--size", type=int, default=1_000_000, help="articles put in the index")
    parser.add_argument("--sample", type=int, default=20_000, help="articles for the stage and the baseline")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    run_index(args.size, args.seed)
    run_stage(min(args.sample, args.size), args.seed)
    run_baseline(min(args.sample, args.size), args.seed)


if __name__ == "__main__":
    main()
