"""align: claims x documents -> claim_pairs, claim_groups, omissions.

Unit tests drive the aligner with hand-made vectors under a cosine-only config, so every similarity
is known (the margin follows from them); the default runs with the hashing embedder and, for the
paraphrase property, with the real bundled model. The readouts eval (tests/test_eval_readouts.py)
judges the constants.
"""

from __future__ import annotations

import hashlib
import importlib

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from compare.align import AlignConfig, _stories, align
from compare.embed import HashEmbedder
from compare.text import claim_names, tfidf_rows

# The module, not the function `compare.align` that the package re-exports under the same name.
align_module = importlib.import_module("compare.align")

# Similarity = cosine of the given vectors: nothing but the vectors decides (the texts are ids,
# which name nobody, so no story veto either).
COSINE = AlignConfig(dense_weight=1.0)
METHODS = {f"{s}/{r}" for s in ("dense", "lexical") for r in ("mutual", "second-point")}


def claims(rows: list[tuple[str, str]], event: str = "e") -> pl.DataFrame:
    """Claims from (claim_id, doc_id) rows; the text is the id (cosine-only configs ignore it)."""
    return claims_with_text([(c, d, c) for c, d in rows], event)


def claims_with_text(rows: list[tuple[str, str, str]], event: str = "e") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "claim_id": [c for c, _, _ in rows],
            "doc_id": [d for _, d, _ in rows],
            "event_id": [event] * len(rows),
            "position": list(range(len(rows))),
            "text": [t for _, _, t in rows],
            "text_sha256": [hashlib.sha256(t.encode()).hexdigest() for _, _, t in rows],
        }
    )


def unit(*parts: float, dim: int = 6) -> np.ndarray:
    v = np.zeros(dim, dtype=np.float32)
    v[: len(parts)] = parts
    return v / np.linalg.norm(v)


def E(i: int) -> np.ndarray:
    v = np.zeros(6, dtype=np.float32)
    v[i] = 1
    return v


def groups_of(result) -> list[set[str]]:
    return [
        set(g["claim_id"].to_list())
        for _, g in result.claim_groups.group_by("group_id", maintain_order=True)
    ]


def pairs_of(result) -> set[frozenset[str]]:
    return {frozenset(p) for p in result.claim_pairs.select("claim_a", "claim_b").iter_rows()}


def test_a_split_shares_a_group():
    # a1 says what b1 and b2 say between them: both align to a1, so all three form one group.
    frame = claims([("a1", "A"), ("b1", "B"), ("b2", "B")])
    vectors = np.stack([unit(1, 1), E(0), E(1)])
    result = align(frame, vectors, COSINE)
    assert pairs_of(result) == {frozenset({"a1", "b1"}), frozenset({"a1", "b2"})}
    assert groups_of(result) == [{"a1", "b1", "b2"}]


def test_a_wire_quoting_both_readouts_gives_two_claims_to_one_fact():
    # b1 (Beijing) and c1 (Moscow) tell one fact; the wire quotes each in its own claim: a1 pairs
    # with b1, a2 with c1. Every member is paired with half or more of the fact's other-document
    # members, so the four claims are one fact (DESIGN: facts as groups).
    frame = claims([("a1", "A"), ("a2", "A"), ("b1", "B"), ("c1", "C")])
    vectors = np.stack([E(0), E(2), unit(1, 1), unit(0, 1, 1)])
    result = align(frame, vectors, COSINE)
    assert pairs_of(result) == {
        frozenset({"a1", "b1"}),
        frozenset({"b1", "c1"}),
        frozenset({"a2", "c1"}),
    }
    assert groups_of(result) == [{"a1", "a2", "b1", "c1"}]


def test_a_long_chain_never_joins_two_facts():
    # a1 - b1 - c1 - d1 across four documents: a1 and d1 have nothing in common, and a1 is paired
    # with one of the three other members only, so the chain stops at a fact of three.
    frame = claims([("a1", "A"), ("b1", "B"), ("c1", "C"), ("d1", "D")])
    vectors = np.stack([E(0), unit(1, 1), unit(0, 1, 1), E(2)])
    result = align(frame, vectors, COSINE)
    assert pairs_of(result) == {
        frozenset({"a1", "b1"}),
        frozenset({"b1", "c1"}),
        frozenset({"c1", "d1"}),
    }
    groups = groups_of(result)
    assert not any({"a1", "d1"} <= g for g in groups)
    assert all(len(g) <= 3 for g in groups)
    # a claim left outside its partner's fact is still never an omission where it is paired
    missing = set(result.omissions.select("claim_id", "missing_in_doc").iter_rows())
    assert not {("a1", "B"), ("b1", "A"), ("c1", "D"), ("d1", "C"), ("b1", "C")} & missing


