"""The dedup index's memory layout: three-byte row numbers, the batch encoding of sketches, the LSH lookup."""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import struct
from dataclasses import replace

import numpy as np
import pytest

from bench import syndication
from workers.dedup import DedupOptions
from workers.dedup.sketch import (
    EDGES_KEPT,
    FACTS_KEPT,
    FALL,
    FIGURE_KEYS,
    LEAD_KEYS,
    Sketch,
    Sketcher,
    Sketches,
    _any_of_words,
    _bound,
    _count_of_words,
    _TextForms,
    any_across,
    fact_match,
    sum_across,
)
from workers.dedup.store import EQUAL_CHUNK, MAX_CHAIN, MAX_ROWS, NO_ROW, RowNumbers, Rows, Store, _Chains


def test_row_numbers_read_back_what_was_stored_the_last_write_winning() -> None:
    rng = np.random.default_rng(1)
    stored, expected = RowNumbers(1000), np.full(1000, NO_ROW)
    assert (stored[np.arange(1000)] == NO_ROW).all()
    for _ in range(20):
        at = rng.integers(0, 1000, 300)  # indices repeat: the last value given for one is kept
        rows = rng.choice(np.array([NO_ROW, 0, 1, 255, 256, 65535, 65536, MAX_ROWS - 1]), 300)
        stored[at] = rows
        last = np.unique(at[::-1], return_index=True)[1]
        expected[at[::-1][last]] = rows[::-1][last]
        assert np.array_equal(stored[np.arange(1000)], expected)
    stored[np.arange(0, 1000, 2)] = NO_ROW
    expected[::2] = NO_ROW
    assert np.array_equal(stored[np.arange(1000)], expected) and stored.nbytes == 3 * 1000 + 1


def test_a_store_beyond_what_three_bytes_name_is_refused() -> None:
    with pytest.raises(ValueError, match="at most"):
        Store(num_perm=128, bands=42)._allocate(MAX_ROWS + 1)


def former_to_text(sketch: Sketch) -> str:
    """The persisted form as it was written one sketch at a time (the format ``Sketches.texts`` must keep)."""
    counts = (sketch.number_count, sketch.name_count, len(sketch.numbers), len(sketch.names))
    parts = (
        struct.pack("<5I", min(sketch.size, 2**32 - 1), *counts),
        sketch.signature.tobytes(),
        sketch.numbers.tobytes(),
        sketch.names.tobytes(),
        struct.pack("<I", len(sketch.edges)),
        sketch.edges.tobytes(),
        sketch.edge_words.tobytes(),
        sketch.lead.tobytes(),
        sketch.figures.tobytes() if sketch.figures.any() else b"",  # the keys only where there are some
    )
    return base64.b64encode(b"".join(parts)).decode("ascii")


# sha256 of the text forms (one a line) of the first two Reuters bodies (486 and 72 words, no figure keys), "",
# "two words" and a figure-less sentence, in the form main's code wrote before the figure keys (55b0126, git archive),
# retaken when a sentence's opening name and the directions of a rise or a fall joined the facts (recur71: only the
# facts differ; 3e774b38... before).
MAIN_FORM_DIGEST = "39998c25939a2f4176aa3e54eb1ab57e47fd49d8842794ee7bba512b25f4dbab"


def test_a_sketch_without_figure_keys_is_written_in_the_form_before_them_and_a_keyed_one_round_trips() -> None:
    """A dedup owner of the version before the keys reads every sketch but a short one with figures whole."""
    stories = ["\n\n".join(story["paragraphs"]) for story in itertools.islice(syndication.reuters_bodies(), 2)]
    plain = [*stories, "", "two words", "Shares of the company rose in early trading on Monday, dealers said."]
    batch = Sketcher(128, 5).sketch_many([*plain, "Shr 12 vs 25 cts, 3.5 mln"])
    texts = batch.texts()
    assert hashlib.sha256("\n".join(texts[:-1]).encode()).hexdigest() == MAIN_FORM_DIGEST
    assert not batch.figures[:-1].any() and batch.figures[-1].all()
    keyed = Sketch.from_text(texts[-1], 128)
    assert base64.b64decode(texts[-1])[-4 * FIGURE_KEYS :] == batch.figures[-1].tobytes()
    assert np.array_equal(keyed.figures, batch.figures[-1]) and Sketches.of([keyed], 128).texts() == texts[-1:]


