"""A stage run in a child process, each message under a limit of CPU time: a message no guard foresaw cannot stop the
worker. No Kafka here: the agents and ``enrich process`` run it alike.

A C extension that holds the GIL (lxml, resiliparse, trafilatura's passes) stops every thread of its process while
it runs, the event loop that answers the liveness probe too, and a thread cannot be killed. A child process can:
before each message the child sets its ``RLIMIT_CPU`` soft limit to the CPU it used so far plus the limit, and the
kernel ends it with SIGXCPU past that, whatever holds the GIL. CPU time, not wall time: a busy machine slows a
message without making it costly. The parent hands the child a batch; the child runs the stage's work of each
message (``one``) under the limit and sends its outputs as soon as they are made, then the batch's shared work
once (``finish``: the clean stage's sketches, under a limit of its own) and sends every output. When the child
ends, the outputs received name the message in progress: that message becomes a dead letter
(``cpu_limit_exceeded``, or ``stage_process_died`` for a child killed otherwise, by the OOM killer or a crash), and
a new child goes on with the batch's other messages, those done kept: nothing else is lost, repeated or run again.
A child that ends in ``finish``, which no message is to blame for, is replaced and each message's ``finish`` run on
its own (``fallbacks``). A child that ends before it says it has the batch (killed while idle) blames no message: the
batch goes to a new child. A second that ends so with nothing done may have met a message that ends any child
reading it (more than a memory limit lets it hold): the batch goes on a message at a time, and a message whose
child ends so twice is a letter once a new child takes an empty batch; if that child ends too, children cannot take
work and the stage stops (``StageUnavailable``: the worker exits, the batch uncommitted), as when a new child cannot
start. A wall-clock backstop (``WALL_MULTIPLE`` times the limit, from each answer) ends a child that hangs without
using CPU (before it says it has the batch: on no message), and a child ends when the worker's end of its pipe
closes.

Children start from a ``forkserver`` (a process with threads must not fork), which imports ``preload`` once, so a
new child starts warm and shares those pages. The forkserver is one a process, started with the first child: the
preload of the first ``ChildStage`` is the one it imports. The forkserver reaps the children and passes their exit
statuses on: killed, its running children serve on, and one that ends has an unknown status, which blames no message
(the rest of the batch goes to a child of a new forkserver).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import multiprocessing
import os
import resource
import select
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Literal

from workers.pipeline import (
    CLEAN_PRELOAD,
    CleanStage,
    Message,
    Output,
    PhasedStage,
    StageRunner,
    StageUnavailable,
    dead_letter,
    serialised,
)
from workers.records import Rejected
from workers.settings import Settings, Stage

log = logging.getLogger(__name__)

Ending = Literal["cpu_limit_exceeded", "stage_process_died"]
ENDINGS: tuple[Ending, ...] = ("cpu_limit_exceeded", "stage_process_died")
# The wall-clock backstop, a multiple of the CPU limit: a child this long without an answer while the machine gives
# it a seventh of a core would have used its CPU (the kernel's limit is whole seconds, up to one more than the setting:
# 3 s of CPU in 20 s at the default 2); one that uses none (a hang, a lock) is ended by it.
WALL_MULTIPLE = 10
_READY = "ready"
_RECEIVED = "received"  # the child has the batch: a child that ends before it says so ended on no message
# The exit status multiprocessing gives a forkserver's child whose status it cannot read: the forkserver, which reaps
# the child and passes its status on, is gone (killed). The child itself never exits with it (``serve`` returns).
_UNKNOWN_STATUS = 255
# How long a new child may take to build its stage (the first also starts the forkserver, which warms up: seconds).
START_SECONDS = 120.0
_EXIT_WAIT_SECONDS = 5.0  # for a child that closed its pipe to be reaped, before it is killed
_WAIT_SLICE_SECONDS = 1.0  # the backstop's wait is counted in slices of this, each at most its length


class StageStopped(StageUnavailable):
    """The child was told to stop (SIGTERM) while it worked: no message is to blame, and the batch is not done."""


@dataclass(frozen=True, slots=True)
class Ended:
    """Why a child ended: the dead letter's code for the message in progress, and the detail for its reason.
    ``blamed`` False: no message was in progress to blame (the child ended before it received the batch, or its exit
    status is unknown), and the batch's messages not done go to a new child."""

    code: Ending
    detail: str
    blamed: bool = True


