"""`narrative-compare eval basil|fnc1 --json` on the real DEV data: JSON shape and the targets.

Each eval runs once per session through the CLI (embeddings cached outside the repository, so a
repeat takes seconds; a cold run embeds ~4k BASIL and ~9k FNC-1 sentences, a few minutes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, need_eval


def _eval_json(dataset: str) -> dict:
    folder = need_eval(dataset)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "compare", "eval", dataset, str(folder), "--json"],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 1, f"--json must print exactly one line, got {len(lines)}"
    return json.loads(lines[0])


@pytest.fixture(scope="module")
def basil() -> dict:
    return _eval_json("basil")


@pytest.fixture(scope="module")
def fnc1() -> dict:
    return _eval_json("fnc1")


def test_basil_json_shape(basil):
    assert basil["dataset"] == "basil"
    for key in (
        "f1_informational",
        "f1_lexical",
        "speaker_accuracy",
        "floor_flag_all_f1_informational",
        "floor_flag_all_f1_lexical",
        "floor_tfidf_f1_informational",
        "floor_tfidf_f1_lexical",
    ):
        assert isinstance(basil[key], float) and 0 <= basil[key] <= 1, key
    assert basil["n_events"] == 50
    assert basil["floor_flag_all_f1_informational"] == pytest.approx(0.284, abs=0.001)


def test_basil_lexical_evidence_beats_its_floor(basil):
    # Word level: the framing rows' evidence words against the experts' lexical-bias spans, at
    # least 3x the floor (issue 25's bar; DEV 0.0475 against 0.0114 with issue 23's aligner).
    # Sentence level is reported, not pinned: with precision at the base rate, flagging every
    # sentence (F1 0.108) is a floor that only recall moves, and the precision-first aligner of
    # issue 23 pairs fewer sentences (0.107 on DEV).
    assert basil["lexical_word_f1"] >= 3 * basil["floor_lexical_word_f1"]
    flag_all = basil["floor_flag_all_f1_lexical"]
    assert basil["precision_lexical"] > flag_all / (2 - flag_all)  # above the base rate


def test_fnc1_json_shape(fnc1):
    assert fnc1["dataset"] == "fnc1"
    for key in ("conflict_rate_disagree", "conflict_rate_agree"):
        assert isinstance(fnc1[key], float) and 0 <= fnc1[key] <= 1, key
    assert fnc1["n_pairs_by_label"]["disagree"] == 241  # every agree/disagree pair is scored
    assert fnc1["n_pairs_by_label"]["agree"] == 867
    for kind in ("number", "entity", "negation", "reworded", "speaker", "hedging", "framing"):
        assert 0 <= fnc1[f"rate_{kind}_disagree"] <= 1
    assert fnc1["rate_relation:conflict_disagree"] == fnc1["conflict_rate_disagree"]


def test_fnc1_conflicts_fire_more_often_on_disagreeing_bodies(fnc1):
    # Issue 4 asks for >= 2, issue 23 keeps it as a guard of the precision-first aligner.
    assert fnc1["conflict_ratio"] >= 2.0
    assert fnc1["conflict_rate_disagree"] > fnc1["conflict_rate_agree"]


def test_fnc1_conflicts_hold_on_unseen_bodies(fnc1):
    # Issue 25: 5 folds over bodies, the tuned constants refit on four and scored on the fifth.
    # DEV: mean 2.69 +- 1.06 (folds 3.31, 2.21, 1.14, 4.29, 2.52), pooled 2.28.
    ratios = fnc1["fold_conflict_ratios"]
    assert len(ratios) == 5 and len(fnc1["fold_settings"]) == 5
    assert fnc1["fold_conflict_ratio_mean"] == pytest.approx(sum(ratios) / 5)
    assert fnc1["fold_conflict_ratio_mean"] >= 2.3


def test_framed_singles_out_what_experts_marked(basil, fnc1):
    # Issue 25: `framed` only where a framing row singles something out. BASIL DEV: 20.2 % of the
    # pairs on a lexical-bias sentence are framed, 9.1 % of the rest (lift 2.21, 10.5 % overall);
    # before, 63 % of all pairs were framed at a lift of 1.17.
    assert basil["framed_lift"] >= 2.0
    assert basil["framed_share"] <= 0.35
    assert basil["n_pairs_lexical"] > 100 and basil["n_pairs_other"] > 1000
    # FNC-1 DEV: framed no longer marks nearly everything (81 % of agree pairs before).
    assert fnc1["rate_relation:framed_agree"] <= 0.35
