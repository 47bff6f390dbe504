"""The per-event layer on an open store: files -> documents + claims; stored claims -> vectors ->
compared tables (claim_pairs, claim_groups, omissions, divergences, term_contrasts).

`compare_event` is pure (frames in, frames out, no store); `align_store` is the local engine and
`compare.engine_ray.align_store_ray` the Ray one, both an `Engine`: the same call, picked in
`compare.api`. Writes happen a batch of whole events to a transaction, so an interrupted run
leaves every event either as it was or fully updated; embeddings are committed as soon as they are computed, so
a re-run resumes and embeds only what is missing. Path-level commands live in `compare.api`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

import duckdb
import polars as pl

from compare import store
from compare.align import AlignConfig, align
from compare.diverge import DivergeConfig, diverge, rate_omissions, relations, term_contrasts
from compare.diverge.config import TERM_CONTRASTS_SCHEMA
from compare.embed import Embedder, event_vectors, load_embedder
from compare.errors import InputError
from compare.ingest import ingest
from compare.models import ModelChoice, choose
from compare.progress import CountingEmbedder, Progress, quiet, stage
from compare.segment import segment
from compare.store import transaction
from compare.workers import default_workers, imap, imap_unordered, one_blas_thread

__all__ = ["Progress", "quiet"]  # re-exported: compare.progress defines them

SEGMENT_CHUNK = 200  # documents segmented between two progress updates
WRITE_BATCH = 16  # events compared, then written in one transaction
# Events in flight to the comparing workers (compare.workers.imap_unordered): up to COMPARE_AHEAD
# per worker while they hold at most COMPARE_CLAIMS claims, queued work for the workers while this
# process writes a batch or reads the next events' vectors (benchmarks/README.md, "Keeping the
# workers busy"); large events keep to `imap`'s 2 per worker (their results are large).
COMPARE_AHEAD = 6
COMPARE_CLAIMS = 6_000


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
    embedder: Embedder | ModelChoice | None = None,
    progress: Progress | None = None,
    require_pairs: bool = False,
    workers: int | None = None,
) -> IngestSummary:
    """Ingest and segment `paths` into the store; documents already stored are left alone.

    `group="auto"` puts the new documents into events by content (compare/group.py): they join
    stored events or form new ones, whatever their folder or `event_id` field says.
    `require_pairs` (run) refuses, before anything is written, an input none of whose events
    would have two documents. `workers` processes detect languages and segment (default: one per
    core). When the input is refused, the files --skip-bad skipped are still told to `progress`,
    after the warnings (a duplicate dropped, a file read as Latin-1) that may explain the error.
    """
    progress = progress or quiet
    workers = workers or default_workers()
    try:
        with stage(progress, "read", unit="documents") as shown:
            result = ingest(paths, skip_bad=skip_bad, workers=workers)
            shown.advance(result.documents.height)
    except InputError as exc:
        tell_input(exc.warnings, exc.skipped, progress)
        raise
    try:
        check = partial(_require_pairs, paths) if require_pairs else None
        return _store_ingested(con, result, group, embedder, check, progress, workers)
    except InputError:
        tell_input(result.warnings, result.skipped, progress)
        raise


def tell_input(warnings: list[str], skipped: list[tuple[str, str]], progress: Progress) -> None:
    """Warnings and skipped files, in the words (and order) a finished ingest tells them."""
    for warning in warnings:
        progress(f"Warning: {warning}")
    for path, reason in skipped:
        progress(f"Skipped {path}: {reason}")


def _require_pairs(paths: Sequence[str | Path], stored: pl.DataFrame, new: pl.DataFrame) -> None:
    """`stored`: (doc_id, event_id) of the store; `new`: the documents about to be added, with
    the input's documents already stored among `stored`."""
    counts = (
        pl.concat([stored.select("event_id"), new.select("event_id")]).group_by("event_id").len()
    )
    touched = set(new["event_id"]) | set(stored.filter(pl.col("_input"))["event_id"])
    if not counts.filter(pl.col("event_id").is_in(list(touched)) & (pl.col("len") >= 2)).height:
        raise InputError(
            f"No event in {', '.join(map(str, paths))} has two documents, so there is nothing to"
            " compare; nothing was stored. Put each event's documents in one folder, or give"
            " them the same event_id."
        )


