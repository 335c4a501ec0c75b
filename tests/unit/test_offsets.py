"""The commit ledger: a source partition is committed only over offsets whose outputs were delivered.

The consumer tests replay, without a broker, what Faust does in a rebalance or a stop: it acks messages it
never handed to an agent (a message of an older generation, one met while flow control is suspended, a batch
whose generator closed). Faust's own commit counts them as done; the ledger's must not.
"""

from __future__ import annotations

import asyncio
import gc
import math
from collections.abc import Iterable
from types import SimpleNamespace

import pytest
from aiokafka.errors import RecordTooLargeError
from aiokafka.structs import ConsumerRecord
from faust.types import TP, Message
from hypothesis import given
from hypothesis import strategies as st

from workers import consumer as consumer_module
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


def test_messages_published_before_this_ledger_read_them_count_as_read() -> None:
    """An older generation's batch published 101-103 after the rebalance's seek to 100: read again, they are
    skipped, and the commit passes them once 100 is out (it waited for a later message before)."""
    ledger = PartitionLedger(COMMITTED)
    for offset in (101, 102, 103):
        ledger.published(offset)
    assert [ledger.fetched(offset) for offset in range(100, 104)] == [True, False, False, False]
    ledger.published(100)
    assert ledger.committable() == 104


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
    """The worker's consumer, just after a rebalance sought ``tp`` (a source partition) to ``committed``; it looks
    for lost messages only when a test asks (``_read_lost_again``)."""
    app = create_app(settings, ("clean",))
    consumer = app.consumer
    consumer.lost_check_seconds = math.inf
    app.topics._acking_topics.add(tp.topic)  # the clean agent's stream acks its topic

    async def seek_to_committed() -> dict[TP, int]:
        return {tp: committed}

    consumer.seek_to_committed = seek_to_committed
    consumer.assignment = lambda: {tp}
    asyncio.run(consumer.perform_seek())
    consumer._next_lost_check = math.inf
    _stand_at(consumer, committed)
    return app, consumer


def _stand_at(consumer, position: int) -> None:
    """Fake the consumer's position (aiokafka's, asked through its consumer thread)."""

    async def at(partition: TP) -> int:
        return position

    consumer.position = at


def _message(tp: TP, offset: int) -> Message:
    return Message(tp.topic, tp.partition, offset, 0.0, 0, {}, b"k", b"v", None, tp=tp)


def _records(tp: TP, offsets: Iterable[int]) -> list[ConsumerRecord]:
    return [ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, b"k", b"v", None, 1, 1, []) for offset in offsets]


def _fetch(consumer, tp: TP, offsets: Iterable[int]) -> list[Message]:
    """Fetch records at ``offsets`` through the consumer (its consumer thread faked), and the messages Faust makes
    of them for the streams."""
    records = _records(tp, offsets)

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


def test_a_message_acked_but_not_published_is_read_again(settings: Settings) -> None:
    """Without a rebalance nothing else would read it again: the commit would stay behind it for good."""
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    sought = _record_seeks(consumer)
    first, skipped, after = _fetch(consumer, tp, range(COMMITTED, COMMITTED + 3))
    app.published([SimpleNamespace(message=first)])
    consumer.ack(first)  # published first: nothing to read again
    consumer.ack(skipped)  # skipped by a stream: acked, never published
    consumer._unacked_messages.add(after)  # in a stream
    asyncio.run(consumer._read_lost_again())
    assert sought == [(tp, COMMITTED + 1)]
    again = _message(tp, COMMITTED + 1)
    again.generation_id = app.consumer_generation_id
    consumer._unacked_messages.add(again)  # read again: a stream holds it
    asyncio.run(consumer._read_lost_again())
    assert sought == [(tp, COMMITTED + 1)]  # once per loss


