"""diverge: each kind fires on a hand-made pair and stays silent on an equivalent one (no model)."""

from __future__ import annotations

import json
import math
import re

import polars as pl
import pytest

from compare.align import CLAIM_PAIRS_SCHEMA, OMISSIONS_SCHEMA
from compare.diverge import (
    DIVERGENCES_SCHEMA,
    KINDS,
    TERM_CONTRASTS_SCHEMA,
    diverge,
    parse_number,
    rate_omissions,
    relations,
    term_contrasts,
    terms,
)
from compare.diverge.lexicon import lex
from compare.diverge.omissions import omission_salience
from compare.ingest import DOCUMENTS_SCHEMA
from compare.segment import CLAIMS_SCHEMA

BEIJING = (
    "As a friendly neighbor and comprehensive strategic partner of coordination for the new era,"
    " China supports Russia in protecting national stability and achieving development and"
    " prosperity."
)
MOSCOW = (
    "The Chinese side expressed support for the efforts of the leadership of the Russian"
    " Federation to stabilise the situation in the country."
)


def _doc(doc_id: str, text: str, source: str, lang: str | None = None) -> dict:
    row = dict.fromkeys(DOCUMENTS_SCHEMA)
    row.update(
        doc_id=doc_id, event_id="ev", source=source, text=text, content_sha256=doc_id, lang=lang
    )
    return row


def _claim(claim_id: str, doc_id: str, doc_text: str, text: str, speaker, subject) -> dict:
    start = doc_text.index(text)
    return {
        "claim_id": claim_id,
        "doc_id": doc_id,
        "event_id": "ev",
        "position": doc_text[:start].count("\n\n"),
        "char_start": start,
        "char_end": start + len(text),
        "text": text,
        "speaker": speaker,
        "reported_subject": subject,
        "text_sha256": claim_id,
        "kind": "statement",
    }


def run(
    text_a: str,
    text_b: str,
    *,
    speaker_a: str | None = None,
    speaker_b: str | None = None,
    subject_a: str | None = None,
    subject_b: str | None = None,
    doc_a: str | None = None,
    doc_b: str | None = None,
    source_a: str = "Source A",
    source_b: str = "Source B",
    pair_score: float = 0.8,
    lang_a: str | None = None,
    lang_b: str | None = None,
) -> dict[str, dict]:
    """diverge() on one aligned pair; the claims sit in doc_a / doc_b (default: the claim alone).
    The pair's relation, as `relations` gives it, is `run.last_relation`."""
    doc_a, doc_b = doc_a or text_a, doc_b or text_b
    documents = pl.DataFrame(
        [_doc("da", doc_a, source_a, lang_a), _doc("db", doc_b, source_b, lang_b)],
        schema=DOCUMENTS_SCHEMA,
    )
    claims = pl.DataFrame(
        [
            _claim("ca", "da", doc_a, text_a, speaker_a, subject_a),
            _claim("cb", "db", doc_b, text_b, speaker_b, subject_b),
        ],
        schema=CLAIMS_SCHEMA,
    )
    pairs = pl.DataFrame(
        [("ev", "ca", "cb", "da", "db", pair_score, 1.5, 0.8, 0.5, "test", None)],
        schema=CLAIM_PAIRS_SCHEMA,
        orient="row",
    )
    result = diverge(documents, claims, pairs)
    assert result.schema == pl.Schema(DIVERGENCES_SCHEMA)
    languages = {"da": lang_a, "db": lang_b}
    run.last_relation = relations(pairs, result, languages=languages)["relation"].item()
    out = {}
    for row in result.iter_rows(named=True):
        assert row["kind"] in KINDS
        assert 0 < row["score"] <= 1
        assert 0 <= row["salience"] <= 1
        assert "\n" not in row["reason"]
        for side, text in (("evidence_a", text_a), ("evidence_b", text_b)):
            for start, end, span in json.loads(row[side]):
                assert text[start:end] == span  # evidence indexes the claim's own text
        out[row["kind"]] = row
    return out


def evidence(row: dict, side: str) -> list[str]:
    return [t for *_, t in json.loads(row[f"evidence_{side}"])]


