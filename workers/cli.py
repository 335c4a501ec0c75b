"""``enrich``: run workers, create topics, produce and tail topics, process files offline."""

from __future__ import annotations

import asyncio
import difflib
import logging
import logging.config
import os
import socket
import warnings
from datetime import datetime
from pathlib import Path
from typing import get_args

import click
from aiokafka.errors import KafkaConnectionError, KafkaError
from pydantic import ValidationError

from workers.kafka_io import UnknownTopic
from workers.logs import logging_config
from workers.nlp import ModelUnavailable, require_installed
from workers.records import ErrorCode
from workers.settings import STAGES, Settings, explain, get_settings, parse_stages, unknown_variables
from workers.times import utc_time
from workers.topics import TopicLayoutError, internal_topic

log = logging.getLogger(__name__)


class _Commands(click.Group):
    """The command group; a setting out of range, a missing spaCy model, a broker that cannot be reached (or
    refuses the credentials) are one line naming what to fix, not a trace."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ValidationError as error:
            raise click.ClickException(explain(error)) from error
        except ModelUnavailable as error:  # it names the setting; a failed load's cause is logged above
            raise click.ClickException(f"{error}: set it to an installed spaCy pipeline") from error
        except KafkaConnectionError as error:
            settings = get_settings()
            raise click.ClickException(
                f"cannot connect to Kafka at {settings.bootstrap_servers} over {settings.security_protocol} "
                f"({error}); the client's reason, such as an authentication failure, is logged above"
            ) from error
        except TopicLayoutError as error:
            raise click.ClickException(str(error)) from error
        except UnknownTopic as error:
            raise click.ClickException(_unknown_topic(error, get_settings())) from error
        except KafkaError as error:  # connected, then a request failed: metadata every broker timed out on, ...
            raise click.ClickException(f"Kafka at {get_settings().bootstrap_servers}: {error}") from error


# Topics named in the error on a missing one, at most: a shared cluster can hold thousands.
TOPICS_NAMED = 20


def _unknown_topic(error: UnknownTopic, settings: Settings) -> str:
    """The error on a topic the broker does not have: its name, the closest existing one (an internal one too), the
    others it has but the internal ones (``internal_topic``), which no operator means to tail or produce to."""
    near = difflib.get_close_matches(error.topic, error.existing, n=1)  # difflib's similarity cutoff, 0.6
    hint = f"; did you mean {near[0]}?" if near else ""
    names = sorted(name for name in error.existing if not internal_topic(settings, name))
    more = f" and {len(names) - TOPICS_NAMED} more" if len(names) > TOPICS_NAMED else ""
    has = f"it has {', '.join(names[:TOPICS_NAMED])}{more}" if names else "it has no topic"
    return f"topic {error.topic} does not exist at {settings.bootstrap_servers} ({has}){hint}"


def _read_settings(quiet_clients: bool = True) -> Settings:
    """The settings, once the project's logging is set up from them, and what reading them found worth a warning
    logged through it: a deprecated setting (pydantic's validator raises a FutureWarning, which Python would print
    to stderr as a plain line pointing at pydantic) and each ``ENRICH_*`` variable that is no setting. A command
    other than the worker keeps the Kafka client's INFO lines (subscriptions, metadata) out of its output."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        settings = get_settings()
    logging.config.dictConfig(logging_config(settings, quiet=("aiokafka",) if quiet_clients else ()))
    for warning in caught:
        log.warning("%s: %s", warning.category.__name__, warning.message)
    for line in unknown_variables(os.environ):
        log.warning("%s", line)
    return settings


@click.group(cls=_Commands)
def main() -> None:
    """Streaming news enrichment on Kafka: clean, deduplicate, tag entities."""


