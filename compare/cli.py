"""The `narrative-compare` command line. Each command parses, calls one library function, prints."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from functools import wraps
from pathlib import Path
from typing import Self

import click

from compare import store
from compare.errors import NarrativeError
from compare.evaluate import DATASETS


def db_option(f):
    return click.option(
        "--db",
        envvar="NARRATIVE_DB",
        default=store.DEFAULT_DB,
        show_default=True,
        type=click.Path(dir_okay=False),
        help="DuckDB store (env NARRATIVE_DB).",
    )(f)


def model_option(f):
    return click.option(
        "--model",
        envvar="NARRATIVE_MODEL",
        default=None,
        type=click.Path(file_okay=False),
        help="Local model folder, sentence-transformers or model2vec (env NARRATIVE_MODEL; default:"
        " bundled all-MiniLM-L6-v2).",
    )(f)


def quiet_option(f):
    return click.option(
        "--quiet",
        "-q",
        is_flag=True,
        help="Print only errors, warnings and the files skipped: no progress, no summary.",
    )(f)


def json_option(f):
    return click.option(
        "--json", "as_json", is_flag=True, help="Print the result as one line of JSON."
    )(f)


def workers_option(f):
    return click.option(
        "--workers",
        default=None,
        type=click.IntRange(min=1),
        metavar="N",
        help="Processes comparing events and writing report pages (default: one per core; the"
        " rows are the same for any N). With --engine ray: the embedding actors.",
    )(f)


def wait_option(f):
    return click.option(
        "--wait",
        default=0.0,
        type=click.FloatRange(min=0),
        metavar="SECONDS",
        help="If another process is writing the store, wait up to SECONDS for it.",
    )(f)


_INTERRUPTED: list[int] = []  # the signals received; a library may wrap the KeyboardInterrupt


def _interrupt(signum, frame):
    _INTERRUPTED.append(signum)
    raise KeyboardInterrupt


def user_errors(f):
    """Turn the project's own errors into `Error: ...` and exit code 2; bugs keep their traceback.

    SIGINT and SIGTERM roll back the open transaction and exit 130: what was committed (whole
    events, chunks of the embedding cache) stays, and the same command run again resumes.
    """

    @wraps(f)
    def wrapper(*args, **kwargs):
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)
        try:
            return f(*args, **kwargs)
        except NarrativeError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            _exit_interrupted()
        except Exception:
            # DuckDB turns a KeyboardInterrupt raised inside one of its calls (reading a
            # registered frame, say) into its own error: still an interruption, not a bug.
            if _INTERRUPTED:
                _exit_interrupted()
            raise

    return wrapper


def _exit_interrupted() -> None:
    click.echo(
        "Interrupted: the store keeps what was finished. Run the same command again to resume.",
        err=True,
    )
    sys.exit(130)


def note(message: str) -> None:
    click.echo(message, err=True)


class Reporter:
    """The progress callback the CLI hands the library (compare.progress): notes, and one display
    per stage on stderr. On a terminal a stage is one line redrawn in place (done / total, counts,
    rate and time left); otherwise plain lines, one when a stage ends and one every
    `PLAIN_EVERY` seconds of a long one. `quiet`: only warnings and skipped files (errors are
    printed by `user_errors`)."""

    # Seconds between plain progress lines of a long stage (off a terminal); 0 = every step.
    PLAIN_EVERY = float(os.environ.get("NARRATIVE_PROGRESS_EVERY", "30"))
    KEEP = ("Warning", "Skipped", "Error")  # what --quiet still prints

    def __init__(self, quiet: bool = False, stream=None):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.live: _StageLine | None = None  # the line being redrawn, on a terminal
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        if self.quiet and not message.startswith(self.KEEP):
            return
        self._clear()
        click.echo(message, file=self.stream)

    def stage(self, name: str, total: int | None = None, unit: str = "") -> _StageLine:
        return _StageLine(self, name, total, unit)

    def summary(self, line: str) -> None:
        """The closing line (not with --quiet): what was done, and in how long."""
        self(f"Done in {_duration(time.perf_counter() - self.started)}: {line}")

    def _clear(self) -> None:
        if self.live is not None and self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()


class _StageLine:
    def __init__(self, reporter: Reporter, name: str, total: int | None, unit: str):
        self.reporter, self.name, self.total, self.unit = reporter, name, total, unit
        self.done, self.counts = 0, {}
        self.started = self.drawn = time.perf_counter()
        self.closed = False

    def __enter__(self) -> Self:
        if self.reporter.tty and not self.reporter.quiet:
            self.reporter.live = self
            self._draw()
        return self

    def __exit__(self, *exc) -> None:
        self.close(failed=exc[0] is not None)

    def advance(self, n: int = 1, **counts: int) -> None:
        self.done += n
        for key, value in counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        now = time.perf_counter()
        if self.reporter.quiet:
            return
        if self.reporter.tty and now - self.drawn >= 0.1:
            self._draw()
        elif not self.reporter.tty and now - self.drawn >= self.reporter.PLAIN_EVERY:
            click.echo(self.text(), file=self.reporter.stream)
            self.drawn = now

    def close(self, failed: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        if self.reporter.live is self:
            self.reporter._clear()
            self.reporter.live = None
        if not self.reporter.quiet and not failed:
            click.echo(self.text(final=True), file=self.reporter.stream)

    def text(self, final: bool = False) -> str:
        elapsed = time.perf_counter() - self.started
        done = f"{self.done:,}" + (f"/{self.total:,}" if self.total is not None else "")
        parts = [f"{self.name}: {done} {self.unit}".rstrip()]
        parts += [f"{key} {value:,}" for key, value in self.counts.items()]
        if final:
            parts.append(_duration(elapsed))
        elif elapsed >= 2 and self.done:
            rate = self.done / elapsed
            parts.append(
                f"{rate:,.1f} {self.unit}/s" if rate < 10 else f"{rate:,.0f} {self.unit}/s"
            )
            if self.total:
                parts.append(f"{_duration((self.total - self.done) / rate)} left")
        return " · ".join(parts)

    def _draw(self) -> None:
        width = shutil.get_terminal_size((100, 24)).columns - 1
        self.reporter.stream.write("\r\033[K" + self.text()[:width])
        self.reporter.stream.flush()
        self.drawn = time.perf_counter()


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def emit(data: dict, as_json: bool, line: str) -> None:
    click.echo(json.dumps(data, sort_keys=True) if as_json else line)


skip_bad_option = click.option(
    "--skip-bad",
    is_flag=True,
    help="Skip unreadable files (and a table's bad rows) and list them at the end.",
)


replace_index_option = click.option(
    "--replace-index",
    is_flag=True,
    help="Replace an index.html in the out folder that narrative-compare did not write"
    " (default: leave it alone, with a warning, and write no index).",
)


plotly_option = click.option(
    "--plotly",
    type=click.Choice(["inline", "shared"]),
    default=None,
    help="plotly.js inside each page (inline, 4.7 MB a page), or one plotly.min.js beside the"
    " reports that every page loads (shared). Default: inline for one report, shared for several.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="narrative-compare")
def main():
    """Compare how different sources tell the same story."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@model_option
