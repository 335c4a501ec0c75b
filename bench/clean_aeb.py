"""Score the clean stage on the Article Extraction Benchmark pages: ``bench.clean_eval`` on the AEB set alone.

    python -m bench.clean_aeb                  # all 181 pages, both modes, with baselines
    python -m bench.clean_aeb --limit 40       # a quick look while developing
    python -m bench.clean_aeb --aeb PATH       # another copy of the data (default ../shared/eval/aeb)

Kept for the commands already written down; ``python -m bench.clean_eval`` scores every set side by side.
"""

from __future__ import annotations

import sys

from bench.clean_eval import main as evaluate


def main(argv: list[str] | None = None) -> int:
    """``bench.clean_eval --sets aeb`` with the arguments given."""
    return evaluate(["--sets", "aeb", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
