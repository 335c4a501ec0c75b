"""Score the dedup stage on real syndicated copies: the pages of AEB and L3S-GN1, cleaned and deduplicated as the
workers do, against hand labels of which pages are one story.

    python -m bench.dedup_real                 # both runs, with every wrong merge and split explained
    python -m bench.dedup_real --runs html     # every page sent as its HTML only

``bench.dedup_eval``'s dev set is generated; this set is not. L3S-GN1 (Google News pages of December 2007 and January
2008 from 408 sites) holds real wire copies that several outlets ran, cuts and write-throughs of them, and reports
of one event written apart; AEB (pages of 2019) a few of the latter. ``bench/data/dedup_real_labels.tsv`` labels the
pairs of pages that may be one story (how they were found and the rule they were labelled by are at its top); every
page in no pair labelled "same" is a story of its own. The eleven L3S-GN1 pages its README lists as damaged (no
extractor sees their article) are left out, and the run says which labelled pairs that drops.

Each run is the chain the workers run (``workers.pipeline``), without Kafka: ``CleanStage`` on each page's raw record
(its URL, its site as the source, sent at midnight of its set's last crawl day, ``bench.clean_eval.FETCHED``), then
``DedupStage`` on the clean records in event-time order (each page's published time as the clean stage found it,
else its message's time: the crawl's end), its cluster outputs applied as the workers apply them
(``apply_cluster_output``): an article's story is the cluster record that lists it. Run ``html`` sends every page as
its HTML; run ``cross-kind`` sends, of each labelled story of several pages, the page with the longest annotated body
as that body (a ``body`` record, as a wire feed sends its story, carrying the event time its page had in the first
run), and the others as their HTML. A page the clean stage dead-letters is a cluster of its own.

Printed per run: pairwise precision, recall and F1 and the Adjusted Rand Index against the labels, of the stage and
of the baseline (plain MinHash LSH on Jaccard >= 0.7, ``bench.dedup_eval.run_baseline``) on the same clean texts in
the same order; then every wrong merge and wrong split of the stage, with both pages' words (clean text), the
clean stage's precision on each (the share of its text's 4-token shingles in the annotated body: what the cleaner
left in), the time between them, the label's reason, and the decision on the two alone (``explain``).
"""

from __future__ import annotations

import argparse
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from sklearn.metrics import adjusted_rand_score

from bench.clean_eval import DEFAULT_AEB, DEFAULT_L3S, FETCHED, L3S_DAMAGED, document_scores, load_pages, sent_on
from bench.dedup_eval import Document, run_baseline
from bench.dedup_fit import RecordingIndex
from workers import codec
from workers.clean.normalize import content_hash
from workers.dedup import DedupOptions, event_time
from workers.dedup.decision import FEATURES
from workers.dedup.sketch import Sketcher
from workers.pipeline import (
    CLUSTER_TABLE_OUTPUTS,
    CleanStage,
    DedupStage,
    Message,
    apply_cluster_output,
    dedup_options,
)
from workers.records import CleanArticle
from workers.settings import Settings
from workers.times import received_at, utc_text

LABELS = Path(__file__).resolve().parent / "data" / "dedup_real_labels.tsv"
FOLDERS = {"aeb": DEFAULT_AEB, "l3s": DEFAULT_L3S}
CHUNK = 256  # clean records decided together, as ``enrich process`` does
RUNS = ("html", "cross-kind")


@dataclass(frozen=True, slots=True)
class Label:
    """One labelled pair of pages (``set:id`` each) and why."""

    first: str
    second: str
    same: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Sent:
    """One page as a raw record is sent: its key (``set:id``), its kind of input and what it carries."""

    key: str
    kind: str  # "html" or "body"
    page: str
    url: str | None
    truth: str  # the annotated body
    published_at: str | None = None


@dataclass(frozen=True, slots=True)
class Result:
    """What the chain made of one page: its clean text and event time (None: dead-lettered) and its story's
    cluster."""

    key: str
    text: str | None
    at: float | None
    cluster: str
    dated: bool = False  # the clean stage found the page's published time (else its event time is the crawl's end)


@dataclass(frozen=True, slots=True)
class Score:
    """Pairwise precision and recall, ARI, and the pairs merged and split against the labels."""

    precision: float
    recall: float
    ari: float
    merged: list[tuple[str, str]]  # pairs of two stories in one cluster
    split: list[tuple[str, str]]  # pairs of one story in two clusters

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def line(self) -> str:
        return (
            f"precision {self.precision:.4f}  recall {self.recall:.4f}  F1 {self.f1:.4f}  ARI {self.ari:.4f}  "
            f"(pairs merged wrongly {len(self.merged)}, split wrongly {len(self.split)})"
        )


