"""Score the dedup index on a dev set of real bodies with scripted syndication edits and hard negatives.

    python -m bench.dedup_eval                       # fitting seeds 1-4 and held-out seeds 7, 11, 13, 17
    python -m bench.dedup_eval --seeds 7 --by-kind   # one seed, with the scores per kind and length
    python -m bench.dedup_eval --arrival-delay 0 2   # in event-time order, then arriving out of it (mean 2 hours)

The dev set is labelled by construction: one cluster per base story, holding the base and the copies made from
it with the edits in ``bench/syndication.py``, at event times a few minutes to two days after it (one in seven
before it). A copy is either a lead copy (the first one to three paragraphs, often retitled, given a dateline,
rewrapped, wrapped or lightly edited) or a whole copy with one to three edits (a trim, boilerplate, a dateline,
new paragraph breaks, word edits, an update). Bases: AEB hand-marked bodies and Reuters stories at their real
wire times; the hard negatives, singletons unless copied: Reuters earnings and dividend stories and the short
wire briefs (tables) from ``../shared/corpus``, hundreds from a few templates; the corpus's recurring items
(the same template on another day with other figures, kept as stories of their own); scripted daily items in
fractions and number words (the Fed's repurchase round, a refiner's price notice) on consecutive days; scripted
sports results, weather reports and market closes, a template each, bunched on a few days; and separately written
Reuters stories on the same companies and events.

A story the corpus holds twice is one base (``distinct``): sent again with most of its text or its figures, or, a
company's results table, under a title naming the same company's same period within the index's window (a
correction, the operating figures in place of the net ones: ``bench.wire_reports``).

Fitting seeds draw their bases from one half of the corpus and of AEB (split on a hash of the story id), held-out
seeds from the other half, so the decision's weights (``bench/dedup_fit.py``) are checked on stories they never
saw. Printed per seed: pairwise precision, recall, F1 and the Adjusted Rand Index of the index (clusters merged as
the clusters topic shows them) and of the baseline (plain MinHash LSH on Jaccard >= 0.7, the walking skeleton's
method) on the same documents, and the false merges of templated, recurring and same-event stories; then, pooled
over each group of seeds, precision, recall and ARI per kind of document and per length bucket.

Articles are decided in event-time order by default. Real feeds deliver them out of it (a scraper sees a page hours
after it ran, a feed is polled again late, a partition lags): with ``--arrival-delay HOURS`` each article arrives at
its event time plus a delay drawn from an exponential distribution of that mean (one in 20 arrives three means late
or more), and the articles are decided in arrival order, with their event times unchanged (``arrival_order``). A copy
then often arrives before its story, and a story after copies made from it; the index evicts by the newest event time
it has seen, so a late article finds those of the window that are still held.
"""

from __future__ import annotations

import argparse
import functools
import math
import random
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from rensa import RMinHash, RMinHashLSH
from sklearn.metrics import adjusted_rand_score

from bench import syndication
from bench.wire_reports import Report, report_of
from workers.clean.normalize import content_hash
from workers.dedup import Decision, DedupIndex, DedupOptions
from workers.settings import setting_default

FIT_SEEDS = (1, 2, 3, 4)
HELD_OUT_SEEDS = (7, 11, 13, 17)
RESENT_FIGURES = 0.8  # a same-day story of the same company holding this share of another's figures re-sends it
RESEND_CONTAINMENT = 0.5  # bases sharing this much of their exact shingles are one story re-sent, or a recurring item
# A company's results table naming the period of an earlier one re-sends it within the dedup index's window: a
# company reports a period once (its next results name another period, a quarter on), so the same title is the
# same results corrected, reworded or with a note added, next day or weeks on; later than the window, the index
# has let the first go by design, and the two are two stories.
REPORT_RESEND_SECONDS = setting_default("dedup_window_seconds")
SHINGLE = 5
DAY = 86400.0
BRIEF_WORDS = 40  # a templated Reuters item under this many words is a wire brief (a table: "Shr 12 cts vs 10 cts")
MAX_RUNS = 150  # other runs of the sampled items' templates taken from the corpus half
LENGTH_BUCKETS = ((0, 100, "<100 words"), (100, 300, "100-300 words"), (300, 10**9, ">300 words"))
LEAD_SHARE = 0.4  # of the copies, the lead copies (first one to three paragraphs)
EARLY_SHARE = 1 / 7  # of the copies, those seen before their story (an outlet's feed ahead of the wire's)
_FIGURE = re.compile(r"\d|\b(?:" + "|".join(syndication.NUMBER_WORDS) + r"|billion|million)\b", re.IGNORECASE)


