"""Shared fixtures: the sample store is built once per session with the real bundled model.

Tests that load the real model, start Ray or open a browser are marked `slow` here (by the fixtures
they use or their module), so `make test-fast` (`pytest -m "not slow"`) skips them while editing;
`make test` and CI run everything. A test that loads the real model by other means carries
`@pytest.mark.slow` itself.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "events" / "wagner-2023"
EVENTS = ROOT / "data" / "events"


SLOW_FIXTURES = {"real_embedder", "sample_store", "sample_copy", "cluster", "browser"}
SLOW_MODULES = {
    "test_engine_ray",
    "test_eval",
    "test_eval_divergence",
    "test_eval_grouping",
    "test_report_browser",
}


def pytest_collection_modifyitems(items):
    for item in items:
        module = item.module.__name__.rpartition(".")[2] if item.module else ""
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or module in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


CHROMIUM = Path(os.environ.get("NARRATIVE_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [  # DESIGN.md; Playwright adds --headless and takes --user-data-dir as an argument
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(reason: str, command: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; the browser test must run in CI. {command}")
    pytest.skip(command)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Debian's headless Chromium driven by Playwright, at 1280x900: fails in CI when missing."""
    if not CHROMIUM.exists():
        _missing(f"Chromium is missing at {CHROMIUM}", "run: sudo apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is missing", "run: .venv/bin/pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


def eval_dir() -> Path:
    return Path(os.environ.get("NARRATIVE_EVAL_DIR", ROOT.parent / "shared" / "eval"))


MARKERS = {"tatoeba": "tatoeba.cmn-eng.eng"}  # datasets without a documents.jsonl


def need_eval(dataset: str) -> Path:
    """The eval folder; missing data fails in CI and skips (with the reason) elsewhere."""
    folder = eval_dir() / dataset
    if not (folder / MARKERS.get(dataset, "documents.jsonl")).exists():
        message = f"eval data missing: {folder} (set NARRATIVE_EVAL_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return folder


def eval_json(dataset: str, *args: str) -> dict:
    """`narrative-compare eval DATASET <its eval folder> ARGS --json`, in process: its one line
    of JSON (progress goes to stderr)."""
    import json

    from click.testing import CliRunner

    from compare.cli import main

    result = CliRunner().invoke(main, ["eval", dataset, str(need_eval(dataset)), *args, "--json"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout  # exactly one line of JSON
    return json.loads(lines[0])


def write(path: Path, content: str | bytes) -> Path:
    """Write text (UTF-8) or bytes, making the folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def counts(db: Path) -> dict[str, int]:
    """Row counts of every table: equal before and after a command that failed."""
    from compare import store

    con = store.open_store(db, read_only=True)
    try:
        return store.table_counts(con)
    finally:
        con.close()


def snapshot(db: Path) -> dict[str, tuple[int, str]]:
    """(row count, digest of the rows) of every table: equal before and after a command that
    failed. The digest is order-free and covers every column, so an update in place shows too."""
    from compare import store

    con = store.open_store(db, read_only=True)
    try:
        tables = [*store.EVENT_TABLES, "embeddings", "meta"]
        return {
            table: con.execute(
                f"SELECT count(*), coalesce(md5(string_agg(h, ',' ORDER BY h)), '')"
                f" FROM (SELECT md5(t::VARCHAR) AS h FROM {table} t)"
            ).fetchall()[0]
            for table in tables
        }
    finally:
        con.close()


@pytest.fixture(scope="session")
def real_embedder():
    from compare.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory, real_embedder) -> Path:
    """Both English sample events ingested, embedded with the real model and aligned (the
    multilingual one, data/events/wang-lavrov-2024, is tests/test_multilingual.py's). Copy before
    mutating."""
    from compare import store
    from compare.pipeline import align_store, ingest_into

    db = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    con = store.open_store(db)
    ingest_into(con, [SAMPLE, EVENTS / "xi-biden-2023"])  # the English events
    align_store(con, real_embedder)
    con.close()
    return db


@pytest.fixture
def sample_copy(sample_store, tmp_path) -> Path:
    db = tmp_path / "copy.duckdb"
    shutil.copy(sample_store, db)
    return db


@pytest.fixture
def hash_store(tmp_path):
    """Build a store from {name: text} documents with the fast deterministic embedder."""
    from compare import store
    from compare.embed import HashEmbedder
    from compare.pipeline import align_store, ingest_into

    def build(documents: dict[str, str], event: str = "event-x") -> Path:
        folder = tmp_path / event
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in documents.items():
            (folder / name).write_text(text, encoding="utf-8")
        db = tmp_path / f"{event}.duckdb"
        con = store.open_store(db)
        ingest_into(con, [folder])
        align_store(con, HashEmbedder())
        con.close()
        return db

    return build
