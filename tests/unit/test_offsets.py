"""The commit ledger: a source partition is committed only over offsets whose outputs were delivered.

The consumer tests replay, without a broker, what Faust does in a rebalance or a stop: it acks messages it
never handed to an agent (a message of an older generation, one met while flow control is suspended, a batch
whose generator closed). Faust's own commit counts them as done; the ledger's must not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import SimpleNamespace

from aiokafka.structs import ConsumerRecord
from faust.types import TP, Message
from hypothesis import given
from hypothesis import strategies as st

from workers.app import create_app
from workers.offsets import CommitLedger, PartitionLedger
from workers.settings import Settings

COMMITTED = 100


def _read(ledger: PartitionLedger, offsets: Iterable[int]) -> PartitionLedger:
    for offset in offsets:
        ledger.fetched(offset)
    return ledger


def test_a_gap_free_run_of_published_offsets_is_committable() -> None:
    ledger = _read(PartitionLedger(COMMITTED), range(COMMITTED, COMMITTED + 5))
    assert ledger.committable() == COMMITTED  # read, nothing delivered yet
    for offset in range(COMMITTED, COMMITTED + 5):
        ledger.published(offset)
    assert ledger.committable() == COMMITTED + 5
    assert ledger.in_flight == 0


def test_a_hole_holds_the_commit_back_until_it_is_published() -> None:
    ledger = _read(PartitionLedger(COMMITTED), range(100, 105))
    for offset in (100, 101, 103, 104):
        ledger.published(offset)
    assert ledger.committable() == 102
    assert not ledger.done(102) and ledger.done(103) and ledger.in_flight == 1
    ledger.fetched(102)  # the message read again, published this time
    ledger.published(102)
    assert ledger.committable() == 105


def test_what_follows_a_hole_and_was_published_is_skipped_when_read_again() -> None:
    """A seek back to a hole reads again the messages after it: those published are not processed twice."""
    ledger = _read(PartitionLedger(COMMITTED), range(100, 105))
    for offset in (100, 101, 103):
        ledger.published(offset)
    assert [ledger.fetched(offset) for offset in range(102, 106)] == [True, False, True, True]  # 104 is in flight
    ledger.published(102)
    assert ledger.committable() == 104


def test_a_message_read_after_later_ones_is_noted_not_taken_for_published() -> None:
    """Offsets 98-100 came first (a fetch from before a seek), 92 after: 92 was never published, so it holds."""
    ledger = _read(PartitionLedger(92), (98, 99, 100))
    assert ledger.fetched(92)
    assert ledger.committable() == 92


def test_offsets_where_no_message_is_do_not_hold_the_commit_back() -> None:
    """A transaction's commit marker (here 103) or a compacted key is an offset no message will come from."""
    ledger = _read(PartitionLedger(COMMITTED), (100, 101, 102, 104, 105))
    for offset in (100, 101, 102, 104, 105):
        ledger.published(offset)
    assert ledger.committable() == 106


def test_a_committed_offset_older_than_the_log_is_passed_by_the_first_message_read() -> None:
    """Retention deleted offsets 100-499: the consumer resets to the log's start and the commit follows it."""
    ledger = _read(PartitionLedger(COMMITTED), (500, 501))
    assert ledger.committable() == 500
    ledger.published(500)
    assert ledger.committable() == 501


def test_offsets_below_the_start_are_replays_and_change_nothing() -> None:
    ledger = _read(PartitionLedger(COMMITTED), [COMMITTED - 1])
    ledger.published(COMMITTED - 1)
    assert ledger.committable() == COMMITTED
    assert ledger.in_flight == 0


def test_a_restart_drops_what_was_noted_and_foreign_partitions_are_ignored() -> None:
    ledger = CommitLedger()
    ledger.start("a", COMMITTED)
    for tp, offset in (("a", 100), ("a", 101), ("b", 100)):  # "b" is not owned: ignored
        ledger.fetched(tp, offset)
    ledger.published([("a", 101), ("b", 100)])
    ledger.start("a", COMMITTED)  # sought back to the committed offset: 100 and 101 will be read again
    ledger.fetched("a", 100)
    ledger.published([("a", 100)])
    assert ledger.committable("a") == 101
    assert ledger.committable("b") is None
    ledger.forget(["a"])
    assert ledger.partitions() == []


