"""The HTML report without a browser: figures as plain plotly JSON, escaping, files, the index."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from compare import store
from compare.errors import InputError
from compare.report import build_report, figures, slug, slugs, write_reports
from compare.report.data import (
    event_batches,
    evidence_spans,
    load_event,
    read_events,
    short_labels,
    unique_labels,
)
from compare.report.markup import highlight, safe_url, script_json

pytest_plugins = ["tests.report_fixtures"]  # report_store; payloads are imported where used


class Page(HTMLParser):
    """Every tag with its attributes, and the text of every <script>."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._in_script: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "script":
            self._in_script = attrs
            self.scripts.append((attrs, ""))

    def handle_data(self, data):
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None


@pytest.fixture(scope="module")
def pages(report_store) -> dict[str, str]:
    con = store.open_store(report_store, read_only=True)
    try:
        return {e: build_report(con, e) for e in ("summit", "hostile")}
    finally:
        con.close()


# --- the page ------------------------------------------------------------------------------------


def test_write_reports_one_file_per_event_and_an_index(report_store, tmp_path):
    from tests.report_fixtures import XSS_IMG

    paths = write_reports(db=report_store, out=tmp_path / "out")
    assert [p.name for p in paths] == ["hostile.html", "lonely.html", "summit.html", "index.html"]
    index = paths[-1].read_text()
    assert 'href="./summit.html"' in index and 'href="./hostile.html"' in index
    assert "8 documents" in index  # key figures of each event
    assert XSS_IMG not in index
    scripts = Page(index).scripts  # the search box's own script alone, no source text in it
    assert len(scripts) == 1 and scripts[0][0] == {} and "index-search" in scripts[0][1]


def test_counts_read_as_english_on_every_page(report_store, tmp_path):
    """Issue 25: "1 document", "2 documents", never "1 documents" or "3 document", on the
    pages of one document (lonely), eight (summit) and the index."""
    import html
    import re

    nouns = r"(?:document|fact|source|claim|event report|more document|pair|omission)"
    for path in write_reports(db=report_store, out=tmp_path / "out"):
        page = re.sub(r"<(script|style)\b.*?</\1>", " ", path.read_text(), flags=re.DOTALL)
        text = html.unescape(re.sub(r"<[^>]+>", " ", page))
        text = re.sub(r"\s+", " ", text)
        assert not re.search(rf"(?<![\d.,])1 {nouns}s\b", text), path.name
        assert not re.search(rf"(?<![\d.,])(?:[02-9]|\d{{2,}}) {nouns}\b(?!s)", text), path.name
    assert "3 event reports" in text  # the index comes last


def test_index_also_lists_reports_already_in_the_out_folder(report_store, tmp_path):
    assert [p.name for p in write_reports(db=report_store, events=["summit"], out=tmp_path)] == [
        "summit.html"
    ]
    paths = write_reports(db=report_store, events=["hostile"], out=tmp_path)
    assert [p.name for p in paths] == ["hostile.html", "index.html"]
    assert 'href="./summit.html"' in paths[-1].read_text()


def test_unknown_event_names_the_available_ones(report_store, tmp_path):
    with pytest.raises(InputError) as err:
        write_reports(db=report_store, events=["x"], out=tmp_path)
    assert str(err.value) == (
        "Unknown event 'x'. Available: hostile, lonely, summit. Run 'narrative-compare events'."
    )
    assert not list(tmp_path.iterdir())