def read_labels(path: Path = LABELS) -> list[Label]:
    """The labelled pairs of a labels file (``#`` lines are its notes)."""
    labels = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            first, second, label, reason = line.split("\t")
            if label not in ("same", "different"):
                raise ValueError(f"a label is 'same' or 'different', not {label!r}: {line}")
            labels.append(Label(first, second, label == "same", reason))
    return labels


def stories(keys: Iterable[str], labels: Iterable[Label]) -> dict[str, str]:
    """Each page's story (the least key of the pages joined to it by "same" pairs, through any chain of them); a
    "different" pair inside one story so made is an error in the labels."""
    story = {key: key for key in keys}

    def root(key: str) -> str:
        while story[key] != key:
            key = story[key]
        return key

    labels = list(labels)
    for label in (lab for lab in labels if lab.same and lab.first in story and lab.second in story):
        low, high = sorted((root(label.first), root(label.second)))
        story[high] = low
    for label in (lab for lab in labels if not lab.same and lab.first in story and lab.second in story):
        if root(label.first) == root(label.second):
            raise ValueError(f"{label.first} and {label.second} are labelled different but are one story")
    return {key: root(key) for key in story}


def score(truth: Mapping[str, str], predicted: Mapping[str, str]) -> Score:
    """Pairwise precision, recall and ARI of the clusters ``predicted`` against the stories ``truth`` (both keyed by
    page), and the pairs wrong each way, sorted."""
    keys = sorted(truth)
    merged = [pair for pair in _pairs(keys, predicted) if truth[pair[0]] != truth[pair[1]]]
    split = [pair for pair in _pairs(keys, truth) if predicted[pair[0]] != predicted[pair[1]]]
    true_pairs, predicted_pairs = _count_pairs(truth, keys), _count_pairs(predicted, keys)
    hits = predicted_pairs - len(merged)
    return Score(
        precision=hits / predicted_pairs if predicted_pairs else 1.0,
        recall=hits / true_pairs if true_pairs else 1.0,
        ari=adjusted_rand_score([truth[k] for k in keys], [predicted[k] for k in keys]),
        merged=merged,
        split=split,
    )


def _pairs(keys: list[str], groups: Mapping[str, str]) -> list[tuple[str, str]]:
    """The pairs of ``keys`` in one group, each in key order."""
    members: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        members[groups[key]].append(key)
    return [pair for group in members.values() for pair in itertools.combinations(group, 2)]


