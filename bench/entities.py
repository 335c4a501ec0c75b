"""Entities at the speed of the model: bare ``nlp.pipe`` against the whole pipeline through a real broker.

One invocation, on the same articles: Reuters bodies of at least 1,500 characters read at run time from
``../shared/corpus/reuters21578.jsonl.gz``, kept when the clean and dedup stages (run here first) pass them
as first copies, so that every one of them is tagged in both measurements.

(a) bare ``nlp.pipe`` in this process: the workers' model, EntityRuler and batch size, on the cleaned texts;
    and in 2 (each further count of ``--processes``) processes at once, each on its share of the texts: what
    the cores give the model itself, the reference for the speed-up of the tagging processes;
(b) the whole pipeline: the raw records produced at once to fresh per-run topics of a real broker (started
    with deploy/kafka/kafka.sh unless one runs on ``--port P``), ``python -m workers worker`` processes (their
    metrics and web ports past the broker's, in P to P+39: ``worker_ports``) consume
    them (by default one ``--stages clean,dedup`` process beside 1 and then 2 ``--stages entities``
    processes; ``--topology combined``: every process runs every stage), the enriched records are read
    back; timed from the first send to the last enriched record, after a warm-up that has every worker
    load its model and hold partitions;
(d) the tagging stage alone: the same runs with only the ``--stages entities`` processes, fed the records
    the dedup stage made for these articles (produced to the unique topic), so that the scaling of the tagging
    processes is seen without the clean/dedup worker taking its share of the same cores;
(c) latency: a fresh run with one tagging process fed by a producer paced at half of its (b) throughput,
    from each send to the arrival of its enriched record.

It prints articles/s and words/s of (a), (b) and (d), the ratio (b)/(a), the speed-up of each process count
over one process, latency p50/p95/p99, and each worker's peak RSS (VmHWM), CPU time and time per stage.

A mixed English and French load (``--french 0.5``: half the articles French, interleaved): the French ones are
synthetic stories (``bench/french_news.py``: no French corpus ships with the data). The workers tag each batch
in one ``nlp.pipe`` call per language; (a) is then each language's texts through its own model in one call
each, both models loaded. Each model's load time and the memory it adds to this process are printed first.

Full run (the README's figures; a few minutes on a quiet two-core machine):

    python -m bench.entities --port 59092

A development run: ``python -m bench.entities --quick --port 59092``; the mixed load:
``python -m bench.entities --french 0.5 --processes 1 --port 59092``.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any, Literal

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench import french_news
from bench.shared import SHARED
from tests.ports import BROKER_PORTS, wait_ready
from workers.intake import message_key
from workers.nlp import load_pipeline
from workers.pipeline import CleanStage, DedupStage, Message
from workers.settings import STAGES, Settings
from workers.topics import ensure_topics

ROOT = Path(__file__).resolve().parent.parent
CORPUS = SHARED / "corpus" / "reuters21578.jsonl.gz"
KAFKA_SH = ROOT / "deploy" / "kafka" / "kafka.sh"
MIN_BODY_CHARS = 1500  # "a few hundred words": the corpus's long bodies (median 356 words)
WARMUP_ARTICLES = 64  # at most, sent WARMUP_ROUND at a time until every worker has had some
WARMUP_ROUND = 8  # keys enough to reach most partitions of a run
READY_TIMEOUT = 300.0  # seconds for workers to load the model and join their group on a slow machine
DRAIN_TIMEOUT = 900.0  # seconds for the last record of a run to come out
HALF_LOAD = 0.5  # latency is measured at this fraction of the one-process throughput
FINAL = ("enriched", "duplicates", "deadletter")
# The reader's longest fetch wait. 10 ms in the latency run: arrival times are latencies. The throughput runs
# end at the last arrival, late by at most 0.1 s (0.3% of a 35 s run); 10 ms there had the broker answer ~100
# empty fetches a second, costing this process ~4 and the broker ~1-2 CPU-s of a 2,000-article run.
LATENCY_READ_WAIT_MS = 10
THROUGHPUT_READ_WAIT_MS = 100
# The ports a benchmark run with ``--port P`` takes, P to P+39 (another session's broker may be past them): the
# broker's first (P, its controller P+1, and P+2 to P+4, the secured listeners kafka.sh opens with KAFKA_SASL=1),
# then the workers' metrics and web ports, two a worker running at once (``worker_ports``).
PORT_BAND = 40
WORKER_PORTS_FROM = 5
WORKERS_AT_ONCE = (PORT_BAND - WORKER_PORTS_FROM) // 2
Entry = Literal["raw", "unique"]  # the topic a run produces to: the whole pipeline, or the tagging stage alone


@dataclass
class Article:
    """A raw record as produced, the record the dedup stage passes on for it, its cleaned text and language."""

    id: str
    raw: bytes
    unique: bytes
    text: str
    language: str

    def payload(self, entry: Entry) -> bytes:
        """What is produced for this article when a run starts at ``entry``."""
        return self.raw if entry == "raw" else self.unique

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass
class WorkerFigures:
    """What one worker process used during a run."""

    stages: str
    peak_rss: int
    cpu_seconds: float
    stage_seconds: dict[str, float]
    mean_ner_batch: float | None


@dataclass
class Run:
    """What one pipeline run measured."""

    processes: int
    articles: int
    words: int
    seconds: float
    latencies: list[float]
    workers: list[WorkerFigures]
    not_enriched: int
    machine_cpu: float  # busy CPU seconds of the whole machine (all processes) during the timed part
    broker_cpu: float | None  # CPU seconds of the broker's JVM during the timed part (None: its pid is unknown)
    bench_cpu: float  # CPU seconds of this process (the producer and the reader of the outputs) during it

    @property
    def rate(self) -> float:
        return self.articles / self.seconds


Story = tuple[str, str, str]  # id, title, text


def reuters_stories(corpus: Path) -> Iterator[Story]:
    """The corpus's stories of at least MIN_BODY_CHARS characters, in corpus order."""
    with gzip.open(corpus) as lines:
        for line in lines:
            story = orjson.loads(line)
            if len(story.get("text") or "") >= MIN_BODY_CHARS:
                yield story["id"], story["title"], story["text"]