def _store_ingested(
    con: duckdb.DuckDBPyConnection,
    result,
    group: str | None,
    embedder: Embedder | None,
    check: Callable[[pl.DataFrame, pl.DataFrame], None] | None,
    progress: Progress = quiet,
    workers: int = 1,
) -> IngestSummary:
    docs = result.documents
    summary = IngestSummary(
        events=sorted(docs["event_id"].unique().to_list()),
        skipped=result.skipped,
        warnings=result.warnings,
    )
    stored = con.sql("SELECT doc_id, content_sha256, event_id FROM documents").pl()
    known = docs.join(stored, on="doc_id", suffix="_stored")
    clash = known.filter(pl.col("content_sha256") != pl.col("content_sha256_stored"))
    if clash.height:
        row = clash.row(0, named=True)
        raise InputError(
            f"Document id '{row['doc_id']}' from '{row['path']}' is already stored with different"
            " text. Give the new version another doc_id, or rebuild the store."
        )
    moved = known.filter(pl.col("event_id") != pl.col("event_id_stored"))
    if moved.height and group != "auto":
        row = moved.row(0, named=True)
        others = f" (and {moved.height - 1} more)" if moved.height > 1 else ""
        raise InputError(
            f"'{row['path']}'{others} is already stored under event '{row['event_id_stored']}'"
            f" (doc_id '{row['doc_id']}'), not '{row['event_id']}': a document belongs to one"
            f" event. To keep it there, give it event_id '{row['event_id_stored']}'; to move it,"
            " rebuild the store (delete it and run again on the files in their new folders)."
        )
    new = docs.join(stored.drop("event_id"), on="doc_id", how="anti")
    summary.unchanged = docs.height - new.height
    if check is not None:
        stored = stored.select(
            "doc_id", "event_id", _input=pl.col("doc_id").is_in(docs["doc_id"].to_list())
        )
        check = partial(check, stored=stored)
    claims = segment_documents(new, progress, workers)  # once: grouping takes these claims too
    if group == "auto" and new.height:
        new = _grouped(con, new, claims, embedder, check, progress, workers)
        event_of = new.select("doc_id", pl.col("event_id").alias("_event"))
        claims = (
            claims.join(event_of, on="doc_id", how="left")
            .with_columns(pl.col("_event").alias("event_id"))
            .select(claims.columns)
        )
    elif check is not None:
        check(new=new)
    if new.height:
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


def segment_documents(
    documents: pl.DataFrame, progress: Progress, workers: int = 1
) -> pl.DataFrame:
    """`segment(documents)`, a chunk of documents at a time on `workers` processes, so that
    progress can be told and both cores used; the claims in the documents' order."""
    if documents.height <= SEGMENT_CHUNK:
        return segment(documents)
    parts = []
    with stage(progress, "segment", total=documents.height, unit="documents") as shown:
        for done, claims in imap(_segment_chunk, documents.iter_slices(SEGMENT_CHUNK), workers):
            parts.append(claims)
            shown.advance(done, claims=claims.height)
    return pl.concat(parts)


def _segment_chunk(documents: pl.DataFrame) -> tuple[int, pl.DataFrame]:
    return documents.height, segment(documents)


def _grouped(
    con: duckdb.DuckDBPyConnection,
    new: pl.DataFrame,
    claims: pl.DataFrame,
    embedder: Embedder | None,
    check: Callable[..., None] | None = None,
    progress: Progress = quiet,
    workers: int = 1,
) -> pl.DataFrame:
    """`new` with the event_id that `--group auto` gives it (vectors cached in the store).
    `check` sees the grouped documents inside the transaction: refusing them drops the vectors."""
    from compare.group import group_documents

    existing = con.sql("SELECT doc_id, event_id, title, date, text, lang FROM documents").pl()
    with transaction(con):  # the vectors computed for grouping are committed to the cache
        assigned = group_documents(
            new,
            embedder or load_embedder(),
            existing=existing,
            con=con,
            claims=claims,
            progress=progress,
            workers=workers,
        )
        grouped = new.drop("event_id").join(assigned, on="doc_id", how="left").select(new.columns)
        if check is not None:
            check(new=grouped)
    return grouped


@dataclass
class AlignSummary:
    events: list[str] = field(default_factory=list)
    lonely_events: list[str] = field(default_factory=list)  # one document: nothing to compare
    claims: int = 0
    embedded: int = 0  # texts embedded now; the rest came from the cache
    claim_pairs: int = 0
    omissions: int = 0


