"""The front page and the handbook in docs/: short, current with the code, examples valid, a runbook per alert."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import click
import prometheus_client
import pytest
import yaml
from click.testing import CliRunner
from markdown.extensions.toc import slugify

import workers.metrics  # registers the pipeline's collectors; read by the outcome test
from tests.conftest import ROOT, seed_lines
from workers import codec
from workers.cli import _build_info, main
from workers.docs import documented_default, has_settings_table, with_settings_tables
from workers.pipeline import Destination
from workers.settings import Settings

README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
EXAMPLE = re.compile(r"<!-- example: schemas/(?P<schema>\w+)\.json -->\n```json\n(?P<body>.*?)\n```", re.S)
# A default quoted in prose: `ENRICH_DEDUP_THRESHOLD` (0.6), or (604800: 7 days).
QUOTED_DEFAULT = re.compile(r"`ENRICH_(?P<name>[A-Z0-9_]+)` \((?P<value>\d[\d.]*)[):]")
CURRENT_FIGURES = "| measurement | figure | baseline or before, same run | goal | command | date (UTC) | commit |"
# The statements that define a name a page may quote (``workers.clean.warm_up``, ``DedupIndex.decide_many``).
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def examples(page: Path) -> list[tuple[str, dict[str, Any]]]:
    """The record examples of a page: (schema name, record)."""
    return [(m["schema"], json.loads(m["body"])) for m in EXAMPLE.finditer(page.read_text())]


def test_the_front_page_is_short() -> None:
    assert len(README.read_text().splitlines()) <= 150


def test_the_settings_tables_are_current() -> None:
    """Each table equals what ``enrich settings --update`` makes from workers/settings.py."""
    pages = [page for page in PAGES if has_settings_table(page.read_text())]
    assert DOCS / "operations.md" in pages
    stale = [page.name for page in pages if with_settings_tables(page.read_text()) != page.read_text()]
    assert not stale, f"run: .venv/bin/python -m workers settings --update docs/*.md ({stale})"


def test_every_setting_is_documented_in_the_handbook_with_its_default() -> None:
    operations = (DOCS / "operations.md").read_text()
    for name, field in Settings.model_fields.items():
        assert f"| `ENRICH_{name.upper()}` | {documented_default(field.default)} |" in operations, name


def test_defaults_quoted_in_prose_are_the_real_ones() -> None:
    fields = Settings.model_fields
    quoted = [
        (page.name, m["name"], m["value"])
        for page in [README, *PAGES]
        for m in QUOTED_DEFAULT.finditer(page.read_text())
    ]
    assert quoted  # the pattern still finds the handbook's quotes
    wrong = [q for q in quoted if q[1].lower() not in fields or str(fields[q[1].lower()].default) != q[2]]
    assert not wrong


def test_record_examples_are_valid_against_the_schemas() -> None:
    found = [(page, schema, record) for page in [README, *PAGES] for schema, record in examples(page)]
    for page, schema, record in found:
        assert not list(codec.validator(schema).iter_errors(record)), (page.name, schema)
        for entity in record.get("entities", []):
            for mention in entity["mentions"]:
                assert record["text"][mention["start"] : mention["end"]] == mention["text"], (page.name, entity)
    on_records_page = {schema for schema, _ in examples(DOCS / "records.md")}
    assert on_records_page == set(get_args(codec.SchemaName))


def test_every_option_of_every_command_says_what_it_does() -> None:
    """``enrich process --help`` left ``--out-dir`` unexplained, ``enrich tail --help`` ``--from-end``."""
    unexplained = [
        (name, param.opts[0])
        for name, command in commands(main)
        for param in command.params
        if isinstance(param, click.Option) and not param.help
    ]
    assert not unexplained


def test_the_raw_example_is_the_seed_files_first_line() -> None:
    """The page says so: a field the producer never sent (``published_precision``, an output field) would read as
    one a scraper should send."""
    [(_, example)] = [(schema, record) for schema, record in examples(DOCS / "records.md") if schema == "raw"]
    seed = json.loads(seed_lines()[0])
    assert {**example, "text": None} == {**seed, "text": None}
    assert seed["text"].startswith(example["text"].removesuffix("..."))


def test_every_alert_has_a_runbook_section() -> None:
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "rules" / "enrich.yml").read_text())
    alerts = [rule["alert"] for group in rules["groups"] for rule in group["rules"] if "alert" in rule]
    runbook = (DOCS / "operations.md").read_text().split("\n## Runbook\n", 1)[1]
    sections = re.findall(r"^### (\w+)$", runbook, re.M)
    assert alerts and sorted(sections) == sorted(alerts)


def test_every_metric_is_in_the_handbooks_metrics_table() -> None:
    exposition = prometheus_client.generate_latest().decode()
    defined = {name for name in re.findall(r"^# TYPE (\S+) ", exposition, re.M) if name.startswith("enrich_")}
    table = (DOCS / "operations.md").read_text().split("\n## Metrics and logs\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(enrich_[a-z_]+)", table))
    assert defined == documented


def test_every_outcome_a_stage_counts_is_in_the_handbook_and_the_help_text() -> None:
    """The ``outcome`` values of enrich_messages_out_total are the destinations published to (``StageAgent._publish``
    counts all but the table writes, "state" and "cluster_state"): each one named in both places."""
    counted = set(get_args(Destination)) - {"state", "cluster_state"}
    table = (DOCS / "operations.md").read_text().split("\n## Metrics and logs\n", 1)[1].split("\n## ", 1)[0]
    [row] = [line for line in table.splitlines() if "`enrich_messages_out_total{" in line]
    assert set(re.findall(r"`([a-z_]+)`", row.split("`outcome` is", 1)[1])) == counted
    assert set(re.findall(r"[a-z_]+", workers.metrics.MESSAGES_OUT._documentation.split(":", 1)[1])) >= counted


def test_the_build_info_labels_are_the_handbooks() -> None:
    _build_info(Settings())
    [series] = re.findall(r"^enrich_build_info\{(.*)\} ", prometheus_client.generate_latest().decode(), re.M)
    [documented] = re.findall(r"`enrich_build_info\{([^}]*)\}`", (DOCS / "operations.md").read_text())
    assert set(re.findall(r'(\w+)="', series)) == set(documented.split(","))


@pytest.mark.slow
def test_the_strict_build_fails_on_a_broken_link(tmp_path: Path) -> None:
    """The handbook builds; a copy with a link to a missing anchor does not (what scripts/test relies on)."""
    shutil.copytree(DOCS, tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path)
    build = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")]
    env = {"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"}
    assert subprocess.run(build, cwd=tmp_path, env=env, capture_output=True).returncode == 0
    with (tmp_path / "docs" / "index.md").open("a") as page:
        page.write("\n[gone](operations.md#no-such-section)\n")
    broken = subprocess.run(build, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert broken.returncode != 0 and "no-such-section" in broken.stderr


def test_enrich_settings_makes_a_stale_table_again(tmp_path: Path) -> None:
    page, other = tmp_path / "page.md", tmp_path / "other.md"
    page.write_text("# Page\n\n<!-- settings-table: dedup_ -->\n| old |\n<!-- settings-table: end -->\n\nAfter.\n")
    other.write_text("# No table here\n")
    result = CliRunner().invoke(main, ["settings", "--update", str(page), str(other)])
    assert result.exit_code == 0, result.output
    text = page.read_text()
    dedup = {name: field for name, field in Settings.model_fields.items() if name.startswith("dedup_")}
    assert "| old |" not in text and dedup
    for name, field in dedup.items():
        assert f"| `ENRICH_{name.upper()}` | {documented_default(field.default)} |" in text
    assert "`ENRICH_PARTITIONS`" not in text and text.endswith("<!-- settings-table: end -->\n\nAfter.\n")
    assert other.read_text() == "# No table here\n"


def test_enrich_settings_refuses_pages_without_a_table(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# No table here\n")
    result = CliRunner().invoke(main, ["settings", "--update", str(page)])
    assert result.exit_code != 0 and "none of the pages has a settings table" in result.output
    assert page.read_text() == "# No table here\n"


def test_the_front_page_links_to_pages_and_sections_that_exist() -> None:
    """The handbook's own links are checked by ``mkdocs build --strict``; the README is outside it."""
    links = re.findall(r"\]\(docs/([\w-]+\.md)(?:#([\w-]+))?\)", README.read_text())
    assert links
    for page, anchor in links:
        headings = re.findall(r"^#+ (.+)$", (DOCS / page).read_text(), re.M)
        assert not anchor or anchor in {slugify(heading, "-") for heading in headings}, (page, anchor)


