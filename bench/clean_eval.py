"""Score the clean stage on every evaluation set side by side, each beside trafilatura's default in the same run.

    python -m bench.clean_eval                                # every set, every page (about 4 minutes here)
    python -m bench.clean_eval --sets aeb,l3s --limit 60      # a development run (under 2 minutes)
    python -m bench.clean_eval --sets reuters --reuters-from 1500   # the Reuters check slice, not the dev one
    python -m bench.clean_eval --sets reuters --reuters-from 3000 --reuters all   # the held-out rest of the corpus
    python -m bench.clean_eval --failures                     # also list the pages lost and what the checks count
    python -m bench.clean_eval --sets aeb,l3s --modes html    # the published days checked on every page
    python -m bench.clean_eval --sets reuters --reuters 3000  # Reuters 0-2,999, the slice before the line above
    python -m bench.clean_eval --sets aeb,l3s --timed         # raw records carry their time, as feeds' do
    python -m bench.clean_eval --sets aeb,l3s --modes fragments   # pages' first and last lines sent as text
    python -m bench.clean_eval --sets aeb,l3s --modes articles    # the annotated bodies sent as text and as body

Sets (read from ``../shared``, never copied into the repository):
- ``aeb``: the Article Extraction Benchmark, 181 pages of 2019 (``eval/aeb``).
- ``l3s``: L3S-GN1, 621 news pages of 2008 from 408 sites (``eval/l3s-gn1``). Its README lists eleven pages
  damaged in this copy (no extractor can see their article); they are left out, and the run says so.
- ``reuters``: Reuters-21578 bodies as a wire feed sends them (``corpus``): already the article, hard-wrapped,
  with tables. ``--reuters`` bodies (default 1,500; ``all``: to the end) from ``--reuters-from`` on, in file
  order, sent as ``text`` and as ``body``.

Metric for the HTML sets (AEB's own, see its README): tokenise on ``\\w+``, take the multiset of 4-token shingles
of the extracted and the annotated body, count true positives, false positives and false negatives per page;
precision and recall per page, averaged over pages; F1 is the harmonic mean of the two averages. A page the
stage rejects (dead letter) scores as an empty extraction. Each HTML set is scored in HTML mode and in page-text
mode (the page rendered to text as a tag-dropping scraper does, ``workers.clean.render``), through the stage's
full path (``workers.clean.clean_article`` on a raw record carrying the page's URL from the set's ground truth,
read for the page's day as a scraper's fetched URL is; and, as a message's time bounds the day, the end of the
set's crawl as its README gives it: ``FETCHED``). Baselines in the same run: plain
``trafilatura.extract(html, include_comments=False)`` for HTML, the whole page text for page-text mode.
"lost" counts the pages where the stage scores under 0.2 while trafilatura scores over 0.5.
Mode ``fragments``: the first and the last ``FRAGMENT_LINES`` (4 and 6) non-blank lines of each page's text, sent
as ``text`` (a page cut short, or its header or footer alone): how many the stage publishes, and how many of those
it kept whole as wire copy (``is_wire_copy``), which a page's fragment never is.

Mode ``articles``: each annotated body sent as the article itself, with no page around it (a full-text feed's
article): as ``text`` as it is, as ``text`` one paragraph per sentence (``one_sentence_a_paragraph``, as newswire
sets an article), and as ``body``; scored as the Reuters bodies are (below), a body being the article whole.

Checks, printed under each table, counted on the records the stage published in that run (``--failures`` lists
them): bodies holding a line of script or style code (``chrome.is_code``), every mode and set; in HTML mode,
unless ``--timed`` (the day is then the producer's), the published days later than the set's crawl and one day,
the first days of a month published as a day that the page does not write (``metadata.writes_day``; how many
of those published are 1 January beside it), and the days the page writes only inside its inline scripts'
comments (``comment_only_days``); for Reuters, every item English, the languages published other than ``en``
(null is the stage unsure).

Titles, printed under the checks of each mode of a set whose ground truth gives each page's headline (L3S-GN1; AEB
gives none): the published title against the headline (its subtitle, after a line break, included) by token F1 of
lower-case ``\\w+`` tokens, averaged over the pages with a headline (a null title or a dead letter scores 0);
"exact" counts titles with the headline's word sequence, "null" those published without a title, and "junk" those
published that share no word with the headline (a site's name, a section, a widget's heading); ``--failures`` lists
the junk ones.

For Reuters and mode ``articles``: words are ``\\w+`` tokens (the closing " Reuter" signature included); "kept" is
the share of all the sent words found in the outputs (each output's as a multiset), so weighted by the items'
lengths; an item "losing > 10%" kept less than nine tenths of its words.

Speed is pages per second of CPU time of this one process (the stage is single-threaded: that is per core);
rendering and scoring are not timed, nor the stage's warm-up (``workers.clean.warm_up``, which a worker runs at
start: about 3.6 s once a process).
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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

import trafilatura
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from bench.shared import SHARED
from workers.clean import CleanOptions, clean_article, is_wire_copy, latest_day, warm_up
from workers.clean.chrome import is_code
from workers.clean.metadata import without_script_comments, writes_day
from workers.clean.pagetext import unwrap
from workers.clean.render import render_page_text
from workers.records import CleanArticle, Origin, RawArticle, Rejected

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_AEB = SHARED / "eval" / "aeb"
DEFAULT_L3S = SHARED / "eval" / "l3s-gn1"
DEFAULT_REUTERS = SHARED / "corpus" / "reuters21578.jsonl.gz"
SHINGLE = 4  # tokens per shingle, as in the benchmark's evaluation
LOW, HIGH = 0.2, 0.5  # a page "lost": the stage under LOW where trafilatura is over HIGH
LOSS = 0.1  # a Reuters item "losing" more than this share of its words
MIN_WORDS_KEPT = 15  # an article (a Reuters item, an annotated body) this long must never be dead-lettered
PAGE_MODES = frozenset(["html", "text", "fragments"])  # the modes that send a set's pages (``articles``: its bodies)
FRAGMENT_LINES = (4, 6)  # mode fragments: a page's first and last lines, as many as these
# The last day each set's pages were fetched, as its README gives it (AEB: pages of 2019; L3S-GN1: a crawl of the
# first half of 2008): a raw record's message time, the latest day its page can be of (``clean.latest_day``).
FETCHED = {"aeb": date(2019, 12, 31), "l3s": date(2008, 6, 30)}
TIMED = "2008-01-01T00:00:00Z"  # --timed: the producer's time every HTML raw record carries (any valid time)
_TOKEN = re.compile(r"\w+")
# Mode articles' splitter: a break after a sentence's end (its closing quote too) that a blank and a capital (or an
# opening quote and one) follow.
_SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'\u201d\u2019]))\s+(?=[\"'\u201c\u2018]?[A-Z])")
# The README of L3S-GN1 lists these pages as damaged in this copy: no extractor can see their article.
L3S_DAMAGED = frozenset(
    [
        "082e02bd-40d9-40d2-9ab5-61cac83db2c1",
        "0bf24489-9777-4821-a156-7897a890a4cd",
        "19956250-1bc8-4f9d-b8de-8fb525e22f3c",
        "2454a2b5-a0b6-44c9-8d57-0406afc93e01",
        "26ea84f9-c814-4f3b-9aa1-8cbd14047fe4",
        "51600d8d-20a1-49a2-87f6-21aa9cb8dbed",
        "599fc2eb-b6af-4fb1-b27c-d0a93b4d8bb3",
        "954487ce-7582-4ba5-8e52-071c2c3b1fa9",
        "cb5cb16c-9a2e-4a00-9480-43cb90faac9d",
        "ce6830ee-9292-4855-be7b-c5fe64d347b2",
        "fab5142d-38ab-4086-ae11-1cf751602360",
    ]
)

Extractor = Callable[..., str | None]  # an input (and its URL, where given); None: the stage dead-lettered it
Input = TypeVar("Input")  # what a stage's records are paired with: its inputs' names, or the pages


@dataclass(frozen=True, slots=True)
class Page:
    """One annotated page: its HTML, its text as a scraper renders it, and the annotated body."""

    id: str
    html: str
    text: str
    truth: str
    url: str | None  # the URL the page was fetched from
    headline: str | None = None  # the annotated headline (L3S-GN1's; a subtitle may follow on a line of its own)


@dataclass(frozen=True, slots=True)
class Run:
    """What an extractor returned for each input, and its speed."""

    outputs: list[str | None]
    pages_per_second: float

    @property
    def rejected(self) -> int:
        """Inputs the stage dead-lettered."""
        return sum(out is None for out in self.outputs)


@dataclass(frozen=True, slots=True)
class Score:
    """Per-page precision and recall of a run against the annotated bodies."""

    pairs: list[tuple[float, float]]

    @property
    def precision(self) -> float:
        """Precision averaged over pages."""
        return sum(p for p, _ in self.pairs) / len(self.pairs)

    @property
    def recall(self) -> float:
        """Recall averaged over pages."""
        return sum(r for _, r in self.pairs) / len(self.pairs)

    @property
    def f1(self) -> float:
        """Harmonic mean of the averaged precision and recall."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def page_f1(self) -> list[float]:
        """Each page's own F1."""
        return [2 * p * r / (p + r) if p + r else 0.0 for p, r in self.pairs]


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


