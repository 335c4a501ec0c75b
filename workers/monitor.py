"""Consumer lag per partition (messages and seconds), and the health a Kubernetes probe asks for."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable
from typing import Any

import faust
from aiokafka.errors import IllegalStateError
from faust.exceptions import ConsumerNotStarted
from faust.types import TP, EventT

from workers import metrics

log = logging.getLogger(__name__)
# What the consumer raises when asked about partitions while it stops or a rebalance takes them away: the
# sample is skipped then, as a timer that raises crashes the worker (exit status 1 on SIGTERM, seen in CI).
_CONSUMER_GONE = (IllegalStateError, ConsumerNotStarted)
_PARTITION_GAUGES = (
    metrics.CONSUMER_LAG,
    metrics.CONSUMER_LAG_SECONDS,
    metrics.CONSUMER_COMMITTED_OFFSET,
    metrics.CONSUMER_UNCOMMITTED,
)


class LagMonitor:
    """Tracks the last processed message per partition and exports the lag of every assigned partition.

    Lag in messages is the partition's high watermark minus the next offset to process. Lag in seconds is how
    old the last processed message is while messages wait behind it (0 when the partition is caught up), the
    measure stream-processing users ask for: how far behind real time the output is. The committed offset and
    the messages past it are what the group would resume from: processed messages whose outputs are not out
    yet count there, and a commit that stops moving while messages wait is a stall the lag does not show.
    """

    def __init__(self, app: faust.App, sources: set[str]) -> None:
        self._app = app
        self._sources = sources
        self._processed: dict[TP, tuple[int, float]] = {}
        self._exported: set[TP] = set()

    def processed(self, events: Iterable[EventT]) -> None:
        """Remember the newest offset and timestamp processed on each partition of these events."""
        for event in events:
            message = event.message
            self._processed[message.tp] = (message.offset, message.timestamp)

    async def sample(self) -> None:
        """Export the lag of every partition this worker is assigned now; skipped while stopping or rebalancing."""
        if self._app.should_stop or self._app.rebalancing:
            return
        try:
            await self._sample()
        except _CONSUMER_GONE as error:
            log.info("lag sample skipped: %r", error)

    async def _sample(self) -> None:
        """Export the lag of every partition this worker is assigned now; drop the series of the others."""
        consumer = self._app.consumer
        assigned = {tp for tp in consumer.assignment() if tp.topic in self._sources}
        now = time.time()
        for tp in assigned:
            highwater = _log_end(consumer, tp)
            if highwater is None:
                continue
            last = self._processed.get(tp)
            next_offset = last[0] + 1 if last else await consumer.position(tp)
            if next_offset is None:
                continue
            lag = max(highwater - next_offset, 0)
            metrics.CONSUMER_LAG.labels(tp.topic, tp.partition).set(lag)
            seconds = now - last[1] if lag and last else 0.0
            metrics.CONSUMER_LAG_SECONDS.labels(tp.topic, tp.partition).set(max(seconds, 0.0))
            committed = consumer.committed_offset(tp)
            if committed is not None:
                metrics.CONSUMER_COMMITTED_OFFSET.labels(tp.topic, tp.partition).set(committed)
                metrics.CONSUMER_UNCOMMITTED.labels(tp.topic, tp.partition).set(max(highwater - committed, 0))
        self.forget(self._exported - assigned)
        self._exported = assigned

    def forget(self, partitions: Iterable[TP]) -> None:
        """Remove the series of partitions this worker no longer owns, so no stale lag lingers."""
        for tp in partitions:
            self._processed.pop(tp, None)
            for gauge in _PARTITION_GAUGES:
                with contextlib.suppress(KeyError):
                    gauge.remove(tp.topic, tp.partition)
            self._exported.discard(tp)


def _log_end(consumer: Any, tp: TP) -> int | None:
    """The partition's log end; None when its consumer thread revoked it since ``assignment()``: aiokafka's highwater
    asserts that the partition is assigned. An assertion on a partition still assigned is a real error."""
    try:
        return consumer.highwater(tp)
    except AssertionError:
        if tp in consumer.assignment():
            raise
        return None