def test_the_batch_encoding_of_sketches_is_the_persisted_form_and_reads_back() -> None:
    stories = ["\n\n".join(story["paragraphs"]) for story in itertools.islice(syndication.reuters_bodies(), 40)]
    texts = [*stories, "", "two words", "\u201cQuoted\u201d 12 Names Here and 2024 numbers", "Shr 1 vs 2 cts, 3 mln"]
    batch = Sketcher(128, 5).sketch_many(texts)
    encoded = batch.texts()
    assert encoded == [former_to_text(batch[row]) for row in range(len(texts))]
    assert [batch[row].to_text() for row in range(len(texts))] == encoded
    back = Sketches.of([Sketch.from_text(text, 128) for text in encoded], 128)
    for name in batch.__slots__:
        assert np.array_equal(getattr(back, name), getattr(batch, name)), name
    assert back.texts() == encoded and Sketches.of([], 128).texts() == []


def assert_same_sketches(first: Sketches, second: Sketches) -> None:
    for name in Sketches.__slots__:
        one, other = getattr(first, name), getattr(second, name)
        assert one.dtype == other.dtype and np.array_equal(one, other), name


def test_text_forms_read_for_a_batch_at_once_are_the_sketches_read_one_at_a_time() -> None:
    """``Sketches.from_texts`` gathers every row's parts from the decoded bytes side by side; ``Sketch.from_text``
    is the reading it must give: Reuters stories (short ones with figure keys, long ones without), the form before
    the lead, an older form in the batch (then read text by text), and the empty batch."""
    stories = ["\n\n".join(story["paragraphs"]) for story in itertools.islice(syndication.reuters_bodies(), 600)]
    encoded = Sketcher(128, 5).sketch_many([*stories, "", "two words", "Shr 12 vs 25 cts, 3.5 mln"]).texts()
    keyless = [text for text in encoded if not Sketch.from_text(text, 128).figures.any()]
    before_lead = [base64.b64encode(base64.b64decode(text)[:-32]).decode("ascii") for text in keyless]
    head = base64.b64decode(encoded[0])[: 20 + 256]  # the oldest form: the facts kept as 16-bit hashes (zeros)
    oldest = base64.b64encode(head + bytes(2 * sum(struct.unpack_from("<2I", head, 12)))).decode("ascii")
    assert 0 < len(keyless) < len(encoded)
    # The batch reading is the one taken on the two forms it reads, and not on a batch with the oldest form.
    forms = [_TextForms([base64.b64decode(text) for text in batch], 128).current.all() for batch in (encoded,
             before_lead, [*encoded[:50], oldest])]  # fmt: skip
    assert forms == [True, True, False]
    for batch in (encoded, encoded[:256], before_lead, [*encoded[:50], oldest], []):
        assert_same_sketches(
            Sketches.from_texts(batch, 128), Sketches.of([Sketch.from_text(text, 128) for text in batch], 128)
        )
    assert Sketches.from_texts(encoded, 128).texts() == encoded


def test_text_forms_whose_counts_exceed_the_slots_are_refused_by_both_readers_alike() -> None:
    """A text form whose numbers kept (header) or end paragraphs (count after the facts) exceed the slots is of no
    form even when its length matches one (the counts are clamped to the slots to find where the parts start):
    ``from_texts`` must not gather it as a current row (review15), and both readers refuse it, with the same
    ValueError (``from_text`` read it before, and ``Sketches.of`` failed on the numbers beyond the slots)."""
    stories = ["\n\n".join(story["paragraphs"]) for story in itertools.islice(syndication.reuters_bodies(), 600)]
    encoded = Sketcher(128, 5).sketch_many(stories).texts()
    decoded = [base64.b64decode(text) for text in encoded]
    header = [np.frombuffer(raw[:20], dtype=np.uint32) for raw in decoded]
    facts_end = [20 + 2 * 128 + 4 * (int(h[3]) + int(h[4])) for h in header]
    numbers = next(n for n, h in enumerate(header) if h[3] == FACTS_KEPT)
    edges = next(n for n, raw in enumerate(decoded) if np.frombuffer(raw, np.uint32, 1, facts_end[n])[0] == EDGES_KEPT)
    for row, offset in ((numbers, 12), (edges, facts_end[edges])):
        raw = bytearray(decoded[row])
        raw[offset : offset + 4] = (int(np.frombuffer(raw, np.uint32, 1, offset)[0]) + 1).to_bytes(4, "little")
        bad = base64.b64encode(bytes(raw)).decode("ascii")
        assert_same_refusal(bad, [*encoded[:20], bad])


