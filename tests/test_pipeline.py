"""End to end on the sample event with the real bundled model: the must-show alignments."""

from __future__ import annotations

import importlib
import subprocess
import sys

import duckdb

from compare import store
from compare.embed import HashEmbedder
from compare.pipeline import align_store, ingest_into
from tests.conftest import EVENTS, SAMPLE, snapshot

STABILITY_BEIJING = "supports Russia in protecting national stability"
STABILITY_MOSCOW = "expressed support for the efforts of the leadership of the Russian Federation"
INTERNAL_AFFAIR = "internal affair"


def claim_ids(con, source_like: str, text_like: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT c.claim_id FROM claims c JOIN documents d USING (doc_id)"
            " WHERE d.source LIKE ? AND c.text LIKE ?",
            [f"%{source_like}%", f"%{text_like}%"],
        ).fetchall()
    ]


def test_beijing_stability_claim_pairs_with_moscow_stabilise_claim(sample_store):
    con = duckdb.connect(str(sample_store), read_only=True)
    (beijing,) = claim_ids(con, "People's Republic of China", STABILITY_BEIJING)
    (moscow,) = claim_ids(con, "Russian Federation", STABILITY_MOSCOW)
    pairs = con.execute(
        "SELECT score, method FROM claim_pairs WHERE (claim_a, claim_b) IN ((?, ?), (?, ?))",
        [beijing, moscow, moscow, beijing],
    ).fetchall()
    assert len(pairs) == 1
    # No omission row may contradict the accepted pair.
    assert con.execute(
        "SELECT count(*) FROM omissions o JOIN claims c ON c.claim_id = ?"
        " WHERE o.claim_id = ? AND o.missing_in_doc = c.doc_id",
        [moscow, beijing],
    ).fetchall() == [(0,)]


def best_partner(con, claim_id: str, doc_id: str) -> str | None:
    """The claim of `doc_id` with the highest accepted score with `claim_id`."""
    rows = con.execute(
        "SELECT CASE WHEN claim_a = $c THEN claim_b ELSE claim_a END FROM claim_pairs"
        " WHERE (claim_a = $c AND doc_b = $d) OR (claim_b = $c AND doc_a = $d)"
        " ORDER BY score DESC LIMIT 1",
        {"c": claim_id, "d": doc_id},
    ).fetchall()
    return rows[0][0] if rows else None


def doc_of(con, claim_id: str) -> str:
    return con.execute("SELECT doc_id FROM claims WHERE claim_id = ?", [claim_id]).fetchall()[0][0]


def test_stability_claims_are_each_others_best_partner(sample_store):
    con = duckdb.connect(str(sample_store), read_only=True)
    (beijing,) = claim_ids(con, "People's Republic of China", STABILITY_BEIJING)
    (moscow,) = claim_ids(con, "Russian Federation", STABILITY_MOSCOW)
    assert best_partner(con, beijing, doc_of(con, moscow)) == moscow
    assert best_partner(con, moscow, doc_of(con, beijing)) == beijing


def test_internal_affair_best_margin_in_moscow_stays_below_the_threshold(sample_store):
    # Beijing's "This is Russia's internal affair." has no counterpart in Moscow's readout: its
    # best margin there is under the acceptance threshold by a clear margin.
    import numpy as np
    import polars as pl

    from compare.align import AlignConfig, _best_by_margin, _Event

    con = duckdb.connect(str(sample_store), read_only=True)
    (beijing,) = claim_ids(con, "People's Republic of China", "This is Russia's internal affair")
    (moscow,) = claim_ids(con, "Russian Federation", STABILITY_MOSCOW)
    claims = pl.from_arrow(
        con.sql(
            "SELECT c.claim_id, c.doc_id, c.text, e.vector FROM claims c JOIN embeddings e"
            " USING (text_sha256) WHERE c.event_id = 'wagner-2023' AND c.kind = 'statement'"
        ).to_arrow_table()
    )
    event = _Event(claims, np.array(claims["vector"].to_list(), dtype=np.float32), AlignConfig())
    _, margin, _ = _best_by_margin(event)
    row = event.ids.index(beijing)
    moscow_doc = event.doc_names.index(doc_of(con, moscow))
    assert margin[row, moscow_doc] <= AlignConfig().threshold - 0.05