def commands(group: click.Group, path: str = "enrich") -> Iterator[tuple[str, click.Command]]:
    """Every command of the command line with its full name (``enrich offsets copy``), groups walked."""
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, f"{path} {name}")
        else:
            yield f"{path} {name}", command


def test_the_front_pages_command_table_names_every_command_and_option() -> None:
    """A user reads the README's table, not ``--help``: an option missing there (tail's ``--timeout``, which the
    demo's closing line uses) is one they do not know of."""
    rows = {m[1]: m[0] for m in re.finditer(r"^\| `(enrich [a-z ]+?)(?= [A-Z\[-]|`).*$", README.read_text(), re.M)}
    missing = []
    for name, command in commands(main):
        row = rows.get(name)
        if row is None:
            missing.append((name, "its row"))
            continue
        options = [param for param in command.params if isinstance(param, click.Option)]
        missing += [(name, o.opts[0]) for o in options if not any(form in row for form in o.opts + o.secondary_opts)]
    assert not missing


def test_every_table_of_figures_names_its_command() -> None:
    """Each section of the benchmarks page that holds figures says which command measured them."""
    sections = re.split(r"^#{2,4} ", (DOCS / "benchmarks.md").read_text(), flags=re.M)[1:]
    with_figures = [section for section in sections if re.search(r"^\|.*\d.*\|$", section, re.M)]
    assert len(with_figures) >= 4
    for section in with_figures:
        assert re.search(r"`(python -m bench\.|pytest |time scripts/test)", section), section.splitlines()[0]


