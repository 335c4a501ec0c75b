"""Faults, many times over: does any raw message fail to end up in exactly one place?

Each run makes topics and a consumer group of its own, starts a worker (``python -m workers worker``, every
stage), produces a batch of synthetic articles (``tests.synthetic``: 5% exact copies, 2% malformed), and at
a random moment (once a random share of the outputs is out) injects one fault:

- ``join``: a second worker starts, and leaves (SIGTERM) at a second random moment; the batch's last 40%, past
  the fault's latest moment, is produced only once the second worker is about to join (its web server up), so that
  its join lands with work pending and it gets some (produced at once, 1,200 articles had been read to their
  end, and nearly all tagged, by the time the second worker joined);
- ``kill``: the worker is killed (SIGKILL) and a new one started;
- ``broker``: the broker is stopped and started again, down for a random 2 to 8 s;
- ``term``: the worker is stopped (SIGTERM) and a new one started.

Then it waits until the group has committed ``articles.raw``, ``articles.clean`` and ``articles.unique`` to
their ends (lag 0), stops the workers, and accounts for every id on the output topics. Per scenario it prints:
runs, faults that ended with work still pending (mid-stream), ids lost, ids in more than one place, ids in one
place but the wrong one (``tests.synthetic.misplaced``), records delivered twice, those of them beyond the
replay of the work uncommitted when a killed or stopped worker went (a join or a broker restart has no such
moment, and its "beyond" reads "-": a revocation commits the work done, but a replay after a revocation whose
commit failed, or a producer's retry across the restart, would be at-least-once, not a write after the commit;
its records twice are in "twice" alone, and any keeps the run's logs), output records appended after the commit
that covered their message (``written_late``: such a write),
workers that did not exit 0 on SIGTERM, the longest recovery (from the end of the fault to the group's first
commit that moves) and the longest drain (from the end of the fault to lag 0).

    python -m bench.faults --runs 20 --busy            # the issue's goal: one core taken by a busy process
    python -m bench.faults --scenarios kill --runs 3   # a quick look

It runs its own broker (deploy/kafka/kafka.sh, ``--port``, default 21112) since one scenario restarts it; the
ports it uses are P to P+39 of ``--port P``: the broker's, and its workers' metrics and web ports (``worker_ports``).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path

import orjson
from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError

from bench.entities import ROOT, WorkerProcess, broker, kafka, run_settings, worker_ports
from tests.busy import busy_core
from tests.ports import wait_ready as wait_web_ready
from tests.synthetic import Batch, make_batch, misplaced, output_placements, raw_id, record_id
from workers.kafka_io import (
    committed_lag,
    committed_offsets,
    end_offsets,
    produce_lines,
    read_to_end,
    wait_committed,
)
from workers.settings import STAGES, Settings, Stage
from workers.topics import ensure_topics

SCENARIOS = ("join", "kill", "broker", "term")
OUTPUTS = ("enriched", "duplicates", "deadletter")
ALL_STAGES = ",".join(STAGES)
FAULT_AT = (0.1, 0.6)  # the fault lands once this random share of the outputs is out: early to late mid-stream
BROKER_DOWN_SECONDS = (2.0, 8.0)  # a restart, not an outage: the workers' clients retry through it
PROGRESS_TIMEOUT = 600.0  # seconds for the outputs to reach the fault's moment on a loaded machine
COMMIT_TIMEOUT = 900.0  # seconds for the group to commit every source topic to its end after the fault
STOP_SECONDS = 60.0  # a worker given SIGTERM must exit within this
COMMIT_INTERVAL = 2.8  # seconds: Faust's broker_commit_interval, which the workers keep
COMMIT_POLL_SECONDS = 1.0  # how often the group's commits are read through a run, to tell outputs written after them
# The share of the feed a scenario produces itself, at its moment. Join: all past the latest moment of the join
# (FAULT_AT), produced as the second worker joins, so that the join lands with work pending whatever the moment.
HELD_BACK = {"join": 1 - FAULT_AT[1]}
STAGE_OUTPUTS = {"clean": ("clean",), "dedup": ("unique", "duplicates"), "entities": ("enriched",)}  # + dead letters


@dataclass(frozen=True)
class Judgement:
    """The accounting of one run's outputs."""

    lost: int
    several_places: int
    misplaced: int
    delivered_twice: int
    # Records delivered twice of ids whose work was not uncommitted at the fault; None where the fault has no moment
    # to take that work at (join, broker: ``Snapshot``).
    twice_beyond: int | None

    @property
    def unexplained(self) -> int:
        """Records twice no replay counted at the fault explains: beyond it, or every one where none was counted."""
        return self.delivered_twice if self.twice_beyond is None else self.twice_beyond