def test_every_claim_is_in_exactly_one_group():
    frame = claims([("a1", "A"), ("a2", "A"), ("b1", "B"), ("b2", "B"), ("c1", "C")])
    vectors = np.stack([E(0), E(3), E(0), E(4), unit(1, 1)])
    result = align(frame, vectors, COSINE)
    ids = result.claim_groups["claim_id"].to_list()
    assert sorted(ids) == sorted(frame["claim_id"].to_list())
    assert len(ids) == len(set(ids))
    assert sorted(map(sorted, groups_of(result))) == [["a1", "b1", "c1"], ["a2"], ["b2"]]


def test_omissions_name_the_nearest_non_match_in_each_document_lacking_the_claim():
    frame = claims([("a1", "A"), ("a2", "A"), ("b1", "B"), ("b2", "B"), ("c1", "C")])
    # a1 ~ b1 (paired); a2 is unique: nearest in B is b2 (cos 0.2), in C it is c1.
    vectors = np.stack([E(0), E(2), E(0), unit(0, 0, 0.2, 0.9798), unit(0, 0, 0.2, 0, 1)])
    result = align(frame, vectors, COSINE)
    omissions = {
        (r["claim_id"], r["missing_in_doc"]): r for r in result.omissions.iter_rows(named=True)
    }
    assert ("a1", "B") not in omissions and ("b1", "A") not in omissions  # paired: not missing
    row = omissions[("a2", "B")]
    assert row["nearest_claim_id"] == "b2" and row["nearest_score"] == pytest.approx(0.2, abs=1e-4)
    assert omissions[("a2", "C")]["nearest_claim_id"] == "c1"
    assert ("a1", "A") not in omissions  # never missing in its own document
    # One row per (claim, document lacking it): 5 claims x 2 other documents, minus the paired ones.
    assert len(omissions) == 5 * 2 - 2


def test_a_group_with_a_member_in_a_document_is_not_missing_there():
    # a1 ~ b1 and a1 ~ c1: b1 is not missing in C, because its group holds c1.
    frame = claims([("a1", "A"), ("b1", "B"), ("c1", "C")])
    vectors = np.stack([E(0), unit(1, 0.3), unit(1, -0.3)])
    result = align(frame, vectors, COSINE)
    assert groups_of(result) == [{"a1", "b1", "c1"}]
    assert result.omissions.height == 0


def test_ids_and_rows_are_stable_across_runs_and_input_order():
    frame = claims([("a1", "A"), ("a2", "A"), ("b1", "B"), ("b2", "B"), ("c1", "C")])
    vectors = np.stack([E(0), E(1), unit(1, 0.2), unit(0.1, 1), unit(1, 1)])
    first = align(frame, vectors, COSINE)
    again = align(frame, vectors, COSINE)
    order = [4, 2, 0, 3, 1]
    shuffled = align(frame[order], vectors[order], COSINE)
    for table in ("claim_pairs", "claim_groups", "omissions"):
        assert_frame_equal(getattr(first, table), getattr(again, table))
        key = list(getattr(first, table).columns)
        assert_frame_equal(getattr(first, table).sort(key), getattr(shuffled, table).sort(key))