class ChildStage:
    """A stage (``make()`` in a child process) that processes each message under ``cpu_limit_seconds`` of CPU.

    ``make`` and the messages go to the child pickled: a module-level callable (``functools.partial(CleanStage,
    settings)``). ``replaced(code)`` is told of each child replaced, for the agent's metric. One thread uses it.
    """

    fallbacks = 0  # the child's stage's, and each batch whose child ended in ``finish`` (then one message at a time)

    def __init__(
        self,
        name: Stage,
        make: Callable[[], PhasedStage],
        cpu_limit_seconds: int,
        preload: Sequence[str] = (),
        replaced: Callable[[Ending], None] = lambda code: None,
    ) -> None:
        if cpu_limit_seconds < 1:
            raise ValueError(f"a child's CPU limit is whole seconds, at least 1: {cpu_limit_seconds}")
        self.name = name
        self.cpu_limit_seconds = cpu_limit_seconds
        self.wall_seconds = WALL_MULTIPLE * cpu_limit_seconds
        self._make = make
        self._replaced = replaced
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["workers.child", *preload])
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self._start()

    def process(self, messages: Sequence[Message]) -> list[list[Output]]:
        """Each message's outputs, in order: a message whose child ended is its dead letter (``_batch``)."""
        return self._batch(messages, [])

    def _batch(self, messages: Sequence[Message], done: list[list[Output]], again: bool = False) -> list[list[Output]]:
        """The outputs of ``messages``, of whose first ``len(done)`` the stage's ``one`` is done (by a child that
        ended since: not run again). When the child ends on a message, that message is a dead letter and a new child
        goes on with the others; when it ends in ``finish``, which no message is to blame for, each message's
        ``finish`` runs on its own (a fallback), and a message whose own ends its child is the letter. When it ends
        blaming no message (``Ended.blamed``), a new child goes on with the messages not done; ``again``: the child
        that ended was started for them, and a second such end with nothing done is ``_unreceived``'s to judge."""
        if not messages:
            return []
        made, answer = self._run(done, messages[len(done) :])
        if not isinstance(answer, Ended):
            outputs, fallbacks = answer
            self.fallbacks += fallbacks
            return outputs
        done = [*done, *made]
        if not answer.blamed:
            self._replace(answer, None)
            if again and not made:
                return self._unreceived(messages, done, answer)
            return self._batch(messages, done, again=not made)
        if len(done) < len(messages) or len(messages) == 1:
            at = min(len(done), len(messages) - 1)
            self._replace(answer, messages[at])
            rest = self._batch([*messages[:at], *messages[at + 1 :]], done[:at])
            return [*rest[:at], self._letter(messages[at], answer), *rest[at:]]
        self._replace(answer, None)
        return self._one_at_a_time(messages, done)

    def _one_at_a_time(self, messages: Sequence[Message], done: list[list[Output]]) -> list[list[Output]]:
        """Each message in a batch of its own, its ``one`` kept if done: its ``finish`` alone (a fallback)."""
        self.fallbacks += 1
        return [self._batch([message], done[n : n + 1])[0] for n, message in enumerate(messages)]

    def _unreceived(self, messages: Sequence[Message], done: list[list[Output]], ended: Ended) -> list[list[Output]]:
        """Two children in a row ended before they said they had the batch, nothing done: a message that ends a
        child on receipt (more than its memory can take), or children that cannot take work. Several messages go on
        one at a time, each with its own ``finish`` (a fallback); a message alone, which ended both, is the letter if
        a new child takes an empty batch (the probe), and the stage is unavailable if that child ends too."""
        if len(messages) > 1:
            return self._one_at_a_time(messages, done)
        probe = self._run([], [])[1]
        if isinstance(probe, Ended):
            raise StageUnavailable(f"the {self.name} stage's child processes end before they work: {probe.detail}")
        return [self._letter(messages[0], ended, "receiving this message (twice; a new child took an empty batch)")]

    def _letter(self, message: Message, ended: Ended, how: str = "on this message") -> list[Output]:
        reason = f"the {self.name} stage's child process ended {how}: {ended.detail}"
        return [serialised(dead_letter(self.name, message, Rejected(ended.code, reason), None))]

    def close(self) -> None:
        """End the child (its stage keeps nothing to save)."""
        if self._process is not None:
            self._connection.close()
            self._process.kill()
            self._process.join()
            self._process = None

    def __enter__(self) -> ChildStage:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def alive(self) -> bool:
        """Whether the child is running (False once its end is seen)."""
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        """The child's process id (None: none running)."""
        return None if self._process is None else self._process.pid

    def _start(self) -> None:
        """Start a child and wait until its stage is built; a stage that cannot be built raises, as it would here."""
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=serve, args=(theirs, self._make, self.cpu_limit_seconds), name=f"{self.name}-stage", daemon=True
        )
        process.start()
        theirs.close()
        try:
            answer = ours.recv() if ours.poll(START_SECONDS) else f"no answer within {START_SECONDS:g} s"
        except (EOFError, OSError):
            answer = f"ended while it started: {_exit_detail(_reaped(process))}"
        if answer != _READY:
            ours.close()
            process.kill()
            raise StageUnavailable(f"the {self.name} stage's child process could not start: {answer}")
        self._process, self._connection = process, ours

    def _run(
        self, done: list[list[Output]], todo: Sequence[Message]
    ) -> tuple[list[list[Output]], tuple[list[list[Output]], int] | Ended]:
        """Send the child the outputs of ``one`` done and the messages to do; the outputs of each message it did, as
        it sends them, and its answer (every output, and its stage's fallbacks) or why it ended before answering. A
        child that ends before it says it received the batch (found ended at the send, say, killed while idle, or
        ended by the backstop) blames no message."""
        if self._process is None:
            self._start()
        with contextlib.suppress(OSError):  # it ended since: its pipe is closed, and the answer below reads the end
            self._connection.send((done, list(todo)))
        made: list[list[Output]] = []
        received = False
        while _answers(self._connection, self.wall_seconds):
            try:
                answer = self._connection.recv()
            except (EOFError, OSError):  # closed, or reset when the child ended with the batch unread
                ended = self._ended()
                return made, ended if received else replace(ended, blamed=False)
            if answer == _RECEIVED:
                received = True
            elif isinstance(answer, tuple):
                return made, answer
            else:
                made.append(answer)
        self._process.kill()
        _reaped(self._process)
        detail = f"no answer within {self.wall_seconds} s; killed by the worker"
        return made, Ended("stage_process_died", detail, blamed=received)

    def _ended(self) -> Ended:
        """Why the child ended (its pipe closed): reaped for its exit status. A child stopped by SIGTERM was told to
        stop, not ended by its message: a service manager stopping the worker's whole group (systemd's default) sends
        it to the child too, and the message it was on is a good one; ``StageStopped`` leaves the batch unpublished
        and uncommitted, to be read again."""
        status = _reaped(self._process)
        if status == -signal.SIGTERM:
            self._connection.close()
            self._process = None  # the next batch, if any, starts another
            raise StageStopped(f"the {self.name} stage's child process was stopped (SIGTERM) in a batch")
        if status == -signal.SIGXCPU:
            return Ended("cpu_limit_exceeded", f"more than {self.cpu_limit_seconds} s of CPU (SIGXCPU)")
        if status == _UNKNOWN_STATUS:
            return Ended("stage_process_died", "its exit status unknown: its forkserver is gone", blamed=False)
        return Ended("stage_process_died", _exit_detail(status))

    def _replace(self, ended: Ended, message: Message | None) -> None:
        """Log and count the child's end, and start another."""
        log.error(
            "the %s stage's child process %s ended (%s: %s)%s; starting another",
            self.name,
            self._process.pid,
            ended.code,
            ended.detail,
            f" on the message at {message.origin}" if message else " on no message (none in progress)",
            extra={"stage": self.name, "origin": message.origin if message else None},
        )
        self._connection.close()
        self._process = None
        self._replaced(ended.code)
        self._start()


