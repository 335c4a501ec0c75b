"""The shell scripts: the ports the demo binds are named where its users look, the broker's ports as documented."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests import ports
from tests.conftest import ROOT
from tests.ports import free_port
from workers.settings import Settings

KAFKA_SH = ROOT / "deploy" / "kafka" / "kafka.sh"
DEMO = ROOT / "scripts" / "demo"
BROKER_PORTS = ("KAFKA_PORT", "KAFKA_CONTROLLER_PORT")


def header(script: Path) -> str:
    """The comment block at the top of a script (after the shebang)."""
    lines = script.read_text().splitlines()[1:]
    return "\n".join(line for line in lines[: next(i for i, line in enumerate(lines) if not line.startswith("#"))])


def test_the_demo_and_the_handbook_name_every_port_the_demo_binds() -> None:
    worker_ports = [f"ENRICH_{name.upper()}" for name in Settings.model_fields if name.endswith("_port")]
    assert worker_ports == ["ENRICH_METRICS_PORT", "ENRICH_WEB_PORT"]
    demo_section = (ROOT / "docs" / "operations.md").read_text().split("## Local demo\n", 1)[1].split("\n## ", 1)[0]
    for variable in (*BROKER_PORTS, *worker_ports):
        assert variable in header(DEMO), variable
        assert f"`{variable}`" in demo_section, variable
    assert re.search(r"KAFKA_CONTROLLER_PORT +KRaft controller listener +\[KAFKA_PORT\+1\]", header(KAFKA_SH))


def closing_line(bootstrap: str) -> str:
    """What the demo's last line prints, run as the demo runs it once ENRICH_BOOTSTRAP_SERVERS is exported."""
    [line] = [line for line in DEMO.read_text().splitlines() if "demo: full records:" in line]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENRICH_", "KAFKA_"))}
    env["ENRICH_BOOTSTRAP_SERVERS"] = bootstrap
    return subprocess.run(["bash", "-c", line], env=env, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("bootstrap", ["127.0.0.1:31510", "127.0.0.1:31510, 127.0.0.1:31512"])
def test_the_demos_closing_command_reads_the_broker_the_demo_ran(bootstrap: str) -> None:
    """With KAFKA_PORT moved, the command the demo ends with read the clients' default, 127.0.0.1:9092: no broker.
    A list with a space (the settings allow one) pasted unquoted ran its second server as a command."""
    command = shlex.split(closing_line(bootstrap).removeprefix("demo: full records: "))
    assert command[:2] == [f"ENRICH_BOOTSTRAP_SERVERS={bootstrap}", ".venv/bin/python"]
    assert closing_line("127.0.0.1:9092") in (ROOT / "README.md").read_text()


def test_the_controller_port_defaults_to_the_client_port_plus_one(tmp_path: Path) -> None:
    """With KAFKA_CONTROLLER_PORT unset, a start checks port+1: held, the start stops there, before any fetch.

    Should it check another port, the start goes on to fetch the jars into the empty cache and stops at the
    ``mvn`` this test puts first on PATH, which only fails: no broker starts either way.
    """
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "mvn").write_text("#!/bin/sh\nexit 1\n")
    (fake_bin / "mvn").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
    while True:
        port = free_port()
        with socket.socket() as held:
            try:
                held.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            held.listen()
            env |= {"KAFKA_PORT": str(port), "KAFKA_CACHE_DIR": str(tmp_path / "cache")}
            env["PATH"] = f"{fake_bin}:{env['PATH']}"
            result = subprocess.run([str(KAFKA_SH), "start"], env=env, capture_output=True, text=True, timeout=60)
            break
    assert result.returncode == 1
    assert f"127.0.0.1:{port + 1} is already in use" in result.stderr, result.stderr