def test_blocks_give_the_same_answer_as_one_block(monkeypatch):
    rng = np.random.default_rng(7)
    frame = claims([(f"c{i}", f"D{i % 4}") for i in range(40)])
    vectors = rng.normal(size=(40, 6)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    whole = align(frame, vectors, COSINE)
    monkeypatch.setattr(align_module, "BLOCK", 3)
    blocked = align(frame, vectors, COSINE)
    for table in ("claim_pairs", "claim_groups", "omissions"):
        assert_frame_equal(getattr(whole, table), getattr(blocked, table))


def test_events_are_aligned_apart():
    one = claims([("x1", "A"), ("x2", "B")], event="one")
    two = claims([("y1", "C"), ("y2", "D")], event="two")
    frame = pl.concat([one, two])
    vectors = np.stack([E(0), E(0), E(0), E(0)])  # identical everywhere
    result = align(frame, vectors, COSINE)
    assert pairs_of(result) == {frozenset({"x1", "x2"}), frozenset({"y1", "y2"})}
    events = dict(zip(result.claim_pairs["claim_a"], result.claim_pairs["event_id"]))
    assert events == {"x1": "one", "y1": "two"}
    assert result.omissions.height == 0


def test_a_claim_takes_its_best_counterpart_and_a_second_only_for_another_point():
    # a1 "discussed X and Y"; B says X (b0), says X again in other words (b1), and says Y (b2).
    frame = claims([("a1", "A"), ("b0", "B"), ("b1", "B"), ("b2", "B")])
    vectors = np.stack([unit(1, 1), E(0), unit(1, 0.1), E(1)])
    result = align(frame, vectors, COSINE)
    assert pairs_of(result) == {frozenset({"a1", "b1"}), frozenset({"a1", "b2"})}
    methods = dict(zip(result.claim_pairs["claim_b"], result.claim_pairs["method"]))
    assert methods == {"b1": "dense/mutual", "b2": "dense/second-point"}


def test_across_two_languages_a_claim_takes_no_second_counterpart():
    # The same vectors as above, B now in another language than A: only the mutual best pairs
    # (a second point is told apart by shared words, which two languages do not have).
    frame = claims([("a1", "A"), ("b0", "B"), ("b1", "B"), ("b2", "B")])
    vectors = np.stack([unit(1, 1), E(0), unit(1, 0.1), E(1)])
    for langs, expected in (
        (["zh", "en", "en", "en"], {frozenset({"a1", "b1"})}),
        (["zh-CN", "zh", "zh", "zh"], {frozenset({"a1", "b1"}), frozenset({"a1", "b2"})}),
        ([None, "en", "en", "en"], {frozenset({"a1", "b1"}), frozenset({"a1", "b2"})}),
    ):
        result = align(frame.with_columns(lang=pl.Series(langs)), vectors, COSINE)
        assert pairs_of(result) == expected, langs


def test_each_model_has_its_calibration():
    assert AlignConfig.for_model("all-MiniLM-L6-v2@53aa51172d14") == AlignConfig()
    assert AlignConfig.for_model(None) == AlignConfig()
    use = AlignConfig.for_model("use-multilingual-v3@0db566fd0af8")
    assert (use.threshold, use.second_threshold) == (1.2, 1.1)
    assert use.dense_weight == AlignConfig().dense_weight


def test_second_counterparts_do_not_restate_each_other():
    # a1 "discussed X and Y"; B says X (b0) and says Y twice (b1, b2): a1 pairs with one Y and X.
    frame = claims([("a1", "A"), ("b0", "B"), ("b1", "B"), ("b2", "B")])
    vectors = np.stack([unit(1, 1), E(0), E(1), unit(0.05, 1)])
    result = align(frame, vectors, COSINE)
    assert pairs_of(result) == {frozenset({"a1", "b2"}), frozenset({"a1", "b0"})}


def test_near_duplicates_in_one_document_do_not_all_pair():
    frame = claims([("a1", "A")] + [(f"b{i}", "B") for i in range(4)])
    vectors = np.stack([E(0)] + [unit(1, 0.1 * i) for i in range(4)])
    assert pairs_of(align(frame, vectors, COSINE)) == {frozenset({"a1", "b0"})}


def test_a_pair_means_the_same_with_two_documents_or_with_more():
    # Adding documents to an event never changes what two of its documents pair, nor the scores.
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(12, 6)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = [(f"c{i}", "AB"[i % 2]) for i in range(8)] + [
        (f"c{i}", "CD"[i % 2]) for i in range(8, 12)
    ]
    two = align(claims(rows[:8]), vectors[:8], COSINE).claim_pairs
    four = align(claims(rows), vectors, COSINE).claim_pairs
    between = four.filter((pl.col("doc_a") == "A") & (pl.col("doc_b") == "B"))
    assert two.height > 0
    assert_frame_equal(two, between)


def test_two_short_documents_pair_when_alike_and_not_when_unrelated():
    # One claim each: the missing neighbours count as unrelated, so alike claims stand out.
    alike = align(claims([("a1", "A"), ("b1", "B")]), np.stack([E(0), unit(1, 0.3)]), COSINE)
    assert pairs_of(alike) == {frozenset({"a1", "b1"})}
    unrelated = align(claims([("a1", "A"), ("b1", "B")]), np.stack([E(0), unit(0.2, 1)]), COSINE)
    assert pairs_of(unrelated) == set()  # cosine 0.196 < min_score


def test_pair_rows_follow_the_schema():
    frame = claims([("a1", "A"), ("b1", "B")])
    result = align(frame, np.stack([E(0), unit(1, 0.5)]), COSINE)
    (row,) = result.claim_pairs.iter_rows(named=True)
    assert row["doc_a"] < row["doc_b"] and row["claim_a"] == "a1"
    assert 0 <= row["score"] <= 1 and row["cosine"] == pytest.approx(row["score"])
    assert row["margin"] >= COSINE.threshold
    assert row["method"] in METHODS
    assert result.claim_pairs.schema == pl.Schema(align_module.CLAIM_PAIRS_SCHEMA)


def test_one_document_and_empty_input():
    lonely = align(claims([("a1", "A"), ("a2", "A")]), np.stack([E(0), E(0)]))
    assert lonely.claim_pairs.height == 0 and lonely.omissions.height == 0
    assert lonely.claim_groups.height == 2
    empty = align(claims([]), np.zeros((0, 6), dtype=np.float32))
    assert empty.claim_pairs.height == empty.claim_groups.height == empty.omissions.height == 0


def test_default_config_pairs_wire_copy_and_leaves_the_unrelated_alone():
    rows = [
        (
            "a1",
            "A",
            "Rescuers pulled 12 miners alive from the flooded Copper Creek mine on Monday.",
        ),
        ("a2", "A", "The mine had been cited for safety violations last year."),
        (
            "b1",
            "B",
            "Rescuers pulled 12 miners alive from the flooded Copper Creek mine on Monday.",
        ),
        ("b2", "B", "Local schools will reopen next week after the holiday."),
    ]
    frame = claims_with_text(rows)
    result = align(frame, HashEmbedder().encode(frame["text"].to_list()))
    assert pairs_of(result) == {frozenset({"a1", "b1"})}
    assert result.claim_pairs["method"].to_list()[0] in METHODS


def test_documents_telling_other_stories_are_put_apart():
    # Two documents about Reid's rehab, two about Lohan's: two stories.
    similarity = np.array(
        [[1, 0.6, 0.05, 0.0], [0.6, 1, 0.02, 0.04], [0.05, 0.02, 1, 0.5], [0.0, 0.04, 0.5, 1]]
    )
    labels = _stories(similarity, threshold=0.15)
    assert labels[0] == labels[1] != labels[2] == labels[3]
    # Average linkage: a document joins a story when its mean similarity to it is high enough.
    # (Single linkage would join document 2 through its 0.3 to document 1.)
    chain = np.array([[1, 0.5, 0.1], [0.5, 1, 0.3], [0.1, 0.3, 1]])
    assert len(set(_stories(chain, threshold=0.25))) == 2  # mean (0.1 + 0.3) / 2 = 0.2 < 0.25
    assert len(set(_stories(chain, threshold=0.15))) == 1


def test_names_and_tfidf_helpers():
    assert claim_names("Qin Gang met Rudenko's team; The talks lasted 2.5 hours.") == [
        "qin",
        "gang",
        "rudenko",
        "2.5",
    ]
    rows = tfidf_rows([["wagner", "mutiny"], ["wagner", "mutiny"], []])
    similarity = (rows @ rows.T).toarray()
    assert similarity[0, 1] == pytest.approx(1.0) and similarity[2].sum() == 0


def test_config_rejects_a_weight_outside_the_unit_range_and_no_neighbours():
    for bad in ({"dense_weight": -1}, {"dense_weight": 1.5}, {"neighbours": 0}):
        with pytest.raises(ValueError):
            AlignConfig(**bad)


def test_documents_of_two_stories_never_pair_whatever_their_number():
    # The same claim in documents that name different people: two incidents, no pair, with two
    # documents as with three (the two-document special case is gone).
    text = "{} entered a rehabilitation clinic on the coast, her representative said."
    a = ("a1", "A", text.format("Tara Reid"))
    b = ("b1", "B", text.format("Lindsay Lohan"))
    c = ("c1", "C", text.format("Tara Reid"))
    for rows in ([a, b], [a, b, c]):
        frame = claims_with_text(rows)
        result = align(frame, HashEmbedder().encode(frame["text"].to_list()))
        assert frozenset({"a1", "b1"}) not in pairs_of(result)
    assert frozenset({"a1", "c1"}) in pairs_of(result)


# --- real bundled model: properties, not exact floats ---------------------------------------------


def test_paraphrase_is_accepted_and_scores_above_unrelated(real_embedder):
    rows = [
        (
            "a1",
            "A",
            "The central bank raised interest rates by half a percentage point on Tuesday.",
        ),
        ("a2", "A", "Heavy snow closed schools across the northern region."),
        ("a3", "A", "The decision surprised some economists."),
        ("b1", "B", "On Tuesday the central bank increased its key rate by 0.5 points."),
        ("b2", "B", "The city zoo welcomed a baby giraffe this spring."),
        ("b3", "B", "Markets fell after the announcement."),
    ]
    frame = claims_with_text(rows)
    result = align(frame, real_embedder.encode(frame["text"].to_list()))
    assert frozenset({"a1", "b1"}) in pairs_of(result)
    assert frozenset({"a2", "b2"}) not in pairs_of(result)
    pair_score = result.claim_pairs.filter(pl.col("claim_a") == "a1")["score"].max()
    unrelated = result.omissions.filter(pl.col("claim_id") == "a2")["nearest_score"].max()
    assert pair_score > unrelated
