"""Which commits a new layout's group takes from the old one (``offsets_to_copy``), and when the copy is refused."""

from __future__ import annotations

import pytest
from aiokafka.errors import CoordinatorLoadInProgressError, NotCoordinatorError
from aiokafka.protocol.admin import DescribeGroupsResponse_v0, DescribeGroupsResponse_v3

from workers.kafka_io import members_of
from workers.layouts import OffsetsRefused, offsets_to_copy
from workers.settings import Settings

SETTINGS = Settings()
COMMITTED = {
    ("articles.raw", 0): 78,
    ("articles.raw", 1): 70,
    ("articles.raw", 2): -1,  # listed, never committed
    ("articles.clean", 0): 279,
}


def test_the_new_group_takes_the_old_ones_commits_on_the_topics_its_stages_read() -> None:
    raw = {("articles.raw", 0): 78, ("articles.raw", 1): 70}
    assert offsets_to_copy(SETTINGS, ("clean", "dedup"), ("clean",), COMMITTED) == raw
    assert offsets_to_copy(SETTINGS, ("clean", "dedup"), ("dedup",), COMMITTED) == {("articles.clean", 0): 279}


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (("clean", "dedup"), ("clean", "dedup"), "are one consumer group"),
        (("clean", "dedup"), ("entities",), "stages clean,dedup do not read articles.unique"),
        (("clean",), ("clean", "dedup"), "stages clean do not read articles.clean"),
        (("dedup", "entities"), ("entities",), "enrich-dedup-entities has committed no offset on articles.unique"),
    ],
)
def test_a_copy_that_would_leave_a_topic_to_be_read_from_its_start_is_refused(
    old: tuple, new: tuple, reason: str
) -> None:
    with pytest.raises(OffsetsRefused, match=reason):
        offsets_to_copy(SETTINGS, old, new, COMMITTED)


def test_a_group_its_coordinator_cannot_describe_yet_is_an_error_not_an_empty_group() -> None:
    """read51 D5: a coordinator loading the group (14) answers with no members, which read as a group the offsets
    may be copied for while its workers run."""
    member = ("clean-1", "enrich-worker", "/10.0.0.5", b"", b"")
    running = DescribeGroupsResponse_v0(groups=[(0, "enrich-clean", "Stable", "consumer", "range", [member])])
    assert members_of(running.to_object()) == 1
    gone = DescribeGroupsResponse_v3(throttle_time_ms=0, groups=[(0, "enrich-clean", "Dead", "", "", [], 0)])
    assert members_of(gone.to_object()) == 0
    loading = DescribeGroupsResponse_v0(groups=[(14, "enrich-clean", "", "", "", [])])
    with pytest.raises(CoordinatorLoadInProgressError, match="enrich-clean"):
        members_of(loading.to_object())
    moved = DescribeGroupsResponse_v0(groups=[(16, "enrich-clean", "", "", "", [])])
    with pytest.raises(NotCoordinatorError, match="enrich-clean"):
        members_of(moved.to_object())