def test_the_demos_setup_then_start_says_once_that_the_jars_are_there(tmp_path: Path) -> None:
    """polish finding 4: the demo printed "jars ... already in" twice, from scripts/setup's ``kafka.sh fetch`` and
    again from the fetch ``start`` runs first. Here the jars' marker is there, and a stand-in java answers its
    version and fails anything else: the start stops at formatting the storage, after its fetch step."""
    version = re.search(r"^readonly KAFKA_VERSION=(\S+)$", KAFKA_SH.read_text(), re.MULTILINE)[1]
    pom_sum = subprocess.run(["cksum"], stdin=(KAFKA_SH.parent / "pom.xml").open("rb"), capture_output=True).stdout
    libs = tmp_path / "cache" / f"libs-{version}"
    libs.mkdir(parents=True)
    (libs / ".fetched").write_text(f"kafka {version} pom {pom_sum.split()[0].decode()}\n")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    java = fake_bin / "java"
    java.write_text("""#!/bin/sh\n[ "$1" = -version ] && echo 'version "21.0.1"' >&2 && exit 0\nexit 1\n""")
    java.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
    port = free_port()
    env |= {"KAFKA_PORT": str(port), "KAFKA_CACHE_DIR": str(tmp_path / "cache")}
    env |= {"KAFKA_CONTROLLER_PORT": str(free_port()), "PATH": f"{fake_bin}:{env['PATH']}"}
    said = ""
    for command in ("fetch", "start"):
        run = subprocess.run([str(KAFKA_SH), command], env=env, capture_output=True, text=True, timeout=60)
        said += run.stderr
    assert run.returncode == 1  # at the storage's format, past the fetch step: the broker's config was written
    assert (tmp_path / "cache" / f"state-{port}" / "server.properties").exists(), said
    assert said.count(f"jars for Kafka {version} already in") == 1, said


def test_setup_on_another_python_is_one_line_naming_the_version(tmp_path: Path) -> None:
    """polish finding 6: scripts/setup checked the version with an assert, a traceback. The interpreter here is told
    it is 3.10 by a sitecustomize (run at its start, before the check)."""
    fake = "import sys\nsys.version_info, sys.version = (3, 10, 14, 'final', 0), '3.10.14 (main) [GCC 12.2.0]'\n"
    (tmp_path / "sitecustomize.py").write_text(fake)
    env = {**os.environ, "PYTHON": sys.executable, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run([str(ROOT / "scripts" / "setup")], env=env, capture_output=True, text=True, timeout=600)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"setup: Python 3.11 needed, {sys.executable} is 3.10.14 (set PYTHON to a Python 3.11)"
    ]


