"""diverge on the sample event, run through the real pipeline with the real bundled model (the
session's sample store): relations, salience and what the report shows, not stand-in rows."""

from __future__ import annotations

import json

import pytest

from compare import store
from compare.report.data import SHOWN, load_event
from compare.report.views import group_view

pytestmark = pytest.mark.slow
EVENT = "wagner-2023"


@pytest.fixture(scope="module")
def sample(sample_store):
    con = store.open_store(sample_store, read_only=True)
    try:
        pairs = con.sql("SELECT * FROM v_claim_pairs WHERE event_id = $e", params={"e": EVENT}).pl()
        rows = con.sql("SELECT * FROM v_divergences WHERE event_id = $e", params={"e": EVENT}).pl()
        omissions = con.sql(
            "SELECT * FROM v_omissions WHERE event_id = $e", params={"e": EVENT}
        ).pl()
        event = load_event(con, EVENT)
    finally:
        con.close()
    return pairs, rows, omissions, event


def _rows_of(rows, a: str, b: str) -> dict:
    return {
        r["kind"]: r for r in rows.iter_rows(named=True) if {r["claim_a"], r["claim_b"]} == {a, b}
    }


def test_every_pair_has_a_relation_and_every_row_a_salience(sample):
    pairs, rows, omissions, _ = sample
    assert set(pairs["relation"]) <= {"same", "reworded", "framed", "conflict", "elaborated"}
    assert pairs["relation"].null_count() == 0
    assert rows.height and rows["salience"].is_between(0, 1).all()
    assert "emphasis" not in set(rows["kind"])
    assert omissions.height and omissions["salience"].is_between(0, 1).all()
    assert omissions["reason"].null_count() == 0


def test_stability_pair_is_reworded_or_framed_with_the_changed_words(sample):
    pairs, rows, _, _ = sample
    moscow_text, beijing_text = "The Chinese side expressed support", "As a friendly neighbor"
    pair = [
        p
        for p in pairs.iter_rows(named=True)
        if {p["text_a"][:34], p["text_b"][:22]} == {moscow_text, beijing_text}
        or {p["text_b"][:34], p["text_a"][:22]} == {moscow_text, beijing_text}
    ]
    assert len(pair) == 1, pair
    p = pair[0]
    assert p["relation"] in ("reworded", "framed")
    found = _rows_of(rows, p["claim_a"], p["claim_b"])
    assert "speaker" not in found  # Moscow's "The Chinese side" is Beijing's own voice
    row = found["reworded"]
    ev_a, ev_b = json.loads(row["evidence_a"]), json.loads(row["evidence_b"])
    assert len(ev_a) == len(ev_b)  # substitutions: evidence_a[i] stands for evidence_b[i]
    moscow, beijing = (ev_a, ev_b) if p["text_a"].startswith(moscow_text) else (ev_b, ev_a)
    # The top substitution comes first.
    assert (moscow[0][2], beijing[0][2]) == (
        "stabilise the situation",
        "protecting national stability",
    )
    assert "support" not in {t for *_, t in moscow}  # shared by both: no changed word


def test_qin_rudenko_meeting_pairs_have_no_speaker_row(sample):
    pairs, rows, _, _ = sample
    meeting = pairs.filter(
        pairs["text_a"].str.contains("Qin Gang")
        & pairs["text_a"].str.contains("met with")
        & pairs["text_b"].str.contains("met with")
    )
    assert meeting.height >= 1
    for p in meeting.iter_rows(named=True):
        assert "speaker" not in _rows_of(rows, p["claim_a"], p["claim_b"])


def test_courtesy_formula_omission_weighs_less_than_a_position(sample):
    _, _, omissions, _ = sample
    by_text = dict(zip(omissions["text"], omissions["salience"]))
    courtesy = by_text["The conversation was held in a friendly and trusting atmosphere."]
    assert courtesy < max(by_text.values()) and courtesy <= 0.2


def test_no_group_shows_more_than_three_rows_by_default(sample):
    *_, event = sample
    shown = [group_view(event, g) for g in event.groups]
    assert all(len(v["divergences"]) <= SHOWN for v in shown)
    assert any(v["more_divergences"] for v in shown)  # the rest stay reachable
    for v in shown:
        saliences = [d["salience"] for d in v["divergences"] + v["more_divergences"]]
        assert saliences == sorted(saliences, reverse=True)


def test_own_official_is_no_speaker_change(sample):
    """Moscow's own voice vs Beijing crediting Rudenko (Russia's deputy foreign minister, as the
    readouts say), or AFP's "Beijing" vs Beijing's "Qin Gang": the same side, no speaker row."""
    _, rows, _, _ = sample
    speaker = [r["reason"] for r in rows.iter_rows(named=True) if r["kind"] == "speaker"]
    assert not [r for r in speaker if "Russ" in r.split("says it")[0] and "Rudenko" in r]
    assert not [r for r in speaker if "Qin Gang" in r and ('"Beijing"' in r or "ministry" in r)]


def test_no_connotation_row_between_two_courtesy_formulae(sample):
    """Issue 25: "issues of mutual interest" (Moscow) for "issues of common concern" (Beijing)
    was a framing row; both sides are diplomatic courtesy (compare/data/courtesy.txt)."""
    import re

    from compare.diverge.framing import courtesy_re

    _, rows, _, _ = sample
    for r in rows.filter(rows["reason"].str.contains("connotation")).iter_rows(named=True):
        quoted = [q.rstrip("…") for q in re.findall(r'"([^"]+)"', r["reason"])]
        assert not all(courtesy_re().search(q.lower()) for q in quoted), r["reason"]


def test_stability_pair_of_beijing_and_afp_is_elaborated_not_framed(sample_store):
    """The must-show pair behind the first screen: Beijing's and AFP's stability wordings."""
    with store.open_store(sample_store, read_only=True) as con:
        rows = con.execute(
            """SELECT p.relation FROM claim_pairs p
               JOIN documents da ON da.doc_id = p.doc_a JOIN documents db ON db.doc_id = p.doc_b
               JOIN claims ca ON ca.claim_id = p.claim_a JOIN claims cb ON cb.claim_id = p.claim_b
               WHERE list_sort([da.label, db.label]) = ['AFP', 'Beijing (MFA)']
                 AND ca.text LIKE '%national stability%' AND cb.text LIKE '%national stability%'"""
        ).fetchall()
    assert rows == [("elaborated",)]