def load_pages(folder: Path, limit: int | None, leave_out: frozenset[str] = frozenset()) -> list[Page]:
    """A set's pages in id order, with their rendered text and annotated body."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    ids = [page_id for page_id in sorted(truth) if page_id not in leave_out][:limit]
    return [_page(folder, page_id, truth[page_id]) for page_id in ids]


def load_page(folder: Path, page_id: str) -> Page:
    """One page of a set, with its rendered text and annotated body."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    return _page(folder, page_id, truth[page_id])


def _page(folder: Path, page_id: str, truth: dict[str, str]) -> Page:
    html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8", "replace")
    return Page(
        page_id, html, render_page_text(html), truth["articleBody"], truth.get("url"), truth.get("headline") or None
    )


def load_reuters(path: Path, start: int, count: int | None) -> list[tuple[str, str]]:
    """``count`` (None: every one to the end) (id, body) pairs of the corpus's non-empty bodies, from the
    ``start``-th on, in file order."""
    bodies = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            story = json.loads(line)
            if story.get("text", "").strip():
                bodies.append((story["id"], story["text"]))
            if count is not None and len(bodies) >= start + count:
                break
    return bodies[start:]


def reuters_count(value: str) -> int | None:
    """``--reuters``: a number of bodies, or ``all`` (None: to the end of the corpus)."""
    return None if value == "all" else int(value)