@click.option(
    "--out",
    default="reports",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the HTML reports.",
)
@skip_bad_option
@plotly_option
@replace_index_option
@click.option(
    "--group",
    type=click.Choice(["auto"]),
    default=None,
    help="Group the documents into events by their content (and dates), not by folder or"
    " event_id; new documents join stored events or form new ones.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Where embed, align and diverge run: this process, or a Ray cluster (the ray extra).",
)
@click.option(
    "--ray-address",
    default=None,
    metavar="ADDRESS",
    help="Join the Ray cluster at ADDRESS (host:port); default: start a local Ray instance.",
)
@workers_option
@wait_option
@quiet_option
@json_option
@user_errors
def run(
    paths,
    db,
    model,
    out,
    skip_bad,
    plotly,
    replace_index,
    group,
    engine,
    ray_address,
    workers,
    wait,
    quiet,
    as_json,
):
    """Ingest, segment, embed, align and report PATHS (files or event folders).

    Example: narrative-compare run data/events/wagner-2023
    (a feed of many stories: narrative-compare run feed.jsonl --group auto)
    """
    from compare.api import run as run_pipeline

    reporter = Reporter(quiet=quiet)
    result = run_pipeline(
        paths,
        db=db,
        model=model,
        out=out,
        skip_bad=skip_bad,
        wait=wait,
        progress=reporter,
        engine=engine,
        workers=workers,
        ray_address=ray_address,
        group=group,
        plotly=plotly,
        replace_index=replace_index,
    )
    counts = (
        f"{result['documents']:,} new documents, {result['claims']:,} claims,"
        f" {len(result['events']):,} events, {result['claim_pairs']:,} aligned pairs,"
        f" {result['omissions']:,} omissions"
    )
    if not quiet:
        reporter.summary(f"{counts}, {len(result['reports']):,} report(s) in {out}")
    if as_json or not quiet:
        emit(
            result,
            as_json,
            f"{len(result['reports'])} report(s): {', '.join(result['reports'])}"
            f" ({result['documents']} new documents, {result['claim_pairs']} aligned pairs,"
            f" {result['omissions']} omissions)",
        )


