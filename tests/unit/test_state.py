"""Which local table state a worker discards at start: only what its broker says it does not hold."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import rocksdict

from workers.app import create_app
from workers.settings import Settings
from workers.state import (
    FAUST_OFFSET_KEY,
    BrokerView,
    LocalStore,
    discard_warning,
    local_stores,
    stale_state,
    table_dir,
)
from workers.topics import DEDUP_TABLES, changelog_topic

TABLES = Path("/data/v1/tables")
INDEX = LocalStore(TABLES / "dedup-index-0.db", ("enrich.dedup-index-changelog", 0), 41)
CLUSTERS = LocalStore(TABLES / "dedup-clusters-0.db", ("enrich.dedup-clusters-changelog", 0), 17)


def view(cluster_id: str | None = "new", index_end: int | None = 42, clusters_end: int | None = 18) -> BrokerView:
    return BrokerView(cluster_id, {INDEX.changelog: index_end, CLUSTERS.changelog: clusters_end})


def test_state_that_matches_its_broker_is_kept() -> None:
    assert stale_state([INDEX, CLUSTERS], "new", view(), TABLES) == {}


def test_state_of_another_cluster_is_discarded_whole() -> None:
    assert stale_state([INDEX, CLUSTERS], "old", view(), TABLES) == {
        TABLES: "of Kafka cluster old, not the broker's new"
    }


@pytest.mark.parametrize(("noted", "broker"), [(None, "new"), ("old", None)], ids=["none-noted", "broker-too-old"])
def test_an_unknown_cluster_id_discards_nothing_by_itself(noted: str | None, broker: str | None) -> None:
    """State from before the id was noted, or a broker too old to say its id: the changelogs alone decide."""
    assert stale_state([INDEX, CLUSTERS], noted, view(broker), TABLES) == {}


def test_a_store_at_or_past_its_changelogs_end_is_discarded() -> None:
    """Faust's ConsistencyError: the last offset a store holds must be before the changelog's end offset."""
    assert stale_state([INDEX, CLUSTERS], "new", view(index_end=41, clusters_end=0), TABLES) == {
        INDEX.path: "offset 41 held, enrich.dedup-index-changelog[0] ends at 41",
        CLUSTERS.path: "offset 17 held, enrich.dedup-clusters-changelog[0] ends at 0",
    }


def test_a_store_whose_changelog_is_gone_is_discarded() -> None:
    assert stale_state([INDEX, CLUSTERS], "new", view(clusters_end=None), TABLES) == {
        CLUSTERS.path: "changelog enrich.dedup-clusters-changelog missing"
    }


def test_the_discard_warning_is_one_sentence_naming_each_path_once() -> None:
    """state56's line said "state" and "changelog" in each reason again ("discarding local table state, rebuilt from
    the broker's changelogs: ... (its changelog ... does not exist)")."""
    stale = stale_state([INDEX, CLUSTERS], "new", view(index_end=None, clusters_end=0), TABLES)
    assert discard_warning(stale) == (
        "discarding local table state the broker does not hold (Faust rebuilds it from the changelogs): "
        "/data/v1/tables/dedup-index-0.db (changelog enrich.dedup-index-changelog missing); "
        "/data/v1/tables/dedup-clusters-0.db (offset 17 held, enrich.dedup-clusters-changelog[0] ends at 0)"
    )


def test_a_store_without_an_offset_or_a_changelog_the_broker_did_not_tell_is_kept() -> None:
    no_offset = LocalStore(INDEX.path, INDEX.changelog, None)
    assert stale_state([no_offset, CLUSTERS], "new", BrokerView("new", {INDEX.changelog: 0}), TABLES) == {}


def test_the_stores_on_disk_are_read_with_faust_offsets(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(data_dir=tmp_path, app_id="enrich")
    table_dir(settings).mkdir(parents=True)
    db = rocksdict.Rdict(str(table_dir(settings) / "dedup-index-0.db"), options=rocksdict.Options(raw_mode=True))
    db[FAUST_OFFSET_KEY] = b"41"
    db.close()
    (table_dir(settings) / "dedup-clusters-0.db").mkdir()  # no store in it: left to Faust, with a warning
    assert local_stores(settings) == [
        LocalStore(table_dir(settings) / "dedup-index-0.db", ("enrich.dedup-index-changelog", 0), 41),
        LocalStore(table_dir(settings) / "dedup-clusters-0.db", ("enrich.dedup-clusters-changelog", 0), None),
    ]
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith(f"cannot read the changelog offset of {table_dir(settings) / 'dedup-clusters-0.db'} (")


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_the_stores_checked_are_those_faust_opens(
    relative: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Faust's own paths and changelog names, for a data directory relative to the working one too."""
    monkeypatch.chdir(tmp_path)  # Faust makes a backups directory beside each store
    settings = Settings(data_dir=Path("var/worker") if relative else tmp_path / "worker", metrics_port=0)
    app = create_app(settings, ("dedup",))
    for table in DEDUP_TABLES:
        assert app.tables[table].data.partition_path(0) == table_dir(settings) / f"{table}-0.db"
        assert app.tables[table].changelog_topic.get_topic_name() == changelog_topic(settings, table)
