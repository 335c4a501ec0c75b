"""A stage in a child process under a CPU limit (``workers.child``), with real child processes: a message past the
limit or one that kills its process is its own dead letter, every other message comes out as the stage here makes it,
and the stage goes on in a new child."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import ROOT, SEED_PAGE_ID, seed_lines, seed_record
from tests.hostile import svg_attributes
from workers import codec
from workers.agents import StageAgent
from workers.child import ChildStage, StageStopped, clean_stage
from workers.deadletters import original_bytes
from workers.pipeline import CLEAN_PRELOAD, EXIT_UNPUBLISHED, CleanStage, Message, Output, StageUnavailable
from workers.records import Origin
from workers.settings import Settings

# (a+)+ then a mismatch: exponential backtracking inside the re module's C loop, which holds the GIL (minutes at 40).
BACKTRACK = re.compile(r"(a+)+$")


class Scripted:
    """A stage whose messages say what to do: ``burn`` backtracks a regular expression for minutes, ``die`` kills its
    own process as the OOM killer would, ``hang`` sleeps without using CPU, ``nap`` for 0.6 s; ``die-in-finish``
    kills it in the batch's shared work; any other payload is echoed."""

    name = "clean"
    fallbacks = 0

    def process(self, messages: Sequence[Message]) -> list[list[Output]]:
        return self.finish([self.one(message) for message in messages])

    def one(self, message: Message) -> list[Output]:
        if message.payload == b"burn":
            BACKTRACK.match("a" * 40 + "b")
        elif message.payload == b"die":
            os.kill(os.getpid(), signal.SIGKILL)
        elif message.payload in (b"hang", b"nap"):
            time.sleep(600 if message.payload == b"hang" else 0.6)
        return [Output("clean", message.payload.decode(), {"echo": message.payload.decode()})]

    def finish(self, results: list[list[Output]]) -> list[list[Output]]:
        if any(output.key == "die-in-finish" for outputs in results for output in outputs):
            os.kill(os.getpid(), signal.SIGKILL)
        return results


class Counted(Scripted):
    """A scripted stage whose records say which process cleaned them and the size of the batch they were sketched
    in (its shared work)."""

    def one(self, message: Message) -> list[Output]:
        return [replace(o, record={**o.record, "pid": os.getpid()}) for o in super().one(message)]

    def finish(self, results: list[list[Output]]) -> list[list[Output]]:
        return [[replace(o, record={**o.record, "batch": len(results)}) for o in outputs] for outputs in results]


def message(payload: bytes, offset: int = 0) -> Message:
    return Message(payload, Origin(topic="raw", partition=0, offset=offset, timestamp_ms=None))


def routes(results: list[list[Output]]) -> list[tuple[str, str | None, bytes]]:
    """Each message's one output: its destination, its error (None for a record) and the bytes it is about."""
    return [
        (o.destination, o.record.get("error"), original_bytes(o.record) if o.destination == "deadletter" else o.value)
        for [o] in results
    ]


@pytest.fixture
def replaced() -> list[str]:
    return []


@pytest.fixture
def scripted(replaced: list[str]) -> ChildStage:
    with ChildStage("clean", Scripted, 1, replaced=replaced.append) as stage:
        # The backstop far past a burn's 1 to 2 s of CPU: ten times the limit gave it 20% of a core, which a loaded
        # machine did not (readchild: "no answer within 10 s" for a cpu_limit_exceeded); its tests set their own.
        stage.wall_seconds = 120
        yield stage


