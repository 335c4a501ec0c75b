"""The dedup stage: one story cluster per wire story, however many outlets republish it.

Exact copies match on the content hash. Near copies are found through a banded LSH over b-bit MinHash
signatures of word shingles and verified on two signals: the estimated containment of the smaller shingle
set in the larger one (so a copy cut to its first paragraphs, or an update with paragraphs added, still
matches), and agreement of the numbers and names both have in the same places (so a templated story, same
words with other figures and names, does not). The first copy seen is the canonical one; a longer copy is recorded as a revision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypedDict

import numpy as np

from workers.dedup.sketch import MIN_SAMPLE, FactMatch, Sketch, Sketcher, fact_match
from workers.dedup.store import Row, Store, split_hash

__all__ = [
    "Decision",
    "DecisionKind",
    "DedupIndex",
    "DedupOptions",
    "IndexEntry",
    "canonical_of",
    "cluster_of",
    "event_time",
]

DecisionKind = Literal["unique", "exact", "near", "revision"]
_KINDS: tuple[DecisionKind, ...] = ("unique", "exact", "near", "revision")
# A near copy this much longer than the copy it matched holds added paragraphs: an update, a revision. Outlet
# boilerplate or a dateline adds a few percent; an added paragraph adds more.
REVISION_GROWTH = 1.15
# A containment estimated from fewer equal signature values than this (a short article against one many times
# longer: J = 0.06 at 8 of 128) is noisy; such a match stands only when facts were compared and agree.
FEW_SLOTS = 8


@dataclass(frozen=True, slots=True)
class DedupOptions:
    """Tunables of the dedup stage (see the README's settings table)."""

    threshold: float = 0.6  # estimated containment of the shorter article's shingles in the other's
    number_threshold: float = 0.5  # share of the contexts both put a number under that hold the same number
    name_threshold: float = 0.5  # the same for names (judged only when the numbers cannot vouch)
    fact_threshold: float = 0.3  # share of the sampled facts of the article with fewer found in the other, in place
    num_perm: int = 128
    bands: int = 42  # LSH bands of num_perm // bands rows: 42 x 3 finds pairs of Jaccard 0.4 with p = 0.94
    shingle_words: int = 5
    window_seconds: float = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether an article is the first copy of its story, and which cluster (and copy) it belongs to."""

    kind: DecisionKind
    cluster_id: str
    canonical_id: str
    similarity: float
    revision_of: str | None = None


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
    sketch: str  # Sketch.to_text()


def event_time(published_at: str | None, fallback: float) -> float:
    """The article's event time in epoch seconds: its publication time, else the fallback."""
    if published_at:
        try:
            return datetime.fromisoformat(published_at).timestamp()
        except ValueError:
            pass
    return fallback


CLUSTER_PREFIX = "cl-"


def cluster_of(canonical_id: str) -> str:
    """The cluster id of a story: named after its first copy."""
    return f"{CLUSTER_PREFIX}{canonical_id}"


def canonical_of(cluster_id: str) -> str:
    """The id of a cluster's first copy."""
    return cluster_id.removeprefix(CLUSTER_PREFIX)


class DedupIndex:
    """Sketches of the articles seen within the event-time window, and the decisions taken on them."""

    def __init__(self, options: DedupOptions) -> None:
        self.options = options
        self._sketcher = Sketcher(options.num_perm, options.shingle_words)
        self._clear()

    def _clear(self) -> None:
        self._store = Store(self.options.num_perm, self.options.bands)
        self._newest = float("-inf")
        self._seq = 0
        self._evicted: list[str] = []
        self._closed: list[str] = []

    def __len__(self) -> int:
        return self._store.size

    def nbytes(self) -> int:
        """Memory held by the index, in bytes."""
        return self._store.nbytes()

    def decide(self, article_id: str, content_hash: str, text: str, at: float) -> tuple[Decision, IndexEntry]:
        """Classify an article and remember it; an id seen before gets its earlier decision back."""
        store = self._store
        slot = store.slot_of.get(article_id)
        if slot is not None:
            return self._decision_at(slot), self._entry_at(slot)
        sketch = self._sketcher.sketch(text)
        self._newest = max(self._newest, at)
        decision = self._match(article_id, content_hash, sketch)
        self._seq += 1
        self._append(article_id, decision, content_hash, sketch, at, self._seq)
        return decision, self._entry_at(store.slot_of[article_id])

    def reset(self, entries: list[tuple[str, IndexEntry]]) -> None:
        """Forget everything, then hold exactly ``entries`` (saved by ``decide``): recovery after a restart."""
        self._clear()
        for article_id, entry in sorted(entries, key=lambda item: item[1]["seq"]):
            self.restore(article_id, entry)

    def restore(self, article_id: str, entry: IndexEntry) -> None:
        """Put back one entry saved by ``decide``."""
        if article_id in self._store.slot_of:
            return
        decision = Decision(
            kind=entry["kind"],
            cluster_id=entry["cluster_id"],
            canonical_id=entry["canonical_id"],
            similarity=entry["similarity"],
            revision_of=entry["revision_of"],
        )
        sketch = Sketch.from_text(entry["sketch"], self.options.num_perm)
        self._newest = max(self._newest, entry["event_time"])
        self._seq = max(self._seq, entry["seq"])
        self._append(article_id, decision, entry["content_hash"], sketch, entry["event_time"], entry["seq"])

    def compact(self) -> None:
        """Drop the entries that fell out of the window; ``drain_evicted`` then names them."""
        store = self._store
        live = store.times[: store.size] >= self._horizon()
        gone = np.flatnonzero(~live)
        self._evicted += [store.ids[row] for row in gone]
        kept = np.flatnonzero(live)
        self._closed += sorted(
            {cluster_of(store.canonical[row]) for row in gone} - {cluster_of(store.canonical[row]) for row in kept}
        )
        store.keep(kept)

    def drain_evicted(self) -> list[str]:
        """Ids evicted from the window since the last call, so that persisted state can forget them too."""
        evicted, self._evicted = self._evicted, []
        return evicted

    def drain_closed(self) -> list[str]:
        """Clusters none of whose members is left in the window since the last call."""
        closed, self._closed = self._closed, []
        return closed

    def _horizon(self) -> float:
        return self._newest - self.options.window_seconds

    def _match(self, article_id: str, content_hash: str, sketch: Sketch) -> Decision:
        store = self._store
        rows = store.candidates(sketch.signature)
        rows = rows[store.times[rows] >= self._horizon()]
        exact = rows[(store.content_hashes[rows] == np.array(split_hash(content_hash), dtype=np.uint64)).all(axis=1)]
        if len(exact):
            return self._duplicate_of(int(exact[0]), "exact", 1.0)
        jaccard = np.count_nonzero(store.signatures[rows] == sketch.signature, axis=1) / self.options.num_perm
        sizes = store.sizes[rows].astype(np.float64)
        shared = jaccard * (sizes + sketch.size) / (1 + jaccard)  # |A n B| from J and the two set sizes
        containment = np.minimum(shared / np.minimum(sizes, sketch.size), 1.0)
        for i in np.argsort(-containment, kind="stable"):
            if containment[i] < self.options.threshold:
                break
            row = int(rows[i])
            if self._facts_agree(sketch, row, jaccard[i] * self.options.num_perm < FEW_SLOTS):
                kind: DecisionKind = "revision" if sketch.size >= REVISION_GROWTH * sizes[i] else "near"
                return self._duplicate_of(row, kind, float(containment[i]))
        return Decision(kind="unique", cluster_id=cluster_of(article_id), canonical_id=article_id, similarity=1.0)

    def _facts_agree(self, sketch: Sketch, row: int, weak: bool) -> bool:
        """The facts two articles have in the same places agree, and they have enough of them there.

        Numbers are the strict check: where both put a number under the same context, most must be the same
        number (a templated sibling's figures differ). Names conflict for true copies too (two outlets' bylines
        or datelines under one template), so their conflicts count only when the numbers cannot vouch. And a
        fair share of the facts of the article with fewer must be in the other in the same context, so two
        stories that share only an outlet's boilerplate, or a template's fixed words, stay apart.
        """
        other = self._store.sketch_at(row)
        options = self.options
        numbers = fact_match(sketch.numbers, sketch.number_count, other.numbers, other.number_count)
        names = fact_match(sketch.names, sketch.name_count, other.names, other.name_count)
        if _conflicting(numbers, options.number_threshold) or _unsupported(numbers, options.fact_threshold):
            return False
        if numbers.agreeing < MIN_SAMPLE and _conflicting(names, options.name_threshold):
            return False
        both = FactMatch(*(a + b for a, b in zip(numbers, names, strict=True)))
        if weak and min(both.mine, both.theirs) < MIN_SAMPLE:
            return False  # a containment resting on a few signature values needs facts to vouch for it
        return not _unsupported(both, options.fact_threshold)

    def _duplicate_of(self, row: int, kind: DecisionKind, similarity: float) -> Decision:
        store = self._store
        canonical = store.canonical[row]
        revision_of = store.ids[row] if kind == "revision" else None
        return Decision(kind, cluster_of(canonical), canonical, similarity, revision_of)

    def _append(
        self, article_id: str, decision: Decision, content_hash: str, sketch: Sketch, at: float, seq: int
    ) -> None:
        store = self._store
        if store.full:
            self.compact()
        known = store.slot_of.get(decision.canonical_id)  # share the canonical id's string with its own row
        row = Row(
            article_id=article_id,
            canonical_id=store.ids[known] if known is not None else decision.canonical_id,
            revision_of=decision.revision_of,
            kind=_KINDS.index(decision.kind),
            similarity=decision.similarity,
            content_hash=content_hash,
            event_time=at,
            seq=seq,
        )
        store.append(row, sketch)

    def _decision_at(self, slot: int) -> Decision:
        store = self._store
        canonical = store.canonical[slot]
        return Decision(
            kind=_KINDS[store.kinds[slot]],
            cluster_id=cluster_of(canonical),
            canonical_id=canonical,
            similarity=round(float(store.similarities[slot]), 4),
            revision_of=store.revision_of[slot],
        )

    def _entry_at(self, slot: int) -> IndexEntry:
        store = self._store
        decision = self._decision_at(slot)
        return IndexEntry(
            kind=decision.kind,
            cluster_id=decision.cluster_id,
            canonical_id=decision.canonical_id,
            similarity=decision.similarity,
            revision_of=decision.revision_of,
            content_hash=store.content_hash_at(slot),
            event_time=float(store.times[slot]),
            seq=int(store.seqs[slot]),
            sketch=store.sketch_at(slot).to_text(),
        )


def _unsupported(facts: FactMatch, threshold: float) -> bool:
    """Enough facts on both sides to judge, and too few of those of the article with fewer are in the other."""
    fewer = min(facts.mine, facts.theirs)
    return fewer >= MIN_SAMPLE and facts.common < threshold * fewer


def _conflicting(facts: FactMatch, threshold: float) -> bool:
    """Enough shared contexts to judge, and too few of them hold the same fact in both articles."""
    return facts.shared >= MIN_SAMPLE and facts.agreeing < threshold * facts.shared