# --- reworded ------------------------------------------------------------------------------------


def test_reworded_stability_pair_highlights_the_differing_words():
    found = run(
        BEIJING, MOSCOW, speaker_b="The Chinese side", source_a="Beijing", source_b="Moscow"
    )
    row = found["reworded"]
    assert any("protecting national stability" in t for t in evidence(row, "a"))
    moscow = " ".join(evidence(row, "b"))
    assert "stabilise the situation" in moscow
    assert "support" not in evidence(row, "b")  # shared ("supports" / "support")
    assert "The Chinese side" not in moscow  # the speaker is no reworded word
    assert "Beijing" in row["reason"] and "Moscow" in row["reason"]
    assert "speaker" not in found  # Moscow crediting "the Chinese side" is Beijing's own voice


def test_reworded_silent_on_the_same_words():
    text = "Qin Gang met Andrey Rudenko in Beijing on Sunday."
    assert "reworded" not in run(text, text)
    assert "reworded" not in run(text, "On Sunday, Qin Gang met Andrey Rudenko in Beijing.")


# --- speaker -------------------------------------------------------------------------------------


def test_speaker_own_voice_vs_attributed():
    text = "China supports Russia in protecting national stability."
    found = run(text, f"{text[:-1]}, the foreign ministry said.", speaker_b="the foreign ministry")
    row = found["speaker"]
    assert row["score"] == 1.0
    assert evidence(row, "b") == ["the foreign ministry"]
    assert "own voice" in row["reason"]


def test_speaker_quoting_the_other_source_itself_is_the_same_speaker():
    text = "This is Russia's internal affair."
    found = run(
        text,
        "The issue was Russia's internal affair, the ministry added.",
        speaker_b="the ministry",
        source_a="Ministry of Foreign Affairs of the People's Republic of China",
    )
    assert "speaker" not in found


def test_speaker_different_speakers_fire():
    found = run(
        "Relations are at their best, Qin Gang said.",
        "Relations are at their best, Andrey Rudenko said.",
        speaker_a="Qin Gang",
        speaker_b="Andrey Rudenko",
    )
    assert evidence(found["speaker"], "a") == ["Qin Gang"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("the ministry", "the foreign ministry"),
        ("Beijing", "China"),
        ("Moscow", "the Kremlin"),
        ("Mr. Steele", "Michael Steele"),
    ],
)
def test_speaker_equivalent_names_stay_silent(a, b):
    found = run(
        f"Relations are good, {a} said.", f"Relations are good, {b} said.", speaker_a=a, speaker_b=b
    )
    assert "speaker" not in found


def test_speaker_title_linked_by_the_text_stays_silent():
    a = "Relations are good, Qin Gang said."
    b = "Relations are good, the foreign minister said."
    doc_b = f"Foreign Minister Qin Gang met Rudenko.\n\n{b}"
    found = run(a, b, speaker_a="Qin Gang", speaker_b="the foreign minister", doc_b=doc_b)
    assert "speaker" not in found
    # Without the text saying who the foreign minister is, they are different speakers.
    assert "speaker" in run(a, b, speaker_a="Qin Gang", speaker_b="the foreign minister")


BEIJING_MFA = "Ministry of Foreign Affairs of the People's Republic of China"
MOSCOW_MFA = "Ministry of Foreign Affairs of the Russian Federation"
QIN_DOC = (
    "State Councilor and Foreign Minister Qin Gang met with Russian Deputy Foreign Minister"
    " Andrey Rudenko in Beijing.\n\n"
)


def test_speaker_own_official_is_the_same_side():
    """Moscow's readout in its own voice vs Beijing's readout crediting Rudenko, whom it presents
    as Russia's deputy foreign minister: Moscow's own official, no speaker change."""
    b = "Andrey Rudenko said that Russia values relations with China."
    found = run(
        "Russia values relations with China.",
        b,
        speaker_b="Andrey Rudenko",
        doc_b=QIN_DOC + b,
        source_a=MOSCOW_MFA,
        source_b=BEIJING_MFA,
    )
    assert "speaker" not in found
    # Beijing's own voice vs the same credit: Rudenko is not Beijing's official.
    found = run(
        "Russia values relations with China.",
        b,
        speaker_b="Andrey Rudenko",
        doc_b=QIN_DOC + b,
        source_a=BEIJING_MFA,
        source_b=BEIJING_MFA,
    )
    assert "speaker" in found