def test_a_message_that_kills_its_child_first_in_the_middle_or_last_is_its_own_dead_letter(
    scripted: ChildStage, replaced: list[str]
) -> None:
    payloads = [b"die", b"one", b"die", b"two", b"die"]
    results = scripted.process([message(p, n) for n, p in enumerate(payloads)])
    assert routes(results) == [
        ("deadletter", "stage_process_died", b"die"),
        ("clean", None, b'{"echo":"one"}'),
        ("deadletter", "stage_process_died", b"die"),
        ("clean", None, b'{"echo":"two"}'),
        ("deadletter", "stage_process_died", b"die"),
    ]
    letters = [o.record for [o] in results if o.destination == "deadletter"]
    assert [(r["stage"], r["origin"]["offset"]) for r in letters] == [("clean", 0), ("clean", 2), ("clean", 4)]
    assert all("SIGKILL" in letter["reason"] for letter in letters)
    assert replaced == ["stage_process_died"] * 3


def test_a_message_past_the_cpu_limit_in_c_code_holding_the_gil_is_a_cpu_limit_exceeded_letter(
    scripted: ChildStage, replaced: list[str]
) -> None:
    first = scripted.pid
    results = scripted.process([message(b"before"), message(b"burn", 1), message(b"after", 2)])
    assert routes(results) == [
        ("clean", None, b'{"echo":"before"}'),
        ("deadletter", "cpu_limit_exceeded", b"burn"),
        ("clean", None, b'{"echo":"after"}'),
    ]
    assert "SIGXCPU" in results[1][0].record["reason"]
    assert replaced == ["cpu_limit_exceeded"]
    assert scripted.pid != first


def test_a_child_that_answers_nothing_within_the_backstop_is_killed_and_its_message_dead_lettered(
    replaced: list[str],
) -> None:
    with ChildStage("clean", Scripted, 1, replaced=replaced.append) as stage:
        stage.wall_seconds = 1  # the backstop (ten times the limit) shortened for the test
        results = stage.process([message(b"hang"), message(b"next", 1)])
    assert routes(results) == [("deadletter", "stage_process_died", b"hang"), ("clean", None, b'{"echo":"next"}')]
    assert "no answer within 1 s" in results[0][0].record["reason"]


@pytest.mark.slow
def test_a_stopped_child_the_backstop_ends_before_it_reads_a_batch_blames_no_message(replaced: list[str]) -> None:
    """A child that never said it has the batch (stopped, or starved of memory, while idle) and that the wall-clock
    backstop ends was on no message: the batch goes to a new child. Before, the batch's first message was a
    stage_process_died letter ("no answer within")."""
    with ChildStage("clean", Scripted, 1, replaced=replaced.append) as stage:
        stage.wall_seconds = 3
        os.kill(stage.pid, signal.SIGSTOP)
        results = stage.process([message(b"one"), message(b"two", 1)])
    assert routes(results) == [("clean", None, b'{"echo":"one"}'), ("clean", None, b'{"echo":"two"}')]
    assert replaced == ["stage_process_died"]


def test_the_backstop_counts_from_each_message_a_child_starts_not_from_its_batch(replaced: list[str]) -> None:
    with ChildStage("clean", Scripted, 1, replaced=replaced.append) as stage:
        stage.wall_seconds = 2  # a nap's answer well within it on a loaded machine, the batch's four naps not
        results = stage.process([message(b"nap", n) for n in range(4)])
    assert routes(results) == [("clean", None, b'{"echo":"nap"}')] * 4
    assert replaced == []


def test_a_batch_shared_work_runs_once_over_it_and_a_message_done_before_a_child_ended_is_not_done_again(
    replaced: list[str],
) -> None:
    """The batch goes to the child whole: its shared work (the clean stage's sketches) is done once over it, not a
    message at a time; when a child ends on a message, a new child goes on with the others, and those done before
    it are kept, not cleaned again (each could cost up to the limit)."""
    with ChildStage("clean", Counted, 1, replaced=replaced.append) as stage:
        assert [o.record["batch"] for [o] in stage.process([message(b"x"), message(b"y", 1)])] == [2, 2]
        first = stage.pid
        payloads = [b"a", b"die", b"b", b"die", b"c"]
        results = stage.process([message(p, n) for n, p in enumerate(payloads)])
        last = stage.pid
        assert stage.fallbacks == 0
    assert [(o.destination, o.record.get("echo"), o.record.get("batch")) for [o] in results] == [
        ("clean", "a", 3),
        ("deadletter", None, None),
        ("clean", "b", 3),
        ("deadletter", None, None),
        ("clean", "c", 3),
    ]
    cleaned_by = [o.record["pid"] for [o] in results if o.destination == "clean"]
    assert cleaned_by[0] == first and cleaned_by[2] == last and len({first, cleaned_by[1], last}) == 3
    assert replaced == ["stage_process_died"] * 2