def first_copies(stories: Iterable[Story], source: str, size: int) -> list[Article]:
    """The first ``size`` stories that clean and dedup pass as first copies and the entities stage tags.

    A first copy of no language (a table too bare to tell: Reuters 2221) is left out: the entities stage does not
    tag it (``language_unknown``), so it is no part of a tagging measurement; how many are left out is printed.
    """
    settings = Settings(metrics_port=0)
    clean, dedup = CleanStage(settings), DedupStage(settings)
    articles: list[Article] = []
    untagged = 0
    for n, (story_id, title, text) in enumerate(stories):
        raw = orjson.dumps({"id": story_id, "source": source, "title": title, "text": text})
        origin = {"topic": "corpus", "partition": 0, "offset": n, "timestamp_ms": None}
        [[cleaned]] = clean.process([Message(raw, origin)])
        if cleaned.destination != "clean":
            continue
        [decided, *_] = dedup.process([Message(orjson.dumps(cleaned.record), origin)])[0]
        record = cleaned.record
        if decided.destination != "unique":
            continue
        if record["language"] is None:
            untagged += 1
            continue
        articles.append(Article(story_id, raw, orjson.dumps(decided.record), record["text"], record["language"]))
        if len(articles) == size:
            print(f"{source}: {untagged} first copies of no language left out (not tagged: language_unknown)")
            return articles
    sys.exit(f"only {len(articles)} first copies from {source}")


def load_articles(size: int, french: float, corpus: Path) -> list[Article]:
    """``size`` first copies, the share ``french`` of them synthetic French stories spread evenly among Reuters'."""
    in_french = round(size * french)
    english = iter(first_copies(reuters_stories(corpus), "Reuters", size - in_french))
    others = iter(first_copies(french_news.stories(3 * in_french), "synthetic", in_french) if in_french else [])
    # The n-th article is French when the French count so far falls behind the share: an even interleaving.
    return [next(others) if round((n + 1) * french) > round(n * french) else next(english) for n in range(size)]