def assert_same_refusal(bad: str, batch: list[str]) -> None:
    """``Sketch.from_text`` refuses ``bad``, and ``Sketches.from_texts`` a batch holding it with the same error."""
    with pytest.raises(ValueError) as one:
        Sketch.from_text(bad, 128)
    with pytest.raises(ValueError) as batched:
        Sketches.from_texts(batch, 128)
    assert str(batched.value) == str(one.value)


def test_noise_is_refused_by_both_readers_and_a_cut_at_a_forms_length_reads_as_that_form() -> None:
    """A text of no form's length for its header is refused by both readers alike, not read as the oldest form (noise
    published as fact): 400 bytes of "x" (a header claiming billions of facts), and each cut of a real sketch (with
    figure keys, facts and paragraphs) at a length no form has. A cut at a form's length holds that form's bytes and
    reads as that form written of the sketch: the oldest (its 16-bit facts dropped), the ones before paragraphs,
    before the lead and before the figure keys, and the whole."""
    stories = ["\n\n".join(story["paragraphs"]) for story in itertools.islice(syndication.reuters_bodies(), 600)]
    batch = Sketcher(128, 5).sketch_many(stories)
    encoded = batch.texts()
    noise = base64.b64encode(b"x" * 400).decode("ascii")
    assert_same_refusal(noise, [*encoded[:20], noise])
    row = next(r for r in range(len(batch)) if batch.figures[r].all() and batch.edge_counts[r] and batch.names[r, 0])
    raw, whole = base64.b64decode(encoded[row]), batch[row]
    before_keys = replace(whole, figures=np.zeros(FIGURE_KEYS, dtype=np.uint32))
    before_lead = replace(before_keys, lead=np.zeros(LEAD_KEYS, dtype=np.uint32))
    before_paragraphs = replace(before_lead, edges=whole.edges[:0], edge_words=whole.edge_words[:0])
    oldest = replace(before_paragraphs, numbers=whole.numbers[:0], names=whole.names[:0], number_count=0, name_count=0)
    facts, paragraphs = len(whole.numbers) + len(whole.names), len(whole.edges)
    forms = {20 + 256 + 2 * facts: oldest, 20 + 256 + 4 * facts: before_paragraphs}
    forms[20 + 256 + 4 * facts + 4 + 6 * paragraphs] = before_lead
    forms[len(raw) - 4 * FIGURE_KEYS], forms[len(raw)] = before_keys, whole
    assert forms[len(raw) - 4 * FIGURE_KEYS - 4 * LEAD_KEYS] is before_lead
    for length in range(len(raw) + 1):
        cut = base64.b64encode(raw[:length]).decode("ascii")
        if length not in forms:
            assert_same_refusal(cut, [*encoded[:20], cut])
            continue
        read = Sketches.from_texts([*encoded[:20], cut], 128).take(np.array([20]))
        assert_same_sketches(read, Sketches.of([forms[length]], 128))
        assert_same_sketches(Sketches.of([Sketch.from_text(cut, 128)], 128), read)


def filled_store(signatures: np.ndarray, **keys: np.ndarray) -> tuple[Store, np.ndarray]:
    """A store of rows with these signatures (and ``keys``: leads, figures; else nothing), appended in batches of
    50, and their slots."""
    store, rows = Store(num_perm=signatures.shape[1], bands=8), len(signatures)
    batch = Sketches.of([], signatures.shape[1])
    zeros = {name: np.zeros((rows, *getattr(batch, name).shape[1:]), getattr(batch, name).dtype) for name in
             ("numbers", "names", "fact_counts", "edges", "edge_words", "edge_counts", "leads", "figures")}  # fmt: skip
    sketches = Sketches(signatures=signatures, sizes=np.ones(rows, dtype=np.uint32), **(zeros | keys))
    ids = [f"r{n}" for n in range(rows)]
    slots = np.concatenate(
        [
            store.append(
                Rows(
                    article_ids=ids[start : start + 50],
                    canonical_ids=ids[start : start + 50],
                    revision_of=[None] * 50,
                    kinds=np.zeros(50, dtype=np.uint8),
                    similarities=np.ones(50, dtype=np.float32),
                    content_hashes=np.zeros((50, 2), dtype=np.uint64),
                    event_times=np.zeros(50),
                    seqs=np.arange(start, start + 50, dtype=np.int64),
                ),
                sketches.take(np.arange(start, start + 50)),
            )
            for start in range(0, rows, 50)
        ]
    )
    return store, slots