def judge(batch: Batch, found: dict[str, list[dict]], redone: set[str] | None) -> Judgement:
    """Judge the output records of each raw id (``output_placements``) against the batch; ``redone``: the ids whose
    outputs were out uncommitted when the worker went, which a replay may deliver twice (None: not known, no worker
    went at one moment). Any other id delivered twice was written again after its message was committed, which no
    fault excuses."""
    extra = {i: len(records) - 1 for i, records in found.items()}
    return Judgement(
        lost=len(batch.ids - set(found)),
        several_places=sum(1 for records in found.values() if len({r["output"] for r in records}) > 1),
        misplaced=len(misplaced(batch, found)),
        delivered_twice=sum(extra.values()),
        twice_beyond=None if redone is None else sum(n for i, n in extra.items() if i not in redone),
    )


@dataclass
class Outcome:
    """What one run of a scenario left behind."""

    verdict: Judgement
    late: int  # output records written after their messages were seen committed (``written_late``)
    unclean_exits: int
    mid_stream: bool  # whether work was still pending when the fault ended
    recovery: float
    drain: float
    replayed: int | None = None  # messages published but not committed when the worker went (kill and term)
    replay_age: float = 0.0  # seconds from the oldest such publication to the fault


@dataclass
class Tally:
    """The runs of one scenario."""

    outcomes: list[Outcome] = field(default_factory=list)
    failed: int = 0  # runs that did not finish: a worker that never recovered, a commit that never came

    def row(self, name: str) -> str:
        runs = self.outcomes
        if not runs:
            return f"{name:<8} no finished run; {self.failed} failed"
        verdicts = [o.verdict for o in runs]
        twice = [v.delivered_twice for v in verdicts]
        beyond = [v.twice_beyond for v in verdicts if v.twice_beyond is not None]
        return (
            f"{name:<8} {len(runs):>4} {self.failed:>6} {sum(o.mid_stream for o in runs):>4} "
            f"{sum(v.lost for v in verdicts):>8} {sum(v.several_places for v in verdicts):>7} "
            f"{sum(v.misplaced for v in verdicts):>9} {sum(twice):>6} {max(twice):>7} "
            f"{sum(beyond) if beyond else '-':>6} {sum(o.late for o in runs):>4} "
            f"{sum(o.unclean_exits for o in runs):>7} "
            f"{max(o.recovery for o in runs):>13.1f} {max(o.drain for o in runs):>13.1f}{self.replays()}"
        )

    def replays(self) -> str:
        """Records replayed after the fault, as counted at it, against those delivered twice; the oldest one's age."""
        counted = [o for o in self.outcomes if o.replayed is not None]
        if not counted:
            return ""
        replayed, twice = sum(o.replayed or 0 for o in counted), sum(o.verdict.delivered_twice for o in counted)
        return (
            f"  uncommitted at the fault {replayed} (twice {twice}); oldest {max(o.replay_age for o in counted):.1f} s"
        )


HEADER = (
    "scenario runs failed mid ids_lost several misplaced twice max/run beyond late unclean longest_recov "
    "longest_drain (s)"
)