def clean_stage(settings: Settings, replaced: Callable[[Ending], None] = lambda code: None) -> StageRunner:
    """The clean stage, the workers' and ``enrich process``'s alike: in a child process under
    ``settings.clean_cpu_limit_seconds`` of CPU a message (``ChildStage``), or in this process with none (0)."""
    make = functools.partial(CleanStage, settings)
    limit = settings.clean_cpu_limit_seconds
    return ChildStage("clean", make, limit, CLEAN_PRELOAD, replaced) if limit else make()


def _reaped(process: BaseProcess) -> int | None:
    """The exit status of a child whose pipe closed (negative: the signal that ended it), killed if it lingers."""
    process.join(_EXIT_WAIT_SECONDS)
    if process.exitcode is None:
        process.kill()
        process.join()
    return process.exitcode


def _answers(connection: Connection, seconds: float) -> bool:
    """Whether the child answers within ``seconds`` of the worker's own running time. A worker stopped with its child
    (Ctrl-Z at a terminal, which stops the whole process group; a paused container) counts at most a slice of its
    stop: a single wait would have seen its deadline passed once the two went on, and blamed the message in
    progress."""
    left = seconds
    while left > 0:
        began = time.monotonic()
        if connection.poll(min(left, _WAIT_SLICE_SECONDS)):
            return True
        left -= min(time.monotonic() - began, _WAIT_SLICE_SECONDS)
    return False


