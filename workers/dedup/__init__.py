"""The dedup stage: one story cluster per wire story, however many outlets republish it.

Exact copies match on the content hash; near copies on MinHash signatures of word shingles, found through
LSH and verified on the estimated Jaccard similarity. The first copy seen is the canonical one.
"""

from __future__ import annotations

import base64
import heapq
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypedDict

from rensa import RMinHash, RMinHashLSH

__all__ = ["Decision", "DedupIndex", "DedupOptions", "IndexEntry", "event_time"]

DecisionKind = Literal["unique", "exact", "near"]
_WORD = re.compile(r"\w+")
MINHASH_SEED = 1  # fixed: signatures must agree across processes and restarts
# 32 bands of 4 rows put the LSH S-curve's midpoint near Jaccard 0.42, well under any sensible verification
# threshold: LSH only proposes candidates, the threshold decides.
LSH_BANDS = 32


@dataclass(frozen=True, slots=True)
class DedupOptions:
    """Tunables of the dedup stage."""

    threshold: float = 0.7
    num_perm: int = 128
    shingle_words: int = 5
    window_seconds: float = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether an article is the first copy of its story, and which cluster it belongs to."""

    kind: DecisionKind
    cluster_id: str
    canonical_id: str
    similarity: float


class IndexEntry(TypedDict):
    """What the index keeps per article; persisted so that a restarted worker rebuilds the index."""

    kind: DecisionKind
    cluster_id: str
    canonical_id: str
    similarity: float
    content_hash: str
    event_time: float
    minhash: str  # rensa's serialised signature, base64


def event_time(published_at: str | None, fallback: float) -> float:
    """The article's event time in epoch seconds: its publication time, else the fallback."""
    if published_at:
        try:
            return datetime.fromisoformat(published_at).timestamp()
        except ValueError:
            pass
    return fallback


def shingles(text: str, size: int) -> list[str]:
    """Overlapping runs of ``size`` lower-cased words (the whole text when it is shorter)."""
    words = _WORD.findall(text.lower())
    if len(words) <= size:
        return [" ".join(words)]
    return [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]


class DedupIndex:
    """Content hashes and MinHash signatures of the articles seen within the event-time window."""

    def __init__(self, options: DedupOptions) -> None:
        self.options = options
        self._clear()

    def _clear(self) -> None:
        self._entries: dict[str, IndexEntry] = {}
        self._signatures: dict[str, RMinHash] = {}
        self._by_hash: dict[str, str] = {}
        self._lsh = RMinHashLSH(threshold=self.options.threshold, num_perm=self.options.num_perm, num_bands=LSH_BANDS)
        self._lsh_key: dict[str, int] = {}
        self._lsh_id: dict[int, str] = {}
        self._next_key = 0
        self._expiry: list[tuple[float, str]] = []
        self._newest = float("-inf")
        self._evicted: list[str] = []

    def __len__(self) -> int:
        return len(self._entries)

    def signature(self, text: str) -> RMinHash:
        """The MinHash signature of a text's word shingles."""
        minhash = RMinHash(num_perm=self.options.num_perm, seed=MINHASH_SEED)
        minhash.update(shingles(text, self.options.shingle_words))
        return minhash

    def decide(self, article_id: str, content_hash: str, text: str, at: float) -> tuple[Decision, IndexEntry]:
        """Classify an article and remember it; an id seen before gets its earlier decision back."""
        known = self._entries.get(article_id)
        if known is not None:
            return _decision(known), known
        minhash = self.signature(text)
        decision = self._match(article_id, content_hash, minhash)
        entry = IndexEntry(
            kind=decision.kind,
            cluster_id=decision.cluster_id,
            canonical_id=decision.canonical_id,
            similarity=decision.similarity,
            content_hash=content_hash,
            event_time=at,
            minhash=base64.b64encode(minhash.__getstate__()).decode("ascii"),
        )
        self._add(article_id, entry, minhash)
        return decision, entry

    def reset(self, entries: list[tuple[str, IndexEntry]]) -> None:
        """Forget everything, then hold exactly ``entries`` (saved by ``decide``): recovery after a restart."""
        self._clear()
        for article_id, entry in entries:
            self.restore(article_id, entry)

    def restore(self, article_id: str, entry: IndexEntry) -> None:
        """Put back one entry saved by ``decide``."""
        minhash = RMinHash(num_perm=self.options.num_perm, seed=MINHASH_SEED)
        minhash.__setstate__(base64.b64decode(entry["minhash"]))
        self._add(article_id, entry, minhash)

    def _match(self, article_id: str, content_hash: str, minhash: RMinHash) -> Decision:
        exact = self._by_hash.get(content_hash)
        if exact is not None:
            return _duplicate_of(self._entries[exact], "exact", 1.0)
        best_id, best = None, 0.0
        for key in self._lsh.query(minhash):
            candidate = self._lsh_id[key]
            similarity = minhash.jaccard(self._signatures[candidate])
            if similarity > best:
                best_id, best = candidate, similarity
        if best_id is not None and best >= self.options.threshold:
            return _duplicate_of(self._entries[best_id], "near", best)
        return Decision(kind="unique", cluster_id=f"cl-{article_id}", canonical_id=article_id, similarity=1.0)

    def _add(self, article_id: str, entry: IndexEntry, minhash: RMinHash) -> None:
        if article_id in self._entries:
            return
        key = self._next_key = self._next_key + 1
        self._entries[article_id] = entry
        self._signatures[article_id] = minhash
        self._by_hash.setdefault(entry["content_hash"], article_id)
        self._lsh.insert(key, minhash)
        self._lsh_key[article_id], self._lsh_id[key] = key, article_id
        heapq.heappush(self._expiry, (entry["event_time"], article_id))
        self._newest = max(self._newest, entry["event_time"])
        self._evict()

    def _evict(self) -> None:
        horizon = self._newest - self.options.window_seconds
        while self._expiry and self._expiry[0][0] < horizon:
            _, article_id = heapq.heappop(self._expiry)
            entry = self._entries.pop(article_id)
            del self._signatures[article_id]
            if self._by_hash.get(entry["content_hash"]) == article_id:
                del self._by_hash[entry["content_hash"]]
            key = self._lsh_key.pop(article_id)
            del self._lsh_id[key]
            self._lsh.remove(key)
            self._evicted.append(article_id)

    def drain_evicted(self) -> list[str]:
        """Ids evicted from the window since the last call, so that persisted state can forget them too."""
        evicted, self._evicted = self._evicted, []
        return evicted


def _duplicate_of(entry: IndexEntry, kind: DecisionKind, similarity: float) -> Decision:
    return Decision(
        kind=kind, cluster_id=entry["cluster_id"], canonical_id=entry["canonical_id"], similarity=similarity
    )


def _decision(entry: IndexEntry) -> Decision:
    return Decision(
        kind=entry["kind"],
        cluster_id=entry["cluster_id"],
        canonical_id=entry["canonical_id"],
        similarity=entry["similarity"],
    )