class Stage:
    """The clean stage's full path on a raw record of this kind, sent on the day ``fetched`` (None: no message time)
    with the URL given beside each input: called, the text it publishes, None when it dead-letters the input; every
    record it published (None: dead-lettered) kept in ``records``, in input order, for the checks (``Checks``).

    Warmed up first, as a worker is at start (``warm_up``: dateparser's tables and py3langid's model, about 3.6 s
    once a process).
    """

    def __init__(self, kind: str, published_at: str | None = None, fetched: date | None = None) -> None:
        self.kind, self.published_at, self.options = kind, published_at, CleanOptions()
        self.origin = sent_on(fetched)
        self.records: list[CleanArticle | None] = []
        warm_up()

    def __call__(self, page: str, url: str | None = None) -> str | None:
        raw = RawArticle(
            id="eval", url=url, source="eval", title=None, published_at=self.published_at, **{self.kind: page}
        )
        try:
            record: CleanArticle | None = clean_article(raw, self.origin, self.options)
        except Rejected:
            record = None
        self.records.append(record)
        return None if record is None else record["text"]

    def paired(self, inputs: Iterable[Input]) -> list[tuple[Input, CleanArticle | None]]:
        """Each of ``inputs`` (its inputs, or their names, in order) beside the record the stage published for it."""
        return list(zip(inputs, self.records, strict=True))