def test_a_message_fetched_and_in_no_stream_nor_queue_is_read_again(settings: Settings) -> None:
    """Faust fetched it but it reached no stream: dropped on the way (by its read-offset check after a seek, say).
    Faust's delivery loop has handed out or dropped the whole last fetch when it fetches again, so there is no
    third place such a message can be."""
    tp = TP(settings.topic_raw, 0)
    _, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    sought = _record_seeks(consumer)
    messages = _fetch(consumer, tp, range(COMMITTED, COMMITTED + 3))
    consumer._unacked_messages.add(messages[0])  # a stream holds it: not lost
    queue: asyncio.Queue = asyncio.Queue()
    consumer.app.topics._topic_name_index[tp.topic] = [SimpleNamespace(queue=queue)]  # the agent's channel
    queue.put_nowait(SimpleNamespace(message=messages[1]))  # queued for a stream: not lost
    asyncio.run(consumer._read_lost_again())
    assert sought == [(tp, COMMITTED + 2)]


def test_an_older_generations_message_in_a_stream_does_not_hide_a_lost_one(settings: Settings) -> None:
    """A batch taken before a rebalance still holds offset 100 when the seek reads 100 again and Faust drops it: the
    stream's message is the older generation's, so 100 is lost in this one and read again."""
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    sought = _record_seeks(consumer)
    older = _message(tp, COMMITTED)
    older.generation_id = app.consumer_generation_id - 1
    consumer._unacked_messages.add(older)
    _fetch(consumer, tp, [COMMITTED])
    asyncio.run(consumer._read_lost_again())
    assert sought == [(tp, COMMITTED)]


def test_nothing_is_read_again_during_a_rebalance(settings: Settings) -> None:
    """The rebalance ends with a seek to the committed offsets, which reads every unpublished message again."""
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    sought = _record_seeks(consumer)
    _fetch(consumer, tp, range(COMMITTED, COMMITTED + 3))
    app.rebalancing = True
    asyncio.run(consumer._read_lost_again())
    assert sought == []


def test_a_fetch_a_rebalances_seek_waited_for_is_left_out(settings: Settings) -> None:
    """A fetch under way when a rebalance seeks comes back with records from before the seek: noted in the new
    ledger, the commit would pass the messages between the committed offset and theirs."""
    tp = TP(settings.topic_raw, 0)
    _, consumer = _consumer_sought_to(settings, tp, COMMITTED)

    async def fetch_across_a_seek() -> dict:
        release = asyncio.Event()

        async def getmany(active_partitions, timeout):
            await release.wait()
            return {tp: _records(tp, range(COMMITTED + 50, COMMITTED + 55))}

        consumer._thread = SimpleNamespace(getmany=getmany)
        fetch = asyncio.create_task(consumer._getmany({tp}, 1.0))
        await asyncio.sleep(0)
        seek = asyncio.create_task(consumer.perform_seek())
        await asyncio.sleep(0)
        release.set()
        await seek
        return await fetch

    assert asyncio.run(fetch_across_a_seek()) == {}
    assert consumer.ledger.get(tp).in_flight == 0
    assert consumer._filter_committable_offsets([tp]) == {}  # nothing read: the commit stays where it was


def test_records_fetched_before_the_rebalances_seek_are_left_out(settings: Settings) -> None:
    """Faust resumes the streams before it seeks to the committed offsets (#216): what it fetches in between, for
    a partition whose ledger the seek has not started yet, is read again after the seek, not processed twice."""
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    consumer.ledger.forget([tp])  # revoked, assigned again, not sought yet
    app.rebalancing = True
    assert _fetch(consumer, tp, range(COMMITTED + 40, COMMITTED + 43)) == []


def test_a_seek_as_a_rebalance_begins_keeps_the_ledger_for_the_revocations_commit(settings: Settings) -> None:
    """Faust's fetcher seeks to the committed offsets when it finds the flow stopped: restarting the ledger there
    made the revocation commit the old offset, and the next owner processed the published work again."""
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    messages = _fetch(consumer, tp, range(COMMITTED, COMMITTED + 5))
    app.published([SimpleNamespace(message=message) for message in messages[:4]])
    consumer.stop_flow()  # a rebalance begins
    asyncio.run(consumer.perform_seek())
    assert consumer._filter_committable_offsets([tp]) == {tp: COMMITTED + 4}


