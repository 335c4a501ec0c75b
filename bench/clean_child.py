"""The clean stage in a child process under a CPU limit (``workers.child``) against the stage in this process.

    nice python -m bench.clean_child                    # every measure below, on every set (about 10 minutes here)
    nice python -m bench.clean_child --measures costs   # the CPU each message costs, to choose the limit

- costs: the CPU time each message costs through the stage here (``CleanStage.process`` of that message alone),
  per set and kind: the most, the 99th percentile, and the message; the limit is a margin over the most.
- overhead: every message through the stage here and through the child, in batches of the clean agent's size,
  alternated (here, child, here, child): wall time and CPU time (this process and the child's) per message.
- identical: each message's outputs through the child are the bytes it has here (a dead letter's ``failed_at``
  aside, the time it was made).
- restart: the time to replace a killed child (a new one started from the forkserver, its stage built), the child's
  memory (RSS, and PSS: its pages shared with the forkserver and other children counted in part) and this
  process's RSS before and after the child started.

Sets (read from ``../shared``): AEB and L3S-GN1 (all 802 pages) as ``html`` and as ``text`` (the page rendered as a
tag-dropping scraper does), Reuters-21578 (``--reuters`` bodies, default 3,000) as ``text`` and as ``body``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import signal
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.clean_eval import DEFAULT_AEB, DEFAULT_L3S, DEFAULT_REUTERS, FETCHED, load_pages, load_reuters, sent_on
from workers import codec
from workers.app import CLEAN_BATCH
from workers.child import ChildStage
from workers.pipeline import CLEAN_PRELOAD, CleanStage, Message, Output, StageRunner
from workers.settings import Settings

ROUNDS = 2  # each way, alternated
RESTARTS = 5


def messages_of(kind: str, items: Sequence[tuple[str, str, str | None]], fetched: object) -> list[Message]:
    """Raw messages of ``kind`` carrying each (id, page, url), sent on the set's crawl day (None: no time)."""
    origin = sent_on(fetched)
    return [
        Message(json.dumps({"id": name, "source": "eval", "url": url, kind: page}).encode(), {**origin, "offset": n})
        for n, (name, page, url) in enumerate(items)
    ]


def load_sets(reuters: int) -> dict[str, list[Message]]:
    """Each set and kind's raw messages."""
    sets: dict[str, list[Message]] = {}
    for name, folder in (("aeb", DEFAULT_AEB), ("l3s", DEFAULT_L3S)):
        pages = load_pages(folder, None)
        sets[f"{name} html"] = messages_of("html", [(p.id, p.html, p.url) for p in pages], FETCHED[name])
        sets[f"{name} text"] = messages_of("text", [(p.id, p.text, p.url) for p in pages], FETCHED[name])
    bodies = load_reuters(DEFAULT_REUTERS, 0, reuters)
    for kind in ("text", "body"):
        sets[f"reuters {kind}"] = messages_of(kind, [(i, body, None) for i, body in bodies], None)
    return sets


def costs(stage: CleanStage, sets: dict[str, list[Message]]) -> None:
    """Print the CPU time each set's messages cost through the stage, one message a call."""
    print("| set | messages | most CPU (s) | its message | p99 (s) | median (ms) |\n|---|---|---|---|---|---|")
    for name, messages in sets.items():
        spent = []
        for message in messages:
            started = time.thread_time()
            stage.process([message])
            spent.append(time.thread_time() - started)
        most = max(range(len(spent)), key=spent.__getitem__)
        p99 = statistics.quantiles(spent, n=100)[98]
        print(
            f"| {name} | {len(spent)} | {spent[most]:.3f} | {json.loads(messages[most].payload)['id']} | "
            f"{p99:.3f} | {1000 * statistics.median(spent):.1f} |"
        )


def in_batches(stage: StageRunner, messages: list[Message]) -> list[list[Output]]:
    """Each message's outputs, the messages processed in batches of the clean agent's size."""
    batches = (messages[at : at + CLEAN_BATCH] for at in range(0, len(messages), CLEAN_BATCH))
    return [group for batch in batches for group in stage.process(batch)]


