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
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from compare import store
from compare.errors import InputError, StoreError

FORMATS = ("table", "csv", "json", "parquet")
READ_ONLY = {duckdb.StatementType.SELECT}
# How a `--param name=value` string becomes the declared type; other types are passed as text.
CASTS = {"VARCHAR": str, "INTEGER": int, "BIGINT": int, "DOUBLE": float, "FLOAT[]": json.loads}


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
) -> pl.DataFrame:
    """Run a named query, a query file or `sql` on a read-only connection to the store.

    `params` are the query's `$params` (strings are converted to the declared type); `event_id`
    binds `$event_id`. A query taking `$vector` also accepts `text`, embedded with `model`
    (default: the bundled model), which must be the model the store's embeddings came from.
    """
    if (name_or_file is None) == (sql is None):
        raise InputError(
            "Give a query NAME, a .sql FILE or --sql, exactly one."
            f" Named queries: {', '.join(query_names())}."
        )
    query = load_query(name_or_file) if sql is None else parse_query("--sql", sql)
    user_sql = sql is not None or Path(str(name_or_file)).is_file()
    con = _sandboxed(db)
    try:
        query = _checked(con, query)
        values = _bind(con, query, dict(params or {}), event_id, model)
        try:
            return con.sql(query.sql, params=values).pl()
        except (duckdb.InterruptException, RuntimeError) as exc:
            # Ctrl-C / SIGTERM while DuckDB works arrives as "Query interrupted": exit 130
            if isinstance(exc, RuntimeError) and "interrupted" not in str(exc).lower():
                raise
            raise KeyboardInterrupt from None
        except duckdb.PermissionException as exc:
            raise InputError(
                f"Query '{query.name}' reaches outside the store ({str(exc).splitlines()[0]})."
                " 'query' sees the store's tables and views only; read your own files with the"
                " duckdb client."
            ) from None
        except duckdb.ConversionException as exc:
            raise InputError(f"Query '{query.name}' cannot use a parameter value: {exc}") from None
        except duckdb.CatalogException as exc:
            if user_sql:
                raise InputError(f"Query '{query.name}' failed: {exc}") from None
            raise StoreError(
                f"The store '{db or store.default_db()}' lacks a table or view that query"
                f" '{query.name}' needs ({str(exc).splitlines()[0]}); it was built by another"
                " version of narrative-compare. Rebuild it: delete it and run"
                " 'narrative-compare run' on your inputs again."
            ) from None
        except duckdb.Error as exc:
            if not user_sql:
                raise  # a shipped query failing on a current store is a bug: keep the traceback
            raise InputError(f"Query '{query.name}' failed: {exc}") from None
    finally:
        con.close()


def _sandboxed(db: str | Path | None) -> duckdb.DuckDBPyConnection:
    """A connection that sees the store only: no files, no network, no extension loading, no
    Python variables, and SQL cannot turn any of this back on.

    These settings hold for a whole DuckDB instance, so the store is attached read-only to a
    private in-memory instance rather than opened directly: other connections to it in this
    process (a notebook's, the report's) keep theirs.
    """
    path = Path(db or store.default_db())
    store.open_store(path, read_only=True).close()  # exists, complete, this schema version
    con = duckdb.connect(":memory:")
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
        values["vector"], key = _embed(con, text, model)
        if "model" in values:
            values["model"] = key
    return values


def _convert(query: Query, param: Param, value: Any) -> Any:
    if not isinstance(value, str) or param.type not in CASTS:
        return value
    try:
        return CASTS[param.type](value)
    except ValueError:
        raise InputError(
            f"Parameter '{param.name}' of query '{query.name}' must be {param.type}"
            f" ({param.doc}), got '{value}'."
        ) from None


def _embed(con: duckdb.DuckDBPyConnection, text: str, model: str | Path | None) -> tuple[list, str]:
    """Embed `text` with the model the store's claims were embedded with (torch loads here only)."""
    from compare.embed import load_embedder

    embedder = load_embedder(model)
    stored = [
        r[0] for r in con.execute("SELECT DISTINCT model FROM embeddings ORDER BY 1").fetchall()
    ]
    if embedder.key not in stored:
        raise InputError(
            f"The store holds embeddings of {', '.join(stored) or 'no model yet'}, not of"
            f" '{embedder.key}' ({embedder.path}). Pass --model with the folder of the model that"
            " built the store, or run 'narrative-compare align' with this one."
        )
    return embedder.encode([text])[0].tolist(), embedder.key


def format_rows(rows: pl.DataFrame, fmt: str, *, width: int = 120) -> str:
    """Rows as a terminal table, CSV (lists as JSON) or one JSON array of objects."""
    binary = [c for c, t in rows.schema.items() if t == pl.Binary]
    if binary and fmt in ("json", "csv"):  # BLOBs as hex text: CSV and JSON have no bytes
        rows = rows.with_columns(pl.col(c).bin.encode("hex") for c in binary)
    if fmt == "json":
        return json.dumps(rows.to_dicts(), default=str, ensure_ascii=False)
    if fmt == "csv":
        nested = [c for c, t in rows.schema.items() if t.is_nested()]
        flat = rows.with_columns(
            pl.Series(c, [json.dumps(v, default=str) for v in rows[c].to_list()]) for c in nested
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
    """Write rows to `path` in `fmt` (parquet keeps the column types)."""
    path = Path(path)
    text = None if fmt == "parquet" else format_rows(rows, fmt) + "\n"
    try:
        if text is None:
            rows.write_parquet(path)
        else:
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"Cannot write '{path}': {exc.strerror or exc}. Give a file in an existing folder"
            " you can write to."
        ) from None
    return path


def export_store(
    out: str | Path, *, db: str | Path | None = None, fmt: str = "parquet"
) -> list[dict]:
    """Every table as Parquet: `out/<table>/event_id=<id>/*.parquet`; `out/<table>.parquet` for
    tables without an event (embeddings, meta). A table's previous export is replaced."""
    if fmt != "parquet":
        raise InputError(f"Unknown export format '{fmt}'. Use: parquet.")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"'{out}' is a file; export writes a folder. Give a folder path.")
    con = store.open_store(db, read_only=True)
    try:
        counts = store.table_counts(con)
        counts["meta"] = con.execute("SELECT count(*) FROM meta").fetchall()[0][0]
        store.writable_folder(out)
        written = []
        for table, rows in counts.items():
            relation = con.sql(f"SELECT * FROM {table}")  # table names come from the schema
            if table in store.EVENT_TABLES:
                path = out / table
                relation.write_parquet(str(path), partition_by=["event_id"], overwrite=True)
            else:
                path = out / f"{table}.parquet"
                relation.write_parquet(str(path))
            written.append({"table": table, "path": str(path), "rows": rows})
    finally:
        con.close()
    return written