@dataclass(slots=True)
class Document:
    """One article of the dev set and what it was built as."""

    doc_id: str
    text: str
    label: int
    family: str  # the base's kind: "story", "templated", "brief", "recurring"
    time: float  # event time, epoch seconds
    edits: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The document's kind for the report: its base's family, or the kind of copy it is."""
        if not self.edits:
            return self.family
        return "lead copy" if "lead" in self.edits else "whole copy"

    @property
    def words(self) -> int:
        return len(self.text.split())


def held_out_half(seed: int) -> int:
    """The half of the corpora a seed draws its bases from: 0 for the fitting seeds, 1 for any other."""
    return 0 if seed in FIT_SEEDS else 1


def _half(story_id: str) -> int:
    return zlib.crc32(story_id.encode("utf-8")) & 1


def _shingles(paragraphs: list[str]) -> set[str]:
    words = " ".join(paragraphs).lower().split()
    return {" ".join(words[i : i + SHINGLE]) for i in range(max(len(words) - SHINGLE + 1, 1))}


def figures(paragraphs: list[str]) -> list[str]:
    """The figures of a text in order: tokens with digits, and numbers written as words."""
    return [w for w in " ".join(paragraphs).split() if _FIGURE.search(w)]


def distinct(bases: list[dict]) -> list[dict]:
    """Bases in time order without re-sends of earlier ones (Reuters holds re-sends and corrections); a base that
    shares most of an earlier one's text but ran on another day with other figures is a recurring item, a story
    of its own: both are marked ``recurring``."""
    kept: list[tuple[dict, int]] = []
    owners: dict[str, list[int]] = defaultdict(list)
    reports: dict[str, list[tuple[Report, float]]] = defaultdict(list)  # company -> its kept reports and times
    for base in sorted(bases, key=lambda b: b["time"]):
        shingles = _shingles(base["paragraphs"])
        shared = Counter(owner for s in shingles for owner in owners[s])
        contained = [o for o, n in shared.items() if n >= RESEND_CONTAINMENT * min(len(shingles), kept[o][1])]
        if any(not _recurs(base, kept[o][0]) for o in contained):
            continue
        report = report_of(base["title"])
        if any(_resent(base, kept[o][0]) for o in shared) or _report_resent(report, base["time"], reports):
            continue
        base = {**base, "recurring": bool(contained)}
        for o in contained:
            kept[o][0]["recurring"] = True
        for s in shingles:
            owners[s].append(len(kept))
        kept.append((base, len(shingles)))
        if report is not None:
            reports[report.company].append((report, base["time"]))
    return [base for base, _ in kept]


def _resent(base: dict, earlier: dict) -> bool:
    """``base`` re-sends ``earlier`` in other words: the same company (the title's first word) the same day, with
    most of its figures (a correction, a rewrite: too few exact shingles shared for ``RESEND_CONTAINMENT``)."""
    mine, theirs = Counter(figures(base["paragraphs"])), Counter(figures(earlier["paragraphs"]))
    same_company = base["title"].split()[:1] == earlier["title"].split()[:1]
    shared = sum((mine & theirs).values())
    close = abs(base["time"] - earlier["time"]) < DAY / 2
    return same_company and close and shared >= RESENT_FIGURES * max(sum(mine.values()), sum(theirs.values()), 1)


def _report_resent(report: Report | None, at: float, reports: dict[str, list[tuple[Report, float]]]) -> bool:
    """A company's results table (``report``, sent ``at``) that an earlier one of ``reports`` sent within
    ``REPORT_RESEND_SECONDS``: the same company's same period (``bench.wire_reports``), whatever its figures (a
    correction changes them; the operating figures in place of the net ones, or a note added, leave few in common)."""
    if report is None:
        return False
    return any(
        abs(at - then) < REPORT_RESEND_SECONDS and report.same_as(earlier) for earlier, then in reports[report.company]
    )


def _recurs(base: dict, earlier: dict) -> bool:
    """``base`` is the template of ``earlier`` run again: on another day, with other figures. Other figures, not
    only more of them: a story sent again with paragraphs added or cut (every figure of the shorter one in the
    longer) is a re-send, an update, not a recurring item."""
    other_day = abs(base["time"] - earlier["time"]) >= DAY / 2
    mine, theirs = Counter(figures(base["paragraphs"])), Counter(figures(earlier["paragraphs"]))
    return other_day and not (mine <= theirs or theirs <= mine)


def build(seed: int, n_reuters: int = 400, n_templated: int = 250, n_briefs: int = 300) -> list[Document]:
    """The dev set of ``seed``, in event-time order."""
    rng = random.Random(seed)
    half = held_out_half(seed)
    reuters = [s for s in syndication.reuters_bodies(min_words=5) if _half(s["id"]) == half]
    aeb = [s for s in syndication.aeb_bodies() if _half(s["id"]) == half and _words(s) >= 50]
    for story in aeb:
        story["time"] = rng.uniform(syndication.CORPUS_START, syndication.CORPUS_END)
    templated = [s for s in reuters if syndication.TEMPLATED_TITLE.search(s["title"])]
    briefs = [s for s in templated if _words(s) < BRIEF_WORDS]
    longer = [s for s in templated if _words(s) >= BRIEF_WORDS]
    plain = [s for s in reuters if not syndication.TEMPLATED_TITLE.search(s["title"]) and _words(s) >= 25]
    long_plain = [s for s in plain if _words(s) >= 120]
    sampled = aeb + rng.sample(long_plain, n_reuters) + rng.sample(longer, n_templated) + rng.sample(briefs, n_briefs)
    family = {s["id"]: "story" for s in aeb + long_plain} | {s["id"]: "templated" for s in longer}
    family |= {s["id"]: "brief" for s in briefs}
    # The corpus's recurring items: other runs of a sampled item's template in the half, kept as stories of their
    # own when they ran on another day with other figures (``distinct``).
    runs = _runs_of_templates(sampled, plain + templated)
    bases = distinct(sampled + rng.sample(runs, min(len(runs), MAX_RUNS)))
    used = {base["id"] for base in bases}
    # An update adds new reporting, each time other paragraphs: drawn without replacement, so that two stories'
    # updates never share text.
    extra = [s for s in plain if s["id"] not in used]
    rng.shuffle(extra)
    docs: list[Document] = []
    for base in bases:
        kind = "recurring" if base["recurring"] else family.get(base["id"], "story")
        docs += _with_copies(base["paragraphs"], base["time"], len(docs), kind, rng, extra)
    start = rng.uniform(syndication.CORPUS_START, syndication.CORPUS_END - 40 * DAY)
    for name in sorted(syndication.RECURRING):
        for paragraphs, at in syndication.recurring(name, rng, 25, start):
            docs += _with_copies(paragraphs, at, len(docs), "recurring", rng, extra)
    for name in sorted(syndication.TEMPLATES):
        day = rng.uniform(syndication.CORPUS_START, syndication.CORPUS_END)
        for paragraphs in syndication.templated(name, rng, 40):
            docs += _with_copies(paragraphs, day + rng.uniform(0, 2 * DAY), len(docs), "templated", rng, extra)
    rng.shuffle(docs)  # ties in time keep no build order
    return sorted(docs, key=lambda d: d.time)


def _words(story: dict) -> int:
    return _count_words(story["paragraphs"])


def _count_words(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def _runs_of_templates(sampled: list[dict], pool: list[dict]) -> list[dict]:
    """Stories of ``pool`` that open as a sampled one does (its first eight words, figures aside): the other runs
    of a recurring item, for ``distinct`` to keep or drop."""
    opening = {_opening(s) for s in sampled}
    chosen = {s["id"] for s in sampled}
    return [s for s in pool if s["id"] not in chosen and _opening(s) in opening]


def _opening(story: dict) -> tuple[str, ...]:
    words = " ".join(story["paragraphs"]).lower().split()
    return tuple("#" if _FIGURE.search(w) else w for w in words[:8])


LEAD_EDITS = ["retitle", "dateline", "reflow", "boilerplate", "word_edits"]  # what else a lead copy gets (0-2)
WHOLE_EDITS = ["truncate", *LEAD_EDITS]  # a whole copy's edits (1-3), and an update one time in five
COPY_RATES = {"story": 0.7, "templated": 0.3, "brief": 0.3, "recurring": 0.5}  # bases with copies, by family


def _with_copies(
    paragraphs: list[str], at: float, label: int, family: str, rng: random.Random, extra: list[dict]
) -> list[Document]:
    docs = [Document(f"d{label}-0", "\n\n".join(paragraphs), label, family, at)]
    copies = rng.randint(1, 4) if rng.random() < COPY_RATES[family] else 0
    for n in range(1, copies + 1):
        if family != "brief" and len(paragraphs) > 1 and rng.random() < LEAD_SHARE:  # a table has no lead
            edits, added = ["lead", *rng.sample(LEAD_EDITS, rng.randint(0, 2))], []
        else:
            edits = rng.sample(LEAD_EDITS if family == "brief" else WHOLE_EDITS, rng.randint(1, 3))  # nor a trim
            added = extra.pop()["paragraphs"] if rng.random() < 0.2 else []
            if _count_words(added) > _count_words(paragraphs):  # an update adds to a story, it does not replace it
                added = []
            edits += ["update"] if added else []
        text = copy_of(paragraphs, edits, rng, added, story=label)
        docs.append(Document(f"d{label}-{n}", "\n\n".join(text), label, family, at + _copy_delay(rng), edits))
    return docs


def _copy_delay(rng: random.Random) -> float:
    """When a copy runs relative to its story: minutes to two days after (log-uniform), or up to 3 hours before."""
    if rng.random() < EARLY_SHARE:
        return -rng.uniform(0, 3 * 3600)
    return float(np.exp(rng.uniform(np.log(300), np.log(2 * DAY))))


def copy_of(
    paragraphs: list[str], edits: list[str], rng: random.Random, added: list[str], story: int | None = None
) -> list[str]:
    """A copy of a story, ``edits`` applied in the order an outlet makes them (``added``: the update's paragraphs).

    The dateline and trailer an outlet adds are the wire's, the same in every copy of ``story`` (drawn from a
    generator seeded with it): two copies of one story under other cities and dates would disagree on a figure
    and a name in place, as two stories do.
    """
    for edit in sorted(edits, key=syndication.EDIT_ORDER.index):
        if edit == "update":
            paragraphs = syndication.update(paragraphs, rng, added)
        elif edit == "dateline" and story is not None:
            paragraphs = syndication.dateline(paragraphs, random.Random(story))
        else:
            paragraphs = syndication.EDITS[edit](paragraphs, rng)
    return paragraphs


def arrival_times(docs: list[Document], mean_hours: float, seed: int) -> list[float]:
    """Each document's arrival: its event time plus a delay drawn from an exponential distribution of mean
    ``mean_hours`` (one in 20 three means late or more), in the dev set's order from a generator of its own, seeded
    with ``seed``, so that the dev set is the same whatever the delay."""
    rng = random.Random(f"arrival {seed}")
    return [doc.time + rng.expovariate(1 / (mean_hours * 3600)) for doc in docs]


def arrival_order(docs: list[Document], mean_hours: float, seed: int) -> list[Document]:
    """The documents in the order they arrive (``arrival_times``), ties in the dev set's order; the same list when
    ``mean_hours`` is 0 (event-time order)."""
    if not mean_hours:
        return docs
    arrivals = arrival_times(docs, mean_hours, seed)
    return [docs[n] for n in sorted(range(len(docs)), key=arrivals.__getitem__)]


def _mean_delay(value: str) -> float:
    """A mean delay in hours, 0 or more: a negative mean draws arrivals before their event times (``expovariate``
    of a negative rate), an infinite one divides by zero."""
    hours = float(value)
    if not (math.isfinite(hours) and hours >= 0):
        raise argparse.ArgumentTypeError(f"a mean delay is hours, 0 or more, not {value}")
    return hours


def run_index(docs: list[Document], options: DedupOptions, index: DedupIndex | None = None) -> list[Decision]:
    """The dedup index's decision on each document, in the order given (arrival order), at its event time."""
    index = DedupIndex(options) if index is None else index  # an empty index is falsy (its len)
    return [index.decide(d.doc_id, content_hash(d.text), d.text, d.time)[0] for d in docs]