class Engine(Protocol):
    """Embed, align and diverge the stored claims of `events` (default: all stored events).
    `workers`: the local engine's comparing processes, the Ray engine's embedding actors."""

    def __call__(
        self,
        con: duckdb.DuckDBPyConnection,
        embedder: Embedder,
        *,
        events: Sequence[str] | None = None,
        config: AlignConfig | None = None,
        diverge_config: DivergeConfig | None = None,
        progress: Progress = quiet,
        workers: int | None = None,
    ) -> AlignSummary: ...


def align_store(
    con: duckdb.DuckDBPyConnection,
    embedder: Embedder | ModelChoice,
    *,
    events: Sequence[str] | None = None,
    config: AlignConfig | None = None,
    diverge_config: DivergeConfig | None = None,
    progress: Progress = quiet,
    workers: int | None = None,
) -> AlignSummary:
    """The local engine: embed, align and diverge the stored claims of `events` (default: all);
    vectors are looked up per batch of events. This process reads and embeds the events in the
    given order and writes them as they come back compared, `WRITE_BATCH` events a transaction (an
    interrupted run keeps every batch written before); `workers` processes (default: one per
    core, `compare.workers.imap_unordered`) compare them, a long event holding back no other, so
    1 or N workers write the same rows (in another order). The summary lists events in the given
    order.

    `embedder` is one model for every event, or a `ModelChoice` that picks each event's model
    from its documents' languages (compare/models.py); `event_models` records the one used. The
    aligner's constants are `config`, else the calibration of the event's model
    (`AlignConfig.for_model`)."""
    events = store.require_events(con, events)
    workers = workers or default_workers()
    summary = AlignSummary()
    cached_before = _cached(con)
    with stage(progress, "align", total=len(events), unit="events") as shown:
        distinct = cached = embedded = (
            0  # vectors read from the cache: distinct texts not embedded now
        )
        for model, members, reasons in models_by_event(con, events, embedder):
            counting = CountingEmbedder(model, shown, count="embedded")
            configs = (config or AlignConfig.for_model(model.key), diverge_config)
            work = (
                (event_id, store.read_table(con, "documents", event_id=event_id), claims, vectors)
                for event_id, claims, vectors in event_vectors(con, counting, members)
            )
            batch: list[tuple[str, dict[str, pl.DataFrame]]] = []
            results = imap_unordered(
                partial(_compare_one, configs=configs),
                work,
                workers,
                ahead=COMPARE_AHEAD,
                weight=_claims_of,
                budget=COMPARE_CLAIMS,
            )
            for event_id, claims, tables in results:
                if claims["doc_id"].n_unique() < 2:
                    summary.lonely_events.append(event_id)
                tables["event_models"] = event_model_row(event_id, model.key, reasons[event_id])
                batch.append((event_id, tables))
                if len(batch) == WRITE_BATCH:
                    write_events(con, batch)
                    batch = []
                summary.events.append(event_id)
                summary.claims += claims.height
                summary.claim_pairs += tables["claim_pairs"].height
                summary.omissions += tables["omissions"].height
                distinct += claims["text_sha256"].n_unique() if claims.height else 0
                now = max(0, distinct - embedded - counting.texts)
                shown.advance(1, claims=claims.height, cached=now - cached)
                cached = now
            if batch:
                write_events(con, batch)
            embedded += counting.texts
    order = {event_id: i for i, event_id in enumerate(events)}  # the workers' order: as done
    summary.events.sort(key=order.__getitem__)
    summary.lonely_events.sort(key=order.__getitem__)
    summary.embedded = _cached(con) - cached_before
    return summary


def _claims_of(work) -> int:
    return work[2].height


def _compare_one(work, configs) -> tuple[str, pl.DataFrame, dict[str, pl.DataFrame]]:
    """(event_id, documents, claims, vectors) -> (event_id, claims, compared tables): one item
    of the local engine's pool."""
    event_id, documents, claims, vectors = work
    return event_id, claims, compare_event(documents, claims, vectors, *configs)


def models_by_event(
    con: duckdb.DuckDBPyConnection, events: Sequence[str], embedder: Embedder | ModelChoice
) -> list[tuple[Embedder, list[str], dict[str, str]]]:
    """(model, its events in the given order, event -> why) for each model the events need: one
    model for all when `embedder` is one, else each event's pick (`ModelChoice.pick`)."""
    groups: dict[int, tuple[Embedder, list[str], dict[str, str]]] = {}
    for event_id, (model, reason) in choose(con, events, embedder).items():
        group = groups.setdefault(id(model), (model, [], {}))
        group[1].append(event_id)
        group[2][event_id] = reason
    return list(groups.values())


