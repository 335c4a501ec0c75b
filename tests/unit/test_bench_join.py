"""The fault bench's feed for a join: produced at the start up to the join's latest moment, the rest as the second
worker joins, so that the join lands with work pending at the default size."""

from __future__ import annotations

import math

import pytest

from bench.faults import FAULT_AT, HELD_BACK, SCENARIOS, split_feed


@pytest.mark.parametrize("size", [0, 1, 2, 7, 1200, 4000])
def test_the_feed_split_keeps_every_message_once_in_order(size: int) -> None:
    messages = [f"m{i}".encode() for i in range(size)]
    first, rest = split_feed(messages, HELD_BACK["join"])
    assert [*first, *rest] == messages
    assert len(rest) == math.floor(size * HELD_BACK["join"])


@pytest.mark.parametrize("size", [3, 10, 1200, 4000])
def test_the_join_moment_is_reachable_and_work_is_held_back(size: int) -> None:
    """The fault waits for up to FAULT_AT[1] of the outputs: the first part must give that many, and the join must
    still have work to come."""
    first, rest = split_feed([b"m"] * size, HELD_BACK["join"])
    assert len(first) >= FAULT_AT[1] * size
    assert rest


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s != "join"])
def test_other_scenarios_produce_the_whole_feed_at_the_start(scenario: str) -> None:
    messages = [b"a", b"b", b"c"]
    assert split_feed(messages, HELD_BACK.get(scenario, 0.0)) == (messages, [])