def test_report_command_exits_2_on_unknown_event(report_store, tmp_path):
    from compare.cli import main

    result = CliRunner().invoke(
        main, ["report", "nope", "--db", str(report_store), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "Error: Unknown event 'nope'. Available: hostile, lonely, summit." in result.output


def test_title_replaces_the_heading_and_keeps_the_event_id(report_store):
    con = store.open_store(report_store, read_only=True)
    html = build_report(con, "summit", title="Summit <coverage>")
    con.close()
    assert "<h1>Summit &lt;coverage&gt;</h1>" in html and "Event <code>summit</code>" in html


def test_one_document_event_has_nothing_to_pair(report_store):
    con = store.open_store(report_store, read_only=True)
    html = build_report(con, "lonely")
    con.close()
    assert "This event has one document: there is nothing to compare." in html
    assert 'id="nc-reading"' not in html and 'id="fig-coverage"' in html


def test_a_store_without_embeddings_or_alignments_still_reports(tmp_path):
    from compare.pipeline import ingest_into
    from tests.report_fixtures import write_events

    db = tmp_path / "ingested.duckdb"
    con = store.open_store(db)
    ingest_into(con, [write_events(tmp_path) / "summit"])
    (claims,) = con.execute("SELECT count(*) FROM claims WHERE kind = 'statement'").fetchone()
    con.close()
    paths = write_reports(db=db, out=tmp_path / "out")
    html = paths[0].read_text()
    assert paths[0].name == "summit.html"
    assert html.count('<details class="group"') == claims  # each statement its own fact


def test_page_is_self_contained_and_offline(pages):
    from plotly.offline import get_plotlyjs

    html = pages["summit"]
    page = Page(html)
    assert html.count(get_plotlyjs()) == 1  # the library once, not per figure
    ours = html.replace(get_plotlyjs(), "")
    assert not [a for tag, a in page.tags if "src" in a or tag == "link"]
    assert "cdn.plot.ly" not in ours and "mathjax" not in ours.lower()
    csp = next(
        a["content"] for t, a in page.tags if a.get("http-equiv") == "Content-Security-Policy"
    )
    assert "default-src 'none'" in csp
    assert len(html.encode()) < 6_000_000


def test_hostile_text_never_becomes_markup(pages):
    from tests.report_fixtures import XSS_IMG, XSS_SCRIPT

    html = pages["hostile"]
    page = Page(html)
    assert XSS_IMG not in html and XSS_SCRIPT not in html
    assert "&lt;img src=x onerror=" in html and "&lt;script&gt;window.__xss=2" in html
    assert not [(t, a) for t, a in page.tags if any(k.startswith("on") for k in a)]
    assert not [t for t, a in page.tags if t == "img"]
    hrefs = [a["href"] for t, a in page.tags if t == "a"]
    assert all(h.startswith(("#", "https://")) for h in hrefs), hrefs
    assert "javascript:window.__xss=3" in html  # the link is shown, as text
    for attrs, text in page.scripts:
        assert not text.strip().startswith("window.__xss"), attrs
        if attrs.get("type") == "application/json":
            json.loads(text)


def test_every_group_has_a_detail_and_the_tables_need_no_script(pages):
    from tests.report_fixtures import EIGHT

    html = pages["summit"]
    page = Page(html)
    groups = [a for t, a in page.tags if t == "details" and "group" in a.get("class", "")]
    assert [a["id"] for a in groups] == [f"g-{n}" for n in range(1, len(groups) + 1)]
    tables = html.split('<section id="documents">')[1].split("</section>")[0]
    for source, *_ in EIGHT:
        assert source in tables
    assert '<div class="filters" id="filters" hidden>' in html  # shown by the script only


def test_divergence_evidence_is_marked_after_escaping(pages):
    html = pages["hostile"]
    assert re.search(r'<mark class="k-speaker" title="[^"]*speaker[^"]*">&lt;(script|img)', html)
    summit = pages["summit"]
    assert '<mark class="k-number" title="number">45</mark>' in summit
    assert '<span class="badge k-hedging">hedging</span>' in summit


def test_groups_follow_the_first_documents_reading_order(report_store):
    con = store.open_store(report_store, read_only=True)
    event = load_event(con, "summit")
    con.close()
    first = event.docs[0]
    positions = [
        g.members[first.doc_id][0].position for g in event.groups if first.doc_id in g.members
    ]
    assert positions == sorted(positions)
    assert len(positions) == len({c.group_id for c in event.claims[first.doc_id]})
    assert [g.number for g in event.groups[: len(positions)]] == list(range(1, len(positions) + 1))


def test_events_read_a_batch_at_a_time_are_the_events_read_at_once(report_store):
    con = store.open_store(report_store, read_only=True)
    events = store.event_ids(con)
    whole = read_events(con, events)
    for claims in (1, 10**9):  # one event a batch; all of them in one
        batched = list(event_batches(con, events, store.event_sizes(con, events), claims))
        assert [f.event_id for f in batched] == events
        for frames in batched:
            expected = whole[frames.event_id]
            assert frames.model == expected.model
            for table in ("documents", "claims", "divergences", "omissions", "pairs", "terms"):
                assert getattr(frames, table).equals(getattr(expected, table)), table
    con.close()


def test_reading_view_holds_each_claim_and_each_pair_once(pages, report_store):
    page = Page(pages["summit"])
    data = json.loads(next(t for a, t in page.scripts if a.get("id") == "nc-reading"))
    con = duckdb.connect(str(report_store), read_only=True)
    claims = con.execute("SELECT count(*) FROM claims WHERE event_id = 'summit'").fetchone()[0]
    pairs = con.execute("SELECT count(*) FROM claim_pairs WHERE event_id = 'summit'").fetchone()[0]
    con.close()
    assert len(data["docs"]) == 8 and sum(len(d["claims"]) for d in data["docs"]) == claims
    links = data["links"]
    assert len(links) == 5 * pairs
    for k in range(0, len(links), 5):
        da, ia, db, ib, rel = links[k : k + 5]
        assert da != db and 0 <= rel < len(data["relations"])
        assert ia < len(data["docs"][da]["claims"]) and ib < len(data["docs"][db]["claims"])
    assert len(data["colors"]) == len(data["relations"])
    pickers = [a for t, a in page.tags if t == "select" and a.get("id") in ("read-a", "read-b")]
    assert len(pickers) == 2


def test_what_differs_comes_first(pages):
    html = pages["summit"]
    main = html.split("<main>", 1)[1]
    assert main.lstrip().startswith('<section id="what-differs">')
    brief = main.split('<section id="what-differs">')[1].split("</section>")[0]
    assert brief.count('<article class="diff">') >= 1
    assert "leaves out" in brief and "told by" in brief
    assert '<mark class="k-' in brief  # the changed words are marked


def test_coverage_rows_are_facts_and_a_paired_claim_is_never_absent(report_store, tmp_path):
    """Move one claim of an accepted pair into a fact of its own, as the cohesion rule may:
    the other document's cell of the pair's fact still shows it (not absent), linked to it."""
    from compare.report import views

    db = tmp_path / "split.duckdb"
    db.write_bytes(report_store.read_bytes())
    con = duckdb.connect(str(db))
    a, b = con.execute(
        "SELECT p.claim_a, p.claim_b FROM claim_pairs p JOIN claim_groups g ON g.claim_id = p.claim_b"
        " WHERE p.event_id = 'summit' AND (SELECT count(*) FROM claim_groups h"
        "  WHERE h.group_id = g.group_id AND h.doc_id = p.doc_b) = 1"
        " ORDER BY p.claim_a, p.claim_b LIMIT 1"
    ).fetchone()
    con.execute("UPDATE claim_groups SET group_id = 'split-off' WHERE claim_id = ?", [b])
    con.execute(  # a claim no pair holds becomes a heading: no longer a fact, so no row
        "UPDATE claims SET kind = 'heading' WHERE event_id = 'summit' AND claim_id NOT IN"
        " (SELECT claim_a FROM claim_pairs UNION SELECT claim_b FROM claim_pairs)"
    )
    con.close()
    con = store.open_store(db, read_only=True)
    event = load_event(con, "summit")
    by_id = event.claim_by_id
    group = event.group_by_id[by_id[a].group_id]
    cell = event.cell(group, by_id[b].doc_id)
    assert cell.status != "absent" and [c.claim_id for c in cell.claims] == [b]
    assert cell.elsewhere == [event.group_by_id["split-off"].number]
    for x, y in event.pairs.select("claim_a", "claim_b").iter_rows():
        for one, other in ((x, y), (y, x)):
            fact = event.group_by_id[by_id[one].group_id]
            assert event.cell(fact, by_id[other].doc_id).status != "absent"
    _, rows = views.coverage_cells(event)
    headings = [c for cs in event.claims.values() for c in cs if c.kind == "heading"]
    assert headings and all(c.group_id is None for c in headings)
    assert len(rows) == len(event.groups)
    assert not [r for r in rows for h in headings if r.endswith(h.text[:30])]
    html = build_report(con, "summit")
    con.close()
    assert "Paired outside this fact" in html


def test_plotly_shared_writes_one_file_the_pages_load(report_store, tmp_path):
    from plotly.offline import get_plotlyjs

    paths = write_reports(db=report_store, out=tmp_path, plotly="shared")
    assert [p.name for p in tmp_path.glob("*.js")] == ["plotly.min.js"]
    assert (tmp_path / "plotly.min.js").read_text() == get_plotlyjs()
    for path in paths[:-1]:
        html = path.read_text()
        page = Page(html)
        assert [a["src"] for t, a in page.tags if "src" in a] == ["plotly.min.js"]
        assert get_plotlyjs()[:2000] not in html and len(html.encode()) < 1_500_000
        csp = next(
            a["content"] for t, a in page.tags if a.get("http-equiv") == "Content-Security-Policy"
        )
        assert "default-src 'none'" in csp and "http" not in csp and "*" not in csp


def test_plotly_default_inline_for_one_shared_for_several(report_store, tmp_path):
    one = write_reports(db=report_store, events=["summit"], out=tmp_path / "one")
    assert 'src="plotly.min.js"' not in one[0].read_text()
    assert not list((tmp_path / "one").glob("*.js"))
    several = write_reports(db=report_store, out=tmp_path / "several")
    assert (tmp_path / "several" / "plotly.min.js").exists()
    assert 'src="plotly.min.js"' in several[0].read_text()
    inline = write_reports(db=report_store, out=tmp_path / "inline", plotly="inline")
    assert not list((tmp_path / "inline").glob("*.js")) and len(inline) == 4
    with pytest.raises(InputError):
        write_reports(db=report_store, out=tmp_path, plotly="cdn")


def test_report_command_takes_plotly(report_store, tmp_path):
    from compare.cli import main

    result = CliRunner().invoke(
        main,
        [
            "report",
            "summit",
            "--db",
            str(report_store),
            "--out",
            str(tmp_path),
            "--plotly",
            "shared",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "plotly.min.js").exists()


def test_report_does_not_load_a_model(report_store, tmp_path):
    code = (
        "import sys; from compare.report import write_reports;"
        f" write_reports(db={str(report_store)!r}, events=['summit'], out={str(tmp_path)!r});"
        " bad = {'torch', 'sentence_transformers'} & set(sys.modules); assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


def test_slugs_are_file_names_and_stay_distinct():
    import hashlib

    def tag(event_id):
        return hashlib.sha256(event_id.encode()).hexdigest()[:8]

    assert slug("wagner-2023") == "wagner-2023"  # an id that is already a file name stays as it is
    assert slug("Wagner 2023/x") == f"wagner-2023-x-{tag('Wagner 2023/x')}"
    assert slug("<script>") == f"script-{tag('<script>')}"
    assert slug("...") == f"event-{tag('...')}"
    # 'A b' and 'a-b' never share a file, whichever store or run they come from (issue 18)
    assert slugs(["A b", "a-b", "c"]) == {"A b": f"a-b-{tag('A b')}", "a-b": "a-b", "c": "c"}
    assert slugs(["A b"]) == {"A b": slug("A b")}


# --- markup ----------------------------------------------------------------------------------------


def test_highlight_escapes_then_marks_overlapping_spans():
    text = "<b>40</b> fishermen & more"
    out = str(highlight(text, [(0, 9, "number"), (3, 5, "entity")], [(10, 19)]))
    assert out == (
        '<mark class="k-number" title="number">&lt;b&gt;</mark>'
        '<mark class="k-entity" title="entity, number">40</mark>'
        '<mark class="k-number" title="number">&lt;/b&gt;</mark> '
        '<span class="u">fishermen</span> &amp; more'
    )


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://example.org/a?b=1", True),
        ("http://example.org", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//example.org", False),
        ("/relative", False),
        ("https://exa mple.org", False),
        (None, False),
    ],
)
def test_only_http_links(url, ok):
    assert (safe_url(url) is not None) is ok


def test_script_json_cannot_close_its_tag():
    text = str(script_json({"t": "</script><script>alert(1)</script> & \u2028"}))
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text)["t"].startswith("</script>")


def test_evidence_spans_are_checked_against_the_text():
    text = "Norland will release 45 fishermen."
    assert evidence_spans(json.dumps([[21, 23, "45"]]), text) == [(21, 23)]
    assert evidence_spans(json.dumps([[0, 2, "45"]]), text) == [(21, 23)]  # moved to its text
    assert evidence_spans(json.dumps([[30, 99, "x"], [5, 2], ["a", 3]]), text) == []
    assert evidence_spans("not json", text) == [] and evidence_spans(None, text) == []


def test_labels_are_unique_and_short():
    assert unique_labels(["Reuters", "Reuters", "AFP"], ["r1", "r2", "a"]) == [
        "Reuters (r1)",
        "Reuters (r2)",
        "AFP",
    ]
    mfa = "Ministry of Foreign Affairs of the "
    names = [mfa + "People's Republic of China", mfa + "Russian Federation", "AFP"]
    # cut at the end on a word boundary, never from the start; two cut alike go on to where they differ
    assert short_labels(names) == [
        "Ministry of Foreign Affairs of the People's…",
        "Ministry of Foreign Affairs of the Russian…",
        "AFP",
    ]
    assert short_labels(names, ["Beijing (MFA)", " ", None]) == [
        "Beijing (MFA)",
        "Ministry of Foreign Affairs…",
        "AFP",
    ]
    assert short_labels(["The Government of Norland Press Office"]) == [
        "The Government of Norland…"
    ]
    same = short_labels(["x" * 40, "x" * 40])
    assert same == ["x" * 27 + "…"] * 2  # one outlet twice: unique_labels adds the doc_ids
    assert unique_labels(same, ["d1", "d2"]) == [f"{same[0]} (d1)", f"{same[0]} (d2)"]


def test_words_a_reader_sees():
    from compare.text import cut_words, noun, plural, whole_words

    assert cut_words("comprehensive strategic partner of coordination", 30) == (
        "comprehensive strategic…"
    )
    assert cut_words("a  b\nc", 10) == "a b c"
    assert cut_words("Supercalifragilistic", 8) == "Superca…"
    text = "The relationship is based on non-alliance and well-being -- not more."
    for cue in ("non", "being", "not", "relation"):
        start = text.index(cue)
        assert text[slice(*whole_words(text, start, start + len(cue)))] in (
            "non-alliance",
            "well-being",
            "not",
            "relationship",
        )
    assert [plural(n, "source") for n in (0, 1, 2)] == ["0 sources", "1 source", "2 sources"]
    assert plural(1, "fact") == "1 fact" and noun("tells", 2, "tell") == "tell"


# --- figures -------------------------------------------------------------------------------------


def array(value) -> np.ndarray:
    """A figure dict's array: plotly encodes numpy arrays as {'dtype', 'bdata', 'shape'}."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(n) for n in str(value.get("shape", len(flat))).split(",")])
    return np.asarray(value)


def test_coverage_matrix_cells_hover_and_anchors():
    cells = pl.DataFrame(
        {
            "group": ["F1 · a", "F1 · a", "F2 · b"],
            "anchor": ["g-1", "g-1", "g-2"],
            "doc": ["A", "B", "A"],
            "status": ["same", "conflict", "only"],
            "wording": ["Forty <b>men</b>", "Forty-five men", "It may rain"],
        }
    )
    trace = figures.coverage_matrix(cells, ["A", "B"], ["F1 · a", "F2 · b"])["data"][0]
    assert array(trace["z"]).tolist() == [[2, 7], [1, 0]]  # STATUSES: same 2, conflict 7
    assert trace["y"] == ["F1 · a", "F2 · b"] and trace["x"] == ["A", "B"]
    assert trace["hovertext"][0][0] == "Forty &lt;b&gt;men&lt;/b&gt;"
    assert trace["text"][1][1] == "absent" and trace["hovertext"][1][1] == ""
    assert trace["customdata"][1][0] == "g-2"
    assert trace["zmin"] == -0.5 and trace["zmax"] == 7.5


def test_distinctive_terms_one_panel_per_document():
    terms = pl.DataFrame(
        {
            "doc": ["A", "A", "A", "B"],
            "term": ["talks", "<b>", "minor", "islands"],
            "count": [5, 3, 1, 4],
            "log_odds": [1.2, 0.8, -0.5, 1.0],
            "z": [3.0, 2.0, -1.0, 2.5],
        }
    )
    fig = figures.distinctive_terms(terms)
    a, b = fig["data"]
    assert list(a["y"]) == ["&lt;b&gt;", "talks"]  # positive z only, largest on top
    assert list(b["y"]) == ["islands"]
    assert [ann["text"] for ann in fig["layout"]["annotations"]] == ["A", "B"]


def test_speaker_share_sums_to_100_with_own_voice_first():
    shares = pl.DataFrame(
        {
            "doc": ["A", "A", "A", "B", "B"],
            "speaker": ["own voice", "Qin Gang", "<script>", "own voice", "Rudenko"],
            "chars": [50, 30, 20, 10, 30],
        }
    )
    fig = figures.speaker_share(shares)
    names = [t["name"] for t in fig["data"]]
    assert names[0] == "own voice" and "&lt;script&gt;" in names
    totals = np.sum([array(t["x"]).astype(float) for t in fig["data"]], axis=0)
    assert totals.tolist() == pytest.approx([100, 100])
    assert fig["layout"]["barmode"] == "stack"


def test_agreement_matrix_leaves_the_diagonal_empty():
    share = np.array([[np.nan, 0.5], [1.0, np.nan]])
    trace = figures.agreement_matrix(["A", "B"], share)["data"][0]
    assert trace["z"] == [[None, 0.5], [1.0, None]]


def test_agreement_is_the_share_of_claims_with_a_counterpart(report_store):
    con = duckdb.connect(str(report_store), read_only=True)
    event = load_event(con, "summit")
    share = event.agreement()
    i, j = 0, 1
    a, b = event.docs[i].doc_id, event.docs[j].doc_id
    (expected,) = con.execute(
        "SELECT count(DISTINCT c.claim_id) FILTER (WHERE p.claim_a IS NOT NULL) / count(DISTINCT c.claim_id)"
        " FROM claims c LEFT JOIN claim_pairs p ON (p.claim_a = c.claim_id AND p.doc_b = $b)"
        " OR (p.claim_b = c.claim_id AND p.doc_a = $b) WHERE c.doc_id = $a",
        {"a": a, "b": b},
    ).fetchone()
    con.close()
    assert share[i, j] == pytest.approx(expected)
    assert np.isnan(share[i, i])


# --- the words on the page (issue 25) ------------------------------------------------------------

NORLAND = "Ministry of Foreign Affairs of the Republic of Norland"
SUDIA = "Ministry of Foreign Affairs of the Kingdom of Sudia"


def _doc(source: str | None, sentences: list[int], label: str | None = None) -> str:
    head = (
        "---\n" + (f"source: {source}\n" if source else "") + (f"label: {label}\n" if label else "")
    )
    return head + "date: 2024-03-04\n---\n" + " ".join(STORY_LINES[i] for i in sentences) + "\n"


STORY_LINES = [
    "Leaders of Norland and Sudia met in Geneva on Monday for three hours of talks.",
    "The two sides agreed to reopen the border crossing at Kestrel Pass.",
    "Norland will release 40 detained fishermen before the end of the month.",
    "Sudia said the talks were frank and constructive.",
    "Both governments pledged to resume direct flights between their capitals.",
    "A joint commission on water rights will meet in March.",
    "The agreement does not address the disputed islands, which remain a source of tension.",
    "Analysts said the meeting marked a thaw after two years of tension.",
    "Norland will release 45 detained fishermen before the end of the month.",
    "Leaders of Norland and Sudia met in Geneva on Monday for four hours of talks.",
]


def visible_text(html: str) -> str:
    """The page's words as a reader sees them: no script, style or tag; spaces collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    import html as html_lib

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


BROKEN = re.compile(r"\(\s*\)|\(\s*,|,\s*\)|all \)|\ball\s*\)|\(\s*all\b")
# a count and its noun must agree: "1 facts", "2 fact" (a noun then "s" or not)
NOUNS = r"(?:claim|fact|document|source|aligned pair|more document)"
SINGULAR_WRONG = re.compile(rf"(?<![\d.,/])1 {NOUNS}s\b")
PLURAL_WRONG = re.compile(rf"(?<![\d.,])(?:0|[2-9]|\d\d+) {NOUNS}\b(?!s)")


def _check_words(html: str) -> str:
    text = visible_text(html)
    assert not BROKEN.search(text), BROKEN.search(text)
    assert not SINGULAR_WRONG.search(text), SINGULAR_WRONG.search(text)
    assert not PLURAL_WRONG.search(text), PLURAL_WRONG.search(text)
    assert "…People" not in text and "…Republic" not in text and "…Kingdom" not in text
    return text


@pytest.mark.parametrize(
    "documents",
    [
        # two documents, long sources without labels: cut at the end, full name on hover
        {"norland.md": _doc(NORLAND, [0, 1, 2, 3, 4, 5]), "sudia.md": _doc(SUDIA, [9, 1, 8, 6])},
        # three documents, one labelled; one document leaves out more than the brief shows
        {
            "norland.md": _doc(NORLAND, [0, 1, 2, 3, 4, 5, 6, 7]),
            "sudia.md": _doc(SUDIA, [9, 1, 8, 3, 4, 5, 6, 7]),
            "wire.md": _doc("Norland News Agency wire service", [0, 7], label="Wire"),
        },
    ],
    ids=["two-documents", "three-documents"],
)
def test_page_words_read_as_english(hash_store, documents):
    db = hash_store(documents, event="words")
    con = store.open_store(db, read_only=True)
    try:
        html = build_report(con, "words")
    finally:
        con.close()
    text = _check_words(html)
    n = len(documents)
    assert f"{n} documents" in text
    assert (
        "Ministry of Foreign Affairs of the Republic…" in text
    )  # two alike: cut where they differ
    assert "Ministry of Foreign Affairs of the Kingdom…" in text
    assert 'Ministry of Foreign Affairs… "' not in text  # reasons tell the two apart too
    assert '"ten"' not in text  # no number inside "tension"
    assert "(leaves out" not in text  # "X leaves out: ... (a position ...)", said once
    # the full name on hover of every shortened label
    assert f'title="{NORLAND}"' in html and f'title="{SUDIA}"' in html
    if n == 3:
        assert "Wire" in text and "Norland News Agency wire service" in text  # documents table
        assert re.search(r"leaves out \d+ facts others tell; the 3 weighing most:", text)


def test_summit_page_words_read_as_english(pages):
    """The 8-document page: '1 more document tells it', 'n more documents tell it', counts."""
    for html in pages.values():
        _check_words(html)


def test_every_figure_spec_is_a_valid_plotly_figure(report_store):
    """The specs skip plotly's validation on the page; plotly accepts each as it is here."""
    import plotly.graph_objects as go

    from compare.report import views

    con = store.open_store(report_store, read_only=True)
    event = load_event(con, "summit")
    con.close()
    cells, rows = views.coverage_cells(event)
    names = [d.short for d in event.docs]
    terms = event.terms.with_columns(doc=pl.col("doc_id"))
    specs = [
        figures.coverage_matrix(cells, names, rows),
        figures.agreement_matrix(names, event.agreement()),
        figures.speaker_share(views.speaker_frame(event)),
        figures.distinctive_terms(terms),
    ]
    for spec in specs:
        fig = go.Figure(spec)  # raises on a property plotly does not know
        assert fig.layout.height == spec["layout"]["height"]
        assert len(fig.data) == len(spec["data"])
    json.dumps(specs)  # plain JSON: no numpy in them


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 9, 14])
def test_terms_panels_are_laid_out_as_make_subplots_lays_them(n):
    from plotly.subplots import make_subplots

    cols = min(4, n)
    rows = -(-n // cols)
    vertical = 0.18 / max(1, rows - 1) if rows > 1 else 0.1
    titles = [f"doc {i}" for i in range(n)]
    theirs = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        horizontal_spacing=0.12,
        vertical_spacing=vertical,
    ).to_dict()["layout"]
    theirs.pop("template")
    assert figures._grid(rows, cols, 0.12, vertical, titles) == theirs


def test_two_workers_write_the_same_pages_as_one(hundred_store, tmp_path, monkeypatch):
    """Pages built on two worker processes are byte for byte those built in this process."""
    import compare.report

    monkeypatch.setattr(compare.report, "_now", lambda: "2026-01-01 00:00 UTC")
    one = write_reports(db=hundred_store, out=tmp_path / "one", workers=1)
    two = write_reports(db=hundred_store, out=tmp_path / "two", workers=2)
    assert [p.name for p in one] == [p.name for p in two] and len(one) == 101
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == sorted(
        [p.name for p in two] + ["plotly.min.js"]
    )  # the staging folder is gone


@pytest.mark.parametrize("letters", ["abé’<&.", "ab-é’<&"])  # the fast path, and textwrap's
@settings(max_examples=300, deadline=None)
@given(data=st.data(), width=st.integers(min_value=1, max_value=40))
def test_hover_wrap_is_textwraps(letters, data, width):
    import textwrap

    from compare.report.markup import wrap

    text = " ".join(
        " ".join(data.draw(st.lists(st.text(letters, max_size=12), max_size=30))).split()
    )
    assert wrap(text, width) == textwrap.wrap(text, width)
