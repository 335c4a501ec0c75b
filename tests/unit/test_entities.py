"""Entity grouping, and spaCy's entities of the seed article with offsets into the cleaned text."""

from __future__ import annotations

import pytest

from tests.conftest import SEED_PAGE_ID, seed_record
from workers.clean.pagetext import split_page_text
from workers.entities import group_entities, tag_texts
from workers.nlp import load_ner, model_label
from workers.settings import Settings


@pytest.fixture(scope="module")
def nlp():
    settings = Settings()
    return load_ner(settings.spacy_model, settings.spacy_fallback_model)


def test_group_entities_counts_mentions_in_first_mention_order() -> None:
    grouped = group_entities([("Kabul", "GPE", 0, 5), ("Moscow", "GPE", 10, 16), ("Kabul", "GPE", 20, 25)])
    assert [(e["text"], e["count"]) for e in grouped] == [("Kabul", 2), ("Moscow", 1)]
    assert grouped[0]["mentions"] == [{"start": 0, "end": 5}, {"start": 20, "end": 25}]


def test_only_ner_runs(nlp) -> None:
    assert nlp.pipe_names == ["ner"]
    assert model_label(nlp).startswith("en_core_web_sm")


def test_seed_article_entities_and_offsets(nlp) -> None:
    text = "\n\n".join(split_page_text(seed_record(SEED_PAGE_ID)["text"]).paragraphs)
    [entities] = tag_texts(nlp, [text], batch_size=4)
    found = {(e["text"], e["label"]) for e in entities}
    assert {("Zamir Kabulov", "PERSON"), ("Moscow", "GPE"), ("Kabul", "GPE"), ("Vladimir Putin", "PERSON")} <= found
    for entity in entities:
        assert entity["count"] == len(entity["mentions"])
        for mention in entity["mentions"]:
            assert text[mention["start"] : mention["end"]] == entity["text"]


def test_batches_keep_input_order(nlp) -> None:
    texts = ["Angela Merkel visited Paris.", "", "Toyota opened a plant in Texas."]
    tagged = tag_texts(nlp, texts, batch_size=2)
    assert [[e["text"] for e in ents] for ents in tagged] == [["Angela Merkel", "Paris"], [], ["Toyota", "Texas"]]