def child_cpu(pid: int) -> float:
    """A process's CPU time so far (user and system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(stage: StageRunner, messages: list[Message], pid: int | None) -> tuple[float, float, list[list[Output]]]:
    """Wall and CPU seconds (this process's and the child's) to run ``messages`` through ``stage``, and its outputs."""
    child_before = child_cpu(pid) if pid else 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    outputs = in_batches(stage, messages)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu + (child_cpu(pid) - child_before if pid else 0.0), outputs


def comparable(group: list[Output]) -> list[bytes]:
    """A message's outputs as published, a dead letter's time of making aside."""
    values = []
    for output in group:
        record = output.record
        if output.destination == "deadletter":
            record = {**record, "failed_at": None}
        values.append(output.destination.encode() + b" " + codec.dumps(record))
    return values


def overhead(here: CleanStage, child: ChildStage, sets: dict[str, list[Message]]) -> None:
    """Print each set's per-message cost here and through the child, alternated, and whether the outputs agree."""
    print("\n| set | messages | here: wall / CPU (ms a message) | child: wall / CPU (ms a message) | identical |")
    print("|---|---|---|---|---|")
    for name, messages in sets.items():
        runs: dict[str, list[tuple[float, float]]] = {"here": [], "child": []}
        seen: dict[str, list[list[bytes]]] = {}
        for _ in range(ROUNDS):
            for way, stage, pid in (("here", here, None), ("child", child, child.pid)):
                wall, cpu, outputs = timed(stage, messages, pid)
                runs[way].append((wall, cpu))
                seen[way] = [comparable(group) for group in outputs]
        differ = sum(a != b for a, b in zip(seen["here"], seen["child"], strict=True))
        cells = [
            " / ".join(f"{1000 * s / len(messages):.2f}" for s in (min(w for w, _ in r), min(c for _, c in r)))
            for r in runs.values()
        ]
        print(f"| {name} | {len(messages)} | {cells[0]} | {cells[1]} | {'yes' if not differ else f'{differ} differ'} |")


def memory(pid: int) -> tuple[float, float]:
    """A process's RSS and PSS, MiB."""
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    rss, pss = (int(re.search(rf"^{key}:\s+(\d+) kB", rollup, re.M).group(1)) / 1024 for key in ("Rss", "Pss"))
    return rss, pss


def restart(child: ChildStage, probe: Message) -> None:
    """Print the time to replace a killed child, and its memory."""
    spent = []
    for _ in range(RESTARTS):
        ended = child.pid
        os.kill(ended, signal.SIGKILL)
        while child.alive():
            time.sleep(0.01)
        started = time.perf_counter()
        child.process([probe])  # found ended before the message: replaced, then the message processed
        spent.append(time.perf_counter() - started)
    rss, pss = memory(child.pid)
    print(
        f"\nrestart: median {1000 * statistics.median(spent):.0f} ms, most {1000 * max(spent):.0f} ms "
        f"({RESTARTS} replacements, the probe message included); child RSS {rss:.0f} MiB, PSS {pss:.0f} MiB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reuters", type=int, default=3000, help="how many Reuters bodies")
    parser.add_argument(
        "--measures", default="costs,overhead,restart", help="comma-separated: costs, overhead, restart"
    )
    parser.add_argument("--limit", type=int, default=Settings().clean_cpu_limit_seconds or 10, help="the child's limit")
    args = parser.parse_args(argv)
    settings = Settings(clean_cpu_limit_seconds=0)
    measures = args.measures.split(",")
    sets = load_sets(args.reuters)
    here = CleanStage(settings)
    if "costs" in measures:
        costs(here, sets)
    before = memory(os.getpid())[0]
    make: Callable[[], CleanStage] = functools.partial(CleanStage, settings)
    with ChildStage("clean", make, args.limit, CLEAN_PRELOAD) as child:
        print(
            f"\nthis process: RSS {before:.0f} MiB before the child started, {memory(os.getpid())[0]:.0f} after; "
            f"child RSS {memory(child.pid)[0]:.0f} MiB"
        )
        if "overhead" in measures:
            overhead(here, child, sets)
        if "restart" in measures:
            restart(child, sets["reuters body"][0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
