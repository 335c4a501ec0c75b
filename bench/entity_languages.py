"""Entities by language on real pages, and what resolution changes in English against bare spaCy.

    python -m bench.entity_languages                    # both parts
    python -m bench.entity_languages --reuters 500      # English part on fewer stories

(1) Languages: every AEB page (``../shared/eval/aeb``), in HTML mode and in page-text mode (the page rendered as a
    scraper that drops tags renders it), through the clean, dedup and entities stages as the workers run them,
    with the shipped models (English and French; ENRICH_NLP_MODELS as set). Per detected language: articles,
    dead letters, articles tagged by each model, articles without entities and why, and articles tagged by a
    model of another language (the goal: none). A page AEB holds once is first copy in each mode (one index
    per mode).
(2) English: Reuters stories (``../shared/corpus``), body text cleaned; the mentions the stage publishes (offsets
    and the entity's label) against the spans bare spaCy finds on the same text with the same model and
    EntityRuler, both trimmed as the stage trims them (``resolve.trimmed``: symbols at the edges, a leading
    "the", a trailing "'s"). Precision, recall and F1 of the stage against bare spaCy, and how many mentions
    changed label (one label per entity, a surname joining its person), with a sample of them to judge by eye.
    This is agreement, not accuracy: no gold entity annotation ships with the data.
"""

from __future__ import annotations

import argparse
import gzip
import random
from collections import Counter, defaultdict
from pathlib import Path

import orjson

from bench.clean_eval import DEFAULT_AEB, load_pages
from bench.entities import CORPUS
from workers.entities import spans_of, tag_texts, variants_of
from workers.entities.resolve import trimmed
from workers.nlp import load_pipeline, load_pipelines
from workers.pipeline import CleanStage, DedupStage, EntitiesStage, Message
from workers.settings import Settings

SAMPLE = 25  # relabelled mentions printed to judge by eye


def languages(aeb: Path) -> None:
    """Part (1): the AEB pages through the stages, counted by detected language and outcome."""
    settings = Settings(metrics_port=0)
    entities = EntitiesStage(settings, load_pipelines(settings))
    pages = load_pages(aeb, None)
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for mode in ("html", "text"):
        clean, dedup = CleanStage(settings), DedupStage(settings)
        for n, page in enumerate(pages):
            body = page.html if mode == "html" else page.text
            raw = orjson.dumps({"id": f"{mode}-{page.id}", "source": "aeb", mode: body})
            message = Message(raw, {"topic": "aeb", "partition": 0, "offset": n, "timestamp_ms": None})
            [[cleaned]] = clean.process([message])
            if cleaned.destination != "clean":
                table["(dead letter)"][f"{mode} dead letter: {cleaned.record['error']}"] += 1
                continue
            [unique, *_] = dedup.process([Message(orjson.dumps(cleaned.record), message.origin)])[0]
            if unique.destination != "unique":
                table[cleaned.record["language"] or "(unknown)"][f"{mode} {unique.destination}"] += 1
                continue
            [[enriched]] = entities.process([Message(orjson.dumps(unique.record), message.origin)])
            count(table, enriched.record)
    print("| language | articles | outcome |\n| --- | ---: | --- |")
    for language, outcomes in sorted(table.items(), key=lambda item: -item[1].total()):
        shown = ", ".join(f"{outcome} {k}" for outcome, k in outcomes.most_common())
        print(f"| {language} | {outcomes.total()} | {shown} |")
    wrong = sum(outcomes["tagged by another language's model"] for outcomes in table.values())
    print(f"\narticles tagged by a model of another language: {wrong}; model load seconds {load_seconds(entities)}")


def count(table: dict[str, Counter[str]], record: dict) -> None:
    """Count an enriched record under its language: the model that tagged it, or why none did."""
    language, model = record["language"] or "(unknown)", record["nlp_model"]
    if model is None:
        table[language][f"no entities: {record['nlp_reason']}"] += 1
    elif not model.startswith(f"{language}_"):
        table[language]["tagged by another language's model"] += 1
    else:
        table[language][f"tagged by {model}"] += 1


def load_seconds(entities: EntitiesStage) -> str:
    return ", ".join(f"{lang} {s:.1f}" for lang, s in entities.pipelines.load_seconds.items()) or "(none lazily)"


def english(stories: int, corpus: Path) -> None:
    """Part (2): the stage's English mentions against bare spaCy's spans on Reuters bodies."""
    settings = Settings(metrics_port=0)
    nlp = load_pipeline(settings)
    clean = CleanStage(settings)
    texts = []
    with gzip.open(corpus) as lines:
        for n, line in enumerate(lines):
            story = orjson.loads(line)
            raw = orjson.dumps({"id": str(story["id"]), "source": "Reuters", "text": story.get("text") or ""})
            origin = {"topic": "corpus", "partition": 0, "offset": n, "timestamp_ms": None}
            [[cleaned]] = clean.process([Message(raw, origin)])
            if cleaned.destination == "clean" and cleaned.record["language"] == "en":
                texts.append(cleaned.record["text"])
            if len(texts) == stories:
                break
    bare = [
        {(*trimmed(text, s, e), label) for s, e, label in spans_of(doc)}
        for text, doc in zip(texts, nlp.pipe(texts, batch_size=settings.ner_batch_size), strict=True)
    ]
    staged = [
        {(m["start"], m["end"], entity["label"]) for entity in entities for m in entity["mentions"]}
        for entities in tag_texts(nlp, texts, settings.ner_batch_size, settings.ner_batch_chars, variants_of("en"))
    ]
    both = sum(len(b & s) for b, s in zip(bare, staged, strict=True))
    precision = both / sum(map(len, staged))
    recall = both / sum(map(len, bare))
    relabels = [
        (text, start, end, old, new)
        for text, b, s in zip(texts, bare, staged, strict=True)
        for start, end, new in s - b
        for (bs, be, old) in b
        if (bs, be) == (start, end)
    ]
    f1 = 2 * precision * recall / (precision + recall)
    print(
        f"\n{len(texts)} Reuters stories, {sum(map(len, bare))} bare spaCy spans, {sum(map(len, staged))} stage "
        f"mentions: precision {precision:.4f}, recall {recall:.4f}, F1 {f1:.4f} against bare spaCy; "
        f"{len(relabels)} mentions relabelled"
    )
    print("relabels by (model label -> entity label):", dict(Counter((o, n) for *_, o, n in relabels).most_common(8)))
    for text, start, end, old, new in random.Random(7).sample(relabels, min(SAMPLE, len(relabels))):
        before, after = text[max(0, start - 50) : start], text[end : end + 30]
        print(f"  {old:>8} -> {new:<8} ...{before}[{text[start:end]}]{after}...")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aeb", type=Path, default=DEFAULT_AEB)
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the Reuters corpus (JSONL, gzipped)")
    parser.add_argument("--reuters", type=int, default=2000, help="Reuters stories for the English part (0: skip)")
    args = parser.parse_args()
    languages(args.aeb)
    if args.reuters:
        english(args.reuters, args.corpus)


if __name__ == "__main__":
    main()