def sent_on(fetched: date | None) -> Origin:
    """The origin of a raw record whose message was sent at midnight UTC of the day ``fetched`` (None: a message
    without a time, read as sent now)."""
    sent = datetime(fetched.year, fetched.month, fetched.day, tzinfo=UTC) if fetched else None
    timestamp_ms = round(sent.timestamp() * 1000) if sent else None
    return Origin(topic="eval", partition=0, offset=0, timestamp_ms=timestamp_ms)


Checks = dict[str, list[str]]  # a check's line ("days after the crawl + 1 day") and the inputs it counts


def after_crawl(pairs: Iterable[tuple[str, CleanArticle | None]], fetched: date) -> list[str]:
    """The inputs published with a day later than the last day the stage lets a page sent on the day ``fetched`` be
    of (``clean.latest_day``, the crawl's day and one more: ``workers.times``, the stage's own bound), so misread."""
    latest = latest_day(sent_on(fetched))
    return [name for name, record in pairs if (day := _day(record)) and date.fromisoformat(day) > latest]


def first_days(pairs: Iterable[tuple[Page, CleanArticle | None]]) -> list[tuple[Page, str]]:
    """The pages published with a first day of a month as a day (``published_precision`` "day"; a time of day comes
    from a meta tag with its zone, which in UTC may fall on a 1st that the page writes as the day before)."""
    return [
        (page, day)
        for page, record in pairs
        if record and record.get("published_precision") == "day" and (day := _day(record)) and day.endswith("-01")
    ]


def page_tree(page: Page) -> HtmlElement:
    """The page's HTML parsed, as the stage parses it."""
    return load_html(page.html)


def parsed_once(pages: Iterable[Page]) -> Callable[[Page], HtmlElement]:
    """``page_tree``, each of ``pages`` parsed once however often it is read (the first days, which both day checks
    read), any other page when it is read (held no longer: a set's trees together take hundreds of MB)."""
    trees = {page.id: page_tree(page) for page in pages}
    return lambda page: trees[page.id] if page.id in trees else page_tree(page)


def unwritten_first_days(
    found: Iterable[tuple[Page, str]], tree: Callable[[Page], HtmlElement] = page_tree
) -> list[str]:
    """The pages among ``first_days`` that do not write their first day (``metadata.writes_day``, read on the
    whole page, its scripts' comments included): htmldate's reading of a year or a month alone. ``tree``: a page's
    tree (``parsed_once``)."""
    return [page.id for page, day in found if not writes_day(tree(page), page.url, day)]


def comment_only_days(
    pairs: Iterable[tuple[Page, CleanArticle | None]], tree: Callable[[Page], HtmlElement] = page_tree
) -> list[str]:
    """The pages published with a day that they write (``metadata.writes_day``: in English or digits, in their text,
    scripts, attributes or URL) only inside their inline scripts' comments: written on the whole page, not once
    ``metadata.without_script_comments`` sets the comments aside (a note "//2007-10-15: Benton" of an ad channel's,
    no day of the article's). Cheap (the page parsed again, one search of its text twice) and honest within
    ``writes_day``'s forms: a day a comment writes in another form is not counted, and one written outside the
    comments only in another form is. ``tree``: a page's tree (``parsed_once``)."""
    found = []
    for page, record in pairs:
        if (day := _day(record)) and writes_day(parsed := tree(page), page.url, day):
            with without_script_comments(parsed):
                if not writes_day(parsed, page.url, day):
                    found.append(page.id)
    return found