def clusters_of(decisions: list[Decision], merges: bool = True) -> list[str]:
    """The cluster each document ends up in: the story view once the clusters a later copy showed to be one
    story are merged (as the clusters topic shows them), or, without ``merges``, the cluster each was put in."""
    merged_into = {merged: d.cluster_id for d in decisions for merged in d.merged} if merges else {}

    def final(cluster_id: str) -> str:
        while cluster_id in merged_into:
            cluster_id = merged_into[cluster_id]
        return cluster_id

    return [final(d.cluster_id) for d in decisions]


def run_baseline(docs: list[Document], threshold: float = 0.7) -> list[str]:
    """The walking skeleton's method: content hash, then MinHash LSH (32 bands) verified on Jaccard."""
    lsh, signatures, by_hash, clusters = RMinHashLSH(threshold=threshold, num_perm=128, num_bands=32), [], {}, []
    for key, doc in enumerate(docs):
        words = doc.text.lower().split()
        minhash = RMinHash(num_perm=128, seed=1)
        minhash.update([" ".join(words[i : i + SHINGLE]) for i in range(max(len(words) - SHINGLE + 1, 1))])
        digest = content_hash(doc.text)
        best = max(((minhash.jaccard(signatures[c]), c) for c in lsh.query(minhash)), default=(0.0, -1))
        if digest in by_hash:
            clusters.append(clusters[by_hash[digest]])
        elif best[0] >= threshold:
            clusters.append(clusters[best[1]])
        else:
            clusters.append(doc.doc_id)
        by_hash.setdefault(digest, key)
        lsh.insert(key, minhash)
        signatures.append(minhash)
    return clusters


