"""`eval readouts` and `eval propsegment`: the alignment judge's numbers on DEV, pinned.

readouts (two governments' accounts of one call, aligned by hand) judges the aligner; its
leave-one-event-out score guards against constants that only fit the four DEV events together.
propsegment judges pairing sentence with sentence across translated Wikipedia versions.
"""

from __future__ import annotations

import pytest

from tests.conftest import eval_json

READOUT_KEYS = [
    "pair_precision", "pair_recall", "pair_f1",
    "omission_precision", "omission_recall", "omission_f1",
]  # fmt: skip


@pytest.fixture(scope="module")
def readouts() -> dict:
    return eval_json("readouts")


def test_readouts_json_has_totals_per_event_loeo_and_floors(readouts):
    assert readouts["dataset"] == "readouts" and readouts["n_events"] == 4
    for key in READOUT_KEYS + ["loeo_pair_f1", "loeo_omission_f1"]:
        assert isinstance(readouts[key], float) and 0 <= readouts[key] <= 1, key
    assert len(readouts["per_event"]) == 4
    for scores in readouts["per_event"].values():
        assert set(READOUT_KEYS) <= set(scores)
    assert set(readouts["loeo_settings"]) == set(readouts["per_event"])
    # the floors are computed on the gold sentences (the figures for DEV)
    cosine = readouts["floors"]["cosine"]
    assert cosine["pair_f1"] == pytest.approx(0.46, abs=0.01)
    assert cosine["omission_f1"] == pytest.approx(0.73, abs=0.01)
    assert 0 < readouts["floors"]["tfidf"]["pair_f1"] < 1


def test_readouts_alignment_is_precise_and_beats_its_floors(readouts):
    # Issue 23's targets with the shipped constants, and on held-out events.
    assert readouts["pair_precision"] >= 0.65 and readouts["pair_f1"] >= 0.55
    assert readouts["omission_f1"] >= 0.80
    assert readouts["loeo_pair_f1"] >= 0.50
    for floor in readouts["floors"].values():
        assert readouts["pair_f1"] > floor["pair_f1"]


def test_propsegment_links_beat_the_mutual_best_floor():
    scores = eval_json("propsegment")
    assert scores["gold_links"] == 104
    for key in ("link_precision", "link_recall", "link_f1", "unlinked_precision"):
        assert 0 <= scores[key] <= 1, key
    assert scores["link_f1"] >= scores["floor"]["link_f1"] + 0.05