@pytest.mark.parametrize("wire_speaker", ["Beijing", "the foreign ministry"])
def test_speaker_minister_the_readout_presents_as_its_own(wire_speaker):
    """A wire crediting Beijing (or the foreign ministry) vs Beijing's readout crediting "Qin
    Gang", whom that readout names "Foreign Minister Qin Gang" with no other country: one side."""
    b = "Qin Gang said that relations have maintained steady development."
    a = f"Relations have maintained steady development, {wire_speaker} said."
    found = run(
        a,
        b,
        speaker_a=wire_speaker,
        speaker_b="Qin Gang",
        doc_b=QIN_DOC + b,
        source_a="AFP",
        source_b=BEIJING_MFA,
    )
    assert "speaker" not in found
    # Without the readout saying who Qin Gang is, they are different speakers.
    assert "speaker" in run(
        a, b, speaker_a=wire_speaker, speaker_b="Qin Gang", source_a="AFP", source_b=BEIJING_MFA
    )


def test_speaker_reported_subject_counts_as_the_speaker():
    found = run(
        'Moscow said Beijing had "expressed support" for the leadership.',
        "The Chinese side expressed support for the leadership.",
        speaker_a="Moscow",
        subject_a="Beijing",
        speaker_b="The Chinese side",
    )
    assert "speaker" not in found


# --- number --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "ev_a", "ev_b"),
    [
        ("13 people were killed in the blast.", "15 people were killed in the blast.", "13", "15"),
        (
            "The talks were held on June 24.",
            "The talks were held on June 25.",
            "June 24",
            "June 25",
        ),
        ("Prices rose 3 percent in May.", "Prices rose 4% in May.", "3 percent", "4%"),
        (
            "The deal is worth $2 million.",
            "The deal is worth 3 million dollars.",
            "$2 million",
            "3 million dollars",
        ),
        (
            "Five soldiers died in the attack.",
            "Seven soldiers died in the attack.",
            "Five",
            "Seven",
        ),
    ],
)
def test_number_conflicts_fire(a, b, ev_a, ev_b):
    row = run(a, b)["number"]
    assert evidence(row, "a") == [ev_a]
    assert evidence(row, "b") == [ev_b]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The talks were held on June 24.", "The talks were held on 24 June."),
        ("Five soldiers died in the attack.", "5 soldiers died in the attack."),
        ("Prices rose 3 percent.", "Prices rose 3%."),
        ("The deal is worth $2 million.", "The deal is worth 2,000,000 dollars."),
        ("The talks were held on June 24, 2023.", "The talks were held on 24 June."),
        ("13 people were killed.", "The talks lasted 15 hours."),  # different things counted
    ],
)
def test_number_equivalent_forms_stay_silent(a, b):
    assert "number" not in run(a, b)


def test_parse_number_reads_words_and_scales():
    assert parse_number("five") == 5
    assert parse_number("twenty-five") == 25
    assert parse_number("2.5 million") == 2_500_000
    assert parse_number("1,200") == 1200


# --- entity --------------------------------------------------------------------------------------


def test_entity_other_place_in_the_same_slot_fires():
    row = run("Qin Gang met Andrey Rudenko in Beijing.", "Qin Gang met Andrey Rudenko in Moscow.")
    assert row["entity"]["kind"] == "entity"
    assert evidence(row["entity"], "a") == ["Beijing"]
    assert evidence(row["entity"], "b") == ["Moscow"]


def test_entity_other_person_fires():
    found = run("Qin Gang met Rudenko on Sunday.", "Wang Yi met Rudenko on Sunday.")
    assert evidence(found["entity"], "a") == ["Qin Gang"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Beijing supports Russia.", "China supports Russia."),
        ("Moscow rejected the plan.", "The Kremlin rejected the plan."),
        ("Qin Gang met Rudenko.", "Qin Gang met Andrey Rudenko."),
        ("The DNC denied it.", "The Democratic National Committee denied it."),
    ],
)
def test_entity_aliases_stay_silent(a, b):
    assert "entity" not in run(a, b)


