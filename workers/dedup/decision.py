"""One decision over a candidate pair's evidence: is the new article a copy of the one it was found with?

A logistic model: the probability that two articles are one story is the logistic of a weighted sum of a few
features of their evidence (how much of the shorter one the other holds, how their figures and names compare in
place, how far apart in time they ran, how unequal their lengths are, how much of them is an outlet's wrapper). The
weights live in ``data/decision.json``, fitted by ``bench/dedup_fit.py`` on the dev generator's fitting seeds and
checked on its held-out seeds (``bench/dedup_eval.py``); a pair is a copy when the probability is at least one half.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

from workers.dedup.sketch import MIN_SAMPLE, FactMatch

__all__ = ["DEFAULT_MODEL", "FEATURES", "DecisionModel", "Evidence", "features"]

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
)


class Evidence(NamedTuple):
    """What the index knows of a candidate pair."""

    containment: float
    equal_slots: int
    smaller_size: int  # shingles of the smaller article
    numbers: FactMatch
    names: FactMatch
    seconds_apart: float
    length_ratio: float
    boilerplate_share: float


def features(evidence: Evidence) -> list[float]:
    """The model's inputs for a pair, in the order of ``FEATURES``."""
    numbers, names = evidence.numbers, evidence.names
    fewer = min(numbers.mine + names.mine, numbers.theirs + names.theirs)
    common = numbers.common + names.common
    return [
        evidence.containment,
        math.log1p(evidence.equal_slots),
        math.log1p(evidence.smaller_size),
        math.log1p(numbers.agreeing),
        math.log1p(numbers.shared - numbers.agreeing),
        math.log1p(names.agreeing),
        math.log1p(names.shared - names.agreeing),
        1.0 - common / fewer if fewer >= MIN_SAMPLE else 0.0,
        math.log1p(abs(evidence.seconds_apart) / 3600),
        abs(evidence.seconds_apart) / 86400,
        evidence.length_ratio,
        evidence.boilerplate_share,
    ]


@dataclass(frozen=True, slots=True)
class DecisionModel:
    """The fitted weights of the logistic decision."""

    weights: tuple[float, ...]  # one per feature of ``FEATURES``
    bias: float

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL) -> DecisionModel:
        """The model saved by ``bench/dedup_fit.py``; its features must be this module's."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path} was fitted on features {data['features']}, not {list(FEATURES)}")
        return cls(weights=tuple(float(w) for w in data["weights"]), bias=float(data["bias"]))

    def probability(self, evidence: Evidence) -> float:
        """The probability that the pair is one story."""
        score = self.bias + sum(w * x for w, x in zip(self.weights, features(evidence), strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(score, 50.0), -50.0)))


# The model of a file, read once per process: every DedupOptions and every stage built from the settings asks.
# (bench/dedup_fit.py reads the file it has just written with DecisionModel.load itself.)
load_model = cache(DecisionModel.load)
