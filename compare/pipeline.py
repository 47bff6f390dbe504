"""The whole job: files -> store -> reports. Each step is one stage function plus one write.

Writes happen per event inside a transaction, so an interrupted run leaves every event either as it
was or fully updated; embeddings are committed as soon as they are computed, so a re-run resumes
and embeds only what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from compare import store
from compare.align import AlignConfig, align
from compare.diverge import diverge
from compare.embed import Embedder, SentenceTransformerEmbedder, embed
from compare.errors import InputError
from compare.ingest import ingest
from compare.segment import segment


@dataclass
class IngestSummary:
    documents: int = 0  # new documents stored
    claims: int = 0
    unchanged: int = 0  # documents already in the store with the same text
    events: list[str] = field(default_factory=list)  # events of the input documents
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def ingest_into(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[str | Path],
    *,
    skip_bad: bool = False,
    group: str | None = None,
    embedder: Embedder | None = None,
) -> IngestSummary:
    """Ingest and segment `paths` into the store; documents already stored are left alone.

    `group="auto"` puts the new documents into events by content (compare/group.py): they join
    stored events or form new ones, whatever their folder or `event_id` field says.
    """
    result = ingest(paths, skip_bad=skip_bad)
    docs = result.documents
    summary = IngestSummary(
        events=sorted(docs["event_id"].unique().to_list()),
        skipped=result.skipped,
        warnings=result.warnings,
    )
    stored = con.sql("SELECT doc_id, content_sha256 FROM documents").pl()
    clash = docs.join(stored, on="doc_id", suffix="_stored").filter(
        pl.col("content_sha256") != pl.col("content_sha256_stored")
    )
    if clash.height:
        row = clash.row(0, named=True)
        raise InputError(
            f"Document id '{row['doc_id']}' from '{row['path']}' is already stored with different"
            " text. Give the new version another doc_id, or rebuild the store."
        )
    new = docs.join(stored, on="doc_id", how="anti")
    summary.unchanged = docs.height - new.height
    if group == "auto" and new.height:
        new = _grouped(con, new, embedder)
    if new.height:
        claims = segment(new)
        with transaction(con):
            store.replace_rows(con, "documents", new, key="doc_id", values=[])
            store.replace_rows(con, "claims", claims, key="doc_id", values=[])
        summary.documents, summary.claims = new.height, claims.height
    if group == "auto":  # the events the input's documents are in now, new or stored
        summary.events = sorted(
            con.sql(
                "SELECT DISTINCT event_id FROM documents"
                " WHERE doc_id IN (SELECT unnest($ids::VARCHAR[]))",
                params={"ids": docs["doc_id"].to_list()},
            ).pl()["event_id"]
        )
    return summary


def _grouped(
    con: duckdb.DuckDBPyConnection, new: pl.DataFrame, embedder: Embedder | None
) -> pl.DataFrame:
    """`new` with the event_id that `--group auto` gives it (vectors cached in the store)."""
    from compare.group import group_documents

    existing = con.sql("SELECT doc_id, event_id, title, date, text FROM documents").pl()
    with transaction(con):  # the vectors computed for grouping are committed to the cache
        assigned = group_documents(
            new, embedder or SentenceTransformerEmbedder(progress=True), existing=existing, con=con
        )
    return new.drop("event_id").join(assigned, on="doc_id", how="left").select(new.columns)


@dataclass
class AlignSummary:
    events: list[str] = field(default_factory=list)
    lonely_events: list[str] = field(default_factory=list)  # one document: nothing to compare
    claims: int = 0
    embedded: int = 0  # texts embedded now; the rest came from the cache
    claim_pairs: int = 0
    omissions: int = 0


def align_store(
    con: duckdb.DuckDBPyConnection,
    embedder: Embedder,
    *,
    events: Sequence[str] | None = None,
    config: AlignConfig = AlignConfig(),
) -> AlignSummary:
    """Embed, align and diverge the stored claims of `events` (default: all), one event at a time."""
    events = store.require_events(con, events)
    summary = AlignSummary()
    cached_before = _cached(con)
    for event_id in events:
        claims = store.read_table(con, "claims", event_id=event_id)
        vectors = embed(claims, con, embedder)
        summary.embedded = _cached(con) - cached_before
        if claims["doc_id"].n_unique() < 2:
            summary.lonely_events.append(event_id)
        documents = store.read_table(con, "documents", event_id=event_id)
        tables = compare_event(documents, claims, vectors, config)
        write_event(con, event_id, tables)
        summary.events.append(event_id)
        summary.claims += claims.height
        summary.claim_pairs += tables["claim_pairs"].height
        summary.omissions += tables["omissions"].height
    return summary


COMPARED_TABLES = ("claim_pairs", "claim_groups", "omissions", "divergences", "term_contrasts")


def compare_event(
    documents: pl.DataFrame, claims: pl.DataFrame, vectors, config: AlignConfig = AlignConfig()
) -> dict[str, pl.DataFrame]:
    """Align and diverge one event's claims (`vectors[i]` embeds `claims[i]`): pure, no store."""
    aligned = align(claims, vectors, config)
    diverged = diverge(documents, claims, aligned.claim_pairs)
    return {
        "claim_pairs": aligned.claim_pairs,
        "claim_groups": aligned.claim_groups,
        "omissions": aligned.omissions,
        "divergences": diverged.divergences,
        "term_contrasts": diverged.term_contrasts,
    }


