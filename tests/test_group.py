"""Event grouping (compare/group.py) on tiny frames with the deterministic hashing embedder."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from compare.embed import HashEmbedder
from compare.evaluate.grouping import adjusted_rand, bcubed_prf, pairwise_prf
from compare.group import GroupConfig, group_documents, weekdays
from compare.text import document_names

QUAKE = [
    (
        "Strong earthquake shakes southern Chile",
        (
            "A magnitude 7.1 earthquake struck southern Chile near Temuco on Tuesday, the USGS said."
            " Buildings shook in Temuco and Valdivia and residents fled into the streets."
        ),
    ),
    (
        "Magnitude 7.1 quake hits Chile near Temuco",
        (
            "A strong magnitude 7.1 earthquake hit southern Chile near Temuco on Tuesday. Residents"
            " of Temuco and Valdivia ran into the streets as buildings shook, the USGS said."
        ),
    ),
    (
        "Chile earthquake: residents flee as 7.1 tremor strikes Temuco",
        (
            "Residents of Temuco fled into the streets on Tuesday when a magnitude 7.1 earthquake"
            " struck southern Chile, the USGS reported. Valdivia buildings shook too."
        ),
    ),
]
FINAL = [
    (
        "Barcelona beat Juventus 3-1 in Champions League final",
        (
            "Barcelona won the Champions League final in Berlin on Saturday, beating Juventus 3-1"
            " with goals from Rakitic, Suarez and Neymar."
        ),
    ),
    (
        "Barcelona win Champions League, beat Juventus 3-1 in Berlin",
        (
            "Goals from Rakitic, Suarez and Neymar gave Barcelona a 3-1 win over Juventus in the"
            " Champions League final in Berlin on Saturday."
        ),
    ),
]
TAX = [
    (
        "Senate passes tax bill after overnight session",
        (
            "The Senate passed the tax bill by 51 to 49 votes on Friday after an overnight session,"
            " sending the tax bill back to the House."
        ),
    ),
    (
        "Tax bill clears Senate 51-49",
        (
            "After an overnight session the Senate passed the tax bill 51 to 49 on Friday; the"
            " House must vote on the tax bill again."
        ),
    ),
]


def frame(
    stories: dict[str, list[tuple[str, str]]], dates: dict[str, str] | None = None
) -> pl.DataFrame:
    rows = []
    for story, docs in stories.items():
        for i, (title, text) in enumerate(docs):
            doc_id = f"{story}-{i}"
            rows.append(
                {"doc_id": doc_id, "title": title, "text": text, "date": (dates or {}).get(doc_id)}
            )
    return pl.DataFrame(rows, schema={c: pl.String for c in ("doc_id", "title", "text", "date")})


def events(result: pl.DataFrame) -> dict[str, str]:
    return dict(zip(result["doc_id"], result["event_id"]))


def partition(result: pl.DataFrame) -> set[frozenset[str]]:
    by_event: dict[str, set[str]] = {}
    for doc_id, event_id in result.iter_rows():
        by_event.setdefault(event_id, set()).add(doc_id)
    return {frozenset(v) for v in by_event.values()}


def test_same_story_grouped_different_stories_apart():
    docs = frame({"quake": QUAKE, "final": FINAL, "tax": TAX})
    result = group_documents(docs, HashEmbedder())
    assert result.columns == ["doc_id", "event_id"]
    assert result["doc_id"].to_list() == docs["doc_id"].to_list()
    assert partition(result) == {
        frozenset({"quake-0", "quake-1", "quake-2"}),
        frozenset({"final-0", "final-1"}),
        frozenset({"tax-0", "tax-1"}),
    }


def test_event_ids_are_readable_and_deterministic():
    docs = frame({"quake": QUAKE, "final": FINAL, "tax": TAX})
    first = events(group_documents(docs, HashEmbedder()))
    shuffled = docs.sample(fraction=1.0, shuffle=True, seed=7)
    again = events(group_documents(shuffled, HashEmbedder()))
    assert first == again
    quake = first["quake-0"]
    assert quake.split("-")[:-1] and all(part.isalnum() for part in quake.split("-"))
    assert any(word in quake for word in ("temuco", "chile", "earthquake", "quake"))


def test_dates_name_the_event_and_keep_distant_documents_apart():
    same_text = frame({"quake": QUAKE})
    dates = {"quake-0": "2021-03-02", "quake-1": "2021-03-02", "quake-2": "2021-06-15"}
    dated = same_text.with_columns(pl.Series("date", [dates[d] for d in same_text["doc_id"]]))
    result = events(group_documents(dated, HashEmbedder()))
    assert result["quake-0"] == result["quake-1"] != result["quake-2"]
    assert result["quake-0"].startswith("2021-03-02-")


def test_incremental_joins_existing_events_and_keeps_their_ids():
    stored = frame({"quake": QUAKE[:2], "final": FINAL}).with_columns(
        pl.Series("event_id", ["chile-quake", "chile-quake", "cl-final", "cl-final"])
    )
    new = frame({"quake": QUAKE, "tax": TAX}).filter(
        pl.col("doc_id").is_in(["quake-2", "tax-0", "tax-1"])
    )
    result = events(group_documents(new, HashEmbedder(), existing=stored))
    assert set(result) == {"quake-2", "tax-0", "tax-1"}  # only the new documents come back
    assert result["quake-2"] == "chile-quake"
    assert result["tax-0"] == result["tax-1"] not in {"chile-quake", "cl-final"}


def test_incremental_never_merges_two_existing_events():
    twins = frame({"a": QUAKE[:1], "b": QUAKE[1:2]}).with_columns(
        pl.Series("event_id", ["ev-a", "ev-b"])
    )
    new = frame({"c": QUAKE[2:]})
    result = events(group_documents(new, HashEmbedder(), existing=twins))
    assert result["c-0"] in {"ev-a", "ev-b"}


def test_sparse_neighbours_match_all_pairs():
    docs = frame({"quake": QUAKE, "final": FINAL, "tax": TAX})
    few = group_documents(docs, HashEmbedder(), config=GroupConfig(neighbours=3, block=2))
    all_pairs = group_documents(docs, HashEmbedder(), config=GroupConfig(neighbours=100))
    assert partition(few) == partition(all_pairs)


def test_empty_and_single_documents():
    empty = frame({}).head(0)
    assert group_documents(empty, HashEmbedder()).height == 0
    single = group_documents(frame({"tax": TAX[:1]}), HashEmbedder())
    assert single.height == 1 and single["event_id"][0]


def test_text_cues():
    assert weekdays("He spoke on Tuesday and again on friday.") == (1 << 1) | (1 << 4)
    assert weekdays("No day named here.") == 0
    found = document_names("The USGS said Temuco shook. Residents of Valdivia fled; 7.1 magnitude.")
    assert {"usgs", "temuco", "valdivia", "7.1"} <= set(found)
    assert "the" not in found and "residents" not in found  # sentence openers are not names


def test_cluster_metrics_on_known_partitions():
    gold = ["a", "a", "b", "b", "c"]
    assert adjusted_rand(gold, gold) == pytest.approx(1.0)
    assert pairwise_prf(["x", "x", "y", "y", "z"], gold) == (1.0, 1.0, 1.0)
    p, r, _ = bcubed_prf(["x"] * 5, gold)
    assert r == pytest.approx(1.0) and p == pytest.approx((2 * 2 / 5 * 2 + 1 / 5) / 5)
    assert abs(adjusted_rand(list(range(5)), gold)) < 1e-9
    rng = np.random.default_rng(0)
    assert (
        abs(adjusted_rand(rng.integers(0, 3, 300).tolist(), rng.integers(0, 3, 300).tolist()))
        < 0.05
    )


def test_date_window_holds_inside_the_linkage_for_a_story_retold_60_days_later():
    """One story told on day 0 and again on day 60, with tellings every 3 days between: each
    document's neighbours are within the window, but no group may span more than `max_days`, so
    the tellings 60 days apart are never grouped. Few neighbours (as in a crowded feed) once let
    the linkage chain them all into one group."""
    start = dt.date(2024, 1, 10)
    rows = [
        {
            "doc_id": f"day-{day:02d}",
            "title": QUAKE[day % 3][0],
            "text": QUAKE[day % 3][1],
            "date": (start + dt.timedelta(days=day)).isoformat(),
        }
        for day in range(0, 61, 3)
    ]
    docs = pl.DataFrame(rows, schema={c: pl.String for c in ("doc_id", "title", "text", "date")})
    for config in (GroupConfig(), GroupConfig(neighbours=3)):
        result = events(group_documents(docs, HashEmbedder(), config=config))
        assert result["day-00"] != result["day-60"]
        for event_id in set(result.values()):
            days = sorted(int(d[4:]) for d, e in result.items() if e == event_id)
            assert days[-1] - days[0] <= 7


def test_undated_documents_group_by_content_alone():
    docs = frame({"quake": QUAKE, "final": FINAL})
    docs = docs.with_columns(
        pl.when(pl.col("doc_id") == "quake-0")
        .then(pl.lit("2024-01-10"))
        .otherwise(None)
        .alias("date")
    )
    assert partition(group_documents(docs, HashEmbedder())) == {
        frozenset({"quake-0", "quake-1", "quake-2"}),
        frozenset({"final-0", "final-1"}),
    }


def test_given_claims_are_not_segmented_again(monkeypatch):
    import importlib

    segment_module = importlib.import_module("compare.segment")

    docs = frame({"quake": QUAKE, "final": FINAL, "tax": TAX})
    claims = segment_module.segment(docs.with_columns(pl.lit("").alias("event_id")))
    expected = partition(group_documents(docs, HashEmbedder()))

    def refuse(*args, **kwargs):
        raise AssertionError("segmented a second time")

    monkeypatch.setattr(segment_module, "segment", refuse)
    assert partition(group_documents(docs, HashEmbedder(), claims=claims)) == expected
