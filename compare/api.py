"""What the CLI calls: paths and options -> stores opened, engines picked, reports written -> a
summary dict. Each function is one command; the per-event work is `compare.pipeline`'s.

Engines are interchangeable (`compare.pipeline.Engine`): `engine(name)` gives the local one
(`pipeline.align_store`) or the Ray one (`engine_ray.align_store_ray`, the ray extra), and both take
the `ModelChoice` built here once (`model_choice`: each event's model, or `--model` for all).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import asdict
from functools import partial
from pathlib import Path

import duckdb

from compare import store
from compare.embed import load_embedder
from compare.errors import InputError, NarrativeError
from compare.lang import language_notes
from compare.models import ModelChoice, choose
from compare.pipeline import (
    Engine,
    Progress,
    align_store,
    ingest_into,
    quiet,
    tell_input,
)
from compare.progress import stage

ENGINES = ("local", "ray")


def engine(name: str = "local", *, address: str | None = None) -> Engine:
    """The engine called `name`; `address` joins a Ray cluster (ray only). The ray extra is checked
    here, before anything is written."""
    if name not in ENGINES:
        raise InputError(f"Unknown engine '{name}'. Available: {', '.join(ENGINES)}.")
    if address and name != "ray":
        raise InputError("--ray-address joins a Ray cluster: add --engine ray.")
    if name == "local":
        return align_store
    from compare import engine_ray

    engine_ray.require_ray()
    return partial(engine_ray.align_store_ray, address=address)


def model_choice(model: str | Path | None = None) -> ModelChoice:
    """`--model` forces one model everywhere; without it each event gets the bundled default, or
    the bundled multilingual model when a document is in a language the default does not declare
    (compare/models.py)."""
    if model is not None:
        return ModelChoice(load_embedder(model), forced=True)
    return ModelChoice(load_embedder())


def ingest_paths(
    paths: Sequence[str | Path],
    *,
    db: str | Path | None = None,
    skip_bad: bool = False,
    wait: float = 0,
    progress: Progress = quiet,
) -> dict:
    """`narrative-compare ingest`: ingest + segment into the store at `db`."""
    with _writer(db, wait, progress) as con:
        summary = ingest_into(con, paths, skip_bad=skip_bad, progress=progress)
    tell_input(summary.warnings, summary.skipped, progress)
    return asdict(summary)


def align_events(
    *,
    db: str | Path | None = None,
    model: str | Path | None = None,
    events: Sequence[str] = (),
    workers: int | None = None,
    wait: float = 0,
    progress: Progress = quiet,
) -> dict:
    """`narrative-compare align`: embed + align + diverge what is stored (never creates a store)."""
    path = db or store.default_db()
    with store.write_errors(path):
        con = store.open_store(path, wait=wait, create=False, on_wait=progress)
    try:
        with store.write_errors(path):
            summary = align_store(
                con, model_choice(model), events=events, progress=progress, workers=workers
            )
    finally:
        con.close()
    for event_id in summary.lonely_events:
        progress(f"Note: event '{event_id}' has one document: nothing to compare.")
    return asdict(summary)


def run(
    paths: Sequence[str | Path],
    *,
    db: str | Path | None = None,
    model: str | Path | None = None,
    out: str | Path = "reports",
    skip_bad: bool = False,
    wait: float = 0,
    progress: Progress = quiet,
    engine: str = "local",
    ray_address: str | None = None,
    group: str | None = None,
    plotly: str | None = None,
    replace_index: bool = False,
    workers: int | None = None,
) -> dict:
    """`narrative-compare run`: ingest, align and report the events that `paths` belong to.
    `plotly`: "inline", "shared" or None (inline for one report, shared for several).
    `replace_index`: replace an `index.html` in `out` that narrative-compare did not write.

    `group="auto"` groups the documents into events by content instead of folders / event_id.

    `engine="ray"` embeds, aligns and diverges on a Ray cluster (`ray_address`, else a local one).

    `workers`: processes detecting languages, segmenting, comparing events (local engine) or
    embedding actors (ray), and building report pages; default one per core.

    Whatever makes it fail with exit 2 is checked before the store or `out` is written: the ray
    extra, an unwritable `out`, bad input, and no event of the input having two documents.
    """
    from compare.report import check_out, write_reports

    align = _engine(engine, address=ray_address)  # a missing extra fails before anything is written
    store.writable_folder(Path(out), create=False)
    check_out(out)
    with _writer(db, wait, progress) as con:
        embedder = model_choice(model)
        ingested = ingest_into(
            con,
            paths,
            skip_bad=skip_bad,
            group=group,
            embedder=embedder,
            progress=progress,
            require_pairs=True,
            workers=workers,
        )
        for warning in ingested.warnings:
            progress(f"Warning: {warning}")
        touched = ingested.events
        # Documents in a language the event's model does not declare; before the model runs.
        chosen = choose(con, touched, embedder)
        languages = {event: getattr(m, "languages", None) for event, (m, _) in chosen.items()}
        for line in language_notes(con, touched, languages):
            progress(line)
        aligned = align(con, embedder, events=touched, progress=progress, workers=workers)
    for event_id in aligned.lonely_events:
        progress(f"Note: event '{event_id}' has one document: nothing to compare.")
    with stage(progress, "reports", total=len(touched), unit="written") as shown:
        notes: list[str] = []
        reports = write_reports(
            db=db,
            events=touched,
            out=out,
            plotly=plotly,
            replace_index=replace_index,
            notes=notes,
            workers=workers,
        )
        shown.advance(len(touched))
    for line in notes:
        progress(line)
    for path, reason in ingested.skipped:
        progress(f"Skipped {path}: {reason}")
    return {
        "documents": ingested.documents,
        "claims": aligned.claims,
        "embedded": aligned.embedded,
        "claim_pairs": aligned.claim_pairs,
        "omissions": aligned.omissions,
        "events": aligned.events,
        "reports": [str(p) for p in reports],
        "skipped": [path for path, _ in ingested.skipped],
    }


@contextmanager
def _writer(db: str | Path | None, wait: float, progress: Progress):
    """A writable store for `run` and `ingest`. One this command created and left empty is removed
    again when the command fails with a user error, so exit 2 leaves no new file behind (what a
    failure after the first commit stored is kept: a re-run resumes from it)."""
    path = Path(db or store.default_db())
    created = not path.exists()
    with store.write_errors(path):
        con = store.open_store(path, wait=wait, on_wait=progress)
    try:
        with store.write_errors(path):
            yield con
    except NarrativeError:
        try:
            empty = created and not any(store.table_counts(con).values())
        except duckdb.Error:  # a store DuckDB gave up on after a failed write
            empty = False
        con.close()
        if empty:
            path.unlink(missing_ok=True)
            Path(f"{path}.wal").unlink(missing_ok=True)
        raise
    finally:
        con.close()


_engine = engine  # `run` takes an `engine` name argument that hides the function


def list_events(*, db: str | Path | None = None) -> list[dict]:
    """`narrative-compare events`: one row per stored event."""
    con = store.open_store(db, read_only=True)
    try:
        rows = con.sql(
            """
            SELECT d.event_id, count(*) AS documents,
                   list(coalesce(d.label, d.source, d.doc_id) ORDER BY d.doc_id) AS sources,
                   (SELECT count(*) FROM claims c WHERE c.event_id = d.event_id) AS claims,
                   (SELECT count(*) FROM claim_pairs p WHERE p.event_id = d.event_id) AS claim_pairs
            FROM documents d GROUP BY d.event_id ORDER BY d.event_id
            """
        ).pl()
    finally:
        con.close()
    return rows.to_dicts()


def distill_model(out: str | Path, *, model: str | Path | None = None) -> dict:
    """`narrative-compare distill`: make the fast tier (a model2vec static model) in `out`."""
    from compare.embed import distill

    return {"path": str(out), **distill(out, model)}
