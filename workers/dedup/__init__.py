"""The dedup stage: one story cluster per wire story, however many outlets republish it.

Exact copies match on the content hash. Near copies are found through two LSH routes over the index, a banded
LSH over b-bit MinHash signatures of word shingles and a MinHash of each article's lead (its first shingles: a
copy cut to its first paragraphs holds little of a long story, but its lead), and decided by one fitted logistic
decision over the pair's evidence (``workers/dedup/decision.py``): the estimated containment of the smaller
shingle set in the larger, outlet boilerplate set aside; the numbers and names both have in the same places
(so a templated story, same words with other figures, does not match); the time between the two; their length
ratio; the boilerplate share. The first copy seen is the canonical one; a longer copy is recorded as a revision.

A copy that arrives before its original can start a cluster of its own; when a later copy is a copy in both, it
shows they are one story, and the younger cluster is merged into the older one (its first copy stays the
canonical one of the story): the decision names the clusters merged, and later copies of either join the older.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar, Literal, NotRequired, TypedDict

import numpy as np

from workers.dedup.boilerplate import ParagraphCounts
from workers.dedup.decision import FEATURES, DecisionModel, Evidence, features, load_model, per_array
from workers.dedup.sketch import (
    EDGES_KEPT,
    FactMatch,
    Sketch,
    Sketcher,
    Sketches,
    any_across,
    distinct,
    fact_match,
    gather,
    sum_across,
)
from workers.dedup.store import ClusterKey, Rows, Store, split_hash
from workers.limits import CLUSTER_MEMBERS_MAX
from workers.records import ArticleSketch
from workers.settings import setting_default
from workers.times import read_time

log = logging.getLogger(__name__)

__all__ = [
    "Article",
    "Decision",
    "DecisionKind",
    "DedupIndex",
    "DedupOptions",
    "DepartedEntry",
    "IndexEntry",
    "PersistedEntry",
    "canonical_of",
    "cluster_of",
    "event_time",
    "key_of",
    "sketch_of_record",
    "sketch_record",
]

DecisionKind = Literal["unique", "exact", "near", "revision"]
# id, content hash, cleaned text, event time, its sketch: made, its text form as a record brings it, or none
Article = tuple[str, str, str, float, Sketch | str | None]
_KINDS: tuple[DecisionKind, ...] = ("unique", "exact", "near", "revision")
# A near copy this much longer than the copy it matched holds added paragraphs: an update, a revision. Outlet
# boilerplate or a dateline adds a few percent; an added paragraph adds more.
REVISION_GROWTH = 1.15
# Candidate pairs with an estimated containment below this are not scored: strangers sharing a bucket. Low, so
# that a short copy of a long story, whose containment rests on a few signature values, is still scored (a cost
# cut, not a decision: the model decides every pair above it). Two short articles with a figure key in common are
# scored whatever their containment: a wire table's copy with a few words edited shares its figures in order, and
# little else of 5-word shingles.
CANDIDATE_CONTAINMENT = 0.3
# Clusters an article's candidates are read in, the most contained first, one candidate each: a copy matches its
# story among the first few; the rest are a crowded template's other items. Beyond them, a cluster is read only when
# its candidate may be a copy (probability one half or more, computed for every candidate already): an original that
# arrives after its copies has other runs of its template ahead of a cut or wrapped copy (the copy at containment 0.56,
# eight other days' runs ahead of it), where the copy arriving after it found the original among its first.
MAX_SCORED = 8
# Fewer equal signature values than this: strangers sharing a bucket (one band is 3 values), not worth the
# boilerplate lookups (random reads in a table of tens of MB at a million articles).
MIN_EQUAL_SLOTS = 8
# Fewer shingles than this left of an article once its boilerplate paragraphs are set aside: too little of its
# own to judge a containment on, so the smaller side counts as at least this big.
MIN_OWN_SHINGLES = 8
_END_PLACES = np.arange(EDGES_KEPT)  # an article's end paragraph places, for masks over them


@dataclass(frozen=True, slots=True)
class DedupOptions:
    """Tunables of the dedup stage (the ``ENRICH_DEDUP_*`` settings, whose defaults are these)."""

    # An end paragraph held by the first copies of this many stories in the window is boilerplate (an outlet's
    # wrapper): set aside on both sides when the containment is estimated.
    boilerplate_stories: int = setting_default("dedup_boilerplate_stories")
    num_perm: int = setting_default("dedup_num_perm")
    bands: int = setting_default("dedup_lsh_bands")
    shingle_words: int = setting_default("dedup_shingle_words")
    window_seconds: float = setting_default("dedup_window_seconds")
    model: DecisionModel = field(default_factory=load_model)  # the one decision on a candidate pair

    def __post_init__(self) -> None:
        if not 1 <= self.bands <= self.num_perm:
            raise ValueError(f"{self.bands} LSH bands over {self.num_perm} permutations: a band needs a value")


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether an article is the first copy of its story, and which cluster (and copy) it belongs to."""

    kind: DecisionKind
    cluster_id: str
    canonical_id: str
    similarity: float
    revision_of: str | None = None
    merged: tuple[str, ...] = ()  # clusters this copy showed to be the same story, merged into ``cluster_id``
    # An id decided before: the cluster its own was merged into since, whose record lists it now (else None).
    merged_into: str | None = None
    # An id decided afresh into another cluster than the one whose record lists it (updated to content no copy of its
    # old, or back after the window passed it, its old story's copies held still): that one, which no longer holds it
    # (else none). Back after the window passed it, the clusters it started that have members held (all but one of
    # them it left before: their records no longer list it), and the one it was a later copy in (``_departed``).
    left: tuple[str, ...] = ()


class IndexEntry(TypedDict):
    """What the index keeps per article; persisted so that a restarted worker rebuilds the index."""

    kind: DecisionKind
    cluster_id: str
    canonical_id: str
    similarity: float
    revision_of: str | None
    content_hash: str
    event_time: float
    seq: int  # arrival order, so that a rebuilt index walks its chains newest first as the original did
    first_seq: int  # the id's first arrival (its seq but for an update of itself): a cluster's age (``_age``)
    sketch: str  # Sketch.to_text()
    merged: list[str]  # clusters merged into this one by this copy, replayed when the index is rebuilt
    # Merges of members decided afresh since, in force while its cluster is open (``DedupIndex._hand_over``): each
    # cluster (as it was then) -> the clusters merged into it; replayed when the index is rebuilt. Absent when none.
    kept: NotRequired[dict[str, list[str]]]
    # The end paragraphs (bit k: place k) its decision put in the boilerplate counts (``_mark_paragraphs``): a rebuilt
    # index counts them as the live one did, whose first copies may have left since (read109).
    counted: int


class DepartedEntry(TypedDict):
    """What is persisted, under its id, of a later copy the window passed while its cluster has members held (or of a
    first copy whose decision merged clusters): the cluster whose record lists it (merges followed), so that a rebuilt
    index makes its leave as the live one does (``DedupIndex._departed``), and the clusters its decision merged, still
    merged into that one while it has members held, so that a rebuilt index replays them. Deleted when that cluster
    closes or the id is decided again."""

    listed_in: str
    merged: NotRequired[list[str]]  # absent when its decision merged none, or written before merges were kept here


PersistedEntry = IndexEntry | DepartedEntry  # what the ``dedup-index`` table holds under an id


def sketch_record(text: str, options: DedupOptions) -> ArticleSketch:
    """A sketch's text form (``Sketch.to_text``, or a batch's ``Sketches.texts``) as the clean stage attaches it to
    a record, with the settings it was made with."""
    return ArticleSketch(num_perm=options.num_perm, shingle_words=options.shingle_words, data=text)


def sketch_of_record(record: ArticleSketch | None, options: DedupOptions) -> str | None:
    """The text form of the sketch a record brings (the index reads a batch's at once), or None when it brings none
    made with these settings (then sketch its text)."""
    if record is None or (record["num_perm"], record["shingle_words"]) != (options.num_perm, options.shingle_words):
        return None
    return record["data"]


def event_time(published_at: str | None, fallback: float) -> float:
    """The article's event time in epoch seconds: its publication time, else the fallback."""
    at = read_time(published_at)
    return fallback if at is None else at


CLUSTER_PREFIX = "cl-"
# The id's n-th cluster (n from 2): "cl2-<id>". No "cl-<id>" starts so, whatever the id, nor two of (n, id) alike.
# n of 18 digits at most (no id starts that many clusters): a persisted entry damaged into a longer one is read as no
# n, not refused by int() (past 4,300 digits) on every restore.
_NTH_CLUSTER = re.compile(r"cl([1-9][0-9]{0,17})-(.*)", re.DOTALL)


def cluster_of(key: ClusterKey) -> str:
    """The cluster id of a story: named after its first copy ("cl-<id>"), and the n-th cluster an id started while
    one it started before still had members held (its first copy sent again with unrelated content) after n too
    ("cl<n>-<id>"): an id that cannot be another cluster's."""
    if isinstance(key, str):
        return f"{CLUSTER_PREFIX}{key}"
    article_id, n = key
    return f"cl{n}-{article_id}"


def key_of(cluster_id: str) -> ClusterKey:
    """The index's key of a cluster id (``cluster_of`` undone)."""
    if (nth := _NTH_CLUSTER.fullmatch(cluster_id)) is not None:
        return nth[2], int(nth[1])
    return cluster_id.removeprefix(CLUSTER_PREFIX)


