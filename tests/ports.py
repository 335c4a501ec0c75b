"""Free ports for the workers' web and metrics servers in tests and benchmarks."""

from __future__ import annotations

import random
import socket
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10_000


def free_port() -> int:
    """A port free now, below the kernel's ephemeral range.

    A port the kernel hands out for ``bind(0)`` is an ephemeral one: by the time a worker binds it, a Kafka
    client's outgoing connection may hold it (seen as "address already in use" with several benches at once).
    Ports below the ephemeral range are never taken that way.
    """
    below = int(EPHEMERAL_RANGE.read_text().split()[0]) if EPHEMERAL_RANGE.exists() else 32_768
    while True:
        port = random.randrange(LOWEST, below)
        with socket.socket() as sock:
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