def test_a_lookup_finds_exactly_the_earlier_rows_sharing_a_band_value() -> None:
    """Without crowded buckets (chains shorter than the walk's cut) nor evictions: the LSH's own definition."""
    rng = np.random.default_rng(2)
    rows = 600
    signatures = rng.integers(0, 6, size=(rows, 24), dtype=np.uint16)  # 216 values a band: many shared
    signatures[:, 12:] = rng.integers(0, 2**16, size=(rows, 12), dtype=np.uint16)  # half the bands rarely shared
    store, slots = filled_store(signatures)
    late = slots[-100:]
    owners, found = store.earlier(late)
    banded = store.banded(signatures)
    shares = (banded[-100:, None] == banded[None, :]).all(axis=3).any(axis=2)  # [late, all rows]
    shares &= np.arange(rows)[None, :] < np.arange(rows - 100, rows)[:, None]  # earlier rows only
    expected = np.argwhere(shares)
    buckets = store._chains[0]._buckets_of(banded) + np.arange(store.bands) * store._chains[0].buckets
    assert len(expected) > 1000 and np.bincount(buckets.ravel()).max() < MAX_CHAIN
    assert np.array_equal(slots, np.arange(rows)) and np.array_equal(np.column_stack((owners, found)), expected)


def test_a_lookup_in_crowded_buckets_walks_each_chain_to_its_cut_strangers_counted() -> None:
    """Chains longer than the cut, strangers in them: the lookup finds what walking the buckets' chains of rows
    newest first (``MAX_CHAIN`` of them, strangers included) and keeping the equal band values finds, though a
    walk reads only the tags of most strangers. A band of zeros is in no bucket."""
    rng = np.random.default_rng(3)
    rows = 1000
    signatures = rng.integers(0, 3, size=(rows, 24), dtype=np.uint16)  # 27 values a band: chains of about 37
    signatures[:, 12:] = rng.integers(0, 2**16, size=(rows, 12), dtype=np.uint16)  # strangers only, mostly
    store, slots = filled_store(signatures)
    expected, strangers = walked(store._chains[0], store.banded(signatures), slots[-200:])
    owners, found = store.earlier(slots[-200:])
    assert strangers > 1000 and np.array_equal(slots, np.arange(rows))
    assert np.array_equal(np.column_stack((owners, found)), np.array(sorted(expected)))


def test_a_lookup_finds_in_the_three_tables_what_each_tables_own_walk_finds() -> None:
    """The signature's, the lead's and the figures' chains, ending at different hops (short ones in the
    signature's, the lead's crowded past the cut, the figures' in between, some rows in none): a lookup finds the
    union of what walking each table's chains on its own finds."""
    rng = np.random.default_rng(4)
    rows = 1000
    signatures = rng.integers(0, 2**16, size=(rows, 24), dtype=np.uint16)
    signatures[:, :3] = rng.integers(0, 3, size=(rows, 3), dtype=np.uint16)  # one band shared by chains of ~37
    leads = rng.integers(1, 3, size=(rows, LEAD_KEYS), dtype=np.uint32)  # two values a key: chains far past the cut
    leads[rng.random(rows) < 0.2] = 0  # no lead: in no bucket of the lead's table
    figures = rng.integers(1, 12, size=(rows, FIGURE_KEYS), dtype=np.uint32)  # chains of about 11 in each key
    figures[rng.random(rows) < 0.5] = 0  # a long article: no figure keys
    store, slots = filled_store(signatures, leads=leads, figures=figures)
    late, expected, strangers = slots[-200:], set(), 0
    for chains, banded in zip(store._chains, store._banded_values(), strict=True):
        pairs, passed = walked(chains, banded, late)
        expected, strangers = expected | pairs, strangers + passed
    owners, found = store.earlier(late)
    assert strangers > 1000 and len(expected) > 10_000 and np.array_equal(slots, np.arange(rows))
    assert np.array_equal(np.column_stack((owners, found)), np.array(sorted(expected)))