def test_a_child_ended_in_a_batch_shared_work_is_replaced_and_the_batch_processed_a_message_at_a_time(
    scripted: ChildStage, replaced: list[str]
) -> None:
    """No message was in progress: each is processed again on its own (a fallback), and the one whose own shared
    work ends its child is the dead letter."""
    results = scripted.process([message(b"one"), message(b"die-in-finish", 1), message(b"two", 2)])
    assert routes(results) == [
        ("clean", None, b'{"echo":"one"}'),
        ("deadletter", "stage_process_died", b"die-in-finish"),
        ("clean", None, b'{"echo":"two"}'),
    ]
    assert scripted.fallbacks == 1
    assert replaced == ["stage_process_died"] * 2


def test_the_cpu_limit_holds_in_a_worker_started_with_sigxcpu_ignored() -> None:
    """An ignored signal stays ignored across exec and fork: a worker started under a shell's ``trap '' XCPU`` (or
    a supervisor ignoring it) passed SIG_IGN to its forkserver and children, and a message past the limit ran on
    until the wall-clock backstop, a stage_process_died letter."""
    script = (
        "import signal; signal.signal(signal.SIGXCPU, signal.SIG_IGN)\n"
        "from tests.unit.test_child import Scripted, message\n"
        "from workers.child import ChildStage\n"
        "with ChildStage('clean', Scripted, 1) as stage:\n"
        "    stage.wall_seconds = 40  # a burn's 1 to 2 s of CPU within it on a loaded machine (8 s was not)\n"
        "    [[letter]] = stage.process([message(b'burn')])\n"
        "print(letter.record['error'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "cpu_limit_exceeded", done.stderr[-2000:]


def test_a_ctrl_c_that_reaches_the_child_ends_no_message(scripted: ChildStage, replaced: list[str]) -> None:
    """A Ctrl-C at a terminal sends SIGINT to the worker's whole process group, its child too: the child raised
    KeyboardInterrupt in the message it was on and ended, and the worker, stopping gracefully, published that
    message as a stage_process_died letter. The worker ends its child, not the terminal."""
    threading.Timer(0.2, os.kill, (scripted.pid, signal.SIGINT)).start()
    results = scripted.process([message(b"nap"), message(b"next", 1)])
    assert routes(results) == [("clean", None, b'{"echo":"nap"}'), ("clean", None, b'{"echo":"next"}')]
    assert replaced == []


@pytest.mark.slow
def test_a_worker_stopped_with_its_child_past_the_backstop_blames_no_message_when_they_go_on() -> None:
    """Ctrl-Z at a terminal stops the worker's whole process group (a paused container, all its processes): the
    worker's wait for its child's answer passed its deadline while both were stopped, and once they went on (fg) the
    backstop killed the child and the message it was on, a good one, was a stage_process_died letter."""
    script = (
        "from tests.unit.test_child import Scripted, message, routes\n"
        "from workers.child import ChildStage\n"
        "with ChildStage('clean', Scripted, 1) as stage:\n"
        "    stage.wall_seconds = 2\n"
        "    print(stage.pid, flush=True)\n"
        "    print(routes(stage.process([message(b'nap', n) for n in range(4)])), flush=True)\n"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert worker.stdout.readline().strip().isdigit()
        time.sleep(0.5)  # in the batch: four naps of 0.6 s
        os.killpg(worker.pid, signal.SIGSTOP)
        time.sleep(3 * 2)  # longer than the backstop
        os.killpg(worker.pid, signal.SIGCONT)
        assert worker.stdout.read().strip() == repr([("clean", None, b'{"echo":"nap"}')] * 4)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def test_a_sigterm_that_reaches_the_child_dead_letters_no_message(scripted: ChildStage, replaced: list[str]) -> None:
    """A service manager stopping the worker's whole process group (systemd's default) sends SIGTERM to its child too:
    the message the child was on is a good one, so the batch stops unpublished (read again from its offsets), with no
    letter and no replacement counted."""
    threading.Timer(0.2, os.kill, (scripted.pid, signal.SIGTERM)).start()
    with pytest.raises(StageStopped, match="SIGTERM"):
        scripted.process([message(b"nap"), message(b"next", 1)])
    assert replaced == []
    assert routes(scripted.process([message(b"again", 2)])) == [("clean", None, b'{"echo":"again"}')]


def test_a_child_whose_worker_died_in_a_batch_ends_quietly() -> None:
    """A worker killed (SIGKILL, the OOM killer) while its child cleans a batch: the child's next send finds the
    pipe closed, and it ended with a BrokenPipeError's traceback on the worker's stderr, which it shares."""
    script = (
        "import os, threading, time\n"
        "from tests.unit.test_child import Scripted, message\n"
        "from workers.child import ChildStage\n"
        "stage = ChildStage('clean', Scripted, 1)\n"
        "print(stage.pid, flush=True)\n"
        "threading.Thread(target=stage.process, args=([message(b'nap', n) for n in range(3)],), daemon=True).start()\n"
        "time.sleep(0.3)\n"
        "os._exit(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip().isdigit()
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    stat = Path(f"/proc/{done.stdout.strip()}/stat")
    deadline = time.monotonic() + 10
    while stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.1)  # ended (a zombie until its new parent reaps it) once its nap and send are over
    assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_a_child_hung_in_a_message_ends_with_its_worker(tmp_path: Path) -> None:
    """A worker that exits (another stage's batch it could not publish: exit 75) or is killed while its child hangs
    in a message: the backstop was the worker's, and the child, with its forkserver, ran on for the whole hang."""
    script = (
        "import os, threading, time\n"
        "from tests.unit.test_child import Scripted, message, forkserver_of\n"
        "from workers.child import ChildStage\n"
        "stage = ChildStage('clean', Scripted, 1)\n"
        "print(stage.pid, forkserver_of(stage.pid), flush=True)\n"
        "threading.Thread(target=stage.process, args=([message(b'hang')],), daemon=True).start()\n"
        "time.sleep(0.3)\n"
        "os._exit(75)\n"
    )
    printed = tmp_path / "pids"
    with printed.open("w") as out:  # not a pipe: a child left running would hold it open
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, stdout=out, timeout=60, check=False)
    pids = [int(pid) for pid in printed.read_text().split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 10
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in pids if running(pid)]
    for pid in left:  # not left running after the test
        os.kill(pid, signal.SIGKILL)
    assert not left


def running(pid: int) -> bool:
    """Whether a process runs (not gone, nor a zombie waiting to be reaped)."""
    with contextlib.suppress(FileNotFoundError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


def test_a_child_ended_between_batches_is_replaced_without_a_dead_letter(
    scripted: ChildStage, replaced: list[str]
) -> None:
    os.kill(scripted.pid, signal.SIGKILL)
    while scripted.alive():
        time.sleep(0.01)
    assert routes(scripted.process([message(b"next")])) == [("clean", None, b'{"echo":"next"}')]
    assert replaced == ["stage_process_died"]


def test_a_child_that_ends_before_it_reads_a_batch_blames_no_message(scripted: ChildStage, replaced: list[str]) -> None:
    """A child that dies between the worker's last look and its send (the OOM killer, while it is idle) never
    received the batch: it was sent again to a new child. Before, its first message was a stage_process_died letter
    (a child stopped, then killed once the batch sat unread in its pipe, is that case made certain)."""
    os.kill(scripted.pid, signal.SIGSTOP)
    threading.Timer(0.3, os.kill, (scripted.pid, signal.SIGKILL)).start()
    results = scripted.process([message(b"one"), message(b"two", 1)])
    assert routes(results) == [("clean", None, b'{"echo":"one"}'), ("clean", None, b'{"echo":"two"}')]
    assert replaced == ["stage_process_died"]


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class DiesUnpickled(bytes):
    """A payload whose unpickling kills the process that reads it: every child it goes to ends before it can say it
    has its batch (here, the bytes it is)."""

    def __reduce__(self) -> tuple[object, tuple[()]]:
        return _die, ()


def test_a_message_that_ends_every_child_on_receipt_is_its_own_letter_and_the_batch_goes_on(
    scripted: ChildStage, replaced: list[str]
) -> None:
    """Two children in a row ended before they said they had the batch: the stage was unavailable, the worker exited
    75 with the batch uncommitted, read it again on its restart and exited again, the partition stuck for good. The
    batch goes on a message at a time; the message that ends a child on receipt twice, while a new child takes an
    empty batch, is the letter."""
    results = scripted.process([message(b"one"), message(DiesUnpickled(b"poison"), 1), message(b"two", 2)])
    assert routes(results) == [
        ("clean", None, b'{"echo":"one"}'),
        ("deadletter", "stage_process_died", b"poison"),
        ("clean", None, b'{"echo":"two"}'),
    ]
    reason = results[1][0].record["reason"]
    assert "ended receiving this message (twice; a new child took an empty batch): killed by SIGKILL" in reason
    assert scripted.fallbacks == 1  # the batch's shared work done a message at a time
    assert replaced == ["stage_process_died"] * 4  # the batch's two children, the message's two alone


def test_a_lone_message_that_ends_every_child_on_receipt_is_its_letter_and_the_next_batch_runs_on(
    scripted: ChildStage, replaced: list[str]
) -> None:
    [[letter]] = scripted.process([message(DiesUnpickled(b"poison"))])
    assert (letter.destination, letter.record["error"]) == ("deadletter", "stage_process_died")
    assert replaced == ["stage_process_died"] * 2
    assert routes(scripted.process([message(b"next", 1)])) == [("clean", None, b'{"echo":"next"}')]
    assert replaced == ["stage_process_died"] * 2  # the child that took the empty batch took this one


# What a child may map beyond what it has at its start, and a message past it: four times over, so that reading it
# fails at once (the child's read of its pipe asks for the whole message) whatever a small batch needs.
HEADROOM_BYTES = 16 << 20
TOO_LARGE_BYTES = 4 * HEADROOM_BYTES


class MemoryLimited(Scripted):
    """A scripted stage in a child whose address space may grow ``HEADROOM_BYTES`` (``RLIMIT_AS``), as a memory
    limit lets it: a batch larger than that ends the child as it reads it (a MemoryError, exit status 1; the OOM
    killer of a container's memory limit ends it so, with SIGKILL)."""

    def __init__(self) -> None:
        mapped = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (mapped + HEADROOM_BYTES, resource.getrlimit(resource.RLIMIT_AS)[1]))


def test_a_message_larger_than_the_childs_memory_limit_is_its_own_letter(replaced: list[str]) -> None:
    large = b"x" * TOO_LARGE_BYTES
    with ChildStage("clean", MemoryLimited, 1, replaced=replaced.append) as stage:
        results = stage.process([message(b"one"), message(large, 1), message(b"two", 2)])
    assert [(o.destination, o.record.get("error")) for [o] in results] == [
        ("clean", None),
        ("deadletter", "stage_process_died"),
        ("clean", None),
    ]
    assert results[1][0].record["origin"]["offset"] == 1  # the letter keeps a prefix of a message this large
    assert results[1][0].record["reason"].endswith("(twice; a new child took an empty batch): exited with status 1")
    assert replaced == ["stage_process_died"] * 4


def _dies_receiving(connection: Connection) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class DiesReceiving(Scripted):
    """A stage built in a child that then ends as it reads any batch, an empty one too: no child can take work."""

    def __init__(self) -> None:
        Connection.recv = _dies_receiving  # this child's own class: the worker's is untouched


def test_children_that_end_on_receipt_whatever_they_receive_end_the_stage_without_a_letter(
    replaced: list[str],
) -> None:
    """No message is blamed when the child that takes an empty batch ends too: the stage cannot go on (the worker
    exits with the batch uncommitted). Before, it stopped at the batch's second child, without trying its messages
    one at a time, which the message ending children on receipt needs."""
    ended = pytest.raises(StageUnavailable, match="child processes end before they work: killed by SIGKILL")
    with ChildStage("clean", DiesReceiving, 1, replaced=replaced.append) as stage, ended:
        stage.process([message(b"one"), message(b"two", 1)])
    assert replaced == ["stage_process_died"] * 4  # the batch's two, its first message's two (then the probe's ended)


class BuildsOnce:
    """A stage that builds in the first child and not in the next (the forkserver cannot fork, memory is gone)."""

    def __init__(self, marker: Path) -> None:
        if marker.exists():
            raise OSError("cannot allocate memory")
        marker.touch()

    one = Scripted.one
    finish = Scripted.finish


@pytest.fixture
def exits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's exit (``os._exit``) raised as SystemExit instead, and the logs left open."""

    def exit_(status: int) -> None:
        raise SystemExit(status)

    monkeypatch.setattr("workers.agents.os._exit", exit_)
    monkeypatch.setattr("workers.agents.logging.shutdown", lambda: None)


def the_exit_line(caplog: pytest.LogCaptureFixture) -> str:
    """The one critical line the worker logged, which has no traceback."""
    [line] = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert line.exc_info is None
    return line.getMessage()


def test_the_worker_exits_with_one_line_saying_why_its_stage_cannot_go_on(
    tmp_path: Path, exits: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Exit 75 before the batch's offsets are committed, for the supervisor to restart the worker, with the reason in
    the line; before, it was a "could not publish a batch" line and a traceback, the reason at its end."""
    make = functools.partial(ChildStage, "clean", functools.partial(BuildsOnce, tmp_path / "built"), 1)
    agent = StageAgent("clean", make, {}, None, None)
    kafka = SimpleNamespace(topic="raw", partition=0, offset=0, timestamp=None, headers=[])
    try:
        with pytest.raises(SystemExit) as exited:
            asyncio.run(agent.handle([SimpleNamespace(value=b"die", message=kafka)]))
    finally:
        agent.stage.close()
    assert exited.value.code == EXIT_UNPUBLISHED
    assert (
        "clean cannot go on (the clean stage's child process could not start: OSError: cannot allocate memory); "
        "exiting with a batch of 1 unpublished" in the_exit_line(caplog)
    )


def test_a_worker_whose_first_child_cannot_start_exits_saying_why(
    exits: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Before, the RuntimeError escaped ``StageAgent.start`` (to Faust's supervisor of the agent's coroutine),
    without the worker's exit."""
    agent = StageAgent("clean", functools.partial(ChildStage, "clean", Unbuildable, 1), {}, None, None)
    with pytest.raises(SystemExit) as exited:
        asyncio.run(agent.start())
    assert exited.value.code == EXIT_UNPUBLISHED
    assert "could not start: OSError: no model here); exiting with a batch of 0" in the_exit_line(caplog)


def forkserver_of(pid: int) -> int:
    """The parent of a child: the forkserver that forked it."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_a_killed_forkserver_replaces_no_running_child(scripted: ChildStage, replaced: list[str]) -> None:
    """The forkserver reaps the children and passes their exit statuses on: killed (the OOM killer, an operator),
    each running child read as ended (status 255), and the next batch replaced a healthy one, a false
    stage_process_died."""
    child = scripted.pid
    os.kill(forkserver_of(child), signal.SIGKILL)
    time.sleep(0.2)
    assert routes(scripted.process([message(b"next")])) == [("clean", None, b'{"echo":"next"}')]
    assert (scripted.pid, replaced) == (child, [])


def test_a_child_whose_forkserver_was_killed_blames_its_message_only_once_its_end_is_known(
    scripted: ChildStage, replaced: list[str]
) -> None:
    """Without its forkserver a child's end is unknown (255), the CPU limit's SIGXCPU too: the message went to a new
    child, from a new forkserver, where its cost is known. Before, it was a stage_process_died letter ("exited with
    status 255") whatever ended the child, SIGTERM too, which blames no message."""
    threading.Timer(0.2, os.kill, (forkserver_of(scripted.pid), signal.SIGKILL)).start()
    results = scripted.process([message(b"nap"), message(b"burn", 1), message(b"after", 2)])
    assert routes(results) == [
        ("clean", None, b'{"echo":"nap"}'),
        ("deadletter", "cpu_limit_exceeded", b"burn"),
        ("clean", None, b'{"echo":"after"}'),
    ]
    assert replaced == ["stage_process_died", "cpu_limit_exceeded"]


class Unbuildable:
    def __init__(self) -> None:
        raise OSError("no model here")


def test_a_stage_that_cannot_be_built_in_the_child_raises_as_it_would_here() -> None:
    with pytest.raises(RuntimeError, match="could not start: OSError: no model here"):
        ChildStage("clean", Unbuildable, 1)


class Stuck:
    def __init__(self) -> None:
        time.sleep(600)


def test_a_child_that_does_not_build_its_stage_in_time_is_killed_and_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("workers.child.START_SECONDS", 1)
    with pytest.raises(RuntimeError, match="could not start: no answer within 1 s"):
        ChildStage("clean", Stuck, 1)


def test_no_limit_runs_the_stage_in_this_process(settings: Settings) -> None:
    assert isinstance(clean_stage(settings.model_copy(update={"clean_cpu_limit_seconds": 0})), CleanStage)
    with clean_stage(settings.model_copy(update={"clean_cpu_limit_seconds": 1})) as stage:
        assert isinstance(stage, ChildStage)


def published(group: list[Output]) -> list[bytes]:
    """A message's outputs as published, a dead letter's time of making aside."""
    records = [{**o.record, "failed_at": None} if o.destination == "deadletter" else o.record for o in group]
    return [f"{o.destination} ".encode() + codec.dumps(r) for o, r in zip(group, records, strict=True)]


@pytest.mark.slow
def test_the_clean_stage_in_a_child_publishes_what_it_does_here_and_dead_letters_the_svg_page_wherever_it_is(
    settings: Settings, replaced: list[str]
) -> None:
    svg = svg_attributes(40_000)  # 3.6 s of CPU through extract_html here; the limit is 1 s
    ordinary = [*seed_lines(), json.dumps(seed_record(SEED_PAGE_ID)).encode()]
    payloads = [*ordinary[:2], svg, *ordinary[2:]]  # first, middle and last: the scripted tests above
    with ChildStage("clean", functools.partial(CleanStage, settings), 1, CLEAN_PRELOAD, replaced.append) as stage:
        there = stage.process([message(payload, n) for n, payload in enumerate(payloads)])
    here = CleanStage(settings).process([message(p, n) for n, p in enumerate(payloads) if p != svg])
    assert routes([there[2]]) == [("deadletter", "cpu_limit_exceeded", svg)]
    assert replaced == ["cpu_limit_exceeded"]
    assert [published(g) for n, g in enumerate(there) if n != 2] == [published(g) for g in here]
    assert all(o.value == codec.dumps(o.record) for group in there for o in group)  # serialised in the child