def test_afp_internal_affair_is_not_paired_with_moscows_meeting_sentence(sample_store):
    con = duckdb.connect(str(sample_store), read_only=True)
    (afp,) = claim_ids(con, "AFP", INTERNAL_AFFAIR)
    (meeting,) = claim_ids(con, "Russian Federation", "met with Minister of Foreign Affairs")
    assert con.execute(
        "SELECT count(*) FROM claim_pairs WHERE (claim_a, claim_b) IN ((?, ?), (?, ?))",
        [afp, meeting, meeting, afp],
    ).fetchall() == [(0,)]


def paired(con, a: str, b: str) -> bool:
    return con.execute(
        "SELECT count(*) FROM claim_pairs WHERE (claim_a, claim_b) IN ((?, ?), (?, ?))",
        [a, b, b, a],
    ).fetchall() != [(0,)]


def partners_in(con, claim_id: str, source_like: str) -> list[str]:
    """The claims of the document of `source_like` paired with `claim_id`."""
    return [
        r[0]
        for r in con.execute(
            "SELECT c.text FROM claim_pairs p JOIN claims c"
            " ON c.claim_id = CASE WHEN p.claim_a = $c THEN p.claim_b ELSE p.claim_a END"
            " JOIN documents d ON d.doc_id = c.doc_id"
            " WHERE $c IN (p.claim_a, p.claim_b) AND d.source LIKE $s",
            {"c": claim_id, "s": f"%{source_like}%"},
        ).fetchall()
    ]


def test_the_meeting_fact_holds_the_three_meeting_sentences_and_not_another_meeting(sample_store):
    con = duckdb.connect(str(sample_store), read_only=True)
    (moscow,) = claim_ids(con, "Russian Federation", "met with Minister of Foreign Affairs")
    (beijing,) = claim_ids(con, "People's Republic of China", "Qin Gang met with Russian Deputy")
    (afp,) = claim_ids(con, "AFP", "Qin Gang met with Russia's deputy")
    (ma_zhaoxu,) = claim_ids(con, "Russian Federation", "Ma Zhaoxu")
    (group,) = con.execute(
        "SELECT list(claim_id) FROM claim_groups WHERE group_id ="
        " (SELECT group_id FROM claim_groups WHERE claim_id = ?)",
        [moscow],
    ).fetchall()[0]
    assert {moscow, beijing, afp} <= set(group) and ma_zhaoxu not in group
    assert partners_in(con, ma_zhaoxu, "People's Republic of China") == []


def test_the_answer_on_an_internal_affair_pairs_with_afp_and_nothing_in_moscow(sample_store):
    con = duckdb.connect(str(sample_store), read_only=True)
    (answer,) = claim_ids(con, "People's Republic of China", "This is Russia's internal affair")
    assert con.execute("SELECT text FROM claims WHERE claim_id = ?", [answer]).fetchall() == [
        ("This is Russia's internal affair.",)  # the "Answer:" label is not part of the claim
    ]
    (afp,) = claim_ids(con, "AFP", INTERNAL_AFFAIR)
    assert paired(con, answer, afp)
    assert partners_in(con, answer, "Russian Federation") == []


def test_xi_biden_shared_points_pair_and_the_one_sided_do_not(sample_store):
    con = duckdb.connect(str(sample_store), read_only=True)
    (wh_drugs,) = claim_ids(con, "White House", "working group on counternarcotics")
    (cn_drugs,) = claim_ids(con, "Ministry of Foreign Affairs", "counternarcotics cooperation")
    assert paired(con, wh_drugs, cn_drugs)
    (wh_ai,) = claim_ids(con, "White House", "risks of advanced AI systems")
    (cn_ai,) = claim_ids(con, "Ministry of Foreign Affairs", "dialogue on artificial intelligence")
    (wire_ai,) = claim_ids(con, "Newswire", "talks on the risks of artificial intelligence")
    assert paired(con, wh_ai, cn_ai) and paired(con, wh_ai, wire_ai) and paired(con, cn_ai, wire_ai)
    (rights,) = claim_ids(con, "White House", "human rights abuses")
    assert partners_in(con, rights, "Ministry of Foreign Affairs") == []


