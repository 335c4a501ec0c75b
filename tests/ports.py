"""The workers' web and metrics ports in tests and benchmarks: free ones to give, and readiness to wait for."""

from __future__ import annotations

import contextlib
import os
import random
import socket
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10_000
# The test brokers' ports (tests/integration/conftest.py: the session's broker and its controller, and each pytest
# process's private broker at +20, +22 and their controllers): a free port given to a worker there now could be
# the one another process's private broker starts on later (read69).
_BROKER_PORT = int(os.environ.get("ENRICH_TEST_KAFKA_PORT", "19092"))
BROKER_PORTS = range(_BROKER_PORT, _BROKER_PORT + 30)


def free_port() -> int:
    """A port free now, below the kernel's ephemeral range.

    A port the kernel hands out for ``bind(0)`` is an ephemeral one: by the time a worker binds it, a Kafka
    client's outgoing connection may hold it (seen as "address already in use" with several benches at once).
    Ports below the ephemeral range are never taken that way.
    """
    below = int(EPHEMERAL_RANGE.read_text().split()[0]) if EPHEMERAL_RANGE.exists() else 32_768
    while True:
        port = random.randrange(LOWEST, below)
        if port in BROKER_PORTS:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port


def wait_ready(web_port: int, timeout: float, path: str = "/readyz", alive: Callable[[], bool] = lambda: True) -> None:
    """Block until the worker serving ``web_port`` answers ``path``: ``/readyz``, ready (stages built, no rebalance
    under way); ``/livez``, serving (Faust has started, and joins the group next). Raises at once when ``alive`` says
    its process has gone."""
    url = f"http://127.0.0.1:{web_port}{path}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):  # not serving yet, or 503 while starting
            if urllib.request.urlopen(url, timeout=5).status == 200:
                return
        if not alive():
            raise RuntimeError(f"the worker on web port {web_port} exited before it answered {path}")
        time.sleep(0.5)
    raise TimeoutError(f"the worker on web port {web_port} did not answer {path} within {timeout:.0f} s")
