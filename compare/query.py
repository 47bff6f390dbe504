"""SQL on the store: named questions (queries/*.sql) run read-only, and tables exported to Parquet.

A query file is one read-only SELECT whose header names its parameters and columns:

    -- Purpose: what it answers
    -- Params:
    --   $event_id  VARCHAR  the event; NULL = all events
    -- Returns: event_id, source, ...

Parameters are DuckDB named parameters (`$name`), always bound as values, never formatted into the
SQL. A parameter is optional (NULL) unless its description starts with "required". Only a query
taking `$vector` may load the embedding model, and only when it is given `text` to embed.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import textwrap
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from compare import atomic, store
from compare.errors import InputError, StoreError

FORMATS = ("table", "csv", "json", "parquet")
READ_ONLY = {duckdb.StatementType.SELECT}
# How a `--param name=value` string becomes the declared type; other types are passed as text.
CASTS = {
    "VARCHAR": str,
    "TINYINT": int,
    "SMALLINT": int,
    "INTEGER": int,
    "BIGINT": int,
    "UTINYINT": int,
    "USMALLINT": int,
    "UINTEGER": int,
    "UBIGINT": int,
    "FLOAT": float,
    "DOUBLE": float,
    "FLOAT[]": json.loads,
}
# The values each integer type holds: a value outside is refused before it reaches SQL.
INT_RANGES = {
    "TINYINT": (-(2**7), 2**7 - 1),
    "SMALLINT": (-(2**15), 2**15 - 1),
    "INTEGER": (-(2**31), 2**31 - 1),
    "BIGINT": (-(2**63), 2**63 - 1),
    "UTINYINT": (0, 2**8 - 1),
    "USMALLINT": (0, 2**16 - 1),
    "UINTEGER": (0, 2**32 - 1),
    "UBIGINT": (0, 2**64 - 1),
}
# A range a parameter's description states: "(0..1)" or "(>= 0)".
STATED_RANGE = re.compile(r"\((?:(-?[\d.]+)\.\.(-?[\d.]+)|>=\s*(-?[\d.]+))\)")

DEFAULT_MEMORY = "4GB"
MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)

# DuckDB types polars takes as they are (by DuckDBPyType.id); any other type (INTERVAL, UNION,
# BIT, BIGNUM, HUGEINT, UHUGEINT, TIME WITH TIME ZONE, a type a later DuckDB adds) reaches polars
# as DuckDB's own text for it: polars refuses some, and misreads others (UHUGEINT's maximum
# arrives as -1, HUGEINT loses its 39th digit, TIMETZ its offset).
POLARS_TYPES = {
    "boolean",
    "tinyint",
    "smallint",
    "integer",
    "bigint",
    "utinyint",
    "usmallint",
    "uinteger",
    "ubigint",
    "float",
    "double",
    "decimal",
    "varchar",
    "blob",
    "uuid",
    "enum",
    "null",
    "date",
    "time",
    "time_ns",
    "timestamp",
    "timestamp_s",
    "timestamp_ms",
    "timestamp_ns",
    "timestamp with time zone",
}
# Dates polars holds but cannot print (infinity, years past 9999): text output gets DuckDB's text.
TEMPORAL = {
    "date",
    "timestamp",
    "timestamp_s",
    "timestamp_ms",
    "timestamp_ns",
    "timestamp with time zone",
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # DuckDB type as declared in the header; "ANY" for SQL without a header
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.doc.startswith("required")


@dataclass(frozen=True)
class Query:
    name: str
    sql: str
    purpose: str = ""
    params: dict[str, Param] = field(default_factory=dict)
    returns: list[str] = field(default_factory=list)


def parse_query(name: str, sql: str) -> Query:
    """Read the `-- Purpose:`, `-- Params:` and `-- Returns:` header of a query file."""
    sections: dict[str, str] = {}
    key = None
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        if match := re.match(r"--\s*(Purpose|Params|Returns):\s*(.*)", line):
            key, sections[match[1].lower()] = match[1].lower(), match[2]
        elif key:
            sections[key] += "\n" + line[2:].strip()
    params = {
        n: Param(n, t, " ".join(doc.split()))
        for n, t, doc in re.findall(r"\$(\w+)\s+(\S+)\s+([^$]*)", sections.get("params", ""))
    }
    returns = [c.strip() for c in sections.get("returns", "").split(",") if c.strip()]
    return Query(name, sql, " ".join(sections.get("purpose", "").split()), params, returns)


def query_names() -> list[str]:
    files = resources.files("compare.queries").iterdir()
    return sorted(f.name.removesuffix(".sql") for f in files if f.name.endswith(".sql"))


def list_queries() -> list[Query]:
    """Every named query shipped with the package, by name."""
    return [load_query(name) for name in query_names()]


def load_query(name_or_file: str | Path) -> Query:
    """A shipped query by name (`event_summary`), or a `.sql` file of the user's."""
    text = str(name_or_file)
    if text.endswith(".sql") or "/" in text or Path(text).is_file():
        path = Path(text)
        if not path.is_file():
            raise InputError(f"No query file '{path}'. Give an existing .sql file or a query name.")
        # Only .sql files are read: an error about another file would quote its content.
        if path.suffix.lower() != ".sql":
            raise InputError(
                f"'{path}' is not a .sql file. Give a query file ending in .sql, or a query name."
            )
        try:
            return parse_query(path.stem, path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, OSError) as exc:
            reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror
            raise InputError(
                f"Cannot read query file '{path}': {reason}. Save it as UTF-8 SQL."
            ) from None
    resource = resources.files("compare.queries").joinpath(f"{text}.sql")
    if not resource.is_file():
        raise InputError(
            f"Unknown query '{text}'. Available: {', '.join(query_names())}."
            " Run 'narrative-compare query' to see what each answers."
        )
    return parse_query(text, resource.read_text(encoding="utf-8"))