def _stages(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--stages`` checked as ``ENRICH_STAGES`` is, so that an unknown stage is a usage error naming the option."""
    if value is not None:
        try:
            parse_stages(value)
        except ValueError as error:
            raise click.BadParameter(str(error), ctx, param) from error
    return value


@main.command()
@click.option("--stages", callback=_stages, help="Comma-separated stages to run (default: ENRICH_STAGES, all of them).")
def worker(stages: str | None) -> None:
    """Start a Faust worker running the agents of the chosen stages."""
    from prometheus_client import start_http_server

    from workers.app import BIND_ADDRESS, create_app
    from workers.stacks import StackDumpingWorker, answer_signals_while_starting
    from workers.state import discard_stale_state
    from workers.topics import ensure_topics

    answer_signals_while_starting()
    settings = _read_settings(quiet_clients=False)
    if stages is not None:  # checked by _stages, as the settings check ENRICH_STAGES
        settings = settings.model_copy(update={"stages": stages})
    chosen = settings.stage_list
    if "entities" in chosen:
        require_installed(settings)
    _require_free_ports(settings, BIND_ADDRESS)
    asyncio.run(ensure_topics(settings, may_lack_rights=True))
    if "dedup" in chosen:  # the one stage with tables: state of another broker would stop Faust or mislead it
        asyncio.run(discard_stale_state(settings))
    if settings.metrics_port:
        start_http_server(settings.metrics_port, BIND_ADDRESS)
    _build_info(settings)
    app = create_app(settings, chosen)
    worker = StackDumpingWorker(
        app, loglevel=settings.log_level.upper(), logging_config=logging_config(settings), redirect_stdouts=False
    )
    worker.execute_from_commandline()


def _require_free_ports(settings: Settings, address: str) -> None:
    """Refuse a port another process holds, naming its setting, before connecting to anything: the metrics server
    would end in a trace naming neither, Faust's web server in one after the worker joined its group. Bound as both
    servers bind (``SO_REUSEADDR``: a port whose old connections linger in TIME_WAIT is free to them)."""
    ports = {"ENRICH_METRICS_PORT": settings.metrics_port, "ENRICH_WEB_PORT": settings.web_port}
    for variable, port in ports.items():
        if not port:  # metrics off
            continue
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((address, port))
            except OSError as error:
                raise click.ClickException(f"{variable} {port}: {error.strerror.lower()}") from error


@main.command()
def topics() -> None:
    """Create the pipeline's topics that do not exist yet; raise the max.message.bytes of the dead-letter topic and
    the dedup changelogs if low."""
    from workers.topics import ensure_topics

    settings = _read_settings()
    created = asyncio.run(ensure_topics(settings))
    click.echo(f"created: {', '.join(created) or 'none (all exist)'}")


@main.command()
@click.argument("source", type=click.File("rb"))
@click.option("--topic", help="Topic to publish to (default: the raw topic).")
def produce(source: click.utils.LazyFile, topic: str | None) -> None:
    """Publish each line of SOURCE (JSONL, - for stdin) as one message, keyed by its id when it has one. The
    pipeline's topics are created first (as by ``enrich topics``) if the one named is one of them and missing."""
    settings = _read_settings()
    name = topic or settings.topic_raw
    count = asyncio.run(_produce(settings, name, source))
    click.echo(f"published {count} messages to {name}", err=True)


async def _produce(settings: Settings, topic: str, source: click.utils.LazyFile) -> int:
    """``produce_lines``, but a missing pipeline topic is created with the others (their partitions and configs, not
    the broker's defaults a first send would give it); any other missing topic, a typo, stays ``UnknownTopic``."""
    from workers.kafka_io import produce_lines
    from workers.topics import ensure_topics, topic_partitions

    try:
        return await produce_lines(settings, topic, source)  # looks the topic up before reading a line
    except UnknownTopic:
        if topic not in topic_partitions(settings):
            raise
    created = await ensure_topics(settings)
    click.echo(f"topic {topic} did not exist: created the pipeline's topics {', '.join(created)}", err=True)
    return await produce_lines(settings, topic, source)


class UtcTime(click.ParamType):
    """A time as a dead letter's ``failed_at`` writes it (``2026-12-06T17:07:29.083Z``) or with another offset, or a
    date and time without one (``2026-12-06``, ``2026-12-06T17:07``, ``2026-12-06 17:07:29``), taken as UTC."""

    name = "time"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        moment = utc_time(value.isoformat() if isinstance(value, datetime) else str(value))  # aware, in UTC
        if moment is None:
            self.fail(f"{value!r} is not an ISO 8601 time (as 2026-12-06, 2026-12-06T17:07:29.083Z)", param, ctx)
        return moment


@main.command()
@click.argument("topic")
@click.option(
    "--from-beginning/--from-end",
    default=True,
    show_default=True,
    help="Each partition from its first record, or only the records that arrive from now.",
)
@click.option("--max-messages", type=click.IntRange(min=1), help="Stop after this many messages.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=3600.0,
    show_default=True,
    help="Stop after this many seconds without a message.",
)
@click.option("--summary", is_flag=True, help="Print one readable line per record instead of the JSON.")
@click.option(
    "--deletes",
    type=click.Choice(["null", "named"]),
    default="null",
    show_default=True,
    help="How a key's delete (a null value) is printed: JSON null, or a line naming the key "
    '({"cluster_id": ..., "deleted": true} on the clusters topic, {"key": ..., "deleted": true} elsewhere).',
)
@click.option(
    "--since",
    type=UtcTime(),
    help="Only records written at or after this time (their Kafka timestamp; UTC if no zone); overrides --from-end.",
)
def tail(
    topic: str,
    from_beginning: bool,
    max_messages: int | None,
    timeout: float,
    summary: bool,
    deletes: str,
    since: datetime | None,
) -> None:
    """Print the records arriving on TOPIC."""
    from workers.kafka_io import tail_topic
    from workers.summary import KINDS, tail_line

    settings = _read_settings()
    kind = {getattr(settings, f"topic_{name}"): name for name in KINDS}.get(topic)

    async def run() -> None:
        async for key, value in tail_topic(settings, topic, from_beginning, max_messages, timeout, since):
            click.echo(tail_line(key, value, kind, summary, named_deletes=deletes == "named"))

    asyncio.run(run())


@main.command()
@click.option("--update", is_flag=True, help="Make the settings tables of the PAGES again instead of printing one.")
@click.argument("pages", nargs=-1, type=click.Path(dir_okay=False, exists=True, path_type=Path))
def settings(update: bool, pages: tuple[Path, ...]) -> None:
    """Print the table of ENRICH_* settings made from workers/settings.py, or (--update docs/*.md) the pages' tables."""
    from workers.docs import has_settings_table, settings_table, with_settings_tables

    if not update:
        if pages:
            raise click.UsageError("PAGES are rewritten only with --update")
        click.echo(settings_table())
        return
    with_tables = [page for page in pages if has_settings_table(page.read_text())]
    if not with_tables:
        raise click.ClickException("none of the pages has a settings table (<!-- settings-table: PREFIX ... -->)")
    for page in with_tables:
        page.write_text(with_settings_tables(page.read_text()))
        click.echo(f"updated the settings tables of {page}", err=True)


@main.command()
@click.argument("source", type=click.File("rb"))
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory of the output files, one per output topic (made if missing; a former run's files overwritten).",
)
def process(source: click.utils.LazyFile, out_dir: Path) -> None:
    """Run the stages over SOURCE (JSONL, - for stdin) without Kafka; write one JSONL file per output topic."""
    from workers.nlp import load_pipelines
    from workers.offline import OUTPUTS, process_file
    from workers.pipeline import EXIT_UNPUBLISHED, StageUnavailable

    settings = _read_settings()
    require_installed(settings)
    try:  # before the models load: a directory that cannot be made is one line, not a trace
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise click.ClickException(f"--out-dir {out_dir}: {error.strerror}") from error
    try:
        counts = process_file(source, source.name, out_dir, settings, load_pipelines(settings))
    except StageUnavailable as error:  # as the worker exits: one line, the reason known, and its exit status
        stopped = click.ClickException(f"cannot go on ({error}); the files in {out_dir} are incomplete")
        stopped.exit_code = EXIT_UNPUBLISHED
        raise stopped from error
    click.echo(", ".join(f"{k}: {counts.get(k, 0)}" for k in OUTPUTS), err=True)


@main.command()
@click.option(
    "--error",
    "errors",
    type=click.Choice(get_args(ErrorCode)),
    multiple=True,
    help="Only dead letters with this error code (repeatable).",
)
@click.option(
    "--stage", "stages", type=click.Choice(STAGES), multiple=True, help="Only dead letters of this stage (repeatable)."
)
@click.option("--since", type=UtcTime(), help="Only dead letters that failed at or after this time (UTC if no zone).")
@click.option("--until", type=UtcTime(), help="Only dead letters that failed before this time (UTC if no zone).")
@click.option(
    "--include-replays",
    is_flag=True,
    help="Also the letters of messages a replay sent that failed again (left by default: their first letter is there).",
)
@click.option("--dry-run", is_flag=True, help="Count what would be replayed; publish nothing.")
def replay(
    errors: tuple[str, ...],
    stages: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    include_replays: bool,
    dry_run: bool,
) -> None:
    """Re-publish dead letters, after a fix, to the topic where each one failed (raw, for the clean stage), each with
    a header naming its letter, and each message once."""
    from workers.deadletters import ReplayFilter
    from workers.kafka_io import replay_deadletters

    if since is not None and until is not None and since >= until:
        raise click.BadParameter(
            f"{until.isoformat()} is not after --since {since.isoformat()}: no dead letter failed between",
            param_hint="'--until'",
        )
    wanted = ReplayFilter(errors=errors, stages=stages, since=since, until=until, replays=include_replays)
    counts = asyncio.run(replay_deadletters(_read_settings(), wanted, dry_run))
    verb = "would replay" if dry_run else "replayed"
    chosen = {k: v for k, v in counts.items() if not k.startswith("skipped")}
    sent = sum(v for k, v in chosen.items() if not k.endswith("_not_replayed"))
    replays = counts["skipped_replays"]
    of_replays = f", {replays} of them letters of replays (--include-replays)" if replays else ""
    others = (
        f"; left {counts['skipped_not_letters']} messages that are no dead letter"
        if counts["skipped_not_letters"]
        else ""
    )
    click.echo(
        f"{verb} {sent} ({chosen or 'none'}); skipped {counts['skipped'] + replays}{of_replays}{others}", err=True
    )


@main.group()
def offsets() -> None:
    """The workers' committed offsets."""


@offsets.command("copy")
@click.option("--from-stages", required=True, callback=_stages, help="Stages of the workers stopped (their group).")
@click.option("--to-stages", required=True, callback=_stages, help="Stages of the workers to start (their group).")
def offsets_copy(from_stages: str, to_stages: str) -> None:
    """Start the group of --to-stages where the group of --from-stages stopped: commit the old group's offsets on
    the topics the new stages read. Refused while either group has a member (stop the old workers first)."""
    from workers.kafka_io import copy_offsets
    from workers.layouts import OffsetsRefused

    settings = get_settings()
    old, new = parse_stages(from_stages), parse_stages(to_stages)
    try:
        copied = asyncio.run(copy_offsets(settings, old, new))
    except OffsetsRefused as error:
        raise click.ClickException(str(error)) from error
    for (topic, partition), offset in sorted(copied.items()):
        click.echo(f"{settings.consumer_group(new)} {topic}[{partition}]: {offset}")


def _build_info(settings: Settings) -> None:
    from importlib.metadata import version

    from workers import metrics

    models = {"spacy_model": settings.spacy_model, "nlp_models": settings.nlp_models}
    metrics.BUILD_INFO.info({"version": version("news-enrich"), **models})
