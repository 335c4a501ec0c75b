"""A stuck worker's stacks: each task's await chain, down to what it waits on."""

from __future__ import annotations

import asyncio
import io

from workers.stacks import await_chain, print_stacks


async def held(event: asyncio.Event) -> None:
    await event.wait()


async def waiting_in_a_helper(event: asyncio.Event) -> None:
    await held(event)


def test_a_tasks_await_chain_names_each_coroutine_down_to_the_future_it_waits_on() -> None:
    async def run() -> list[str]:
        event = asyncio.Event()
        task = asyncio.create_task(waiting_in_a_helper(event))
        await asyncio.sleep(0)
        chain = list(await_chain(task))
        event.set()
        await task
        return chain

    chain = asyncio.run(run())
    assert [line.rsplit(" in ", 1)[-1] for line in chain[:3]] == ["waiting_in_a_helper", "held", "wait"]
    assert chain[-1].startswith("  waiting on <")


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