def test_entity_title_linked_by_the_text_stays_silent():
    a = "Qin Gang met Rudenko in Beijing."
    b = "The foreign minister met Rudenko in Beijing."
    doc_b = f"Foreign Minister Qin Gang spoke on Sunday.\n\n{b}"
    assert "entity" not in run(a, b, doc_b=doc_b)
    assert "entity" in run(a, b)  # nothing says who the foreign minister is


def test_entity_title_case_headline_is_not_a_name():
    found = run("Woman Bit By Scorpion On Flight", "A woman was bit by a scorpion on a flight.")
    assert "entity" not in found


# --- hedging -------------------------------------------------------------------------------------


def test_hedging_may_vs_will_fires():
    row = run("The sides will sign the deal.", "The sides may sign the deal.")["hedging"]
    assert evidence(row, "b") == ["may"]
    assert evidence(row, "a") == ["will"]
    assert row["score"] == 1.0


def test_hedging_discussed_vs_agreed_fires():
    row = run("The leaders agreed to a ceasefire.", "The leaders discussed a ceasefire.")["hedging"]
    assert evidence(row, "b") == ["discussed"]
    assert evidence(row, "a") == ["agreed"]


def test_hedging_silent_when_both_hedge_or_neither():
    assert "hedging" not in run("The sides may sign the deal.", "The sides may sign the accord.")
    assert "hedging" not in run("The sides signed the deal.", "Both sides signed the deal.")
    assert "hedging" not in run("The talks began in May.", "The talks began in May 2023.")


# --- negation ------------------------------------------------------------------------------------


def test_negation_did_not_vs_did_fires():
    row = run("The minister did not meet the envoy.", "The minister met the envoy.")["negation"]
    assert evidence(row, "a") == ["not"]
    assert evidence(row, "b") == []


def test_negation_denial_fires():
    found = run("IBM will cut 100,000 jobs.", "IBM denied it will cut 100,000 jobs.")
    assert evidence(found["negation"], "b") == ["denied"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The minister did not meet the envoy.", "The minister didn't meet the envoy."),
        ("The minister met the envoy.", "The minister met the envoy, not the president."),
        ("Not only did the minister meet the envoy.", "The minister met the envoy."),
    ],
)
def test_negation_silent(a, b):
    assert "negation" not in run(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # The negated predicate ("have") is not what the other side asserts.
        (
            "A ringtone scared the bear away.",
            "Experts say bears might not have anything against ringtones.",
        ),
        # Two denials in two clauses stay a denial; both sides deny.
        (
            "The doctor denied taking a selfie, and denied the biopsy.",
            "The doctor denies the selfie.",
        ),
        # "not true" refutes like "untrue"; "not dead" and "alive" say the same.
        ("The reports of his death are not true.", "The reports of his death are false."),
        ("Hefner is not dead.", "Hefner is alive."),
    ],
)
def test_negation_scoped_silent(a, b):
    assert "negation" not in run(a, b)


def test_negation_lexicon_words_are_words():
    """YAML reads a bare `no` or `false` as a boolean: every lexicon entry must stay a word."""
    L = lex()
    for words in (L.negators, L.refuters, L.refuted_by_not, L.pass_negation):
        assert all(isinstance(w, str) for w in words)
    assert {"no", "false"} <= L.negators | L.refuters and "true" in L.refuted_by_not


def test_negation_passes_through_plans_to():
    found = run(
        "The airline plans to separate passengers by gender.",
        "The airline has no plans to separate passengers by gender.",
    )
    assert evidence(found["negation"], "b") == ["no"]


def test_a_denial_bears_on_what_it_denies_not_on_its_neighbours():
    head = "ISIS beheaded the Kurdish fighter Rehana in Kobani."
    found = run(head, "Activists denied that the fighter Rehana was beheaded in Kobani.")
    assert evidence(found["negation"], "b") == ["denied"]
    found = run(
        head,
        "The Kurdish fighter Rehana was beheaded in Kobani, while officials denied reports of "
        "a new offensive.",
    )
    assert "negation" not in found