def other_languages(pairs: Iterable[tuple[str, CleanArticle | None]], language: str) -> list[str]:
    """The inputs published with a language other than ``language``, the set's one (null is the stage unsure, no
    wrong language)."""
    return [name for name, record in pairs if record and record["language"] not in (None, language)]


def code_bodies(pairs: Iterable[tuple[str, CleanArticle | None]]) -> list[str]:
    """The inputs published with a line of script or style code in their text (``chrome.is_code``, the test by
    which the stage drops such lines wherever they stand)."""
    return [name for name, record in pairs if record and any(map(is_code, record["text"].splitlines()))]


def _day(record: CleanArticle | None) -> str | None:
    """The published day (``YYYY-MM-DD``, UTC) of a record, None without one."""
    return record["published_at"][:10] if record and record["published_at"] else None


def token_f1(expected: str, found: str | None) -> float:
    """F1 of the multisets of lower-case ``\\w+`` tokens of two texts; 0 when they share none (a null text too)."""
    wanted, got = Counter(_words_of(expected)), Counter(_words_of(found))
    shared = sum((wanted & got).values())
    return 2 * shared / (sum(wanted.values()) + sum(got.values())) if shared else 0.0


def _words_of(text: str | None) -> list[str]:
    return _TOKEN.findall((text or "").lower())


def print_titles(label: str, pairs: list[tuple[Page, CleanArticle | None]], failures: bool) -> None:
    """The published titles against the annotated headlines, for a set that has them: mean token F1 (``token_f1``;
    a null title or a dead letter scores 0), exact (the same lower-case word sequence), null, and junk (published
    yet sharing no word with the headline); with ``failures``, each junk title beside its headline."""
    scored = [(page, title, token_f1(page.headline or "", title)) for page, title in _titles(pairs)]
    if not scored:
        return
    junk = [(page, title) for page, title, f1 in scored if title is not None and f1 == 0]
    exact = sum(_words_of(title) == _words_of(page.headline) for page, title, _ in scored)
    print(
        f"\ntitles, {label}: mean token F1 {sum(f1 for *_, f1 in scored) / len(scored):.3f}; exact {exact}; "
        f"null {sum(title is None for _, title, _ in scored)}; junk {len(junk)} (of {len(scored)})"
    )
    for page, title in junk if failures else ():
        print(f"  junk title: {page.id} {title!r}, headline {page.headline!r}")


def _titles(pairs: list[tuple[Page, CleanArticle | None]]) -> list[tuple[Page, str | None]]:
    """Each page with a headline beside the title published for it (None: none, or dead-lettered)."""
    return [(page, record["title"] if record else None) for page, record in pairs if page.headline]


def print_checks(label: str, checks: Checks, failures: bool) -> None:
    """One line of the checks' counts; with ``failures``, the inputs each counts."""
    print(f"\nchecks, {label}: " + "; ".join(f"{line} {len(names)}" for line, names in checks.items()))
    for line, names in checks.items() if failures else ():
        if names:
            print(f"  {line}: {' '.join(names)}")


def html_checks(pages: list[Page], records: list[CleanArticle | None], fetched: date, timed: bool) -> Checks:
    """The HTML mode's checks: script code, and (unless the records carried the producer's time) the published
    days against the crawl and the page."""
    pairs = list(zip(pages, records, strict=True))
    named = [(page.id, record) for page, record in pairs]
    checks = {"bodies with script code": code_bodies(named)}
    if timed:
        return checks
    firsts = first_days(pairs)
    tree = parsed_once(page for page, _ in firsts)
    return {
        **checks,
        "days after the crawl + 1 day": after_crawl(named, fetched),
        f"first days of a month the page does not write (of {len(firsts)} published, "
        f"{sum(day.endswith('-01-01') for _, day in firsts)} of them 1 January)": unwritten_first_days(firsts, tree),
        "days only a script's comment gives": comment_only_days(pairs, tree),
    }