def table_rows(table: str) -> list[list[str]]:
    """The cells of each row of the one markdown table in a text, its header and rule left out."""
    lines = [line for line in table.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row[1:-1].split("|")] for row in lines[2:]]


def current_figures() -> dict[str, str]:
    """Each stage's "Current figures" table on the benchmarks page, by the stage's heading."""
    stages = re.split(r"^## ", (DOCS / "benchmarks.md").read_text(), flags=re.M)[1:]
    return {
        stage.split("\n", 1)[0]: stage.split("\n### Current figures\n", 1)[1].split("\n#", 1)[0] for stage in stages
    }


def test_each_stage_opens_with_its_current_figures_each_dated_with_command_and_commit() -> None:
    """One row a figure (a new figure is one row to add), each saying which command measured it, when and on what."""
    tables = current_figures()
    assert list(tables) == ["Cleaning", "Deduplication", "Entities", "Faults"]
    for stage, table in tables.items():
        header, rule = [line for line in table.splitlines() if line.startswith("|")][:2]
        assert header == CURRENT_FIGURES and set(rule) <= set("|- ") and table_rows(table), stage
        for cells in table_rows(table):
            assert len(cells) == 7 and cells[1], cells
            _, _, _, _, command, date, commit = cells
            assert re.search(r"`(python -m bench\.|pytest )", command), cells
            assert re.search(r"\b20\d\d-\d\d-\d\d\b", date) and re.search(r"\b[0-9a-f]{7}\b", commit), cells


def test_a_stage_pages_figures_are_the_benchmarks_current_figures_word_for_word() -> None:
    """One source: a handbook page's Figures table repeats its stage's current figures, never an older one."""
    tables = current_figures()
    pages = [page for page in PAGES if "\n## Figures\n" in page.read_text()]
    assert len(pages) >= 3
    for page in pages:
        text = page.read_text()
        stage = text.split("\n", 1)[0].removeprefix("# ")
        section = text.split("\n## Figures\n", 1)[1].split("\n## ", 1)[0]
        expected = [[cells[0], cells[1], cells[3]] for cells in table_rows(tables[stage])]
        assert table_rows(section) == expected, page.name