def test_negation_opposite_words_fire():
    found = run("The fighter is alive, her friends said.", "The fighter is dead, ISIS said.")
    assert evidence(found["negation"], "a") == ["alive"]
    assert evidence(found["negation"], "b") == ["dead"]


# --- relation and salience ---------------------------------------------------------------------


def relation(text_a: str, text_b: str, **kw) -> tuple[str, dict]:
    """The pair's relation (as `relations` derives it from diverge's rows) and the rows."""
    found = run(text_a, text_b, **kw)
    return run.last_relation, found


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Qin Gang met Andrey Rudenko on June 24.", "Qin Gang met Andrey Rudenko on 24 June."),
        ("Five people were arrested in Beijing.", "5 people were arrested in China."),
        (
            "On Sunday, Qin Gang met Rudenko in Beijing.",
            "Qin Gang met Rudenko in Beijing on Sunday.",
        ),
    ],
)
def test_equivalent_forms_are_same_with_no_row(a, b):
    assert relation(a, b) == ("same", {})


def test_the_ministry_and_the_foreign_ministry_are_the_same_speaker():
    a, b = (
        "The talks were useful, the ministry said.",
        "The talks were useful, the foreign ministry said.",
    )
    assert relation(a, b, speaker_a="the ministry", speaker_b="the foreign ministry") == (
        "same",
        {},
    )


def test_relations_fills_claim_pairs_by_precedence():
    pairs = pl.DataFrame(
        [("ev", "x", "y", "dx", "dy", 0.8, 1.5, 0.8, 0.5, "t", None)] * 1
        + [("ev", "p", "q", "dp", "dq", 0.8, 1.5, 0.8, 0.5, "t", None)],
        schema=CLAIM_PAIRS_SCHEMA,
        orient="row",
    )
    rows = pl.DataFrame(
        [("ev", "x", "y", k, 1.0, k, "[]", "[]", 0.5) for k in ("reworded", "number", "speaker")],
        schema=DIVERGENCES_SCHEMA,
        orient="row",
    )
    assert relations(pairs, rows)["relation"].to_list() == ["conflict", "same"]


def test_elaborated_when_one_side_adds_names_and_numbers():
    rel, found = relation(
        "Qin Gang met Andrey Rudenko.",
        "Qin Gang met Andrey Rudenko in Beijing on June 25 for consultations.",
    )
    assert rel == "elaborated"
    added = " ".join(evidence(found["elaborated"], "b"))
    assert "Beijing" in added and "June 25" in added and "consultations" in added
    assert evidence(found["elaborated"], "a") == []
    assert "reworded" not in found


def test_framed_by_a_loaded_word_and_by_distancing():
    rel, found = relation(
        "Wagner staged an armed rebellion in Russia.", "Wagner staged a mutiny in Russia."
    )
    assert rel == "framed"
    assert evidence(found["framing"], "b") == ["mutiny"]
    rel, found = relation(
        "The sides reached a consensus on trade.",
        "The sides reached what he described as a consensus on trade.",
    )
    assert rel == "framed" and "distancing" in found["framing"]["reason"]


def test_regime_and_government_are_one_speaker_named_two_ways():
    rel, found = relation(
        "The regime said the elections would be held in May.",
        "The government said the elections would be held in May.",
        speaker_a="The regime",
        speaker_b="The government",
    )
    assert "speaker" not in found
    assert evidence(found["framing"], "a") == ["regime"]
    assert rel == "framed"


def test_framed_only_when_the_framing_singles_something_out():
    """A framing row on a loosely aligned pair, a mild connotation, another speaker or a hedge
    stay rows of their own; the pair is not `framed` by them."""
    loaded = ("Wagner staged an armed rebellion in Russia.", "Wagner staged a mutiny in Russia.")
    assert relation(*loaded)[0] == "framed"
    rel, found = relation(*loaded, pair_score=0.3)
    assert "framing" in found and rel in ("elaborated", "reworded")
    rel, found = relation(
        "The minister praised the plan on Monday.", "The minister discussed the plan on Monday."
    )
    assert "connotation" in found["framing"]["reason"] and found["framing"]["score"] < 0.75
    assert rel != "framed"
    rel, found = relation(
        "The talks were useful, Qin Gang said.",
        "The talks were useful, Antony Blinken said.",
        speaker_a="Qin Gang",
        speaker_b="Antony Blinken",
    )
    assert "speaker" in found and rel != "framed"
    rel, found = relation("Prices may rise next year.", "Prices will rise next year.")
    assert "hedging" in found and rel != "framed"