def trafilatura_baseline(html: str) -> str:
    """Plain trafilatura with comments excluded, the published baseline."""
    return trafilatura.extract(html, include_comments=False) or ""


def run(extract: Extractor, inputs: Iterable[str], urls: Iterable[str | None] | None = None) -> Run:
    """Run an extractor over every input (with its URL, when ``urls`` are given), timed on CPU."""
    sent = zip(inputs, urls, strict=True) if urls is not None else ((page,) for page in inputs)
    started = time.process_time()
    outputs = [extract(*args) for args in sent]
    elapsed = time.process_time() - started
    return Run(outputs, len(outputs) / elapsed if elapsed else float("inf"))


def score(result: Run, truths: list[str]) -> Score:
    """Precision and recall of every output against its annotated body."""
    return Score([document_scores(truth, out or "") for truth, out in zip(truths, result.outputs, strict=True)])


def row(name: str, result: Run, scored: Score, baseline: Score | None = None) -> str:
    """One line of an HTML set's table."""
    low = sum(f < LOW for f in scored.page_f1())
    lost = "" if baseline is None else str(_lost(scored, baseline))
    return (
        f"| {name} | {scored.precision:.3f} | {scored.recall:.3f} | {scored.f1:.3f} | {low} | {lost} "
        f"| {result.rejected} | {result.pages_per_second:,.0f} |"
    )


def _lost(scored: Score, baseline: Score) -> int:
    return sum(f < LOW and b > HIGH for f, b in zip(scored.page_f1(), baseline.page_f1(), strict=True))


