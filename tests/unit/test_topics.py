"""The topics created before workers start: the pipeline's, and the changelogs of the dedup owner's tables."""

from __future__ import annotations

from workers.app import create_app
from workers.settings import Settings
from workers.topics import DEDUP_INPUT_PARTITIONS, DEDUP_TABLES, changelog_topic, topic_configs, topic_partitions


def test_the_dedup_tables_changelogs_are_created_with_the_pipelines_topics(settings: Settings) -> None:
    """A worker's first batch must not meet a changelog topic that Faust has only just created."""
    app = create_app(settings, ["dedup"])
    changelogs = {table.changelog_topic.get_topic_name() for table in app.tables.values()}
    assert changelogs == {changelog_topic(settings, table) for table in DEDUP_TABLES}
    partitions = topic_partitions(settings)
    for name in changelogs:
        assert partitions[name] == DEDUP_INPUT_PARTITIONS
        assert topic_configs(settings, name)["cleanup.policy"] == "compact"
    assert "cleanup.policy" not in topic_configs(settings, settings.topic_enriched)