def test_a_wire_crediting_the_readouts_own_source_is_no_distancing():
    readout = "Xi said Taiwan is the most sensitive issue in the relationship."
    beijing = "Ministry of Foreign Affairs of the People's Republic of China"
    for credited, framed in (("Chinese state media", False), ("Russian state media", True)):
        wire = f"Xi said Taiwan is the most sensitive issue in the relationship, according to {credited}."
        found = run(readout, wire, source_a=beijing, source_b="Wire")
        assert ("framing" in found) == framed, credited


def test_a_wire_quoting_the_readout_adds_no_detail_by_crediting_it():
    moscow = "Ministry of Foreign Affairs of the Russian Federation"
    readout = "The Chinese side expressed support for the efforts of the Russian leadership."
    quoted = (
        'In its readout of the talks, Moscow said Beijing had "expressed support for the efforts '
        'of the Russian leadership."'
    )
    rel, found = relation(readout, quoted, speaker_b="Moscow", source_a=moscow, source_b="AFP")
    assert rel == "same" and found == {}
    said = "The Chinese side expressed support for the Russian leadership, Moscow said on Sunday."
    rel, found = relation(readout, said, speaker_b="Moscow", source_a=moscow, source_b="AFP")
    assert "elaborated" not in found or "Moscow" not in found["elaborated"]["reason"]
    # crediting someone else is no frame: what it adds still counts
    rel, found = relation(readout, quoted, speaker_b="Kyiv", source_a=moscow, source_b="AFP")
    assert rel == "elaborated"


def test_conflict_outranks_framing():
    rel, _ = relation("Troops left on June 24 after the mutiny.", "Troops left on June 26.")
    assert rel == "conflict"


def test_salience_orders_conflict_above_rewording():
    found = run("The ministry said 13 people were hurt.", "The office said 15 people were injured.")
    assert found["number"]["salience"] > found["reworded"]["salience"]
    assert all(0 <= row["salience"] <= 1 for row in found.values())


def test_omission_salience_weighs_positions_above_courtesy():
    position, why = omission_salience(
        "China supports Russia in protecting national stability and achieving development."
    )
    courtesy, why_courtesy = omission_salience(
        "The conversation was held in a friendly and trusting atmosphere."
    )
    assert position > courtesy
    assert "position" in why and "courtesy" in why_courtesy
    omissions = pl.DataFrame(
        [("ev", "ca", "da", "db", None, None, None)], schema=OMISSIONS_SCHEMA, orient="row"
    )
    claims = pl.DataFrame({"claim_id": ["ca"], "text": ["China will send 5 envoys."]})
    rated = rate_omissions(claims, omissions).row(0, named=True)
    assert 0.5 < rated["salience"] <= 1 and "commitment" in rated["reason"]


def test_omission_reason_quotes_whole_words():
    """Issue 25: 'leaves out a position ("non")' quoted a fragment of "non-alliance"."""
    _, why = omission_salience(
        "The relationship is based on non-alliance, non-confrontation and not targeting any third"
        " party."
    )
    quoted = re.findall(r'"([^"]+)"', why)
    assert quoted and "non" not in quoted
    assert all(
        re.search(
            rf"(?<![\w-]){re.escape(q)}(?![\w-])",
            "The relationship is based on"
            " non-alliance, non-confrontation and not targeting any third party.",
        )
        for q in quoted
    )


def test_number_words_are_whole_words():
    from compare.diverge.numbers import quantities

    assert quantities("a source of tension for someone") == []
    assert [q.text for q in quantities("ten people, twenty-five men")] == ["ten", "twenty-five"]


def test_reason_quotes_end_on_a_whole_word():
    from compare.diverge.evidence import short

    long = "friendly neighbor and comprehensive strategic partner of coordination for the new era"
    cut = short(long)
    assert cut.endswith("…") and long.startswith(cut[:-1]) and long[len(cut) - 1] == " "