def test_a_worker_without_tables_starts_its_ledgers_at_the_rebalances_seek(settings: Settings) -> None:
    """With no table to recover, Faust seeks after a rebalance before it resumes the flow: the partitions revoked
    and assigned again still get their ledgers (without one they were never committed again)."""
    tp = TP(settings.topic_raw, 0)
    _, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    consumer.stop_flow()  # the rebalance's revocation
    consumer.ledger.forget([tp])
    asyncio.run(consumer.perform_seek())
    assert consumer.ledger.committable(tp) == COMMITTED


def test_a_partition_never_committed_is_read_again_from_its_start_after_the_rebalances_seek(
    settings: Settings,
) -> None:
    """Faust's seek to the committed offsets passes a partition never committed by: the records of the fetch the
    seek waited for, left out, advanced its position, and were never read again (the commit stayed at 0)."""
    tp = TP(settings.topic_raw, 1)
    _, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    consumer.ledger.forget([tp])  # revoked, then assigned again: its first owner left before committing it

    async def seek_to_committed() -> dict[TP, int]:
        return {}

    async def earliest_offsets(*partitions: TP) -> dict[TP, int]:
        return {partition: 0 for partition in partitions}

    consumer.seek_to_committed = seek_to_committed
    consumer.earliest_offsets = earliest_offsets
    consumer._committed_offset.pop(tp, None)
    sought = _record_seeks(consumer)
    consumer.stop_flow()  # a worker without tables seeks before it resumes the flow
    asyncio.run(consumer.perform_seek())
    assert sought == [(tp, 0)]
    assert consumer.ledger.committable(tp) == 0


@pytest.mark.parametrize(
    ("log_end", "stall_seconds", "read_again"),
    [(COMMITTED + 10, 0.0, True), (COMMITTED, 0.0, False), (COMMITTED + 10, consumer_module.STALL_SECONDS, False)],
)
def test_messages_the_position_passed_are_read_again_once_nothing_was_read_for_a_while(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, log_end: int, stall_seconds: float, read_again: bool
) -> None:
    """Nothing in the worker, messages waiting past the ledger's first unread offset, and no progress for the
    stall interval: the consumer's position passed them, and no hole would ever show it."""
    tp = TP(settings.topic_raw, 0)
    _, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    sought = _record_seeks(consumer)
    consumer.highwater = lambda partition: log_end
    monkeypatch.setattr(consumer_module, "STALL_SECONDS", stall_seconds)
    for _ in range(2):
        asyncio.run(consumer._read_lost_again())
    assert sought == ([(tp, COMMITTED)] if read_again else [])


def _read_again_by_the_idle_net(settings: Settings, tp: TP, monkeypatch: pytest.MonkeyPatch):
    """A consumer at offset 100 of a log ending at 102, its idle net having sought ``tp`` back to 100."""
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    sought = _record_seeks(consumer)
    consumer.highwater = lambda partition: COMMITTED + 2
    monkeypatch.setattr(consumer_module, "STALL_SECONDS", 0.0)
    for _ in range(2):
        asyncio.run(consumer._read_lost_again())
    assert sought == [(tp, COMMITTED)]
    return app, consumer


def _committable_at_position(consumer, tp: TP, position: int, monkeypatch: pytest.MonkeyPatch) -> int | None:
    """The ledger's commit after the idle net's next look, the consumer's position being ``position``."""
    _stand_at(consumer, position)
    monkeypatch.setattr(consumer_module, "STALL_SECONDS", math.inf)
    asyncio.run(consumer._read_lost_again())
    return consumer.ledger.committable(tp)


