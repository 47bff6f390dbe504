"""The DuckDB store: open it, check its schema version, write stage results, read them back."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from compare import atomic
from compare.errors import InputError, StoreBusy, StoreError

SCHEMA_VERSION = "5"
DEFAULT_DB = "narrative.duckdb"

# Tables whose rows belong to one event; a stage rewrites an event's rows in one transaction.
EVENT_TABLES = (
    "documents",
    "claims",
    "claim_pairs",
    "claim_groups",
    "omissions",
    "divergences",
    "term_contrasts",
    "event_models",
)


def default_db() -> str:
    return os.environ.get("NARRATIVE_DB", DEFAULT_DB)


def open_store(
    path: str | Path | None = None,
    *,
    read_only: bool = False,
    wait: float = 0,
    create: bool = True,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the store at `path`, creating it when `create` (run, ingest); read-only connections
    never create or write. A DuckDB file with other tables and no `meta` is not adopted.

    DuckDB lets one process write a file at a time; while another holds it, retry for `wait` seconds
    (`on_wait` is told once when waiting starts).
    """
    path = Path(path or default_db())
    if (read_only or not create) and not path.exists():
        raise StoreError(
            f"No store at '{path}'. Run 'narrative-compare run PATH --db {path}' to build one."
        )
    try:
        con = connect(path, read_only=read_only, wait=wait, on_wait=on_wait)
    except StoreBusy:
        raise StoreBusy(
            f"The store '{path}' is in use by another process. Wait for it to finish,"
            " or pass --wait SECONDS to wait for it."
        ) from None
    _check_complete(con, path)
    version = _schema_version(con)
    if version is None and not read_only:
        foreign = _tables(con)
        if foreign:
            con.close()
            raise StoreError(
                f"'{path}' is a DuckDB file with other tables ({', '.join(foreign[:5])}) and no"
                " narrative-compare store in it; it is left as it was. Pass another --db path"
                " (a new file is created there)."
            )
        con.execute(resources.files("compare").joinpath("schema.sql").read_text())
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
    elif version != SCHEMA_VERSION:
        con.close()
        raise StoreError(
            f"The store '{path}' has schema version {version or 'none'}, this narrative-compare"
            f" needs {SCHEMA_VERSION}. Rebuild it: delete '{path}' and run 'narrative-compare run'"
            " on your inputs again."
        )
    if not read_only:  # views are cheap to (re)create, so a store always has this version's views
        con.execute(resources.files("compare").joinpath("views.sql").read_text())
    return con


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


def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    wait: float = 0,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to `path`. DuckDB lets one process write a file at a time: while
    another holds it, retry for `wait` seconds (telling `on_wait` once), then raise StoreBusy."""
    deadline = time.monotonic() + wait
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            # DuckDB's own progress bar would draw on stderr over the CLI's (compare.progress)
            con.execute("SET enable_progress_bar = false")
            return con
        except duckdb.Error as exc:
            if _unwritable(exc):
                raise StoreError(
                    f"Cannot write the store '{path}': {atomic.reason(exc)} (the file or its"
                    " folder is read-only or immutable). Make it writable (chmod u+w, chattr -i),"
                    " or pass another --db; query, report, events and export only read it."
                ) from None
            if not isinstance(exc, duckdb.IOException) or "lock" not in str(exc).lower():
                raise StoreError(
                    f"Cannot open the store '{path}': {str(exc).splitlines()[0]}. Is it a"
                    " DuckDB file? If it was cut short (a full disk, a partial copy), restore it"
                    " or rebuild it with 'narrative-compare run'."
                ) from None
            if time.monotonic() >= deadline:
                raise StoreBusy(f"'{path}' is in use by another process.") from None
            if on_wait is not None:
                on_wait(
                    f"The store '{path}' is in use by another process; waiting up to {wait:g} s."
                )
                on_wait = None
            time.sleep(0.2)


UNWRITABLE = ("read-only file system", "permission denied", "operation not permitted")
DISK_FULL = ("no space left on device", "file too large", "disk quota exceeded")


def _unwritable(exc: BaseException) -> bool:
    return any(words in str(exc).lower() for words in UNWRITABLE)


@contextmanager
def write_errors(path: str | Path) -> Iterator[None]:
    """A store write that fails for want of space (or a read-only disk) becomes one user error;
    DuckDB has rolled the open transaction back, so the store keeps what was committed."""
    try:
        yield
    except duckdb.Error as exc:
        if not any(words in str(exc).lower() for words in (*DISK_FULL, *UNWRITABLE)):
            raise
        raise StoreError(
            f"Cannot write the store '{path}': {atomic.reason(exc)}. What this command had not"
            " finished was not stored; free some space (or make the store writable) and run it"
            " again to resume."
        ) from None


def _check_complete(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a store file shorter than its own header says (cut short by a full disk or a copy):
    DuckDB opens it and fails later, in the middle of a command."""
    if Path(f"{path}.wal").exists():  # blocks may still live in the write-ahead log
        return
    # Used blocks, not total: DuckDB cuts free blocks off the end of the file at a checkpoint, so
    # a healthy store can be shorter than all its blocks (59 MB, 2 free blocks short, after the
    # scale benchmark's align stage).
    block_size, used_blocks = con.execute(
        "SELECT block_size, used_blocks FROM pragma_database_size()"
    ).fetchall()[0]
    if path.stat().st_size < block_size * used_blocks + 3 * 4096:  # three 4 KiB headers
        con.close()
        raise StoreError(
            f"The store '{path}' is truncated: {path.stat().st_size} bytes, its header names"
            f" {block_size * used_blocks + 3 * 4096}. Restore it from a copy, or delete it and"
            " rebuild it with 'narrative-compare run'."
        )


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            " AND NOT temporary ORDER BY 1"
        ).fetchall()
    ]


