"""The functional core imports no Kafka, Faust, Prometheus or environment; importing it loads no model."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

CORE = [
    "clean",
    "dedup",
    "entities",
    "records",
    "times",
    "codec",
    "intake",
    "limits",
    "pipeline",
    "child",
    "offline",
    "settings",
    "nlp",
    "offsets",
]
FORBIDDEN = {"faust", "aiokafka", "kafka", "prometheus_client", "mode"}


def core_files() -> list[Path]:
    files = []
    for name in CORE:
        path = ROOT / "workers" / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
    return files


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_module_imports_no_transport_or_metrics(path: Path) -> None:
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN
    assert "os.environ" not in path.read_text() or path.name == "settings.py"


def test_importing_the_app_loads_no_spacy_model() -> None:
    code = "import sys, workers.app, workers.cli, workers.pipeline; print('spacy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