def run_query(
    name_or_file: str | Path | None = None,
    *,
    sql: str | None = None,
    params: Mapping[str, Any] | None = None,
    event_id: str | None = None,
    db: str | Path | None = None,
    model: str | Path | None = None,
    memory: str = DEFAULT_MEMORY,
    timeout: float | None = None,
    text: bool = False,
) -> pl.DataFrame:
    """Run a named query, a query file or `sql` on a read-only connection to the store.

    `params` are the query's `$params` (strings are converted to the declared type and checked
    against its range); `event_id` binds `$event_id`. A query taking `$vector` also accepts `text`,
    embedded with `model` (default: the bundled model), which must be the model the store's
    embeddings came from. DuckDB may use `memory` (spilling to a private temporary folder beyond
    it); a query running longer than `timeout` seconds is stopped, and so is one interrupted by
    Ctrl-C (KeyboardInterrupt). Columns of a type polars cannot hold faithfully come back as
    DuckDB's text for them; with `text`, dates and timestamps too (for printing: polars cannot
    print infinity or years past 9999).
    """
    if (name_or_file is None) == (sql is None):
        raise InputError(
            "Give a query NAME, a .sql FILE or --sql, exactly one."
            f" Named queries: {', '.join(query_names())}."
        )
    if timeout is not None and not (timeout > 0 and math.isfinite(timeout)):
        raise InputError(f"--timeout must be a positive number of seconds, got {timeout}.")
    query = load_query(name_or_file) if sql is None else parse_query("--sql", sql)
    user_sql = sql is not None or Path(str(name_or_file)).is_file()
    spill = Path(tempfile.mkdtemp(prefix="narrative-query-"))  # 0700: this process's only
    try:
        con = _sandboxed(db, memory, spill / "spill")
        try:
            query = _checked(con, query)
            values = _bind(con, query, dict(params or {}), event_id, model)
            try:
                return _execute(con, query.sql, values, timeout, text)
            except duckdb.InterruptException:
                if timeout is None:
                    raise KeyboardInterrupt from None
                raise InputError(
                    f"Query '{query.name}' ran longer than --timeout {timeout:g} s and was"
                    " stopped. Give it more time, or narrow it (--event, a LIMIT)."
                ) from None
            except duckdb.PermissionException as exc:
                raise InputError(
                    f"Query '{query.name}' reaches outside the store"
                    f" ({str(exc).splitlines()[0]}). 'query' sees the store's tables and views"
                    " only; read your own files with the duckdb client."
                ) from None
            except duckdb.OutOfMemoryException as exc:
                raise InputError(
                    f"Query '{query.name}' needs more memory than --memory {memory}"
                    f" ({str(exc).splitlines()[0]}). Raise --memory, or narrow the query."
                ) from None
            except duckdb.ConversionException as exc:
                if user_sql:
                    raise InputError(f"Query '{query.name}' failed: {_first(exc)}") from None
                raise InputError(
                    f"Query '{query.name}' cannot use a parameter value: {_first(exc)}"
                ) from None
            except duckdb.CatalogException as exc:
                if user_sql:
                    raise InputError(f"Query '{query.name}' failed: {_first(exc)}") from None
                raise StoreError(
                    f"The store '{db or store.default_db()}' lacks a table or view that query"
                    f" '{query.name}' needs ({str(exc).splitlines()[0]}); it was built by another"
                    " version of narrative-compare. Rebuild it: delete it and run"
                    " 'narrative-compare run' on your inputs again."
                ) from None
            except duckdb.Error as exc:
                if not user_sql:
                    raise  # a shipped query failing on a current store is a bug: the traceback
                raise InputError(f"Query '{query.name}' failed: {_first(exc)}") from None
        finally:
            con.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def _first(exc: BaseException) -> str:
    """An error's first line: DuckDB appends the SQL and a caret on lines of their own."""
    return str(exc).strip().splitlines()[0]


