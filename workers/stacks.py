"""What a stuck worker is doing: on SIGUSR1 it prints every thread's stack and every task's await chain.

Faust's worker (mode) answers SIGUSR1 with each thread's stack and the first frame of each task, which names the
task but not what it waits on: a task waiting in a library shows only its own ``await``. The chain followed
through each awaited coroutine down to the future it waits on says where a worker is stuck.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import traceback
from collections.abc import Iterator
from types import FrameType
from typing import IO, Any

from faust.worker import Worker


def await_chain(task: asyncio.Task[Any]) -> Iterator[str]:
    """Where ``task`` waits: one line for each coroutine (or generator) awaited in turn, then what the last awaits."""
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame: FrameType | None = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is None:
            if not hasattr(awaited, "cr_frame") and not hasattr(awaited, "gi_frame"):
                yield f"  waiting on {awaited!r}"[:500]
            return
        code = frame.f_code
        yield f"  {code.co_filename}:{frame.f_lineno} in {code.co_name}"
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)


def thread_loops() -> dict[str, asyncio.AbstractEventLoop]:
    """The event loops of the service threads (Faust's consumer runs aiokafka on one of its own), by thread name."""
    loops = {}
    for thread in threading.enumerate():
        loop = getattr(getattr(thread, "service", None), "thread_loop", None)
        if isinstance(loop, asyncio.AbstractEventLoop):
            loops[thread.name] = loop
    return loops


def print_stacks(file: IO[str], loop: asyncio.AbstractEventLoop) -> None:
    """Every thread's stack, then every task of ``loop`` and of the service threads' loops with its await chain.
    Another thread's tasks are read while it runs: a diagnosis, not a snapshot."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        print(f"THREAD {names.get(ident, ident)}", file=file)
        traceback.print_stack(frame, file=file)
    for name, each in {"main": loop, **thread_loops()}.items():
        for task in sorted(asyncio.all_tasks(each), key=lambda task: task.get_name()):
            print(f"TASK ({name} loop) {task.get_name()}", file=file)
            for line in await_chain(task):
                print(line, file=file)
    file.flush()


class StackDumpingWorker(Worker):
    """Faust's worker, whose SIGUSR1 prints the await chains (``print_stacks``) to its standard error."""

    async def _cry(self) -> None:
        print_stacks(sys.stderr, asyncio.get_running_loop())