def walked(chains: _Chains, banded: np.ndarray, late: np.ndarray) -> tuple[set[tuple[int, int]], int]:
    """The pairs (i, row) found by walking one table's chains of ``late[i]``, row by row newest first, up to
    ``MAX_CHAIN`` rows (strangers included) and keeping the equal band values; and the strangers passed. A band
    of zeros is in no bucket."""
    buckets = chains._buckets_of(banded)
    previous, heads = np.full((len(banded), chains.bands), NO_ROW), {}
    for row, band in itertools.product(range(len(banded)), range(chains.bands)):
        if banded[row, band].any():
            previous[row, band] = heads.get((band, buckets[row, band]), NO_ROW)
            heads[band, buckets[row, band]] = row
    expected, strangers = set(), 0
    for (i, row), band in itertools.product(enumerate(late.tolist()), range(chains.bands)):
        reached = previous[row, band]
        for _ in range(MAX_CHAIN):
            if reached == NO_ROW:
                break
            if (banded[reached, band] == banded[row, band]).all():
                expected.add((i, reached))
            else:
                strangers += 1
            reached = previous[reached, band]
    return expected, strangers


def test_the_column_by_column_reductions_are_numpys_on_any_input() -> None:
    """``sum_across`` and ``any_across`` stand in for numpy's sum and any along a short last axis: the same answers
    on integers, bools and an empty axis (more LSH bands than values gave one)."""
    values = np.array([[[3, 0], [0, 0]], [[1, 2], [0, 5]]], dtype=np.int8)
    for array in (values, values != 0, values[..., :0]):
        assert np.array_equal(sum_across(array), array.sum(axis=-1))
        assert np.array_equal(any_across(array), array.any(axis=-1))


def test_a_dedup_index_refuses_more_bands_than_signature_values() -> None:
    with pytest.raises(ValueError, match="200 LSH bands over 128 permutations"):
        DedupOptions(bands=200)


def test_row_numbers_take_a_single_place_as_numpy_does() -> None:
    rows = RowNumbers(8)
    rows[3] = 5
    rows[np.intp(4)] = 7
    assert rows[np.array([3, 4, 5])].tolist() == [5, 7, NO_ROW]


def test_a_fact_samples_reductions_word_by_word_are_numpys() -> None:
    """``fact_match`` reduces a sample's slots as 64-bit words: the same answers (and dtype) as numpy's any and sum
    along the last axis, on pairs' [slots] and [slots, slots] bools, and on no pairs."""
    rng = np.random.default_rng(4)
    for shape in ((300, FACTS_KEPT), (300, FACTS_KEPT, FACTS_KEPT), (0, FACTS_KEPT)):
        truth = rng.random(shape) < 0.1
        assert np.array_equal(_any_of_words(truth), truth.any(axis=-1))
        counts = _count_of_words(truth)
        assert counts.dtype == truth.sum(axis=-1).dtype and np.array_equal(counts, truth.sum(axis=-1))


def plain_fact_match(mine: np.ndarray, my_counts: np.ndarray, theirs: np.ndarray, their_counts: np.ndarray) -> tuple:
    """``fact_match`` from its definitions with numpy's reductions: every comparison over [pairs, slots, slots] with
    both sides' usable slots masked there, the contexts as the keys' dtype."""
    bound = np.minimum(_bound(mine, my_counts), _bound(theirs, their_counts))[:, None]
    slots = np.arange(FACTS_KEPT)
    my_ok = (my_counts[:, 1:2] > slots) & (mine <= bound)
    their_ok = (their_counts[:, 1:2] > slots) & (theirs <= bound)
    both = my_ok[:, :, None] & their_ok[:, None, :]
    common = ((mine[:, :, None] == theirs[:, None, :]) & both).any(axis=2)
    contexts, their_contexts = mine >> 16, theirs >> 16
    shared = ((contexts[:, :, None] == their_contexts[:, None, :]) & both).any(axis=2)
    first = np.concatenate((np.ones((len(mine), 1), dtype=bool), contexts[:, 1:] != contexts[:, :-1]), axis=1)
    before = (contexts[:, :, None] == contexts[:, None, :]) & (slots[None, :] < slots[:, None])
    agreed_before = (before & common[:, None, :]).any(axis=2)
    # A direction counts only where it differs: agreeing, it is taken from the contexts compared and the agreeing.
    my_direction, their_direction = (mine & 0xFFFF) >= FALL, (theirs & 0xFFFF) >= FALL
    direction_agreeing = (common & ~agreed_before & my_direction).sum(axis=1)
    return (
        (shared & first & my_ok).sum(axis=1) - direction_agreeing,
        (common & ~agreed_before).sum(axis=1) - direction_agreeing,
        *(truth.sum(axis=1) for truth in (common & ~my_direction, my_ok & ~my_direction, their_ok & ~their_direction)),
    )