def evaluate_pages(
    name: str, pages: list[Page], modes: list[str], failures: bool, published_at: str | None, fetched: date
) -> None:
    """Both modes of one annotated set, with their baselines, as a Markdown table; the raw records carry
    ``published_at`` (None: the stage looks for the page's day), the HTML ones their page's URL, sent on the day
    ``fetched``."""
    truths = [page.truth for page in pages]
    print(f"\n### {name}: {len(pages)} pages\n")
    print("| mode | precision | recall | F1 | pages < 0.2 | lost | dead letters | pages/s per core |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    base_run = run(trafilatura_baseline, [p.html for p in pages])
    base_score = score(base_run, truths)
    if "html" in modes:
        html_stage = Stage("html", published_at, fetched)
        html_run = run(html_stage, [p.html for p in pages], [p.url for p in pages])
        html_score = score(html_run, truths)
        print(row("HTML: clean stage", html_run, html_score, base_score))
        _print_failures("HTML", pages, html_score, base_score, failures)
    print(row("HTML: trafilatura default (baseline)", base_run, base_score))
    if "text" in modes:
        text_stage = Stage("text")
        text_run, whole = run(text_stage, [p.text for p in pages]), run(lambda text: text, [p.text for p in pages])
        text_score = score(text_run, truths)
        print(row("page text: clean stage", text_run, text_score, base_score))
        _print_failures("page text", pages, text_score, base_score, failures)
        print(row("page text: whole page (baseline)", whole, score(whole, truths)))
    if "html" in modes:
        print_checks("HTML", html_checks(pages, html_stage.records, fetched, published_at is not None), failures)
        print_titles("HTML", html_stage.paired(pages), failures)
    if "text" in modes:
        named = text_stage.paired(page.id for page in pages)
        print_checks("page text", {"bodies with script code": code_bodies(named)}, failures)
        print_titles("page text", text_stage.paired(pages), failures)
    if "fragments" in modes:
        evaluate_fragments(pages, failures)


def fragments(text: str) -> list[str]:
    """The first and the last ``FRAGMENT_LINES`` non-blank lines of a page's text."""
    lines = [line for line in text.splitlines() if line.strip()]
    return ["\n".join(part) for size in FRAGMENT_LINES for part in (lines[:size], lines[-size:])]


def evaluate_fragments(pages: list[Page], failures: bool) -> None:
    """Pages' fragments sent as ``text``: how many the stage publishes, and how many of those it kept whole."""
    named = [(f"{page.id} {place}", fragment) for page in pages for place, fragment in enumerate(fragments(page.text))]
    texts = [text for _, text in named]
    fragment_stage = Stage("text")
    published = [text for text, out in zip(texts, run(fragment_stage, texts).outputs, strict=True) if out is not None]
    whole = [text for text in published if is_wire_copy(unwrap(text.splitlines()), text.splitlines())]
    sizes = " and ".join(map(str, FRAGMENT_LINES))
    print(
        f"\nfragments (first and last {sizes} lines): {len(texts)}; published {len(published)}; kept whole {len(whole)}"
    )
    for text in whole if failures else []:
        print(f"  kept whole: {text[:120]!r}")
    records = fragment_stage.paired(name for name, _ in named)
    print_checks("fragments", {"bodies with script code": code_bodies(records)}, failures)


def _print_failures(mode: str, pages: list[Page], scored: Score, base_score: Score, failures: bool) -> None:
    """With ``--failures``: the pages lost (under 0.2 where trafilatura is over 0.5), with trafilatura's score."""
    pairs = zip(scored.page_f1(), base_score.page_f1(), strict=True)
    for page, (page_f1, base_f1) in zip(pages, pairs, strict=True):
        if failures and page_f1 < LOW < HIGH < base_f1:
            print(f"  lost in {mode}: {page.id} scores {page_f1:.2f}, trafilatura {base_f1:.2f}")


def kept_share(sent: str, out: str | None) -> float:
    """The share of the sent words found in the output, as multisets of ``\\w+`` tokens."""
    sent_words = Counter(_TOKEN.findall(sent))
    total = sum(sent_words.values())
    return sum((sent_words & Counter(_TOKEN.findall(out or ""))).values()) / total if total else 1.0


@dataclass(frozen=True, slots=True)
class Form:
    """How a table's inputs are sent: as which raw field (``kind``), each ``prepared`` first; ``label``: its row."""

    label: str
    kind: str
    prepared: Callable[[str], str] = str


def one_sentence_a_paragraph(text: str) -> str:
    """The text set as newswire sets it, one paragraph per sentence, blank lines between them: each line split after a
    full stop, question or exclamation mark (and its closing quote) that a blank and a capital follow (an opening quote
    before the capital allowed). Simple on purpose: it splits after "Mr." or "U.S." too, and not before a sentence
    opening in lower case, with a figure or in another script."""
    return "\n\n".join(part for line in text.splitlines() for part in _SENTENCE_BREAK.split(line.strip()) if part)


REUTERS_FORMS = (Form("text", "text"), Form("body", "body"))
# Mode articles: an annotated body sent as the article itself, as text as it is, as text one paragraph per sentence,
# and in the field for an article sent whole.
ARTICLE_FORMS = (
    Form("text", "text"),
    Form("text, a sentence a paragraph", "text", one_sentence_a_paragraph),
    Form("body", "body"),
)

Named = list[tuple[str, CleanArticle | None]]  # each input's name beside the record published for it


def kept_words(items: list[tuple[str, str]], forms: Iterable[Form], failures: bool) -> dict[str, Named]:
    """Articles (id, text) sent in each of ``forms``: a table of what is dead-lettered (of them ``MIN_WORDS_KEPT``
    words or more), the words kept and the items losing more than ``LOSS`` of theirs; each form's records by its
    label, for the checks."""
    print("| sent as | dead letters | of them 15+ words | words kept | items losing > 10% | items/s per core |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    records: dict[str, Named] = {}
    for form in forms:
        texts = [form.prepared(text) for _, text in items]
        stage = Stage(form.kind)
        result = run(stage, texts)
        words = [len(_TOKEN.findall(text)) for text in texts]
        shares = [kept_share(text, out) for text, out in zip(texts, result.outputs, strict=True)]
        kept = sum(share * count for share, count in zip(shares, words, strict=True))
        sent = [(item_id, out, count) for (item_id, _), out, count in zip(items, result.outputs, words, strict=True)]
        long_rejected = [item_id for item_id, out, count in sent if out is None and count >= MIN_WORDS_KEPT]
        losing = [item_id for (item_id, _), share in zip(items, shares, strict=True) if share < 1 - LOSS]
        print(
            f"| {form.label} | {result.rejected} | {len(long_rejected)} | {kept / max(1, sum(words)):.2%} "
            f"| {len(losing)} | {result.pages_per_second:,.0f} |"
        )
        if failures:
            print(f"  {form.label}: dead-lettered {long_rejected}; losing {losing}")
        records[form.label] = stage.paired(item_id for item_id, _ in items)
    return records


def evaluate_reuters(bodies: list[tuple[str, str]], failures: bool) -> None:
    """Reuters bodies sent as ``text`` and as ``body``: what is dead-lettered, what is kept."""
    print(f"\n### Reuters bodies as a feed sends them: {len(bodies)} items\n")
    for label, named in kept_words(bodies, REUTERS_FORMS, failures).items():
        found = {"languages other than en": other_languages(named, "en"), "bodies with script code": code_bodies(named)}
        print_checks(f"sent as {label}", found, failures)


def evaluate_articles(name: str, pages: list[Page], failures: bool) -> None:
    """A set's annotated bodies sent as the article itself (``ARTICLE_FORMS``): what is dead-lettered, what is kept."""
    print(f"\n### {name}: its {len(pages)} annotated bodies sent as the article itself\n")
    for label, named in kept_words([(page.id, page.truth) for page in pages], ARTICLE_FORMS, failures).items():
        print_checks(f"sent as {label}", {"bodies with script code": code_bodies(named)}, failures)


def main(argv: list[str] | None = None) -> int:
    """Score the chosen sets; print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="aeb,l3s,reuters", help="comma-separated: aeb, l3s, reuters")
    parser.add_argument(
        "--modes",
        default="html,text",
        help="modes of the HTML sets: html, text (page text), fragments, articles (the annotated bodies sent whole)",
    )
    parser.add_argument("--limit", type=int, default=None, help="score only the first N pages of each HTML set")
    parser.add_argument("--aeb", type=Path, default=DEFAULT_AEB, help="AEB's folder")
    parser.add_argument("--l3s", type=Path, default=DEFAULT_L3S, help="L3S-GN1's folder")
    parser.add_argument("--reuters-path", type=Path, default=DEFAULT_REUTERS, help="the Reuters corpus file")
    parser.add_argument("--reuters", type=reuters_count, default=1500, help="how many Reuters bodies (all: to the end)")
    parser.add_argument("--reuters-from", type=int, default=0, help="skip this many Reuters bodies first")
    parser.add_argument("--failures", action="store_true", help="list the pages and items the stage loses")
    parser.add_argument("--timed", action="store_true", help="HTML raw records carry a published_at, as feeds' do")
    args = parser.parse_args(argv)
    sets, modes = args.sets.split(","), args.modes.split(",")
    published_at = TIMED if args.timed else None
    html_sets = (
        ("aeb", f"AEB ({args.aeb})", args.aeb, frozenset[str]()),
        ("l3s", f"L3S-GN1 ({args.l3s}; the README's {len(L3S_DAMAGED)} damaged pages left out)", args.l3s, L3S_DAMAGED),
    )
    for key, name, folder, damaged in html_sets:
        if key not in sets:
            continue
        pages = load_pages(folder, args.limit, damaged)
        if PAGE_MODES & set(modes):
            evaluate_pages(name, pages, modes, args.failures, published_at, FETCHED[key])
        if "articles" in modes:
            evaluate_articles(name, pages, args.failures)
    if "reuters" in sets:
        evaluate_reuters(load_reuters(args.reuters_path, args.reuters_from, args.reuters), args.failures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