@dataclass(slots=True)
class Scores:
    """Pair counts of one method on one or more dev sets, pooled, overall and per group of documents."""

    pairs: Counter = field(default_factory=Counter)  # group -> [true positive, predicted, true] pair ends
    ari: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # all, bucket -> ARI per set
    false_merges: Counter = field(default_factory=Counter)  # family pair -> pairs of stories merged

    def add(self, docs: list[Document], predicted: list[str]) -> None:
        """Count one dev set's pairs: from each document's side, per its kind and its length bucket."""
        labels = [d.label for d in docs]
        self.ari["all"].append(adjusted_rand_score(labels, predicted))
        by_label, by_cluster = Counter(labels), Counter(predicted)
        both = Counter(zip(labels, predicted, strict=True))
        groups: dict[str, list[int]] = defaultdict(list)
        for n, doc in enumerate(docs):
            for group in ("all", doc.kind, _bucket(doc.words)):
                groups[group].append(n)
                true_positive = both[labels[n], predicted[n]] - 1
                self.pairs[group, "tp"] += true_positive
                self.pairs[group, "predicted"] += by_cluster[predicted[n]] - 1
                self.pairs[group, "true"] += by_label[labels[n]] - 1
        for group, members in groups.items():
            if group in BUCKET_NAMES:  # a kind's documents alone (bases, or copies) have no clusters to compare
                self.ari[group].append(
                    adjusted_rand_score([labels[n] for n in members], [predicted[n] for n in members])
                )
        self._count_false_merges(docs, predicted)

    def _count_false_merges(self, docs: list[Document], predicted: list[str]) -> None:
        stories: dict[str, dict[int, str]] = defaultdict(dict)
        for doc, cluster in zip(docs, predicted, strict=True):
            stories[cluster].setdefault(doc.label, doc.family)
        for members in stories.values():
            families = sorted(members.values())
            for i, first in enumerate(families):
                for second in families[i + 1 :]:
                    self.false_merges[first, second] += 1

    def line(self, group: str) -> str:
        """Precision, recall and ARI of a group, pooled."""
        tp, predicted, true = (self.pairs[group, k] for k in ("tp", "predicted", "true"))
        precision, recall = tp / max(predicted, 1), tp / max(true, 1)
        aris = self.ari.get(group)
        ari = f"  ARI {np.mean(aris):.4f} (min {min(aris):.4f})" if aris else ""
        return f"precision {precision:.4f}  recall {recall:.4f}{ari}  (true pairs, from its side: {true})"


