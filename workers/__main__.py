"""``python -m workers``: the ``enrich`` command line."""

from workers.cli import main

main()
