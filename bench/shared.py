"""Where the shared evaluation data lives: ``shared/`` beside the checkout, read from there, never committed.

The data sits beside the main checkout (``../shared``). A git worktree sits deeper, and a clone made elsewhere
(CI clones the checkout into a temporary folder) is found through its origin: the nearest ancestor holding
``shared/`` of the checkout, else of the checkout it was cloned from. ``SHARED_DIR`` overrides both.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _origin() -> Path | None:
    """The local checkout this one was cloned from, if any."""
    try:
        url = subprocess.run(
            ["git", "-C", str(ROOT), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return None
    path = Path(url.removeprefix("file://"))
    return path.resolve() if url and path.is_dir() else None


def shared_dir() -> Path:
    """The shared data folder (``SHARED_DIR``, else ``shared/`` in the nearest ancestor of this checkout or its
    origin); ``../shared`` when none is found, so that a missing file names the expected place."""
    if os.environ.get("SHARED_DIR"):
        return Path(os.environ["SHARED_DIR"])
    origin = _origin()
    checkouts = [ROOT, *([origin] if origin else [])]
    for checkout in checkouts:
        for up in checkout.parents:
            if (up / "shared" / "corpus").is_dir() or (up / "shared" / "eval").is_dir():
                return up / "shared"
    return ROOT.parent / "shared"


SHARED = shared_dir()
