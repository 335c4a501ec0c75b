"""A real Prometheus scrapes real workers (one per stage, as in docker-compose.yml) processing the seeds.

Every query of the Grafana dashboard and every recording rule returns data, every rule evaluates without
error, no alert fires on a healthy pipeline, and the counters add up to what was produced.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, seed_lines
from tests.integration.conftest import free_port, produce, read_topic
from workers.kafka_io import committed_offsets, wait_committed
from workers.settings import Settings

RULES = ROOT / "deploy" / "prometheus" / "rules" / "enrich.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "enrich.json"
SERVICES = ("clean", "dedup", "entities")


def query(port: int, promql: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    body = json.load(urllib.request.urlopen(url, timeout=10))
    assert body["status"] == "success", (promql, body)
    return body["data"]["result"]


def scalar(port: int, promql: str) -> float:
    [sample] = query(port, promql)
    return float(sample["value"][1])


def assert_commits_exported(settings: Settings, port: int) -> None:
    """Once every stage has committed its input to the end (asked of the broker), the workers' committed-offset
    gauges say what the broker holds, partition by partition, and no message is counted as uncommitted."""
    groups = {settings.source_topic(stage): settings.consumer_group((stage,)) for stage in SERVICES}
    asyncio.run(wait_committed(settings, groups, 120))
    held = {}
    for topic, group in groups.items():
        offsets = asyncio.run(committed_offsets(settings, group))
        held.update({(t, str(p)): float(o) for (t, p), o in offsets.items() if t == topic})

    def exported() -> dict[tuple[str, str], float]:
        samples = query(port, "enrich_consumer_committed_offset")
        return {(s["metric"]["topic"], s["metric"]["partition"]): float(s["value"][1]) for s in samples}

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and exported() != held:  # sampled every few seconds, scraped every second
        time.sleep(1)
    assert exported() == held
    assert scalar(port, "max(enrich_consumer_uncommitted_messages)") == 0


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[tuple[int, dict[str, int]]]:
    """A Prometheus server scraping one metrics port per stage every second; yields its port and the ports."""
    binary = shutil.which("prometheus")
    assert binary, "prometheus not installed: scripts/setup installs Debian's prometheus package"
    ports = {stage: free_port() for stage in SERVICES}
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": "enrich-workers",
                "static_configs": [
                    {"targets": [f"127.0.0.1:{port}"], "labels": {"service": f"worker-{stage}"}}
                    for stage, port in ports.items()
                ],
            }
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    server = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield port, ports
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def dashboard_queries() -> list[str]:
    """Every PromQL expression of the dashboard, with Grafana's rate interval filled in."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                found.append(node["expr"].replace("$__rate_interval", "1m"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(DASHBOARD.read_text()))
    return found


def test_dashboard_rules_and_counters_on_a_live_pipeline(
    pipeline_settings: Settings,
    start_worker,
    prometheus,
    tmp_path: Path,
) -> None:
    port, metrics_ports = prometheus
    settings = pipeline_settings
    workers = [
        start_worker(
            settings.model_copy(
                update={"metrics_port": metrics_ports[stage], "web_port": free_port(), "data_dir": tmp_path / stage}
            ),
            stage,
        )
        for stage in SERVICES
    ]
    produce(settings, settings.topic_raw, seed_lines())
    assert len(read_topic(settings, settings.topic_enriched, 2, 180)) == 2
    assert len(read_topic(settings, settings.topic_deadletter, 2, 30)) == 2

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not query(port, 'enrich_messages_out_total{outcome="enriched"}'):
        time.sleep(1)
    time.sleep(5)  # a few more scrapes, so that rates over the last minute have two samples

    assert scalar(port, 'sum(enrich_messages_in_total{stage="clean"})') == len(seed_lines())
    assert scalar(port, 'sum(enrich_messages_out_total{outcome="enriched"})') == 2
    assert scalar(port, 'sum(enrich_messages_out_total{outcome="duplicates"})') == 1
    assert scalar(port, 'sum(enrich_deadletters_total{stage="clean"})') == 2
    assert scalar(port, 'sum(enrich_dedup_decisions_total{kind="unique"})') == 2
    assert scalar(port, "count(up == 1)") == len(SERVICES)

    for promql in dashboard_queries():
        assert query(port, promql), f"dashboard query returns no data: {promql}"
    assert_commits_exported(settings, port)

    groups = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/rules", timeout=10))["data"]["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) == sum(len(g["rules"]) for g in yaml.safe_load(RULES.read_text())["groups"])
    for rule in rules:
        assert rule["health"] == "ok", rule
        if rule["type"] == "recording":
            assert query(port, rule["name"]), f"recording rule returns no data: {rule['name']}"
        else:
            assert rule["state"] == "inactive", rule
            for selector in set(re.findall(r"\benrich_[a-z_]+(?:\{[^}]*\})?", rule["query"])):
                assert query(port, selector), f"alert {rule['name']} reads a series with no data: {selector}"
    assert all(worker.alive() for worker in workers)
