"""Source profile pages in headless Chromium (issue 28), on the readouts DEV store: figures drawn,
no console error, no request leaving the page, and every count on the page equal to the SQL
views' (v_source_pair, v_source_profile). `UPDATE_SCREENSHOT=1` refreshes docs/profile.png."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from compare.cli import main
from tests.conftest import need_eval
from tests.test_report_browser import Opened

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

CELLS = """sel => Array.from(document.querySelectorAll(sel + ' tbody tr')).map(tr =>
  Object.fromEntries(Array.from(tr.querySelectorAll('[data-col]')).map(td =>
    [td.dataset.col, td.textContent.trim()])))"""


@pytest.fixture(scope="module")
def readouts(tmp_path_factory) -> tuple[Path, Path]:
    folder = need_eval("readouts")
    out = tmp_path_factory.mktemp("profiles")
    db = out / "readouts.duckdb"
    runner = CliRunner()
    result = runner.invoke(
        main, ["run", str(folder / "documents.jsonl"), "--db", str(db), "--out", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    for extra in ([], ["--against", "ua_president"]):
        result = runner.invoke(
            main, ["profile", "us_white_house", *extra, "--db", str(db), "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
    return db, out


def _view(db: Path, sql: str, *params) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rel = con.execute(sql, list(params))
        names = [d[0] for d in rel.description]
        return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]
    finally:
        con.close()


def _as_text(rows: list[dict]) -> list[dict]:
    return [{k: str(v) for k, v in r.items()} for r in rows]


@pytest.mark.parametrize("against", [None, "ua_president"])
def test_profile_page_renders_and_equals_the_views(browser, readouts, against, tmp_path):
    db, out = readouts
    name = "profile-us_white_house" + (f"-vs-{against}" if against else "")
    opened = Opened(browser, out / f"{name}.html")
    figs = opened.figures()
    assert (
        figs
        and all(figs.values())
        and {"fig-coverage", "fig-relations", "fig-timeline"} <= set(figs)
    )
    page = opened.page
    other = "AND lower(other_source) = lower(?)" if against else ""
    params = ("us_white_house", against) if against else ("us_white_house",)
    coverage = _view(
        db,
        "SELECT min(other_source) AS other_source, count(DISTINCT event_id) AS events,"
        " sum(other_facts) AS other_facts, sum(shared_facts) AS shared_facts,"
        " sum(omissions) AS omissions FROM v_source_pair WHERE source = ?"
        f" AND other_source <> source {other} GROUP BY lower(other_source)"
        " ORDER BY other_facts DESC, other_source",
        *params,
    )
    shown = [{k: r[k] for k in coverage[0]} for r in page.evaluate(CELLS, "#t-coverage")]
    assert shown == _as_text(coverage)
    relations = _view(
        db,
        "SELECT min(other_source) AS other_source, sum(same) AS same, sum(aligned) AS aligned,"
        " sum(reworded) AS reworded, sum(elaborated) AS elaborated, sum(framed) AS framed,"
        " sum(conflict) AS conflict FROM v_source_pair WHERE source = ?"
        f" AND other_source <> source {other} GROUP BY lower(other_source)",
        *params,
    )
    for row in page.evaluate(CELLS, "#t-relations"):
        view = next(r for r in relations if r["other_source"] == row["other_source"])
        assert all(str(view[k]) == v for k, v in row.items())
    timeline = _view(
        db,
        "SELECT other_source, other_facts, shared_facts, firm_pairs, differing, conflict,"
        " omissions FROM v_source_pair WHERE source = ?"
        f" AND other_source <> source {other} ORDER BY date, event_id, other_source",
        *params,
    )
    assert page.evaluate(CELLS, "#t-timeline") == _as_text(timeline)
    if against is None:
        (summary,) = _view(
            db,
            "SELECT documents, facts, other_facts, shared_facts, firm_pairs, conflicts, omissions"
            " FROM v_source_profile WHERE source = ?",
            "us_white_house",
        )
        cells = page.evaluate(
            "Object.fromEntries(Array.from(document.querySelectorAll('#summary [data-col]'))"
            ".map(b => [b.dataset.col, b.textContent.trim()]))"
        )
        assert cells == _as_text([summary])[0]
        page.evaluate("window.scrollTo(0, 0)")
        opened.screenshot(tmp_path / "profile.png")
        if os.environ.get("UPDATE_SCREENSHOT") == "1":
            opened.screenshot(ROOT / "docs" / "profile.png")
    assert opened.problems == []


def test_index_links_the_profiles(browser, readouts):
    _, out = readouts
    page = browser.new_page()
    page.goto((out / "index.html").as_uri())
    links = page.eval_on_selector_all(".profiles a", "as => as.map(a => a.getAttribute('href'))")
    assert links == [
        "./profile-us_white_house-vs-ua_president.html",
        "./profile-us_white_house.html",
    ]
