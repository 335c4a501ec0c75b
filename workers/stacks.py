"""What a stuck worker is doing: on SIGUSR1 it prints every thread's stack, every task's await chain and the state
of its Kafka clients; on SIGUSR2, every thread's stack even while its event loop is blocked.

Faust's worker (mode) answers SIGUSR1 with each thread's stack and the first frame of each task, which names the
task but not what it waits on: a task waiting in a library shows only its own ``await``. The chain followed
through each awaited coroutine down to the future it waits on says where a worker is stuck; the clients' state
(the producer's undelivered batches and requests in flight, the consumer's partitions) says on what. The clients'
state is read from aiokafka's and Faust's internals: a diagnosis, whatever of it can be read.
"""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from types import FrameType
from typing import IO, Any

from faust.worker import Worker


def await_chain(task: asyncio.Task[Any]) -> Iterator[str]:
    """Where ``task`` waits: one line for each coroutine, generator or async generator (an ``async for``) awaited in
    turn, then the future the task waits on."""
    awaited: Any = task.get_coro()
    while awaited is not None:
        awaited = _inside(awaited)
        frame: FrameType | None = _first(awaited, ("cr_frame", "gi_frame", "ag_frame"))
        if frame is None:
            break
        code = frame.f_code
        yield f"  {code.co_filename}:{frame.f_lineno} in {code.co_name}"
        awaited = _first(awaited, ("cr_await", "gi_yieldfrom", "ag_await"))
    yield f"  waiting on {getattr(task, '_fut_waiter', None)!r}"[:500]


def _first(awaited: Any, names: tuple[str, ...]) -> Any:
    """The first of these attributes (a coroutine's, a generator's or an async generator's) that is set, else None."""
    return next((value for name in names if (value := getattr(awaited, name, None)) is not None), None)


def _inside(awaited: Any) -> Any:
    """The async generator an ``async for`` step (``async_generator_asend``) runs, else ``awaited`` itself."""
    if type(awaited).__name__ == "async_generator_asend":
        return next((each for each in gc.get_referents(awaited) if hasattr(each, "ag_frame")), awaited)
    return awaited


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


def producer_state(producer: Any) -> Iterator[str]:
    """An aiokafka producer's batches not delivered (partition, age, retries, the partition's leader as it knows it),
    the nodes its sender has a request in flight to, and the requests waiting on each connection."""
    now = time.monotonic()
    accumulator, sender, client = producer._message_accumulator, producer._sender, producer.client
    batches = [("queued", batch) for queue in list(accumulator._batches.values()) for batch in list(queue)]
    batches += [("sent", batch) for batch in list(accumulator._pending_batches)]
    for where, batch in batches:
        tp = batch.tp
        yield (
            f"  {where} {tp.topic}[{tp.partition}] {now - batch._ctime:.1f} s old, retries {batch.retry_count}, "
            f"leader {client.cluster.leader_for_partition(tp)}"
        )
    task = sender.sender_task
    yield f"  sender in flight to nodes {sorted(sender._in_flight)}, task done: {task is not None and task.done()}"
    yield from client_state(client)


def client_state(client: Any) -> Iterator[str]:
    """An aiokafka client's metadata update under way and the requests waiting for an answer on each connection."""
    yield f"  metadata update under way: {client._md_update_fut is not None}, topics {len(client._topics)}"
    for (node, group), connection in list(client._conns.items()):
        yield f"  connection to node {node} ({group}): {len(connection._requests)} requests unanswered"


def consumer_state(consumer: Any) -> Iterator[str]:
    """Faust's consumer: its flow, the partitions it fetches, each assigned partition as aiokafka holds it, and the
    commit ledger of the source partitions (``workers.consumer.LedgerConsumer``)."""
    yield f"  flow active: {consumer.flow_active}, paused by Faust: {sorted(map(tuple, consumer._paused_partitions))}"
    active = consumer._active_partitions
    yield f"  active partitions: {None if active is None else sorted(map(tuple, active))}"
    inner = consumer._thread._consumer
    assignment = inner._subscription.subscription.assignment
    for tp in sorted(assignment.tps):
        state = assignment.state_value(tp)
        yield (
            f"  {tp.topic}[{tp.partition}]: position {state._position}, highwater {state.highwater}, "
            f"paused {state.paused}, awaiting reset {state.awaiting_reset}"
        )
    yield f"  fetcher records buffered: {sorted(map(tuple, inner._fetcher._records))}"
    for tp in sorted(consumer.ledger.partitions()):
        ledger = consumer.ledger.get(tp)
        yield f"  ledger {tp.topic}[{tp.partition}]: commits up to {ledger.committable()}, {ledger.in_flight} in flight"
    yield f"  a commit under way: {consumer._commit_fut is not None}"
    yield from client_state(inner._client)


def print_client_state(file: IO[str], app: Any) -> None:
    """``producer_state`` and ``consumer_state`` of the app's clients, each as far as it can be read."""
    parts = {
        "PRODUCER": lambda: producer_state(app.producer._producer),
        "CONSUMER": lambda: consumer_state(app.consumer),
    }
    for title, lines in parts.items():
        print(title, file=file)
        try:
            for line in lines():
                print(line, file=file)
        except Exception as error:  # a diagnosis: internals read from a running worker, another thread's too
            print(f"  could not read it: {error!r}", file=file)
    file.flush()


STACKS_END = "-- end of the worker's stacks --"  # the last line SIGUSR1 prints, for a reader to wait for


def answer_signals_while_starting() -> None:
    """Both signals print every thread's stack (``faulthandler``) until the worker installs its own handlers: a
    worker stuck before its event loop runs (checking topics, discarding stale state) said nothing, and either
    signal's default action ended it."""
    for number in (signal.SIGUSR1, signal.SIGUSR2):
        faulthandler.register(number, file=sys.stderr, all_threads=True)


class StackDumpingWorker(Worker):
    """Faust's worker, whose SIGUSR1 prints the await chains (``print_stacks``) and the Kafka clients' state
    (``print_client_state``) to its standard error, and whose SIGUSR2 prints every thread's stack from the signal
    handler itself (``faulthandler``): that one answers while the event loop is blocked, when SIGUSR1's cannot run.
    mode's SIGUSR2 started a debugger, which in a worker without a terminal only blocks the loop."""

    def _install_signal_handlers_unix(self) -> None:
        super()._install_signal_handlers_unix()
        self.loop.remove_signal_handler(signal.SIGUSR2)  # leaves the signal's default action: ending the process
        faulthandler.unregister(signal.SIGUSR2)  # registered at the start: a second register would install nothing
        faulthandler.register(signal.SIGUSR2, file=sys.stderr, all_threads=True)

    async def _cry(self) -> None:
        print_stacks(sys.stderr, asyncio.get_running_loop())
        print_client_state(sys.stderr, self.app)
        print(STACKS_END, file=sys.stderr, flush=True)