BUCKET_NAMES = {name for _, _, name in LENGTH_BUCKETS}


def _bucket(words: int) -> str:
    return next(name for low, high, name in LENGTH_BUCKETS if low <= words < high)


def costly_errors(docs: list[Document], predicted: list[str], top: int = 5) -> list[str]:
    """The clusters that cost the most pairs: those holding several stories (pairs of distinct stories joined, and
    the stories with their families), then those of a story split over several clusters (its pairs left apart, and
    its members per cluster). Where a round should look first: one wrong merge of two clusters of five costs 25
    pairs, a copy left alone 4."""
    by_cluster: defaultdict[object, list] = defaultdict(list)
    by_label: defaultdict[object, Counter] = defaultdict(Counter)
    for doc, cluster in zip(docs, predicted, strict=True):
        by_cluster[cluster].append(doc)
        by_label[doc.label][cluster] += 1
    merges = [(_pairs_apart(Counter(d.label for d in members)), members) for members in by_cluster.values()]
    splits = [(_pairs_apart(clusters), label, clusters) for label, clusters in by_label.items()]
    lines = []
    for cost, members in sorted((m for m in merges if m[0]), key=lambda m: -m[0])[:top]:
        stories = Counter((d.label, d.family) for d in members)
        listed = ", ".join(f"{label} ({family}) x{n}" for (label, family), n in sorted(stories.items()))
        lines.append(f"merged, {cost} pairs: {listed}")
    for cost, label, clusters in sorted((s for s in splits if s[0]), key=lambda s: -s[0])[:top]:
        lines.append(f"split, {cost} pairs: story {label} over {sorted(clusters.values(), reverse=True)}")
    return lines


