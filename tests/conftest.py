"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bench.shared import SHARED
from workers.records import RawArticle
from workers.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds" / "articles.jsonl"
SEED_PAGE_ID = "daily8-russia-taliban-isis"  # the scraped page of ../shared/seeds, as a raw record
COPY_URL = "https://frontierwire.example/world/russia-pledges-help-to-taliban-against-islamic-state"

# What the seed page's article is, and what of the page is not.
SEED_BODY_START = "Zamir Kabulov, a former Russian ambassador to Afghanistan"
SEED_BODY_END = "gas pipeline projects as possible areas of cooperation."
SEED_CHROME = ("Try Our AI Features", "No comments yet", "Related Articles", "Freight rates fall", "12 minutes ago")


def raw(**fields: object) -> RawArticle:
    """A raw record of these fields (the others: a test source's, no URL, title or time)."""
    base = {"id": "a1", "url": None, "source": "Test", "title": None, "published_at": None}
    return RawArticle(**{**base, **fields})  # type: ignore[typeddict-item]


def seed_lines() -> list[bytes]:
    """The seed file's messages, byte for byte."""
    return [line for line in SEEDS.read_bytes().splitlines() if line.strip()]


def seed_record(record_id: str) -> dict[str, Any]:
    """The seed record with this id (or, for records without one, this url)."""
    for line in seed_lines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record_id in (record.get("id"), record.get("url")):
            return record
    raise KeyError(record_id)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with a private data directory."""
    return Settings(data_dir=tmp_path / "data", metrics_port=0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """In CI every test must run: a skip there is reported as a failure.

    A strict ``xfail`` ran (a known weakness, its test failing as expected; passing would fail the suite), so
    it is not a skip.
    """
    _stop_without_shared_data(item, call)
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {report.longrepr}"


def _stop_without_shared_data(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    """A test that reads the shared evaluation data, which is missing, ends the session with one line naming where
    it was looked for: the data is a prerequisite (never skipped), and every later test would fail on it too.

    In an xdist worker (scripts/test) ``pytest.exit`` reads as the worker's crash (an INTERNALERROR): the worker
    stops after the test instead, and the session ends "Interrupted" with the line.
    """
    missing = getattr(call.excinfo.value, "filename", None) if call.excinfo else None
    if isinstance(missing, str) and Path(missing).is_relative_to(SHARED) and not Path(missing).exists():
        message = f"shared evaluation data not found at {SHARED} (no {missing}): set SHARED_DIR"
        if hasattr(item.config, "workerinput"):
            item.session.shouldstop = message
        else:
            pytest.exit(message, returncode=4)
