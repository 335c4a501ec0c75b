"""The Faust app's own pieces that can be checked without a broker."""

from __future__ import annotations

import pytest
from faust.exceptions import PartitionsMismatch

from workers.app import create_app
from workers.settings import Settings


class _Metadata:
    """The consumer's view of partition counts, as Faust's table check reads it."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def topic_partitions(self, topic: str) -> int | None:
        return self.counts.get(topic)


@pytest.mark.parametrize("table_name", ["dedup-index", "dedup-clusters"])
def test_a_changelog_not_yet_in_the_metadata_is_no_partitions_mismatch(settings: Settings, table_name: str) -> None:
    app = create_app(settings, ("dedup",))
    table = app.tables[table_name]
    source, changelog = settings.topic_clean, table.changelog_topic_name
    app.consumer = _Metadata({source: 1, changelog: 0})  # a fresh broker: the changelog was just created

    table._verify_source_topic_partitions(source)  # the first write: no PartitionsMismatch

    app.consumer = _Metadata({source: 1, changelog: 2})  # a real mismatch is still reported
    with pytest.raises(PartitionsMismatch):
        table._verify_source_topic_partitions(source)


def test_a_tables_changelog_writes_are_kept_until_the_agent_takes_them(settings: Settings) -> None:
    """Faust sends a table's changelog writes in the background and only logs a refused one: the table keeps each
    write (a set, a delete) for the agent to await, once."""
    table = create_app(settings, ("dedup",)).tables["dedup-index"]
    written = table.send_changelog(0, "an-id", {"seq": 1})
    deleted = table.send_changelog(0, "an-id", None, value_serializer="raw")

    assert table.take_changelog_sends() == [written, deleted]
    assert table.take_changelog_sends() == []
