"""A stuck worker's stacks: each task's await chain, down to what it waits on."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from tests.conftest import ROOT
from workers.stacks import await_chain, print_stacks, producer_state


async def held(event: asyncio.Event) -> None:
    await event.wait()


async def waiting_in_a_helper(event: asyncio.Event) -> None:
    await held(event)


async def ticks(event: asyncio.Event) -> AsyncIterator[int]:
    while True:
        await event.wait()
        yield 1


async def reading_a_stream(event: asyncio.Event) -> None:
    async for _ in ticks(event):
        return


def chain_of(waiting: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> list[str]:
    """The await chain of a task running ``waiting`` while its event is not set."""

    async def run() -> list[str]:
        event = asyncio.Event()
        task = asyncio.create_task(waiting(event))
        await asyncio.sleep(0)
        chain = list(await_chain(task))
        event.set()
        await task
        return chain

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("waiting", "names"),
    [
        (waiting_in_a_helper, ["waiting_in_a_helper", "held", "wait"]),
        (reading_a_stream, ["reading_a_stream", "ticks", "wait"]),
    ],
    ids=["await", "async for"],  # Faust's streams and mode's timers wait in async for: the chain stopped at its step
)
def test_a_tasks_await_chain_names_each_coroutine_down_to_the_future_it_waits_on(waiting, names: list[str]) -> None:
    chain = chain_of(waiting)
    assert [line.rsplit(" in ", 1)[-1] for line in chain[:3]] == names
    assert chain[-1].startswith("  waiting on <Future pending")


def test_the_dump_lists_the_threads_and_the_tasks_of_the_loop() -> None:
    async def run() -> str:
        event = asyncio.Event()
        task = asyncio.create_task(waiting_in_a_helper(event), name="the-stuck-one")
        await asyncio.sleep(0)
        out = io.StringIO()
        print_stacks(out, asyncio.get_running_loop())
        event.set()
        await task
        return out.getvalue()

    dump = asyncio.run(run())
    assert "THREAD MainThread" in dump
    assert "TASK (main loop) the-stuck-one" in dump
    assert "in held" in dump.split("TASK (main loop) the-stuck-one", 1)[1]


def test_a_batch_the_producer_has_not_delivered_is_named_with_its_partition_and_leader() -> None:
    async def run() -> list[str]:
        producer = AIOKafkaProducer(bootstrap_servers="127.0.0.1:9")  # never started: nothing is sent
        try:
            await producer._message_accumulator.add_message(TopicPartition("articles.clean", 0), b"k", b"v", timeout=1)
            return list(producer_state(producer))
        finally:
            await producer.stop()

    state = asyncio.run(run())
    assert state[0].startswith("  queued articles.clean[0] ")
    assert state[0].endswith("retries 0, leader None")
    assert "sender in flight to nodes []" in state[1]


def test_a_worker_asked_for_its_stacks_before_its_loop_runs_prints_them_and_goes_on() -> None:
    """Either signal's default action ended a worker still checking its topics: a stuck start said nothing."""
    script = (
        "import os, signal\n"
        "from workers.stacks import answer_signals_while_starting\n"
        "answer_signals_while_starting()\n"
        "os.kill(os.getpid(), signal.SIGUSR1)\n"
        "os.kill(os.getpid(), signal.SIGUSR2)\n"
        "print('went on')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert (done.returncode, done.stdout) == (0, "went on\n"), done.stderr
    assert done.stderr.count("most recent call first") == 2, done.stderr