# --- term contrasts ------------------------------------------------------------------------------


def test_term_contrasts_log_odds_with_informative_prior():
    documents = pl.DataFrame(
        [
            _doc("da", "national stability national stability Russia support", "A"),
            _doc("db", "stabilise the situation situation leadership Russia support", "B"),
        ],
        schema=DOCUMENTS_SCHEMA,
    )
    table = term_contrasts(documents)
    assert table.schema == pl.Schema(TERM_CONTRASTS_SCHEMA)
    a = {r["term"]: r for r in table.filter(pl.col("doc_id") == "da").iter_rows(named=True)}
    assert a["national stability"]["count"] == 2
    assert a["national stability"]["z"] > 0 and a["stability"]["log_odds"] > 0
    assert abs(a["russia"]["z"]) < 0.1  # said once by each
    assert a["stability"]["z"] > a["russia"]["z"]
    assert all(math.isfinite(r["z"]) for r in a.values())
    # z = delta / sqrt(1/(y_i + a_w) + 1/(y_j + a_w)), a_w = pooled count (prior_scale 1).
    n_i = len(terms(documents["text"][0]))
    n_j = len(terms(documents["text"][1]))
    y_i, y_j, alpha, a0 = 2, 0, 2, n_i + n_j
    delta = math.log((y_i + alpha) / (n_i + a0 - y_i - alpha)) - math.log(
        (y_j + alpha) / (n_j + a0 - y_j - alpha)
    )
    assert a["stability"]["log_odds"] == pytest.approx(delta, rel=1e-6)


def test_term_contrasts_skip_single_document_events():
    documents = pl.DataFrame([_doc("da", "one lonely text", "A")], schema=DOCUMENTS_SCHEMA)
    assert term_contrasts(documents).height == 0


# --- word-level substitutions (issue 16) ---------------------------------------------------------


def _subs(text_a: str, text_b: str):
    from compare.diverge.claim import analyse
    from compare.diverge.diff import word_diff
    from compare.diverge.substitutions import substitutions

    def claim(text, i):
        row = {"claim_id": i, "doc_id": i, "text": text, "char_start": 0}
        return analyse(row, {"doc_id": i, "text": text})

    a, b = claim(text_a, "a"), claim(text_b, "b")
    d = word_diff(a, b)
    return substitutions(text_a, text_b, d["subs"] + [(d["added_a"], d["added_b"])])


def test_substitutions_pair_the_words_that_stand_for_each_other():
    subs = _subs(
        "China supports Russia in protecting national stability and achieving prosperity.",
        "China expressed support for Russia's efforts to stabilise the situation in the country.",
    )
    paired = [s for s in subs if s.paired]
    text_b = (
        "China expressed support for Russia's efforts to stabilise the situation in the country."
    )
    a, b = paired[0].span_a, paired[0].span_b
    assert a[2] == "protecting national stability"
    assert b[2].endswith("stabilise the situation")  # "in the country" is a separate phrase
    assert text_b[b[0] : b[1]] == b[2]
    assert paired[0].shift < 0  # "protecting" is warmer than "stabilise"
    unpaired = {(s.span_a or s.span_b)[2] for s in subs if not s.paired}
    assert "prosperity" in " ".join(unpaired)  # a deletion: nothing in b stands for it


def test_a_large_valence_shift_is_framed_with_the_loaded_words_as_evidence():
    found = run(
        "The senator praised the new tax plan on Monday.",
        "The senator despised the new tax plan on Monday.",
    )
    assert run.last_relation == "framed"
    row = found["framing"]
    assert [t for *_, t in json.loads(row["evidence_a"])] == ["praised"]
    assert [t for *_, t in json.loads(row["evidence_b"])] == ["despised"]
    assert "connotation" in row["reason"] and 0 < row["salience"] <= 1