def by_language(articles: list[Article]) -> dict[str, list[str]]:
    """The articles' texts grouped by language, in order."""
    texts: dict[str, list[str]] = {}
    for article in articles:
        texts.setdefault(article.language, []).append(article.text)
    return texts


def load_models(settings: Settings, languages: Iterable[str], report: bool = False) -> dict[str, Any]:
    """Each language's pipeline as the workers load it; with ``report``, its load time and the memory it added."""
    models = {}
    for language in languages:
        rss, started = resident_bytes(), time.perf_counter()
        models[language] = load_pipeline(settings, language)
        if report:
            print(
                f"model {language}: {models[language].meta['name']} {models[language].meta['version']} loaded in "
                f"{time.perf_counter() - started:.2f} s, +{(resident_bytes() - rss) / 2**20:.0f} MiB resident"
            )
    return models


def resident_bytes() -> int:
    """This process's resident set size now (VmRSS)."""
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) * 1024


def pipe_all(models: dict[str, Any], texts: dict[str, list[str]], batch_size: int) -> None:
    """Each language's texts through its model, one ``nlp.pipe`` call per language."""
    for language, some in texts.items():
        for _ in models[language].pipe(some, batch_size=batch_size):
            pass


def bare_pipe(settings: Settings, articles: list[Article]) -> tuple[float, float]:
    """Wall and CPU seconds of bare ``nlp.pipe`` over the texts, the way the workers' models are configured."""
    texts = by_language(articles)
    models = load_models(settings, texts, report=True)
    pipe_all(models, by_language(articles[:WARMUP_ARTICLES]), settings.ner_batch_size)
    started, cpu = time.perf_counter(), time.process_time()
    pipe_all(models, texts, settings.ner_batch_size)
    return time.perf_counter() - started, time.process_time() - cpu


def _bare_share(settings: Settings, texts: dict[str, list[str]], ready: Barrier, seconds: Queue) -> None:
    """One of several processes running bare ``nlp.pipe`` at once: load, warm up, wait for the others, time."""
    models = load_models(settings, texts)
    pipe_all(models, {language: some[:WARMUP_ARTICLES] for language, some in texts.items()}, settings.ner_batch_size)
    ready.wait()
    started = time.perf_counter()
    pipe_all(models, texts, settings.ner_batch_size)
    seconds.put(time.perf_counter() - started)


def bare_parallel(settings: Settings, articles: list[Article], processes: int) -> float:
    """Wall seconds for ``processes`` processes running bare ``nlp.pipe`` on a share of the texts each, at once:
    what the cores give the model itself, without Kafka or the pipeline."""
    context = multiprocessing.get_context("spawn")
    ready, seconds = context.Barrier(processes), context.Queue()
    shares = [by_language(articles[n::processes]) for n in range(processes)]
    workers = [context.Process(target=_bare_share, args=(settings, share, ready, seconds)) for share in shares]
    for worker in workers:
        worker.start()
    elapsed = max(seconds.get() for _ in workers)
    for worker in workers:
        worker.join()
    return elapsed


