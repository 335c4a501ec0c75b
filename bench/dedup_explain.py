"""Explain the dedup decision's merges of two stories: each pair it took as one story, with its evidence and texts.

    python -m bench.dedup_explain --seeds 1 2 3 4                      # the fitting seeds' pairs of two stories
    python -m bench.dedup_explain --seeds 7 --families recurring       # one seed's, a recurring item on one side

``bench.dedup_eval --errors`` names the clusters that hold two stories; this prints why. For each dev set: every pair
of articles of two stories that the decision scored at one half or more (the join taken, or kept out by a second
witness or a better cluster) and every exact-hash join of two stories, with both articles' families, edits and
lengths, the time between them, the probability, the features that are not 0, and a word diff of the two texts.
What a round reads before it chooses a feature: whether the two differ in a figure or a name, in place or moved by an
edit, or nowhere in the text.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from bench.dedup_eval import FIT_SEEDS, Document, build, run_index
from bench.dedup_fit import RecordingIndex
from workers.clean.normalize import content_hash
from workers.dedup import Decision, DedupOptions
from workers.dedup.decision import FEATURES

EQUAL_SHOWN = 6  # words shown at each end of a longer run of equal words in a diff


@dataclass(frozen=True, slots=True)
class Joined:
    """A pair of articles of two stories that the decision took as one (``probability`` None: an exact-hash join)."""

    new: Document
    earlier: Document
    probability: float | None
    features: tuple[float, ...] = ()


def word_diff(text: str, other: str) -> str:
    """``text`` against ``other`` word by word: equal runs (the ends of a long one), each change as [this => that]."""
    mine, theirs = text.split(), other.split()
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, mine, theirs, autojunk=False).get_opcodes():
        if op != "equal":
            parts.append(f"[{' '.join(mine[i1:i2])} => {' '.join(theirs[j1:j2])}]")
        elif i2 - i1 > 2 * EQUAL_SHOWN:
            parts.append(f"{' '.join(mine[i1 : i1 + EQUAL_SHOWN])} ... {' '.join(mine[i2 - EQUAL_SHOWN : i2])}")
        else:
            parts.append(" ".join(mine[i1:i2]))
    return " ".join(parts)


def joined_stories(
    docs: list[Document], decisions: list[Decision], index: RecordingIndex, probabilities: np.ndarray
) -> list[Joined]:
    """The pairs of two stories the index scored at one half or more, in the order scored, then its exact-hash joins
    of two stories, each with the article it matched (``decisions``: the index's, one per document in arrival
    order)."""
    by_id = {doc.doc_id: doc for doc in docs}
    joined = [
        Joined(by_id[mine], by_id[theirs], p, tuple(features))
        for (mine, theirs), same, p, features in zip(
            index.pairs, index.same, probabilities.tolist(), index.features, strict=True
        )
        if p >= 0.5 and not same
    ]
    seen: dict[object, list[Document]] = {}
    newest = -np.inf
    for doc, decision in zip(docs, decisions, strict=True):
        newest = max(newest, doc.time)
        same_text = seen.setdefault(content_hash(doc.text), [])
        if decision.kind == "exact":
            twin = _exact_twin(same_text, newest - index.options.window_seconds)
            if twin is not None and twin.label != doc.label:
                joined.append(Joined(doc, twin, None))
        same_text.append(doc)
    return joined


def _exact_twin(same_text: list[Document], horizon: float) -> Document | None:
    """The article an exact join matched, of the earlier ones of its text (in arrival order): the first still within
    the window, as the index chooses; not the first of that text ever, which the window may have passed (a daily Fed
    item drawn again word for word 8 and 13 days on was listed as joining the first, which it did not)."""
    return next((doc for doc in same_text if doc.time >= horizon), None)


def describe(pair: Joined) -> list[str]:
    """The lines printed for one pair."""

    def article(doc: Document) -> str:
        made = f", {doc.kind}: {' '.join(doc.edits)}" if doc.edits else ""
        return f"{doc.doc_id} ({doc.family}{made}, {doc.words} words)"

    hours = abs(pair.new.time - pair.earlier.time) / 3600
    decided = "exact hash" if pair.probability is None else f"probability {pair.probability:.3f}"
    lines = [f"{article(pair.new)} and {article(pair.earlier)}, {hours:.1f} h apart: {decided}"]
    if pair.features:
        shown = (f"{name} {value:.2f}" for name, value in zip(FEATURES, pair.features, strict=True) if value)
        lines.append(f"    {', '.join(shown)}")
    lines.append(f"    diff: {word_diff(pair.new.text, pair.earlier.text)}")
    return lines


def explain(seeds: Iterable[int], families: set[str] | None) -> None:
    """Print, per dev set of ``seeds``, the pairs of two stories the index took as one (with ``families``: those
    where either article's family is one of them)."""
    for seed in seeds:
        docs = build(seed)
        index = RecordingIndex(DedupOptions(), {doc.doc_id: doc.label for doc in docs})
        decisions = run_index(docs, index.options, index)
        probabilities = index.options.model.probability(np.array(index.features).reshape(-1, len(FEATURES)))
        joined = [
            pair
            for pair in joined_stories(docs, decisions, index, probabilities)
            if families is None or {pair.new.family, pair.earlier.family} & families
        ]
        print(f"seed {seed}: {len(joined)} pairs of two stories taken as one", flush=True)
        for pair in joined:
            print("\n".join(f"  {line}" for line in describe(pair)))


def main(argv: list[str] | None = None) -> None:
    """Explain the chosen dev sets' pairs of two stories taken as one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(FIT_SEEDS), help="dev sets (default: fitting)")
    parser.add_argument("--families", nargs="+", help="only pairs with an article of these families")
    args = parser.parse_args(argv)
    explain(args.seeds, set(args.families) if args.families else None)


if __name__ == "__main__":
    main()