@given(st.sets(st.integers(min_value=0, max_value=40), min_size=1), st.data())
def test_the_commit_is_the_first_message_read_and_not_published_whatever_the_order(read: set[int], data) -> None:
    """Any offsets read (gaps between them: markers, compaction), any of them published, in any order."""
    ledger = _read(PartitionLedger(0), sorted(read))
    published = data.draw(st.permutations(sorted(data.draw(st.sets(st.sampled_from(sorted(read)))))))
    for offset in published:
        ledger.published(offset)
        ledger.committable()  # commits happen at any moment in between
    assert ledger.committable() == min(read - set(published), default=max(read) + 1)


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


def _fetch(consumer, tp: TP, offsets: Iterable[int]) -> list[Message]:
    """Fetch records at ``offsets`` through the consumer (its consumer thread faked), and the messages Faust makes
    of them for the streams."""
    records = [ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, b"k", b"v", None, 1, 1, []) for offset in offsets]

    async def getmany(active_partitions, timeout):
        return {tp: records}

    consumer._thread = SimpleNamespace(getmany=getmany)
    fetched = asyncio.run(consumer._getmany({tp}, 1.0))
    return [consumer._to_message(tp, record) for record in fetched.get(tp, [])]


def test_messages_acked_but_never_published_are_not_committed(settings: Settings) -> None:
    """Faust acks, unprocessed, messages of an older generation and a closed batch: its commit would skip them."""
    tp = TP(settings.topic_raw, 0)
    _, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    for message in _fetch(consumer, tp, range(COMMITTED, COMMITTED + 5)):
        consumer.ack(message)
    assert consumer._filter_committable_offsets([tp]) == {}


def test_published_messages_are_committed_up_to_the_first_hole(settings: Settings) -> None:
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    messages = _fetch(consumer, tp, range(100, 105))
    events = [SimpleNamespace(message=message) for message in messages if message.offset != 102]
    app.published(events)
    for message in messages:
        consumer.ack(message)  # 102 too: acked by Faust, never handed to an agent
    assert consumer._filter_committable_offsets([tp]) == {tp: 102}


def test_offsets_without_a_message_are_committed_past(settings: Settings) -> None:
    """Offsets 102-103 hold a transaction's markers, or were compacted away: nothing will be read there."""
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    messages = _fetch(consumer, tp, (100, 101, 104))
    app.published([SimpleNamespace(message=message) for message in messages])
    for message in messages:
        consumer.ack(message)
    assert consumer._filter_committable_offsets([tp]) == {tp: 105}


def test_a_seek_back_to_a_hole_hands_the_streams_only_what_was_not_published(settings: Settings) -> None:
    """After a worker restarts, say, a message dropped while a stage loaded is read again, not those after it."""
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    messages = _fetch(consumer, tp, range(100, 105))
    app.published([SimpleNamespace(message=message) for message in messages if message.offset != 102])
    assert [message.offset for message in _fetch(consumer, tp, range(102, 106))] == [102, 105]
    assert _fetch(consumer, tp, [103]) == []


def _record_seeks(consumer) -> list[tuple[TP, int]]:
    """The seeks the consumer makes, recorded instead of done."""
    sought: list[tuple[TP, int]] = []

    async def seek(partition: TP, offset: int) -> None:
        sought.append((partition, offset))

    consumer.seek = seek
    return sought


def test_a_message_acked_but_not_published_is_read_again_at_the_next_commit(settings: Settings) -> None:
    """Without a rebalance nothing else would read it again: the commit would stay behind it for good."""
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    sought = _record_seeks(consumer)
    first, skipped, after = _fetch(consumer, tp, range(COMMITTED, COMMITTED + 3))
    app.published([SimpleNamespace(message=first)])
    consumer.ack(first)  # published first: nothing to read again
    consumer.ack(skipped)  # skipped by a stream: acked, never published
    consumer.ack(after)
    asyncio.run(consumer._read_holes_again())
    assert sought == [(tp, COMMITTED + 1)]
    consumer._unacked_messages.add(skipped)  # read again: a stream holds it
    asyncio.run(consumer._read_holes_again())
    assert sought == [(tp, COMMITTED + 1)]  # once per hole