def _pairs_apart(counts: Counter) -> int:
    """Pairs of a group whose two ends fall in different parts of it (``counts``: members per part)."""
    total = sum(counts.values())
    return (total * total - sum(n * n for n in counts.values())) // 2


def report(name: str, scores: Scores, by_kind: bool) -> None:
    """Print a method's pooled scores."""
    print(f"  {name}")
    print(f"    all documents       {scores.line('all')}")
    merges = ", ".join(f"{a}+{b} {n}" for (a, b), n in sorted(scores.false_merges.items())) or "none"
    print(f"    stories merged (pairs of distinct stories in one cluster, by family): {merges}")
    if by_kind:
        kinds = sorted({g for g, _ in scores.pairs} - {"all"} - BUCKET_NAMES)
        for group in [*kinds, *(b for _, _, b in LENGTH_BUCKETS)]:
            if (group, "true") in scores.pairs:
                print(f"    {group:19s} {scores.line(group)}")


# Each seed's dev set built once a run: ``--arrival-delay`` scores the same sets in several orders (nothing here
# changes a document).
_dev_set = functools.cache(build)


def evaluate(
    seeds: Iterable[int], options: DedupOptions, by_kind: bool, baseline: bool, errors: int = 0, delay: float = 0.0
) -> None:
    """Score the index (and the baseline) on the dev sets of ``seeds``, each seed, then pooled; with ``errors``, print
    that many of each seed's costliest wrong merges and splits; with ``delay``, the articles arrive out of event-time
    order (``arrival_order``, mean delay in hours)."""
    index_scores, baseline_scores = Scores(), Scores()
    for seed in seeds:
        docs = arrival_order(_dev_set(seed), delay, seed)
        predicted = clusters_of(run_index(docs, options))
        index_scores.add(docs, predicted)
        copies = sum(bool(d.edits) for d in docs)
        line = f"seed {seed:2d}: {len(docs)} documents, {copies} copies, index ARI {index_scores.ari['all'][-1]:.4f}"
        if baseline:
            baseline_scores.add(docs, run_baseline(docs))
            line += f", baseline ARI {baseline_scores.ari['all'][-1]:.4f}"
        print(line, flush=True)
        for error in costly_errors(docs, predicted, errors) if errors else []:
            print(f"    {error}")
    report("dedup index (exact hash, LSH, one logistic decision per candidate pair)", index_scores, by_kind)
    if baseline:
        report("baseline (plain MinHash LSH, Jaccard >= 0.7)", baseline_scores, by_kind)


def main(argv: list[str] | None = None) -> None:
    """Build the dev sets, score the index and the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", help="dev sets to score (default: fitting, then held-out)")
    parser.add_argument("--by-kind", action="store_true", help="also per kind of document and length bucket")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline method")
    parser.add_argument("--errors", type=int, default=0, help="print each seed's N costliest wrong merges and splits")
    parser.add_argument(
        "--arrival-delay",
        type=_mean_delay,
        nargs="+",
        default=[0.0],
        metavar="HOURS",
        help="mean delay (exponential) of each article's arrival after its event time, decided in arrival order; "
        "several: one run each (default: 0, event-time order)",
    )
    args = parser.parse_args(argv)
    groups = (
        [("chosen seeds", args.seeds)]
        if args.seeds
        else [
            ("fitting seeds (the decision's weights were fitted on these)", FIT_SEEDS),
            ("held-out seeds (other stories of the corpora, never fitted on)", HELD_OUT_SEEDS),
        ]
    )
    for delay in args.arrival_delay:
        arriving = f", arriving {delay:g} hours late on average (exponential)" if delay else ""
        for title, seeds in groups:
            print(f"\n{title}: {', '.join(map(str, seeds))}{arriving}")
            evaluate(seeds, DedupOptions(), args.by_kind or not args.seeds, not args.no_baseline, args.errors, delay)


if __name__ == "__main__":
    main()
