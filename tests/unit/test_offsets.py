"""The commit ledger: a source partition is committed only over offsets whose outputs were delivered.

The consumer tests replay, without a broker, what Faust does in a rebalance or a stop: it acks messages it
never handed to an agent (a message of an older generation, one met while flow control is suspended, a batch
whose generator closed). Faust's own commit counts them as done; the ledger's must not.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from faust.types import TP, Message
from hypothesis import given
from hypothesis import strategies as st

from workers.app import create_app
from workers.offsets import CommitLedger, PartitionLedger
from workers.settings import Settings

COMMITTED = 100


def test_a_gap_free_run_of_published_offsets_is_committable() -> None:
    ledger = PartitionLedger(COMMITTED)
    for offset in range(COMMITTED, COMMITTED + 5):
        ledger.published(offset)
    assert ledger.committable() == COMMITTED + 5
    assert ledger.held_back == 0


def test_a_hole_holds_the_commit_back_until_it_is_published() -> None:
    ledger = PartitionLedger(COMMITTED)
    for offset in (100, 101, 103, 104):
        ledger.published(offset)
    assert ledger.committable() == 102
    assert ledger.held_back == 2
    ledger.published(102)  # the message read again after a rebalance, published this time
    assert ledger.committable() == 105


def test_offsets_below_the_start_are_replays_and_change_nothing() -> None:
    ledger = PartitionLedger(COMMITTED)
    ledger.published(COMMITTED - 1)
    assert ledger.committable() == COMMITTED
    assert ledger.held_back == 0


def test_a_restart_drops_what_was_noted_and_foreign_partitions_are_ignored() -> None:
    ledger = CommitLedger()
    ledger.start("a", COMMITTED)
    ledger.published([("a", 101), ("b", 100)])  # "b" is not owned: ignored
    ledger.start("a", COMMITTED)  # sought back to the committed offset: 101 will be read again
    ledger.published([("a", 100)])
    assert ledger.committable("a") == 101
    assert ledger.committable("b") is None
    ledger.forget(["a"])
    assert ledger.partitions() == []


@given(st.sets(st.integers(min_value=0, max_value=40)), st.randoms())
def test_the_commit_is_the_first_offset_not_published_whatever_the_order(published: set[int], rnd) -> None:
    ledger = PartitionLedger(0)
    order = list(published)
    rnd.shuffle(order)
    for offset in order:
        ledger.published(offset)
        ledger.committable()  # commits happen at any moment in between
    assert ledger.committable() == min(set(range(42)) - published)


# The consumer, without a broker: the offsets it would commit after Faust's own acks and the agents' reports.


def _consumer_sought_to(settings: Settings, tp: TP, committed: int):
    """The worker's consumer, just after a rebalance sought ``tp`` (a source partition) to ``committed``."""
    app = create_app(settings, ("clean",))
    consumer = app.consumer
    app.topics._acking_topics.add(tp.topic)  # the clean agent's stream acks its topic

    async def seek_to_committed() -> dict[TP, int]:
        return {tp: committed}

    consumer.seek_to_committed = seek_to_committed
    consumer.assignment = lambda: {tp}
    asyncio.run(consumer.perform_seek())
    return app, consumer


def _message(tp: TP, offset: int) -> Message:
    return Message(tp.topic, tp.partition, offset, 0.0, 0, {}, b"k", b"v", None, tp=tp)


def test_messages_acked_but_never_published_are_not_committed(settings: Settings) -> None:
    """Faust acks, unprocessed, messages of an older generation and a closed batch: its commit would skip them."""
    tp = TP(settings.topic_raw, 0)
    _, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    for offset in range(COMMITTED, COMMITTED + 5):
        consumer.ack(_message(tp, offset))
    assert consumer._filter_committable_offsets([tp]) == {}


def test_published_messages_are_committed_up_to_the_first_hole(settings: Settings) -> None:
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    events = [SimpleNamespace(message=_message(tp, offset)) for offset in (100, 101, 103, 104)]
    app.published(events)
    for event in events:
        consumer.ack(event.message)
    consumer.ack(_message(tp, 102))  # acked by Faust, never handed to an agent
    assert consumer._filter_committable_offsets([tp]) == {tp: 102}


def test_a_message_acked_but_not_published_is_read_again_at_the_next_commit(settings: Settings) -> None:
    """Without a rebalance nothing else would read it again: the commit would stay behind it for good."""
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    sought: list[tuple[TP, int]] = []

    async def seek(partition: TP, offset: int) -> None:
        sought.append((partition, offset))

    consumer.seek = seek
    app.published([SimpleNamespace(message=_message(tp, COMMITTED))])
    consumer.ack(_message(tp, COMMITTED))  # published first: nothing to read again
    consumer.ack(_message(tp, COMMITTED + 1))  # skipped by a stream: acked, never published
    consumer.ack(_message(tp, COMMITTED + 2))
    asyncio.run(consumer._read_holes_again())
    assert sought == [(tp, COMMITTED + 1)]
    asyncio.run(consumer._read_holes_again())
    assert sought == [(tp, COMMITTED + 1)]  # once per hole


def test_a_message_read_past_and_in_no_stream_is_read_again_when_seen_twice(settings: Settings) -> None:
    """Faust's fetcher read past it (its read offset moved on) but it reached no stream: dropped on the way."""
    tp = TP(settings.topic_raw, 0)
    _, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    sought: list[tuple[TP, int]] = []

    async def seek(partition: TP, offset: int) -> None:
        sought.append((partition, offset))

    consumer.seek = seek
    consumer._read_offset[tp] = COMMITTED + 5
    in_flight = _message(tp, COMMITTED)
    consumer._unacked_messages.add(in_flight)  # a stream holds it: not dropped
    asyncio.run(consumer._read_holes_again())
    asyncio.run(consumer._read_holes_again())
    assert sought == []
    consumer._unacked_messages.discard(in_flight)
    asyncio.run(consumer._read_holes_again())  # seen once: it may be on its way
    assert sought == []
    asyncio.run(consumer._read_holes_again())
    assert sought == [(tp, COMMITTED)]
