"""`narrative-compare eval ecbplus`: the JSON contract and the alignment quality on DEV.

Runs the real pipeline on ../shared/eval/ecbplus (NARRATIVE_EVAL_DIR) with the bundled model. The
embeddings are cached outside the repository, so only a cold cache pays the ~3 minutes of embedding.
"""

from __future__ import annotations

import pytest

from tests.conftest import eval_json

KEYS = [
    "dataset", "scope", "n_documents",
    "precision_loose", "recall_loose", "f1_loose",
    "precision_tight", "recall_tight", "f1_tight",
    "floor_all_positive_f1_loose", "floor_all_positive_f1_tight",
    "floor_cosine_f1_loose", "floor_cosine_f1_tight",
    "floor_tfidf_f1_loose", "floor_tfidf_f1_tight",
]  # fmt: skip
CV_KEYS = [
    "cv_f1_loose_mean", "cv_f1_loose_sd", "cv_f1_tight_mean", "cv_f1_tight_sd",
    "fitted_f1_loose", "fitted_f1_tight",
]  # fmt: skip

# ECB+ is a guard, not the judge of alignment (readouts is: tests/test_eval_readouts.py). Its loose
# gold is event co-mention, which rewards many-to-many matching, so loose is reported, not pinned;
# tight F1 must stay >= 0.47 (issue 23: the TF-IDF floor is ~0.49, a precision-first aligner may
# give up a little there). The held-fold mean of 5-fold cross-validation by topic is pinned a
# little below its measured value, for vectors that differ by ~1e-7.
TIGHT_GUARD = 0.47
CV_F1_TIGHT = 0.45


@pytest.fixture(scope="module")
def ecbplus_scores() -> dict:
    return eval_json("ecbplus", "--cv", "5")


def test_json_has_the_issue_keys_and_floats_in_unit_range(ecbplus_scores):
    assert list(ecbplus_scores)[: len(KEYS)] == KEYS
    assert ecbplus_scores["dataset"] == "ecbplus" and ecbplus_scores["n_documents"] == 462
    for key, value in ecbplus_scores.items():
        if key.startswith(("precision", "recall", "f1", "floor")):
            assert isinstance(value, float) and 0.0 <= value <= 1.0, key


def test_grouping_keeps_sibling_events_apart(ecbplus_scores):
    # One GroupConfig for every corpus, tuned for AllSides: precise on ECB+ (5 of 111 groups mix
    # two events on DEV), recall lower; the floors are tuned on the data they score.
    assert ecbplus_scores["grouping_pairwise_f1"] >= 0.65
    assert ecbplus_scores["grouping_pairwise_precision"] >= 0.9
    assert 0 < ecbplus_scores["grouping_bcubed_f1"] <= 1


def test_floors_are_computed_on_the_data(ecbplus_scores):
    # The dataset README's numbers for DEV: all pairs aligned 0.570 / 0.259; TF-IDF ~0.655 / ~0.494.
    assert ecbplus_scores["floor_all_positive_f1_loose"] == pytest.approx(0.570, abs=0.001)
    assert ecbplus_scores["floor_all_positive_f1_tight"] == pytest.approx(0.259, abs=0.001)
    assert ecbplus_scores["floor_tfidf_f1_loose"] == pytest.approx(0.655, abs=0.02)
    assert ecbplus_scores["floor_tfidf_f1_tight"] == pytest.approx(0.494, abs=0.02)


def test_aligner_holds_the_tight_guard_and_its_held_fold_numbers(ecbplus_scores):
    s = ecbplus_scores
    assert s["f1_tight"] >= TIGHT_GUARD
    assert (
        s["precision_loose"] > s["precision_tight"]
    )  # precision first: few pairs, mostly co-mentions
    assert all(isinstance(s[k], float) for k in CV_KEYS)
    assert s["cv_f1_tight_mean"] >= CV_F1_TIGHT
    assert 0 < s["cv_f1_loose_sd"] < 0.2 and 0 < s["cv_f1_tight_sd"] < 0.2


def test_pairs_scope_scores_two_document_events_beside_their_floors():
    s = eval_json("ecbplus", "--scope", "pairs")
    assert s["scope"] == "pairs" and s["n_events"] > 1000
    for gold in ("loose", "tight"):
        for key in (f"f1_{gold}", f"floor_cosine_f1_{gold}", f"floor_tfidf_f1_{gold}"):
            assert 0 < s[key] < 1, key
    # the candidate pairs are the topic scope's, so the all-pairs floor is the same
    assert s["floor_all_positive_f1_loose"] == pytest.approx(0.570, abs=0.001)