def test_no_heading_question_or_meta_is_paired_or_grouped(sample_store):
    con = duckdb.connect(str(sample_store), read_only=True)
    kinds = dict(con.execute("SELECT kind, count(*) FROM claims GROUP BY kind").fetchall())
    assert kinds.get("heading", 0) >= 3 and kinds.get("question", 0) >= 1
    assert con.execute(
        "SELECT count(*) FROM claim_pairs p JOIN claims c"
        " ON c.claim_id IN (p.claim_a, p.claim_b) WHERE c.kind <> 'statement'"
    ).fetchall() == [(0,)]
    assert con.execute(
        "SELECT count(*) FROM omissions o JOIN claims c USING (claim_id) WHERE c.kind <> 'statement'"
    ).fetchall() == [(0,)]


def test_internal_affair_is_an_omission_in_moscow_with_its_nearest_non_match(sample_store):
    con = duckdb.connect(str(sample_store), read_only=True)
    (beijing,) = claim_ids(con, "People's Republic of China", INTERNAL_AFFAIR)
    moscow_doc = con.execute(
        "SELECT doc_id FROM documents WHERE source LIKE '%Russian Federation%'"
    ).fetchall()[0][0]
    paired_in_moscow = con.execute(
        "SELECT count(*) FROM claim_pairs WHERE (claim_a = ? AND doc_b = ?) OR (claim_b = ? AND doc_a = ?)",
        [beijing, moscow_doc, beijing, moscow_doc],
    ).fetchall()
    assert paired_in_moscow == [(0,)]
    omission = con.execute(
        "SELECT o.nearest_score, n.doc_id FROM omissions o JOIN claims n ON n.claim_id = o.nearest_claim_id"
        " WHERE o.claim_id = ? AND o.missing_in_doc = ?",
        [beijing, moscow_doc],
    ).fetchall()
    assert len(omission) == 1
    nearest_score, nearest_doc = omission[0]
    assert nearest_doc == moscow_doc and 0 < nearest_score < 1


def test_store_contract_holds_for_the_sample(sample_store):
    con = duckdb.connect(str(sample_store), read_only=True)
    # Every statement is in exactly one group, nothing else is; offsets slice the stored text back.
    assert con.execute(
        "SELECT count(*) FROM claims c LEFT JOIN claim_groups g USING (claim_id)"
        " WHERE (g.claim_id IS NULL) = (c.kind = 'statement')"
    ).fetchall() == [(0,)]
    assert con.execute(
        "SELECT count(*) FROM claims c JOIN documents d USING (doc_id)"
        " WHERE substring(d.text, c.char_start + 1, c.char_end - c.char_start) <> c.text"
    ).fetchall() == [(0,)]
    # Pairs join claims of different documents of the same event.
    assert con.execute(
        "SELECT count(*) FROM claim_pairs p JOIN claims a ON a.claim_id = p.claim_a"
        " JOIN claims b ON b.claim_id = p.claim_b"
        " WHERE a.doc_id = b.doc_id OR a.event_id <> b.event_id OR a.doc_id >= b.doc_id"
    ).fetchall() == [(0,)]
    assert con.execute("SELECT count(DISTINCT event_id) FROM documents").fetchall() == [(2,)]


