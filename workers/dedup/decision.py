"""One decision over a candidate pair's evidence: is the new article a copy of the one it was found with?

A logistic model: the probability that two articles are one story is the logistic of a weighted sum of a few
features of their evidence (how much of the shorter one the other holds, how their figures and names compare in
place, how far apart in time they ran, how unequal their lengths are, how much of them is an outlet's wrapper). The
weights live in ``data/decision.json``, fitted by ``bench/dedup_fit.py`` on the dev generator's fitting seeds and
checked on its held-out seeds (``bench/dedup_eval.py``); a pair is a copy when the probability is at least one half.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from workers.dedup.sketch import MIN_SAMPLE, FactMatch

__all__ = ["DEFAULT_MODEL", "FEATURES", "LATE", "DecisionModel", "Evidence", "feature_ranges", "features", "per_array"]

DEFAULT_MODEL = Path(__file__).resolve().parent / "data" / "decision.json"
FEATURES = (
    "containment",  # estimated share of the shorter article's own shingles (wrapper aside) in the other's
    "log_equal_slots",  # log(1 + equal signature values): how much the containment estimate rests on
    "log_smaller_size",  # log(1 + shingles of the smaller): a few words share most of themselves by chance
    "log_numbers_agreeing",  # log(1 + contexts where both put the same number)
    "log_numbers_conflicting",  # log(1 + contexts where both put a number, another one)
    "log_names_agreeing",
    "log_names_conflicting",
    "facts_missing",  # share of the facts (in place) of the article with fewer that the other lacks
    "log_hours_apart",  # log(1 + hours between the two event times): copies run within hours...
    "days_apart",  # ...or a day or two; a template run again runs days later
    "length_ratio",  # shingles of the shorter over the longer
    "boilerplate_share",  # share of the shorter article set aside as an outlet's wrapper
    "lead_agreement",  # share of the two leads' MinHash keys that are equal: a copy cut to its lead keeps it
    "days_apart_in_conflict",  # days apart when a figure or name differs in place: a template run on another day
    "lead_agreement_unequal",  # lead agreement times (1 - length ratio): a short copy of a long story shows in its lead
    "shared_wrapper",  # share of the smaller in end paragraphs both hold, and a third article: a wrapper not yet known
    "lead_agreement_in_conflict",  # lead agreement when a figure or name differs in place: a template's lead
)


class Evidence(NamedTuple):
    """What the index knows of candidate pairs: one value per pair."""

    containment: np.ndarray
    equal_slots: np.ndarray
    smaller_size: np.ndarray  # shingles of the smaller article
    numbers: FactMatch
    names: FactMatch
    seconds_apart: np.ndarray
    length_ratio: np.ndarray
    boilerplate_share: np.ndarray
    lead_agreement: np.ndarray
    shared_wrapper: np.ndarray  # share of the smaller article in end paragraphs both hold, and a third article


# The evidence the index computes last, only for the pairs that may still be copies once the rest is known: the
# fact samples' comparisons ([pairs, 16, 16] each) and the shared wrapper's paragraph counts (random reads).
LATE = ("numbers", "names", "shared_wrapper")
# A pair whose score cannot reach this is not a copy: below 0 (probability one half) by far more than the rounding
# of a sum of a few dozen float64 terms, so that the bound never rounds a copy away.
_ROUNDING = 1e-6


def features(evidence: Evidence) -> np.ndarray:
    """The model's inputs, [pairs, features] in the order of ``FEATURES``."""
    numbers, names = evidence.numbers, evidence.names
    fewer = np.minimum(numbers.mine + names.mine, numbers.theirs + names.theirs)
    common = numbers.common + names.common
    numbers_conflicting, names_conflicting = numbers.shared - numbers.agreeing, names.shared - names.agreeing
    days_apart = np.abs(evidence.seconds_apart) / 86400
    in_conflict = (numbers_conflicting > 0) | (names_conflicting > 0)
    return np.stack(
        [
            evidence.containment,
            np.log1p(evidence.equal_slots),
            np.log1p(evidence.smaller_size),
            np.log1p(numbers.agreeing),
            np.log1p(numbers_conflicting),
            np.log1p(names.agreeing),
            np.log1p(names_conflicting),
            np.where(fewer >= MIN_SAMPLE, 1.0 - common / np.maximum(fewer, 1), 0.0),
            np.log1p(days_apart * 24),
            days_apart,
            evidence.length_ratio,
            evidence.boilerplate_share,
            evidence.lead_agreement,
            np.where(in_conflict, days_apart, 0.0),
            evidence.lead_agreement * (1.0 - evidence.length_ratio),
            evidence.shared_wrapper,
            np.where(in_conflict, evidence.lead_agreement, 0.0),
        ],
        axis=1,
    ).astype(np.float64)


