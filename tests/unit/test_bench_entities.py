"""The entities bench's articles: only first copies the entities stage tags, read from the shared Reuters corpus."""

from itertools import islice
from pathlib import Path

import pytest

from bench.entities import (
    CORPUS,
    PORT_BAND,
    WORKERS_AT_ONCE,
    first_copies,
    reuters_stories,
    start_workers,
    worker_ports,
)
from bench.soak import Soak
from tests.ports import BROKER_PORTS
from workers.settings import Settings

TABLE = "reuters21578-2221"  # a dividend table: cleaned with no language (py3langid's guess under 0.5)


def test_first_copies_leave_out_an_article_of_no_language() -> None:
    # Reuters 2221 is the 276th long story: three before it and three after.
    stories = list(islice(reuters_stories(CORPUS), 272, 279))
    assert stories[3][0] == TABLE
    articles = first_copies(stories, "Reuters", 5)
    assert TABLE not in [article.id for article in articles]
    assert [article.language for article in articles] == ["en"] * 5
    assert [article.id for article in articles] == [story_id for story_id, _, _ in stories if story_id != TABLE][:5]


def in_band(taken: list[int]) -> tuple[int, int]:
    """``worker_ports`` in the band of port 31450, whatever test brokers' ports ``ENRICH_TEST_KAFKA_PORT`` makes."""
    return worker_ports(31450, taken, avoid=())


def test_the_workers_ports_stay_in_the_band_the_broker_s_port_starts() -> None:
    """Two workers at once (a join) take the four ports past the broker's five (P to P+4), a worker started after
    one went takes its pair again, and past the band's pairs none: no port picked outside the band, where another
    session's broker may be."""
    first = in_band([])
    second = in_band([first[1]])
    assert sorted({*first, *second}) == [31455, 31456, 31457, 31458]
    assert in_band([second[1]]) == first
    taken: list[int] = []
    for _ in range(WORKERS_AT_ONCE):
        taken.append(in_band(taken)[1])
    assert max(taken) < 31450 + PORT_BAND
    with pytest.raises(RuntimeError):
        in_band(taken)


def test_a_bench_on_the_test_suites_broker_port_gives_its_workers_none_of_the_test_brokers_ports() -> None:
    """read222: bench.entities' ``--port`` defaults to the test suite's broker port (``ENRICH_TEST_KAFKA_PORT``); its
    workers took P+5 and up, where the suite's secured broker listens (P+4 to P+6) and its private ones (P+20 to
    P+23): a bench beside the tests stopped a worker or a broker on "address already in use" (before the band,
    ``free_port`` kept clear of them)."""
    taken: list[int] = []
    for _ in range(3):  # bench.entities' default: one clean,dedup process beside two entities ones
        taken += worker_ports(BROKER_PORTS.start, taken)
    assert not [port for port in taken if port in BROKER_PORTS]
    assert all(BROKER_PORTS.start < port < BROKER_PORTS.start + PORT_BAND for port in taken)


# No broker answers there: each worker process exits (stopped at once here, its ports read before it runs).
NO_BROKER = Settings(bootstrap_servers="127.0.0.1:1")


def test_the_soak_and_the_entities_bench_start_their_workers_in_the_port_band(tmp_path: Path) -> None:
    """leftovers 4: bench.soak and bench.entities gave their workers free ports anywhere (``free_port``), outside the
    band of ``--port P`` that bench.faults and the caller keep to: another session's broker's, maybe."""
    soak = Soak(NO_BROKER, tmp_path, 32890)
    workers = [soak.start_worker(), soak.start_worker()]  # the start, and the join
    (entities := tmp_path / "entities").mkdir()
    workers += start_workers(NO_BROKER, ["clean,dedup", "entities", "entities"], entities, 32890)
    for worker in workers:
        worker.stop()
    ports = [(w.settings.metrics_port, w.settings.web_port) for w in workers]
    assert ports == [(32895, 32896), (32897, 32898), (32895, 32896), (32897, 32898), (32899, 32900)]