@dataclass
class Snapshot:
    """The moment a worker went: what its group had committed and how far each topic was written, and when."""

    committed: dict[tuple[str, int], int]
    ends: dict[tuple[str, int], int]
    at: float  # epoch seconds, as record timestamps are

    @classmethod
    def take(cls, settings: Settings) -> Snapshot:
        """Taken while no worker of the group runs: nothing can commit or publish in between."""
        topics = [settings.topic_raw, *(getattr(settings, f"topic_{o}") for o in (*OUTPUT_TOPICS, "deadletter"))]
        committed = asyncio.run(committed_offsets(settings, settings.consumer_group(STAGES)))
        return cls(committed, asyncio.run(end_offsets(settings, topics)), time.time())


OUTPUT_TOPICS = tuple(o for outputs in STAGE_OUTPUTS.values() for o in outputs)


# The output topics' records stamped by the broker as it appends them, not by the producer as it makes them
# (CreateTime): a record made before a commit but appended after it (a commit that overtook its outputs' acks) is
# then seen written after the commit (``written_late``), and none is seen written before it was.
APPENDED = {"message.timestamp.type": "LogAppendTime"}


async def make_topics(settings: Settings) -> None:
    """The run's topics (``ensure_topics``), the outputs of the stages stamped as ``APPENDED`` says from their creation
    on: a config altered later reaches the broker's logs a moment after the answer, and the first records kept their
    CreateTime."""
    outputs = [getattr(settings, f"topic_{o}") for o in (*OUTPUT_TOPICS, "deadletter")]
    await ensure_topics(settings, added=dict.fromkeys(outputs, APPENDED))


def read_topic(settings: Settings, topic: str) -> list[ConsumerRecord]:
    """Every record of ``topic`` up to its end offsets as of now."""

    async def read() -> list[ConsumerRecord]:
        return [record async for record in read_to_end(settings, topic)]

    return asyncio.run(read())


Reader = Callable[[str], list[ConsumerRecord]]


def topic_reader(settings: Settings) -> Reader:
    """``read_topic`` once a topic, when first asked: a run's judges read its topics after its workers stopped."""
    return cache(partial(read_topic, settings))


def stage_records(
    settings: Settings, records: Reader, until: Snapshot | None = None
) -> Iterator[tuple[Stage, ConsumerRecord, str, bool]]:
    """``(stage, record, raw id, read)``: each stage's output records and dead letters (``read`` False), then the
    messages of each stage's source topic (``read`` True); those written before ``until``, if given."""

    def before(record: ConsumerRecord) -> bool:
        return until is None or record.offset < until.ends.get((record.topic, record.partition), 0)

    letters = [(r, orjson.loads(r.value)) for r in records(settings.topic_deadletter) if before(r)]
    for stage, outputs in STAGE_OUTPUTS.items():
        for output in outputs:
            topic = records(getattr(settings, f"topic_{output}"))
            yield from ((stage, r, raw_id(r.key, r.value), False) for r in topic if before(r))
        yield from ((stage, r, record_id(letter), False) for r, letter in letters if letter["stage"] == stage)
    for stage in STAGE_OUTPUTS:
        source = records(settings.source_topic(stage))
        yield from ((stage, r, raw_id(r.key, r.value), True) for r in source if before(r))


def uncommitted_work(settings: Settings, records: Reader, snapshot: Snapshot) -> tuple[int, float, set[str]]:
    """Messages whose outputs were out at the snapshot while their offset was not committed: each is done again.

    Per stage: a message of its source topic at or past the group's commit whose record (or dead letter of that
    stage) is on an output topic below the snapshot's end offset. Each such message gives one record downstream
    twice, so the sum should match the records delivered twice. Also the age of the oldest such output: the
    work a stage had published since its last commit, which a commit every ``COMMIT_INTERVAL`` s bounds. And
    the ids of that work: a replay may deliver their records twice, no other's.
    """
    found = list(stage_records(settings, records, snapshot))
    uncommitted = {
        (stage, article_id)
        for stage, r, article_id, read in found
        if read and r.offset >= max(snapshot.committed.get((r.topic, r.partition), 0), 0)
    }
    done_again = [(r, i) for stage, r, i, read in found if not read and (stage, i) in uncommitted]
    oldest = min([snapshot.at, *(r.timestamp / 1000 for r, _ in done_again)])
    return len(done_again), snapshot.at - oldest, {article_id for _, article_id in done_again}


