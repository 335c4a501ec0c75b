"""Peak memory of a tagging process on one long article: the stage as configured against the whole text in one call.

Each measurement runs in a fresh process (a process's peak RSS only grows): the models load as the worker loads
them, an ordinary article warms the stage, then ``EntitiesStage.process`` tags one article of N characters of
Reuters stories joined (``../shared/corpus``). The baseline, in the same run, is the same process with
``ENRICH_NER_BATCH_CHARS`` above the text's length, so spaCy tags it in one call, as before pieces. The figure to
hold against a pod's memory limit is the stage's peak at ``ENRICH_MAX_TEXT_CHARS`` (docs: Entities, Memory).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile

import orjson

from bench.entities import CORPUS


def reuters_text(chars: int) -> str:
    """Reuters stories joined by blank lines until the text holds ``chars`` characters (cut there)."""
    parts, size = [], 0
    with gzip.open(CORPUS) as lines:
        for line in lines:
            text = (orjson.loads(line).get("text") or "").strip()
            if text:
                parts.append(text)
                size += len(text) + 2
            if size >= chars:
                break
    return "\n\n".join(parts)[:chars]


def unique_record(chars: int) -> bytes:
    """The record dedup publishes for an article of ``chars`` characters of Reuters stories sent as a feed's body."""
    from workers import codec
    from workers.clean import CleanOptions, clean_article
    from workers.records import Origin

    raw = {"id": "x", "url": None, "source": "Reuters", "title": "Reuters stories", "published_at": None}
    origin = Origin(topic="articles.raw", partition=0, offset=0, timestamp_ms=None)
    cleaned = clean_article(raw | {"body": reuters_text(chars)}, origin, CleanOptions())
    return codec.dumps({key: value for key, value in cleaned.items() if key != "sketch"} | {"cluster_id": "cl-x"})


def measure(path: str, french: bool) -> dict[str, float]:
    """In this process: the models loaded, then the peak RSS in MiB of tagging the record at ``path``."""
    from workers.nlp import load_pipelines
    from workers.pipeline import EntitiesStage, Message
    from workers.records import Origin
    from workers.settings import Settings

    settings = Settings(metrics_port=0)
    pipelines = load_pipelines(settings)
    if french:
        pipelines.get("fr")
    stage = EntitiesStage(settings, pipelines)
    origin = Origin(topic="articles.unique", partition=0, offset=0, timestamp_ms=None)
    stage.process([Message(unique_record(3000), origin)])  # an ordinary article first: the stage's own allocations
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(path, "rb") as record:
        [[out]] = stage.process([Message(record.read(), origin)])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"loaded": loaded, "peak": peak, "published": out.destination == "enriched"}


def run(path: str, french: bool, batch_chars: int | None) -> dict[str, float]:
    """``measure`` in a fresh process, with ``ENRICH_NER_BATCH_CHARS`` set when given."""
    env = dict(os.environ) | ({"ENRICH_NER_BATCH_CHARS": str(batch_chars)} if batch_chars else {})
    args = [sys.executable, "-m", "bench.entities_memory", "--one", path] + (["--french"] if french else [])
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chars", default="100000,1000000", help="article lengths, comma-separated")
    parser.add_argument("--french", action="store_true", help="load the French model too, as a mixed feed does")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a measuring process: the record's file
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.french)))
        return
    print("| characters | models loaded, MiB | stage's peak, MiB | whole text in one call (baseline), MiB |")
    print("| ---: | ---: | ---: | ---: |")
    for chars in (int(value) for value in args.chars.split(",")):
        with tempfile.NamedTemporaryFile(suffix=".json") as record:
            record.write(unique_record(chars))
            record.flush()
            stage, whole = run(record.name, args.french, None), run(record.name, args.french, chars + 1)
        if not (stage["published"] and whole["published"]):
            raise SystemExit(f"an article of {chars:,} characters was not enriched")
        print(f"| {chars:,} | {stage['loaded']:,.0f} | {stage['peak']:,.0f} | {whole['peak']:,.0f} |")


if __name__ == "__main__":
    main()