def _execute(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    values: dict[str, Any],
    timeout: float | None,
    text: bool,
) -> pl.DataFrame:
    """Run the query in a worker thread while this one waits: Python runs a signal handler in
    the main thread only between bytecodes, and DuckDB does not always hand control back while it
    works (a hash aggregate ran on for 10 s after Ctrl-C), so the waiting thread takes the
    KeyboardInterrupt (or sees the timeout) and stops DuckDB with `interrupt()`."""
    result: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            result["rows"] = _portable(con.sql(sql, params=values), text).pl()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            result["error"] = exc
        finally:
            done.set()

    # Event.wait, not Thread.join: a join cut short by KeyboardInterrupt can report the thread
    # finished while it still runs.
    threading.Thread(target=work, name="narrative-query", daemon=True).start()
    try:
        if not done.wait(timeout):
            con.interrupt()
            done.wait()
    except BaseException:
        con.interrupt()
        done.wait()
        raise
    if "error" in result:
        error = result["error"]
        if isinstance(error, RuntimeError) and "interrupted" in str(error).lower():
            raise duckdb.InterruptException(str(error))  # DuckDB's wrapped form of the same
        raise error
    return result["rows"]


def _portable(relation: duckdb.DuckDBPyRelation, text: bool) -> duckdb.DuckDBPyRelation:
    """`relation` with every column polars can hold: see POLARS_TYPES. Columns are renamed apart
    when the SQL gives two the same name (polars needs distinct names)."""
    columns, seen, changed = [], set(), False
    for i, (name, kind) in enumerate(zip(relation.columns, relation.types), 1):
        unique, n = name, 1
        while unique in seen:
            n += 1
            unique = f"{name}_{n}"
        seen.add(unique)
        target, cast = _portable_type(kind, text)
        changed |= cast or unique != name
        value = f"CAST(#{i} AS {target})" if cast else f"#{i}"
        columns.append(f"{value} AS {_ident(unique)}")
    return relation.project(", ".join(columns)) if changed else relation


