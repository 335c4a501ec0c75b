"""The lag sample, a timer of every worker: a consumer that goes away under it must not crash the worker."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from aiokafka.errors import IllegalStateError
from faust.exceptions import ConsumerNotStarted
from faust.types import TP

from workers import metrics
from workers.monitor import LagMonitor

SOURCE = "t.raw"


class _RevokedUnderneath:
    """A consumer whose partition is taken away between ``assignment()`` and ``position()``."""

    def assignment(self) -> set[TP]:
        return {TP(SOURCE, 0)}

    def highwater(self, tp: TP) -> int:
        return 10

    async def position(self, tp: TP) -> int:
        raise IllegalStateError(f"Partition {tp} is not assigned")

    def committed_offset(self, tp: TP) -> int | None:
        return 1


class _HighwaterRevoked(_RevokedUnderneath):
    """A consumer whose partition is taken away between ``assignment()`` and ``highwater()`` (aiokafka asserts)."""

    def __init__(self) -> None:
        self.asked = 0

    def assignment(self) -> set[TP]:
        self.asked += 1
        return {TP(SOURCE, 0)} if self.asked == 1 else set()

    def highwater(self, tp: TP) -> int:
        raise AssertionError("Partition is not assigned")


class _Stopped:
    """A consumer whose thread has stopped, as during a worker's shutdown."""

    def assignment(self) -> set[TP]:
        raise ConsumerNotStarted("Consumer thread not yet started")


def _app(consumer: object, should_stop: bool = False) -> SimpleNamespace:
    return SimpleNamespace(consumer=consumer, should_stop=should_stop, rebalancing=False)


@pytest.mark.parametrize(
    "consumer", [_RevokedUnderneath(), _HighwaterRevoked(), _Stopped()], ids=["revoked", "highwater-revoked", "stopped"]
)
def test_a_consumer_gone_mid_sample_skips_the_sample(consumer: object) -> None:
    asyncio.run(LagMonitor(_app(consumer), {SOURCE}).sample())  # no exception: the timer lives on


def test_an_assertion_on_a_partition_still_assigned_is_raised() -> None:
    """Only a revoked partition's assertion is passed over: any other is a real error."""

    class _Broken(_HighwaterRevoked):
        def assignment(self) -> set[TP]:
            return {TP(SOURCE, 0)}

    with pytest.raises(AssertionError):
        asyncio.run(LagMonitor(_app(_Broken()), {SOURCE}).sample())


def test_no_sample_while_the_worker_stops() -> None:
    class _Untouchable:
        def assignment(self) -> set[TP]:
            raise RuntimeError("asked the consumer while stopping")  # not one the sample passes over

    asyncio.run(LagMonitor(_app(_Untouchable(), should_stop=True), {SOURCE}).sample())


def test_a_sample_exports_the_lag_of_an_assigned_partition() -> None:
    class _Behind(_RevokedUnderneath):
        async def position(self, tp: TP) -> int:
            return 4

    monitor = LagMonitor(_app(_Behind()), {SOURCE})
    asyncio.run(monitor.sample())
    assert metrics.CONSUMER_LAG.labels(SOURCE, 0)._value.get() == 6
    assert metrics.CONSUMER_COMMITTED_OFFSET.labels(SOURCE, 0)._value.get() == 1
    assert metrics.CONSUMER_UNCOMMITTED.labels(SOURCE, 0)._value.get() == 9

    monitor.forget([TP(SOURCE, 0)])  # revoked: no series of it lingers
    exported = {sample.labels.get("topic") for gauge in _PARTITION for sample in gauge.collect()[0].samples}
    assert SOURCE not in exported


_PARTITION = (
    metrics.CONSUMER_LAG,
    metrics.CONSUMER_LAG_SECONDS,
    metrics.CONSUMER_COMMITTED_OFFSET,
    metrics.CONSUMER_UNCOMMITTED,
)
