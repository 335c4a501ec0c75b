"""The dedup index: exact and near copies, distinct stories, replays, restarts and the window."""

from __future__ import annotations

from tests.conftest import SEED_PAGE_ID, seed_record
from workers.clean import CleanOptions, clean_article
from workers.clean.normalize import content_hash
from workers.dedup import DedupIndex, DedupOptions, event_time, shingles
from workers.records import Origin, RawArticle

OPTIONS = DedupOptions()


def seed_text() -> str:
    page = seed_record(SEED_PAGE_ID)["text"]
    raw = RawArticle(id="s", url=None, source="S", title=None, published_at=None, text=page)
    return clean_article(raw, Origin(topic="t", partition=0, offset=0, timestamp_ms=None), CleanOptions())["text"]


def decide(index: DedupIndex, article_id: str, text: str, at: float = 0.0):
    return index.decide(article_id, content_hash(text), text, at)[0]


def test_first_copy_is_canonical_and_an_exact_copy_joins_its_cluster() -> None:
    index, text = DedupIndex(OPTIONS), seed_text()
    first = decide(index, "a", text)
    assert (first.kind, first.canonical_id, first.cluster_id) == ("unique", "a", "cl-a")
    copy = decide(index, "b", text)
    assert (copy.kind, copy.canonical_id, copy.cluster_id, copy.similarity) == ("exact", "a", "cl-a", 1.0)


def test_lightly_edited_copy_is_a_near_duplicate() -> None:
    index, text = DedupIndex(OPTIONS), seed_text()
    decide(index, "a", text)
    edited = "MOSCOW, July 14 (Reuters) - " + text.replace("a former Russian", "Russia's former").replace(
        "The Taliban says", "Taliban officials say"
    )
    copy = decide(index, "b", edited)
    assert copy.kind == "near"
    assert copy.canonical_id == "a"
    assert OPTIONS.threshold <= copy.similarity < 1.0


def test_a_different_story_is_unique() -> None:
    index = DedupIndex(OPTIONS)
    decide(index, "a", seed_text())
    other = decide(
        index, "b", "Freight rates for Russian oil shipments from the Baltic Sea ports to India have fallen."
    )
    assert (other.kind, other.canonical_id) == ("unique", "b")


def test_a_replayed_id_gets_its_first_decision_back() -> None:
    index, text = DedupIndex(OPTIONS), seed_text()
    decide(index, "a", text)
    decide(index, "b", text)
    assert decide(index, "a", text).kind == "unique"
    assert decide(index, "b", text).kind == "exact"
    assert len(index) == 2


def test_a_restored_index_still_catches_copies() -> None:
    index, text = DedupIndex(OPTIONS), seed_text()
    _, entry = index.decide("a", content_hash(text), text, 0.0)
    restored = DedupIndex(OPTIONS)
    restored.reset([("a", entry)])
    assert decide(restored, "b", text + " One more sentence at the end.").canonical_id == "a"


def test_entries_older_than_the_window_are_evicted() -> None:
    index = DedupIndex(DedupOptions(window_seconds=3600))
    text = seed_text()
    decide(index, "old", text, at=0.0)
    decide(index, "new", "A wholly different story about markets closing higher on Friday afternoon.", at=7200.0)
    assert index.drain_evicted() == ["old"]
    assert len(index) == 1
    assert decide(index, "again", text, at=7300.0).kind == "unique"


def test_shingles_of_short_and_long_texts() -> None:
    assert shingles("One two", 5) == ["one two"]
    assert shingles("a b c d e f", 5) == ["a b c d e", "b c d e f"]


def test_event_time_prefers_publication_time() -> None:
    assert event_time("1970-01-01T00:01:00Z", 5.0) == 60.0
    assert event_time(None, 5.0) == 5.0
    assert event_time("not a date", 5.0) == 5.0