def test_diverge_never_encodes(monkeypatch):
    """No transformer in diverge: an embedder that fails when asked to encode, and no torch."""
    import subprocess
    import sys

    from compare import embed

    def refuse(*args, **kwargs):
        raise AssertionError("diverge asked for an embedding")

    for name in ("encode_texts", "load_embedder"):
        monkeypatch.setattr(embed, name, refuse, raising=False)
    found = run(
        "China supports Russia in protecting national stability.",
        "China backs Moscow's efforts to stabilise the situation.",
    )
    assert found["reworded"]
    code = (
        "import sys\n"
        "from compare.diverge.substitutions import word_vector\n"
        "assert word_vector('stability') is not None\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="."
    )
    assert out.stdout.split() == ["False", "False"]


def test_courtesy_formulae_are_no_framing():
    """Issue 25: "issues of mutual interest" (+2.0) against "issues of common concern" (0.0) is
    diplomatic boilerplate (compare/data/courtesy.txt), not a connotation row."""
    found = run(
        "The parties discussed international and regional issues of mutual interest.",
        "The two sides discussed international and regional issues of common concern.",
    )
    assert "framing" not in found
    # outside a formula the same words still count
    found = run(
        "The senator praised the new tax plan on Monday.",
        "The senator attacked the new tax plan on Monday.",
    )
    assert "framing" in found


# --- two languages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024年3月12日，外交部长王毅同拉夫罗夫通电话。", [("date", (3, 12, 2024))]),
        ("12 марта 2024 г. состоялся разговор.", [("date", (3, 12, 2024))]),
        ("援助225万美元，三千五百人，十二名，增长15%。", None),
        ("Выделено 225 млн долларов и 2,5 тыс. тонн, рост на 15 процентов.", None),
        ("一带一路，统一，十分重要。", []),
    ],
)
def test_numbers_read_without_english_words(text, expected):
    from compare.diverge.numbers import neutral_quantities

    found = [(q.kind, q.value) for q in neutral_quantities(text)]
    if expected is not None:
        assert found == expected
    elif "万" in text:
        assert found == [
            ("count", 2_250_000.0),
            ("count", 3500.0),
            ("count", 12.0),
            ("percent", 15.0),
        ]
    else:
        assert found == [("count", 225_000_000.0), ("count", 2500.0), ("percent", 15.0)]


def test_two_languages_compare_numbers_only():
    zh = "2024年3月12日，外交部长王毅应约同俄罗斯外长拉夫罗夫通电话。"
    ru = "12 марта состоялся телефонный разговор Лаврова с Ван И."
    en = "Wang Yi and Sergei Lavrov may have spoken by phone on March 12, a so-called call."
    for a, b, la, lb in ((zh, ru, "zh", "ru"), (zh, en, "zh", "en"), (ru, en, "ru", "en")):
        found = run(a, b, lang_a=la, lang_b=lb)
        assert found == {} and run.last_relation == "aligned", (la, lb)  # no hedge, no framing
    found = run(zh, en.replace("March 12", "March 13"), lang_a="zh", lang_b="en")
    assert set(found) == {"number"} and run.last_relation == "conflict"
    assert evidence(found["number"], "a") == ["2024年3月12日"]
    found = run(
        "Россия выделит 250 млн долларов.",
        "Russia will give $225 million.",
        lang_a="ru",
        lang_b="en",
    )
    assert evidence(found["number"], "a") == ["250 млн"]
    found = run("中方将提供2.25亿美元。", "China will give $225 million.", lang_a="zh", lang_b="en")
    assert found == {} and run.last_relation == "aligned"
    # one language (or an unknown one): compared as always
    found = run(en, "Wang Yi and Sergei Lavrov spoke by phone on March 12.", lang_a="en")
    assert "hedging" in found or "framing" in found


def test_term_contrasts_of_russian_documents():
    docs = pl.DataFrame(
        [
            _doc("r1", "Министры обсудили ситуацию вокруг Украины и переговоры.", "A", "ru"),
            _doc("r2", "Министры обсудили сотрудничество в ООН и БРИКС.", "B", "ru"),
        ],
        schema=DOCUMENTS_SCHEMA,
    )
    rows = term_contrasts(docs)
    assert set(rows.filter(pl.col("doc_id") == "r2")["term"]) >= {"оон", "брикс"}
    assert "и" not in set(rows["term"])