@main.command(name="ingest")
@click.argument("paths", nargs=-1, required=True)
@db_option
@skip_bad_option
@wait_option
@quiet_option
@json_option
@user_errors
def ingest_cmd(paths, db, skip_bad, wait, quiet, as_json):
    """Ingest and segment PATHS into the store (no embedding).

    Example: narrative-compare ingest data/events/wagner-2023 --db narrative.duckdb
    """
    from compare.api import ingest_paths

    summary = ingest_paths(paths, db=db, skip_bad=skip_bad, wait=wait, progress=Reporter(quiet))
    if quiet and not as_json:
        return
    emit(
        summary,
        as_json,
        f"{summary['documents']} new documents, {summary['claims']} claims,"
        f" {summary['unchanged']} already stored",
    )


@main.command(name="align")
@db_option
@model_option
@click.option("--event", "events", multiple=True, help="Only this event (repeatable).")
@workers_option
@wait_option
@quiet_option
@json_option
@user_errors
def align_cmd(db, model, events, workers, wait, quiet, as_json):
    """Embed, align and compare the claims already in the store.

    Example: narrative-compare align --event wagner-2023
    """
    from compare.api import align_events

    summary = align_events(
        db=db, model=model, events=events, workers=workers, wait=wait, progress=Reporter(quiet)
    )
    if quiet and not as_json:
        return
    emit(
        summary,
        as_json,
        f"{len(summary['events'])} event(s), {summary['claims']} claims,"
        f" {summary['claim_pairs']} aligned pairs, {summary['omissions']} omissions",
    )


@main.command(name="report")
@click.argument("events", nargs=-1)
@db_option
@click.option("--out", default="reports", show_default=True, type=click.Path(file_okay=False))
@click.option("--title", default=None, help="Title of the report(s); default: the event id.")
@click.option("--open", "open_browser", is_flag=True, help="Open the report in a browser.")
@plotly_option
@replace_index_option
@workers_option
@user_errors
def report_cmd(events, db, out, title, open_browser, plotly, replace_index, workers):
    """Write one HTML report per event (all events by default) from the store.

    Example: narrative-compare report wagner-2023 --out reports
    """
    from compare.report import write_reports

    notes: list[str] = []
    paths = write_reports(
        db=db,
        events=events,
        out=out,
        title=title,
        plotly=plotly,
        replace_index=replace_index,
        notes=notes,
        workers=workers,
    )
    for line in notes:
        note(line)
    for path in paths:
        click.echo(path)
    if open_browser and paths:
        import webbrowser

        webbrowser.open(Path(paths[0]).resolve().as_uri())


@main.command(name="events")
@db_option
@json_option
@user_errors
def events_cmd(db, as_json):
    """List the events in the store with their documents and counts.

    Example: narrative-compare events --json
    """
    from compare.api import list_events

    rows = list_events(db=db)
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        click.echo(
            f"{row['event_id']}\t{row['documents']} documents\t{row['claims']} claims\t"
            f"{row['claim_pairs']} pairs\t{', '.join(row['sources'])}"
        )


@main.command(name="profile")
@click.argument("source")
@click.option("--against", default=None, help="Only against this other source.")
@db_option
@click.option("--out", default="reports", show_default=True, type=click.Path(file_okay=False))
@json_option
@user_errors
def profile_cmd(source, against, db, out, as_json):
    """Profile SOURCE across every event it appears in: coverage, omissions, relations,
    substitutions, speakers, terms (an HTML page in --out, linked from its index).

    Example: narrative-compare profile us_white_house --against ua_president --json
    """
    from compare.profile import public
    from compare.report.profile import write_profile

    path, p = write_profile(db=db, source=source, against=against, out=out)
    if as_json:
        click.echo(json.dumps(public(p), ensure_ascii=False))
        return
    click.echo(path)