def _portable_type(kind: duckdb.DuckDBPyType, text: bool) -> tuple[str, bool]:
    """(SQL type, whether it differs from `kind`): `kind` with every part polars cannot hold
    (inside lists, arrays, structs and maps too) as VARCHAR."""
    if kind.id in ("list", "array"):
        child, cast = _portable_type(kind.children[0][1], text)
        return (f"{child}[]" if kind.id == "list" else f"{child}[{kind.children[1][1]}]"), cast
    if kind.id == "struct" and not kind.children:  # Parquet has no empty struct
        return "VARCHAR", True
    if kind.id in ("struct", "map"):
        parts = [(name, *_portable_type(child, text)) for name, child in kind.children]
        cast = any(c for _, _, c in parts)
        if kind.id == "map":
            return f"MAP({parts[0][1]}, {parts[1][1]})", cast
        return "STRUCT(" + ", ".join(f"{_ident(n)} {t}" for n, t, _ in parts) + ")", cast
    if kind.id in POLARS_TYPES and not (text and kind.id in TEMPORAL):
        return str(kind), False
    return "VARCHAR", True


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sandboxed(
    db: str | Path | None, memory: str = DEFAULT_MEMORY, spill: Path | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection that sees the store only: no files, no network, no extension loading, no
    Python variables, and SQL cannot turn any of this back on.

    These settings hold for a whole DuckDB instance, so the store is attached read-only to a
    private in-memory instance rather than opened directly: other connections to it in this
    process (a notebook's, the report's) keep theirs. DuckDB may use `memory`, then spills to
    `spill` (a private folder; without one, nothing spills): DuckDB's default temporary folder is
    `.tmp` of the working directory, and file functions may read the temporary folder even with
    external access off.
    """
    if not MEMORY.match(memory):
        raise InputError(
            f"--memory '{memory}' is not an amount of memory. Give a number and a unit, e.g."
            f" {DEFAULT_MEMORY} or 512MB."
        )
    path = Path(db or store.default_db())
    store.open_store(path, read_only=True).close()  # exists, complete, this schema version
    config = {"memory_limit": memory.replace(" ", ""), "temp_directory": str(spill or "")}
    con = duckdb.connect(":memory:", config=config)
    try:
        # ATTACH takes no parameters; the path is a quoted literal
        con.execute(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS store (READ_ONLY)")
        con.execute("USE store")
        _lock_down(con)
    except BaseException:
        con.close()
        raise
    return con


def _lock_down(con: duckdb.DuckDBPyConnection) -> None:
    for setting in (
        "autoinstall_known_extensions = false",
        "autoload_known_extensions = false",
        "enable_external_access = false",
        "python_enable_replacements = false",
        "enable_progress_bar = false",
        "lock_configuration = true",
    ):
        con.execute(f"SET {setting}")


def _checked(con: duckdb.DuckDBPyConnection, query: Query) -> Query:
    """One read-only statement whose `$params` are the ones its header declares (if any)."""
    try:
        statements = con.extract_statements(query.sql)
    except duckdb.Error as exc:
        raise InputError(f"Query '{query.name}' is not valid SQL: {exc}") from None
    kinds = [s.type.name for s in statements]
    if len(statements) != 1 or statements[0].type not in READ_ONLY:
        raise InputError(
            f"Query '{query.name}' must be one read-only SELECT, got {' + '.join(kinds) or 'nothing'}."
            " The store opens read-only here; change it with the pipeline commands"
            " (ingest, align, run)."
        )
    used = set(statements[0].named_parameters)
    if not query.params:  # SQL without a header: every parameter is needed, except $event_id
        params = {n: Param(n, "ANY", "" if n == "event_id" else "required") for n in sorted(used)}
        return Query(query.name, query.sql, query.purpose, params, query.returns)
    if used != set(query.params):
        raise InputError(
            f"Query '{query.name}' uses ${', $'.join(sorted(used))} but its header declares"
            f" ${', $'.join(sorted(query.params))}. Make the '-- Params:' header match the SQL."
        )
    return query


def _bind(
    con: duckdb.DuckDBPyConnection,
    query: Query,
    given: dict[str, Any],
    event_id: str | None,
    model: str | Path | None,
) -> dict[str, Any]:
    if event_id is not None:
        if given.get("event_id", event_id) != event_id:
            raise InputError("Two events given: use either --event or --param event_id, not both.")
        given["event_id"] = event_id
    accepted = dict(query.params)
    if "vector" in accepted:
        accepted["text"] = Param("text", "VARCHAR", "text to embed into $vector")
    expected = ", ".join(
        f"{p.name} ({p.type}{', required' * p.required})" for p in accepted.values()
    )
    unknown = sorted(set(given) - set(accepted))
    if unknown == ["event_id"] and event_id is not None:
        raise InputError(f"Query '{query.name}' is not about one event: leave out --event.")
    if unknown:
        raise InputError(
            f"Unknown parameter '{unknown[0]}' for query '{query.name}'."
            f" Expected: {expected or 'none'}. Pass them as --param NAME=VALUE."
        )
    text = given.pop("text", None) if "vector" in accepted else None
    missing = [p.name for p in query.params.values() if p.required and p.name not in given]
    if missing and not (missing == ["vector"] and text is not None):
        hint = " (or text, to embed)" if missing == ["vector"] else ""
        raise InputError(
            f"Query '{query.name}' needs the parameter '{missing[0]}'{hint}."
            f" Expected: {expected}. Pass them as --param NAME=VALUE."
        )
    values = {n: _convert(query, p, given.get(n)) for n, p in query.params.items()}
    if values.get("event_id") is not None:
        store.require_events(con, [values["event_id"]])
    if text is not None:
        values["vector"], key = _embed(con, text, model, values.get("event_id"))
        if "model" in values:
            values["model"] = key
    return values


def _convert(query: Query, param: Param, value: Any) -> Any:
    """`value` as the declared type, checked against the type's range and any range the
    parameter's description states, before it reaches SQL."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _bad_value(query, param, value, "UTF-8 text") from None
    if not isinstance(value, str) or param.type not in CASTS:
        return value
    try:
        converted = CASTS[param.type](value)
    except ValueError:
        raise _bad_value(query, param, value) from None
    if param.type == "FLOAT[]":
        numbers = isinstance(converted, list) and all(
            isinstance(x, int | float) and not isinstance(x, bool) for x in converted
        )
        if not numbers or not all(math.isfinite(x) for x in converted):
            raise _bad_value(query, param, value, "a JSON list of finite numbers")
        return converted
    if isinstance(converted, float) and not math.isfinite(converted):
        raise _bad_value(query, param, value, "a finite number")
    low, high = INT_RANGES.get(param.type, (None, None))
    if match := STATED_RANGE.search(param.doc):
        low, high = (float(match[1]), float(match[2])) if match[1] else (float(match[3]), high)
    if (low is not None and converted < low) or (high is not None and converted > high):
        bounds = f"at least {_n(low)}" if high is None else f"from {_n(low)} to {_n(high)}"
        raise _bad_value(query, param, value, f"{param.type} {bounds}")
    return converted


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _bad_value(query: Query, param: Param, value: str, expected: str = "") -> InputError:
    shown = value if len(value) <= 40 else value[:37] + "..."
    return InputError(
        f"Parameter '{param.name}' of query '{query.name}' must be {expected or param.type}"
        f" ({param.doc}), got '{shown.encode('utf-8', 'backslashreplace').decode()}'."
    )


def _embed(
    con: duckdb.DuckDBPyConnection, text: str, model: str | Path | None, event_id: str | None = None
) -> tuple[list, str]:
    """Embed `text` with the model that embedded the claims searched: the event's (event_models)
    with an event, else the one model of all events; `model` (--model) must be that model. Torch
    loads here only."""
    from compare.embed import load_embedder
    from compare.models import PACKAGE_MODELS, model_name

    used = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT model FROM event_models WHERE $event_id IS NULL OR event_id = $event_id"
            " ORDER BY 1",
            {"event_id": event_id},
        ).fetchall()
    ] or [r[0] for r in con.execute("SELECT DISTINCT model FROM embeddings ORDER BY 1").fetchall()]
    if model is None and len(used) > 1:
        raise InputError(
            f"The events of this store were embedded with {len(used)} models ({', '.join(used)}),"
            " whose similarities do not compare. Pass --event ID to search one event (its model"
            " is used), or --model to search the events of one model."
        )
    if model is None and used and model_name(used[0]) in PACKAGE_MODELS:
        model = model_name(used[0])  # a bundled multilingual model, by name
    embedder = load_embedder(model)
    if embedder.key not in used:
        raise InputError(
            f"The store holds embeddings of {', '.join(used) or 'no model yet'}, not of"
            f" '{embedder.key}' ({embedder.path}). Pass --model with the folder of the model that"
            " built the store, or run 'narrative-compare align' with this one."
        )
    return embedder.encode([text])[0].tolist(), embedder.key