def _count_pairs(groups: Mapping[str, str], keys: list[str]) -> int:
    return sum(n * (n - 1) // 2 for n in Counter(groups[k] for k in keys).values())


def load() -> dict[str, Sent]:
    """Every page of the two sets but the damaged ones, as HTML records, keyed ``set:id``."""
    pages = {}
    for name, folder in FOLDERS.items():
        for page in load_pages(folder, None, L3S_DAMAGED if name == "l3s" else frozenset()):
            pages[f"{name}:{page.id}"] = Sent(f"{name}:{page.id}", "html", page.html, page.url, page.truth)
    return pages


def cross_kind(pages: dict[str, Sent], truth: Mapping[str, str], html_run: list[Result]) -> dict[str, Sent]:
    """``pages`` with the page of longest annotated body of each story of several pages sent as that body, carrying
    the event time its page had in ``html_run``."""
    members: dict[str, list[str]] = defaultdict(list)
    for key in sorted(pages):
        members[truth[key]].append(key)
    times = {result.key: result.at for result in html_run}
    sent = dict(pages)
    for group in (g for g in members.values() if len(g) > 1):
        key = max(group, key=lambda k: (len(pages[k].truth.split()), k))
        at = times[key]
        published = None if at is None else utc_text(datetime.fromtimestamp(at, UTC), "seconds")
        sent[key] = replace(pages[key], kind="body", page=pages[key].truth, published_at=published)
    return sent


def run_chain(pages: Iterable[Sent], settings: Settings) -> list[Result]:
    """The clean stage, then the dedup stage in event-time order, as ``enrich process`` runs them; each page's
    result, in event-time order (dead letters last)."""
    clean, messages = CleanStage(settings), [_message(n, sent) for n, sent in enumerate(pages)]
    cleaned, rejected = [], []
    for start in range(0, len(messages), CHUNK):
        chunk = messages[start : start + CHUNK]
        for message, outputs in zip(chunk, clean.process(chunk), strict=True):
            if outputs[0].destination == "clean":
                cleaned.append(outputs[0].record)
            else:
                rejected.append(codec.loads(message.payload)["id"])
    cleaned.sort(key=_event_time)
    clusters = _dedup(cleaned, settings)
    results = [
        Result(a["id"], a["text"], _event_time(a), clusters.get(a["id"], a["id"]), a["published_at"] is not None)
        for a in cleaned
    ]
    return results + [Result(key, None, None, key) for key in rejected]


def _message(offset: int, sent: Sent) -> Message:
    """The raw record of a page, sent at midnight of its set's last crawl day (its site as the source)."""
    raw = {"id": sent.key, "url": sent.url, "source": _site(sent.url), "published_at": sent.published_at}
    origin = {**sent_on(FETCHED[sent.key.split(":")[0]]), "offset": offset}
    return Message(codec.dumps({**raw, sent.kind: sent.page}), origin)


def _event_time(article: CleanArticle) -> float:
    """The event time ``DedupStage`` gives the article (its bound, the message's time and a day, the clean stage
    already keeps a page's day within)."""
    return event_time(article["published_at"], received_at(article["origin"]))


def _site(url: str | None) -> str:
    """The page's host as its source, as a scraper names the outlet."""
    return (urlsplit(url).hostname or "unknown") if url else "unknown"


def _dedup(articles: list[CleanArticle], settings: Settings) -> dict[str, str]:
    """The dedup stage's story view of ``articles``: each id and the cluster whose record lists it."""
    stage, table = DedupStage(settings), {}
    for start in range(0, len(articles), CHUNK):
        chunk = articles[start : start + CHUNK]
        messages = [Message(codec.dumps(article), article["origin"]) for article in chunk]
        for output in (o for group in stage.process(messages) for o in group):
            if output.destination in CLUSTER_TABLE_OUTPUTS:
                apply_cluster_output(table, output)
    return {member["id"]: cluster for cluster, record in table.items() for member in record["members"]}


def baseline(results: list[Result]) -> dict[str, str]:
    """The baseline's clusters of the same clean texts in the same order (dead letters each its own)."""
    kept = [r for r in results if r.text is not None]
    docs = [Document(r.key, r.text or "", 0, "story", r.at or 0.0) for r in kept]
    return {r.key: r.key for r in results} | dict(zip((r.key for r in kept), run_baseline(docs), strict=True))


def explain(first: Result, second: Result, options: DedupOptions) -> str:
    """The decision on the two articles alone, the earlier decided first, at their own times and, when they are
    apart, at one time (whether time is what keeps them apart)."""
    at_times = _decide_pair(first, second, options, same_time=False)
    if first.at == second.at:
        return at_times
    return f"{at_times}; at one time: {_decide_pair(first, second, options, same_time=True)}"


def _decide_pair(first: Result, second: Result, options: DedupOptions, same_time: bool) -> str:
    kind, features = pair_decision(first, second, options, same_time)
    earlier, later = sorted((first, second), key=lambda r: (r.at or 0.0, r.key))
    if features is not None:
        probability = float(options.model.probability(np.array([features]))[0])
        shown = (f"{name} {value:.2f}" for name, value in zip(FEATURES, features, strict=True) if value)
        return f"{kind}, probability {probability:.3f} ({', '.join(shown)})"
    if not same_time and abs((later.at or 0.0) - (earlier.at or 0.0)) > options.window_seconds:
        return f"{kind}: not scored, more than the window ({options.window_seconds / 86400:g} days) apart"
    return f"{kind}: not scored, no candidate route ({routes(earlier.text or '', later.text or '', options)})"


def pair_decision(
    first: Result, second: Result, options: DedupOptions, same_time: bool = False
) -> tuple[str, list[float] | None]:
    """The later article's decision (its kind) with only the earlier one held, at their own times or (``same_time``)
    both at the earlier's, and the features of the pair if the index scored it (None: no candidate, or the window
    had let the earlier go)."""
    earlier, later = sorted((first, second), key=lambda r: (r.at or 0.0, r.key))
    index = RecordingIndex(options, {earlier.key: 0, later.key: 0})
    for result in (earlier, later):
        at = (earlier.at if same_time else result.at) or 0.0
        decision, _ = index.decide(result.key, content_hash(result.text or ""), result.text or "", at)
    return decision.kind, index.features[-1] if index.features else None


def scored_apart(results: Mapping[str, Result], labels: list[Label], options: DedupOptions) -> list[str]:
    """The pairs labelled different that the decision scores when decided alone at their own times, most likely
    first: how near the real set's same-event reports come to a merge."""
    found = []
    for label in (lab for lab in labels if not lab.same and lab.first in results and lab.second in results):
        first, second = results[label.first], results[label.second]
        if first.text is not None and second.text is not None:
            _, features = pair_decision(first, second, options)
            if features is not None:
                probability = float(options.model.probability(np.array([features]))[0])
                found.append((probability, f"{first.key[:12]} and {second.key[:12]} {probability:.3f}"))
    return [line for _, line in sorted(found, reverse=True)]


def routes(text: str, other: str, options: DedupOptions) -> str:
    """What the LSH routes see of two texts: the share of equal signature values (the estimated Jaccard), the bands
    of the whole signature both fall in, the lead keys equal."""
    sketches = Sketcher(options.num_perm, options.shingle_words).sketch_many([text, other])
    mine, theirs = sketches[0], sketches[1]
    equal = mine.signature == theirs.signature
    rows = options.num_perm // options.bands
    bands = sum(bool(equal[band * rows : (band + 1) * rows].all()) for band in range(options.bands))
    leads = int((mine.lead == theirs.lead).sum())
    return f"Jaccard about {equal.mean():.2f}, {bands} of {options.bands} bands, {leads} of {len(mine.lead)} lead keys"


def describe(first: Result, second: Result, sent: Mapping[str, Sent], why: str) -> list[str]:
    """Lines on one wrong pair: each page's kind, words and the clean stage's precision, the time apart, why."""

    def page(result: Result) -> str:
        kind = sent[result.key].kind
        if result.text is None:
            return f"{result.key[:12]} ({kind}, dead-lettered)"
        precision, _ = document_scores(sent[result.key].truth, result.text)
        return f"{result.key[:12]} ({kind}, {len(result.text.split())} words, clean precision {precision:.2f})"

    apart = "" if first.at is None or second.at is None else f", {abs(first.at - second.at) / 3600:.1f} h apart"
    return [f"  {page(first)} and {page(second)}{apart}", f"    {why}"]


def report(name: str, sent: dict[str, Sent], results: list[Result], truth: Mapping[str, str], labels: list[Label]):
    """Print one run's scores, the stage's and the baseline's, and the stage's wrong pairs explained."""
    stage = score(truth, {r.key: r.cluster for r in results})
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(Counter(s.kind for s in sent.values()).items()))
    print(
        f"\n## run {name}: {len(results)} pages ({kinds}), {sum(r.text is None for r in results)} dead-lettered, "
        f"{sum(r.dated for r in results)} with a published time (the clean stage's, or a body's from the first run), "
        "the others at their set's crawl end"
    )
    print(f"  dedup stage (the workers' chain)        {stage.line()}")
    print(f"  baseline (MinHash LSH, Jaccard >= 0.7)  {score(truth, baseline(results)).line()}")
    reasons = {frozenset((lab.first, lab.second)): lab.reason for lab in labels}
    by_key, options = {r.key: r for r in results}, dedup_options(Settings())
    near = scored_apart(by_key, labels, options)
    print(f"  pairs labelled different that the decision scores alone: {len(near)}: {', '.join(near) or 'none'}")
    for title, pairs in (("merged wrongly", stage.merged), ("split wrongly", stage.split)):
        print(f"  {title}: {len(pairs)}")
        for first, second in (tuple(by_key[key] for key in pair) for pair in pairs):
            reason = reasons.get(frozenset((first.key, second.key)), "not labelled: no candidate pair of the labels")
            decided = "dead-lettered" if None in (first.text, second.text) else explain(first, second, options)
            print("\n".join(describe(first, second, sent, f"label: {reason}; decision: {decided}")))


def main(argv: list[str] | None = None) -> None:
    """Run the chosen runs and print their scores."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", choices=RUNS, default=list(RUNS), help="which runs (default: both)")
    args = parser.parse_args(argv)
    labels = read_labels()
    pages = load()
    truth = stories(pages, labels)
    dropped = [lab for lab in labels if lab.same and not {lab.first, lab.second} <= pages.keys()]
    print(
        f"{len(pages)} pages, {len(labels)} labelled pairs ({sum(lab.same for lab in labels)} same), "
        f"{len(set(truth.values()))} stories; same pairs left out with a damaged page: "
        f"{', '.join(f'{lab.first} {lab.second}' for lab in dropped) or 'none'}"
    )
    settings = Settings()
    html_run = run_chain(pages.values(), settings)
    if "html" in args.runs:
        report("html", pages, html_run, truth, labels)
    if "cross-kind" in args.runs:
        sent = cross_kind(pages, truth, html_run)
        report("cross-kind", sent, run_chain(sent.values(), settings), truth, labels)


if __name__ == "__main__":
    main()
