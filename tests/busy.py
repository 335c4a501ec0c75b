"""A core taken by a busy process, for fault tests and benchmarks alike: the developers' guide runs fault and load
tests with one, as on a machine shared with other work."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def busy_core(enabled: bool = True) -> Iterator[None]:
    """One core taken by a busy process (``while True: pass``) while the block runs, when ``enabled``."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if enabled else None
    try:
        yield
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