def format_rows(rows: pl.DataFrame, fmt: str, *, width: int = 120) -> str:
    """Rows as a terminal table, CSV (lists as JSON) or one JSON array of objects."""
    binary = [c for c, t in rows.schema.items() if t == pl.Binary]
    if binary and fmt in ("json", "csv"):  # BLOBs as hex text: CSV and JSON have no bytes
        rows = rows.with_columns(pl.col(c).bin.encode("hex") for c in binary)
    if fmt == "json":  # valid JSON: NaN and infinities are null
        return json.dumps(finite(rows.to_dicts()), default=str, ensure_ascii=False, allow_nan=False)
    if fmt == "csv":
        nested = [c for c, t in rows.schema.items() if t.is_nested()]
        flat = rows.with_columns(
            pl.Series(
                c, [json.dumps(finite(v), default=str, allow_nan=False) for v in rows[c].to_list()]
            )
            for c in nested
        )
        return flat.write_csv().rstrip("\n")
    if fmt == "table":
        natural = sum(
            min(40, max([len(c), *(len(str(v)) for v in rows[c])])) + 3 for c in rows.columns
        )
        if natural > width:  # too wide for one line per row: one block per row, like psql's \x
            return _records(rows, width)
        with pl.Config(
            tbl_rows=-1,
            tbl_cols=-1,
            tbl_width_chars=width,
            fmt_str_lengths=400,
            fmt_table_cell_list_len=-1,
            tbl_hide_dataframe_shape=True,
            tbl_hide_column_data_types=True,
            tbl_formatting="UTF8_FULL_CONDENSED",
        ):
            return str(rows)
    raise InputError(f"Unknown format '{fmt}'. Use one of: {', '.join(FORMATS)}.")


