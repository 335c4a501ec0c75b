"""Fit the dedup decision's weights on the dev generator's fitting seeds and save them for the index.

    python -m bench.dedup_fit                 # seeds 1-4, two rounds; writes workers/dedup/data/decision.json
    python -m bench.dedup_fit --dry-run       # print the weights, keep the file
    python -m bench.dedup_fit --check         # one round: does the file hold what the script fits? (exit 1 if not)

Each fitting seed's dev set (``bench/dedup_eval.py``) runs through the index; every candidate pair the index
scores is recorded with its features and whether the two are one story (the dev set is labelled by
construction). A logistic regression (scikit-learn, L2, C = 1: its defaults, not tuned) is fitted on the pairs of
all fitting seeds. Which pairs get scored depends a little on the decisions taken before (one candidate per
cluster), so the fit runs twice, the second time recording with the first fit's weights. The held-out seeds are
never read here: ``python -m bench.dedup_eval`` scores them.

A change to the index's features or to the dev generator changes what the script fits; ``--check`` says whether the
committed file still holds it (the pairs recorded with its weights, and the weights fitted on them, to the
``CHECK_TOLERANCE`` of the file's rounding and the fit's convergence), at one round's cost (about a minute).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

from bench.dedup_eval import FIT_SEEDS, build, run_index
from workers.dedup import CandidatePairs, DedupIndex, DedupOptions
from workers.dedup.decision import DEFAULT_MODEL, FEATURES, DecisionModel

CHECK_TOLERANCE = 0.005  # a weight's room under --check: the file rounds to 4 digits, the fit is printed to 3
FITTED_ON = f"bench/dedup_fit.py: dev generator seeds {list(FIT_SEEDS)}, "  # then "{pairs} scored pairs"


class RecordingIndex(DedupIndex):
    """The dedup index, recording the features of every pair it scores and whether the pair is one story."""

    scores_every_pair = True  # the fit needs every pair's features, not only of those that may be copies

    def __init__(self, options: DedupOptions, labels: dict[str, int]) -> None:
        super().__init__(options)
        self.labels = labels
        self.features: list[list[float]] = []
        self.same: list[bool] = []
        self.pairs: list[tuple[str, str]] = []  # (the new article's id, the candidate's)

    def _scored(self, slot: int, pairs: CandidatePairs, candidates: list[int]) -> np.ndarray:
        ids = self._store.ids
        scored = [(ids[slot], ids[int(pairs.rows[i])]) for i in candidates]
        self.features += pairs.inputs[candidates].tolist()
        self.pairs += scored
        self.same += [self.labels[mine] == self.labels[theirs] for mine, theirs in scored]
        return super()._scored(slot, pairs, candidates)


def record(seeds: tuple[int, ...], model: DecisionModel) -> tuple[np.ndarray, np.ndarray]:
    """The scored pairs' features and labels on the dev sets of ``seeds``, decided with ``model``."""
    xs, ys = [], []
    for seed in seeds:
        docs = build(seed)
        index = RecordingIndex(DedupOptions(model=model), {d.doc_id: d.label for d in docs})
        run_index(docs, index.options, index)
        xs += index.features
        ys += index.same
    return np.array(xs), np.array(ys)


def fit(x: np.ndarray, y: np.ndarray) -> DecisionModel:
    """A logistic regression of ``y`` on ``x``."""
    regression = LogisticRegression(max_iter=5000).fit(x, y)
    return DecisionModel(weights=tuple(float(w) for w in regression.coef_[0]), bias=float(regression.intercept_[0]))


def main(argv: list[str] | None = None) -> None:
    """Fit, print and save the weights (or, with --check, compare them with the saved ones)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="record-and-fit rounds")
    parser.add_argument("--dry-run", action="store_true", help="print the weights, do not write the file")
    parser.add_argument("--check", action="store_true", help="one round; exit 1 if the file is not what it fits")
    args = parser.parse_args(argv)
    model = DecisionModel.load(shared_only=True)  # the first round records with the saved weights
    for round_ in range(1, 1 + (1 if args.check else args.rounds)):
        x, y = record(FIT_SEEDS, model)
        model = fit(x, y)
        accuracy = np.mean(
            [(model.bias + np.dot(model.weights, row) >= 0) == label for row, label in zip(x, y, strict=True)]
        )
        print(f"round {round_}: {len(y)} scored pairs, {int(y.sum())} of one story; pair accuracy {accuracy:.4f}")
    for name, weight in zip(FEATURES, model.weights, strict=True):
        print(f"  {name:24s} {weight:+.3f}")
    print(f"  {'bias':24s} {model.bias:+.3f}")
    if args.check:
        differences = check(model, len(y))
        print("\n".join(differences) or f"{DEFAULT_MODEL} holds what the script fits")
        raise SystemExit(1 if differences else 0)
    if args.dry_run:
        return
    saved = {
        "features": list(FEATURES),
        "weights": [round(w, 4) for w in model.weights],
        "bias": round(model.bias, 4),
        "fitted_on": f"{FITTED_ON}{len(y)} scored pairs",
        "fitted_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "scikit_learn": sklearn.__version__,
    }
    DEFAULT_MODEL.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
    print(f"saved to {DEFAULT_MODEL}")


def check(model: DecisionModel, pairs: int, path: Path = DEFAULT_MODEL) -> list[str]:
    """How the saved model at ``path`` differs from ``model``, fitted on ``pairs`` recorded pairs: nothing if the
    file names those pairs and holds those weights (to ``CHECK_TOLERANCE``)."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    differences = (
        []
        if saved.get("fitted_on") == f"{FITTED_ON}{pairs} scored pairs"
        else [f"the file says {saved.get('fitted_on')!r}; the fit recorded {pairs} scored pairs"]
    )
    fitted = dict(zip(FEATURES, model.weights, strict=True)) | {"bias": model.bias}
    held = dict(zip(saved["features"], saved["weights"], strict=True)) | {"bias": saved["bias"]}
    for name, weight in fitted.items():
        if name not in held or abs(held[name] - weight) > CHECK_TOLERANCE:
            differences.append(f"{name}: the file holds {held.get(name)}, the fit {weight:+.4f}")
    return differences


if __name__ == "__main__":
    main()