def test_cluster_id_before_the_first_start_is_one_line_saying_why(tmp_path: Path) -> None:
    """Not cat's "No such file or directory" on a file of the state dir that the user never heard of."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
    env |= {"KAFKA_PORT": "31539", "KAFKA_CACHE_DIR": str(tmp_path)}
    result = subprocess.run([str(KAFKA_SH), "cluster-id"], env=env, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "kafka.sh[31539]: error: no cluster id: no broker was started on port 31539 since its last reset"
        f" (state {tmp_path}/state-31539)\n"
    )


def without_proc(tmp_path: Path, command: list[str], ps_line: dict[int, str]) -> list[str]:
    """``command`` run as on macOS or BSD: /proc hidden (a mount namespace), ``ps -p PID -o args=`` answered from
    ``ps_line`` as their ps prints it, the arguments joined by spaces; the stand-in ps notes each call."""
    if not shutil.which("unshare") or subprocess.run(["unshare", "-r", "-m", "true"], capture_output=True).returncode:
        pytest.fail("kafka.sh's path without /proc is tested by hiding /proc: this machine needs unshare -r -m")
    (tmp_path / "bin").mkdir()
    cases = "".join(f"{pid}) echo {shlex.quote(line)} ;;\n" for pid, line in ps_line.items())
    ps = tmp_path / "bin" / "ps"
    ps.write_text(
        f'#!/bin/sh\necho "$*" >>{shlex.quote(str(tmp_path / "ps.calls"))}\ncase $2 in\n{cases}*) exit 1 ;;\nesac\n'
    )
    ps.chmod(0o755)
    hide = 'mount -t tmpfs none /proc && PATH="$0:$PATH" exec "$@"'
    return ["unshare", "-r", "-m", "sh", "-c", hide, str(tmp_path / "bin"), *command]


@pytest.mark.parametrize("arguments_from", ["/proc", "ps"])
def test_a_broker_whose_state_dir_is_reached_through_a_symlink_is_still_this_broker(
    tmp_path: Path, arguments_from: str
) -> None:
    """A worktree whose .cache links the main checkout's: kafka.sh there took the running broker (its config named
    by the other path) for a recycled pid and removed its pid file, so that neither checkout could stop it. The same
    where ps is all there is: a checkout path holding a space (a macOS home folder) split the config's path in two."""
    port = free_port()
    state = tmp_path / "the cache" / f"state-{port}"
    state.mkdir(parents=True)
    (state / "server.properties").touch()
    (tmp_path / "link to it").symlink_to(tmp_path / "the cache")
    # A stand-in with a broker's last arguments, started through the real path; nothing answers on its port.
    arguments = [sys.executable, "-c", "import time; time.sleep(60)", "kafka.Kafka", str(state / "server.properties")]
    stand_in = subprocess.Popen(arguments)
    try:
        command = [str(KAFKA_SH), "status"]
        if arguments_from == "ps":
            command = without_proc(tmp_path, command, {stand_in.pid: " ".join(arguments)})
        (state / "kafka.pid").write_text(f"{stand_in.pid}\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
        env |= {"KAFKA_PORT": str(port), "KAFKA_CACHE_DIR": str(tmp_path / "link to it")}
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    finally:
        stand_in.kill()
        stand_in.wait()
    assert result.stderr == ""
    assert result.stdout == f"process {stand_in.pid} is up but the broker does not answer on 127.0.0.1:{port}\n"
    assert (state / "kafka.pid").exists()
    assert (tmp_path / "ps.calls").exists() == (arguments_from == "ps")


@pytest.mark.slow  # a pytest session of its own: 3 to 7 s here
def test_tests_needing_missing_shared_data_end_the_session_with_one_line(tmp_path: Path) -> None:
    """SHARED_DIR names no folder: a test of the seed page runs, the next, reading an AEB page, ends the session
    with one line naming the place (not a FileNotFoundError per test)."""
    absent = tmp_path / "shared"
    done = pagetext_session_without_shared_data(absent)
    assert done.returncode == 4, done.stdout
    [line] = [line for line in done.stdout.splitlines() if "shared evaluation data not found" in line]
    assert f"not found at {absent} (no {absent / 'eval' / 'aeb'}/" in line and line.endswith(": set SHARED_DIR !")
    assert "1 passed" in done.stdout and "failed" not in done.stdout, done.stdout
    assert "FileNotFoundError" not in done.stdout + done.stderr


@pytest.mark.slow  # two pytest processes of their own: about 10 s here
def test_missing_shared_data_stops_the_two_processes_of_scripts_test_with_one_line(tmp_path: Path) -> None:
    """In scripts/test's xdist processes the test reading the AEB page fails and the session ends "Interrupted" with
    the line: ``pytest.exit`` in a worker read as its crash, an INTERNALERROR traceback without the line."""
    absent = tmp_path / "shared"
    done = pagetext_session_without_shared_data(absent, "-n", "2")
    assert done.returncode == pytest.ExitCode.INTERRUPTED, done.stdout
    [line] = [line for line in done.stdout.splitlines() if "shared evaluation data not found" in line]
    assert f"Interrupted: shared evaluation data not found at {absent} (no {absent / 'eval' / 'aeb'}/" in line
    assert "INTERNALERROR" not in done.stdout + done.stderr, done.stdout


def pagetext_session_without_shared_data(absent: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """A pytest session of a test of the seed page and one of an AEB page, with SHARED_DIR naming ``absent``."""
    tests = ["test_a_table_rendered_one_cell_per_line_is_the_article_s", "test_seed_page_body_ends_before_the_chrome"]
    run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, "tests/unit/test_pagetext.py"]
    return subprocess.run(
        [*run, "-k", " or ".join(tests)],
        cwd=ROOT,
        env={**os.environ, "SHARED_DIR": str(absent)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_free_port_is_never_one_of_the_test_brokers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two pytest processes (scripts/test): a worker's port drawn in the range of the other's private broker could
    be taken when that broker starts (read69)."""
    elsewhere = free_port()
    draws = iter([ports.BROKER_PORTS.start + 20, ports.BROKER_PORTS.start, elsewhere])
    monkeypatch.setattr(ports.random, "randrange", lambda low, high: next(draws))
    assert free_port() == elsewhere
