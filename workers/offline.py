"""``enrich process``: the pipeline's stages over a JSONL file, without Kafka, one output file per topic."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from itertools import islice
from pathlib import Path
from typing import IO

from tqdm import tqdm

from workers import codec
from workers.child import clean_stage
from workers.nlp import Pipelines
from workers.pipeline import (
    CLUSTER_TABLE_OUTPUTS,
    FINAL,
    ClusterChange,
    DedupStage,
    EntitiesStage,
    Message,
    Output,
    StageRunner,
    apply_cluster_output,
)
from workers.records import ClusterRecord, Origin
from workers.settings import Settings

# The files written, one per topic: the final records, and the story view (the clusters topic's records).
OUTPUTS = ("enriched", "duplicates", "deadletter", "clusters")
CHUNK = 256  # lines cleaned, deduplicated and tagged together; bounds memory, keeps NER batches full


def _chunks(lines: Iterable[bytes], source: str) -> Iterator[list[Message]]:
    numbered = (
        Message(line.rstrip(b"\r\n"), Origin(topic=source, partition=0, offset=n, timestamp_ms=None))
        for n, line in enumerate(lines)
        if line.strip()
    )
    while chunk := list(islice(numbered, CHUNK)):
        yield chunk


def _forward(outputs: list[list[Output]], destination: str) -> tuple[list[Message], list[Output]]:
    """Split outputs into messages for the next stage and the rest."""
    onward, rest = [], []
    for output in (o for group in outputs for o in group):
        if output.destination == destination:
            onward.append(Message(codec.dumps(output.record), output.record["origin"]))
        else:
            rest.append(output)
    return onward, rest


def run_chunk(
    messages: list[Message], clean: StageRunner, dedup: DedupStage, entities: EntitiesStage
) -> tuple[list[Output], list[Output]]:
    """Final outputs of a chunk, in input order, and the dedup stage's outputs on the cluster records, in the order
    it made them (the order they apply in)."""
    cleaned, finals = _forward(clean.process(messages), "clean")
    unique, more = _forward(dedup.process(cleaned), "unique")
    clustered = [o for o in more if o.destination in CLUSTER_TABLE_OUTPUTS]
    finals += more
    finals += [o for group in entities.process(unique) for o in group]
    finals = [o for o in finals if o.destination in FINAL]
    return sorted(finals, key=lambda o: o.record["origin"]["offset"]), clustered


def cluster_line(change: ClusterChange) -> bytes:
    """A cluster record as the clusters file holds it; a cluster's delete (a null value under its key on the
    topic) as ``codec.cluster_delete`` writes it."""
    if change.value is None:
        return codec.cluster_delete(change.key)
    return change.value


def process_file(source: IO[bytes], name: str, out_dir: Path, settings: Settings, pipelines: Pipelines) -> Counter[str]:
    """Run every line of ``source`` through the stages; write ``<topic>.jsonl`` files into ``out_dir`` (existing):
    the final records, and the cluster records the workers publish, from a table of them kept as theirs is."""
    dedup, entities = DedupStage(settings), EntitiesStage(settings, pipelines)
    topics = {output: getattr(settings, f"topic_{output}") for output in OUTPUTS}
    clusters: dict[str, ClusterRecord] = {}
    counts: Counter[str] = Counter()
    with ExitStack() as stack:
        clean = clean_stage(settings)  # its child process started last, and ended however the run ends
        stack.callback(clean.close)
        files = {d: stack.enter_context((out_dir / f"{t}.jsonl").open("wb")) for d, t in topics.items()}
        progress = stack.enter_context(tqdm(desc="articles", unit="article", disable=None))
        for chunk in _chunks(source, name):
            finals, clustered = run_chunk(chunk, clean, dedup, entities)
            for output in finals:
                files[output.destination].write(output.serialised() + b"\n")
                counts[output.destination] += 1
            for change in filter(None, (apply_cluster_output(clusters, output) for output in clustered)):
                files["clusters"].write(cluster_line(change) + b"\n")
                counts["clusters"] += 1
            progress.update(len(chunk))
    return counts
