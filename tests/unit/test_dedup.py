"""The dedup index on real-looking wire copy: every kind of copy clusters, templated stories do not."""

from __future__ import annotations

import base64
import itertools
import json
import logging
import random
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from bench import dedup_throughput, syndication
from tests.conftest import SEED_PAGE_ID, seed_record
from workers.clean import CleanOptions, clean_article
from workers.clean.normalize import content_hash
from workers.dedup import (
    MAX_SCORED,
    Decision,
    DedupIndex,
    DedupOptions,
    IndexEntry,
    PersistedEntry,
    canonical_of,
    cluster_of,
    event_time,
    key_of,
)
from workers.dedup.boilerplate import ParagraphCounts
from workers.dedup.decision import FEATURES, DecisionModel
from workers.dedup.sketch import EDGES_KEPT, FACTS_KEPT, FIGURE_KEYS, Sketch, Sketcher, fact_match, gather
from workers.dedup.store import MIN_CAPACITY, ClusterKey
from workers.records import Origin, RawArticle

OPTIONS = DedupOptions()
WEAKNESS = "known weakness of the fitted decision (issue 15, not met): "

STORY = [
    "Chile's state copper company Codelco said on Tuesday it would cut output at its El Teniente mine by "
    "about 8 percent this year after a tunnel collapse killed two workers and forced it to shut three "
    "production levels for repairs.",
    "The company expects to produce 382,000 tonnes of copper at the mine in 2024, down from a forecast of "
    "415,000 tonnes, chief executive Ruben Alvarado told reporters in Santiago.",
    '"Safety comes first, and we will only restart those levels when inspectors are satisfied," Alvarado said, '
    "adding that engineers had begun reinforcing the damaged galleries.",
    "El Teniente, the world's largest underground copper mine, accounts for roughly a quarter of Codelco's "
    "output. The state firm has struggled with delays at its major expansion projects and with falling ore "
    "grades.",
    "Copper prices on the London Metal Exchange rose 1.2 percent to $9,310 a tonne after the announcement, "
    "as traders weighed the prospect of tighter supply from the world's top producer.",
    "Codelco said it would publish a revised production plan for its other divisions, including Chuquicamata "
    "and Radomiro Tomic, in its quarterly report on Aug. 29.",
]
UPDATE = [
    "Chile's mining minister Aurora Williams said the government would order an independent review of "
    "safety practices at all state-run mines, the second such review since 2021.",
]
OTHER_OUTLET = [
    "Two miners died when a tunnel caved in at El Teniente, the vast underground copper operation run by "
    "Chile's Codelco, and the company now says the accident will cost it production this year.",
    "Codelco boss Ruben Alvarado put the hit at about 8 percent, or roughly 33,000 tonnes, speaking to "
    "journalists at the firm's headquarters. Inspectors must approve any restart, he stressed.",
    "The accident deepens the troubles of the world's biggest copper producer, whose output has slid to "
    "multi-decade lows as expansion projects ran late and ore quality declined.",
    "Benchmark copper in London gained 1.2 percent on the news, reaching $9,310 per tonne.",
]