def _exit_detail(status: int | None) -> str:
    if status is not None and status < 0:
        return f"killed by {signal.Signals(-status).name} (the OOM killer, an operator or a crash)"
    return f"exited with status {status}"


def serve(connection: Connection, make: Callable[[], PhasedStage], cpu_limit_seconds: int) -> None:
    """The child: build the stage, then process each batch received, each message under the CPU limit, and send
    its outputs (serialised here, off the worker's threads), until the parent goes."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))  # SIGXCPU dumps core
    # The worker ends its child, not a Ctrl-C at a terminal, which reaches the whole process group: the child it ended
    # made the message in progress a stage_process_died letter. (SIGTERM stays: multiprocessing's exit sends it.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with_worker, args=(connection,), name="end-with-worker", daemon=True).start()
    try:
        stage = make()
    except Exception as exc:
        connection.send(f"{type(exc).__name__}: {exc}")
        return
    connection.send(_READY)
    with contextlib.suppress(EOFError, ConnectionError):  # the worker is gone: its pipe closed, or reset in a send
        while True:
            _serve_batch(connection, stage, cpu_limit_seconds)


def _end_with_worker(connection: Connection) -> None:
    """End this child once the worker's end of its pipe closes (the worker gone, or done with this child): the
    wall-clock backstop is the worker's, and a child hung in a message outlived a worker that exited or was killed
    (its forkserver too, which waits for its children). A message holding the GIL is ended by the CPU limit."""
    watch = select.poll()
    watch.register(connection.fileno(), select.POLLRDHUP)
    watch.poll()
    os._exit(0)


def _serve_batch(connection: Connection, stage: PhasedStage, cpu_limit_seconds: int) -> None:
    """Receive the outputs done and the messages to do, run each message's ``one`` under the limit and send its
    outputs at once (the parent keeps them: a child that ends later does not lose them), then ``finish`` over all
    under a limit of its own, and send every output."""
    done, messages = connection.recv()
    connection.send(_RECEIVED)
    before = stage.fallbacks
    for message in messages:
        limit_cpu(cpu_limit_seconds)
        done.append(stage.one(message))
        connection.send(done[-1])
    limit_cpu(cpu_limit_seconds)
    results = stage.finish(done)
    connection.send(([[serialised(o) for o in outputs] for outputs in results], stage.fallbacks - before))


def limit_cpu(seconds: int) -> None:
    """Let this process use ``seconds`` more of CPU (whole seconds, as the limit is kept: up to one more) before the
    kernel sends it SIGXCPU, whose default action ends it: set here, as an ignored signal stays ignored across
    exec (a worker started under a shell's ``trap '' XCPU`` or a supervisor that ignores it would pass it on)."""
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime) + seconds
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]  # a container's, if any: the soft limit may not pass it
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