def first_copy(key: ClusterKey) -> str:
    """The id of the first copy of the cluster of ``key``."""
    return key if isinstance(key, str) else key[0]


def canonical_of(cluster_id: str) -> str:
    """The id of a cluster's first copy."""
    return first_copy(key_of(cluster_id))


class DedupIndex:
    """Sketches of the articles seen within the event-time window, and the decisions taken on them."""

    # Pairs whose score cannot reach one half (``DecisionModel.may_be_copies``) are not scored, and an article none
    # of whose pairs reaches it is not matched: a cost cut, not a decision (no decision reads a probability under
    # one half). The fit's recording sets this: every candidate pair scored, every article with one matched.
    scores_every_pair: ClassVar[bool] = False

    def __init__(self, options: DedupOptions) -> None:
        self.options = options
        self._sketcher = Sketcher(options.num_perm, options.shingle_words)
        self._clear()

    def _clear(self) -> None:
        self._store = Store(self.options.num_perm, self.options.bands)
        self._newest = float("-inf")
        self._seq = 0
        self._evicted: list[str] = []
        # A later copy the window passed while its cluster has members held (its record lists it, and no cluster is
        # named after it: ``_started``) -> that cluster's key, followed through merges; and the reverse, for its close.
        self._departed: dict[str, ClusterKey] = {}
        self._departed_from: dict[ClusterKey, list[str]] = {}
        # Ids departed, or moved by a merge, since ``drain_departed``: written with their cluster in ``_departed``.
        self._departing: set[str] = set()
        self._closed: list[str] = []
        self._members: dict[ClusterKey, int] = {}  # cluster key -> members of its cluster in the index
        self._merged_into: dict[ClusterKey, ClusterKey] = {}  # key of a merged cluster -> the one it lives on in
        self._absorbed: dict[ClusterKey, list[ClusterKey]] = {}  # the reverse: cluster key -> those merged into it
        self._nth: dict[str, set[ClusterKey]] = {}  # id -> keys (id, n) counted or merged since (``_started``)
        # Article id -> clusters it merged (its decision's), held or departed (the merge in force while its cluster is)
        self._merges: dict[str, tuple[str, ...]] = {}
        # Article id -> merges of members decided afresh since, handed to it (``_hand_over``): cluster -> merged ones
        self._kept: dict[str, dict[str, list[str]]] = {}
        self._rewrites: set[str] = set()  # held ids handed merges since ``drain_departed``: their entries written again
        self._merges_only: dict[str, float] = {}  # id of an entry left out but for its merges -> its event time
        self._first_seq: dict[str, int] = {}  # id of a row updated in place of itself -> its first arrival
        self._paragraphs = ParagraphCounts(self._store.capacity)  # end paragraphs of the first copies held

    def __len__(self) -> int:
        return self._store.size

    def nbytes(self) -> int:
        """Memory held by the index, in bytes."""
        maps = (self._members, self._merged_into, self._absorbed, self._merges, self._merges_only, self._first_seq)
        maps += (self._nth, self._departed, self._departed_from, self._kept)
        departed = sum(map(sys.getsizeof, self._departed)) + sum(map(sys.getsizeof, self._departed_from.values()))
        return self._store.nbytes() + self._paragraphs.nbytes + sum(sys.getsizeof(m) for m in maps) + departed

    def decide(
        self, article_id: str, content_hash: str, text: str, at: float, sketch: Sketch | str | None = None
    ) -> tuple[Decision, IndexEntry]:
        """Classify one article and remember it (see ``decide_many``)."""
        return self.decide_many([(article_id, content_hash, text, at, sketch)])[0]

    def decide_many(self, articles: Sequence[Article]) -> list[tuple[Decision, IndexEntry]]:
        """Classify articles in order and remember them; an id seen before gets its earlier decision back, and
        keeps it when it comes with other content (``_update``).

        The same decisions as one call per article (an article of the batch can be the original of a later one),
        but for the boilerplate counts, which take in the batch's first copies once the batch is decided.
        Lookups and similarities are computed for the whole batch at once, and so are the sketches the articles
        do not bring (the clean stage sketches them, in parallel workers, so that this single owner need not).
        """
        slot_of = self._store.slot_of
        # Replays' decisions are read first: making room for the new articles can evict a replayed one.
        held = list(dict.fromkeys(a[0] for a in articles if a[0] in slot_of))
        results = dict(zip(held, self._results_at([slot_of[i] for i in held], {}, True), strict=True)) if held else {}
        hashes = {article_id: entry["content_hash"] for article_id, (_, entry) in results.items()}
        run: list[Article] = []  # the new articles since the last update, decided together
        decided: list[tuple[Decision, IndexEntry]] = []  # the results of the articles before the last update
        for n, article in enumerate(articles):
            known = hashes.get(article[0])
            if known is not None and known != article[1]:  # decided in order: later articles can be its copies
                results.update(self._decide_new(run))
                run = []
                decided += [results[a[0]] for a in articles[len(decided) : n]]
                if self.holds(article[0]):  # not ``slot_of``: deciding the run can grow the store, its id map anew
                    results[article[0]] = self._update(article)
                else:  # evicted by the run just decided: out of the window, decided afresh
                    del results[article[0]]
                    run.append(article)
            elif known is None:  # a replay within the batch gets the first one's decision
                run.append(article)
            hashes[article[0]] = article[1]
        results.update(self._decide_new(run))
        return decided + [results[a[0]] for a in articles[len(decided) :]]

    def _decide_new(self, articles: list[Article]) -> dict[str, tuple[Decision, IndexEntry]]:
        """Decide articles of ids not held, in order, in one go; their results by id."""
        if not articles:
            return {}
        articles, sketches = self._sketches(articles)  # first: what the records bring, read before any change
        for article in articles if self._merges_only else ():
            if self._merges_only.pop(article[0], None) is not None:  # read again: its fresh entry replaces the old
                self._hand_on_kept(article[0])
        self._make_room(len(articles))  # before the keys: making room can close the clusters an id started
        ids = [a[0] for a in articles]
        # Ids that started stories whose clusters have members still, their own row gone (evicted before its copies):
        # one of those clusters' records lists each (the one it was in last, which the index no longer knows).
        none_held = self._none_held(ids)
        slots = self._append(articles, sketches, ids if none_held else [self._new_key(i) for i in ids])
        listed = {} if none_held else {i: self._started(i) for i in ids}
        for article_id in ids if self._departed else ():  # a later copy the window passed: the cluster it was in
            if (key := self._returned(article_id)) is not None:
                listed[article_id] = list(dict.fromkeys([*listed.get(article_id, ()), cluster_of(key)]))
        matched = self._decide_rows(slots, np.maximum.accumulate([max(self._newest, a[3]) for a in articles]))
        self._count_members(slots)
        self._mark_paragraphs(slots, matched)
        self._count_paragraphs(slots)
        self._newest = max(self._newest, *(a[3] for a in articles))
        # The text forms at hand (the others are encoded from the store's rows, in one go).
        texts = {a[0]: text for a in articles if (text := _text_form(a[4]))}
        results = dict(zip(ids, self._results_at(slots.tolist(), texts), strict=True))
        for article_id in listed:
            decision, entry = results[article_id]
            if left := _left(decision, listed[article_id]):
                results[article_id] = replace(decision, left=left), entry
        return results

    def _update(self, article: Article) -> tuple[Decision, IndexEntry]:
        """A held id sent again with other content (a page updated at its URL). When the decision model takes the new
        content for a copy of the old (or it is the same), it is an update of itself: it keeps its decision, so its
        place in its story (its clusters' records list it already). Otherwise the URL now holds another article,
        decided afresh as a new one: kept, the old decision would publish it as a copy, with a similarity, of a story
        it is no copy of, and never enriched; a story it was the first copy of lives on without it, under its cluster
        id, when it has other members (``_new_key``). Either way its row now holds the new content, so that later
        copies of the new text find it; no longer the old one's."""
        store, article_id = self._store, article[0]
        [article], sketches = self._sketches([article])  # first: what the record brings, read before any change
        self._make_room(1)  # before the old row is read: making room can evict it (out of the window)
        if article_id not in store.slot_of:  # evicted: decided afresh, as any article the window does not hold
            return self._decide_new([article])[article_id]
        old = np.array([store.slot_of[article_id]], dtype=np.intp)
        decision = (store.canonical[old[0]], store.revision_of[old[0]], int(store.kinds[old[0]]))
        similarity = float(store.similarities[old[0]])
        first_seq = self._first_seq.pop(article_id, int(store.seqs[old[0]]))
        # Its key as appended is no decision: both ways below set its row's, the old row's membership gone first.
        slots = self._append([article], sketches, [article_id])
        pair = self._pairs(old, slots)
        itself = bool(pair.exact[0] or pair.probability[0] >= 0.5)
        self._count_paragraphs(old, step=-1)
        matched: dict[int, int] = {}  # an update of itself is marked against its first copy alone, as before
        if itself:  # the same article, of the same age: its first arrival kept
            store.evict(old)
            store.set_decision(int(slots[0]), *decision, similarity)
            self._first_seq[article_id] = first_seq
        else:
            root = self._root(store.canonical[old[0]])  # the cluster whose record lists it
            self._forget_members(old)
            store.evict(old)
            store.canonical[int(slots[0])] = self._new_key(article_id)  # its old row no longer counted
            self._hand_over(article_id, root)  # the old content's merges: not this article's decision
            matched = self._decide_rows(slots, np.array([max(self._newest, article[3])]))
            self._count_members(slots)
        self._mark_paragraphs(slots, matched)
        self._count_paragraphs(slots)
        self._newest = max(self._newest, article[3])
        texts = {article_id: text} if (text := _text_form(article[4])) else {}
        decision, entry = self._results_at(slots.tolist(), texts, itself)[0]
        if not itself and (left := _left(decision, [cluster_of(root)])):
            decision = replace(decision, left=left)
        return decision, entry

    def _sketches(self, articles: list[Article]) -> tuple[list[Article], Sketches]:
        """The articles' sketches: the ones they bring (text forms read for the batch at once), the others computed
        here; with the articles, one whose form cannot be read bringing none (``_given``). Nothing here changes the
        index, and nothing a record brings fails the batch after it: a form that cannot be read is the sketch's fault,
        not the article's, and deciding it from its text is what one call for it alone does."""
        num_perm = self.options.num_perm
        if all(isinstance(a[4], str) for a in articles):  # a dedup worker's batch of records
            try:
                return articles, Sketches.from_texts([a[4] for a in articles], num_perm)  # type: ignore[misc]
            except ValueError:  # one at least cannot be read: each read on its own
                pass
        given = [self._given(a) for a in articles]
        articles = [a if sketch is not None else (*a[:4], None) for a, sketch in zip(articles, given, strict=True)]
        missing = [n for n, sketch in enumerate(given) if sketch is None]
        if len(missing) == len(articles):
            return articles, self._sketcher.sketch_many([a[2] for a in articles])
        if missing:
            computed = self._sketcher.sketch_many([articles[n][2] for n in missing])
            for row, n in enumerate(missing):
                given[n] = computed[row]
        return articles, Sketches.of([sketch for sketch in given if sketch is not None], num_perm)

    def _given(self, article: Article) -> Sketch | None:
        """The sketch an article brings, read from its text form; None when it brings none, or one that cannot be
        read (then a warning names it: it is sketched from its text)."""
        form = article[4]
        if not isinstance(form, str):
            return form
        try:
            return Sketch.from_text(form, self.options.num_perm)
        except ValueError as error:
            log.warning(
                "dedup: the sketch %s brought cannot be read (%s); deduplicated from its text",
                article[0],
                error,
                extra={"stage": "dedup", "article_id": article[0]},
            )
            return None

    def reset(self, entries: list[tuple[str, PersistedEntry]]) -> list[str]:
        """Forget everything, then hold exactly ``entries`` (saved by ``decide``): recovery after a restart. Returns
        the ids of the entries left out as unreadable (``restore``)."""
        self._clear()
        return self.restore(entries)

    def restore(self, entries: list[tuple[str, PersistedEntry]]) -> list[str]:
        """Put back entries saved by ``decide``, in the order they were decided (their ``seq``). An entry a field of
        which is missing or cannot be read (damaged, or of a form a later version wrote: ``_fault``, then the sketch's
        reader) is left out, logged with the reason, and named among the evicted so that persisted state forgets it
        too: the index forgets one article rather than its owner failing on every restart. Returns the ids left out.
        The merges of those left out are replayed all the same (a merge needs no sketch), in turn with the others',
        and kept under their id, so that the article's copy read again records them again; an entry left out that
        holds merges is not named evicted until the window passes it (``compact``): persisted state keeps it, so
        that the next restore replays its merges too. Its event time counts as no later than the newest the index
        holds (``_merge_time``). The later copies the window passed while their clusters had members held are put back
        last (``_put_departed``)."""
        entries = [(article_id, entry) for article_id, entry in entries if article_id not in self._store.slot_of]
        faults: dict[str, str] = {}
        sound, malformed, departed = [], [], []  # malformed: in the order given (no seq to trust)
        for article_id, entry in entries:
            if isinstance(entry, dict) and "listed_in" in entry:
                if reason := _fault(entry, _DEPARTED_FIELDS):
                    faults[article_id] = reason
                else:
                    departed.append((article_id, entry))
                continue
            if reason := _fault(entry, _ENTRY_FIELDS):
                faults[article_id] = reason
            (malformed if reason else sound).append((article_id, entry))
        sound.sort(key=lambda item: item[1]["seq"])
        readable, sketches = self._read_sketches(sound)
        kept = {article_id for article_id, _ in readable}
        faults.update((article_id, "sketch cannot be read") for article_id, _ in sound if article_id not in kept)
        slots = self._put_back(readable, sketches)
        self._replay_merges([*sound, *malformed], faults)
        for article_id, entry in entries:
            if article_id in faults and self._carries(article_id) and _is_finite(at := entry.get("event_time")):
                self._merges_only[article_id] = self._merge_time(at)
        self._evicted += [article_id for article_id in faults if article_id not in self._merges_only]
        _log_left_out(faults)
        self._count_members(slots)
        self._put_departed(departed)
        self._mark_restored(slots, [entry for _, entry in readable])
        self._count_paragraphs(slots)
        return list(faults)

    def _put_departed(self, departed: list[tuple[str, DepartedEntry]]) -> None:
        """Put back the later copies the window passed, once the rows and the held entries' merges are: their merges
        first, into the cluster whose record lists each (that cluster as the live index keeps it, merges followed:
        so the merges any order replays them in join the same clusters into the same one), then each in its cluster,
        or named evicted when that has no members held (closed, its record deleted: the live index forgot it then) or
        keeps as many as a record lists (``_depart``).
        """
        homes = [self._shared_id(article_id, key_of(entry["listed_in"])) for article_id, entry in departed]
        for home, (_, entry) in zip(homes, departed, strict=True):
            for cluster_id in entry.get("merged") or ():
                self._merge(self._root(home), self._root(key_of(cluster_id)))
        # Those that merged none first: the bound is theirs (``_depart``), whatever order the table gives.
        for home, (article_id, entry) in sorted(zip(homes, departed, strict=True), key=lambda d: "merged" in d[1][1]):
            if merged := entry.get("merged"):
                self._merges[article_id] = tuple(merged)
            if (root := self._root(home)) not in self._members or not self._depart(article_id, root):
                self._merges.pop(article_id, None)
                self._evicted.append(article_id)

    def _mark_restored(self, slots: np.ndarray, entries: list[IndexEntry]) -> None:
        """Mark the restored rows' end paragraphs as their decisions did (``counted``), not as the index now holds
        their stories: a copy whose first copy left (the window passed it, or its id holds another article since)
        would count the story's own paragraphs, counted once with that first copy, again with every copy (read109).
        An entry written before marks were recorded is marked afresh."""
        pairs = list(zip(slots.tolist(), entries, strict=True))
        if fresh := [slot for slot, entry in pairs if "counted" not in entry]:
            self._mark_paragraphs(np.array(fresh, dtype=np.intp))
        kept = [(slot, entry["counted"]) for slot, entry in pairs if "counted" in entry]
        if kept:
            self._store.counted[[slot for slot, _ in kept]] = [marks for _, marks in kept]

    def _merge_time(self, at: float) -> float:
        """The event time an entry left out but for its merges is kept by: its own, but no later than the newest the
        index holds (its own, when the index holds none). The entry is one that could not be read: a time past every
        other (a damaged or hostile record's, years ahead) would keep it, and replay its merges, after every window.
        """
        return min(at, self._newest) if math.isfinite(self._newest) else at

    def _put_back(self, entries: list[tuple[str, IndexEntry]], sketches: Sketches | None) -> np.ndarray:
        """Store the entries whose sketches were read, as they were decided; their slots."""
        if sketches is None:
            return np.empty(0, dtype=np.intp)
        self._newest = max(self._newest, *(e["event_time"] for _, e in entries))
        self._seq = max(self._seq, *(e["seq"] for _, e in entries))
        self._make_room(len(entries))
        self._first_seq.update(
            (article_id, e["first_seq"]) for article_id, e in entries if e.get("first_seq", e["seq"]) != e["seq"]
        )
        return self._store.append(
            Rows(
                article_ids=[article_id for article_id, _ in entries],
                canonical_ids=[self._shared_id(article_id, key_of(e["cluster_id"])) for article_id, e in entries],
                revision_of=[e["revision_of"] for _, e in entries],
                kinds=np.array([_KINDS.index(e["kind"]) for _, e in entries], dtype=np.uint8),
                similarities=np.array([e["similarity"] for _, e in entries], dtype=np.float32),
                content_hashes=np.array([split_hash(e["content_hash"]) for _, e in entries], dtype=np.uint64),
                event_times=np.array([e["event_time"] for _, e in entries], dtype=np.float64),
                seqs=np.array([e["seq"] for _, e in entries], dtype=np.int64),
            ),
            sketches,
        )

    def _replay_merges(self, entries: list[tuple[str, IndexEntry]], faults: dict[str, str]) -> None:
        """Merge the clusters the entries merged, and those they keep (``kept``), in their order (a merged cluster may
        have been merged again: each merge joins the clusters as they live on, so any order joins the same ones)."""
        for article_id, entry in entries:
            if not (isinstance(entry, dict) and (entry.get("merged") or entry.get("kept"))):  # none: most entries
                continue
            if article_id in faults and (reason := _fault(entry, _MERGE_FIELDS)):
                log.warning("restore skips the merges of %r: %s", article_id, reason)  # loses its merges, not the owner
                continue
            if merged := entry.get("merged"):
                self._merges[article_id] = tuple(merged)
            if kept := entry.get("kept"):
                self._kept[article_id] = {cluster_id: list(ids) for cluster_id, ids in kept.items()}
            for home, ids in [(entry["cluster_id"], merged or []), *(kept or {}).items()]:
                for cluster_id in ids:
                    self._merge(self._root(key_of(home)), self._root(key_of(cluster_id)))

    def _read_sketches(
        self, entries: list[tuple[str, IndexEntry]]
    ) -> tuple[list[tuple[str, IndexEntry]], Sketches | None]:
        """The entries whose sketch ``Sketch.from_text`` reads and their sketches (None if none is left), each read
        once, one by one, only when the batch holds one it refuses."""
        if not entries:
            return entries, None
        try:
            return entries, Sketches.from_texts([e["sketch"] for _, e in entries], self.options.num_perm)
        except ValueError:
            read = [self._read(e["sketch"]) for _, e in entries]
            readable = [(item, sketch) for item, sketch in zip(entries, read, strict=True) if sketch is not None]
            sketches = Sketches.of([sketch for _, sketch in readable], self.options.num_perm) if readable else None
            return [item for item, _ in readable], sketches

    def _read(self, form: str) -> Sketch | None:
        """The sketch of a persisted entry's form (a text, ``_fault`` checked; it may be damaged), or None."""
        try:
            return Sketch.from_text(form, self.options.num_perm)
        except ValueError:
            return None

    def _shared_id(self, article_id: str, key: ClusterKey) -> ClusterKey:
        """A cluster key named by the article's id as a string the index already holds (its own id, or the canonical
        row's), to save memory; the n-th cluster of an id (rare) as it is."""
        if key == article_id:
            return article_id
        if not isinstance(key, str):
            return key
        slot = self._store.slot_of.get(key)
        return key if slot is None else self._store.ids[slot]

    def compact(self, extra: int = 0) -> None:
        """Evict the entries that fell out of the window (``drain_evicted`` then names them), and grow the index
        if that does not leave room for ``extra`` more."""
        store, horizon = self._store, self._horizon()
        gone = store.expired(horizon)
        passed = [article_id for article_id, at in self._merges_only.items() if at < horizon]
        for article_id in passed:
            del self._merges_only[article_id]
            self._drop_merges(article_id)
        self._evicted += [store.ids[slot] for slot in gone.tolist()] + passed
        for slot in gone.tolist():
            self._first_seq.pop(store.ids[slot], None)
        # A first copy's clusters are found by its id (``_started``); not the merges its decision made.
        leaving = [
            (article_id, self._root(key))
            for slot in gone.tolist()
            if (article_id := store.ids[slot]) != first_copy(key := store.canonical[slot]) or self._carries(article_id)
        ]
        self._forget_members(gone)
        for article_id, root in leaving:  # its cluster stays open: its record lists it still, its merges stand
            if root in self._members and self._depart(article_id, root):
                self._departing.add(article_id)
        for slot in gone.tolist():
            if store.ids[slot] not in self._departed:
                self._drop_merges(store.ids[slot])
        self._count_paragraphs(gone, step=-1)
        store.evict(gone)
        if store.room() < extra:
            store.grow(extra)
            self._paragraphs = ParagraphCounts(store.capacity)  # sized to the index: count the marked ones again
            self._count_paragraphs(store.live())

    def _forget_members(self, slots: np.ndarray) -> None:
        """Take the rows in ``slots`` out of their clusters' member counts; a cluster left with none closes."""
        closed = []
        for slot in slots.tolist():
            canonical = self._root(self._store.canonical[slot])
            self._members[canonical] -= 1
            if not self._members[canonical]:
                del self._members[canonical]
                self._drop_nth(canonical)
                for merged in self._absorbed.pop(canonical, []):
                    del self._merged_into[merged]
                    self._drop_nth(merged)
                closed.append(cluster_of(canonical))
                self._forget_departed(self._departed_from.pop(canonical, []))  # its record deleted: nothing to leave
        self._closed += sorted(closed)

    def holds(self, article_id: str) -> bool:
        """Whether the index holds an entry of ``article_id`` (in the window, or out of it but not evicted yet)."""
        return article_id in self._store.slot_of

    def drain_evicted(self) -> list[str]:
        """Ids evicted from the window since the last call, so that persisted state can forget them too."""
        evicted, self._evicted = self._evicted, []
        return evicted

    def drain_departed(self) -> dict[str, PersistedEntry]:
        """What persisted state writes again since the last call, by id: of later copies the window passed while their
        clusters have members held, or whose cluster was merged since, what it keeps instead of their entry
        (``DepartedEntry``); and the entries of held ids handed merges since (``_hand_over``), as they are now."""
        departing, self._departing = sorted(self._departing), set()
        written: dict[str, PersistedEntry] = {article_id: self._departed_entry(article_id) for article_id in departing}
        held = [article_id for article_id in sorted(self._rewrites) if self.holds(article_id)]
        self._rewrites = set()
        if held:
            slots = [self._store.slot_of[article_id] for article_id in held]
            written.update(zip(held, [entry for _, entry in self._results_at(slots, {})], strict=True))
        return written

    def _departed_entry(self, article_id: str) -> DepartedEntry:
        """What persisted state keeps of a departed id: the cluster whose record lists it, and the merges it keeps, its
        decision's and those handed to it (all in that cluster: a rebuilt index replays them into it)."""
        entry = DepartedEntry(listed_in=cluster_of(self._departed[article_id]))
        if merged := [*self._merges.get(article_id, ()), *self._kept_merged(article_id)]:
            entry["merged"] = merged
        return entry

    def _carries(self, article_id: str) -> bool:
        """Whether persisted state keeps merges with ``article_id``'s entry (its decision's, or handed to it)."""
        return article_id in self._merges or article_id in self._kept

    def _kept_merged(self, article_id: str) -> list[str]:
        """The clusters merged by others whose merges were handed to ``article_id`` (``_hand_over``)."""
        return [cluster_id for ids in self._kept.get(article_id, {}).values() for cluster_id in ids]

    def _drop_merges(self, article_id: str) -> None:
        """Forget the merges kept with ``article_id``'s entry: the id is forgotten, or they closed with its cluster."""
        self._merges.pop(article_id, None)
        self._kept.pop(article_id, None)
        self._rewrites.discard(article_id)

    def _hand_over(self, article_id: str, root: ClusterKey) -> None:
        """Give the merges kept with ``article_id``'s entry to another member of the cluster of ``root``, which the id
        leaves, decided afresh (its new entry replaces the old): the live index keeps them while that cluster is open,
        and so must persisted state, for a rebuilt index to replay them (mergekeep2; before, they went with the old
        entry, and a rebuilt index decided the merged clusters apart). A member the window passed first (its small entry
        written again), else the first held; none when the cluster closed as the id left it (the merges close too)."""
        merged = [*self._merges.get(article_id, ()), *self._kept_merged(article_id)]
        self._drop_merges(article_id)
        self._give(merged, root)

    def _hand_on_kept(self, article_id: str) -> None:
        """Give the merges handed to ``article_id`` to a member of the clusters they are in (``_give``): its entry was
        left out of the rebuilt index as unreadable, and its article, read again, is decided afresh, maybe into another
        cluster. Kept with it, its fresh entry held them as long as its row, not as those clusters (read212: the window
        passing it in another story's cluster, they were written into that one's ``merged``). The merges of its own
        decision stay with it, the article read again recording them again (``restore``)."""
        for cluster_id, merged in self._kept.pop(article_id, {}).items():
            self._give(merged, self._root(key_of(cluster_id)))

    def _give(self, merged: list[str], root: ClusterKey) -> None:
        """Hand ``merged`` to a member of the cluster of ``root`` (``_carrier``), whose entry is written again; none
        when that cluster has closed (the merges closed with it)."""
        if not merged or root not in self._members:
            return
        carrier = self._carrier(root)
        self._kept.setdefault(carrier, {}).setdefault(cluster_of(root), []).extend(merged)
        if carrier in self._departed:
            self._departing.add(carrier)
        else:
            self._rewrites.add(carrier)

    def _carrier(self, root: ClusterKey) -> str:
        """A member of the open cluster of ``root``: the first the window passed, else the first held of its anchors
        (its first copy and those of the clusters merged into it, found by their ids), else the first held of its rows:
        only that reads every row (read212: 8 ms at 200,000 rows; before, every hand-over did, 19 ms with the anchor
        held)."""
        if departed := self._departed_from.get(root):
            return departed[0]
        store, keys = self._store, [root, *self._absorbed.get(root, ())]
        held = [slot for key in keys if (slot := self._first_slot(key)) is not None]
        if not held:
            cluster = set(keys)
            held = [slot for slot, key in enumerate(store.canonical) if key in cluster]
        return store.ids[min(held, key=store.seqs.__getitem__)]

    def _depart(self, article_id: str, root: ClusterKey) -> bool:
        """Remember that the record of the cluster of ``root`` lists ``article_id``, which the index no longer holds;
        whether it does: not once the cluster has as many as a record lists (``CLUSTER_MEMBERS_MAX``). A story copied
        for ever keeps its cluster open, and would keep every copy the window passed, for ever (review read202); its
        record lists the oldest only, so the later ones it would keep are named in no record. One whose decision merged
        clusters is kept all the same: a rebuilt index replays its merges from what the table keeps of it."""
        if len(self._departed_from.get(root, ())) >= CLUSTER_MEMBERS_MAX and not self._carries(article_id):
            return False
        self._departed[article_id] = root
        self._departed_from.setdefault(root, []).append(article_id)
        return True

    def _forget_departed(self, ids: list[str]) -> None:
        """Forget later copies the window passed, and name them evicted (persisted state deletes what it kept)."""
        for article_id in ids:
            del self._departed[article_id]
            self._departing.discard(article_id)
            self._drop_merges(article_id)  # gone with the cluster they were merged into
            self._evicted.append(article_id)

    def _returned(self, article_id: str) -> ClusterKey | None:
        """The cluster a later copy the window passed was in (None if none), forgotten: the id is decided again."""
        root = self._departed.pop(article_id, None)
        if root is not None:
            self._departing.discard(article_id)
            ids = self._departed_from[root]
            ids.remove(article_id)
            if not ids:
                del self._departed_from[root]
            self._hand_over(article_id, root)  # its earlier decision's: not the one it is given now
        return root

    def drain_closed(self) -> list[str]:
        """Clusters none of whose members is left in the window since the last call."""
        closed, self._closed = self._closed, []
        return closed

    def _horizon(self) -> float:
        return self._newest - self.options.window_seconds

    def _append(self, articles: list[Article], sketches: Sketches, keys: list[ClusterKey]) -> np.ndarray:
        """Put new articles in the store (room made for them) as first copies of their own stories under ``keys``,
        until ``_decide_rows`` says."""
        ids = [a[0] for a in articles]
        self._seq += len(ids)
        return self._store.append(
            Rows(
                article_ids=ids,
                canonical_ids=keys,
                revision_of=[None] * len(ids),
                kinds=np.zeros(len(ids), dtype=np.uint8),
                similarities=np.ones(len(ids), dtype=np.float32),
                content_hashes=np.array([split_hash(a[1]) for a in articles], dtype=np.uint64),
                event_times=np.array([a[3] for a in articles], dtype=np.float64),
                seqs=np.arange(self._seq - len(ids) + 1, self._seq + 1, dtype=np.int64),
            ),
            sketches,
        )

    def _new_key(self, article_id: str) -> ClusterKey:
        """The key of the cluster a first copy starts: its id, unless a cluster of that key still has members held
        (merged into another or not), which the id started before: sent again since with content no copy of that
        story, or evicted from the window before its copies. Then (the id, n) for the lowest n from 2 not held: its
        story is not the old one, whose copies keep their cluster, and later copies of each go to their own."""
        if not self._held(article_id):
            return article_id
        return next(key for n in itertools.count(2) if not self._held(key := (article_id, n)))

    def _held(self, key: ClusterKey) -> bool:
        """Whether the cluster of ``key`` has members held (merged into another or not)."""
        return key in self._members or key in self._merged_into

    def _none_held(self, ids: list[str]) -> bool:
        """Whether no cluster that one of ``ids`` started has members held (``_held``, ``_nth``): the usual batch,
        checked at once."""
        held = (self._members.keys(), self._merged_into.keys(), self._nth.keys())
        return all(keys.isdisjoint(ids) for keys in held)

    def _started(self, article_id: str) -> list[str]:
        """The clusters, as their records are kept (merges followed), of the keys ``article_id`` started that have
        members held: its own id, and (id, n) for its n-th."""
        keys = [article_id, *sorted(self._nth.get(article_id, ()), key=lambda key: key[1])]
        return list(dict.fromkeys(cluster_of(self._root(key)) for key in keys if self._held(key)))

    def _note_nth(self, keys: list[ClusterKey]) -> None:
        """Index the n-th cluster keys among ``keys`` by their id, for ``_started`` (rare: a row's key is its id)."""
        for key in keys:
            if not isinstance(key, str):
                self._nth.setdefault(key[0], set()).add(key)

    def _drop_nth(self, key: ClusterKey) -> None:
        """Forget ``key`` in ``_nth``: its cluster has no members held (closed)."""
        if not isinstance(key, str) and (keys := self._nth.get(key[0])) is not None:
            keys.discard(key)
            if not keys:
                del self._nth[key[0]]

    def _first_slot(self, key: ClusterKey, default: int | None = None) -> int | None:
        """The row of the first copy of the cluster of ``key``, if the index holds it, else ``default``: not when its
        id holds another article since (sent again with unrelated content, or after it was evicted)."""
        slot = self._store.slot_of.get(key if isinstance(key, str) else key[0])  # ``first_copy``, inline: per article
        return slot if slot is not None and self._store.canonical[slot] == key else default

    def _count_members(self, slots: np.ndarray) -> None:
        canonical = self._store.canonical
        for slot in slots.tolist():
            root = self._root(canonical[slot])
            self._members[root] = self._members.get(root, 0) + 1
            if not isinstance(root, str):
                self._note_nth([root])

    def _mark_paragraphs(self, slots: np.ndarray, matched: dict[int, int] | None = None) -> None:
        """Mark the end paragraphs of the rows just decided in ``slots`` that the boilerplate counts take in: all
        of a first copy's, and of a copy those neither its story's first copy (if held) nor the article it matched
        (``matched``: its row, by the copy's slot; none given, as on a restore, the first copy alone) holds. An
        outlet's wrapper around a copy is no part of the story, while the story's own end paragraphs are counted
        once: with its first copy, or with the copy that first holds those the first copy lacks (a lead copy first,
        the whole story later); gaps left (docs: Boilerplate, read223). Against the first copy alone, each
        whole copy counted them, and three copies of one story made its own paragraphs boilerplate (read222's fuzz:
        then a batch, whose counts take in its articles after it, decided otherwise than its records one at a time).
        """
        store = self._store
        firsts = np.array([self._first_slot(store.canonical[slot], slot) for slot in slots.tolist()], dtype=np.intp)
        used = self._ends(slots)
        in_first = self._held_by_both(slots, firsts, used, self._ends(firsts)).any(axis=2)
        counted = used & ~(in_first & (firsts != slots)[:, None])
        if matched:
            copies = np.array([n for n, slot in enumerate(slots.tolist()) if slot in matched], dtype=np.intp)
            rows = np.array([matched[slot] for slot in slots[copies].tolist()], dtype=np.intp)
            counted[copies] &= ~self._held_by_both(slots[copies], rows, used[copies], self._ends(rows)).any(axis=2)
        store.counted[slots] = (counted << _END_PLACES).sum(axis=1)

    def _count_paragraphs(self, slots: np.ndarray, step: int = 1) -> None:
        """Count (``step`` -1: uncount) the end paragraphs marked in the rows in ``slots``."""
        store = self._store
        marked = ((store.counted[slots][:, None] >> _END_PLACES) & 1).astype(bool)
        self._paragraphs.add(gather(store.edges, slots)[marked], step)

    def _ends(self, slots: np.ndarray) -> np.ndarray:
        """Which of the ``EDGES_KEPT`` end paragraph places the rows in ``slots`` fill: [slots, EDGES_KEPT] bools."""
        return self._store.edge_counts[slots][:, None] > _END_PLACES

    def _boilerplate(self, slots: np.ndarray, held_by: int | None = None) -> np.ndarray:
        """Which end paragraphs of the rows in ``slots`` are counted for ``held_by`` articles or more (default:
        ``boilerplate_stories``: boilerplate): [slots, EDGES_KEPT] bools."""
        held_by = self.options.boilerplate_stories if held_by is None else held_by
        return self._ends(slots) & (self._paragraphs.count(gather(self._store.edges, slots)) >= held_by)

    def _held_by_both(self, rows: np.ndarray, mine: np.ndarray, theirs: np.ndarray, ours: np.ndarray) -> np.ndarray:
        """[pairs, EDGES_KEPT, EDGES_KEPT]: end paragraph i of the candidate in ``rows`` is end paragraph j of the
        article in ``mine``, both marked (``theirs``, ``ours``)."""
        edges = self._store.edges
        same = gather(edges, rows)[:, :, None] == gather(edges, mine)[:, None, :]
        return same & theirs[:, :, None] & ours[:, None, :]

    def _containment(
        self,
        rows: np.ndarray,
        mine: np.ndarray,
        jaccard: np.ndarray,
        sizes: np.ndarray,
        my_sizes: np.ndarray,
        same_figures: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pair by pair, the containment of the smaller article's own text in the other's, boilerplate set aside;
        whether the new article is longer by ``REVISION_GROWTH``, in all and in its own text (an update, not a
        wrapper; a paragraph edited out of the boilerplate both have counts as its own on one side only); and the
        share of the smaller article that is boilerplate.

        |A n B| comes from J and the two sizes: J(|A|+|B|)/(1+J). The boilerplate paragraphs both have are taken
        out of it, and each side's boilerplate out of its size (its words stand for the shingles they start).
        ``same_figures``: the pairs scored whatever their containment, looked up whatever it is.
        """
        store = self._store
        shared = jaccard * (sizes + my_sizes) / (1 + jaccard)
        floor = np.minimum(np.minimum(sizes, my_sizes), MIN_OWN_SHINGLES)
        # The most setting boilerplate aside could give (all end paragraphs of both out of the sizes): the pairs
        # below the lowest threshold even so (most of them, strangers in a bucket) are not looked up.
        near = np.flatnonzero((jaccard * self.options.num_perm >= MIN_EQUAL_SLOTS) | same_figures)
        their_ends, my_ends = (
            sum_across(gather(store.edge_words, rows[near])),
            sum_across(gather(store.edge_words, mine[near])),
        )
        most = shared[near] / np.maximum(np.minimum(sizes[near] - their_ends, my_sizes[near] - my_ends), floor[near])
        near = near[(most >= CANDIDATE_CONTAINMENT) | same_figures[near]]
        containment = np.minimum(shared / np.minimum(sizes, my_sizes), 1.0)
        grown = np.zeros(len(rows), dtype=bool)
        wrapper = np.zeros(len(rows))
        rows, mine, shared, sizes, my_sizes, floor = (
            rows[near],
            mine[near],
            shared[near],
            sizes[near],
            my_sizes[near],
            floor[near],
        )
        # The new articles' once each: a batch's few hundred are the new side of thousands of pairs (random reads).
        batch = distinct(mine)
        theirs, ours = self._boilerplate(rows), self._boilerplate(batch)[np.searchsorted(batch, mine)]
        their_words = sum_across(np.where(theirs, gather(store.edge_words, rows), 0))
        our_words = sum_across(np.where(ours, gather(store.edge_words, mine), 0))
        # The boilerplate paragraphs both hold, compared only for the pairs where both hold some: the others hold
        # none in common (a [pairs, 6, 6] comparison for each pair that reaches this otherwise).
        wrapped = np.flatnonzero(any_across(theirs) & any_across(ours))
        both = any_across(self._held_by_both(rows[wrapped], mine[wrapped], theirs[wrapped], ours[wrapped]))
        held = np.zeros(len(rows), dtype=np.int64)
        held[wrapped] = sum_across(np.where(both, gather(store.edge_words, rows[wrapped]), 0))
        shared = np.maximum(shared - held, 0)
        their_own, my_own = sizes - their_words, my_sizes - our_words
        containment[near] = np.minimum(shared / np.maximum(np.minimum(their_own, my_own), floor), 1.0)
        grown[near] = (my_sizes >= REVISION_GROWTH * sizes) & (my_own >= REVISION_GROWTH * np.maximum(their_own, floor))
        wrapper[near] = np.where(sizes <= my_sizes, their_words / sizes, our_words / my_sizes)
        return containment, grown, wrapper

    def _root(self, key: ClusterKey) -> ClusterKey:
        """The key of the cluster a copy's cluster lives on in (its own unless it was merged)."""
        return self._merged_into.get(key, key)

    def _merge(self, older: ClusterKey, younger: ClusterKey) -> None:
        """Merge the cluster of key ``younger`` (and those merged into it) into ``older``'s."""
        if older == younger:  # a merge replayed onto a rebuilt index that holds it already
            return
        moved = [younger, *self._absorbed.pop(younger, [])]
        for canonical_id in moved:
            self._merged_into[canonical_id] = older
        self._absorbed.setdefault(older, []).extend(moved)
        self._note_nth([older, *moved])  # held since: a merge replayed on restore can name a key no row holds
        # Their records folded into older's, which lists younger's members after its own, within its cap (``_depart``).
        for article_id in self._departed_from.pop(younger, []):
            if self._depart(article_id, older):
                self._departing.add(article_id)
            else:
                self._forget_departed([article_id])
        if younger in self._members:
            self._members[older] = self._members.get(older, 0) + self._members.pop(younger)

    def _age(self, key: ClusterKey) -> tuple[int, str]:
        """Orders clusters oldest first: by their canonical copy's first arrival (one the index no longer holds first:
        evicted from the window, or its id sent again with unrelated content; one updated in place of itself keeps
        the arrival it had)."""
        slot = self._first_slot(key)
        if slot is None:
            return (-1, cluster_of(key))
        return (self._first_seq.get(first_copy(key), int(self._store.seqs[slot])), cluster_of(key))

    def _make_room(self, rows: int) -> None:
        if self._store.room() < rows:
            self.compact(extra=rows)

    def _decide_rows(self, slots: np.ndarray, newest: np.ndarray) -> dict[int, int]:
        """Decide, in order, the articles just appended in ``slots`` (``newest``: the newest event time each saw);
        the row each copy among them matched, by its slot (``_mark_paragraphs``)."""
        store = self._store
        owners, rows = store.earlier(slots)
        mine = slots[owners]
        horizons = newest - self.options.window_seconds
        live = store.times[rows] >= horizons[owners]
        owners, rows, mine = owners[live], rows[live], mine[live]
        pairs = self._pairs(rows, mine)
        bounds = np.searchsorted(owners, np.arange(len(slots) + 1))
        # An article with no exact pair and no pair of probability one half or more is a first copy, as appended:
        # not matched (unless every pair is scored: the fit records the candidates each article would score).
        candidates = pairs.eligible if self.scores_every_pair else (pairs.probability >= 0.5)
        witnesses = self._anchor_scores(slots.tolist(), owners, pairs, bounds, horizons)
        matched: dict[int, int] = {}
        for n in np.unique(owners[pairs.exact | candidates]).tolist():
            slot = int(slots[n])
            its_pairs = pairs.at(slice(bounds[n], bounds[n + 1]))
            if (found := self._match(slot, its_pairs, float(horizons[n]), witnesses.get(slot, {}))) is not None:
                matched[slot], decision = found
                store.set_decision(slot, *decision)
        return matched

    def _anchor_scores(
        self, slots: list[int], owners: np.ndarray, pairs: CandidatePairs, bounds: np.ndarray, horizons: np.ndarray
    ) -> dict[int, dict[int, float]]:
        """By article of the batch (its slot), the probabilities of its pairs with the anchors (``_anchored``) of
        the clusters it may join that are not among its candidates, scored in one ``_pairs`` call (not one per
        cluster and article: a pair's score does not change while the batch is decided). The clusters it may join:
        those of its exact or likely (one half or more) candidates, as they stand before the batch is decided, and
        those its candidates of the batch may join. An anchor the batch's merges bring is scored on demand."""
        store, likely = self._store, pairs.exact | (pairs.probability >= 0.5)
        clusters: dict[int, set[ClusterKey]] = {}
        for n, row in zip(owners[likely].tolist(), pairs.rows[likely].tolist(), strict=True):
            joins = clusters.setdefault(slots[n], set())
            joins.add(self._root(store.canonical[row]))
            joins |= clusters.get(row, set())  # a candidate of the batch: the clusters it may join
        wanted: list[tuple[int, int]] = []  # (the article's slot, the anchor's row)
        for n in np.unique(owners[likely]).tolist():
            anchors = self._anchors(clusters[slots[n]], slots[n], float(horizons[n]))
            anchors.difference_update(pairs.rows[bounds[n] : bounds[n + 1]].tolist())  # no set of every candidate
            wanted += [(slots[n], anchor) for anchor in anchors]
        if not wanted:
            return {}
        mine, anchors = np.array(wanted, dtype=np.intp).T
        scores: dict[int, dict[int, float]] = {}
        for (slot, anchor), p in zip(wanted, self._pairs(anchors, mine).probability.tolist(), strict=True):
            scores.setdefault(slot, {})[anchor] = p
        return scores

    def _anchors(self, clusters: set[ClusterKey], slot: int, horizon: float) -> set[int]:
        """The rows of the clusters' anchors (their first copies, and those of the clusters merged into them) still
        in the window, but for the article in ``slot``."""
        store = self._store
        rows = [self._first_slot(c) for cluster in clusters for c in (cluster, *self._absorbed.get(cluster, ()))]
        return {a for a in rows if a is not None and a != slot and store.times[a] >= horizon}

    def _pairs(self, rows: np.ndarray, mine: np.ndarray) -> CandidatePairs:
        """The evidence and the decision model's probability of the pairs of rows ``mine`` (new articles) and
        ``rows`` (earlier ones)."""
        store = self._store
        hashes, my_hashes = gather(store.content_hashes, rows), gather(store.content_hashes, mine)
        exact = (hashes[:, 0] == my_hashes[:, 0]) & (hashes[:, 1] == my_hashes[:, 1])  # all(axis=1): twice the time
        equal = store.equal_values(rows, mine)
        sizes, my_sizes = store.sizes[rows].astype(np.float64), store.sizes[mine].astype(np.float64)
        same_figures = self._same_figures(rows, mine)
        containment, grown, wrapper = self._containment(
            rows, mine, equal / self.options.num_perm, sizes, my_sizes, same_figures
        )
        length_ratio = np.minimum(sizes, my_sizes) / np.maximum(sizes, my_sizes)
        eligible = same_figures | (containment >= CANDIDATE_CONTAINMENT)
        scored = np.flatnonzero(~exact & eligible)
        most = self._early_evidence(
            rows[scored], mine[scored], equal[scored], containment[scored], wrapper[scored], length_ratio[scored]
        )
        kept = np.ones(len(scored), dtype=bool) if self.scores_every_pair else self.options.model.may_be_copies(most)
        scored = scored[kept]
        inputs = np.zeros((len(rows), len(FEATURES)))
        inputs[scored] = features(self._late_evidence(rows[scored], mine[scored], _take(most, kept)))
        probability = np.zeros(len(rows))  # 0 for a pair not scored, or whose score cannot reach one half
        probability[scored] = self.options.model.probability(inputs[scored])
        return CandidatePairs(rows, exact, containment, eligible, grown, probability, inputs)

    def _same_figures(self, rows: np.ndarray, mine: np.ndarray) -> np.ndarray:
        """Pair by pair, whether the two articles share a figure key (read only where the new one has keys: a short
        article's, never 0)."""
        figures = self._store.figures
        my_figures = gather(figures, mine)
        keyed = np.flatnonzero(my_figures[:, 0])
        same = np.zeros(len(rows), dtype=bool)
        same[keyed] = any_across(gather(figures, rows[keyed]) == my_figures[keyed])
        return same

    def _match(
        self, slot: int, pairs: CandidatePairs, horizon: float, witnesses: dict[int, float]
    ) -> tuple[int, tuple[ClusterKey, str | None, int, float]] | None:
        """The copy the article in ``slot`` is of, among its candidate ``pairs`` (its row, and the decision); None for
        a first copy.

        The candidates most contained first, one per cluster, are scored by the decision model; a cluster's score is
        its candidate's when a second witness of the cluster agrees (``_anchored``): the article is a copy of the best
        cluster when that is one half or more. It is a copy in another cluster too when the probability that both are
        its story (the product of the two) is one half or more: those clusters are merged into the oldest of them (a
        later copy showed they are one story), and the article joins it. ``witnesses``: anchors scored already.
        """
        # Ties go by arrival, not by row: a row's slot is where a free one was (reused), and a rebuilt index (a
        # restart, a failed batch's undo) lays its rows out in arrival order (read109: other copies were chosen).
        seqs = self._store.seqs
        if pairs.exact.any():
            exact = pairs.rows[pairs.exact]
            return self._duplicate_of(int(exact[np.argmin(seqs[exact])]), "exact", 1.0)
        eligible = np.flatnonzero(pairs.eligible)  # sorted alone: the few scored of dozens of candidates
        order = eligible[np.lexsort((seqs[pairs.rows[eligible]], -pairs.containment[eligible]))]
        rows = pairs.rows.tolist()
        scored = self._clusters_read(order, pairs)
        if not scored:
            return None
        probabilities = self._scored(slot, pairs, [i for i, _ in scored]).tolist()
        if max(probabilities) >= 0.5:  # the candidates' scores, read by every cluster's second witness
            scored_rows = np.flatnonzero(pairs.probability > 0)  # the few the model scored, of dozens of candidates
            positive = dict(zip(pairs.rows[scored_rows].tolist(), pairs.probability[scored_rows].tolist(), strict=True))
            members = self._members_scored(positive)
            probabilities = [
                self._anchored(slot, (rows, positive, members), cluster, p, horizon, witnesses) if p >= 0.5 else p
                for p, (_, cluster) in zip(probabilities, scored, strict=True)
            ]
        ranked = zip(probabilities, seqs[pairs.rows[[i for i, _ in scored]]].tolist(), scored, strict=True)
        p_best, _, (best, cluster) = max(ranked, key=lambda item: item[:2])
        if p_best < 0.5:
            return None
        # Another cluster is the same story when the article is a copy in both: with probability p_best * p.
        also = {c for p, (_, c) in zip(probabilities, scored, strict=True) if c != cluster and p_best * p >= 0.5}
        older, *younger = sorted({cluster} | also, key=self._age)
        for merged in younger:
            self._merge(older, merged)
        if younger:
            self._merges[self._store.ids[slot]] = tuple(cluster_of(c) for c in younger)
        kind: DecisionKind = "revision" if pairs.grown[best] else "near"
        return self._duplicate_of(int(pairs.rows[best]), kind, float(pairs.containment[best]))

    def _clusters_read(self, order: np.ndarray, pairs: CandidatePairs) -> list[tuple[int, ClusterKey]]:
        """(candidate, cluster) for the clusters an article's ``pairs`` are read in, each through its first candidate
        in ``order`` (the most contained), whatever its rank: the first ``MAX_SCORED`` clusters, and beyond them those
        whose candidate may be a copy (probability one half or more): no other can be the article's cluster or be
        merged into it. A cluster whose first candidate says no is not read through a less contained member past the
        cut, as it is not within it. The walk stops at the cut unless a likely candidate lies beyond it."""
        rows, canonical = pairs.rows.tolist(), self._store.canonical
        likely = (pairs.probability[order] >= 0.5).tolist()
        last = max((n for n, yes in enumerate(likely) if yes), default=-1)
        scored: list[tuple[int, ClusterKey]] = []
        seen: set[ClusterKey] = set()
        for n, i in enumerate(order.tolist()):
            if len(scored) >= MAX_SCORED and n > last:
                break
            if (cluster := self._root(canonical[rows[i]])) not in seen:
                seen.add(cluster)
                if len(scored) < MAX_SCORED or likely[n]:
                    scored.append((i, cluster))
        return scored

    def _anchored(
        self,
        slot: int,
        candidates: tuple[list[int], dict[int, float], dict[ClusterKey, list[tuple[int, float]]]],
        cluster: ClusterKey,
        probability: float,
        horizon: float,
        witnesses: dict[int, float],
    ) -> float:
        """The article's probability of being a copy in ``cluster``: its candidate's ``probability`` when the decision
        also holds against a second witness, one of the cluster's anchors (its first copy, and those of the clusters
        merged into it, still in the window) or another of its members, or when the candidate is an anchor itself;
        else the best of the others, so that A like B and B like C does not join C to A's story on B's word alone.
        A cluster none of whose anchors is left in the window is judged on its candidate alone. ``candidates``: the
        candidate rows, ascending, the probability of those scored (the others' is 0), and those by cluster
        (``_members_scored``); ``witnesses``: anchors scored already (``_anchor_scores``), the others scored here."""
        rows, positive, by_cluster = candidates
        anchors = self._anchors({cluster}, slot, horizon)
        if not anchors:
            return probability
        known = {}
        for a in anchors:  # a candidate's probability (a lookup in the few scored: not a dict of every candidate)
            if (at := bisect.bisect_left(rows, a)) < len(rows) and rows[at] == a:
                known[a] = positive.get(a, 0.0)
            elif a in witnesses:
                known[a] = witnesses[a]
        unknown = np.array([a for a in anchors if a not in known], dtype=np.intp)
        if len(unknown):
            scores = self._pairs(unknown, np.full(len(unknown), slot)).probability
            known |= dict(zip(unknown.tolist(), scores.tolist(), strict=True))
        anchor = max(known.values())
        # Members not scored (probability 0, most candidates) are left out: only a second best above 0 counts.
        members = sorted((p for row, p in by_cluster.get(cluster, ()) if row not in anchors), reverse=True)
        second = members[1] if len(members) > 1 else 0.0
        return min(probability, max(anchor, second))

    def _members_scored(self, positive: dict[int, float]) -> dict[ClusterKey, list[tuple[int, float]]]:
        """The candidates scored (``positive``: row -> probability) by cluster, grouped once for every cluster an
        article reads: each cluster's search for its other members was a pass over all of them (quadratic when
        hundreds of a template's clusters may be copies)."""
        canonical = self._store.canonical
        by_cluster: dict[ClusterKey, list[tuple[int, float]]] = {}
        for row, p in positive.items():
            by_cluster.setdefault(self._root(canonical[row]), []).append((row, p))
        return by_cluster

    def _scored(self, slot: int, pairs: CandidatePairs, candidates: list[int]) -> np.ndarray:
        """The decision model's probability that the article in ``slot`` is one story with each of the candidates
        scored (the batch computed them: a hook for the fit script to record what was scored)."""
        return pairs.probability[candidates]

    def _early_evidence(
        self,
        rows: np.ndarray,
        mine: np.ndarray,
        equal: np.ndarray,
        containment: np.ndarray,
        wrapper: np.ndarray,
        length_ratio: np.ndarray,
    ) -> Evidence:
        """What the index knows of the pairs of rows ``mine`` (the new articles) and ``rows`` (their candidates)
        before the ``LATE`` evidence, which holds the largest values it can take: ``equal`` signature values, the
        containment, the boilerplate share and the length ratio computed so far, the time apart and the leads'
        agreement; fact matches of all the keys the smaller sample keeps, a shared wrapper of the whole article."""
        store = self._store
        leads, my_leads = gather(store.leads, rows), gather(store.leads, mine)
        has_leads = leads.any(axis=1) & my_leads.any(axis=1)
        # The keys each sample keeps (numbers, names) as int64, as fact_match counts: a uint16's log1p is a float32.
        counts, my_counts = gather(store.fact_counts, rows), gather(store.fact_counts, mine)
        kept = np.minimum(counts[:, 2:], my_counts[:, 2:]).T.astype(np.int64)
        return Evidence(
            containment=containment,
            equal_slots=equal,
            smaller_size=np.minimum(store.sizes[rows], store.sizes[mine]),
            numbers=FactMatch(*[kept[0]] * 5),
            names=FactMatch(*[kept[1]] * 5),
            seconds_apart=store.times[mine] - store.times[rows],
            length_ratio=length_ratio,
            boilerplate_share=wrapper,
            lead_agreement=np.where(has_leads, (leads == my_leads).mean(axis=1), 0.0),
            shared_wrapper=np.ones(len(rows)),
        )

    def _late_evidence(self, rows: np.ndarray, mine: np.ndarray, early: Evidence) -> Evidence:
        """The pairs' whole evidence: their ``early`` one with the ``LATE`` fields computed."""
        store = self._store
        counts, my_counts = gather(store.fact_counts, rows), gather(store.fact_counts, mine)
        return early._replace(
            numbers=fact_match(
                gather(store.numbers, mine), my_counts[:, [0, 2]], gather(store.numbers, rows), counts[:, [0, 2]]
            ),
            names=fact_match(
                gather(store.names, mine), my_counts[:, [1, 3]], gather(store.names, rows), counts[:, [1, 3]]
            ),
            shared_wrapper=self._shared_wrapper(rows, mine),
        )

    def _shared_wrapper(self, rows: np.ndarray, mine: np.ndarray) -> np.ndarray:
        """Pair by pair, the share of the smaller article's words in end paragraphs that both hold word for word and
        a third article of the window holds too: a wrapper not yet known as one (held by fewer than
        ``boilerplate_stories`` stories so far). A story's own paragraph is counted once, with its first copy, so a
        copy and its story share paragraphs counted once; an outlet's line is counted with every story it wraps."""
        store = self._store
        theirs = self._boilerplate(rows, held_by=2)  # the candidate's count, and another's
        both = self._held_by_both(rows, mine, theirs, self._ends(mine))
        their_words = np.where(both.any(axis=2), gather(store.edge_words, rows), 0).sum(axis=1)
        my_words = np.where(both.any(axis=1), gather(store.edge_words, mine), 0).sum(axis=1)
        sizes, my_sizes = store.sizes[rows], store.sizes[mine]
        extra = self.options.shingle_words - 1  # a text's words: its shingles and the last one's other words
        share = np.where(sizes <= my_sizes, their_words / (sizes + extra), my_words / (my_sizes + extra))
        return np.minimum(share, 1.0)

    def _duplicate_of(
        self, row: int, kind: DecisionKind, similarity: float
    ) -> tuple[int, tuple[ClusterKey, str | None, int, float]]:
        """``row``, and the decision for a copy of its article: its cluster's key, revision_of, kind, similarity."""
        store = self._store
        canonical = self._root(store.canonical[row])
        return row, (canonical, store.ids[row] if kind == "revision" else None, _KINDS.index(kind), similarity)

    def _results_at(
        self, slots: list[int], texts: dict[str, str], again: bool = False
    ) -> list[tuple[Decision, IndexEntry]]:
        """The decision taken on, and the index entry to persist for, the article in each slot (read in bulk: a
        numpy scalar read costs more than the value it returns). ``texts``: the sketches' text forms at hand, by id;
        the others are encoded from the store's rows. ``again``: the articles were decided before this call, and
        their clusters may have been merged since (``Decision.merged_into``).
        """
        store = self._store
        rows = np.array(slots, dtype=np.intp)
        ids = [store.ids[slot] for slot in slots]
        unknown = [n for n, article_id in enumerate(ids) if article_id not in texts]
        if unknown:  # a batch of records brings every text form: encoding none costs a dozen numpy calls all the same
            encoded = store.sketches_at(rows[unknown]).texts()
            texts = {**texts, **dict(zip([ids[n] for n in unknown], encoded, strict=True))}
        results = []
        for slot, article_id, kind, similarity, content_hash, at, seq, counted in zip(
            slots,
            ids,
            store.kinds[rows].tolist(),
            store.similarities[rows].tolist(),
            store.content_hashes_at(rows),
            store.times[rows].tolist(),
            store.seqs[rows].tolist(),
            store.counted[rows].tolist(),
            strict=True,
        ):
            key, merged = store.canonical[slot], self._merges.get(article_id, ())
            home = self._root(key) if again else key
            canonical = first_copy(key)
            # Positional, and the entry a dict display: the keyword calls cost as much as the rest of the loop.
            decision = Decision(
                _KINDS[kind],
                cluster_of(key),
                canonical,
                round(similarity, 4),
                store.revision_of[slot],
                merged,
                None if home == key else cluster_of(home),
            )
            entry: IndexEntry = {
                "kind": decision.kind,
                "cluster_id": decision.cluster_id,
                "canonical_id": canonical,
                "similarity": decision.similarity,
                "revision_of": decision.revision_of,
                "content_hash": content_hash,
                "event_time": at,
                "seq": seq,
                "first_seq": self._first_seq.get(article_id, seq),
                "sketch": texts[article_id],
                "merged": list(merged),
                "counted": counted,
            }
            if self._kept and (kept := self._kept.get(article_id)):
                entry["kept"] = {cluster_id: list(ids) for cluster_id, ids in kept.items()}
            results.append((decision, entry))
        return results


def _left(decision: Decision, listed: list[str]) -> tuple[str, ...]:
    """Of the clusters whose records list an article decided afresh, those it is no longer in: all but the cluster it
    was decided into, as it was then. Not where that cluster lives once its run is decided: a later article of the
    run can merge it into one of ``listed``, and the leave published ahead of that merge is the one the article makes
    alone (live96's review: none was made, and the old story's record kept the id's old entry, in its old place)."""
    return tuple(cluster for cluster in listed if cluster != decision.cluster_id)


def _is_finite(value: object) -> bool:
    """Whether a persisted value is a finite number (an event time the window can pass, a similarity)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_arrival(value: object) -> bool:
    """Whether a persisted value is an arrival number (``seq``)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _is_ids(value: object) -> bool:
    """Whether a persisted value is a list of ids (of clusters merged)."""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


_HASH = re.compile(r"[0-9a-f]{32}")  # ``content_hash``: 128 bits in hex
# What ``restore`` reads of a persisted entry, and whether a value is one it can put back: the one check of each
# field, so that a damaged entry is left out rather than raised on by whatever reads the field first.
_ENTRY_FIELDS: dict[str, Callable[[object], bool]] = {
    "seq": _is_arrival,
    "first_seq": _is_arrival,
    "kind": lambda value: isinstance(value, str) and value in _KINDS,
    "cluster_id": lambda value: isinstance(value, str),
    "revision_of": lambda value: value is None or isinstance(value, str),
    "similarity": _is_finite,
    "content_hash": lambda value: isinstance(value, str) and _HASH.fullmatch(value) is not None,
    "event_time": _is_finite,
    "sketch": lambda value: isinstance(value, str),  # read by ``Sketch.from_text`` after this check
    "merged": lambda value: value is None or _is_ids(value),
    "counted": lambda value: isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**EDGES_KEPT,
    "kept": lambda value: (
        isinstance(value, dict) and all(isinstance(c, str) and _is_ids(ids) for c, ids in value.items())
    ),
}
# Absent from entries written before merges, first arrivals, boilerplate marks were recorded (and ``kept`` but when
# the entry keeps merges of others).
_OPTIONAL = {"merged", "first_seq", "counted", "kept"}
_MERGE_FIELDS = {name: _ENTRY_FIELDS[name] for name in ("cluster_id", "merged", "kept")}  # what replaying merges reads
_DEPARTED_FIELDS = {"listed_in": _ENTRY_FIELDS["cluster_id"], "merged": _ENTRY_FIELDS["merged"]}  # ``DepartedEntry``


def _fault(entry: object, fields: dict[str, Callable[[object], bool]]) -> str | None:
    """Why a persisted entry cannot be put back (a field missing or damaged: the first found), or None."""
    if not isinstance(entry, dict):
        return f"no entry but {type(entry).__name__}"
    for name, readable in fields.items():
        if name not in entry:
            if name not in _OPTIONAL:
                return f"{name} missing"
        elif not readable(value := entry[name]):
            return f"{name} damaged ({type(value).__name__} {str(value)[:40]!r})"
    return None


def _log_left_out(faults: dict[str, str]) -> None:
    """One warning for the entries a restore left out, the first ten named with their reason."""
    if faults:
        named = "; ".join(f"{article_id}: {reason}" for article_id, reason in list(faults.items())[:10])
        log.warning("dedup restore left out %d unreadable entries of the index's table: %s", len(faults), named)


def _text_form(sketch: Sketch | str | None) -> str | None:
    """The text form a sketch was brought in or read from, if any."""
    return sketch if isinstance(sketch, str) or sketch is None else sketch.text


def _take(evidence: Evidence, where: np.ndarray) -> Evidence:
    """The evidence of some of the pairs."""
    return Evidence(*(per_array(field, lambda values: values[where]) for field in evidence))


@dataclass(frozen=True, slots=True)
class CandidatePairs:
    """An article's candidate rows and what the batch computed of each pair."""

    rows: np.ndarray  # ascending, as ``Store.earlier`` finds them (``_anchored`` looks a row up by bisection)
    exact: np.ndarray  # the content hashes are equal
    containment: np.ndarray
    eligible: np.ndarray  # scored: the containment is ``CANDIDATE_CONTAINMENT`` or more, or the figure keys meet
    grown: np.ndarray  # the new article is the longer by ``REVISION_GROWTH``: a revision if it matches
    probability: np.ndarray  # the decision model's, that the two are one story (0 for pairs not scored)
    inputs: np.ndarray  # [pairs, features]: the model's inputs (zeros for pairs not scored)

    def at(self, where: slice) -> CandidatePairs:
        """The pairs of one article."""
        return CandidatePairs(*(getattr(self, name)[where] for name in self.__slots__))
