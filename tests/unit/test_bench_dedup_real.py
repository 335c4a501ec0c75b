"""``bench.dedup_real``: its hand labels of real pages, and how it scores a run against them."""

import json
from pathlib import Path

import pytest

from bench.dedup_real import FOLDERS, LABELS, Label, Result, Sent, cross_kind, read_labels, run_chain, score, stories
from workers.settings import Settings


def _label(first: str, second: str, same: bool) -> Label:
    return Label(first, second, same, "why")


def test_the_labels_name_pages_of_the_shared_sets_once_each_pair() -> None:
    """Every id of the labels file is a page of the set it names (``set:id``), no pair is labelled twice or pairs a
    page with itself, every label says why, and the "same" pairs make stories that no "different" pair cuts across."""
    labels = read_labels(LABELS)
    pages = {
        f"{name}:{page_id}"
        for name, folder in FOLDERS.items()
        for page_id in json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    }
    named = {key for label in labels for key in (label.first, label.second)}
    assert named <= pages, sorted(named - pages)
    pairs = [frozenset((label.first, label.second)) for label in labels]
    assert all(len(pair) == 2 for pair in pairs)
    assert len(set(pairs)) == len(pairs)
    assert all(label.reason.strip() for label in labels)
    assert any(label.same for label in labels) and any(not label.same for label in labels)
    story = stories(pages, labels)  # raises on a "different" pair inside one story
    assert all(story[label.first] == story[label.second] for label in labels if label.same)


def test_a_label_other_than_same_or_different_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "labels.tsv"
    path.write_text("# a note\nl3s:a\tl3s:b\tsame\tone copy\nl3s:a\tl3s:c\tsimilar\tunsure\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'same' or 'different', not 'similar'"):
        read_labels(path)


def test_same_pairs_make_one_story_through_a_chain_and_other_pages_are_their_own() -> None:
    story = stories(["a", "b", "c", "d"], [_label("c", "b", True), _label("b", "a", True), _label("a", "d", False)])
    assert story == {"a": "a", "b": "a", "c": "a", "d": "d"}


def test_a_different_pair_inside_a_story_of_same_pairs_is_an_error_in_the_labels() -> None:
    labels = [_label("a", "b", True), _label("b", "c", True), _label("a", "c", False)]
    with pytest.raises(ValueError, match="a and c are labelled different but are one story"):
        stories(["a", "b", "c"], labels)


def test_pairwise_scores_and_the_pairs_wrong_each_way_on_a_hand_made_case() -> None:
    """Story {a, b, c} and d, e alone; the clusters {a, b, d}, c, e: of the three true pairs one is found (ab), of
    the three predicted pairs one is true; ARI by hand: (1 - 3 * 3 / 10) / ((3 + 3) / 2 - 3 * 3 / 10) = 1/21."""
    truth = {"a": "s", "b": "s", "c": "s", "d": "d", "e": "e"}
    predicted = {"a": "x", "b": "x", "d": "x", "c": "c", "e": "e"}
    scored = score(truth, predicted)
    assert (scored.precision, scored.recall) == (pytest.approx(1 / 3), pytest.approx(1 / 3))
    assert scored.ari == pytest.approx(1 / 21)
    assert scored.merged == [("a", "d"), ("b", "d")]
    assert scored.split == [("a", "c"), ("b", "c")]


def test_clusters_equal_to_the_stories_score_1_with_nothing_wrong() -> None:
    truth = {"a": "s", "b": "s", "c": "c"}
    scored = score(truth, {"a": "x", "b": "x", "c": "y"})
    assert (scored.precision, scored.recall, scored.ari, scored.f1) == (1.0, 1.0, 1.0, 1.0)
    assert scored.merged == scored.split == []


def test_the_cross_kind_run_sends_each_storys_longest_body_as_a_body_at_its_pages_event_time() -> None:
    """Of a story of several pages, the page whose annotated body is longest goes as that body (as a wire feed sends
    the story), with the event time its page had in the HTML run; the other pages, and pages alone, stay HTML."""
    pages = {
        key: Sent(key, "html", f"<p>{truth}</p>", None, truth)
        for key, truth in (("l3s:a", "one two"), ("l3s:b", "one two three"), ("l3s:c", "four"), ("l3s:d", "a b c d"))
    }
    truth = {"l3s:a": "s", "l3s:b": "s", "l3s:c": "s", "l3s:d": "l3s:d"}
    html_run = [Result(key, "text", 1199232000.0 + n, key) for n, key in enumerate(sorted(pages))]
    sent = cross_kind(pages, truth, html_run)
    assert sent["l3s:b"] == Sent("l3s:b", "body", "one two three", None, "one two three", "2008-01-02T00:00:01Z")
    assert [sent[key] for key in ("l3s:a", "l3s:c", "l3s:d")] == [pages[key] for key in ("l3s:a", "l3s:c", "l3s:d")]


@pytest.mark.slow  # the clean stage's warm-up: about 4 s
def test_the_chain_puts_a_copy_into_its_storys_cluster_and_times_an_undated_page_at_its_sets_crawl_end() -> None:
    story = (
        "The city council voted on Tuesday to close the old harbour bridge to traffic from March, citing a report "
        "that found corrosion in most of its steel supports.\n\nThe mayor said repairs would cost more than a new "
        "bridge and take at least three years, and that ferries would run every twenty minutes in the meantime.\n\n"
        "Shop owners on both banks said the closure would cut their trade by half and asked for a delay."
    )
    other = (
        "A rare white kangaroo has been seen in a national park for the first time in a decade, rangers said on "
        "Friday, after hikers sent photographs of the animal grazing with its mob near a river crossing."
    )
    pages = [
        Sent("l3s:story", "body", story, "http://a.example/story", story),
        Sent("l3s:copy", "body", story.replace("Tuesday", "Tuesday night"), "http://b.example/copy", story),
        Sent("l3s:other", "body", other, "http://c.example/other", other),
    ]
    results = {r.key: r for r in run_chain(pages, Settings())}
    assert results["l3s:story"].cluster == results["l3s:copy"].cluster != results["l3s:other"].cluster
    assert {r.at for r in results.values()} == {1214784000.0}  # 2008-06-30, L3S-GN1's last crawl day
    assert not any(r.dated for r in results.values())
