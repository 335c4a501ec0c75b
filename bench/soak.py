"""A soak: the whole chain on a real broker at a steady rate, with a broker restart and a rebalance mid-way.

Synthetic articles (``tests.synthetic``) are produced at ``--rate`` a second for ``--minutes``, their event
time (``published_at``) moving over ``--days`` (default 10) so that the dedup window (7 days by default)
fills and then evicts. One worker runs every stage; at 40% of the run the broker is stopped and started (down
5 s), at 60% a second worker joins (a rebalance) and stays. Every 5 s the harness samples the RSS of every
worker, the group's committed lag on the source topics and the records out. At the end it waits for lag 0,
accounts for every id, and prints:

- ids lost, ids in more than one place, records delivered twice;
- per worker, its RSS at the moment the window is full and its range after it (flat: within 10%);
- per fault, the seconds until the lag is back within its range of the three minutes before the fault;
- the throughput in and out;

and writes a PNG of RSS and lag against time (``--plot``).

    python -m bench.soak --minutes 15 --rate 6 --plot soak.png

It runs its own broker (deploy/kafka/kafka.sh, ``--port P``, default 21112), which it restarts; its workers'
metrics and web ports are past the broker's, in P to P+39 (``bench.entities.worker_ports``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer

from bench.entities import WorkerProcess, broker, kafka, run_settings, worker_ports
from bench.faults import ALL_STAGES, judge, outputs_out, placements, source_groups, stop
from tests.synthetic import make_batch
from workers.intake import message_key
from workers.kafka_io import committed_lag, wait_committed
from workers.settings import Settings
from workers.topics import ensure_topics

SAMPLE_SECONDS = 5.0
BROKER_AT, JOIN_AT = 0.4, 0.6  # shares of the run at which the broker restarts and the second worker joins
BROKER_DOWN_SECONDS = 5.0
# The lag a fault must come back to: its range over this long before the fault. Sampled every 5 s against Faust's
# commit timer (about every 2.6 s here), the committed lag aliases into a sawtooth of about two minutes, from
# nothing to a commit interval of input: a shorter baseline can hold only its low half (soak of 2026-12-05 08:09).
BASELINE_SECONDS = 180.0
EVENT_TIME_START = datetime(2026, 1, 1, tzinfo=UTC)
COMMIT_TIMEOUT = 900.0


@dataclass
class Sample:
    at: float  # seconds since the start of production
    rss: dict[str, int]  # worker name -> resident set size, bytes
    lag: dict[str, int]  # source topic -> the group's committed lag, summed over its partitions
    out: int  # records on the output topics

    @property
    def total_lag(self) -> int:
        return sum(self.lag.values())


@dataclass
class Soak:
    settings: Settings
    workdir: Path
    port: int  # the broker's, the start of the run's port band (``worker_ports``)
    samples: list[Sample] = field(default_factory=list)
    faults: dict[str, float] = field(default_factory=dict)  # name -> seconds since the start
    workers: list[WorkerProcess] = field(default_factory=list)
    started: float = 0.0

    def start_worker(self) -> WorkerProcess:
        ports = worker_ports(self.port, [worker.settings.web_port for worker in self.workers])
        worker = WorkerProcess(self.settings, ALL_STAGES, self.workdir, len(self.workers), ports)
        self.workers.append(worker)
        return worker

    def now(self) -> float:
        return time.monotonic() - self.started


def rss(pid: int) -> int:
    """Resident set size of a process now (VmRSS), bytes; 0 once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) * 1024


def with_event_time(messages: list[bytes], days: float) -> list[bytes]:
    """The messages with ``published_at`` spread evenly over ``days`` (malformed ones left as they are)."""
    step = timedelta(days=days) / max(len(messages) - 1, 1)
    stamped = []
    for n, message in enumerate(messages):
        try:
            record = orjson.loads(message)
        except orjson.JSONDecodeError:
            stamped.append(message)
            continue
        record["published_at"] = (EVENT_TIME_START + n * step).isoformat().replace("+00:00", "Z")
        stamped.append(orjson.dumps(record))
    return stamped


