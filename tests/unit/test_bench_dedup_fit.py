"""``bench.dedup_fit --check``: whether the committed weights are what the script fits (the twentieth round found
the file fitted on 13,760 pairs where the code records 13,772, unnoticed for a round)."""

import json
from pathlib import Path

from bench.dedup_fit import FITTED_ON, check
from workers.dedup.decision import FEATURES, DecisionModel

WEIGHTS = tuple(float(n) for n in range(len(FEATURES)))


def saved(path: Path, pairs: int, weights: tuple[float, ...] = WEIGHTS, bias: float = -2.0) -> Path:
    saved = {
        "features": list(FEATURES),
        "weights": list(weights),
        "bias": bias,
        "fitted_on": f"{FITTED_ON}{pairs} scored pairs",
    }
    path.write_text(json.dumps(saved), encoding="utf-8")
    return path


def test_a_file_holding_the_fit_passes_to_its_rounding(tmp_path: Path) -> None:
    fitted = DecisionModel(weights=tuple(w + 0.0004 for w in WEIGHTS), bias=-2.00004)
    assert check(fitted, 13772, saved(tmp_path / "decision.json", 13772)) == []


def test_a_file_fitted_on_other_pairs_or_to_other_weights_fails(tmp_path: Path) -> None:
    fitted = DecisionModel(weights=WEIGHTS, bias=-2.0)
    assert check(fitted, 13772, saved(tmp_path / "count.json", 13760)) == [
        f"the file says '{FITTED_ON}13760 scored pairs'; the fit recorded 13772 scored pairs"
    ]
    moved = (WEIGHTS[0] + 0.02, *WEIGHTS[1:])
    assert check(fitted, 13772, saved(tmp_path / "weight.json", 13772, moved)) == [
        f"containment: the file holds {moved[0]}, the fit +0.0000"
    ]
    assert [line.split(":")[0] for line in check(fitted, 13772, saved(tmp_path / "bias.json", 13772, bias=-2.1))] == [
        "bias"
    ]