def _late_ranges(most: Evidence) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The lowest and highest values of each feature that reads ``LATE`` evidence, from their definitions in
    ``features``, given an ``Evidence`` whose late fields hold the largest values they can take: the fact counts
    agreeing, conflicting or in common are at most the smaller sample's keys; shares are within [0, 1]."""
    none = np.zeros(len(most.containment))
    return {
        "log_numbers_agreeing": (none, np.log1p(most.numbers.agreeing)),
        "log_numbers_conflicting": (none, np.log1p(most.numbers.shared)),
        "log_names_agreeing": (none, np.log1p(most.names.agreeing)),
        "log_names_conflicting": (none, np.log1p(most.names.shared)),
        "facts_missing": (none, none + 1.0),
        "days_apart_in_conflict": (none, np.abs(most.seconds_apart) / 86400),
        "shared_wrapper": (none, most.shared_wrapper),
        "lead_agreement_in_conflict": (none, most.lead_agreement),
    }


def per_array(field: np.ndarray | FactMatch, change: Callable[[np.ndarray], np.ndarray]) -> np.ndarray | FactMatch:
    """An evidence field with ``change`` applied to its values, array by array for a fact comparison."""
    if isinstance(field, FactMatch):
        return FactMatch(*(change(values) for values in field))
    return change(field)


def feature_ranges(most: Evidence) -> tuple[np.ndarray, np.ndarray]:
    """[pairs, features]: the lowest and highest value each feature can take once the ``LATE`` evidence is known,
    ``most`` holding the largest values of the late fields and the others' values.

    A feature that reads no late evidence is computed; one that does has the range ``_late_ranges`` declares for it
    (that every feature reading late evidence has one is a unit test's, on probe pairs: one declaration, checked).
    """
    high = features(most)
    low = high.copy()
    for name, (least, largest) in _late_ranges(most).items():
        column = FEATURES.index(name)
        low[:, column], high[:, column] = least, largest
    return low, high


@dataclass(frozen=True, slots=True)
class DecisionModel:
    """The fitted weights of the logistic decision."""

    weights: tuple[float, ...]  # one per feature of ``FEATURES``
    bias: float

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL, *, shared_only: bool = False) -> DecisionModel:
        """The model saved by ``bench/dedup_fit.py``; its features must be this module's. With ``shared_only``
        (where a refit starts), a model fitted on other features gives the weights of the features it shares with
        this module's and 0 for the others."""
        data = json.loads(path.read_text(encoding="utf-8"))
        saved = dict(zip(data["features"], (float(w) for w in data["weights"]), strict=True))
        if tuple(data["features"]) != FEATURES and not shared_only:
            raise ValueError(f"{path} was fitted on features {data['features']}, not {list(FEATURES)}")
        return cls(weights=tuple(saved.get(name, 0.0) for name in FEATURES), bias=float(data["bias"]))

    def probability(self, inputs: np.ndarray) -> np.ndarray:
        """The probability that each pair is one story, from its ``features``."""
        score = self.bias + inputs @ np.array(self.weights)
        return 1.0 / (1.0 + np.exp(-np.clip(score, -50.0, 50.0)))

    def highest_score(self, most: Evidence) -> np.ndarray:
        """The highest score each pair can have once its ``LATE`` evidence is known (see ``feature_ranges``): each
        weight times its feature's highest value if the weight is positive, its lowest if negative."""
        low, high = feature_ranges(most)
        weights = np.array(self.weights)
        extreme = np.where(weights > 0, high, low)
        extreme[:, weights == 0] = 0.0  # an unbounded feature the model does not use
        return self.bias + extreme @ weights

    def may_be_copies(self, most: Evidence) -> np.ndarray:
        """Which pairs can still have a probability of one half or more (``highest_score``): the others are not
        copies whatever their late evidence, and need not have it computed."""
        return self.highest_score(most) >= -_ROUNDING


# The model of a file, read once per process: every DedupOptions and every stage built from the settings asks.
# (bench/dedup_fit.py reads the file it has just written with DecisionModel.load itself.)
load_model = cache(DecisionModel.load)