@main.command(name="eval")
@click.argument("dataset", type=click.Choice(DATASETS))
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.option(
    "--cv",
    type=click.IntRange(2, 20),
    default=None,
    help="ecbplus: K-fold cross-validation by topic, topic scope (held-fold mean and spread).",
)
@click.option(
    "--scope",
    type=click.Choice(["topic", "pairs"]),
    default="topic",
    help="ecbplus: one event per topic, or one per pair of documents of a topic.",
)
@model_option
@json_option
@user_errors
def eval_cmd(dataset, path, cv, scope, model, as_json):
    """Score the pipeline on gold data (PATH default: $NARRATIVE_EVAL_DIR/DATASET).

    Example: narrative-compare eval ecbplus ../shared/eval/ecbplus --cv 5 --json
    """
    from compare.evaluate import evaluate, format_scores

    options = {"cv": cv, "scope": scope} if dataset == "ecbplus" else {}
    if dataset != "ecbplus" and (cv or scope != "topic"):
        raise click.UsageError("--cv and --scope apply to ecbplus only.")
    scores = evaluate(dataset, path, model=model, progress=note, **options)
    click.echo(json.dumps(scores) if as_json else format_scores(scores))


@main.command(name="distill")
@click.argument("out", type=click.Path(file_okay=False))
@model_option
@json_option
@user_errors
def distill_cmd(out, model, as_json):
    """Make the fast embedding tier in OUT: a model2vec static model distilled from the bundled
    model (or --model), 1-3 minutes; use it with --model OUT. Needs the fast extra.

    Example: narrative-compare distill models/fast-minilm
    """
    from compare.api import distill_model

    note("Distilling (1-3 minutes on 2 cores) ...")
    result = distill_model(out, model=model)
    emit(
        result,
        as_json,
        f"{result['path']}: {result['dim']}-d static model, {result['vocabulary']} tokens",
    )


@main.command(name="query")
@click.argument("name", required=False)
@click.option("--sql", default=None, help="Run this SELECT instead of a named query.")
@click.option(
    "--param", "params", multiple=True, metavar="NAME=VALUE", help="Bind $NAME (repeatable)."
)
@click.option("--event", default=None, help="Bind $event_id: only this event.")
@db_option
@model_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "parquet"]),
    default="table",
    show_default=True,
)
@click.option(
    "--output",
    "-o",
    default=None,
    metavar="FILE",
    help="Write the rows to this file (needed for parquet); all or nothing.",
)
@click.option(
    "--memory",
    default="4GB",
    show_default=True,
    metavar="SIZE",
    help="Memory DuckDB may use for the query (e.g. 512MB, 8GB); beyond it, it spills to a"
    " private temporary folder or fails.",
)
@click.option(
    "--timeout",
    default=None,
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Stop the query after SECONDS (exit 2). Default: no limit.",
)
@user_errors
def query_cmd(name, sql, params, event, db, model, fmt, output, memory, timeout):
    """Run a named query (see queries/), a .sql FILE or --sql on a read-only store.

    Without NAME or --sql, lists the named queries.

    Example: narrative-compare query omissions_by_source --event wagner-2023 --format csv
    """
    import shutil

    from compare.errors import InputError
    from compare.query import format_rows, list_queries, run_query, write_rows

    if name is None and sql is None:
        for q in list_queries():
            click.echo(f"{q.name}\t{q.purpose}\tparams: {', '.join(q.params) or 'none'}")
        return
    pairs = [p.partition("=") for p in params]
    bad = [p for p, eq, _ in pairs if not eq]
    if bad:
        raise InputError(f"--param '{bad[0]}' has no value. Write it as --param NAME=VALUE.")
    if fmt == "parquet" and output is None:
        raise InputError("--format parquet writes a file: add --output FILE.parquet.")
    rows = run_query(
        name,
        sql=sql,
        params={k: v for k, _, v in pairs},
        event_id=event,
        db=db,
        model=model,
        memory=memory,
        timeout=timeout,
        text=fmt != "parquet",
    )
    if output:
        note(f"{rows.height} row{'s' * (rows.height != 1)} -> {write_rows(rows, fmt, output)}")
        return
    click.echo(format_rows(rows, fmt, width=shutil.get_terminal_size((120, 24)).columns))
    if fmt == "table":
        note(f"{rows.height} row{'s' * (rows.height != 1)}")


@main.command(name="export")
@click.argument("directory", type=click.Path(file_okay=False))
@db_option
@click.option(
    "--format", "fmt", type=click.Choice(["parquet"]), default="parquet", show_default=True
)
@user_errors
def export_cmd(directory, db, fmt):
    """Write every table as Parquet: DIR/<table>/event_id=<id>/*.parquet, DIR/embeddings.parquet.

    Example: narrative-compare export exports/ --db narrative.duckdb
    """
    from compare.query import export_store

    for table in export_store(directory, db=db, fmt=fmt):
        click.echo(f"{table['path']}\t{table['rows']} rows")


if __name__ == "__main__":
    main()