async def produce_steadily(settings: Settings, messages: list[bytes], rate: float) -> None:
    """Send ``rate`` messages a second; a send the broker did not take (it restarts) is sent again."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", request_timeout_ms=60000)
    await producer.start()
    started = time.monotonic()
    try:
        for n, message in enumerate(messages):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            while True:
                try:
                    await producer.send(settings.topic_raw, value=message, key=message_key(message))
                    break
                except Exception as error:  # the broker is away: wait and send again
                    print(f"send failed ({error!r}); again in 1 s", file=sys.stderr)
                    await asyncio.sleep(1)
        await producer.flush()
    finally:
        await producer.stop()


async def sample_until(soak: Soak, done: asyncio.Event) -> None:
    """Sample RSS, lag and outputs every SAMPLE_SECONDS until ``done``; a broker away skips a sample."""
    groups = source_groups(soak.settings)
    while not done.is_set():
        try:
            lag: dict[str, int] = dict.fromkeys(groups, 0)
            for (topic, _), behind in (await asyncio.wait_for(committed_lag(soak.settings, groups), 10)).items():
                lag[topic] += behind
            out = await asyncio.to_thread(outputs_out, soak.settings)
        except Exception as error:  # the broker restarts: no lag to read for a moment
            print(f"sample skipped at {soak.now():.0f} s: {error!r}", file=sys.stderr)
        else:
            sizes = {w.log.stem: rss(w.process.pid) for w in soak.workers}
            soak.samples.append(Sample(soak.now(), sizes, lag, out))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), SAMPLE_SECONDS)


async def inject_faults(soak: Soak, seconds: float, port: int) -> None:
    """The broker restart and the join, at their shares of the run."""
    await asyncio.sleep(max(0.0, BROKER_AT * seconds - soak.now()))
    soak.faults["broker restart"] = soak.now()
    await asyncio.to_thread(kafka, "stop", port)
    await asyncio.sleep(BROKER_DOWN_SECONDS)
    started = await asyncio.to_thread(kafka, "start", port)
    if started.returncode != 0:
        raise RuntimeError(f"the broker did not start again:\n{started.stdout}\n{started.stderr}")
    await asyncio.sleep(max(0.0, JOIN_AT * seconds - soak.now()))
    soak.faults["worker joins"] = soak.now()
    soak.start_worker()


async def run(soak: Soak, messages: list[bytes], rate: float, port: int) -> None:
    seconds = len(messages) / rate
    done = asyncio.Event()
    soak.started = time.monotonic()
    sampler = asyncio.create_task(sample_until(soak, done))
    faults = asyncio.create_task(inject_faults(soak, seconds, port))
    await produce_steadily(soak.settings, messages, rate)
    await faults
    await wait_committed(soak.settings, source_groups(soak.settings), COMMIT_TIMEOUT)
    soak.faults["all committed"] = soak.now()
    done.set()
    await sampler


def back_to_baseline(samples: list[Sample], at: float) -> float | None:
    """Seconds from ``at`` until the lag is back within its range before the fault; None if it never is.

    At a steady rate the committed lag is never 0 for long (records in flight, commits every few seconds):
    "back" means no higher than the highest lag sampled in the BASELINE_SECONDS before the fault. A fault the
    lag never rises above that for took 0 s.
    """
    before = [s.total_lag for s in samples if at - BASELINE_SECONDS <= s.at < at]
    baseline = max(before, default=0)
    after = [s for s in samples if s.at >= at]
    if all(sample.total_lag <= baseline for sample in after):
        return 0.0
    peak_seen = False
    for sample in after:
        peak_seen = peak_seen or sample.total_lag > baseline
        if peak_seen and sample.total_lag <= baseline:
            return sample.at - at
    return None


def report(soak: Soak, full_at: float, lost: int, several: int, twice: int, produced: int) -> None:
    samples = soak.samples
    print(f"\nids lost: {lost}; ids in several places: {several}; records delivered twice: {twice}")
    for name in sorted({n for s in samples for n in s.rss}):
        after = [s.rss[name] for s in samples if s.at >= full_at and s.rss.get(name)]
        if not after:
            print(f"{name}: no sample after the window filled at {full_at:.0f} s")
            continue
        low, high = min(after), max(after)
        print(
            f"{name}: RSS after the window filled ({full_at:.0f} s): {low / 2**20:.0f}-{high / 2**20:.0f} MiB, "
            f"range {100 * (high - low) / low:.1f}% of its lowest ({len(after)} samples)"
        )
    for fault in ("broker restart", "worker joins"):
        at = soak.faults[fault]
        back = back_to_baseline(samples, at)
        took = "never" if back is None else f"{back:.0f} s"
        print(f"{fault} at {at:.0f} s: lag back within its range of the {BASELINE_SECONDS:.0f} s before in {took}")
    end = soak.faults["all committed"]
    print(f"produced {produced} in {samples[-1].at:.0f} s; {samples[-1].out} records out; all committed at {end:.0f} s")
    print(f"largest committed lag: {max(s.total_lag for s in samples)} messages")


def plot(soak: Soak, full_at: float, path: Path) -> None:
    """RSS of every worker and the committed lag against time, the faults and the full window marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 6))
    for name in sorted({n for s in soak.samples for n in s.rss}):
        points = [(s.at / 60, s.rss[name] / 2**20) for s in soak.samples if s.rss.get(name)]
        top.plot(*zip(*points, strict=True), label=f"RSS {name}")
    top.set_ylabel("RSS (MiB)")
    top.legend(loc="lower right")
    for topic in soak.samples[0].lag:
        points = [(s.at / 60, s.lag[topic]) for s in soak.samples]
        bottom.plot(*zip(*points, strict=True), label=topic.split(".", 1)[1])
    bottom.set_ylabel("committed lag (messages)")
    bottom.legend(loc="upper left")
    bottom.set_xlabel("minutes since the first article")
    for axis in (top, bottom):
        axis.axvline(full_at / 60, color="grey", linestyle=":")
        for at in (soak.faults["broker restart"], soak.faults["worker joins"]):
            axis.axvline(at / 60, color="black", linestyle="--")
    top.set_title("soak: RSS and lag (dashed: broker restart, worker joins; dotted: dedup window full)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=15.0, help="how long articles are produced")
    parser.add_argument("--rate", type=float, default=6.0, help="articles a second")
    parser.add_argument("--days", type=float, default=10.0, help="event time covered by the articles")
    parser.add_argument("--plot", type=Path, default=Path("soak.png"), help="the PNG of RSS and lag")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--port", type=int, default=21112, help="port of the broker this soak starts and restarts")
    args = parser.parse_args()
    count = int(args.minutes * 60 * args.rate)
    with broker(args.port) as (bootstrap, _), tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        settings = run_settings(Settings(bootstrap_servers=bootstrap, log_level="info"))
        batch = make_batch(count, seed=args.seed, prefix=settings.app_id)
        messages = with_event_time(batch.messages, args.days)
        asyncio.run(ensure_topics(settings))
        soak = Soak(settings, Path(tmp), args.port)
        soak.start_worker()
        try:
            asyncio.run(run(soak, messages, args.rate, args.port))
            # Not its misplaced ids: a copy come after the dedup window evicted its first is new by design.
            verdict = judge(batch, placements(settings), None)  # no moment of uncommitted work taken
        finally:
            unclean = [w.log.name for w in soak.workers if not stop(w)]
        window = settings.dedup_window_seconds / (args.days * 86400)  # the share of the run that fills it
        full_at = window * count / args.rate
        print(f"{count} articles at {args.rate}/s over {args.days} days of event time; unclean exits: {unclean}")
        report(soak, full_at, verdict.lost, verdict.several_places, verdict.delivered_twice, count)
        plot(soak, full_at, args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
