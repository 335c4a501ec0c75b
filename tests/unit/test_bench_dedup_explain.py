"""``bench.dedup_explain``: what it lists of a dev set's pairs, and how it shows two texts."""

import numpy as np

from bench.dedup_eval import Document
from bench.dedup_explain import joined_stories, word_diff
from bench.dedup_fit import RecordingIndex
from workers.dedup import Decision, DedupOptions
from workers.dedup.decision import FEATURES


def test_a_word_diff_shows_the_words_that_differ_and_the_ends_of_a_long_equal_run() -> None:
    """Two runs of a template read as the slot that differs; a long equal run keeps its ends."""
    shared = " ".join(f"w{n}" for n in range(20))
    assert word_diff(f"Exxon Corp said {shared}", f"Chevron Corp said {shared} today") == (
        "[Exxon => Chevron] Corp said w0 w1 w2 w3 ... w14 w15 w16 w17 w18 w19 [ => today]"
    )


def test_the_pairs_listed_are_two_stories_taken_as_one_and_exact_joins_of_two() -> None:
    """A pair of two stories scored at one half or more is listed, one below it or of one story is not; an exact-hash
    join of two stories is listed with its twin, the first article of that text."""
    docs = [
        Document("a", "the same text", 1, "recurring", 0.0),
        Document("b", "other text", 2, "recurring", 3600.0),
        Document("c", "other text copied", 2, "recurring", 7200.0, ["word_edits"]),
        Document("d", "the same text", 3, "recurring", 5 * 86400.0),
    ]
    index = RecordingIndex(DedupOptions(), {doc.doc_id: doc.label for doc in docs})
    index.pairs, index.same = [("b", "a"), ("c", "a"), ("c", "b")], [False, False, True]
    index.features = [[0.0] * len(FEATURES)] * 3
    unique, exact = (Decision(kind, "cl-x", "x", 1.0) for kind in ("unique", "exact"))
    joined = joined_stories(docs, [unique, unique, unique, exact], index, np.array([0.4, 0.8, 0.9]))
    assert [(pair.new.doc_id, pair.earlier.doc_id, pair.probability) for pair in joined] == [
        ("c", "a", 0.8),
        ("d", "a", None),
    ]


def test_an_exact_join_is_listed_with_the_article_it_matched_within_the_window() -> None:
    """A text sent three times, six days apart each, as three stories: the third matches the second (the first has
    left the window), not the first of that text."""
    day = 86400.0
    docs = [
        Document("a", "the same text", 1, "recurring", 0.0),
        Document("b", "the same text", 2, "recurring", 6 * day),
        Document("c", "the same text", 3, "recurring", 12 * day),
    ]
    index = RecordingIndex(DedupOptions(), {doc.doc_id: doc.label for doc in docs})
    unique, exact = (Decision(kind, "cl-x", "x", 1.0) for kind in ("unique", "exact"))
    joined = joined_stories(docs, [unique, exact, exact], index, np.array([]))
    assert [(pair.new.doc_id, pair.earlier.doc_id) for pair in joined] == [("b", "a"), ("c", "b")]