def finite(value: Any) -> Any:
    """`value` with every NaN or infinite float (at any depth) as None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def _records(rows: pl.DataFrame, width: int) -> str:
    """Each row as `column  value` lines, long values wrapped, list items one per line."""
    label = max(len(c) for c in rows.columns)
    indent = " " * (label + 2)
    lines = []
    for i, row in enumerate(rows.iter_rows(named=True), 1):
        lines.append(f"-[ {i} ]".ljust(min(width, 40), "-"))
        for column, value in row.items():
            items = value if isinstance(value, list) and value else [value]
            for j, item in enumerate(items):
                text = "NULL" if item is None else str(item)
                head = column.ljust(label) if j == 0 else " " * label
                lines.append(
                    textwrap.fill(
                        text,
                        max(width, label + 22),
                        initial_indent=head + "  ",
                        subsequent_indent=indent,
                        drop_whitespace=True,
                    )
                    or head
                )
    return "\n".join(lines)


def write_rows(rows: pl.DataFrame, fmt: str, path: str | Path) -> Path:
    """Write rows to `path` in `fmt` (parquet keeps the column types): all or nothing, through a
    temporary file beside it that replaces `path` only once complete."""
    path = Path(path)
    text = None if fmt == "parquet" else format_rows(rows, fmt) + "\n"
    if text is None:
        atomic.write(path, rows.write_parquet)
    else:
        atomic.write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path


def export_store(
    out: str | Path, *, db: str | Path | None = None, fmt: str = "parquet"
) -> list[dict]:
    """Every table as Parquet: `out/<table>/event_id=<id>/*.parquet`; `out/<table>.parquet` for
    tables without an event (embeddings, meta).

    All or nothing: the tables are written to a staging folder inside `out` and move into place
    only when all are written, each replacing the whole previous export of that table (event
    folders of events no longer stored go too). A table folder holding anything but an export
    (`event_id=...` folders of Parquet files) is refused, never deleted."""
    if fmt != "parquet":
        raise InputError(f"Unknown export format '{fmt}'. Use: parquet.")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"'{out}' is a file; export writes a folder. Give a folder path.")
    con = store.open_store(db, read_only=True)
    try:
        counts = store.table_counts(con)
        counts["meta"] = con.execute("SELECT count(*) FROM meta").fetchall()[0][0]
        created = not out.exists()
        store.writable_folder(out)
        targets = {t: out / t if t in store.EVENT_TABLES else out / f"{t}.parquet" for t in counts}
        for table, path in targets.items():
            _check_export_target(path, folder=table in store.EVENT_TABLES)
        staging = Path(tempfile.mkdtemp(dir=out, prefix=".narrative-export-"))
        try:
            for table, path in targets.items():
                staged = staging / path.name
                relation = con.sql(f"SELECT * FROM {table}")  # table names come from the schema
                try:
                    if table in store.EVENT_TABLES:
                        staged.mkdir()
                        relation.write_parquet(
                            str(staged), partition_by=["event_id"], overwrite=True
                        )
                    else:
                        relation.write_parquet(str(staged))
                except (duckdb.Error, OSError) as exc:
                    if isinstance(exc, duckdb.Error) and not atomic.io_error(exc):
                        raise
                    raise atomic.failed(path, atomic.reason(exc), "the export") from None
            _swap_in(staging, targets)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if created:
                atomic.remove_empty(out)
            raise
        shutil.rmtree(staging, ignore_errors=True)
    finally:
        con.close()
    return [{"table": t, "path": str(p), "rows": counts[t]} for t, p in targets.items()]


def _check_export_target(path: Path, *, folder: bool) -> None:
    """A previous export of the table, or nothing, may be at `path`: anything else is refused."""
    if not path.exists():
        return
    if not folder:
        if reason := atomic.blocked(path):
            raise atomic.failed(path, reason, "the export")
        return
    if not path.is_dir():
        raise atomic.failed(path, "it is not a folder of an earlier export", "the export")
    for child in path.iterdir():
        parquet = child.is_dir() and all(
            f.is_file() and f.suffix == ".parquet" for f in child.iterdir()
        )
        if not (child.name.startswith("event_id=") and parquet):
            raise InputError(
                f"'{path}' holds '{child.name}', which is not part of an export; export replaces"
                " the whole folder of each table. Move it away, or export to another folder."
            )


def _swap_in(staging: Path, targets: dict[str, Path]) -> None:
    """Move each staged table onto its target (renames: no space needed), the old one aside."""
    trash = staging / ".replaced"
    trash.mkdir()
    for path in targets.values():
        if path.exists():
            os.replace(path, trash / path.name)
        os.replace(staging / path.name, path)