def _schema_version(con: duckdb.DuckDBPyConnection) -> str | None:
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchall()[0][0]
    if not has_meta:
        return None
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    return rows[0][0] if rows else None


def replace_rows(
    con: duckdb.DuckDBPyConnection, table: str, df: pl.DataFrame, *, key: str, values: Iterable[str]
) -> None:
    """Delete the rows of `table` whose `key` is in `values`, then insert `df`; caller holds the transaction."""
    values = sorted(set(values))
    if values:
        con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT unnest(?::VARCHAR[]))", [values])
    if df.height:
        con.register("_incoming", df)
        columns = ", ".join(df.columns)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _incoming")
        con.unregister("_incoming")


def read_table(
    con: duckdb.DuckDBPyConnection, table: str, *, event_id: str | None = None
) -> pl.DataFrame:
    """One table as polars, optionally restricted to an event (all columns, stable order)."""
    order = {
        "documents": "event_id, doc_id",
        "claims": "event_id, doc_id, position",
        "claim_pairs": "event_id, claim_a, claim_b",
        "claim_groups": "event_id, group_id, claim_id",
        "omissions": "event_id, claim_id, missing_in_doc",
        "divergences": "event_id, claim_a, claim_b, kind",
        "term_contrasts": "event_id, doc_id, log_odds DESC, term",
        "event_models": "event_id",
    }[table]
    where = "WHERE event_id = $event_id" if event_id is not None else ""
    params = {"event_id": event_id} if event_id is not None else {}
    return con.sql(f"SELECT * FROM {table} {where} ORDER BY {order}", params=params).pl()


def event_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0] for r in con.execute("SELECT DISTINCT event_id FROM documents ORDER BY 1").fetchall()
    ]


def event_sizes(con: duckdb.DuckDBPyConnection, events: Sequence[str]) -> dict[str, int]:
    """Claims per event of `events` (an event without claims is missing)."""
    return dict(
        con.execute(
            "SELECT event_id, count(*) FROM claims"
            " WHERE event_id IN (SELECT unnest($events::VARCHAR[])) GROUP BY event_id",
            {"events": list(events)},
        ).fetchall()
    )


def batched_events(
    events: Sequence[str], sizes: dict[str, int], claims: int
) -> Iterator[list[str]]:
    """`events` in their order, in batches of about `claims` claims (`sizes`: `event_sizes`): a
    batch closes once it holds that many (an event larger than that is a batch of its own)."""
    batch: list[str] = []
    held = 0
    for event_id in events:
        batch.append(event_id)
        held += sizes.get(event_id, 0)
        if held >= claims:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def require_events(con: duckdb.DuckDBPyConnection, events: Iterable[str] | None) -> list[str]:
    """`events` if every one is stored (default: all stored events), else a user error: the one
    unknown-event check of the engines, reports and queries."""
    known = event_ids(con)
    unknown = sorted(set(events or []) - set(known))
    if unknown:
        raise InputError(
            f"Unknown event '{unknown[0]}'. Available: {', '.join(known) or 'none'}."
            " Run 'narrative-compare events'."
        )
    return list(events or known)


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
        for t in (*EVENT_TABLES, "embeddings")
    }


def writable_folder(path: Path, *, create: bool = True) -> Path:
    """An output folder (reports, exports) that can be written: made with its parents when
    `create`, else only checked (its nearest existing ancestor must be a folder we can write to)."""
    try:
        if not create:
            existing = next(p for p in (path, *path.parents) if p.exists())
            if not existing.is_dir():
                raise NotADirectoryError(20, f"'{existing}' is a file")
            if not os.access(existing, os.W_OK | os.X_OK):
                raise PermissionError(13, f"'{existing}' is not writable")
            return path
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".narrative-compare-{os.getpid()}.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise InputError(
            f"Cannot write to the folder '{path}': {exc.strerror or exc}. Give a folder you can"
            " write to."
        ) from None
    return path