def defined_names(package: str) -> dict[str, set[str]]:
    """What each module and class of ``package`` (a folder of ROOT) defines, by the names a page calls it
    (``_module_keys``, a class by its name): top-level functions, classes and assignments, a package's modules, and a
    class's methods and attributes (``self.x = ...`` too) with those of its bases of the same package."""
    names: dict[str, set[str]] = {}
    classes: dict[str, set[str]] = {}
    bases: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        dotted = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_text())
        top = {target.id for node in tree.body for target in _targets(node)} | {
            node.name for node in tree.body if isinstance(node, DEFINITIONS)
        }
        for key in _module_keys(dotted):
            names.setdefault(key, set()).update(top)
        parent, _, module = dotted.rpartition(".")
        names.setdefault(parent, set()).add(module)
        for node in (node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)):
            members = {item.name for item in node.body if isinstance(item, DEFINITIONS)}
            members |= {target.id for item in node.body for target in _targets(item)}
            members |= {a.attr for a in ast.walk(node) if isinstance(a, ast.Attribute) and _on_self(a)}
            classes.setdefault(node.name, set()).update(members)
            bases.setdefault(node.name, set()).update(base.id for base in node.bases if isinstance(base, ast.Name))
    for name, members in classes.items():
        names[name] = members.union(*(classes[base] for base in bases[name] if base in classes))
    return names


def _module_keys(dotted: str) -> list[str]:
    """The names a page calls a module by: its dotted name, and in a package's package (``workers.clean.body``) its
    tails too (``clean.body``, ``body``); a package's own modules (``workers.nlp``) whole only, as their short names are
    others' too (spaCy's ``nlp.pipe``)."""
    parts = dotted.split(".")
    return [".".join(parts[i:]) for i in range(len(parts) if len(parts) > 2 else 1)]


def _targets(node: ast.stmt) -> list[ast.Name]:
    """The plain names a statement assigns."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    return [target for target in targets if isinstance(target, ast.Name)]


def _on_self(node: ast.Attribute) -> bool:
    """Whether an attribute is one a method sets on its instance (``self.x = ...``)."""
    return isinstance(node.value, ast.Name) and node.value.id == "self" and isinstance(node.ctx, ast.Store)


def test_the_code_names_the_handbook_gives_exist() -> None:
    """A code name quoted as `module.name` or `Class.name` names what that module or class of workers/ or bench/
    defines (``body.wrapped_as_body`` stayed in the handbook after it was folded into its callers): a reader looks
    it up. A dotted word whose first part is none of ours (Faust's ``Stream.__aiter__``, a Kubernetes label) is not
    read."""
    names = defined_names("workers") | defined_names("bench")
    refs = [
        (page.name, ref)
        for page in [README, *PAGES]
        for span in re.findall(r"`([^`\n]+)`", page.read_text())
        for ref in re.findall(r"(?<![\w./-])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?![\w/-])", span)
        if ref.rpartition(".")[0] in names
    ]
    assert len(refs) > 20  # the pattern still finds the handbook's code names
    assert [(page, ref) for page, ref in refs if ref.rpartition(".")[2] not in names[ref.rpartition(".")[0]]] == []


def test_every_module_has_its_row_in_the_architecture_pages_table() -> None:
    """The page says where each module sits: ``workers/layouts.py``, ``limits.py`` and ``state.py`` had no row."""
    table = (DOCS / "architecture.md").read_text().split("\n## Modules\n", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`(workers/[\w/.]+?)`", table))
    modules = {f"workers/{path.name}" for path in (ROOT / "workers").glob("*.py") if not path.name.startswith("__")}
    packages = {f"workers/{path.parent.name}" for path in (ROOT / "workers").glob("*/__init__.py")}
    assert modules and packages and modules | packages <= named, sorted((modules | packages) - named)