def test_plain_duckdb_client_reads_the_store_without_the_package(sample_store):
    script = (
        "import sys, duckdb\n"
        f"con = duckdb.connect({str(sample_store)!r}, read_only=True)\n"
        "print(con.execute('SELECT count(*) FROM claim_pairs').fetchall()[0][0])\n"
        "assert 'compare' not in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert int(out.stdout) > 0


class CountingEmbedder(HashEmbedder):
    def __init__(self):
        super().__init__()
        self.encoded = 0

    def encode(self, texts):
        self.encoded += len(texts)
        return super().encode(texts)


def test_rerun_is_idempotent_and_embeds_nothing_twice(tmp_path):
    con = store.open_store(tmp_path / "s.duckdb")
    embedder = CountingEmbedder()
    ingest_into(con, [SAMPLE])
    align_store(con, embedder)
    first = store.table_counts(con)
    tables = {
        t: store.read_table(con, t) for t in ("claims", "claim_pairs", "claim_groups", "omissions")
    }
    assert embedder.encoded == first["embeddings"] > 0

    again = ingest_into(con, [SAMPLE])
    align_store(con, embedder)
    assert again.documents == 0 and again.unchanged == 3
    assert store.table_counts(con) == first
    assert embedder.encoded == first["embeddings"]  # all vectors came from the cache
    for name, frame in tables.items():
        assert store.read_table(con, name).equals(frame)


def test_both_sample_events_ingest(tmp_path):
    con = store.open_store(tmp_path / "s.duckdb")
    summary = ingest_into(con, [EVENTS])
    assert summary.events == ["wagner-2023", "wang-lavrov-2024", "xi-biden-2023"]
    assert summary.warnings  # the sidecar's extra key is kept as metadata, with a warning


def test_group_auto_assigns_a_feed_to_events_and_new_documents_join_them(tmp_path):
    import json

    from tests.test_group import FINAL, QUAKE

    def feed(name, stories):
        path = tmp_path / name
        path.write_text("".join(json.dumps({"title": t, "text": x}) + "\n" for t, x in stories))
        return path

    con = store.open_store(tmp_path / "s.duckdb")
    first = ingest_into(
        con, [feed("one.jsonl", QUAKE[:2] + FINAL)], group="auto", embedder=HashEmbedder()
    )
    assert len(first.events) == 2  # the quake and the final, whatever the file is called
    before = dict(con.execute("SELECT doc_id, event_id FROM documents").fetchall())
    second = ingest_into(con, [feed("two.jsonl", QUAKE[2:])], group="auto", embedder=HashEmbedder())
    after = dict(con.execute("SELECT doc_id, event_id FROM documents").fetchall())
    assert {k: after[k] for k in before} == before  # stored events keep their ids
    (new_doc,) = set(after) - set(before)
    quake_event = after[new_doc]
    assert second.events == [quake_event]
    assert sum(e == quake_event for e in after.values()) == 3


def test_two_workers_write_the_same_store_as_one(tmp_path, monkeypatch):
    """Languages detected, documents segmented and grouped, events compared in two worker
    processes or in this one: every table the same, row for row (the order-free digest of every
    column). Chunks of three documents, so that the sample's documents are spread over both
    workers."""
    from compare import group, pipeline

    ingest_module = importlib.import_module("compare.ingest")  # `compare.ingest` is the function
    monkeypatch.setattr(ingest_module, "DETECT_CHUNK", 3)
    monkeypatch.setattr(pipeline, "SEGMENT_CHUNK", 3)
    monkeypatch.setattr(group, "READ_CHUNK", 3)
    digests = {}
    for workers in (1, 2):
        db = tmp_path / f"workers-{workers}.duckdb"
        con = store.open_store(db)
        folders = sorted(p for p in EVENTS.iterdir() if p.is_dir())
        ingest_into(con, folders, group="auto", embedder=HashEmbedder(), workers=workers)
        summary = align_store(con, HashEmbedder(), workers=workers)
        con.close()
        digests[workers] = {t: d for t, d in snapshot(db).items() if t != "meta"}
    assert len(summary.events) >= 3
    assert digests[2]["divergences"][0] > 0 and digests[2]["claim_pairs"][0] > 0
    assert digests[1] == digests[2]