@pytest.mark.parametrize(
    ("read_after_the_seek", "position", "committed"),
    [
        ((), COMMITTED + 2, COMMITTED + 2),
        ((COMMITTED,), COMMITTED + 2, COMMITTED + 1),
        ((), COMMITTED, COMMITTED),
        ((), COMMITTED + 1, COMMITTED),
    ],
    ids=["only-markers", "a-message", "not-fetched-yet", "short-of-the-log-end"],
)
def test_a_read_again_that_finds_no_message_passes_the_offsets(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    read_after_the_seek: tuple[int, ...],
    position: int,
    committed: int,
) -> None:
    """A log ending in transactions' commit markers (offsets 100-101, log end 102): the idle net reads again from
    100, the fetch moves the position to 102 with no message, so the commit passes the markers (it stayed short
    of the log's end, and the net fired every 30 s). A message read there (100), no fetch yet, or a position short
    of the log's end (aiokafka skips a record too large for its fetch by one offset) passes none."""
    tp = TP(settings.topic_raw, 0)
    app, consumer = _read_again_by_the_idle_net(settings, tp, monkeypatch)

    messages = _fetch(consumer, tp, read_after_the_seek)
    app.published([SimpleNamespace(message=message) for message in messages])

    assert _committable_at_position(consumer, tp, position, monkeypatch) == committed


def test_a_position_at_the_log_end_is_read_again_at_once_and_passes_a_marker(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Messages 98-99 then a transaction's commit marker at 100 (log end 101): the fetch moved the position to 101
    past the marker. The net reads again from 100 without waiting for the stall interval (set to never here), and
    the read that moves the position back to the end with no message passes it: the commit reaches 101 at the
    next look, not 30 s later."""
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED - 2)
    app.published([SimpleNamespace(message=message) for message in _fetch(consumer, tp, (98, 99))])
    sought = _record_seeks(consumer)
    consumer.highwater = lambda partition: COMMITTED + 1
    monkeypatch.setattr(consumer_module, "STALL_SECONDS", math.inf)
    _stand_at(consumer, COMMITTED + 1)

    asyncio.run(consumer._read_lost_again())
    assert sought == [(tp, COMMITTED)]
    assert consumer.ledger.committable(tp) == COMMITTED
    asyncio.run(consumer._read_lost_again())  # the read again's fetch found no message: the position is at the end
    assert consumer.ledger.committable(tp) == COMMITTED + 1
    assert sought == [(tp, COMMITTED)]


def test_a_fetch_left_out_for_a_rebalances_seek_passes_no_offset(settings: Settings, monkeypatch) -> None:
    """The idle net read again from 100; the fetch that followed was left out for a rebalance's seek (which then
    failed): the position it moved to the log's end is no sign that no message lies there."""
    tp = TP(settings.topic_raw, 0)
    _, consumer = _read_again_by_the_idle_net(settings, tp, monkeypatch)
    consumer._seek_waits = True
    assert _fetch(consumer, tp, [COMMITTED, COMMITTED + 1]) == []
    consumer._seek_waits = False

    assert _committable_at_position(consumer, tp, COMMITTED + 2, monkeypatch) == COMMITTED


def test_a_record_too_large_for_its_fetch_passes_no_offset(settings: Settings, monkeypatch) -> None:
    """aiokafka skips a record too large for its fetch by one offset and raises: the position it moved is no sign
    that no message lies there, so the idle net forgets its read again (the error goes on to Faust)."""
    tp = TP(settings.topic_raw, 0)
    _, consumer = _read_again_by_the_idle_net(settings, tp, monkeypatch)

    async def getmany(active_partitions, timeout):
        raise RecordTooLargeError("a record larger than the fetch size")

    consumer._thread = SimpleNamespace(getmany=getmany)
    with pytest.raises(RecordTooLargeError):
        asyncio.run(consumer._getmany({tp}, 1.0))
    assert _committable_at_position(consumer, tp, COMMITTED + 2, monkeypatch) == COMMITTED


