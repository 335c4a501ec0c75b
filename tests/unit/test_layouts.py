"""Which commits a new layout's group takes from the old one (``offsets_to_copy``), and when the copy is refused."""

from __future__ import annotations

import pytest

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