def kafka(command: str, port: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAFKA_PORT": str(port), "KAFKA_CONTROLLER_PORT": str(port + 1)}
    return subprocess.run([str(KAFKA_SH), command], env=env, capture_output=True, text=True, timeout=600)


@contextmanager
def broker(port: int):
    """A broker on ``port``: the one running there, or one started here (and reset at the end: a benchmark's
    topics are of no use afterwards); yields its address and the pid of its JVM (None when the broker on the port
    is not one of kafka.sh's)."""
    already = kafka("status", port).returncode == 0
    started = kafka("start", port)
    if started.returncode != 0:
        sys.exit(f"the Kafka broker did not start:\n{started.stdout}\n{started.stderr}")
    status = re.match(r"running \(pid (\d+)\)", kafka("status", port).stdout)
    try:
        yield f"127.0.0.1:{port}", int(status[1]) if status else None
    finally:
        if not already:
            kafka("reset", port)


def machine_busy_seconds() -> float:
    """CPU seconds all cores of the machine have spent busy since boot (everything but idle and I/O wait)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int | str = "self") -> float:
    """User and system CPU time a process (all its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_ports(port: int, taken: Sequence[int], avoid: Collection[int] = BROKER_PORTS) -> tuple[int, int]:
    """The metrics and web ports of a worker started beside workers holding the web ports ``taken``: the first pair
    of the band after the broker's ``port`` (``WORKER_PORTS_FROM``) that none holds; a worker gone frees its pair.
    No port of ``avoid``, the test suite's brokers' (``tests.ports``): run on the suite's broker port (the default
    of bench.entities) beside the tests, a worker took P+5 and P+6, where test_security's broker listens."""
    pairs = [(port + WORKER_PORTS_FROM + 2 * n, port + WORKER_PORTS_FROM + 2 * n + 1) for n in range(WORKERS_AT_ONCE)]
    free = [pair for pair in pairs if pair[1] not in taken and not any(p in avoid for p in pair)]
    if not free:
        raise RuntimeError(f"no ports left in the band of port {port} for another worker beside {len(taken)}")
    return free[0]


class WorkerProcess:
    """``python -m workers worker --stages ...`` with settings of its own: ports, data directory, log file."""

    def __init__(
        self, settings: Settings, stages: str, workdir: Path, index: int, ports: tuple[int, int], root: Path = ROOT
    ) -> None:
        """``ports``: its metrics and web ports (``worker_ports``); ``root``: the checkout whose ``workers`` package
        the process runs (another one, for a baseline)."""
        self.stages = stages
        metrics_port, web_port = ports
        self.settings = settings.model_copy(
            update={
                "stages": stages,
                "metrics_port": metrics_port,
                "web_port": web_port,
                "data_dir": workdir / f"data-{index}",
            }
        )
        env = {**os.environ, **self.settings.as_environment()}
        self.log = workdir / f"worker-{index}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "workers", "worker"], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self.cpu_at_start = 0.0

    def cpu_seconds(self) -> float:
        """User and system CPU time the process has used so far."""
        return process_cpu_seconds(self.process.pid)

    def peak_rss(self) -> int:
        """Peak resident set size in bytes, as the kernel counts it (VmHWM)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    def metrics(self) -> dict[str, float]:
        """The worker's own metrics, sample (name and labels) -> value; empty until the worker serves them."""
        url = f"http://127.0.0.1:{self.settings.metrics_port}/metrics"
        try:
            body = urllib.request.urlopen(url, timeout=10).read().decode()
        except OSError:
            return {}
        samples = (line.rsplit(" ", 1) for line in body.splitlines() if line and not line.startswith("#"))
        return {sample: float(value) for sample, value in samples}

    def figures(self, cpu_before: float) -> WorkerFigures:
        """What the worker used since ``cpu_before`` (CPU) and since it started (memory, stage time, batches)."""
        metrics = self.metrics()
        prefix = 'enrich_stage_seconds_sum{stage="'
        stage_seconds = {k[len(prefix) : -2]: v for k, v in metrics.items() if k.startswith(prefix)}
        batch = 'enrich_batch_size_{}{{stage="entities"}}'
        batches = metrics.get(batch.format("count"), 0)
        return WorkerFigures(
            self.stages,
            self.peak_rss(),
            self.cpu_seconds() - cpu_before,
            stage_seconds,
            metrics[batch.format("sum")] / batches if batches else None,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_workers(settings: Settings, stage_lists: list[str], workdir: Path, port: int) -> list[WorkerProcess]:
    """A worker process for each of ``stage_lists``, their ports in the band of the broker's ``port``."""
    workers: list[WorkerProcess] = []
    for index, stages in enumerate(stage_lists):
        ports = worker_ports(port, [worker.settings.web_port for worker in workers])
        workers.append(WorkerProcess(settings, stages, workdir, index, ports))
    return workers


def run_settings(base: Settings) -> Settings:
    """Settings with topics and an app id of a run of its own (so a fresh dedup index and consumer groups)."""
    run = f"bench{uuid.uuid4().hex[:8]}"
    topics = {f"topic_{t}": f"{run}.{t}" for t in ("raw", "clean", "unique", "enriched", "duplicates", "deadletter")}
    return base.model_copy(update={"app_id": run, **topics})


def topology(kind: str, processes: int) -> list[str]:
    """The stages of each worker process: tagging in ``processes`` processes, clean and dedup beside or inside."""
    if kind == "split":
        return ["clean,dedup", *["entities"] * processes]
    return [",".join(STAGES)] * processes


async def warm_up(
    producer: AIOKafkaProducer,
    target: tuple[str, Entry],
    outputs: Outputs,
    workers: list[WorkerProcess],
    warmup: list[Article],
) -> None:
    """Send warm-up articles a few at a time until every worker has processed some (model loaded, partitions held),
    once every worker says ready: a worker still loading its model when the first ones come would find its group's
    partitions all taken, and the warm-up spent on the others."""
    for worker in workers:
        await asyncio.to_thread(wait_ready, worker.settings.web_port, READY_TIMEOUT)
    for start in range(0, len(warmup), WARMUP_ROUND):
        round_ = warmup[start : start + WARMUP_ROUND]
        await produce(producer, target, round_, None)
        await outputs.until({a.id for a in round_}, workers)
        if all(any(k.startswith("enrich_messages_in_total") for k in w.metrics()) for w in workers):
            return
    raise TimeoutError(f"not every worker received an article after {len(warmup)} warm-up articles")


class Outputs:
    """Reads the final topics of a run, noting when each article's record arrives and where."""

    def __init__(self, settings: Settings, fetch_wait_ms: int) -> None:
        self.topics = {getattr(settings, f"topic_{name}"): name for name in FINAL}
        self.consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=settings.bootstrap_servers,
            group_id=f"{settings.app_id}-bench",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            # A record on a partition just read waits for the fetch in flight (one per broker) to come back:
            # arrival times are late by up to this wait.
            fetch_max_wait_ms=fetch_wait_ms,
        )
        self.arrived: dict[str, tuple[float, str]] = {}

    async def start(self) -> None:
        await self.consumer.start()

    async def until(self, ids: set[str], workers: list[WorkerProcess]) -> None:
        """Read until every one of ``ids`` has come out; fail at once if a worker has exited."""
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while not ids <= self.arrived.keys():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(ids - self.arrived.keys())} articles did not come out in {DRAIN_TIMEOUT} s")
            if exited := [w.log.name for w in workers if w.process.poll() is not None]:
                raise RuntimeError(f"worker(s) exited during the run: {exited}")
            batches = await self.consumer.getmany(timeout_ms=100)
            now = time.time()
            for partition, records in batches.items():
                for record in records:
                    article_id = record.key.decode()  # every output is keyed by its article id
                    self.arrived.setdefault(article_id, (now, self.topics[partition.topic]))

    async def stop(self) -> None:
        await self.consumer.stop()


async def produce(
    producer: AIOKafkaProducer, target: tuple[str, Entry], articles: list[Article], rate: float | None
) -> dict:
    """Send the articles to the (topic, entry), all at once or ``rate`` a second; the send time of each."""
    (topic, entry), sent, pending = target, {}, []
    started = time.monotonic()
    for n, article in enumerate(articles):
        if rate:
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        sent[article.id] = time.time()
        payload = article.payload(entry)
        pending.append(await producer.send(topic, value=payload, key=message_key(payload)))
    await asyncio.gather(*pending)
    return sent


async def run_pipeline(
    base: Settings,
    port: int,
    broker_pid: int | None,
    stage_lists: list[str],
    warmup: list[Article],
    articles: list[Article],
    rate: float | None,
    entry: Entry = "raw",
) -> Run:
    """One run on fresh topics: start the workers (their ports in the band of the broker's ``port``), warm them up,
    then send the articles and time them out."""
    settings = run_settings(base)
    target = (getattr(settings, f"topic_{entry}"), entry)
    await ensure_topics(settings)
    with tempfile.TemporaryDirectory(prefix="bench-entities-") as workdir:
        workers = start_workers(settings, stage_lists, Path(workdir), port)
        outputs = Outputs(settings, LATENCY_READ_WAIT_MS if rate else THROUGHPUT_READ_WAIT_MS)
        producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
        try:
            await outputs.start()
            await producer.start()
            await warm_up(producer, target, outputs, workers, warmup)
            cpu_before = [w.cpu_seconds() for w in workers]
            broker_before = process_cpu_seconds(broker_pid) if broker_pid else None
            bench_before = process_cpu_seconds()
            busy_before = machine_busy_seconds()
            reading = asyncio.create_task(outputs.until({a.id for a in articles}, workers))
            sent = await produce(producer, target, articles, rate)
            await reading
            return Run(
                processes=sum("entities" in stages for stages in stage_lists),
                articles=len(articles),
                words=sum(a.words for a in articles),
                seconds=max(outputs.arrived[i][0] for i in sent) - min(sent.values()),
                latencies=sorted(outputs.arrived[i][0] - t for i, t in sent.items()),
                workers=[w.figures(cpu) for w, cpu in zip(workers, cpu_before, strict=True)],
                not_enriched=sum(outputs.arrived[i][1] != "enriched" for i in sent),
                machine_cpu=machine_busy_seconds() - busy_before,
                broker_cpu=process_cpu_seconds(broker_pid) - broker_before if broker_pid else None,
                bench_cpu=process_cpu_seconds() - bench_before,
            )
        except BaseException:
            for worker in workers:
                print(f"--- {worker.log} (last lines)\n{worker.log.read_text()[-3000:]}", file=sys.stderr)
            raise
        finally:
            await producer.stop()
            await outputs.stop()
            for worker in workers:
                worker.stop()


def percentile(sorted_values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of sorted values, nearest rank."""
    return sorted_values[min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))]


def report_run(run: Run, bare_rate: float, bare_cpu: float, one: Run | None) -> None:
    """Throughput of a run against the bare model and against one tagging process, and what each worker used."""
    speedup = f"{run.rate / one.rate:.2f}x one process" if one else "-"
    tagging_cpu = sum(w.cpu_seconds for w in run.workers if "entities" in w.stages) / run.articles
    print(
        f"{f'(b) pipeline, {run.processes} tagging process(es)':<38} {run.rate:8.1f} art/s "
        f"{run.words / run.seconds:9.0f} words/s  (b)/(a) {run.rate / bare_rate:.3f}  speed-up {speedup}; "
        f"CPU of tagging processes {1000 * tagging_cpu:.1f} ms/article, (a)/(b) {bare_cpu / tagging_cpu:.3f}"
    )
    for n, worker in enumerate(run.workers):
        spent = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in sorted(worker.stage_seconds.items()))
        batch = f", mean NER batch {worker.mean_ner_batch:.1f}" if worker.mean_ner_batch else ""
        print(
            f"    worker {n} [{worker.stages}]: peak RSS {worker.peak_rss / 2**20:.0f} MiB, "
            f"CPU {worker.cpu_seconds:.1f} s in {run.seconds:.1f} s, in stage threads {spent}{batch}"
        )
    report_machine(run)
    if run.not_enriched:
        print(f"    {run.not_enriched} articles did not come out enriched (duplicates or dead letters)")


def report_machine(run: Run) -> None:
    """Where the machine's CPU went during a run: the tagging and the other workers, the broker, this process
    (producer and reader), and the rest (the OS, other processes)."""
    tagging = sum(w.cpu_seconds for w in run.workers if "entities" in w.stages)
    others = sum(w.cpu_seconds for w in run.workers) - tagging
    upstream = f", other workers {others:.1f}" if len(run.workers) > run.processes else ""
    broker = f", broker {run.broker_cpu:.1f}" if run.broker_cpu is not None else ", broker (pid unknown) in the rest"
    accounted = tagging + others + (run.broker_cpu or 0.0) + run.bench_cpu
    print(
        f"    machine busy {run.machine_cpu:.1f} of {os.cpu_count() * run.seconds:.1f} CPU seconds: tagging workers "
        f"{tagging:.1f}{upstream}{broker}, this producer and reader {run.bench_cpu:.1f}, the rest (OS, other "
        f"processes) {run.machine_cpu - accounted:.1f}"
    )


def report_stage_alone(run: Run, first: Run) -> None:
    """Throughput of the tagging processes fed from the unique topic, without the upstream stages beside them."""
    print(
        f"{f'(d) tagging stage alone, {run.processes} process(es)':<38} {run.rate:8.1f} art/s "
        f"{run.words / run.seconds:9.0f} words/s  speed-up {run.rate / first.rate:.2f}x {first.processes} process"
    )
    report_machine(run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2000, help="articles measured (default 2000)")
    parser.add_argument("--quick", action="store_true", help="a development run: 300 articles")
    parser.add_argument("--processes", default="1,2", help="tagging process counts to run, comma-separated")
    parser.add_argument(
        "--topology",
        choices=("split", "combined"),
        default="split",
        help="split: one clean,dedup process beside the tagging processes; combined: every process runs all stages",
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the Reuters corpus (JSONL, gzipped)")
    parser.add_argument("--french", type=float, default=0.0, help="share of French articles (default 0)")
    parser.add_argument("--latency-seconds", type=float, default=60.0, help="length of the paced latency run")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ENRICH_TEST_KAFKA_PORT", "19092")))
    args = parser.parse_args()
    size = 300 if args.quick else args.size
    counts = sorted({int(p) for p in args.processes.split(",")})
    settings = Settings()
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; model {settings.spacy_model}, EntityRuler "
        f"{settings.entity_ruler}, NER batches of {settings.ner_batch_size} within {settings.ner_batch_wait_seconds} s"
    )
    selected = load_articles(size + WARMUP_ARTICLES, args.french, args.corpus)
    warmup, articles = selected[:WARMUP_ARTICLES], selected[WARMUP_ARTICLES:]
    words = sum(a.words for a in articles)
    languages = ", ".join(f"{lang} {len(texts)}" for lang, texts in by_language(articles).items())
    print(f"{len(articles)} articles ({languages}), {words} words ({words / len(articles):.0f} an article)")
    print(f"topology {args.topology}: {topology(args.topology, counts[0])} for {counts[0]} tagging process(es)\n")

    bare_seconds, bare_cpu = bare_pipe(settings, articles)
    bare_rate = len(articles) / bare_seconds
    print(
        f"{'(a) bare nlp.pipe, one process':<38} {bare_rate:8.1f} art/s {words / bare_seconds:9.0f} words/s; "
        f"CPU {1000 * bare_cpu / len(articles):.1f} ms/article"
    )
    for n in counts[1:]:
        rate = len(articles) / bare_parallel(settings, articles, n)
        label = f"(a) bare nlp.pipe, {n} processes at once"
        print(f"{label:<38} {rate:8.1f} art/s  {rate / bare_rate:.2f}x one process")
    with broker(args.port) as (bootstrap, broker_pid):
        base = settings.model_copy(update={"bootstrap_servers": bootstrap, "partitions": max(4, 2 * counts[-1])})
        runs = [
            asyncio.run(run_pipeline(base, args.port, broker_pid, topology(args.topology, n), warmup, articles, None))
            for n in counts
        ]
        one = next((run for run in runs if run.processes == 1), None)
        for run in runs:
            report_run(run, bare_rate, bare_cpu / len(articles), one)
        alone = [
            asyncio.run(
                run_pipeline(base, args.port, broker_pid, ["entities"] * n, warmup, articles, None, entry="unique")
            )
            for n in counts
        ]
        for run in alone:
            report_stage_alone(run, alone[0])
        reference = one or runs[0]
        rate = HALF_LOAD * reference.rate
        paced = articles[: max(WARMUP_ARTICLES, min(len(articles), round(rate * args.latency_seconds)))]
        stages = topology(args.topology, reference.processes)
        latency = asyncio.run(run_pipeline(base, args.port, broker_pid, stages, warmup, paced, rate))
    ms = [1000 * s for s in latency.latencies]
    print(
        f"(c) latency at {rate:.1f} art/s ({HALF_LOAD:.0%} of {reference.processes} tagging process), {len(ms)} "
        f"articles: p50 {percentile(ms, 0.5):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms, "
        f"p99 {percentile(ms, 0.99):.0f} ms, max {ms[-1]:.0f} ms"
    )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