def test_a_batch_taken_before_a_rebalance_keeps_only_the_current_generations_events(settings: Settings) -> None:
    """Events buffered by take_events before a rebalance are read again after it: not processed from the buffer."""
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    older = _fetch(consumer, tp, [100, 101])
    app.consumer_generation_id += 1
    newer = _fetch(consumer, tp, [102])
    events = [SimpleNamespace(message=message) for message in older + newer]
    assert [event.message.offset for event in app.current(events)] == [102]


def test_a_seek_back_does_not_deliver_again_what_is_still_in_a_stage(settings: Settings) -> None:
    """100-101 were published, 102 acked unpublished, 103 and 104 are in a stage's batch: reading from 102 again
    hands over 102 only."""
    tp = TP(settings.topic_raw, 0)
    app, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    sought = _record_seeks(consumer)
    messages = _fetch(consumer, tp, range(COMMITTED, COMMITTED + 5))
    app.published([SimpleNamespace(message=message) for message in messages[:2]])
    consumer._unacked_messages.update(messages[3:])
    consumer.ack(messages[2])
    asyncio.run(consumer._read_lost_again())
    assert sought == [(tp, 102)]
    assert [message.offset for message in _fetch(consumer, tp, range(102, 106))] == [102, 105]


def test_only_source_partitions_are_checked_for_streams_that_stopped(settings: Settings) -> None:
    """A dedup table's changelog is read only while recovering: Faust's check took it for a stalled stream."""
    source, changelog = TP(settings.topic_raw, 0), TP(f"{settings.app_id}.dedup-index-changelog", 0)
    _, consumer = _consumer_sought_to(settings, source, COMMITTED)
    checked: list[TP] = []
    consumer._thread = SimpleNamespace(verify_event_path=lambda now, tp: checked.append(tp))
    for tp in (source, changelog):
        consumer.verify_event_path(0.0, tp)
    assert checked == [source]


def _not_assigned(partition: TP) -> int:
    raise AssertionError("Partition is not assigned")  # aiokafka's highwater on a partition it no longer holds


@pytest.mark.parametrize("still_assigned", [False, True])
def test_a_partition_revoked_while_checked_for_lost_messages_is_passed_over(
    settings: Settings, still_assigned: bool
) -> None:
    """The consumer thread can revoke a partition between two calls of the check (a worker crashed on aiokafka's
    assertion in a rebalance of two workers); its next owner reads it from the committed offset. An assigned
    partition's error stays an error."""
    tp = TP(settings.topic_raw, 0)
    _, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    sought = _record_seeks(consumer)
    consumer.highwater = _not_assigned
    consumer.assignment = lambda: {tp} if still_assigned else set()
    if still_assigned:
        with pytest.raises(AssertionError):
            asyncio.run(consumer._read_lost_again())
    else:
        asyncio.run(consumer._read_lost_again())
    assert sought == []


def test_a_commit_leaves_out_only_the_partitions_the_cluster_no_longer_lists() -> None:
    """A deleted topic's offsets go (aiokafka would retry their commit without end, aio-libs/aiokafka#1095); every
    partition the metadata still lists keeps its offset, unchanged."""
    cluster = {"raw": {0, 1}, "remade": {0}}  # "remade": deleted, then made again with fewer partitions
    offsets = {TP("raw", 0): 5, TP("raw", 1): 7, TP("deleted", 0): 3, TP("remade", 0): 2, TP("remade", 1): 4}
    assert consumer_module.listed_offsets(offsets, cluster.get) == {
        TP("raw", 0): 5,
        TP("raw", 1): 7,
        TP("remade", 0): 2,
    }