def text_of(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


def decide(index: DedupIndex, article_id: str, text: str, at: float = 0.0) -> Decision:
    return index.decide(article_id, content_hash(text), text, at)[0]


def copy_decision(copy: str) -> Decision:
    """The decision on ``copy`` after the story was seen first."""
    index = DedupIndex(OPTIONS)
    assert decide(index, "wire", text_of(STORY)).kind == "unique"
    return decide(index, "copy", copy)


def seed_text() -> str:
    page = seed_record(SEED_PAGE_ID)["text"]
    raw = RawArticle(id="s", url=None, source="S", title=None, published_at=None, text=page)
    return clean_article(raw, Origin(topic="t", partition=0, offset=0, timestamp_ms=None), CleanOptions())["text"]


def test_first_copy_is_canonical_and_an_exact_copy_joins_its_cluster() -> None:
    index, text = DedupIndex(OPTIONS), seed_text()
    first = decide(index, "a", text)
    assert (first.kind, first.canonical_id, first.cluster_id) == ("unique", "a", "cl-a")
    copy = decide(index, "b", text)
    assert (copy.kind, copy.canonical_id, copy.cluster_id, copy.similarity) == ("exact", "a", "cl-a", 1.0)


@pytest.mark.parametrize(
    ("kind", "copy"),
    [
        ("last paragraphs cut: the first 60% kept", text_of(STORY[:3])),
        ("only the lead paragraphs", text_of(STORY[:4])),
        ("outlet boilerplate", text_of(syndication.boilerplate(STORY, random.Random(1)))),
        ("dateline and trailer added", text_of(syndication.dateline(STORY, random.Random(2)))),
        ("paragraph breaks and quotes", text_of(syndication.reflow(STORY, random.Random(3)))),
        ("a few words edited", text_of(syndication.word_edits(STORY, random.Random(4)))),
        (
            "trimmed, boilerplate and dateline",
            text_of(syndication.dateline(syndication.boilerplate(STORY[:4], random.Random(5)), random.Random(6))),
        ),
    ],
)
def test_a_republished_copy_joins_the_story(kind: str, copy: str) -> None:
    decision = copy_decision(copy)
    assert (decision.kind, decision.canonical_id, decision.cluster_id) == ("near", "wire", "cl-wire"), kind
    assert 0.0 < decision.similarity <= 1.0


def test_a_dateline_and_trailer_stripped_from_the_wire_copy_still_match() -> None:
    index = DedupIndex(OPTIONS)
    wire = syndication.dateline(STORY, random.Random(7))
    decide(index, "wire", text_of(wire))
    assert decide(index, "copy", text_of(syndication.dateline(wire, random.Random(8)))).canonical_id == "wire"


def test_an_update_with_added_paragraphs_is_a_revision_of_the_earlier_copy() -> None:
    index = DedupIndex(OPTIONS)
    decide(index, "wire", text_of(STORY))
    decide(index, "copy", text_of(syndication.boilerplate(STORY, random.Random(1))))
    update = decide(index, "update", text_of([STORY[0], *UPDATE, *STORY[1:], *UPDATE]))
    assert (update.kind, update.canonical_id) == ("revision", "wire")
    assert update.revision_of in {"wire", "copy"}


def test_another_outlets_own_reporting_of_the_event_is_another_story() -> None:
    assert copy_decision(text_of(OTHER_OUTLET)).kind == "unique"


@pytest.mark.parametrize("family", sorted(syndication.TEMPLATES))
def test_stories_from_one_template_stay_apart(family: str) -> None:
    index = DedupIndex(OPTIONS)
    stories = syndication.templated(family, random.Random(11), 25)
    decisions = [decide(index, f"{family}-{n}", text_of(story)) for n, story in enumerate(stories)]
    assert [d.kind for d in decisions] == ["unique"] * len(stories)


def test_templated_earnings_reports_stay_apart_but_their_copies_join_them() -> None:
    reports = [
        f"{company} said first-quarter net profit rose to {net} mln dlrs, or {shr} cts a share, from {prior} mln "
        f"dlrs, or {prior_shr} cts, a year earlier, on revenue of {revs} mln dlrs.\n\nThe company said it expects "
        "full-year earnings to be in line with analysts' forecasts and it will pay its regular quarterly dividend."
        for company, net, shr, prior, prior_shr, revs in [
            ("Acme Holdings Inc", "12.4", "31", "10.1", "25", "208.5"),
            ("Birchwood Foods Corp", "8.9", "22", "9.3", "24", "144.0"),
            ("Carver Industries Ltd", "21.7", "47", "18.2", "40", "391.6"),
        ]
    ]
    index = DedupIndex(OPTIONS)
    assert [decide(index, f"r{n}", report).kind for n, report in enumerate(reports)] == ["unique"] * 3
    copy = decide(index, "copy", reports[1].replace(" said ", " stated "))
    assert (copy.kind, copy.canonical_id) == ("near", "r1")


@pytest.mark.xfail(
    strict=True,
    reason="known weakness: with no numbers to vouch, a template's fixed capitalised words outvote its name slots",
)
def test_stories_from_one_template_with_constant_capitalised_words_stay_apart() -> None:
    # Weekdays, months and fixed capitalised words agree between siblings; only the names in the slots differ.
    template = (
        "Police in {city} said on Monday that {person} had been named chief of the Harbour Division, "
        "replacing {other}, who retires in March after 30 years with the National Police Service. {person} "
        "joined the Harbour Division from {city} Central and will take up the post on Friday, the "
        "Police Board said in a statement issued on Monday afternoon. The Board thanked the outgoing chief for "
        "decades of service to the people of the region and said that the appointment followed an open "
        "competition held in January, with interviews conducted by a panel drawn from the Home Office."
    )
    stories = [
        template.format(city=city, person=person, other=other)
        for city, person, other in [
            ("Leeds", "Sarah Okonkwo", "Peter Lindqvist"),
            ("Bristol", "Daniel Ferreira", "Helen Abbott"),
            ("Norwich", "Amira Haddad", "Colin Marsh"),
        ]
    ]
    index = DedupIndex(OPTIONS)
    assert [decide(index, f"t{n}", story).kind for n, story in enumerate(stories)] == ["unique"] * 3
    assert decide(index, "copy", stories[2].replace(" said ", " stated ")).canonical_id == "t2"


def test_copies_with_other_bylines_and_datelines_join_the_story() -> None:
    # Two outlets' trailers share one template with other reporters: conflicting names that are not the story's.
    index = DedupIndex(OPTIONS)
    first = syndication.dateline(syndication.boilerplate(STORY, random.Random(21)), random.Random(22))
    second = syndication.dateline(syndication.boilerplate(STORY[:4], random.Random(23)), random.Random(24))
    assert decide(index, "a", text_of(first)).kind == "unique"
    assert decide(index, "b", text_of(second)).canonical_id == "a"


def test_short_stories_sharing_only_an_outlets_boilerplate_stay_apart() -> None:
    outlet = syndication.boilerplate(["{}"], random.Random(4))  # the same outlet and layout on both
    notices = [
        "Acme Holdings Inc said its board declared a quarterly dividend of 12 cts a share, payable April 1.",
        "Birchwood Foods Corp said it sold its frozen foods unit to Delta Brands for 41 mln dlrs in cash.",
    ]
    index = DedupIndex(OPTIONS)
    texts = [text_of([p.format(notice) for p in outlet]) for notice in notices]
    assert [decide(index, f"n{n}", text).kind for n, text in enumerate(texts)] == ["unique", "unique"]


def test_short_briefs_closed_by_one_risk_warning_stay_apart() -> None:
    """A warning's "can fall as well as rise" is no figure agreeing in place: counted as one (the fifth round's
    direction verbs), ten different briefs under one outlet's warning became one story."""
    warning = "Capital at risk. The value of your investments can fall as well as rise and you may get back less."
    rng = random.Random(5)
    pool = [
        sentence
        for story in itertools.islice(syndication.reuters_bodies(), 400)
        for paragraph in story["paragraphs"]
        for sentence in syndication.sentences(paragraph)
        if len(sentence.split()) >= 12
    ]
    index = DedupIndex(OPTIONS)
    briefs = [f"{sentence}\n\n{warning}" for sentence in rng.sample(pool, 10)]
    decisions = [decide(index, f"b{n}", brief, n * 3600.0) for n, brief in enumerate(briefs)]
    assert [decision.kind for decision in decisions] == ["unique"] * 10


def test_a_short_article_is_not_a_copy_of_a_long_one_on_a_few_signature_values() -> None:
    # A brief against a story 20 times its length: the containment rests on a few equal values, facts must vouch.
    index = DedupIndex(OPTIONS)
    decide(index, "long", seed_text())
    brief = "The Nikkei 225 rose 79.14 points to close at 18,000.37, as investors weighed fresh economic data."
    assert decide(index, "brief", brief).kind == "unique"


def test_curly_quotes_open_a_quote_as_straight_ones_do() -> None:
    sketcher = Sketcher(128, 5)
    straight = sketcher.sketch('Officials said "We will restart the mine" on Tuesday in Santiago.')
    curly = sketcher.sketch("Officials said \u201cWe will restart the mine\u201d on Tuesday in Santiago.")
    assert np.array_equal(straight.names, curly.names) and straight.name_count == 2


def test_a_sketch_of_the_older_form_keeps_its_signature_and_drops_its_facts() -> None:
    sketch = Sketcher(128, 5).sketch(text_of(STORY))
    head = np.array([sketch.size, 3, 2, 3, 2], dtype=np.uint32).tobytes()
    old = base64.b64encode(head + sketch.signature.tobytes() + np.arange(5, dtype=np.uint16).tobytes()).decode()
    back = Sketch.from_text(old, 128)
    assert np.array_equal(back.signature, sketch.signature) and back.size == sketch.size
    assert (len(back.numbers), len(back.names), back.number_count, back.name_count) == (0, 0, 0, 0)


def test_a_replayed_id_gets_its_first_decision_back() -> None:
    index, text = DedupIndex(OPTIONS), seed_text()
    decide(index, "a", text)
    _, entry = index.decide("b", content_hash(text), text, 0.0)
    assert decide(index, "a", text).kind == "unique"
    assert index.decide("b", content_hash(text), text, 0.0) == (decide(index, "b", text), entry)
    assert len(index) == 2


def test_an_id_sent_again_with_other_content_keeps_its_place_and_the_index_holds_the_new_text() -> None:
    """A page updated at its URL (the same id, other text: review57 finding 4): the update keeps the decision, and a
    later exact copy of the new text is its duplicate, in one batch as one at a time; the old text is gone. Before,
    the index kept the old text and the copy was published as a first copy."""
    old, new = text_of(STORY), seed_text()
    articles = [("page", content_hash(old), old, 0.0, None), ("page", content_hash(new), new, 1.0, None)]
    articles += [("copy", content_hash(new), new, 2.0, None), ("late", content_hash(old), old, 3.0, None)]
    one_by_one = DedupIndex(OPTIONS)
    results = [one_by_one.decide(*article) for article in articles]
    assert DedupIndex(OPTIONS).decide_many(articles) == results
    (first, _), (updated, entry), (copy, _), (late, _) = results
    assert updated == first and (first.kind, first.cluster_id) == ("unique", "cl-page")
    assert entry["content_hash"] == content_hash(new) and entry["sketch"] == Sketcher(128, 5).sketch(new).to_text()
    assert (copy.kind, copy.canonical_id) == ("exact", "page")
    assert (late.kind, late.cluster_id) == ("unique", "cl-late")  # the old text is no longer held
    table = {article[0]: entry for article, (_, entry) in zip(articles, results, strict=True)}  # as persisted
    restored = DedupIndex(OPTIONS)
    restored.reset(list(table.items()))
    assert decide(restored, "copy2", new, at=4.0).canonical_id == "page" and len(restored) == 4


def test_a_copy_sent_again_with_other_content_stays_in_its_story_while_a_copy_of_what_it_was() -> None:
    """An update the decision model takes for a copy of the old content keeps the place its id was given, a copy's
    too (its cluster's record lists it). One to unrelated content is another article at that URL, decided afresh
    (read62: it kept the old decision, published as a near copy of "wire" at 0.9755, never enriched). Either way its
    row holds the new text, which the new text's copies find, and the boilerplate counts follow it as a rebuilt
    index counts."""
    index, entries = DedupIndex(OPTIONS), {}
    for article_id, text in [("wire", text_of(STORY)), ("copy", text_of(STORY[:4])), ("copy", text_of(STORY[:5]))]:
        decision, entries[article_id] = index.decide(article_id, content_hash(text), text, 0.0)
    near = decision
    assert (near.kind, near.canonical_id) == ("near", "wire")
    assert decide(index, "copy", text_of(STORY[:4])) == near  # and back: still the story's
    decision, entries["copy"] = index.decide("copy", content_hash(seed_text()), seed_text(), 0.0)
    assert (decision.kind, decision.cluster_id, decision.similarity) == ("unique", "cl-copy", 1.0)
    assert decision.left == ("cl-wire",)  # whose record lists it: no longer
    fresh = DedupIndex(OPTIONS)
    decide(fresh, "wire", text_of(STORY))
    assert decide(fresh, "copy", seed_text()) == replace(decision, left=())  # as the page under an id never seen
    copy, entries["seed-copy"] = index.decide("seed-copy", content_hash(seed_text()), seed_text(), 0.0)
    assert (copy.kind, copy.canonical_id) == ("exact", "copy")  # a copy of the copy's new text
    rebuilt = DedupIndex(OPTIONS)
    rebuilt.reset(list(entries.items()))
    assert paragraph_counts(rebuilt) == paragraph_counts(index)
    assert decide(index, "late", text_of(STORY)).canonical_id == "wire"  # the story is still found


def test_an_id_decided_afresh_names_the_cluster_it_left_only_when_it_leaves_one() -> None:
    """left66: the cluster record that listed an id decided afresh kept listing it (the id in two clusters). The
    decision names that cluster (``Decision.left``) when the id goes to another: not for an update of itself, nor for
    a first copy decided afresh as a first copy again (its cluster is named after it: it stays)."""
    index = DedupIndex(OPTIONS)
    decide(index, "other", seed_text())
    decide(index, "wire", text_of(STORY[:3]))
    assert decide(index, "copy", text_of(STORY[:3])).left == ()
    moved = decide(index, "copy", seed_text())
    assert (moved.kind, moved.cluster_id, moved.left) == ("exact", "cl-other", ("cl-wire",))
    alone = decide(index, "wire", text_of(STORY[3:]))  # no text in common with its old: decided afresh
    assert (alone.kind, alone.cluster_id, alone.left) == ("unique", "cl-wire", ())
    gone = decide(index, "wire", seed_text())
    assert (gone.kind, gone.cluster_id, gone.left) == ("exact", "cl-other", ("cl-wire",))


def test_the_story_of_an_updated_copy_is_still_found_through_its_chains() -> None:
    """An updated copy's old row leaves the chains of its buckets (spliced out: a link to it set to its own link on):
    evicted in place, it cleared the buckets' heads it held, and its slot, taken by the next article, ended the
    walks through it, so a later copy of the story found none of its older rows (a first copy: measured before
    the splice). Both places: the copy in the middle of the chains, then the copy at their head."""
    index, story = DedupIndex(OPTIONS), text_of(STORY)
    for article_id, text in [("wire", story), ("a", story), ("b", story), ("a", seed_text()), ("b", seed_text())]:
        decide(index, article_id, text)
    late = decide(index, "late", story)
    assert (late.kind, late.canonical_id) == ("exact", "wire")
    store = index._store
    _, found = store.earlier(np.array([store.slot_of["late"]]))
    assert store.slot_of["wire"] in found.tolist()


def paragraph_counts(index: DedupIndex) -> dict[str, list[int]]:
    """By id held, how many articles the index counts as holding each of its end paragraphs."""
    store = index._store
    return {
        store.ids[slot]: index._paragraphs.count(gather(store.edges, np.array([slot])))[0].tolist()
        for slot in store.live().tolist()
    }


def test_a_rebuilt_index_counts_end_paragraphs_as_the_live_one_once_a_first_copy_left() -> None:
    """read109: a rebuild marked each copy's end paragraphs against its story's first copy as held then; "wire" sent
    again as another story, its copies "a" and "b" counted the story's own paragraphs (counted once with "wire",
    uncounted as it left) again each, twice where the live index counts them none: a rebuilt index, a worker's or a
    failed batch's undo (atomic102), set aside as boilerplate what the live one scores. Entries carry the marks."""
    index, table = DedupIndex(OPTIONS), {}
    for article_id, text in [("wire", text_of(STORY)), ("a", text_of(STORY)), ("b", text_of(STORY))]:
        table[article_id] = index.decide(article_id, content_hash(text), text, 0.0)[1]
    table["wire"] = index.decide("wire", content_hash(seed_text()), seed_text(), 0.0)[1]
    rebuilt = DedupIndex(OPTIONS)
    rebuilt.reset(list(table.items()))
    assert paragraph_counts(index)["a"] == [0] * len(paragraph_counts(index)["a"])  # the story's: its first copy left
    assert paragraph_counts(rebuilt) == paragraph_counts(index)


def index_with_one_text_in_two_clusters(reused: bool) -> DedupIndex:
    """An index where "a" and, arrived later, "b" hold one text in two clusters ("b" restored from another index's
    entry, given a later arrival: the window alone cannot put both in a later article's window). ``reused``: "b"
    takes the slot "x" left (updated to other content), below "a"'s, as a live row takes a freed one."""
    index, story, other = DedupIndex(OPTIONS), text_of(STORY), DedupIndex(OPTIONS)
    if reused:
        decide(index, "x", text_of(TABLE))
    decide(index, "a", story)
    if reused:
        decide(index, "x", seed_text())
    _, entry = other.decide("b", content_hash(story), story, 0.0)
    assert index.restore([("b", {**entry, "seq": 10, "first_seq": 10})]) == []
    store = index._store
    assert (store.slot_of["b"] < store.slot_of["a"]) == reused  # the later arrival in the lower row, or not
    return index


def test_an_exact_copy_of_a_text_held_in_two_clusters_joins_the_earliest_arrival_live_and_rebuilt() -> None:
    """read109: among exact rows the first by row was taken, and a live row sits in whichever freed slot it took.
    "a" is its own story (its one witness "w" disagrees), then "b", a revision of "w", is updated to "a"'s text, an
    update of itself (it stays in cl-w), into the slot "x" left: below "a"'s row live, above it rebuilt (rows in
    arrival order). An exact copy joins the earliest arrival, "a", on both indexes (by row: cl-w live)."""
    index, table, story = DedupIndex(OPTIONS), {}, [*STORY, *UPDATE]
    steps = [("x", TABLE), ("w", story[:3]), ("b", story), ("a", story[2:]), ("x", None), ("b", story[2:])]
    for article_id, paragraphs in steps:
        text = text_of(paragraphs) if paragraphs else seed_text()
        decision, table[article_id] = index.decide(article_id, content_hash(text), text, 0.0)
    assert (decision.kind, decision.cluster_id, table["a"]["cluster_id"]) == ("revision", "cl-w", "cl-a")
    rebuilt = DedupIndex(OPTIONS)
    rebuilt.reset(list(table.items()))
    for held, below in ((index, True), (rebuilt, False)):
        assert (held._store.slot_of["b"] < held._store.slot_of["a"]) == below
        copy = decide(held, "c", text_of(story[2:]))
        assert (copy.kind, copy.cluster_id, copy.canonical_id) == ("exact", "cl-a", "a"), below
    for reused in (False, True):  # and with "b" in the other cluster by restore
        copy = decide(index_with_one_text_in_two_clusters(reused), "c", text_of(STORY))
        assert (copy.kind, copy.cluster_id, copy.canonical_id) == ("exact", "cl-a", "a"), reused


def test_a_revision_of_a_text_held_in_two_clusters_names_the_same_copy_whatever_the_rows() -> None:
    """read109: on an equal best probability (the same text in two clusters: the same features) the candidate of the
    highest row was taken. Now the latest arrival, "b" (6630a58: as rows in arrival order took; the scoring order
    and the exact rows take the earliest), in either layout; the clusters merge into the older, "a"'s."""
    for reused in (False, True):
        revision = decide(index_with_one_text_in_two_clusters(reused), "c", text_of([*STORY, *UPDATE]))
        assert (revision.kind, revision.cluster_id, revision.revision_of) == ("revision", "cl-a", "b"), reused
        assert revision.merged == ("cl-b",)


def test_a_restored_index_still_catches_copies_and_keeps_decisions() -> None:
    index = DedupIndex(OPTIONS)
    entries = [("wire", index.decide("wire", content_hash(text_of(STORY)), text_of(STORY), 0.0)[1])]
    trimmed = text_of(STORY[:4])
    entries.append(("trimmed", index.decide("trimmed", content_hash(trimmed), trimmed, 1.0)[1]))
    restored = DedupIndex(OPTIONS)
    restored.reset(list(reversed(entries)))
    assert decide(restored, "trimmed", trimmed).kind == "near"
    assert decide(restored, "late", text_of(syndication.boilerplate(STORY, random.Random(1)))).canonical_id == "wire"


def test_an_entry_whose_sketch_cannot_be_read_is_left_out_of_a_restored_index_and_named_evicted() -> None:
    """A damaged entry (or one of a form a later version wrote) costs the index that article, not the worker: the
    rebuild goes on, and the entry is named among the evicted so that the table forgets it."""
    index = DedupIndex(OPTIONS)
    entries = [
        (i, index.decide(i, content_hash(text_of(t)), text_of(t), float(at))[1])
        for at, (i, t) in enumerate((("wire", STORY), ("table", TABLE), ("other", seed_text())))
    ]
    entries[1][1]["sketch"] = base64.b64encode(b"x" * 400).decode("ascii")  # no form's length
    restored = DedupIndex(OPTIONS)
    assert restored.reset(entries) == ["table"]
    assert len(restored) == 2 and restored.drain_evicted() == ["table"]
    assert decide(restored, "trimmed", text_of(STORY[:4]), at=3.0).canonical_id == "wire"
    assert decide(restored, "table-again", text_of(TABLE), at=4.0).kind == "unique"


MISSING = object()  # a field left out of the entry


@pytest.mark.parametrize(
    ("field", "value"),
    [
        *((field, MISSING) for field in ("seq", "kind", "cluster_id", "revision_of", "similarity", "content_hash")),
        *((field, MISSING) for field in ("event_time", "sketch")),
        ("seq", "1"),
        ("seq", 1.5),
        ("kind", "other"),
        ("kind", ["near"]),
        ("cluster_id", 7),
        ("cluster_id", ["cl-wire"]),
        ("revision_of", 5),
        ("similarity", "x"),
        ("similarity", float("nan")),
        ("content_hash", 5),
        ("content_hash", "not hex"),
        ("event_time", "x"),
        ("event_time", None),
        ("sketch", None),
        ("sketch", 123),
        ("merged", "cl-wire"),
        ("merged", [None]),
        ("first_seq", "1"),
        ("first_seq", 1.5),
        ("first_seq", -1),
        ("first_seq", 2**63),  # past the store's int64 arrivals
        ("first_seq", True),
        ("first_seq", None),
        ("counted", 1 << EDGES_KEPT),  # a place past the end paragraphs kept
        ("counted", -1),
        ("counted", True),
        ("counted", "1"),
    ],
)
def test_an_entry_with_a_field_missing_or_damaged_is_left_out_of_a_restored_index(field: str, value: object) -> None:
    """Any field the rebuild reads, missing or damaged into another JSON value, leaves the entry out as an unreadable
    sketch does (named, evicted, logged with the reason), not raised on: a raise would repeat on every restart."""
    index = DedupIndex(OPTIONS)
    entries = [
        (i, index.decide(i, content_hash(text_of(t)), text_of(t), float(at))[1])
        for at, (i, t) in enumerate((("wire", STORY), ("table", TABLE), ("other", seed_text())))
    ]
    damaged = dict(entries[1][1])
    if value is MISSING:
        del damaged[field]
    else:
        damaged[field] = value
    entries[1] = ("table", damaged)  # type: ignore[assignment]
    restored = DedupIndex(OPTIONS)
    assert restored.reset(entries) == ["table"]
    assert len(restored) == 2 and restored.drain_evicted() == ["table"]
    assert decide(restored, "trimmed", text_of(STORY[:4]), at=3.0).canonical_id == "wire"
    assert decide(restored, "table-again", text_of(TABLE), at=4.0).kind == "unique"


@pytest.mark.parametrize("damaged", [None, "garbage", ["wire"]])
def test_an_entry_damaged_into_no_mapping_is_left_out_of_a_restored_index(damaged: object) -> None:
    """The entry itself damaged into another JSON value is left out as one with a damaged field is."""
    index = DedupIndex(OPTIONS)
    wire = index.decide("wire", content_hash(text_of(STORY)), text_of(STORY), 0.0)[1]
    restored = DedupIndex(OPTIONS)
    assert restored.reset([("wire", wire), ("table", damaged)]) == ["table"]  # type: ignore[list-item]
    assert len(restored) == 1 and restored.drain_evicted() == ["table"]


def test_an_entry_persisted_before_merges_existed_is_restored() -> None:
    """``merged`` is the one field an entry may lack: those written before merges were recorded have none."""
    index = DedupIndex(OPTIONS)
    _, entry = index.decide("wire", content_hash(text_of(STORY)), text_of(STORY), 0.0)
    del entry["merged"]  # type: ignore[misc]
    restored = DedupIndex(OPTIONS)
    assert restored.reset([("wire", entry)]) == [] and len(restored) == 1


@pytest.mark.parametrize("unreadable", [["whole"], ["first", "whole"]])
def test_the_merges_of_an_entry_left_out_of_a_restored_index_are_kept(unreadable: list[str]) -> None:
    """A merge needs no sketch: the story stays one though the copy that merged it is forgotten (and though the
    cluster it merged into has no member left in the index), and that copy read again records the merge again."""
    index = DedupIndex(DedupOptions(window_seconds=3600))
    entries = [(a, index.decide(a, content_hash(t), t, 0.0)[1]) for a, t in merge_scenario()]
    for article_id, entry in entries:
        if article_id in unreadable:
            entry["sketch"] = base64.b64encode(b"x" * 400).decode("ascii")
    restored = DedupIndex(DedupOptions(window_seconds=3600))
    assert restored.reset(list(reversed(entries))) == unreadable
    assert decide(restored, "exact-second", text_of(STORY[3:]), at=1.0).cluster_id == "cl-first"
    replayed = restored.decide(*[(a, content_hash(t), t, 0.0) for a, t in merge_scenario()][2])[0]
    assert (replayed.cluster_id, replayed.merged) == ("cl-first", ("cl-second",))
    decide(restored, "later", seed_text(), at=7200.0)
    restored.compact()
    assert restored.drain_evicted().count("whole") == 1  # its row, read again; no longer its entry left out


def restart(table: dict[str, PersistedEntry], index: DedupIndex) -> DedupIndex:
    """The index a restarted worker rebuilds from the table, after the table forgot what ``index`` evicted and kept of
    the later copies it passed what the stage keeps (``DedupStage._with_forgotten``)."""
    for article_id in index.drain_evicted():
        table.pop(article_id, None)
    table.update(index.drain_departed())
    restored = DedupIndex(index.options)
    restored.reset(list(table.items()))
    return restored


def test_the_merges_of_an_entry_left_out_of_a_restored_index_survive_the_next_restart() -> None:
    """The entry left out for its sketch but holding a merge stays in the table (not named evicted) until the window
    passes it: the second rebuild replays the merge as the first did, and the merged story's members stay one
    cluster with the members decided in between."""
    options = DedupOptions(window_seconds=3600)
    index = DedupIndex(options)
    table = {a: index.decide(a, content_hash(t), t, 0.0)[1] for a, t in merge_scenario()}
    table["whole"]["sketch"] = "garbage"
    once = restart(table, index)
    assert decide(once, "exact-second", text_of(STORY[3:]), at=1.0).cluster_id == "cl-first"
    table["exact-second"] = once.decide("exact-second", content_hash(text_of(STORY[3:])), text_of(STORY[3:]), 1.0)[1]
    twice = restart(table, once)
    assert "whole" in table and twice._root("second") == "first"
    assert decide(twice, "again-second", text_of(STORY[3:]), at=2.0).cluster_id == "cl-first"
    decide(twice, "later", seed_text(), at=7200.0)
    twice.compact()
    assert "whole" in twice.drain_evicted() and twice.drain_closed() == ["cl-first"]


def test_an_entry_left_out_but_for_its_merges_with_a_time_years_ahead_passes_with_the_newest_the_index_held() -> None:
    """A damaged entry's event time past every other (year 33658 here) would keep it, and its merges, after every
    window: it counts as no later than the newest time the index held when rebuilt, and the window passes it."""
    options = DedupOptions(window_seconds=3600)
    index = DedupIndex(options)
    table = {a: index.decide(a, content_hash(t), t, 0.0)[1] for a, t in merge_scenario()}
    table["whole"].update(sketch="garbage", event_time=1e12)
    restored = restart(table, index)
    assert restored._root("second") == "first" and restored.drain_evicted() == []  # merges replayed, entry kept
    decide(restored, "later", seed_text(), at=7200.0)
    restored.compact()
    assert restored.drain_evicted() == ["first", "second", "whole"]  # "whole" kept before, till the year 33658


@pytest.mark.parametrize(
    "damage",
    [{"cluster_id": None}, {"cluster_id": 7}, {"merged": [None]}, {"merged": "cl-second"}, {"merged": {"a": 1}}],
)
def test_the_damaged_merges_of_an_entry_left_out_of_a_restored_index_are_skipped(damage: dict[str, object]) -> None:
    """An entry left out as unreadable had no field checked: damaged merges (no cluster id, a merged that is no list
    of ids) are skipped, not raised on nor merged letter by letter; the copy read again merges the clusters again."""
    index = DedupIndex(DedupOptions(window_seconds=3600))
    entries = [(a, index.decide(a, content_hash(t), t, 0.0)[1]) for a, t in merge_scenario()]
    whole = entries[2][1]
    whole["sketch"] = "garbage"
    whole.update(damage)  # type: ignore[typeddict-item]
    if whole["cluster_id"] is None:
        del whole["cluster_id"]  # type: ignore[misc]
    restored = DedupIndex(DedupOptions(window_seconds=3600))
    assert restored.reset(entries) == ["whole"]
    assert decide(restored, "exact-second", text_of(STORY[3:]), at=1.0).cluster_id == "cl-second"
    replayed = restored.decide(*[(a, content_hash(t), t, 0.0) for a, t in merge_scenario()][2])[0]
    assert (replayed.cluster_id, replayed.merged) == ("cl-first", ("cl-second",))


def test_entries_persisted_before_the_figure_keys_restore_and_still_catch_copies() -> None:
    """A sketch of the form before the figure keys (main's before the eighth round) reads back without them."""
    index = DedupIndex(OPTIONS)
    entries = [
        (i, index.decide(i, content_hash(text_of(t)), text_of(t), 0.0)[1])
        for i, t in (("wire", STORY), ("table", TABLE))
    ]
    keyed = [i for i, entry in entries if Sketch.from_text(entry["sketch"], OPTIONS.num_perm).figures.any()]
    assert keyed == ["table"]  # the story's sketch is already of the older form: only a keyed one writes the keys
    entry = entries[1][1]
    raw = base64.b64decode(entry["sketch"])
    new = Sketch.from_text(entry["sketch"], OPTIONS.num_perm)
    entry["sketch"] = base64.b64encode(raw[: -4 * FIGURE_KEYS]).decode("ascii")  # the older form's bytes
    old = Sketch.from_text(entry["sketch"], OPTIONS.num_perm)  # all but the keys, not the oldest form's nothing
    assert (old.size, old.number_count, old.name_count) == (new.size, new.number_count, new.name_count)
    for part in ("signature", "numbers", "names", "edges", "edge_words", "lead"):
        np.testing.assert_array_equal(getattr(old, part), getattr(new, part))
    assert not old.figures.any()
    restored = DedupIndex(OPTIONS)
    restored.reset(entries)
    assert not restored._store.figures[restored._store.slot_of["table"]].any()
    assert decide(restored, "trimmed", text_of(STORY[:4]), at=1.0).canonical_id == "wire"
    assert decide(restored, "table-again", text_of(TABLE), at=2.0).kind == "exact"


def test_a_replayed_article_that_making_room_evicts_gets_its_earlier_decision_back() -> None:
    """A batch that replays an article out of the window (not yet evicted) and brings new ones to a full index:
    making room for the new ones evicts the replayed one, whose earlier decision the batch still returns."""
    rng = random.Random(3)
    vocabulary = [f"w{n}" for n in range(5000)]
    texts = [" ".join(rng.choices(vocabulary, k=60)) for _ in range(MIN_CAPACITY + 1)]
    index = DedupIndex(DedupOptions(window_seconds=50))
    old = ("old", content_hash(texts[0]), texts[0], 0.0, None)
    fillers = [(f"filler-{n}", content_hash(t), t, 100.0, None) for n, t in enumerate(texts[1:MIN_CAPACITY])]
    [(before, entry)] = index.decide_many([old])
    index.decide_many(fillers)
    assert index._store.room() == 0
    new = ("new", content_hash(texts[-1]), texts[-1], 100.0, None)
    replayed, fresh = index.decide_many([old, new])
    assert replayed == (before, entry) and fresh[0].kind == "unique"
    assert "old" in index.drain_evicted() and "old" not in index._store.slot_of


def test_entries_older_than_the_window_are_evicted() -> None:
    index = DedupIndex(DedupOptions(window_seconds=3600))
    decide(index, "old", text_of(STORY), at=0.0)
    decide(index, "new", seed_text(), at=7200.0)
    assert decide(index, "again", text_of(STORY), at=7300.0).kind == "unique"  # the old copy is out of the window
    index.compact()
    assert index.drain_evicted() == ["old"]
    assert index.drain_closed() == ["cl-old"]
    assert len(index) == 2


@pytest.mark.slow
def test_the_index_grows_and_compacts_past_its_first_capacity() -> None:
    rng = random.Random(3)
    vocabulary = [f"w{n}" for n in range(5000)]
    index = DedupIndex(DedupOptions(window_seconds=100))
    decide(index, "wire", text_of(STORY), at=0.0)
    for n in range(2 * MIN_CAPACITY):
        decide(index, f"filler-{n}", " ".join(rng.choices(vocabulary, k=60)), at=n / (2 * MIN_CAPACITY))
    assert decide(index, "copy", text_of(STORY[:4]), at=50.0).canonical_id == "wire"
    for n in range(2 * MIN_CAPACITY):
        decide(index, f"later-{n}", " ".join(rng.choices(vocabulary, k=60)), at=200.0)
    assert "wire" in index.drain_evicted()
    assert decide(index, "after", text_of(STORY), at=200.0).kind == "unique"


def test_a_sketch_survives_its_text_form() -> None:
    sketch = Sketcher(128, 5).sketch(text_of(STORY))
    back = Sketch.from_text(sketch.to_text(), 128)
    assert np.array_equal(back.signature, sketch.signature) and back.size == sketch.size
    assert np.array_equal(back.numbers, sketch.numbers) and np.array_equal(back.names, sketch.names)
    assert (back.number_count, back.name_count) == (sketch.number_count, sketch.name_count) != (0, 0)


def test_curly_quotes_dashes_and_breaks_do_not_change_the_signature() -> None:
    sketcher = Sketcher(128, 5)
    plain = sketcher.sketch('He said "we will restart" - not yet.\n\nThe end of the story is here now')
    fancy = sketcher.sketch("He said \u201cwe will restart\u201d \u2014 not yet. The end of the story is here now")
    assert np.array_equal(plain.signature, fancy.signature)


def test_event_time_prefers_publication_time() -> None:
    assert event_time("1970-01-01T00:01:00Z", 5.0) == 60.0
    assert event_time(None, 5.0) == 5.0
    assert event_time("not a date", 5.0) == 5.0


def test_a_batch_gets_the_decisions_and_entries_of_one_call_per_article() -> None:
    """Within a batch, an earlier article is the original of a later one, as it is across calls."""
    rng = random.Random(5)
    texts = [
        text_of(STORY),
        text_of(syndication.truncate(STORY, rng)),
        seed_text(),
        text_of(STORY),
        text_of([STORY[0], *UPDATE, *STORY[1:]]),
        text_of(OTHER_OUTLET),
        text_of(syndication.boilerplate(STORY, rng)),
        "too short",
    ]
    articles = [(f"a{n}", content_hash(text), text, float(n), None) for n, text in enumerate(texts)]
    articles.append(articles[1])  # a replay inside the batch
    one_by_one = DedupIndex(OPTIONS)
    expected = [one_by_one.decide(*article) for article in articles]
    assert DedupIndex(OPTIONS).decide_many(articles) == expected
    assert [decision.kind for decision, _ in expected] == [
        "unique", "near", "unique", "exact", "revision", "unique", "revision", "unique", "near"
    ]  # fmt: skip


def test_batch_sketches_equal_one_text_sketches() -> None:
    texts = [text_of(STORY), "", "two words", seed_text(), "\u201cQuoted\u201d 12 Names Here and 2024 numbers"]
    sketcher = Sketcher(128, 5)
    batch = sketcher.sketch_many(texts)
    for row, text in enumerate(texts):
        alone, batched = sketcher.sketch(text), batch[row]
        assert alone.to_text() == batched.to_text()
    assert batch[0].name_count > 0 and batch[0].number_count > 0


@pytest.mark.slow
def test_dev_set_copies_are_trimmed_before_the_outlet_wraps_them() -> None:
    """Whatever order the edits were drawn in, the outlet's wrapper comes last and the trim never reaches it."""
    from bench.dedup_eval import copy_of

    for seed in range(20):
        edits = ["boilerplate", "update", "dateline", "truncate"]
        random.Random(seed).shuffle(edits)
        copy = copy_of(STORY, edits, random.Random(seed), UPDATE)
        story = [p for p in copy if "newsletter" not in p and "Copyright" not in p and "Read more" not in p]
        assert story[0].endswith(STORY[0]) and "(Reuters) - " in story[0]  # the dateline opens the story
        assert story[-1].startswith("(Reporting by")  # and the trailer ends it
        assert UPDATE[0] in copy
        assert len(copy) - len(story) in (1, 2, 3)  # the whole wrapper, above, below or both


def test_a_copy_editors_word_edits_never_change_a_figure_or_its_unit() -> None:
    """A lightly edited copy keeps every figure of its story, in every form (number words alone or in compounds,
    ordinals and decades in digits, fractions): a copy whose figures disagree is labelled a copy wrongly."""
    figures = ["seven", "twenty", "five-year", "two-for-one", "10th", "mid-1986,", "6-1/16", "three", "nine."]
    story = [
        "The company said seven years of losses ended after twenty quarters, and its five-year plan brought a "
        "two-for-one split, the 10th since mid-1986, declared when funds traded at 6-1/16 pct.",
        "Directors expect three further plants this decade, and perhaps nine.",
    ]
    edited = [syndication.word_edits(story, random.Random(seed)) for seed in range(200)]
    for copy in edited:
        words = " ".join(copy).split()
        assert [w for w in words if w in figures] == figures
        assert "seven years" in copy[0] and "twenty quarters" in copy[0] and "three further" in copy[1]
    assert sum(copy != story for copy in edited) > 150  # the other words are still edited


def test_a_wire_time_is_read_on_a_day_of_one_digit_too() -> None:
    """Reuters-21578 writes the first nine days of a month with one digit: read as unreadable, 39% of the corpus's
    stories ran at its first instant, and two runs of a daily item on other days ran at the same time."""
    assert syndication.wire_time("1-MAR-1987 01:30:29.50") == datetime(1987, 3, 1, 1, 30, 29, tzinfo=UTC).timestamp()
    assert syndication.wire_time("26-FEB-1987 15:01:01.79") == datetime(1987, 2, 26, 15, 1, 1, tzinfo=UTC).timestamp()
    assert syndication.wire_time("31-MAR-1987 605:12:19.12") == syndication.CORPUS_START  # the one unreadable


@pytest.mark.slow
def test_evicted_slots_are_reused_without_growing_and_copies_are_still_found() -> None:
    """The window holds fewer articles than the first arrays: evictions make the room, nothing is rebuilt."""
    rng = random.Random(4)
    vocabulary = [f"w{n}" for n in range(5000)]
    index = DedupIndex(DedupOptions(window_seconds=50))
    for n in range(3 * MIN_CAPACITY):  # ten a second: the window holds about 500
        decide(index, f"filler-{n}", " ".join(rng.choices(vocabulary, k=60)), at=n / 10)
        if n == 3 * MIN_CAPACITY - 200:  # 20 s before the copy, after hundreds of slots were reused
            decide(index, "wire", text_of(STORY), at=n / 10)
    store = index._store
    assert store.capacity == MIN_CAPACITY and len(index) <= MIN_CAPACITY
    assert len(index.drain_evicted()) == 3 * MIN_CAPACITY + 1 - len(index)
    assert decide(index, "copy", text_of(STORY[:4]), at=3 * MIN_CAPACITY / 10).canonical_id == "wire"
    live = store.live()
    owners, rows = store.earlier(live)
    assert len(rows) and (store.seqs[rows] < store.seqs[live[owners]]).all()  # a reused slot ends a chain


def test_a_lookup_pairs_rows_on_equal_band_values_not_on_a_shared_bucket() -> None:
    """A bucket also holds strangers, other band values hashed alike: the lookup leaves them out."""
    rng = random.Random(8)
    vocabulary = [f"w{n}" for n in range(5000)]
    index = DedupIndex(OPTIONS)
    for n in range(MIN_CAPACITY // 2):
        decide(index, f"filler-{n}", " ".join(rng.choices(vocabulary, k=60)))
    decide(index, "wire", text_of(STORY))
    decide(index, "copy", text_of(STORY[:4]))
    store = index._store
    live = store.live()

    def band_values(slots: np.ndarray) -> np.ndarray:
        return store.banded(store.signatures[slots])

    buckets = store._chains[0]._buckets_of(band_values(live))
    strangers = sum(
        not (band_values(live[[i]]) == band_values(live[[j]])).all(axis=2).any()
        for band in range(store.bands)
        for i in range(len(live))
        for j in np.flatnonzero(buckets[:i, band] == buckets[i, band]).tolist()
    )
    assert strangers > 100  # the buckets are crowded: half as many as rows
    owners, rows = store.earlier(live)
    same_band = (band_values(rows) == band_values(live[owners])).all(axis=2).any(axis=1)
    same_key = ((store.leads[rows] == store.leads[live[owners]]).any(axis=1)) | (
        (store.figures[rows] == store.figures[live[owners]]) & (store.figures[rows] != 0)
    ).any(axis=1)
    assert (same_band | same_key).all()  # or a lead key, or a figure key
    assert (store.slot_of["copy"], store.slot_of["wire"]) in set(zip(live[owners].tolist(), rows.tolist(), strict=True))


@pytest.mark.slow
def test_the_memory_count_follows_rows_in_and_out() -> None:
    """The id strings' bytes are counted as rows come and go, through eviction and growth alike."""
    index = DedupIndex(DedupOptions(window_seconds=10))
    rng = random.Random(6)
    vocabulary = [f"w{n}" for n in range(5000)]
    for n in range(3 * MIN_CAPACITY):  # the first half at one time (the arrays grow), then the window moves on
        at = 0.0 if n < 3 * MIN_CAPACITY // 2 else 100 + n / 50
        decide(index, f"article-{n}-{'x' * (n % 7)}", " ".join(rng.choices(vocabulary, k=40)), at=at)
    store = index._store
    assert index.drain_evicted() and store.capacity > MIN_CAPACITY  # both happened
    assert store._id_bytes == sum(sys.getsizeof(article_id) for article_id in store.slot_of)


# A copy of the story's first paragraphs inside another outlet's own report: too little of either to match the
# wire story, so it starts a cluster of its own when it comes first.
COMPILED = [*STORY[:2], *OTHER_OUTLET, *UPDATE]


def merge_scenario() -> list[tuple[str, str]]:
    """Two copies that hold other halves of the story first (apart: they share no text), then the whole story, a
    copy of both."""
    return [("first", text_of(STORY[:3])), ("second", text_of(STORY[3:])), ("whole", text_of(STORY))]


def test_a_copy_of_two_clusters_merges_the_younger_into_the_older() -> None:
    index = DedupIndex(OPTIONS)
    first, second, whole = (decide(index, article_id, text) for article_id, text in merge_scenario())
    assert (first.kind, second.kind) == ("unique", "unique")
    assert (whole.cluster_id, whole.canonical_id, whole.merged) == ("cl-first", "first", ("cl-second",))
    update = decide(index, "update", text_of([*STORY, *UPDATE]))  # a copy of the whole story: the merged cluster's
    assert (update.kind, update.cluster_id, update.merged) == ("revision", "cl-first", ())


def test_an_updated_first_copy_keeps_its_story_the_older() -> None:
    """A first copy updated in place of itself keeps its first arrival, in memory and in its saved entry: the copy of
    two stories still merges the younger into its story (read62: the update's new arrival made it the younger, and
    the older story was merged into the younger one's, as a replay unchanged does not)."""
    index, entries = DedupIndex(OPTIONS), {}
    (first, old), second, whole = merge_scenario()
    new = old.replace("382,000", "383,000")
    for article_id, text in [(first, old), second, (first, new)]:
        entries[article_id] = index.decide(article_id, content_hash(text), text, 0.0)[1]
    assert new != old and decide(index, *whole).merged == ("cl-second",)
    assert entries[first]["first_seq"] == 1 < entries[first]["seq"]
    restored = DedupIndex(OPTIONS)
    restored.reset(list(entries.items()))
    assert decide(restored, *whole).merged == ("cl-second",)


def test_merges_survive_a_restart_and_close_with_the_cluster() -> None:
    index = DedupIndex(DedupOptions(window_seconds=3600))
    entries = [
        (article_id, index.decide(article_id, content_hash(text), text, 0.0)[1])
        for article_id, text in merge_scenario()
    ]
    assert entries[2][1]["merged"] == ["cl-second"]
    restored = DedupIndex(DedupOptions(window_seconds=3600))
    restored.reset(entries)
    assert decide(restored, "exact", text_of(STORY), at=1.0).canonical_id == "first"
    assert restored.decide(*[(a, content_hash(t), t, 0.0) for a, t in merge_scenario()][2])[0].merged == ("cl-second",)
    decide(restored, "later", seed_text(), at=7200.0)
    restored.compact()
    assert restored.drain_closed() == ["cl-first"]  # one story, closed once: the merged cluster lives on in it
    assert restored.nbytes() > 0 and len(restored) == 1


def test_a_batch_merges_as_one_call_per_article_does() -> None:
    articles = [(a, content_hash(t), t, float(n), None) for n, (a, t) in enumerate(merge_scenario())]
    one_by_one = DedupIndex(OPTIONS)
    assert DedupIndex(OPTIONS).decide_many(articles) == [one_by_one.decide(*article) for article in articles]


def test_a_story_held_by_a_copy_of_another_does_not_join_that_others_story() -> None:
    """A roundup holds the wire story and another story whole: a copy of the first (it holds all of it), and the
    other story is contained in the roundup too; but it is apart from the wire story, the cluster's first copy."""
    other = seed_text().split("\n\n")[:4]
    index = DedupIndex(OPTIONS)
    assert decide(index, "wire", text_of(STORY[:3])).kind == "unique"
    assert decide(index, "roundup", text_of([*STORY[:3], *other]), at=HOUR).cluster_id == "cl-wire"
    assert decide(index, "other", text_of(other), at=2 * HOUR).cluster_id == "cl-other"
    assert decide(index, "copy", text_of(STORY[:3]) + "\n\nMore to follow.", at=3 * HOUR).cluster_id == "cl-wire"


# Two quarterly reports from one template (Reuters earnings notices): the same words, other figures.
EARNINGS = [
    "Shr 15 cts vs six cts",
    "Net 1,410,000 vs 550,000",
    "Revs 6,901,000 vs 2,392,000",
    "Avg shrs 10,326,000 vs 9,064,000",
    "Note: Prior qtr per share figure adjusted for two-for-one stock split of February 27. Reuter",
]
OTHER_EARNINGS = [
    "Shr 22 cts vs 18 cts",
    "Net 4,127,000 vs 3,177,000",
    "Revs 70,200,000 vs 48,600,000",
    "Avg shrs 8,326,000 vs 8,064,000",
    "Note: Prior qtr per share figure adjusted for two-for-one stock split of March 12. Reuter",
]


def test_a_trimmed_wrapped_figures_story_is_a_copy_when_its_numbers_vouch() -> None:
    """Three lines of a report inside an outlet's wrapper hold half the report's shingles, and all its figures: the
    figure keys propose it (a strict xfail until the eighth round)."""
    copy = text_of(syndication.boilerplate(OTHER_EARNINGS[:3], random.Random(2)))
    index = DedupIndex(OPTIONS)
    for article_id, text in (("report", text_of(EARNINGS)), ("other", text_of(OTHER_EARNINGS))):
        assert decide(index, article_id, text).kind == "unique"
    decision = decide(index, "copy", copy)
    assert (decision.kind, decision.canonical_id) == ("near", "other")


# A Reuters earnings table and dividend notice (the corpus) and copies the dev generator made of them (seed 1): a
# word edited or dropped, a wrapper, a dateline. They share few 5-word shingles with their story; all its figures.
TABLE = [
    "Shr 12 cts vs seven cts",
    "Net 817,000 vs 512,000",
    "Revs 107.5 mln vs 99.9 mln",
    "Avg 6.9 mln vs 7.2 mln",
    "NOTE: 1987 net includes 2.4 mln dlr pretax gain on settlement, 743,000 dlrs gain on securities sale, interest "
    "expense net of investment income of 2.2 mln dlrs and 920,000 dlrs in fiscal 1986. Change of European operations "
    "method resulted in pre-tax translation losses of 1.1 mln dlrs in 1987. Period ended January 30.",
]
TABLE_COPY = [
    "Shr 12 cts vs cts",
    *TABLE[1:4],
    "Copyright 1987 Valley Times. All rights reserved. This material may not be published, broadcast, rewritten or "
    "redistributed.",
    "Read more: Follow our live coverage and share your views in the comments below.",
]
NOTICE = ["Qtly div 44 cts vs 39 cts prior", "Pay Aug 14", "Record July 31"]
NOTICE_COPY = [
    "Chicago, May 15 (reuters) - Qtly",
    "CHICAGO, May 15 (Reuters) - Qtly div 44 cts vs 39 cts",
    *NOTICE[1:],
    "(Reporting by Raj Patel; Editing by Anna Kowalski)",
]


def test_wire_tables_copied_with_word_edits_join_their_story_and_the_next_quarters_notice_stays_apart() -> None:
    """The figure keys propose the copies (their containment is under ``CANDIDATE_CONTAINMENT`` or the LSH misses
    them): each joins its story. The notice's next quarter, the same template with other figures, is a new story."""
    index = DedupIndex(OPTIONS)
    assert decide(index, "table", text_of(TABLE)).kind == "unique"
    assert decide(index, "notice", text_of(NOTICE)).kind == "unique"
    assert decide(index, "table-copy", text_of(TABLE_COPY), at=1.4 * HOUR).canonical_id == "table"
    assert decide(index, "notice-copy", text_of(NOTICE_COPY), at=5.6 * HOUR).canonical_id == "notice"
    next_quarter = ["Qtly div 44 cts vs 39 cts prior", "Pay Nov 14", "Record Oct 31"]  # the same figures in order
    assert decide(index, "next", text_of(next_quarter), at=72 * HOUR).kind == "unique"
    store = index._store
    assert (store.figures[store.slot_of["next"]] == store.figures[store.slot_of["notice"]]).all()  # on the route


def test_two_divisions_opening_day_tables_stay_apart() -> None:
    """Tables of small counts (played, won, drawn, lost) share runs of figures by chance: a figure of one character
    is no key (the review's case: on the route, this pair was scored at containment 0.17 and merged)."""
    index = DedupIndex(OPTIONS)
    dutch = [
        "Standings in the Dutch first division after Saturday's matches (tabulated under played, won, drawn, lost, "
        "goals for, goals against, points):",
        "Hibs 1 1 0 0 3 2 3", "Boavista 1 1 0 0 2 1 3", "Leeds 1 0 1 0 2 2 1", "Motherwell 1 0 1 0 2 2 1",
        "Benfica 1 0 0 1 2 3 0", "Aberdeen 1 0 0 1 1 2 0",
    ]  # fmt: skip
    portuguese = [
        "Portuguese first division table after the first round of matches on Saturday:",
        "Watford 1 1 0 0 4 1 3", "Barnsley 1 1 0 0 3 2 3", "Aberdeen 1 1 0 0 1 0 3", "Chelsea 1 0 0 1 2 3 0",
        "Hull 1 0 0 1 0 1 0", "Liverpool 1 0 0 1 1 4 0",
    ]  # fmt: skip
    assert decide(index, "dutch", text_of(dutch)).kind == "unique"
    assert decide(index, "portuguese", text_of(portuguese), at=2.9 * HOUR).kind == "unique"


@pytest.mark.xfail(strict=True, reason=WEAKNESS + "the route's pairs are scored by weights fitted above the cut")
def test_two_leaderboards_with_the_same_scores_in_order_stay_apart() -> None:
    """Short tables whose figures are the same in order and whose names all differ meet on the figure keys, and
    the model, fitted on pairs above ``CANDIDATE_CONTAINMENT``, scores the pair over one half (the review's case;
    random leaderboards of the same day did not meet)."""
    index = DedupIndex(OPTIONS)
    memorial = [
        "Leading scores after the second round of the Memorial tournament on Friday (par 72):",
        "135 Greg Norman 68 67", "136 Curtis Strange 69 67", "137 Tom Kite 70 67",
    ]  # fmt: skip
    western = [
        "Leading second-round scores at the Western Open on Friday (par 72):",
        "135 Fred Couples 68 67", "136 Payne Stewart 69 67", "137 Hal Sutton 70 67",
    ]  # fmt: skip
    assert decide(index, "memorial", text_of(memorial)).kind == "unique"
    assert decide(index, "western", text_of(western), at=0.5 * HOUR).kind == "unique"


def wrapped(paragraphs: list[str], outlet: str = "The Daily Courier") -> list[str]:
    """A story inside one outlet's wrapper, the same on every page of the outlet."""
    return [
        f"Sign up for {outlet}'s morning newsletter to get the day's top stories in your inbox.",
        *paragraphs,
        f"Copyright 2024 {outlet}. All rights reserved. This material may not be published, broadcast, rewritten "
        "or redistributed.",
        "Read more: Follow our live coverage and share your views in the comments below.",
    ]


@pytest.mark.parametrize(
    "boilerplate_stories",
    [3, pytest.param(10**6, marks=pytest.mark.xfail(strict=True, reason=WEAKNESS + "joins with the wrapper in"))],
)
def test_an_outlets_wrapper_that_many_stories_hold_is_set_aside(boilerplate_stories: int) -> None:
    """The wrapped first paragraph of a short story holds the story's own text, and a wrapper more than twice as long.

    Once the first copies of three stories hold the wrapper, it counts as no story's text (10**6: never).
    Every pair sharing a signature value is a candidate here (128 bands): the test is of the verification.
    """
    options = DedupOptions(bands=128, boilerplate_stories=boilerplate_stories)
    index = DedupIndex(options)
    for n, story in enumerate([STORY, OTHER_OUTLET, seed_text().split("\n\n")]):
        assert decide(index, f"wrapped-{n}", text_of(wrapped(story))).kind == "unique"
    short = syndication.sports_result(random.Random(1))
    assert decide(index, "short", text_of(short)).kind == "unique"
    copy = decide(index, "copy", text_of(wrapped(short[:1])))
    assert (copy.kind, copy.canonical_id) == (("near", "short") if boilerplate_stories == 3 else ("unique", "copy"))


def test_paragraph_counts_are_never_low_and_come_back_down() -> None:
    counts = ParagraphCounts(capacity=64)
    hashes = np.arange(1000, dtype=np.uint32) * np.uint32(2654435761)
    counts.add(hashes)
    counts.add(hashes[:10])
    assert (counts.count(hashes[:10]) >= 2).all() and (counts.count(hashes) >= 1).all()
    counts.add(hashes[:10], step=-1)
    counts.add(hashes, step=-1)
    assert not counts.count(hashes).any()
    counts.add(np.full(70_000, 7, dtype=np.uint32))
    assert counts.count(np.array([7], dtype=np.uint32))[0] == np.iinfo(np.uint16).max  # saturates, never wraps


def test_a_rebuilt_index_counts_the_wrapper_again() -> None:
    options = DedupOptions(bands=128)
    index = DedupIndex(options)
    texts = [text_of(wrapped(story)) for story in (STORY, OTHER_OUTLET, seed_text().split("\n\n"))]
    short = syndication.sports_result(random.Random(1))
    texts.append(text_of(short))
    entries = [(f"a{n}", index.decide(f"a{n}", content_hash(text), text, 0.0)[1]) for n, text in enumerate(texts)]
    restored = DedupIndex(options)
    restored.reset(entries)
    assert decide(restored, "copy", text_of(wrapped(short[:1]))).canonical_id == "a3"
    sketch = Sketch.from_text(entries[0][1]["sketch"], options.num_perm)
    assert (
        len(sketch.edges) == 6 and sketch.edge_words.tolist() == Sketcher(128, 5).sketch(texts[0]).edge_words.tolist()
    )


def test_a_sketch_written_before_paragraphs_were_kept_keeps_its_facts() -> None:
    sketch = Sketcher(128, 5).sketch(text_of(STORY))
    facts = np.concatenate((sketch.numbers, sketch.names))
    counts = [sketch.size, sketch.number_count, sketch.name_count, len(sketch.numbers), len(sketch.names)]
    head = np.array(counts, dtype=np.uint32).tobytes()
    before = base64.b64encode(head + sketch.signature.tobytes() + facts.tobytes()).decode()
    back = Sketch.from_text(before, 128)
    assert np.array_equal(back.numbers, sketch.numbers) and np.array_equal(back.names, sketch.names)
    assert len(back.edges) == len(back.edge_words) == 0


BRIDGE = (
    "Officials said the new bridge over the river will cost 40 million dollars and take 3 years to build, and the "
    "regional transport authority expects traffic in the old town to ease once it opens to drivers and cyclists."
)


def test_half_the_figures_differing_needs_a_nearly_whole_copy() -> None:
    """One figure of two agrees: a copy with a figure changed is nearly whole; a sibling with other words is not.

    Lost with the weights refitted once the dev set's outlets print one copyright line (twelfth round); passes again
    with the weights refitted once the dev set's Reuters stories run at their real wire times.
    """
    index = DedupIndex(DedupOptions(bands=128))  # every pair sharing a signature value is a candidate
    decide(index, "bridge", BRIDGE)
    corrected = decide(index, "corrected", BRIDGE.replace("take 3 years", "take 5 years"))
    assert (corrected.kind, corrected.canonical_id) == ("near", "bridge")
    sibling = BRIDGE.replace("take 3 years", "take 4 years").replace("the old town", "the city centre")
    assert decide(index, "sibling", sibling).kind == "unique"  # containment 0.67: it would pass without the rule


HOUR = 3600.0


def fed_item(amount: str, rate: str) -> str:
    """The Fed's daily market operation as the wire ran it, one figure or two changed from day to day."""
    return text_of(
        [
            f"The Federal Reserve entered the U.S. Government securities market to arrange {amount} dlrs of "
            "customer repurchase agreements, a Fed spokesman said.",
            f"Dealers said Federal funds were trading at {rate} pct when the Fed began its temporary and "
            "indirect supply of reserves to the banking system.",
        ]
    )


@pytest.mark.xfail(strict=True, reason=WEAKNESS + "a day's Fed item with one figure changed joins the day before")
def test_a_recurring_item_on_other_days_with_other_figures_is_another_story_and_its_copy_joins_its_own() -> None:
    """Fractions (6-1/16) and numbers written as words (two billion) are figures; days apart is evidence too. The third
    day's item scores 0.64 with the second's: its rate agrees and its amount differs in place ("two" against "1.5
    billion"), and a containment of 0.90 and leads agreeing in 7 keys of 8 outweigh the one figure differing."""
    index = DedupIndex(OPTIONS)
    days = [("two billion", "6-5/16"), ("1.5 billion", "6-1/16"), ("two billion", "6-1/16"), ("2.5 billion", "6")]
    decisions = [decide(index, f"fed-{n}", fed_item(*figures), n * 24 * HOUR) for n, figures in enumerate(days)]
    assert [d.kind for d in decisions] == ["unique"] * len(days)
    copy = text_of(syndication.dateline(fed_item(*days[2]).split("\n\n"), random.Random(3)))
    assert decide(index, "copy", copy, 2 * 24 * HOUR + 2 * HOUR).canonical_id == "fed-2"


def compare_numbers(mine: Sketch, theirs: Sketch) -> tuple[int, int]:
    """How two sketches' numbers compare: contexts shared, and those of them agreeing."""
    return _compare(mine.numbers, mine.number_count, theirs.numbers, theirs.number_count)


def compare_names(mine: Sketch, theirs: Sketch) -> tuple[int, int]:
    """How two sketches' names compare: contexts shared, and those of them agreeing."""
    return _compare(mine.names, mine.name_count, theirs.names, theirs.name_count)


def _compare(mine: np.ndarray, my_count: int, theirs: np.ndarray, their_count: int) -> tuple[int, int]:
    padded = [np.pad(keys, (0, FACTS_KEPT - len(keys)))[None, :] for keys in (mine, theirs)]
    counts = [np.array([[count, len(keys)]]) for keys, count in ((mine, my_count), (theirs, their_count))]
    match = fact_match(padded[0], counts[0], padded[1], counts[1])
    return int(match.shared[0]), int(match.agreeing[0])


def heating_oil(refiner: str, move: str, price: str) -> list[str]:
    """A refiner's price notice as the wire ran it (``syndication.heating_oil``'s template)."""
    return [
        f"{refiner} said it {move} the price it charges contract barge customers for heating oil in New York harbor "
        "by 0.50 cent a gallon, effective today.",
        f"The company said the change brings its contract barge price to {price} cts a gallon.",
    ]


def test_a_name_opening_a_sentence_before_another_is_a_name() -> None:
    """A notice's subject opens its sentence ("Exxon Corp said"): another refiner there is a name differing in place."""
    sketcher = Sketcher(128, 5)
    exxon, chevron = (sketcher.sketch(heating_oil(f"{who} Corp", "raised", "47.10")[0]) for who in ("Exxon", "Chevron"))
    assert compare_names(exxon, chevron) == (4, 3)  # Exxon against Chevron; "Corp", "New" and "York" agree
    assert sketcher.sketch("The company said it would sell its stake.").name_count == 0  # "The" opens, no name after


@pytest.mark.parametrize("opener", ["The", "But", "In", "On", "However"])
def test_a_function_word_opening_a_sentence_before_a_name_is_no_name(opener: str) -> None:
    """An article, a conjunction or a preposition opening a sentence ("In New York", "But Exxon") is no name's first
    word: taken for one, it agreed in place in every run of a template (read77)."""
    sketcher = Sketcher(128, 5)
    assert sketcher.sketch(f"{opener} Exxon Corp said it would sell its stake.").name_count == 2  # Exxon, Corp
    assert sketcher.sketch("Exxon Corp said it would sell its stake.").name_count == 2


def test_a_rise_against_a_fall_in_place_differs_and_a_direction_never_agrees() -> None:
    sketcher = Sketcher(128, 5)
    raised, lowered = (sketcher.sketch(heating_oil("Sun Co", move, "47.10")[0]) for move in ("raised", "lowered"))
    assert compare_numbers(raised, lowered) == (2, 1)  # raised against lowered; 0.50 agrees
    assert compare_numbers(raised, raised) == (1, 1)  # the same move is no evidence for a copy: 0.50 alone
    cut = sketcher.sketch(heating_oil("Sun Co", "cut", "47.10")[0])
    assert compare_numbers(cut, lowered) == (1, 1)  # one direction in two words


OIL_DAYS = [("Exxon Corp", "lowered", "50.78"), ("Chevron Corp", "lowered", "50.49"), ("Chevron Corp", "raised", "51")]


def lead_of_a_notice(day: int) -> Decision:
    """A lead copy (the first paragraph) of ``OIL_DAYS[day]``'s notice two hours after it, the three days' notices
    indexed: the day before holds all of it but what differs."""
    index = DedupIndex(OPTIONS)
    notices = [text_of(heating_oil(*notice)) for notice in OIL_DAYS]
    decisions = [decide(index, f"oil-{n}", notice, n * 24 * HOUR) for n, notice in enumerate(notices)]
    assert [d.kind for d in decisions] == ["unique"] * len(OIL_DAYS)
    return decide(index, "lead", heating_oil(*OIL_DAYS[day])[0], (24 * day + 2) * HOUR)


def test_a_refiners_notice_cut_to_its_lead_joins_its_own_day_not_the_day_before_with_the_other_move() -> None:
    lead = lead_of_a_notice(2)  # "raised" against the day before's "lowered"
    assert (lead.kind, lead.canonical_id, lead.merged) == ("near", "oil-2", ())


@pytest.mark.xfail(strict=True, reason=WEAKNESS + "a refiner's lead joins another refiner's notice of the day before")
def test_a_refiners_notice_cut_to_its_lead_joins_its_own_day_not_another_refiners() -> None:
    """One name differing in place weighs little: names differ in place in true copies about three times as often as
    figures (207 and 65 of the fitting seeds' 5,990 true pairs scored, before the opening name: a dateline's, a
    headline line's); the days apart in conflict add little at one day. The lead joins its own day's notice (0.999)
    and, scoring 0.82 with the other refiner's, merges the two notices' clusters (the product is over one half)."""
    lead = lead_of_a_notice(1)  # Chevron against the day before's Exxon
    assert (lead.kind, lead.canonical_id, lead.merged) == ("near", "oil-1", ())


def test_numbers_written_as_words_are_compared_as_figures() -> None:
    sketcher = Sketcher(128, 5)
    words, figures = sketcher.sketch(fed_item("two billion", "6")), sketcher.sketch(fed_item("1.5 billion", "6"))
    numbers = compare_numbers(words, figures)
    assert numbers == (2, 1)  # "two" against "1.5" under one context; the rate agrees
    fraction = sketcher.sketch(fed_item("two billion", "6-1/16"))
    rates = compare_numbers(words, fraction)
    assert rates == (2, 1)  # 6 against 6-1/16: a fraction is one figure


def test_a_short_lead_copy_of_a_long_story_is_found_and_joins_it() -> None:
    """Its first paragraphs, retitled and datelined: too little of the story for the signature's bands to find."""
    story = seed_text().split("\n\n")
    lead = syndication.dateline(syndication.retitle(story[:2], random.Random(1)), random.Random(2))
    index = DedupIndex(OPTIONS)
    decide(index, "story", text_of(story))
    copy = decide(index, "lead", text_of(lead), 5 * HOUR)
    assert (copy.kind, copy.canonical_id) == ("near", "story")
    jaccard = np.mean(Sketcher(128, 5).sketch(text_of(lead)).signature == index._store.signatures[0])
    assert jaccard < 0.2  # the whole signature's bands find such a pair with p < 0.3: the lead keys found it


def test_an_index_given_the_sketches_text_forms_decides_as_one_given_the_sketches() -> None:
    """A dedup worker hands the index its records' sketch text forms, read for the batch at once
    (``Sketches.from_texts``): the same decisions and entries as the sketches themselves, copies of copies included;
    an index rebuilt from the entries (their text forms too) holds the same rows."""
    chunks = list(dedup_throughput.batches(3000, 7, 256, 60.0, copies_of_copies=1 / 3))
    sketcher, by_sketch, by_text = (
        Sketcher(OPTIONS.num_perm, OPTIONS.shingle_words),
        DedupIndex(OPTIONS),
        DedupIndex(OPTIONS),
    )
    given_sketches, given_texts = [], []
    for chunk in chunks:
        sketches = sketcher.sketch_many([text for _, _, text, _ in chunk])
        given_sketches += by_sketch.decide_many([(*a, sketches[row]) for row, a in enumerate(chunk)])
        given_texts += by_text.decide_many([(*a, text) for a, text in zip(chunk, sketches.texts(), strict=True)])
    assert given_texts == given_sketches
    assert sum(decision.kind != "unique" for decision, _ in given_texts) > 300
    rebuilt = DedupIndex(OPTIONS)
    rebuilt.reset([(a[0], entry) for a, (_, entry) in zip(itertools.chain(*chunks), given_texts, strict=True)])
    for name in ("signatures", "sizes", "numbers", "names", "fact_counts", "edges", "edge_words", "leads", "figures"):
        held, again = getattr(by_text._store, name), getattr(rebuilt._store, name)
        assert np.array_equal(again[rebuilt._store.live()], held[by_text._store.live()]), name


def test_a_batch_scores_the_anchors_its_copies_of_copies_lack_together_and_decides_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Copies of copies: the second witness needs cluster anchors the LSH did not propose. A batch scores them in
    one go (``_anchor_scores``), each as scoring it alone does, in fewer ``_pairs`` calls than scoring each on
    demand, with the same decisions."""
    chunks = list(dedup_throughput.batches(3000, 7, 256, 60.0, copies_of_copies=1 / 3))
    calls: list[int] = []
    pairs, anchor_scores = DedupIndex._pairs, DedupIndex._anchor_scores

    def scored_alone(index: DedupIndex, *args: object) -> dict[int, dict[int, float]]:
        scores = anchor_scores(index, *args)
        for slot, witnesses in scores.items():
            rows = np.array(list(witnesses), dtype=np.intp)
            alone = pairs(index, rows, np.full(len(rows), slot)).probability
            assert list(witnesses.values()) == pytest.approx(alone.tolist(), abs=1e-12)
        return scores

    monkeypatch.setattr(DedupIndex, "_anchor_scores", scored_alone)
    monkeypatch.setattr(
        DedupIndex, "_pairs", lambda self, rows, mine: calls.append(len(rows)) or pairs(self, rows, mine)
    )

    def decided() -> tuple[list[tuple[Decision, dict]], int]:
        calls.clear()
        index = DedupIndex(OPTIONS)
        return [result for chunk in chunks for result in index.decide_many([(*a, None) for a in chunk])], len(calls)

    together, calls_together = decided()
    monkeypatch.setattr(DedupIndex, "_anchor_scores", lambda self, *args: {})
    on_demand, calls_on_demand = decided()
    assert together == on_demand
    assert calls_together < calls_on_demand


def test_a_decision_model_fitted_on_other_features_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "decision.json"
    path.write_text(json.dumps({"features": ["containment"], "weights": [1.0], "bias": 0.0}))
    with pytest.raises(ValueError, match="fitted on features"):
        DecisionModel.load(path)


def test_a_refit_starts_from_the_weights_of_the_features_a_saved_model_shares(tmp_path: Path) -> None:
    """``bench/dedup_fit.py`` records its first round with the saved model, fitted before a feature was added."""
    path = tmp_path / "decision.json"
    path.write_text(json.dumps({"features": ["containment", "retired"], "weights": [2.0, 5.0], "bias": -1.0}))
    model = DecisionModel.load(path, shared_only=True)
    assert model.weights == (2.0, *[0.0] * (len(FEATURES) - 1))
    assert model.bias == -1.0


def test_end_paragraphs_a_third_article_holds_are_a_wrapper_in_the_making_a_storys_own_are_not() -> None:
    """Two stories under one outlet's wrapper share it before three stories make it known boilerplate; a copy shares
    its story's paragraphs, counted once, with the story's first copy."""
    index = DedupIndex(OPTIONS)
    for article_id, paragraphs in (("wrapped-0", STORY), ("wrapped-1", OTHER_OUTLET)):
        assert decide(index, article_id, text_of(wrapped(paragraphs))).kind == "unique"
    story = seed_text().split("\n\n")
    decide(index, "story", text_of(story))
    assert decide(index, "copy", text_of(story[:-1]), HOUR).kind == "near"
    slot = index._store.slot_of
    shares = index._shared_wrapper(
        np.array([slot["wrapped-0"], slot["story"]]), np.array([slot["wrapped-1"], slot["copy"]])
    )
    shorter = min(text_of(wrapped(STORY)), text_of(wrapped(OTHER_OUTLET)), key=len).split()
    assert shares[0] == pytest.approx(sum(len(p.split()) for p in wrapped([])) / len(shorter), abs=0.05)
    assert shares[1] == 0.0


def test_the_costliest_errors_are_the_wrong_merges_and_splits_by_pairs() -> None:
    """Two stories of two in one cluster cost 4 pairs; a story of three split two and one costs 2."""
    from bench.dedup_eval import Document, costly_errors

    docs = [
        Document(f"d{label}-{n}", "", label, "story", 0.0)
        for label, size in ((1, 2), (2, 2), (3, 3))
        for n in range(size)
    ]
    predicted = ["a", "a", "a", "a", "b", "b", "c"]
    assert costly_errors(docs, predicted) == [
        "merged, 4 pairs: 1 (story) x2, 2 (story) x2",
        "split, 2 pairs: story 3 over [2, 1]",
    ]


def test_a_first_copy_updated_to_another_story_leaves_the_copies_of_its_old_one() -> None:
    """read69: the first copy of a story with copies, sent again with unrelated content, was decided afresh as a first
    copy named ``cl-<id>`` as before, with ``left`` None: the new story and the old one's copies shared one cluster,
    whose record listed the id still, and a copy of either story joined it. The old story keeps its cluster and its
    copies, which the id leaves (``left``); the new one is the id's second cluster, ``cl2-<id>``."""
    index = DedupIndex(OPTIONS)
    decide(index, "wire", text_of(STORY[:3]))
    decide(index, "copy", text_of(STORY[:3]))
    moved = decide(index, "wire", seed_text())
    assert (moved.kind, moved.cluster_id, moved.canonical_id, moved.left) == (
        "unique",
        "cl2-wire",
        "wire",
        ("cl-wire",),
    )
    new_story = decide(index, "new-copy", seed_text())
    old_story = decide(index, "old-copy", text_of(STORY[:3]))
    assert (new_story.kind, new_story.cluster_id, new_story.canonical_id) == ("exact", "cl2-wire", "wire")
    assert (old_story.kind, old_story.cluster_id, old_story.canonical_id) == ("exact", "cl-wire", "wire")


def test_an_update_works_out_its_cluster_key_once_its_old_row_left(monkeypatch: pytest.MonkeyPatch) -> None:
    """tidy83: an update appended its new row under the key ``_new_key`` worked out while its old row still counted
    in its cluster, then set the row's key again either way (its old decision, or a key worked out once the old row
    left): the first was computed to be overwritten. Updated to itself it needs none; moved to another story, one."""
    index = DedupIndex(OPTIONS)
    decide(index, "wire", text_of(STORY[:3]))
    decide(index, "copy", text_of(STORY[:3]))
    asked: list[str] = []
    new_key = index._new_key
    monkeypatch.setattr(index, "_new_key", lambda article_id: asked.append(article_id) or new_key(article_id))
    itself = decide(index, "wire", text_of(STORY[:4]))
    assert (itself.kind, itself.cluster_id, asked) == ("unique", "cl-wire", [])
    moved = decide(index, "wire", seed_text())
    assert (moved.cluster_id, moved.left, asked) == ("cl2-wire", ("cl-wire",), ["wire"])


def test_a_near_copy_of_a_story_whose_first_copy_left_joins_it_on_its_other_copies() -> None:
    """A near copy is judged against a second witness of the cluster, its first copy among them (``_anchored``). The
    id's row holding another story since was taken for that first copy, and a near copy of the old story, judged
    against the new text, started a cluster of its own (``cl-late``, measured before the first copy's row was read
    as its story's only while it is in it)."""
    index = DedupIndex(OPTIONS)
    decide(index, "wire", text_of(STORY))
    decide(index, "copy", text_of(STORY[:4]))
    decide(index, "wire", seed_text())
    late = decide(index, "late", text_of(syndication.boilerplate(STORY, random.Random(1))))
    assert (late.kind != "unique", late.cluster_id) == (True, "cl-wire")


def test_the_clusters_of_a_first_copy_updated_to_another_story_survive_a_restart_a_batch_and_a_replay() -> None:
    """The n-th cluster is saved in the entry's ``cluster_id``, read back by a restored index; a batch decides as one
    call per article does; the update sent again gets its decision back (the leave said once, by the first)."""
    old, new = text_of(STORY[:3]), seed_text()
    articles = [
        (article_id, content_hash(text), text, float(n), None)
        for n, (article_id, text) in enumerate([("wire", old), ("copy", old), ("wire", new), ("new-copy", new)])
    ]
    one_by_one = DedupIndex(OPTIONS)
    results = [one_by_one.decide(*article) for article in articles]
    assert DedupIndex(OPTIONS).decide_many(articles) == results
    table = {article[0]: entry for article, (_, entry) in zip(articles, results, strict=True)}
    assert (table["wire"]["cluster_id"], table["new-copy"]["cluster_id"]) == ("cl2-wire", "cl2-wire")
    restored = DedupIndex(OPTIONS)
    restored.reset(list(table.items()))
    for index in (one_by_one, restored):
        assert decide(index, "wire", new, 2.0) == replace(results[2][0], left=())
        assert decide(index, "old-copy", old, 4.0).cluster_id == "cl-wire"
        assert decide(index, "newer-copy", new, 5.0).cluster_id == "cl2-wire"


def test_an_id_that_starts_a_third_story_while_both_before_have_copies_names_its_third_cluster() -> None:
    """Each story the id started keeps its cluster while it has copies; the id back at its first story is a copy
    there, and leaves its third."""
    index = DedupIndex(OPTIONS)
    stories = [text_of(STORY[:3]), seed_text(), text_of(STORY[3:])]
    for n, text in enumerate(stories):
        started = decide(index, "wire", text)
        decide(index, f"copy-{n}", text)
    assert (started.cluster_id, started.left) == ("cl3-wire", ("cl2-wire",))
    copies = [decide(index, f"late-{n}", text).cluster_id for n, text in enumerate(stories)]
    assert copies == ["cl-wire", "cl2-wire", "cl3-wire"]
    back = decide(index, "wire", stories[0])
    assert (back.kind, back.cluster_id, back.left) == ("exact", "cl-wire", ("cl3-wire",))


def test_the_first_copy_of_a_merged_cluster_updated_to_another_story_starts_a_cluster_of_its_own() -> None:
    """A merged cluster's key still names its members' cluster (merged into the older): an article of its first copy's
    id that starts a story is the id's second cluster, and leaves the older one, whose record lists it."""
    index = DedupIndex(OPTIONS)
    for article_id, text in merge_scenario():
        decide(index, article_id, text)
    moved = decide(index, "second", seed_text())
    assert (moved.kind, moved.cluster_id, moved.left) == ("unique", "cl2-second", ("cl-first",))
    assert decide(index, "seed-copy", seed_text()).cluster_id == "cl2-second"
    assert decide(index, "late", text_of(STORY)).cluster_id == "cl-first"  # a copy of "whole", in it


def first_copy_evicted_before_its_copy() -> DedupIndex:
    """An index whose window passed the first copy of a story, not its copy."""
    index = DedupIndex(DedupOptions(window_seconds=3600))
    for article_id, text, at in [("wire", STORY[:3], 0.0), ("copy", STORY[:3], 3000.0), ("other", STORY[3:], 3700.0)]:
        decide(index, article_id, text_of(text), at)
    index.compact()
    assert not index.holds("wire") and index.holds("copy")
    return index


def test_a_first_copy_evicted_before_its_copies_and_back_as_another_story_starts_a_cluster_of_its_own() -> None:
    """The window passes a first copy before its copies: its id, back with another story, is decided as a new article,
    in a cluster of its own, not the one its old story's copies are in, and leaves that one's record. Back with its
    story, it is a copy in it, whose record lists it already."""
    index = first_copy_evicted_before_its_copy()
    again = decide(index, "wire", seed_text(), 3800.0)
    assert (again.kind, again.cluster_id, again.left) == ("unique", "cl2-wire", ("cl-wire",))
    assert decide(index, "late", text_of(STORY[:3]), 3900.0).cluster_id == "cl-wire"
    assert decide(index, "seed-copy", seed_text(), 3900.0).cluster_id == "cl2-wire"
    back = decide(first_copy_evicted_before_its_copy(), "wire", text_of(STORY[:3]), 3800.0)
    assert (back.kind, back.cluster_id, back.left) == ("exact", "cl-wire", ())


@pytest.mark.parametrize("field", ["cluster_id", "merged"])
def test_an_entry_whose_cluster_id_holds_a_number_too_long_to_read_is_restored(field: str) -> None:
    """read76: ``key_of`` read any digits after "cl" as the n of an n-th cluster, and int() refuses 4,300 digits: an
    entry damaged so raised on every restore, where a damaged entry is left out or put back, never raised on."""
    text = text_of(STORY)
    _, entry = DedupIndex(OPTIONS).decide("wire", content_hash(text), text, 0.0)
    damaged = "cl" + "1" * 5000 + "-wire"
    restored = DedupIndex(OPTIONS)
    restored.reset([("wire", {**entry, field: damaged if field == "cluster_id" else [damaged]})])
    assert restored.holds("wire") and key_of(damaged) == damaged


def first_copy_of_two_stories_evicted(copy_at: float) -> tuple[DedupIndex, dict[str, IndexEntry]]:
    """An index whose window passed ``wire`` (the first copy of ``cl-wire``, sent again as another story: ``cl2-wire``)
    before the second story's copy, and its persisted entries. The first story's copy at ``copy_at``: passed too
    (``cl-wire`` closed) when before the window."""
    index, entries = DedupIndex(DedupOptions(window_seconds=3600)), {}
    old, new = text_of(STORY[:3]), seed_text()
    for article_id, text, at in [
        ("wire", old, 0.0),
        ("copy", old, copy_at),
        ("wire", new, 0.0),
        ("new-copy", new, 3000.0),
    ]:
        _, entries[article_id] = index.decide(article_id, content_hash(text), text, at)
    _, entries["other"] = index.decide("other", content_hash(text_of(UPDATE)), text_of(UPDATE), 3700.0)
    index.compact()
    for evicted in index.drain_evicted():
        del entries[evicted]
    assert not index.holds("wire") and index.holds("new-copy")
    return index, entries


@pytest.mark.parametrize(
    ("copy_at", "cluster_id", "left"), [(3000.0, "cl3-wire", ("cl-wire", "cl2-wire")), (0.0, "cl-wire", ("cl2-wire",))]
)
def test_a_first_copy_evicted_from_its_second_story_and_back_as_a_third_leaves_the_second(
    copy_at: float, cluster_id: str, left: tuple[str, ...]
) -> None:
    """The record that lists an id the window passed is that of the cluster it was in last, here ``cl2-wire``: the id
    back as another story named ``cl-wire`` (the first cluster it started, which it had left) and, with that one
    closed, none. The index no longer knows which of the clusters it started (their members held) it was in last: it
    names them all, as a rebuilt index does (a leave from a record that does not list the id changes nothing)."""
    index, entries = first_copy_of_two_stories_evicted(copy_at)
    rebuilt = DedupIndex(index.options)
    rebuilt.reset(list(entries.items()))
    for held in (index, rebuilt):
        back = decide(held, "wire", text_of(STORY[3:]), 3800.0)
        assert (back.kind, back.cluster_id, back.left) == ("unique", cluster_id, left)


@pytest.mark.parametrize("merged", [False, True])
def test_a_later_copy_the_window_passed_back_as_another_story_leaves_its_cluster_live_and_rebuilt(merged: bool) -> None:
    """gap111: "y", a copy in ``cl-x``, passed by the window while "z" holds ``cl-x`` open, back as another story: the
    live index and one rebuilt from the table both name ``cl-x`` in the leave (the table keeps of "y" the cluster whose
    record lists it, not its entry). Merged: "whole", a copy of both stories, merged ``cl-x`` into ``cl-s`` after "y"
    left the window, and the window passed "whole" too (its merge gone from the table): both name ``cl-s``, whose
    record lists "y" since the merge."""
    a, b = text_of(STORY[:3]), text_of(STORY[3:])
    index, table = DedupIndex(DedupOptions(window_seconds=3600)), {}
    articles = [("s", b, 0.0)] if merged else []
    articles += [
        ("x", a, 60.0),
        ("y", a, 300.0),
        ("z", a, 3600.0),
        ("s2", b, 3600.0),
        ("other", text_of(UPDATE), 3960.0),
    ]
    for article_id, text, at in articles:
        _, table[article_id] = index.decide(article_id, content_hash(text), text, at)
    index.compact()
    assert not index.holds("y") and index.holds("z")
    if merged:
        whole, merge = index.decide("whole", content_hash(text_of(STORY)), text_of(STORY), 3300.0)
        assert (whole.cluster_id, whole.merged) == ("cl-s", ("cl-x",))
        table["whole"] = merge
        _, table["later"] = index.decide("later", content_hash(seed_text()), seed_text(), 7020.0)
        index.compact()
        assert not index.holds("whole") and index.holds("z")
    rebuilt = restart(table, index)
    assert table["y"] == {"listed_in": "cl-s" if merged else "cl-x"}
    live, again = (decide(held, "y", " ".join(f"v{n}" for n in range(80)), 7030.0) for held in (index, rebuilt))
    assert live == again
    assert (live.kind, live.cluster_id, live.left) == ("unique", "cl-y", ("cl-s" if merged else "cl-x",))


MERGER_EVICTED = {
    # "whole", a later copy of both stories, merges ``cl-x`` into ``cl-s`` (both first copies gone: the older by name)
    "later copy": (
        [("s", STORY[3:], 0.0), ("x", STORY[:3], 60.0), ("z", STORY[:3], 3600.0), ("s2", STORY[3:], 3600.0)],
        [("other", UPDATE, 3960.0), ("whole", STORY, 3300.0), ("later", None, 7020.0)],
        ("whole", "cl-s", ("cl-x",)),
        [("z2", STORY[:3], 7030.0), ("s3", STORY[3:], 7030.0)],
    ),
    # "x", its first copy evicted before its copies, back as a copy of both stories: a copy in the cluster named after
    # it, into which it merges ``cl-zs`` (the older by name), a first copy whose decision merged
    "first copy": (
        [("zs", STORY[3:], 0.0), ("x", STORY[:3], 60.0), ("z", STORY[:3], 3000.0), ("s2", STORY[3:], 3500.0)],
        [("other", UPDATE, 3700.0), ("x", STORY, 3400.0), ("later", None, 7020.0)],
        ("x", "cl-x", ("cl-zs",)),
        [("s3", STORY[3:], 7030.0)],
    ),
}


@pytest.mark.parametrize("bounded", [False, True])
@pytest.mark.parametrize("case", MERGER_EVICTED)
def test_a_rebuilt_index_keeps_the_merge_of_a_copy_the_window_passed_while_the_merged_story_is_held(
    case: str, bounded: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mergekeep: the copy whose decision merged two clusters is passed by the window while the merged story has
    members held (of both clusters): the table keeps its merge with what it keeps of it (``DepartedEntry``), so that an
    index rebuilt from the table decides the story's next copies into the cluster the live one does, and closes it
    when the live one does (before, the rebuilt index counted the merged cluster's members under their own key: their
    copies went to it, and its record outlived the live index's delete). Bounded: so too once its cluster keeps as
    many copies the window passed as a record lists (none here, read202), which spares those that merged."""
    if bounded:
        monkeypatch.setattr("workers.dedup.CLUSTER_MEMBERS_MAX", 0)
    held, passing, (merger, cluster, merged), copies = MERGER_EVICTED[case]
    index, table, decided = DedupIndex(DedupOptions(window_seconds=3600)), {}, {}
    for article_id, paragraphs, at in held + passing:
        text = text_of(paragraphs) if paragraphs else seed_text()
        decided[article_id], table[article_id] = index.decide(article_id, content_hash(text), text, at)
        index.compact()
    assert (decided[merger].cluster_id, decided[merger].merged) == (cluster, merged)
    rebuilt = restart(table, index)
    for article_id, paragraphs, at in copies:
        live, again = (decide(it, article_id, text_of(paragraphs), at) for it in (index, rebuilt))
        assert live == again and live.cluster_id == cluster
    assert not index.holds(merger) and table[merger] == {"listed_in": cluster, "merged": list(merged)}
    for it in (index, rebuilt):
        decide(it, "far", " ".join(f"v{n}" for n in range(80)), 20000.0)
        it.compact()
    closed = index.drain_closed()
    assert rebuilt.drain_closed() == closed and cluster in closed
    assert sorted(index.drain_evicted()) == sorted(rebuilt.drain_evicted())


def test_a_rebuilt_index_keeps_the_copies_the_window_passed_a_bounded_cluster_keeps_in_any_table_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """read202: the bound (one here) is reached by "t", a copy that merged none, and "whole", which merged, is kept
    past it; an index rebuilt from a table that gives "whole" first kept it, then forgot "t" (the bound taken by the
    copy it spares): both are kept, whichever the table gives first."""
    monkeypatch.setattr("workers.dedup.CLUSTER_MEMBERS_MAX", 1)
    held, passing, *_ = MERGER_EVICTED["later copy"]
    index, table = DedupIndex(DedupOptions(window_seconds=3600)), {}
    for article_id, paragraphs, at in held + passing:
        text = text_of(paragraphs) if paragraphs else seed_text()
        _, table[article_id] = index.decide(article_id, content_hash(text), text, at)
        index.compact()
    for article_id in index.drain_evicted():
        table.pop(article_id, None)
    table |= index.drain_departed()
    assert table["whole"] == {"listed_in": "cl-s", "merged": ["cl-x"]}
    for order in ({"t": {"listed_in": "cl-s"}} | table, table | {"t": {"listed_in": "cl-s"}}):
        rebuilt = DedupIndex(index.options)
        rebuilt.reset(list(order.items()))
        assert {k: cluster_of(v) for k, v in rebuilt._departed.items()} == {"t": "cl-s", "whole": "cl-s"}


@pytest.mark.parametrize("back_at", [3400.0, 7025.0])
def test_a_rebuilt_index_keeps_the_merge_of_a_copy_decided_afresh_as_another_story(back_at: float) -> None:
    """ "whole" merged ``cl-x`` into ``cl-s``, then comes with another story: updated at its URL while held, or back
    after the window passed it (``cl-s`` held open by "z" and "s2" both times): the live index keeps ``cl-x`` merged,
    and so should one rebuilt from the table (mergekeep2: the merge is handed to the first member held, "s", or "z" once
    the window passed "s", whose entry is written again; before, it went with "whole"'s old entry, and the rebuilt index
    put "z2" in ``cl-x``)."""
    held, passing, *_ = MERGER_EVICTED["later copy"]
    index, table = DedupIndex(DedupOptions(window_seconds=3600)), {}
    for article_id, paragraphs, at in held + [item for item in passing if item[2] < back_at]:
        text = text_of(paragraphs) if paragraphs else seed_text()
        _, table[article_id] = index.decide(article_id, content_hash(text), text, at)
        index.compact()
    other = " ".join(f"v{n}" for n in range(80))
    assert decide(index, "whole", other, back_at).left == ("cl-s",)
    _, table["whole"] = index.decide("whole", content_hash(other), other, back_at)  # a replay: the entry
    rebuilt = restart(table, index)
    kept = {article_id: entry["kept"] for article_id, entry in table.items() if "kept" in entry}
    assert kept == {"s" if back_at < 3600 else "z": {"cl-s": ["cl-x"]}}
    live, again = (decide(it, "z2", text_of(STORY[:3]), back_at + 5) for it in (index, rebuilt))
    assert live.cluster_id == "cl-s" and live == again


def _heating_oil(cents: str, price: str) -> list[str]:
    """A refiner's daily price notice (``bench.syndication.heating_oil``'s template), its figures given."""
    return [
        "Exxon Corp said it raised the price it charges contract barge customers for heating oil in New York harbor "
        f"by {cents} cent a gallon, effective today.",
        f"The company said the change brings its contract barge price to {price} cts a gallon.",
    ]


@pytest.mark.parametrize("rebuilt", [False, True])
@pytest.mark.parametrize("copy_first", [False, True])
def test_an_original_arriving_after_its_copy_finds_it_behind_the_runs_of_its_template(
    copy_first: bool, rebuilt: bool
) -> None:
    """Nine earlier runs of a daily template (other figures, half a day apart) hold more of the original than its copy,
    cut to its first paragraph under a dateline, does (containment 0.63). The copy arriving after the original finds it
    among its first candidates; the original arriving after the copy (bench.dedup_eval --arrival-delay 2, seed 13) had
    the nine runs ahead of it, and read the first ``MAX_SCORED`` clusters only: a first copy of its own. A cluster
    beyond them is read when its candidate may be a copy: one story in either order, in the live index as in one
    rebuilt from the table before the second arrives."""
    index, table = DedupIndex(OPTIONS), {}

    def decided(article_id: str, text: str, at: float) -> Decision:
        decision, table[article_id] = index.decide(article_id, content_hash(text), text, at)
        return decision

    cents = ["0.50", "one", "1.50", "two", "0.75", "1.25", "three", "0.10", "2.50"]
    for n, move in enumerate(cents):
        run = text_of(_heating_oil(move, f"{42 + n}.{10 * n + 5:02d}"))
        assert decided(f"run{n}", run, at=-(n + 1) * 43200.0).kind == "unique"
    original = text_of(_heating_oil("0.25", "41.02"))
    copy = text_of(syndication.dateline(_heating_oil("0.25", "41.02")[:1], random.Random(5)))
    first, second = ("original", original, 0.0), ("copy", copy, 1000.0)
    first, second = (second, first) if copy_first else (first, second)
    assert decided(*first).kind == "unique"
    if rebuilt:
        index = restart(table, index)
    joined = decided(*second)
    assert (joined.kind, joined.cluster_id) == ("near", f"cl-{first[0]}")


def _unique_words(tag: str, count: int, rng: random.Random) -> str:
    return " ".join(f"{tag}{rng.randrange(10**6)}" for _ in range(count)) + "."


@pytest.mark.parametrize("ahead", [0, MAX_SCORED - 1, MAX_SCORED])
def test_a_cluster_is_read_through_its_most_contained_candidate_whatever_its_rank(
    ahead: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cluster's candidate is its member most contained in the article ("m1", which says no): the cluster is not
    joined. Past the first ``MAX_SCORED`` clusters it was read through its first member that says yes instead ("m2",
    less contained; its anchor "a" agrees), so ``ahead`` clusters more contained in the article (other articles,
    which say no) decided whether it joined. The decision model is set pair by pair, by id."""
    said = {("m1", "a"): 0.9, ("m2", "a"): 0.9, ("m2", "m1"): 0.9, ("q", "m1"): 0.3, ("q", "m2"): 0.9, ("q", "a"): 0.9}
    pairs = DedupIndex._pairs

    def set_pair_by_pair(index: DedupIndex, rows: np.ndarray, mine: np.ndarray) -> object:
        found, ids = pairs(index, rows, mine), index._store.ids
        found.probability[:] = [said.get((ids[m], ids[r]), 0.0) for r, m in zip(rows, mine, strict=True)]
        return found

    monkeypatch.setattr(DedupIndex, "_pairs", set_pair_by_pair)
    rng, index = random.Random(3), DedupIndex(OPTIONS)
    cluster = [("a", STORY[1:3], 40), ("m1", STORY[1:5], 6), ("m2", STORY[1:3], 12)]
    others = [(f"other{n}", STORY, 6) for n in range(ahead)]
    for n, (article_id, paragraphs, tail) in enumerate([*cluster, *others]):
        text = text_of([_unique_words("h", 6, rng), *paragraphs, _unique_words("t", tail, rng)])
        expected = "cl-a" if n < len(cluster) else f"cl-{article_id}"
        assert decide(index, article_id, text, at=60.0 * n).cluster_id == expected
    assert decide(index, "q", text_of(STORY), at=3600.0).kind == "unique"


class _SaysAlways:
    """A decision model that says ``p`` of every pair."""

    def __init__(self) -> None:
        self.p = 0.0

    def probability(self, inputs: np.ndarray) -> np.ndarray:
        return np.full(len(inputs), self.p)

    def may_be_copies(self, most: object) -> np.ndarray:
        return np.ones(len(most.containment), dtype=bool)  # type: ignore[attr-defined]


def test_an_article_reads_a_templates_likely_clusters_in_time_linear_in_its_candidates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Runs of one template (each paragraph one of two wordings) held as clusters of their own, then one more whose
    every pair the decision says 0.6 of (a copy; no merge: 0.36): it reads every cluster, past ``MAX_SCORED``, and
    looks up each one's other members among its candidates grouped by cluster once, not by a pass over all of them
    per cluster (quadratic: ``_root`` asked thousands of times; 9 ms an article at 1,000 runs against 4 on main)."""
    model, rng = _SaysAlways(), random.Random(1)
    index = DedupIndex(replace(OPTIONS, model=model))  # type: ignore[arg-type]
    wordings = [
        (
            f"The refinery unit {n} said its barge price moved today as traders watched supply in the harbor.",
            f"Officials at the terminal {n} reported that the contract volume changed again this morning in trading.",
        )
        for n in range(14)
    ]

    def run() -> str:
        return text_of([w[rng.randrange(2)] for w in wordings] + [f"Ref {rng.randrange(10**9)}."])

    runs = 100
    for n in range(runs):
        assert decide(index, f"run{n}", run(), at=60.0 * n).kind == "unique"
    model.p = 0.6
    read, roots = [], []
    clusters_read, root = DedupIndex._clusters_read, DedupIndex._root
    monkeypatch.setattr(DedupIndex, "_clusters_read", lambda *a: read.append(clusters_read(*a)) or read[-1])
    monkeypatch.setattr(DedupIndex, "_root", lambda *a: roots.append(1) or root(*a))
    assert decide(index, "next", run(), at=60.0 * runs).kind == "near"
    assert len(read[0]) > 4 * MAX_SCORED
    assert len(roots) < 4 * runs


def test_an_id_sent_twice_in_a_batch_while_the_index_grows_holds_one_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """read212: "a" sent twice in a batch with other content, the index full (four rows here): deciding the first
    grows it, and its id map (``Store.slot_of``) is a new one. The batch read the old map, which did not hold "a":
    the second was decided afresh beside the first's row, which stayed, counted in its cluster (an index rebuilt from
    the table held one row: in a probe of 100 random runs whose index started at four rows, 16 differed so)."""
    monkeypatch.setattr("workers.dedup.store.MIN_CAPACITY", 4)
    index, one_by_one = DedupIndex(OPTIONS), DedupIndex(OPTIONS)
    for it in (index, one_by_one):
        for n in range(4):
            decide(it, f"f{n}", " ".join(f"f{n}w{k}" for k in range(80)))
    story, other = text_of(STORY), " ".join(f"v{n}" for n in range(80))
    articles = [("a", content_hash(text), text, 0.0, None) for text in (story, other)]
    decided = [decision for decision, _ in index.decide_many(articles)]
    assert decided == [decide(one_by_one, "a", story), decide(one_by_one, "a", other)]
    assert len(index._store.live()) == len(index) == 5 and sum(index._members.values()) == 5


def test_merges_handed_to_an_entry_left_out_as_unreadable_go_to_a_member_when_its_article_is_read_again() -> None:
    """read212: "whole" merged ``cl-x`` into ``cl-s`` and came with another story, its merge handed to "s", whose entry
    is then unreadable: the rebuilt index leaves it out but for its merges. "s" read again as another story went to
    ``cl2-s`` with the merge in its fresh entry, kept as long as that row, not as ``cl-s`` (the window passing it,
    ``cl2-s``'s copy would have been written merging ``cl-x``). It goes to "x", the first anchor of ``cl-s`` held,
    as the live index hands it over when "s" is updated so."""
    held, passing, *_ = MERGER_EVICTED["later copy"]
    index, table = DedupIndex(DedupOptions(window_seconds=3600)), {}
    for article_id, paragraphs, at in held + [item for item in passing if item[0] == "whole"]:
        _, table[article_id] = index.decide(article_id, content_hash(text_of(paragraphs)), text_of(paragraphs), at)
    other = " ".join(f"v{n}" for n in range(80))
    _, table["whole"] = index.decide("whole", content_hash(other), other, 3400.0)
    table |= index.drain_departed()
    assert table["s"]["kept"] == {"cl-s": ["cl-x"]}
    table["s"] = {**table["s"], "sketch": "AAAA"}
    rebuilt = DedupIndex(index.options)
    assert rebuilt.reset(list(table.items())) == ["s"]
    for it in (index, rebuilt):
        decision, table["s"] = it.decide("s", content_hash(text_of(UPDATE)), text_of(UPDATE), 3410.0)
        assert (decision.cluster_id, "kept" in table["s"]) == ("cl2-s", False)
        assert it._kept == {"x": {"cl-s": ["cl-x"]}} and it.drain_departed()["x"]["kept"] == {"cl-s": ["cl-x"]}


def every_row_read(*_: object) -> None:
    raise AssertionError("every row read")


class Unread(list):
    """A store's list of rows that cannot be walked: a hand-over that reads every row fails on it."""

    __iter__ = every_row_read  # type: ignore[assignment]


def test_a_merge_is_handed_to_the_story_s_first_copy_held_without_reading_every_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """read212: "whole" merged ``cl-x`` into ``cl-s`` and comes with another story; "s", the first copy of ``cl-s``,
    is held: the merge goes to it, found by its id. Before, the first held was looked for among every row in arrival
    order, at each hand-over (19 ms at 200,000 rows held, the first copy among the last arrived)."""
    held, passing, *_ = MERGER_EVICTED["later copy"]
    index = DedupIndex(DedupOptions(window_seconds=3600))
    for article_id, paragraphs, at in held + [item for item in passing if item[0] == "whole"]:
        decide(index, article_id, text_of(paragraphs), at)
    monkeypatch.setattr(index._store, "canonical", Unread(index._store.canonical))
    monkeypatch.setattr(index._store, "live", every_row_read)
    assert decide(index, "whole", " ".join(f"v{n}" for n in range(80)), 3400.0).left == ("cl-s",)
    assert index._kept == {"s": {"cl-s": ["cl-x"]}}


def test_a_copy_is_found_after_a_copy_that_arrived_later_with_an_earlier_time_left_the_window() -> None:
    """ "a2", an exact copy of "a1" arriving after it with an event time an hour earlier, is evicted first: "a3", a
    third copy, is an exact copy of "a1", held, in the live index as in one rebuilt from the table."""
    index, table = DedupIndex(DedupOptions(window_seconds=3600)), {}
    for article_id, paragraphs, at in [("a1", STORY, 3000.0), ("a2", STORY, 0.0), ("other", UPDATE, 3700.0)]:
        _, table[article_id] = index.decide(article_id, content_hash(text_of(paragraphs)), text_of(paragraphs), at)
    index.compact()
    assert index.holds("a1") and not index.holds("a2")
    rebuilt = restart(table, index)
    again, live = (decide(it, "a3", text_of(STORY), 3710.0) for it in (rebuilt, index))
    assert (again.kind, again.cluster_id) == ("exact", "cl-a1")
    assert live == again


def test_a_rebuilt_index_forgets_what_the_table_keeps_of_a_copy_of_a_closed_cluster_or_in_a_damaged_form(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What the table keeps of a later copy the window passed (``DepartedEntry``) is put back only into a cluster with
    members held: one naming a cluster the rebuilt index holds nothing of (closed) is named evicted, as is one whose
    cluster id is damaged (with the reason), so that the table forgets both; the one of an open cluster is kept."""
    index = DedupIndex(OPTIONS)
    table: dict[str, PersistedEntry] = {"x": index.decide("x", content_hash(text_of(STORY)), text_of(STORY), 0.0)[1]}
    table |= {"held": {"listed_in": "cl-x"}, "closed": {"listed_in": "cl-gone"}, "damaged": {"listed_in": 5}}
    rebuilt = DedupIndex(OPTIONS)
    with caplog.at_level(logging.WARNING, logger="workers.dedup"):
        assert rebuilt.reset(list(table.items())) == ["damaged"]
    assert "damaged: listed_in damaged (int '5')" in caplog.text
    assert sorted(rebuilt.drain_evicted()) == ["closed", "damaged"]
    assert rebuilt._departed == {"held": "x"}


def test_a_story_copied_for_ever_keeps_of_its_copies_the_window_passed_no_more_than_a_record_lists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """review read202: a story copied every 20 minutes keeps its cluster open for ever, and the index kept every copy
    the window passed (``_departed``, and a ``listed_in`` entry in the table), without end: memory and the table's
    changelog grew with the story's lifetime, not the window. It keeps the oldest that a record can list (three
    here), live and rebuilt, and the table forgets the others."""
    monkeypatch.setattr("workers.dedup.CLUSTER_MEMBERS_MAX", 3)
    index, table, text = DedupIndex(DedupOptions(window_seconds=3600)), {}, text_of(STORY)
    for n in range(12):
        _, table[f"c{n}"] = index.decide(f"c{n}", content_hash(text), text, n * 1200.0)
        index.compact()
    assert len(index) == 4 and {k: cluster_of(v) for k, v in index._departed.items()} == dict.fromkeys(
        ["c1", "c2", "c3"], "cl-c0"
    )
    rebuilt = restart(table, index)
    kept = {article_id: entry.get("listed_in") for article_id, entry in table.items()}
    assert kept == {"c1": "cl-c0", "c2": "cl-c0", "c3": "cl-c0", "c8": None, "c9": None, "c10": None, "c11": None}
    assert rebuilt._departed == index._departed


def test_a_merge_keeps_of_the_copies_the_window_passed_no_more_than_a_record_lists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """review read202: a merge folds the copies the window passed of the younger cluster into the older's, which
    keeps no more than a record lists (one here): the younger's, listed after the older's members, are forgotten."""
    monkeypatch.setattr("workers.dedup.CLUSTER_MEMBERS_MAX", 1)
    a, b = text_of(STORY[:3]), text_of(STORY[3:])
    index, table = DedupIndex(DedupOptions(window_seconds=3600)), {}
    articles = [("s", b, 0.0), ("t", b, 60.0), ("x", a, 60.0), ("y", a, 300.0), ("z", a, 3600.0), ("s2", b, 3600.0)]
    for article_id, text, at in [*articles, ("other", text_of(UPDATE), 3960.0)]:
        _, table[article_id] = index.decide(article_id, content_hash(text), text, at)
    index.compact()
    assert {k: cluster_of(v) for k, v in index._departed.items()} == {"t": "cl-s", "y": "cl-x"}
    whole, table["whole"] = index.decide("whole", content_hash(text_of(STORY)), text_of(STORY), 3300.0)
    assert (whole.cluster_id, whole.merged) == ("cl-s", ("cl-x",))
    assert {k: cluster_of(v) for k, v in index._departed.items()} == {"t": "cl-s"}
    assert index._departed_from == {"s": ["t"]}
    rebuilt = restart(table, index)
    assert ("y" not in table, table["t"]) == (True, {"listed_in": "cl-s"})
    assert rebuilt._departed == index._departed


@pytest.mark.parametrize("key", ["wire", ("wire", 2), ("wire", 12), "cl2-wire", ("cl-x", 3), "2-x", ("a\nb", 2), "-"])
def test_a_cluster_id_names_one_cluster_key(key: ClusterKey) -> None:
    """``cl-<id>`` for an id's first cluster, ``cl<n>-<id>`` for its n-th: read back to the key, whatever the id."""
    assert key_of(cluster_of(key)) == key
    assert canonical_of(cluster_of(key)) == (key if isinstance(key, str) else key[0])