class CommitWatch:
    """The group's commits, as seen every ``COMMIT_POLL_SECONDS`` through a run, with when each was seen."""

    def __init__(self, settings: Settings) -> None:
        self.seen: list[tuple[float, dict[tuple[str, int], int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(settings,), daemon=True)
        self._thread.start()

    def _watch(self, settings: Settings) -> None:
        group = settings.consumer_group(STAGES)
        while not self._stop.wait(COMMIT_POLL_SECONDS):
            try:
                committed = asyncio.run(committed_offsets(settings, group))
            except (KafkaError, OSError):  # the broker away (its restart): nothing seen this time
                continue
            self.seen.append((time.time(), committed))

    def stop(self) -> list[tuple[float, dict[tuple[str, int], int]]]:
        self._stop.set()
        self._thread.join()
        return self.seen


def written_late(
    outputs: Iterable[tuple[Stage, str, float]],
    read: Mapping[tuple[Stage, str], list[tuple[tuple[str, int], int]]],
    seen: list[tuple[float, dict[tuple[str, int], int]]],
) -> int:
    """Output records written after every message of their id their stage read had been seen committed.

    ``outputs``: (stage, raw id, when written: appended, ``APPENDED``) of each output record; ``read``: per
    (stage, raw id), the source positions of the messages of that id (a replay upstream is a message of its own);
    ``seen``: the commits seen, and when. A commit covers only messages whose outputs are out, so such a record
    breaks "offsets committed only after outputs are written": its first copy came after the commit (a kill then
    would have lost it), or it is a copy written after its message was committed, which no fault excuses. A
    sampled check: a record written less than a poll after the commit goes unseen, but a record it counts is late
    for certain.
    """

    @cache
    def seen_committed(tp: tuple[str, int], offset: int) -> float:
        return min((at for at, committed in seen if committed.get(tp, -1) > offset), default=math.inf)

    late = 0
    for stage, article_id, written in outputs:
        positions = read.get((stage, article_id), [])
        late += bool(positions) and all(seen_committed(tp, offset) < written for tp, offset in positions)
    return late


def late_outputs(settings: Settings, records: Reader, seen: list[tuple[float, dict[tuple[str, int], int]]]) -> int:
    """``written_late`` of this run's topics; raises if the watch saw no commit (it would judge nothing late)."""
    if not any(committed for _, committed in seen):
        raise RuntimeError("the commit watch saw no commit of the group in the whole run")
    outputs, read = [], defaultdict(list)
    for stage, r, article_id, was_read in stage_records(settings, records):
        if was_read:
            read[stage, article_id].append(((r.topic, r.partition), r.offset))
        else:
            outputs.append((stage, article_id, r.timestamp / 1000))
    return written_late(outputs, read, seen)


def outputs_out(settings: Settings) -> int:
    """Records on the output topics so far (replays included)."""
    topics = [getattr(settings, f"topic_{o}") for o in OUTPUTS]
    return sum(asyncio.run(end_offsets(settings, topics)).values())


def wait_for_outputs(settings: Settings, at_least: int) -> None:
    """Block until ``at_least`` output records are out: the moment of a fault, chosen by progress."""
    deadline = time.monotonic() + PROGRESS_TIMEOUT
    while outputs_out(settings) < at_least:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {at_least} outputs after {PROGRESS_TIMEOUT:.0f} s")
        time.sleep(0.5)


def source_groups(settings: Settings) -> dict[str, str]:
    """Each source topic, in pipeline order, and the group that reads it (the one worker runs every stage)."""
    group = settings.consumer_group(STAGES)
    return {settings.source_topic(stage): group for stage in STAGES}


def recovery_seconds(settings: Settings, since: float) -> float:
    """Seconds from ``since`` (the end of a fault) until the group's commits move again, or all is committed."""
    groups = source_groups(settings)
    start = sum(asyncio.run(committed_lag(settings, groups)).values())
    while True:
        behind = sum(asyncio.run(committed_lag(settings, groups)).values())
        if behind == 0 or behind < start:
            return time.monotonic() - since
        if time.monotonic() - since > COMMIT_TIMEOUT:
            raise TimeoutError(f"no commit moved for {COMMIT_TIMEOUT:.0f} s after the fault")
        time.sleep(0.5)


def stop(worker: WorkerProcess) -> bool:
    """SIGTERM, as an orchestrator stops a worker; True if it exited 0 in time."""
    if worker.process.poll() is not None:
        return worker.process.returncode == 0
    worker.process.send_signal(signal.SIGTERM)
    try:
        return worker.process.wait(STOP_SECONDS) == 0
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait()
        return False


class Run:
    """One run: its settings, workers, batch and random moments."""

    def __init__(self, base: Settings, workdir: Path, rng: random.Random, articles: int, root: Path, port: int) -> None:
        """``port``: the broker's, the start of the run's port band (``worker_ports``)."""
        self.settings = run_settings(base)
        self.port = port
        self.workdir = workdir
        self.root = root
        self.rng = rng
        self.batch = make_batch(articles, seed=rng.randrange(2**31), prefix=self.settings.app_id)
        self.workers: list[WorkerProcess] = []  # those running (or that should be)
        self.started = 0
        self.unclean = 0
        self.snapshot: Snapshot | None = None  # taken when the only worker went (kill, term)
        self.held_back: Sequence[bytes] = ()  # the feed's part a scenario produces itself (``HELD_BACK``)

    def start_worker(self) -> WorkerProcess:
        ports = worker_ports(self.port, [worker.settings.web_port for worker in self.workers])
        worker = WorkerProcess(self.settings, ALL_STAGES, self.workdir, self.started, ports, self.root)
        self.started += 1
        self.workers.append(worker)
        return worker

    def stop_worker(self, worker: WorkerProcess) -> None:
        """SIGTERM; a worker that does not exit 0 (or had already exited otherwise) is counted unclean."""
        self.workers.remove(worker)
        if not stop(worker):
            self.unclean += 1
            print(f"  worker {worker.log.name} exited {worker.process.returncode} on SIGTERM", file=sys.stderr)

    def kill_worker(self, worker: WorkerProcess) -> None:
        self.workers.remove(worker)
        worker.process.kill()
        worker.process.wait()

    def moment(self, low: float, high: float) -> None:
        """Wait until a random share, between ``low`` and ``high``, of the batch's outputs is out."""
        wait_for_outputs(self.settings, int(len(self.batch.messages) * self.rng.uniform(low, high)))


def wait_ready(worker: WorkerProcess) -> None:
    """Block until the worker's readiness page says ready: its stages built, and no rebalance under way."""
    wait_web_ready(worker.settings.web_port, PROGRESS_TIMEOUT)


def split_feed(messages: Sequence[bytes], held_back: float) -> tuple[Sequence[bytes], Sequence[bytes]]:
    """The feed produced at the start of a run and the part held back, its last ``held_back`` share (rounded down)."""
    cut = len(messages) - math.floor(len(messages) * held_back)
    return messages[:cut], messages[cut:]


def messages_in(worker: WorkerProcess) -> int:
    """The messages the worker's stages took in so far, by its metrics (0 if it does not serve them)."""
    return int(sum(v for sample, v in worker.metrics().items() if sample.startswith("enrich_messages_in_total")))


def join(run: Run, port: int) -> None:
    """The second worker starts at the fault's moment; the held-back feed is produced once it serves its web port,
    a second or so before it joins: the join's rebalance lands with that work pending, and the second worker gets
    some of it. The moment is the second worker's start, not its join: its start takes seconds (Faust's own)."""
    run.moment(*FAULT_AT)
    second = run.start_worker()
    wait_web_ready(second.settings.web_port, PROGRESS_TIMEOUT, "/livez", lambda: second.process.poll() is None)
    asyncio.run(produce_lines(run.settings, run.settings.topic_raw, run.held_back))
    wait_ready(second)  # it holds partitions now: its leaving is a second rebalance
    joined = outputs_out(run.settings)  # below the batch's size: the join landed with work pending
    run.moment(FAULT_AT[1], 0.9)
    print(
        f"  the second worker ready with {joined} of {len(run.batch.messages)} outputs out; took in "
        f"{messages_in(second)} messages",
        flush=True,
    )
    run.stop_worker(second)


def kill(run: Run, port: int) -> None:
    run.moment(*FAULT_AT)
    run.kill_worker(run.workers[0])
    run.snapshot = Snapshot.take(run.settings)
    run.start_worker()


def restart_broker(run: Run, port: int) -> None:
    run.moment(*FAULT_AT)
    kafka("stop", port)
    time.sleep(run.rng.uniform(*BROKER_DOWN_SECONDS))  # the fault itself: how long the broker is away
    started = kafka("start", port)
    if started.returncode != 0:
        raise RuntimeError(f"the broker did not start again:\n{started.stdout}\n{started.stderr}")


def term(run: Run, port: int) -> None:
    run.moment(*FAULT_AT)
    run.stop_worker(run.workers[0])
    run.snapshot = Snapshot.take(run.settings)
    run.start_worker()


FAULTS: dict[str, Callable[[Run, int], None]] = {
    "join": join,
    "kill": kill,
    "broker": restart_broker,
    "term": term,
}


def placements(settings: Settings, records: Reader | None = None) -> dict[str, list[dict]]:
    """Every output record of each raw id, as the output topics hold them now."""
    topics = {output: getattr(settings, f"topic_{output}") for output in OUTPUTS}
    read = records or partial(read_topic, settings)
    found = ((output, record) for output, topic in topics.items() for record in read(topic))
    return output_placements((output, orjson.loads(record.value)) for output, record in found)


def one_run(
    scenario: str, base: Settings, port: int, rng: random.Random, articles: int, root: Path, keep: Path | None = None
) -> Outcome:
    """One run of ``scenario``; the workers' logs are copied into ``keep`` when given (always when it finds a fault)."""
    with tempfile.TemporaryDirectory(prefix=f"faults-{scenario}-") as tmp:
        run = Run(base, Path(tmp), rng, articles, root, port)
        asyncio.run(make_topics(run.settings))
        watch = CommitWatch(run.settings)
        try:
            run.start_worker()
            first, run.held_back = split_feed(run.batch.messages, HELD_BACK.get(scenario, 0.0))
            asyncio.run(produce_lines(run.settings, run.settings.topic_raw, first))
            FAULTS[scenario](run, port)
            fault_over = time.monotonic()
            mid_stream = outputs_out(run.settings) < len(run.batch.messages)
            recovery = recovery_seconds(run.settings, fault_over)
            asyncio.run(wait_committed(run.settings, source_groups(run.settings), COMMIT_TIMEOUT))
            drain = time.monotonic() - fault_over
            for worker in list(run.workers):  # read once no worker runs: an output written late is counted too
                run.stop_worker(worker)
            records = topic_reader(run.settings)  # each topic read once, for the three judges
            replayed, age, redone = (None, 0.0, None)
            if run.snapshot:
                replayed, age, redone = uncommitted_work(run.settings, records, run.snapshot)
            verdict = judge(run.batch, placements(run.settings, records), redone)
            late = late_outputs(run.settings, records, watch.stop())
        except BaseException:
            print(f"  run failed; worker logs kept in {tmp}.kept", file=sys.stderr)
            subprocess.run(["cp", "-r", tmp, f"{tmp}.kept"], check=False)
            raise
        finally:
            for worker in list(run.workers):
                run.stop_worker(worker)
            watch.stop()
        if late or verdict.lost or verdict.several_places or verdict.misplaced or verdict.unexplained:
            subprocess.run(["cp", "-r", tmp, f"{tmp}.kept"], check=False)
            print(f"  {verdict}, {late} late: worker logs kept in {tmp}.kept", file=sys.stderr)
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for log in Path(tmp).glob("worker-*.log"):
                shutil.copy(log, keep / f"{run.settings.app_id}-{scenario}-{log.name}")
    return Outcome(verdict, late, run.unclean, mid_stream, recovery, drain, replayed, age)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, of {SCENARIOS}")
    parser.add_argument("--runs", type=int, default=3, help="runs of each scenario")
    parser.add_argument("--articles", type=int, default=1200, help="raw messages per run")
    parser.add_argument("--busy", action="store_true", help="keep one core busy with a `while True: pass` process")
    parser.add_argument("--seed", type=int, default=13, help="seed of the batches and the moments of the faults")
    parser.add_argument(
        "--port",
        type=int,
        default=21112,
        help="port of the broker this bench starts and restarts; it uses P to P+39 (its workers' too)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a checkout of earlier code (git archive REV | tar -x -C DIR) whose workers run each scenario too, "
        "at the same moments, after this checkout's",
    )
    parser.add_argument("--keep-logs", type=Path, help="a directory to copy every run's worker logs into")
    parser.add_argument(
        "--session-timeout",
        type=float,
        help="the workers' ENRICH_SESSION_TIMEOUT_SECONDS (heartbeat a tenth of it); the settings' default without it",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda signum, _: sys.exit(128 + signum))  # stop the broker and workers too
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}")
    roots = {"this": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    tallies = {(code, s): Tally() for s in scenarios for code in roots}
    rng = random.Random(args.seed)
    with broker(args.port) as (bootstrap, _), busy_core(args.busy):
        session = args.session_timeout
        timeouts = {"session_timeout_seconds": session, "heartbeat_interval_seconds": session / 10} if session else {}
        base = Settings(bootstrap_servers=bootstrap, log_level="info", **timeouts)
        for n in range(args.runs):
            for scenario in scenarios:  # interleaved: a slow spell of the machine hits every scenario alike
                seed = rng.randrange(2**31)
                for code, root in roots.items():  # the same batch and moments for both codes
                    tally = tallies[code, scenario]
                    try:
                        outcome = one_run(
                            scenario, base, args.port, random.Random(seed), args.articles, root, args.keep_logs
                        )
                    except Exception as error:  # a failed run is a finding: count it, keep its logs, go on
                        tally.failed += 1
                        print(f"run {n + 1} {scenario} ({code}) FAILED: {error!r}", flush=True)
                        continue
                    tally.outcomes.append(outcome)
                    print(f"run {n + 1} {scenario} ({code}): {outcome}", flush=True)
            report(tallies, f"after {n + 1} of {args.runs} rounds x {args.articles} articles", args)


def report(tallies: dict[tuple[str, str], Tally], done: str, args: argparse.Namespace) -> None:
    print(f"\n{done}, busy core: {args.busy}, seed {args.seed}; code: this checkout, baseline {args.baseline}")
    print(f"code     {HEADER}")
    for (code, scenario), tally in tallies.items():
        print(f"{code:<8} {tally.row(scenario)}", flush=True)


if __name__ == "__main__":
    main()
