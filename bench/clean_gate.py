"""Could a cheap body stand in for trafilatura's precision pass? Mean page F1 of the HTML path when it does, per gate.

    python -m bench.clean_gate                  # AEB and L3S-GN1, every page (about 2 minutes here)
    python -m bench.clean_gate --limit 40       # a quick look

The precision pass costs about 60% of trafilatura's whole default extraction and runs on every page. The cheap body
is resiliparse's main content (``workers.clean.html.MAIN_CONTENT``, figure captions, headers, asides, menus and
footers skipped), its lines scored by the page-text path and judged against the page text as the stage judges
every candidate (``page_text_wins``). A gate reads the cheap body and the page's main content and says whether the
cheap body stands; where it does not, the page keeps the stage's output (``extract_html``). For each gate and
threshold: the mean page F1 (AEB's metric, ``bench.clean_eval``) on the even- and odd-numbered pages (by id) of each
set, and the share of each set's pages the cheap body would serve (their precision pass spared). A gate is worth
building only if some threshold chosen on the even pages keeps every column at the stage's own figure (the first row).

Gates:
- ``prose``: share of the main content's words in lines that read as prose (a plain article is all prose).
- ``kept``: share of the main content's words the page-text scoring kept (it cut nothing of an article).
- ``agree``: F1 of the cheap body against the page text's body (two cheap readings find the same article).
- ``hold``: the cheap body's score as a share of ``prose_bound`` of the page's lines, 0 when it is a flattened
  table (the judge's own test, ``stands_alone``, is this gate at ``PRECISION_HOLD``): the judge finds the cheap
  body doubtful below the threshold, and only there would trafilatura's precision pass run.

Beside each threshold: the pages the gate would make worse than the stage by more than ``WORSE`` of page F1 (and
of them lost: the cheap body under 0.2 where the stage is over 0.5).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from statistics import mean

from resiliparse.extract.html2text import extract_plain_text
from trafilatura.utils import load_html

from bench.clean_eval import DEFAULT_AEB, DEFAULT_L3S, L3S_DAMAGED, Page, Score, document_scores, load_pages
from workers.clean import warm_up
from workers.clean.html import MAIN_CONTENT, extract_html
from workers.clean.judge import FLATTENED_SHARE, Candidate, candidate, page_text_wins, precision_holds, prose_bound
from workers.clean.normalize import word_count
from workers.clean.pagetext import read_page_lines, split_page_text
from workers.clean.render import render_tree

SKIPPED = ["figcaption", "caption", "figure", "header", "aside", "nav", "footer"]  # what costs resiliparse precision
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98)
WORSE = 0.1  # of page F1: a page the gate makes worse than the stage
LOW, HIGH = 0.2, 0.5  # a page lost: the cheap body under LOW where the stage is over HIGH


@dataclass(frozen=True, slots=True)
class Row:
    """One page: its set and half, the F1 of the stage and of the cheap body, and what each gate reads."""

    name: str
    even: bool
    stage: float
    cheap: float
    usable: bool  # the cheap body holds against the page text by the stage's own test (``precision_holds``)
    features: dict[str, float]


def f1(truth: str, text: str) -> float:
    """AEB's page F1 of one text against another."""
    return Score([document_scores(truth, text)]).f1


def words(found: Candidate) -> int:
    """Words of a candidate's lines."""
    return sum(map(word_count, found.paragraphs))


def page_row(name: str, even: bool, page: Page) -> Row | None:
    """The stage's and the cheap body's F1 on one page, and the gates' readings; None when lxml cannot parse it."""
    tree = load_html(page.html)
    if tree is None:
        return None
    stage = extract_html(page.html)
    rendered = render_tree(tree)
    split = split_page_text(rendered.text, cell_tables=False)
    page_text = candidate("page_text", split.paragraphs, split.stopwords, rendered.links)
    main = extract_plain_text(page.html, **MAIN_CONTENT, skip_elements=SKIPPED)
    raw = candidate("main", main.splitlines(), split.stopwords, rendered.links)
    cheap = candidate("cheap", split_page_text(main, cell_tables=False).paragraphs, split.stopwords, rendered.links)
    served = page_text if page_text_wins(cheap.judgement, page_text.judgement) else cheap
    features = {
        "prose": raw.judgement.prose_words / words(raw) if words(raw) else 0.0,
        "kept": words(cheap) / words(raw) if words(raw) else 0.0,
        "agree": f1("\n".join(page_text.paragraphs), "\n".join(cheap.paragraphs)),
        "hold": hold(cheap, prose_bound(read_page_lines(rendered.text).body)),
    }
    return Row(
        name,
        even,
        f1(page.truth, "\n".join(stage.paragraphs)),
        f1(page.truth, "\n".join(served.paragraphs)),
        precision_holds(cheap.judgement, page_text.judgement),
        features,
    )


def hold(cheap: Candidate, bound: int) -> float:
    """The cheap body's score as a share of the page's prose bound; 0 for a flattened table or an empty page."""
    if cheap.judgement.flattened_share >= FLATTENED_SHARE or bound <= 0:
        return 0.0
    return cheap.judgement.score / bound


def share(served: list[Row], rows: list[Row], name: str) -> float:
    """The share of a set's pages that a gate serves."""
    return sum(row.name == name for row in served) / sum(row.name == name for row in rows)


def table(rows: list[Row], gate: str) -> None:
    """Mean page F1 per set and half for each threshold of one gate, as a Markdown table."""
    groups = [(name, even) for name in ("AEB", "L3S-GN1") for even in (True, False)]
    print(f"\n### gate `{gate}`\n")
    halves = " | ".join(f"{name} {'even' if even else 'odd'}" for name, even in groups)
    print(f"| threshold | {halves} | pages served, AEB / L3S-GN1 | worse (lost) |")
    print("| ---: |" + " ---: |" * (len(groups) + 2))
    for threshold in (None, *THRESHOLDS):

        def serves(row: Row, threshold: float | None = threshold) -> bool:
            return threshold is not None and row.usable and row.features[gate] >= threshold

        cells = [mean(r.cheap if serves(r) else r.stage for r in rows if (r.name, r.even) == g) for g in groups]
        served = [row for row in rows if serves(row)]
        worse = sum(row.cheap < row.stage - WORSE for row in served)
        lost = sum(row.cheap < LOW < HIGH < row.stage for row in served)
        label = "stage (no gate)" if threshold is None else f"{threshold:g}"
        scores = " | ".join(f"{cell:.4f}" for cell in cells)
        shares = " / ".join(f"{share(served, rows, name):.0%}" for name in ("AEB", "L3S-GN1"))
        print(f"| {label} | {scores} | {shares} | {worse} ({lost}) |")


def rows_of(name: str, pages: list[Page]) -> list[Row]:
    """Every page's row, the even-numbered ones (by id) marked."""
    rows = [page_row(name, index % 2 == 0, page) for index, page in enumerate(pages)]
    print(f"{name}: {len(pages)} pages", file=sys.stderr)
    return [row for row in rows if row is not None]


def main(argv: list[str] | None = None) -> int:
    """Print one table per gate."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages of each set")
    args = parser.parse_args(argv)
    warm_up()
    rows = rows_of("AEB", load_pages(DEFAULT_AEB, args.limit))
    rows += rows_of("L3S-GN1", load_pages(DEFAULT_L3S, args.limit, L3S_DAMAGED))
    for gate in ("prose", "kept", "agree", "hold"):
        table(rows, gate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
