"""queries/*.sql, the views, `narrative-compare query`, `export` and `events` on the sample store."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from compare import store
from compare.cli import main
from compare.query import list_queries, load_query, query_names, run_query

QUERIES = Path(__file__).resolve().parents[1] / "queries"
NAMES = sorted(p.stem for p in QUERIES.glob("*.sql"))
VIEWS = [
    "v_claim_pairs",
    "v_omissions",
    "v_source_agreement",
    "v_divergences",
    "v_event_summary",
    "v_source_pair",
    "v_source_profile",
]
EVENT = "wagner-2023"


def cli(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return store.table_counts(con)
    finally:
        con.close()


def a_vector(db: Path) -> list[float]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT vector FROM embeddings ORDER BY text_sha256 LIMIT 1").fetchall()
    finally:
        con.close()
    return rows[0][0]


def fill_divergences(db: Path) -> None:
    """Stand-in rows for the diverge stage (whether or not it ran): a number and a speaker
    divergence per pair (so every pair's relation is `conflict`), and one distinctive term per
    document, all marked as test rows."""
    con = duckdb.connect(str(db))
    pairs = con.execute("SELECT event_id, claim_a, claim_b FROM claim_pairs").fetchall()
    evidence = json.dumps([[0, 2, "42"]])
    con.executemany(
        "INSERT OR REPLACE INTO divergences VALUES (?, ?, ?, ?, 0.9, 'test row', ?, ?, 0.5)",
        [(e, a, b, kind, evidence, None) for e, a, b in pairs for kind in ("number", "speaker")],
    )
    con.execute("UPDATE claim_pairs SET relation = 'conflict'")  # what a number row makes a pair
    con.execute(
        "INSERT OR REPLACE INTO term_contrasts"
        " SELECT event_id, doc_id, 'zz-test-term', 3, 1.5, 99.0 FROM documents"
    )
    con.close()


def test_there_are_at_least_eight_named_queries_and_they_ship_in_the_package():
    assert len(NAMES) >= 8
    assert query_names() == NAMES  # importlib.resources sees the same files as the folder


@pytest.mark.parametrize("name", NAMES)
def test_query_file_is_one_select_with_a_header_matching_its_sql(name):
    query = load_query(name)
    (statement,) = duckdb.connect().extract_statements(query.sql)
    assert statement.type == duckdb.StatementType.SELECT
    assert query.purpose and query.returns
    assert set(statement.named_parameters) == set(query.params)
    assert "event_id" in query.params
    assert query.sql.rstrip().endswith(";")


@pytest.mark.parametrize("name", NAMES)
def test_query_runs_through_the_cli_with_the_columns_its_header_promises(sample_store, name):
    args = ["query", name, "--db", sample_store, "--format", "json"]
    if name == "claims_like":
        args += ["--param", "text=China supports Russia in protecting national stability"]
    if _profile_table(name):
        args += ["--param", "source=AFP"]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    header = load_query(name).returns
    assert all(list(row) == header for row in rows)
    assert run_query(name, db=sample_store, params=_params(name, sample_store)).columns == header


def _profile_table(name: str) -> bool:
    """A source profile's table (issue 28): it needs `source`."""
    return name.startswith("source_") and name != "source_agreement"


def _params(name: str, db, source: str = "AFP") -> dict:
    """What a query needs to run on `db`: a vector for claims_like, a source for a profile's."""
    if name == "claims_like":
        return {"vector": a_vector(db)}
    return {"source": source} if _profile_table(name) else {}


def test_every_query_runs_in_the_plain_duckdb_client_without_the_package(sample_store):
    script = f"""
import json, pathlib, sys
import duckdb
con = duckdb.connect({str(sample_store)!r}, read_only=True)
vector = con.execute("SELECT vector FROM embeddings LIMIT 1").fetchall()[0][0]
out = {{}}
for path in sorted(pathlib.Path({str(QUERIES)!r}).glob("*.sql")):
    sql = path.read_text()
    params = {{name: None for name in con.extract_statements(sql)[0].named_parameters}}
    params.update({{"vector": vector}} if "vector" in params else {{}})
    out[path.stem] = len(con.execute(sql, params).fetchall())
    # the duckdb CLI way (docs/schema.md): PREPARE the file, EXECUTE with named values
    con.execute("PREPARE q AS " + sql)
    args = ", ".join(f"{{n}} := NULL" for n in params if n != "vector")
    if "vector" not in params:
        assert len(con.execute(f"EXECUTE q({{args}})").fetchall()) == out[path.stem]
    con.execute("DEALLOCATE q")
out["imported_compare"] = "compare" in sys.modules
print(json.dumps(out))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd="/", check=False
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows.pop("imported_compare") is False
    assert sorted(rows) == NAMES
    event_summary = run_query("event_summary", db=sample_store)
    assert rows["event_summary"] == event_summary.height == 2


def test_queries_and_views_work_when_divergences_and_terms_are_filled(sample_copy):
    fill_divergences(sample_copy)
    total = counts(sample_copy)

    def run(name, **params):
        return run_query(name, db=sample_copy, params=params)

    for name in NAMES:
        run(name, **_params(name, sample_copy))
    numbers = run("conflicting_numbers").filter(pl.col("reason") == "test row")
    assert numbers.height == total["claim_pairs"]
    assert numbers["numbers_a"][0].to_list() == ["42"] and numbers["numbers_b"][0].to_list() == []
    assert run("speaker_shift").filter(pl.col("reason") == "test row").height == numbers.height
    terms = run("distinctive_terms").filter(pl.col("term") == "zz-test-term")
    assert terms.height == total["documents"] and set(terms["rank"]) == {1}
    pairs = run("aligned_claims", event_id=EVENT)
    assert all({"number", "speaker"} <= set(kinds) for kinds in pairs["kinds"].to_list())
    top = run("most_divergent_groups", top="1")
    assert top.height == 1 and top["divergences"][0] >= 2
    agreement = run("source_agreement")
    assert agreement["divergences"].sum() >= 2 * total["claim_pairs"]
    assert agreement["conflicts"].sum() >= total["claim_pairs"]


def test_queries_and_views_run_on_an_empty_store(tmp_path):
    db = tmp_path / "empty.duckdb"
    store.open_store(db).close()
    for name in NAMES:
        params = {"vector": [0.6, 0.8]} if name == "claims_like" else {}
        if _profile_table(name):
            params = {"source": "anyone"}
        assert run_query(name, db=db, params=params).height == 0
    con = duckdb.connect(str(db), read_only=True)
    for view in VIEWS:
        assert con.execute(f"SELECT count(*) FROM {view}").fetchall() == [(0,)]


def test_views_join_what_the_tables_hold(sample_store):
    con = duckdb.connect(str(sample_store), read_only=True)
    total = store.table_counts(con)
    assert (
        con.execute("SELECT count(*) FROM v_claim_pairs").fetchall()[0][0] == total["claim_pairs"]
    )
    assert con.execute("SELECT count(*) FROM v_omissions").fetchall()[0][0] == total["omissions"]
    statements = con.execute("SELECT count(*) FROM claims WHERE kind = 'statement'").fetchall()
    assert con.execute("SELECT sum(claims) FROM v_event_summary").fetchall() == statements
    assert statements[0][0] < total["claims"]  # the sample's headings and question are not counted
    # 2 events of 3 documents: 3 document pairs each
    assert con.execute("SELECT count(*) FROM v_source_agreement").fetchall()[0][0] == 6
    for view in VIEWS:
        con.execute(f"SELECT * FROM {view}").fetchall()


def test_sql_cosine_agrees_with_numpy(sample_store):
    con = duckdb.connect(str(sample_store), read_only=True)
    rows = con.execute(
        "SELECT p.claim_a, p.claim_b, p.cosine, list_cosine_similarity(ea.vector, eb.vector),"
        "       ea.vector, eb.vector"
        " FROM claim_pairs p"
        " JOIN claims ca ON ca.claim_id = p.claim_a JOIN claims cb ON cb.claim_id = p.claim_b"
        " JOIN embeddings ea ON ea.text_sha256 = ca.text_sha256"
        " JOIN embeddings eb ON eb.text_sha256 = cb.text_sha256 AND eb.model = ea.model"
    ).fetchall()
    assert rows
    for _, _, stored, sql_cosine, a, b in rows:
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        numpy_cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
        assert sql_cosine == pytest.approx(numpy_cosine, abs=1e-5)
        assert stored == pytest.approx(numpy_cosine, abs=1e-4)  # align's numpy score, stored
    # claims_like ranks every claim by the same cosine numpy gives
    vector = np.asarray(a_vector(sample_store), dtype=np.float64)
    found = run_query(
        "claims_like", db=sample_store, params={"vector": vector.tolist(), "top": 100}
    )
    sha = dict(con.execute("SELECT claim_id, text_sha256 FROM claims").fetchall())
    stored = dict(con.execute("SELECT text_sha256, vector FROM embeddings").fetchall())
    for claim_id, similarity in zip(found["claim_id"], found["similarity"]):
        assert similarity == pytest.approx(
            float(np.asarray(stored[sha[claim_id]]) @ vector), abs=1e-4
        )
    assert found["similarity"][0] == pytest.approx(1.0, abs=1e-4)


def test_claims_like_embeds_the_text_with_the_stores_model(sample_store):
    con = duckdb.connect(str(sample_store), read_only=True)
    (text,) = con.execute(
        "SELECT text FROM claims WHERE text LIKE '%internal affair%' ORDER BY claim_id LIMIT 1"
    ).fetchall()[0]
    result = cli(
        "query",
        "claims_like",
        "--db",
        sample_store,
        "--param",
        f"text={text}",
        "--param",
        "top=3",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 3 and rows[0]["text"] == text and rows[0]["similarity"] > 0.99
    assert rows[0]["similarity"] >= rows[1]["similarity"] >= rows[2]["similarity"]


def test_query_that_embeds_nothing_does_not_import_torch(sample_store):
    script = (
        "import sys\nfrom compare.cli import main\n"
        f"try:\n    main(['query', 'event_summary', '--db', {str(sample_store)!r}])\n"
        "except SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert "HEAVY []" in done.stdout


def test_delete_through_query_fails_and_changes_nothing(sample_copy):
    before = counts(sample_copy)
    for sql in ("delete from claims", "select 1; delete from claims", "copy claims to 'x.csv'"):
        result = cli("query", "--db", sample_copy, "--sql", sql)
        assert result.exit_code == 2, result.output
        assert "read-only SELECT" in result.output
    assert counts(sample_copy) == before
    assert not Path("x.csv").exists()


def test_unknown_query_lists_the_available_ones(sample_store):
    result = cli("query", "nope", "--db", sample_store)
    assert result.exit_code == 2
    assert "Unknown query 'nope'" in result.output
    assert all(name in result.output for name in NAMES)


def test_query_without_a_name_lists_the_queries(sample_store):
    result = cli("query", "--db", sample_store)
    assert result.exit_code == 0
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == NAMES
    assert [q.name for q in list_queries()] == NAMES


def test_unknown_and_missing_parameters_list_the_expected_ones(sample_store):
    result = cli("query", "distinctive_terms", "--db", sample_store, "--param", "limit=3")
    assert result.exit_code == 2
    assert "Unknown parameter 'limit'" in result.output
    assert all(p in result.output for p in ("event_id", "source", "min_z", "top"))
    result = cli("query", "claims_like", "--db", sample_store)
    assert result.exit_code == 2 and "needs the parameter 'vector'" in result.output
    assert "text" in result.output
    result = cli("query", "--db", sample_store, "--sql", "select * from claims where doc_id = $doc")
    assert result.exit_code == 2 and "needs the parameter 'doc'" in result.output
    result = cli("query", "most_divergent_groups", "--db", sample_store, "--param", "top=many")
    assert result.exit_code == 2 and "must be INTEGER" in result.output
    result = cli("query", "event_summary", "--db", sample_store, "--param", "event_id")
    assert result.exit_code == 2 and "NAME=VALUE" in result.output


def test_event_option_binds_event_id_and_unknown_events_are_named(sample_store):
    result = cli(
        "query", "event_summary", "--db", sample_store, "--event", EVENT, "--format", "json"
    )
    assert result.exit_code == 0
    assert [row["event_id"] for row in json.loads(result.stdout)] == [EVENT]
    result = cli("query", "event_summary", "--db", sample_store, "--event", "wagner")
    assert result.exit_code == 2
    assert "Unknown event 'wagner'" in result.output and EVENT in result.output


def test_sql_option_takes_named_params_and_the_event(sample_store):
    sql = "select count(*) as n from claims where event_id = $event_id and position < $p"
    result = cli(
        "query",
        "--db",
        sample_store,
        "--sql",
        sql,
        "--event",
        EVENT,
        "--param",
        "p=3",
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "n"
    assert int(result.stdout.splitlines()[1]) > 0


def test_a_query_file_of_ones_own_runs(sample_store, tmp_path):
    path = tmp_path / "mine.sql"
    path.write_text(
        "-- Purpose: documents per event\n-- Params:\n--   $event_id  VARCHAR  the event; NULL = all\n"
        "-- Returns: event_id, n\n"
        "SELECT event_id, count(*) AS n FROM documents"
        " WHERE ($event_id IS NULL OR event_id = $event_id) GROUP BY 1 ORDER BY 1;\n"
    )
    result = cli("query", path, "--db", sample_store, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["event_id,n", "wagner-2023,3", "xi-biden-2023,3"]


def test_formats_csv_json_table_and_parquet(sample_store, tmp_path):
    name = "most_divergent_groups"
    as_json = json.loads(cli("query", name, "--db", sample_store, "--format", "json").stdout)
    as_csv = list(
        csv.DictReader(
            io.StringIO(cli("query", name, "--db", sample_store, "--format", "csv").stdout)
        )
    )
    assert len(as_csv) == len(as_json) > 0
    assert json.loads(as_csv[0]["texts"]) == as_json[0]["texts"]  # lists as JSON in CSV
    table = cli("query", name, "--db", sample_store, env={"COLUMNS": "100"}).stdout
    assert all(len(line) <= 100 for line in table.splitlines())
    assert all(column in table for column in load_query(name).returns)
    narrow = cli("query", "event_summary", "--db", sample_store, env={"COLUMNS": "250"}).stdout
    assert narrow.count("\n") < 12 and "wagner-2023" in narrow  # one line per row when it fits
    result = cli("query", name, "--db", sample_store, "--format", "parquet")
    assert result.exit_code == 2 and "--output" in result.output
    out = tmp_path / "groups.parquet"
    result = cli("query", name, "--db", sample_store, "--format", "parquet", "--output", out)
    assert result.exit_code == 0, result.output
    assert pl.read_parquet(out).to_dicts() == as_json


def test_export_writes_one_folder_per_event_table_and_files_for_the_rest(sample_copy, tmp_path):
    out = tmp_path / "export"
    result = cli("export", out, "--db", sample_copy)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == len(store.EVENT_TABLES) + 2
    total = counts(sample_copy)
    for table in ("documents", "claims", "claim_pairs", "claim_groups", "omissions"):
        for event in ("wagner-2023", "xi-biden-2023"):
            assert list((out / table / f"event_id={event}").glob("*.parquet")), (table, event)
        rows = duckdb.sql(
            f"SELECT count(*) FROM read_parquet('{out / table}/*/*.parquet', hive_partitioning=true)"
        ).fetchall()[0][0]
        assert rows == total[table]
    assert pl.read_parquet(out / "embeddings.parquet").height == total["embeddings"]
    meta = pl.read_parquet(out / "meta.parquet").to_dicts()
    assert {"key": "schema_version", "value": store.SCHEMA_VERSION} in meta
    # exporting again replaces the previous export instead of adding files
    assert cli("export", out, "--db", sample_copy).exit_code == 0
    assert len(list((out / "claims" / f"event_id={EVENT}").glob("*.parquet"))) == 1
    (tmp_path / "file").write_text("x")
    assert cli("export", tmp_path / "file", "--db", sample_copy).exit_code == 2


def test_schema_version_mismatch_says_how_to_rebuild(sample_copy, tmp_path):
    con = duckdb.connect(str(sample_copy))
    con.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    con.close()
    for args in (["query", "event_summary"], ["export", tmp_path / "out"], ["events"]):
        result = cli(*args, "--db", sample_copy)
        assert result.exit_code == 2
        assert "schema version 0" in result.output and "Rebuild" in result.output
    result = cli("query", "event_summary", "--db", tmp_path / "missing.duckdb")
    assert result.exit_code == 2 and "No store at" in result.output


def test_events_json_is_the_same_data_as_the_table(sample_store):
    table = cli("events", "--db", sample_store)
    data = cli("events", "--db", sample_store, "--json")
    assert table.exit_code == data.exit_code == 0
    rows = json.loads(data.stdout)
    assert [r["event_id"] for r in rows] == ["wagner-2023", "xi-biden-2023"]
    lines = table.stdout.splitlines()
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows):
        for value in (
            row["event_id"],
            row["documents"],
            row["claims"],
            row["claim_pairs"],
            *row["sources"],
        ):
            assert str(value) in line


def test_a_store_without_the_views_is_told_to_rebuild(sample_copy):
    con = duckdb.connect(str(sample_copy))
    con.execute("DROP VIEW v_claim_pairs")
    con.close()
    result = cli("query", "aligned_claims", "--db", sample_copy)
    assert result.exit_code == 2
    assert "v_claim_pairs" in result.output and "Rebuild" in result.output


def test_docs_cover_every_table_column_view_and_query(tmp_path):
    docs = (Path(__file__).resolve().parents[1] / "docs" / "schema.md").read_text()
    con = store.open_store(tmp_path / "empty.duckdb")
    columns = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns ORDER BY ALL"
    ).fetchall()
    con.close()
    assert {t for t, _ in columns} >= {*store.EVENT_TABLES, "embeddings", "meta", *VIEWS}
    for table, column in columns:
        assert f"`{table}`" in docs, table
        assert column in docs, (table, column)
    for name in NAMES:
        assert f"`{name}`" in docs, name