EVENT_MODELS_SCHEMA = {"event_id": pl.String, "model": pl.String, "reason": pl.String}


def event_model_row(event_id: str, key: str, reason: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"event_id": [event_id], "model": [key], "reason": [reason]}, schema=EVENT_MODELS_SCHEMA
    )


COMPARED_TABLES = ("claim_pairs", "claim_groups", "omissions", "divergences", "term_contrasts")
# Written with them by the engines (compare_event knows no model): which model embedded the event.
WRITTEN_TABLES = (*COMPARED_TABLES, "event_models")


def compare_event(
    documents: pl.DataFrame,
    claims: pl.DataFrame,
    vectors,
    config: AlignConfig | None = None,
    diverge_config: DivergeConfig | None = None,
    *,
    contrasts: bool = True,
    timings: dict[str, float] | None = None,
) -> dict[str, pl.DataFrame]:
    """Align and diverge the claims of one event (or several: each is compared on its own);
    `vectors[i]` embeds `claims[i]`. Pure, no store. `contrasts=False` leaves term_contrasts
    empty (the evaluators do not score them). `timings`, when given, gets the CPU seconds of
    each step ("align", "diverge", "term_contrasts"; benchmarks/scale.py)."""
    clock = _Clock(timings)
    with one_blas_thread():  # the same bits in this process, a worker or a Ray task
        aligned = align(_with_lang(claims, documents), vectors, config or AlignConfig())
    clock.lap("align")
    diverge_config = diverge_config or DivergeConfig()
    divergences = diverge(documents, claims, aligned.claim_pairs, diverge_config)
    tables = {
        "claim_pairs": relations(
            aligned.claim_pairs, divergences, diverge_config, _languages(documents)
        ),
        "claim_groups": aligned.claim_groups,
        "omissions": rate_omissions(claims, aligned.omissions),
        "divergences": divergences,
    }
    clock.lap("diverge")
    tables["term_contrasts"] = (
        term_contrasts(_contrastable(documents), diverge_config)
        if contrasts
        else pl.DataFrame(schema=TERM_CONTRASTS_SCHEMA)
    )
    clock.lap("term_contrasts")
    return tables


class _Clock:
    """CPU seconds per step into `timings` (nothing when it is None)."""

    def __init__(self, timings: dict[str, float] | None):
        self.timings, self.last = timings, time.process_time()

    def lap(self, step: str) -> None:
        if self.timings is not None:
            now = time.process_time()
            self.timings[step] = self.timings.get(step, 0.0) + now - self.last
            self.last = now


def _with_lang(claims: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """`claims` with their document's `lang` (the aligner pairs second counterparts only within
    one language), row order kept."""
    if "lang" in claims.columns or "lang" not in documents.columns or claims.height == 0:
        return claims
    return claims.join(
        documents.select("doc_id", "lang"), on="doc_id", how="left", maintain_order="left"
    )


def _languages(documents: pl.DataFrame) -> dict[str, str | None]:
    if "lang" not in documents.columns:
        return {}
    return dict(documents.select("doc_id", "lang").iter_rows())


def _contrastable(documents: pl.DataFrame) -> pl.DataFrame:
    """The documents term contrasts can read: words are counted within one language, so only the
    documents in the event's most common language take part (a document without `lang` counts as
    in it), and never a language written without spaces between words (zh, ja, th, ...), whose
    words would need a word segmenter."""
    if "lang" not in documents.columns or documents.height == 0:
        return documents
    from compare.lang import contrastable

    keep = contrastable(documents["lang"].to_list())
    return documents.filter(pl.Series(keep, dtype=pl.Boolean))


def write_event(con: duckdb.DuckDBPyConnection, event_id: str, tables: dict) -> None:
    """Replace an event's compared tables (and its `event_models` row, when `tables` has one) in
    one transaction."""
    write_events(con, [(event_id, tables)])


def write_events(
    con: duckdb.DuckDBPyConnection, results: Sequence[tuple[str, dict[str, pl.DataFrame]]]
) -> None:
    """`write_event` for several events in one transaction (one delete and one insert a table):
    each event is still either as it was or fully updated."""
    with transaction(con):
        for name in WRITTEN_TABLES:
            given = [(event_id, tables[name]) for event_id, tables in results if name in tables]
            if given:
                rows = pl.concat([frame for _, frame in given])
                store.replace_rows(con, name, rows, key="event_id", values=[e for e, _ in given])


def _cached(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM embeddings").fetchall()[0][0]