def write_event(con: duckdb.DuckDBPyConnection, event_id: str, tables: dict) -> None:
    """Replace an event's compared tables in one transaction."""
    with transaction(con):
        for name in COMPARED_TABLES:
            store.replace_rows(con, name, tables[name], key="event_id", values=[event_id])


def _cached(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM embeddings").fetchall()[0][0]


class transaction:
    """`with transaction(con):` commits on success and rolls back on any exception (incl. Ctrl-C)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def __enter__(self):
        self.con.execute("BEGIN TRANSACTION")
        return self.con

    def __exit__(self, exc_type, exc, tb):
        self.con.execute("ROLLBACK" if exc_type else "COMMIT")
        return False


Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


def ingest_paths(
    paths: Sequence[str | Path],
    *,
    db: str | Path | None = None,
    skip_bad: bool = False,
    wait: float = 0,
    progress: Progress = _quiet,
) -> dict:
    """`narrative-compare ingest`: ingest + segment into the store at `db`."""
    con = store.open_store(db, wait=wait)
    try:
        summary = ingest_into(con, paths, skip_bad=skip_bad)
    finally:
        con.close()
    _tell(summary, progress)
    return asdict(summary)


def align_events(
    *,
    db: str | Path | None = None,
    model: str | Path | None = None,
    events: Sequence[str] = (),
    wait: float = 0,
    progress: Progress = _quiet,
) -> dict:
    """`narrative-compare align`: embed + align + diverge what is stored."""
    con = store.open_store(db, wait=wait)
    try:
        summary = align_store(con, SentenceTransformerEmbedder(model, progress=True), events=events)
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
    progress: Progress = _quiet,
    engine: str = "local",
    ray_address: str | None = None,
    group: str | None = None,
) -> dict:
    """`narrative-compare run`: ingest, align and report the events that `paths` belong to.

    `group="auto"` groups the documents into events by content instead of folders / event_id.

    `engine="ray"` embeds, aligns and diverges on a Ray cluster (`ray_address`, else a local one).
    """
    from compare.report import write_reports

    if engine not in ("local", "ray"):
        raise InputError(f"Unknown engine '{engine}'. Available: local, ray.")
    if ray_address and engine != "ray":
        raise InputError("--ray-address joins a Ray cluster: add --engine ray.")
    if engine == "ray":
        from compare.engine_ray import align_store_ray, require_ray

        require_ray()  # a missing extra fails before anything is written
    con = store.open_store(db, wait=wait)
    try:
        embedder = SentenceTransformerEmbedder(model, progress=True)
        ingested = ingest_into(con, paths, skip_bad=skip_bad, group=group, embedder=embedder)
        for warning in ingested.warnings:
            progress(f"Warning: {warning}")
        touched = ingested.events
        if engine == "ray":
            aligned = align_store_ray(
                con, model, events=touched, address=ray_address, progress=progress
            )
        else:
            aligned = align_store(con, embedder, events=touched)
    finally:
        con.close()
    for event_id in aligned.lonely_events:
        progress(f"Note: event '{event_id}' has one document: nothing to compare.")
    reports = write_reports(db=db, events=touched, out=out)
    for path, reason in ingested.skipped:
        progress(f"Skipped {path}: {reason}")
    if touched and len(aligned.lonely_events) == len(touched):
        raise InputError(
            f"No event in {', '.join(map(str, paths))} has two documents, so there is nothing to"
            " compare. Put each event's documents in one folder, or give them the same event_id."
        )
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


def list_events(*, db: str | Path | None = None) -> list[dict]:
    """`narrative-compare events`: one row per stored event."""
    con = store.open_store(db, read_only=True)
    try:
        rows = con.sql(
            """
            SELECT d.event_id, count(*) AS documents,
                   list(coalesce(d.source, d.doc_id) ORDER BY d.doc_id) AS sources,
                   (SELECT count(*) FROM claims c WHERE c.event_id = d.event_id) AS claims,
                   (SELECT count(*) FROM claim_pairs p WHERE p.event_id = d.event_id) AS claim_pairs
            FROM documents d GROUP BY d.event_id ORDER BY d.event_id
            """
        ).pl()
    finally:
        con.close()
    return rows.to_dicts()


def _tell(summary: IngestSummary, progress: Progress) -> None:
    for warning in summary.warnings:
        progress(f"Warning: {warning}")
    for path, reason in summary.skipped:
        progress(f"Skipped {path}: {reason}")
