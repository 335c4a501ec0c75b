"""A stuck worker's stacks: each task's await chain, down to what it waits on."""

from __future__ import annotations

import asyncio
import io

from aiokafka import AIOKafkaProducer, TopicPartition

from workers.stacks import await_chain, print_stacks, producer_state


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