def test_fact_samples_compared_in_fewer_cubes_give_the_plain_comparisons_counts() -> None:
    """``fact_match`` masks their usable slots in the [pairs, slots, slots] comparisons and mine after the ``any``,
    compares contexts in 16 bits and finds the keys agreed before in their context by running counts: on Reuters
    stories against their halves, their copies with every figure changed and strangers, the same five counts as the
    plain comparisons (both sides masked in the cube, a cube of the contexts' earlier slots)."""
    stories = ["\n\n".join(story["paragraphs"]) for story in itertools.islice(syndication.reuters_bodies(), 300)]
    changed = [re.sub(r"\d", lambda digit: str((int(digit.group()) + 1) % 10), text) for text in stories]
    sketches = Sketcher(128, 5).sketch_many([*stories, *(text[: len(text) // 2] for text in stories), *changed])
    rng = np.random.default_rng(5)
    mine = np.concatenate((np.arange(300), np.arange(300), rng.integers(0, 900, 600)))
    theirs = np.concatenate((np.arange(300, 600), np.arange(600, 900), rng.integers(0, 900, 600)))
    matches = []
    for facts, counted in ((sketches.numbers, [0, 2]), (sketches.names, [1, 3])):
        counts = sketches.fact_counts[:, counted]
        match = fact_match(facts[mine], counts[mine], facts[theirs], counts[theirs])
        plain = plain_fact_match(facts[mine], counts[mine], facts[theirs], counts[theirs])
        assert all(
            np.array_equal(got, want) and got.dtype == want.dtype for got, want in zip(match, plain, strict=True)
        )
        matches.append(match)
    # The inputs reach every count: numbers in a shared context that differ (the changed copies), agreeing ones.
    numbers = matches[0]
    assert (numbers.shared[300:600] > numbers.common[300:600]).any() and (numbers.agreeing[:300] > 0).any()
    assert ((sketches.numbers[mine[:300]] & 0xFFFF) >= FALL).any()  # directions, agreeing with the halves' own


def test_the_equal_signature_values_counted_a_chunk_at_a_time_are_the_whole_comparisons() -> None:
    """``Store.equal_values`` compares the pairs' signatures ``EQUAL_CHUNK`` pairs at a time: on Reuters stories, their
    trimmed copies and strangers, over more pairs than one chunk and a last chunk cut short, the same counts as one
    comparison of all pairs' signature values."""
    stories = ["\n\n".join(story["paragraphs"]) for story in itertools.islice(syndication.reuters_bodies(), 300)]
    texts = [*stories, *(text[: len(text) // 2] for text in stories)]
    sketches = Sketcher(128, 5).sketch_many(texts)
    store, slots = filled_store(sketches.signatures)
    rng = np.random.default_rng(4)
    pairs = 2 * EQUAL_CHUNK + 77
    rows, mine = rng.choice(slots, pairs), rng.choice(slots, pairs)
    rows[:300], mine[:300] = slots[:300], slots[300:600]  # a story and its trimmed copy
    whole = (sketches.signatures[rows] == sketches.signatures[mine]).sum(axis=1)
    equal = store.equal_values(rows, mine)
    assert equal.dtype == np.intp and np.array_equal(equal, whole)
    assert (equal[:300] > 0).all() and (equal[300:] < 128).any() and store.equal_values(rows[:0], mine[:0]).size == 0


def test_an_evicted_head_whose_link_names_a_reused_slot_leaves_its_bucket_empty() -> None:
    """Evicting the row at a bucket's head sets the head to the row it links to only when that row arrived before
    it: its slot can hold a newer row since (its own row evicted, the slot reused by another bucket's), and a head
    naming it would put a stranger, newer than the chain, in the bucket (read62: it did, through the splice)."""
    store = Store(num_perm=8, bands=2)
    story, other = store.banded(np.array([[1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 16]], np.uint16))
    chains = _Chains(capacity=16, bands=2)
    keys = {name: chains._band_index * chains.buckets + chains._buckets_of(v[None])[0] for name, v in
            (("story", story), ("other", other))}  # fmt: skip
    assert not set(keys["story"].tolist()) & set(keys["other"].tolist())
    arrivals, times = np.array([np.iinfo(np.int64).max, 3, 2, *[0] * 14]), np.zeros(16)
    chains.link(np.array([0]), story[None])  # arrival 1
    chains.link(np.array([1]), story[None])  # arrival 2, linked to row 0
    times[0] = -np.inf
    chains.unlink(np.array([0]), story[None], arrivals, times)  # row 0 evicted: not a head, nothing behind it
    chains.link(np.array([0]), other[None])  # arrival 3 in the reused slot, in other buckets
    assert chains.heads[keys["story"]].tolist() == [1, 1]
    times[1] = -np.inf
    chains.unlink(np.array([1]), story[None], arrivals, times)
    assert chains.heads[keys["story"]].tolist() == [NO_ROW, NO_ROW]
    assert chains.heads[keys["other"]].tolist() == [0, 0]


def append_rows(store: Store, signatures: np.ndarray, times: list[float], **keys: np.ndarray) -> np.ndarray:
    """Append rows with these signatures and event times (``keys``: leads, figures; else none), arriving next in
    that order; their slots."""
    rows, seq = len(signatures), int(store.seqs[: store.used].max(initial=-1)) + 1
    empty = Sketches.of([], signatures.shape[1])
    zeros = {name: np.zeros((rows, *getattr(empty, name).shape[1:]), getattr(empty, name).dtype) for name in
             ("numbers", "names", "fact_counts", "edges", "edge_words", "edge_counts", "leads", "figures")}  # fmt: skip
    sketches = Sketches(signatures=signatures, sizes=np.ones(rows, dtype=np.uint32), **(zeros | keys))
    ids = [f"r{n}" for n in range(seq, seq + rows)]
    described = Rows(
        article_ids=ids,
        canonical_ids=list(ids),
        revision_of=[None] * rows,
        kinds=np.zeros(rows, dtype=np.uint8),
        similarities=np.ones(rows, dtype=np.float32),
        content_hashes=np.zeros((rows, 2), dtype=np.uint64),
        event_times=np.array(times, dtype=np.float64),
        seqs=np.arange(seq, seq + rows, dtype=np.int64),
    )
    return store.append(described, sketches)


def unreachable(store: Store) -> list[tuple[int, int, int]]:
    """(table, row, band) of the held rows that no walk from their bucket's head reaches in a band where they have
    values, every link followed while it leads to an older row (unbounded: the walks' cut aside)."""
    missed = []
    for table, (chains, banded) in enumerate(zip(store._chains, store._banded_values(), strict=True)):
        reached: dict[int, set[int]] = {}
        for row in store.live().tolist():
            keys = chains._band_index * chains.buckets + chains._buckets_of(banded[row][None])[0]
            for band in np.flatnonzero(banded[row].any(axis=1)).tolist():
                key = int(keys[band])
                if key not in reached:
                    reached[key] = set(chained(chains, key, store._arrivals))
                if row not in reached[key]:
                    missed.append((table, row, band))
    return missed


def chained(chains: _Chains, key: int, arrivals: np.ndarray) -> list[int]:
    """The rows of a bucket's chain from its head, each link followed while it leads to an older row."""
    band, rows, row = key // chains.buckets, [], int(chains.heads[np.array([key])][0])
    while row != NO_ROW:
        rows.append(row)
        on = int(chains.previous.raw(np.array([row * chains.bands + band]))[0] & chains._row_mask)
        if arrivals[on] >= arrivals[row + 1]:  # none (0 reads the arrival no row reaches), or a reused slot
            break
        row = on - 1
    return rows


def test_rows_evicted_in_another_order_than_they_arrived_leave_the_held_ones_in_their_chains() -> None:
    """Seven copies of one signature arrive with event times out of order and leave the window by time: the one at
    the chains' head, one in the middle, a run of two, the oldest; the slots reused by strangers. Every held copy
    stays on its buckets' chains, and a later copy finds them all (evicting a row cleared the heads naming it, and a
    reused slot ended the walks through it: one eviction cut every older copy out)."""
    store = Store(num_perm=8, bands=2)
    story = np.arange(1, 9, dtype=np.uint16)[None]
    times = [10.0, 20.0, 5.0, 30.0, 6.0, 7.0, 1.0]  # arrival order: the heads of chains last
    slots = append_rows(store, np.repeat(story, 7, axis=0), times)
    for horizon, gone in [(2.0, [6]), (5.5, [2, 6]), (8.0, [2, 4, 5, 6]), (15.0, [0, 2, 4, 5, 6])]:
        store.evict(store.expired(horizon))
        strangers = np.random.default_rng(int(horizon)).integers(100, 2**16, size=(2, 8), dtype=np.uint16)
        append_rows(store, strangers, [40.0, 40.0])  # into the freed slots
        held = sorted(set(slots.tolist()) - set(slots[gone].tolist()))
        assert unreachable(store) == []
        copy = append_rows(store, story, [40.0])
        _, found = store.earlier(copy)
        assert sorted(set(found.tolist()) & set(held)) == held
        store.evict(copy)


@pytest.mark.parametrize("seed", range(12))
def test_after_each_eviction_every_held_row_is_on_its_chains_in_every_band_it_has_values(seed: int) -> None:
    """Random batches of rows with event times out of arrival order (a copy seen before its story, a feed late),
    values from a few so that buckets are shared and crowded, bands without values (no lead, no figures); evicted
    by time after each batch, their slots reused by the next: after each eviction, and each append into the freed
    slots, every held row is reachable from its bucket's head in every band of the three tables where it has
    values."""
    rng = np.random.default_rng(seed)
    store, newest, early = Store(num_perm=8, bands=4), 0.0, 0
    for _ in range(60):
        rows = int(rng.integers(1, 9))
        times = (newest + rng.normal(0, 40, rows)).tolist()
        newest = max(newest + 10, *times)
        signatures = rng.integers(1, 3, size=(rows, 8), dtype=np.uint16)  # 4 values a band: long chains
        leads = rng.integers(0, 3, size=(rows, LEAD_KEYS), dtype=np.uint32)  # 0: no key
        figures = rng.integers(0, 4, size=(rows, FIGURE_KEYS), dtype=np.uint32) * rng.integers(0, 2, size=(rows, 1))
        append_rows(store, signatures, times, leads=leads, figures=figures.astype(np.uint32))
        assert unreachable(store) == []
        gone = store.expired(newest - 150)
        store.evict(gone)
        held = store.live()
        early += int((store.seqs[gone] > store.seqs[held].min(initial=2**62)).sum())  # older rows held behind them
        assert unreachable(store) == []
    assert early > 20


def test_held_rows_behind_a_run_evicted_deeper_than_the_walk_bound_stay_on_their_chain() -> None:
    """120 copies of one signature, the first ten with the latest event times: rows 10 and 11, more than
    ``4 * MAX_CHAIN`` hops from the head, leave first and their slots are reused; then every row ahead of them. The
    first ten stay found: the link naming the deep run was left pointing at it (its namer out of the walk's reach),
    the reused slot ended the chain there, and once the rows ahead left, no chain held the first ten (a later copy
    was decided a first copy)."""
    store = Store(num_perm=8, bands=2)
    story = np.arange(1, 9, dtype=np.uint16)[None]
    times = [100.0] * 10 + [1.0, 1.0] + [50.0] * 108
    slots = append_rows(store, np.repeat(story, 120, axis=0), times)
    assert 4 * MAX_CHAIN < 119 - 11  # the run from the head
    store.evict(store.expired(2.0))  # rows 10 and 11
    strangers = np.random.default_rng(0).integers(100, 2**16, size=(2, 8), dtype=np.uint16)
    append_rows(store, strangers, [200.0, 200.0])  # into the freed slots
    assert unreachable(store) == []
    store.evict(store.expired(60.0))  # every row ahead of the run
    assert unreachable(store) == []
    copy = append_rows(store, story, [200.0])
    _, found = store.earlier(copy)
    assert sorted(set(found.tolist()) & set(slots.tolist())) == slots[:10].tolist()
