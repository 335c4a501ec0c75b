"""Score the clean stage on the Article Extraction Benchmark pages, in HTML mode and in page-text mode.

    python -m bench.clean_aeb                  # all 181 pages, both modes, with baselines
    python -m bench.clean_aeb --limit 40       # a quick look while developing
    python -m bench.clean_aeb --aeb PATH       # another copy of the data (default ../shared/eval/aeb)

Metric (the benchmark's own, see its README): tokenise on ``\\w+``, take the multiset of 4-token shingles of the
extracted and the annotated body, count true positives, false positives and false negatives per document,
normalised by their sum; precision and recall per document, averaged over documents; F1 is the harmonic mean of
the two averages. A page the stage rejects (dead letter) scores as an empty extraction.

Page-text mode renders each page the way a scraper that drops tags does (``workers.clean.render``): the HTML
tokenised as a browser would; ``<head>``, ``script``, ``style``, ``noscript``, ``template``, ``svg``, ``iframe``
and comments dropped;
every other text node kept (no CSS is applied, so hidden menus stay, as they do in a scraper's output); a line
break at the start and end of every block-level element and at ``<br>``; whitespace inside a line collapsed;
empty lines dropped. That is how ``../shared/seeds/*.txt`` looks: headline, paragraphs, then the page's
furniture, one block per line.

Each mode is scored through the stage's full path, ``workers.clean.clean_article`` on a raw record (extraction,
wire attribution, normalisation), and against a baseline measured in the same run: plain
``trafilatura.extract(include_comments=False)`` for HTML, the whole page text for page-text mode. Speed is
pages per second of CPU time of this one process (the stage is single-threaded: that is per core); rendering
and scoring are not timed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from workers.clean import CleanOptions, clean_article
from workers.clean.render import render_page_text
from workers.records import Origin, RawArticle, Rejected

DEFAULT_AEB = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "aeb"
SHINGLE = 4  # tokens per shingle, as in the benchmark's evaluation
_TOKEN = re.compile(r"\w+")

Extractor = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Page:
    """One benchmark page: its HTML, its text as a scraper renders it, and the annotated body."""

    id: str
    html: str
    text: str
    truth: str


@dataclass(frozen=True, slots=True)
class Score:
    """Averaged precision and recall, their F1, and the speed of the extractor."""

    precision: float
    recall: float
    pages_per_second: float

    @property
    def f1(self) -> float:
        """Harmonic mean of the averaged precision and recall."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def shingles(text: str) -> Counter[str]:
    """The multiset of 4-token shingles of a text (one shingle of all tokens when there are fewer)."""
    tokens = _TOKEN.findall(text)
    return Counter(" ".join(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1)) if tokens)


def document_scores(truth: str, extracted: str) -> tuple[float, float]:
    """Precision and recall of one extraction, by the benchmark's conventions for empty texts."""
    expected, found = shingles(truth), shingles(extracted)
    tp = sum((expected & found).values())
    fp = sum((found - expected).values())
    fn = sum((expected - found).values())
    if fp == fn == 0:
        return 1.0, 1.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall


def load_pages(aeb: Path, limit: int | None) -> list[Page]:
    """The benchmark's pages in id order, with their rendered text and annotated body."""
    truth = json.loads((aeb / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth)[:limit]:
        html = gzip.decompress((aeb / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8", "replace")
        pages.append(Page(page_id, html, render_page_text(html), truth[page_id]["articleBody"]))
    return pages


def stage(kind: str) -> Extractor:
    """The clean stage's full path on a raw record of this kind; a rejected page extracts nothing."""
    origin = Origin(topic="aeb", partition=0, offset=0, timestamp_ms=None)
    options = CleanOptions()

    def run(page: str) -> str:
        raw = RawArticle(id="aeb", url=None, source="aeb", title=None, published_at=None, **{kind: page})
        try:
            return clean_article(raw, origin, options)["text"]
        except Rejected:
            return ""

    return run


def trafilatura_baseline(html: str) -> str:
    """Plain trafilatura with comments excluded, the published baseline."""
    return trafilatura.extract(html, include_comments=False) or ""


def score(extract: Extractor, inputs: Iterable[str], truths: list[str]) -> Score:
    """Run an extractor over every page (timed on CPU), then score what it returned."""
    started = time.process_time()
    extracted = [extract(page) for page in inputs]
    elapsed = time.process_time() - started
    pairs = [document_scores(truth, text) for truth, text in zip(truths, extracted, strict=True)]
    return Score(
        precision=sum(p for p, _ in pairs) / len(pairs),
        recall=sum(r for _, r in pairs) / len(pairs),
        pages_per_second=len(pairs) / elapsed if elapsed else float("inf"),
    )


def report(name: str, result: Score) -> None:
    """One line of the results table."""
    print(
        f"| {name} | {result.precision:.3f} | {result.recall:.3f} | {result.f1:.3f} | {result.pages_per_second:,.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    """Score both modes and their baselines; print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--aeb", type=Path, default=DEFAULT_AEB, help="the benchmark's folder")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N pages (by id)")
    args = parser.parse_args(argv)
    pages = load_pages(args.aeb, args.limit)
    truths = [page.truth for page in pages]
    print(f"{len(pages)} pages of {args.aeb}\n")
    print("| mode | precision | recall | F1 | pages/s per core |\n| --- | ---: | ---: | ---: | ---: |")
    report("HTML: clean stage", score(stage("html"), [p.html for p in pages], truths))
    report("HTML: trafilatura (baseline)", score(trafilatura_baseline, [p.html for p in pages], truths))
    report("page text: clean stage", score(stage("text"), [p.text for p in pages], truths))
    report("page text: whole page (baseline)", score(lambda text: text, [p.text for p in pages], truths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
