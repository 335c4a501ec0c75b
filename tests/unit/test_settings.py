"""Settings: read from the environment, documented in the README."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from workers.settings import Settings


def test_every_setting_is_documented_in_the_readme_with_its_default() -> None:
    readme = ROOT.joinpath("README.md").read_text()
    for name, field in Settings.model_fields.items():
        assert f"| `ENRICH_{name.upper()}` | `{field.default}` |" in readme, name


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_TOPIC_RAW", "news.in")
    monkeypatch.setenv("ENRICH_BOOTSTRAP_SERVERS", "k1:9092, k2:9092")
    settings = Settings()
    assert settings.topic_raw == "news.in"
    assert settings.broker_url == "kafka://k1:9092;kafka://k2:9092"


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENRICH_DEDUP_THRESHOLD", "1.5")
    with pytest.raises(ValueError, match="dedup_threshold"):
        Settings()
