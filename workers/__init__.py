"""Streaming news enrichment: clean scraped pages, deduplicate wire stories, tag entities, on Kafka."""


def main() -> None:
    """The ``enrich`` console script. The command line is imported when it runs, not with the script: a clean stage's
    child, started from a forkserver, runs the script that started its worker as its own main module (Python before
    3.13 does so even when the forkserver preloads it), and with ``workers.cli`` at the script's top each child
    imported the command line and its Kafka clients again (childfix: 0.2 s and 19 MiB more a child)."""
    from workers.cli import main as command_line

    command_line()
