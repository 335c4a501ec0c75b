"""Every benchmark the handbook gives a command for can at least be started: its module imports and answers --help
(bench.entity_languages once imported a loader from a module that no longer held it, and nothing noticed)."""

import importlib
import pkgutil
import sys

import pytest

import bench

MODULES = sorted(info.name for info in pkgutil.iter_modules(bench.__path__))
COMMANDS = [name for name in MODULES if hasattr(importlib.import_module(f"bench.{name}"), "main")]


def test_the_benchmarks_the_handbook_names_are_commands() -> None:
    assert {"clean_eval", "dedup_eval", "dedup_throughput", "entities", "entity_languages", "faults", "soak"} <= set(
        COMMANDS
    )


@pytest.mark.parametrize("name", COMMANDS)
def test_a_benchmark_answers_help(name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(sys, "argv", [f"bench.{name}", "--help"])
    with pytest.raises(SystemExit) as exited:
        importlib.import_module(f"bench.{name}").main()
    assert exited.value.code == 0 and "usage:" in capsys.readouterr().out