def test_a_subscribed_topic_the_metadata_lists_without_partitions_is_missing() -> None:
    """A changelog Faust just made can be absent from the metadata (None) or listed with no partition yet when the
    group's first assignment is made: the consumer asks again until it is listed (``_ask_for_missing_topics``)."""
    cluster = {"raw": {0, 1}, "made-just-now": set()}
    subscribed = ["raw", "made-just-now", "dedup-clusters-changelog"]
    assert consumer_module.missing_topics(subscribed, cluster.get) == ["dedup-clusters-changelog", "made-just-now"]
    assert consumer_module.missing_topics(["raw"], cluster.get) == []


class _Cluster:
    """aiokafka's client as ``commit_listed`` reads it: the partitions of each topic, and asking for them again,
    which finds the topic "gone" deleted."""

    def __init__(self, topics: dict[str, set[int]]) -> None:
        self.topics = topics
        self.cluster = SimpleNamespace(partitions_for_topic=topics.get)

    async def force_metadata_update(self) -> None:
        self.topics.pop("gone", None)


@pytest.mark.parametrize("way", ["stop", "topic_gone"])
def test_a_commit_in_flight_whose_cancel_fails_leaves_no_unretrieved_exception(
    way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tidy74: the commit task is cancelled when the wait for it ends (a stop cancels the wait; a topic gone sends
    the offsets again). ``cancel`` marks the outcome of a task already done as retrieved, but a task cancelled in
    flight can still end with another exception (here its cleanup fails): none retrieved it, and asyncio reported
    "Task exception was never retrieved" when the task was collected."""
    monkeypatch.setattr(consumer_module, "COMMIT_CHECK_SECONDS", 0.01)
    reported: list[str] = []

    async def send(offsets: dict[TP, int]) -> bool:
        if "gone" not in {tp.topic for tp in offsets}:
            return True  # sent again without the topic gone
        try:
            return await asyncio.Event().wait()  # not answered
        except asyncio.CancelledError:
            raise RuntimeError("the commit's cleanup failed") from None

    async def run() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: reported.append(context["message"]))
        client = _Cluster({"raw": {0}, "gone": {0}})
        commit = asyncio.ensure_future(consumer_module.commit_listed(send, {TP("raw", 0): 5, TP("gone", 0): 7}, client))
        if way == "stop":
            await asyncio.sleep(0)  # sent, waited for
            commit.cancel()
            with pytest.raises(asyncio.CancelledError):
                await commit
        else:
            assert await commit is True
        del commit
        for _ in range(3):  # the abandoned commit's cancellation, and its callbacks
            await asyncio.sleep(0)
        gc.collect()

    asyncio.run(run())
    gc.collect()
    assert reported == []


def test_a_commit_held_at_a_message_in_flight_is_reported_without_a_commit(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The report ran inside Faust's commit: with that commit stuck (in the producer's flush that opens it), the
    worker said nothing at all while a message stayed unpublished (a clean-clone CI run, 180 s silent)."""
    tp = TP(settings.topic_raw, 0)
    _, consumer = _consumer_sought_to(settings, tp, COMMITTED)
    _fetch(consumer, tp, range(COMMITTED, COMMITTED + 2))
    monkeypatch.setattr(consumer_module, "STALL_SECONDS", 0.0)
    consumer.report_stalls()
    assert f"{tp.topic}[0]: commit held at offset {COMMITTED} for 0 s, 2 messages read and not published" in caplog.text


def test_a_commit_under_way_for_long_is_reported(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _, consumer = _consumer_sought_to(settings, TP(settings.topic_raw, 0), COMMITTED)
    monkeypatch.setattr(consumer_module, "STALL_SECONDS", 0.0)
    loop = asyncio.new_event_loop()
    try:
        consumer._commit_fut = loop.create_future()  # Faust's, while its commit waits
        consumer.report_stalls()  # first seen
        assert "a commit has been under way" not in caplog.text
        consumer.report_stalls()
        assert "a commit has been under way for 0 s" in caplog.text
        caplog.clear()
        consumer._commit_fut = loop.create_future()  # another commit: its time starts again
        consumer.report_stalls()
        assert "a commit has been under way" not in caplog.text
    finally:
        loop.close()