def test_a_message_read_past_and_in_no_stream_is_read_again_when_seen_twice(settings: Settings) -> None:
    """Faust fetched it but it reached no stream: dropped on the way."""
    tp = TP(settings.topic_raw, 0)
    _, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    sought = _record_seeks(consumer)
    _fetch(consumer, tp, range(COMMITTED, COMMITTED + 5))  # Faust handed none of them to a stream
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


def test_messages_behind_a_delivery_that_waits_are_on_their_way(settings: Settings) -> None:
    """Faust hands fetched messages to the streams one by one: while one waits (flow control, a full producer
    buffer), those behind it are in no queue and no stream, and are not read again for that."""
    tp = TP(settings.topic_raw, 0)
    _, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    sought = _record_seeks(consumer)
    first, *_ = _fetch(consumer, tp, range(COMMITTED, COMMITTED + 5))

    async def deliver_while_checking() -> None:
        release = asyncio.Event()

        async def waits(message: Message) -> None:
            await release.wait()

        delivery = asyncio.create_task(consumer._delivering(waits)(first))
        await asyncio.sleep(0)
        await consumer._read_holes_again()
        await consumer._read_holes_again()
        assert sought == []
        release.set()
        await delivery  # let go, and it reached no stream: dropped after all
        await consumer._read_holes_again()
        await consumer._read_holes_again()
        assert sought == [(tp, COMMITTED)]

    asyncio.run(deliver_while_checking())


def test_an_older_generations_message_acked_unpublished_is_left_to_the_rebalances_seek(settings: Settings) -> None:
    """A stream skips and acks a message fetched before a rebalance; the rebalance ends with a seek to the committed
    offset, which reads it again. Seeking back for it as well would deliver twice what is on its way."""
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    sought = _record_seeks(consumer)
    messages = _fetch(consumer, tp, range(COMMITTED, COMMITTED + 3))
    app.consumer_generation_id += 1
    for message in messages:
        consumer.ack(message)
    asyncio.run(consumer._read_holes_again())
    assert sought == []


def test_a_batch_taken_before_a_rebalance_keeps_only_the_current_generations_events(settings: Settings) -> None:
    """Events buffered by take_events before a rebalance are read again after it: not processed from the buffer."""
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    older = _fetch(consumer, tp, [100, 101])
    app.consumer_generation_id += 1
    newer = _fetch(consumer, tp, [102])
    events = [SimpleNamespace(message=message) for message in older + newer]
    assert [event.message.offset for event in app.current(events)] == [102]


def test_a_message_acked_unpublished_is_read_again_from_itself_not_from_one_still_in_a_stage(
    settings: Settings,
) -> None:
    """Offset 100 is in a stage's batch; 101 was acked by Faust unpublished: reading 100 again would do it twice."""
    tp = TP(settings.topic_raw, 0)
    _, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    sought = _record_seeks(consumer)
    in_stage, skipped = _fetch(consumer, tp, range(COMMITTED, COMMITTED + 2))
    consumer._unacked_messages.add(in_stage)
    consumer.ack(skipped)
    asyncio.run(consumer._read_holes_again())
    assert sought == [(tp, COMMITTED + 1)]


def test_a_seek_back_does_not_deliver_again_what_is_still_in_a_stage(settings: Settings) -> None:
    """102 was acked unpublished; 103 and 104 are in a stage's batch: reading from 102 again hands over 102 only."""
    tp = TP(settings.topic_raw, 0)
    _, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    _record_seeks(consumer)
    messages = _fetch(consumer, tp, range(COMMITTED, COMMITTED + 5))
    consumer._unacked_messages.update(messages[3:])
    consumer.ack(messages[2])
    asyncio.run(consumer._read_holes_again())
    assert [message.offset for message in _fetch(consumer, tp, range(102, 106))] == [102, 105]
