"""Source profiles (issue 28): a planted signal found by the real pipeline stages, the views'
pair strength, the CLI's --json and its errors. Fast: the deterministic hashing embedder."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from compare import store
from compare.cli import main
from compare.diverge import LOOSE_PAIR, DivergeConfig
from compare.profile import profile, public

CITIES = ["Arlen", "Brosk", "Calder", "Dovin", "Esker", "Fallow"]
TOPICS = [
    "grain exports",
    "border crossings",
    "energy prices",
    "water rights",
    "fishing quotas",
    "rail freight",
]
MONTHS = ["March", "April", "May", "June", "July", "August"]


def _event(i: int) -> list[str]:
    city, topic, month = CITIES[i], TOPICS[i], MONTHS[i]
    return [
        f"The government of {city} announced new talks on {topic} with its neighbours.",
        f"Officials said the government would review the {topic} agreement before {month}.",
        f"Local hospitals confirmed {12 + i} casualties after the shelling of {city} on Monday.",
        f"Rescue teams counted {30 + i} further casualties near the {city} railway station.",
        f"Mayor Ilse {city}ova met the visiting delegation to discuss {topic} and trade.",
        f"Both sides agreed to hold another round of talks in {month}.",
    ]


def _text(sentences: list[str]) -> str:
    return " ".join(sentences)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Six events told by four outlets: 'Planted' writes 'regime' for 'government' and drops
    every sentence about casualties; 'Control' drops one other sentence per event (a different
    one each time) and is otherwise like the wires."""
    from compare.embed import HashEmbedder
    from compare.pipeline import align_store, ingest_into

    folder = tmp_path_factory.mktemp("planted")
    rows = []
    for i in range(6):
        base = _event(i)
        planted = [s.replace("government", "regime") for s in base if "casualties" not in s]
        control = [s for j, s in enumerate(base) if j != [0, 4, 5, 1, 4, 5][i]]
        for source, sentences in (
            ("Planted", planted),
            ("Control", control),
            ("Wire One", base),
            ("Wire Two", base[::-1]),
        ):
            rows.append(
                {
                    "doc_id": f"e{i}-{source.lower().replace(' ', '')}",
                    "event_id": f"event-{i}",
                    "source": source,
                    "date": f"2026-0{i + 1}-10",
                    "text": _text(sentences),
                }
            )
    path = folder / "feed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    db = folder / "planted.duckdb"
    con = store.open_store(db)
    ingest_into(con, [path])
    align_store(con, HashEmbedder())
    con.close()
    return db


def _profile(db, source, against=None) -> dict:
    con = store.open_store(db, read_only=True)
    try:
        return profile(con, source, against, db=db)
    finally:
        con.close()


def test_planted_outlet_ranks_its_substitution_and_omission_first(planted):
    p = _profile(planted, "planted")
    top = p["substitutions"][0]
    assert (top["source_words"], top["other_words"]) == ("regime", "government")
    assert top["events"] == 6 and sorted(top["others"]) == ["Control", "Wire One", "Wire Two"]
    assert "casualties" in p["omission_themes"][0]["terms"]
    assert p["omission_themes"][0]["count"] == 12  # two casualty facts in each of six events
    assert all("casualties" in e for e in p["omission_themes"][0]["examples"])


def test_control_outlet_shows_neither(planted):
    p = _profile(planted, "Control")
    assert not any("regime" in s["source_words"] for s in p["substitutions"])
    assert not any("casualties" in t["terms"] for t in p["omission_themes"])


def test_views_count_only_firm_pairs():
    # compare/views.sql and queries/source_*.sql write the report's firm-pair bar as 0.49
    assert DivergeConfig().certain_pair_score * LOOSE_PAIR == pytest.approx(0.49)


def test_json_is_one_object_with_the_issue_keys(planted, tmp_path):
    result = CliRunner().invoke(
        main, ["profile", "PLANTED", "--db", str(planted), "--out", str(tmp_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    data = json.loads(line)
    assert list(data) == [
        "source",
        "events",
        "coverage",
        "relations",
        "substitutions",
        "omission_themes",
        "speakers",
        "terms",
    ]
    assert data["source"] == "Planted" and data["events"] == 6
    assert set(data["coverage"]["Wire One"]) == {"facts", "both"}
    assert set(data["substitutions"][0]) == {
        "source_words",
        "other_words",
        "others",
        "events",
        "score",
    }
    assert set(data["omission_themes"][0]) == {"terms", "count", "examples"}
    assert len(list(tmp_path.glob("profile-planted*.html"))) == 1


def test_coverage_and_relations_equal_the_view(planted):
    p = _profile(planted, "Planted", "Wire One")
    con = store.open_store(planted, read_only=True)
    ((facts, both, firm),) = con.execute(
        "SELECT sum(other_facts), sum(shared_facts), sum(firm_pairs) FROM v_source_pair"
        " WHERE source = 'Planted' AND other_source = 'Wire One'"
    ).fetchall()
    con.close()
    assert p["coverage"] == {"Wire One": {"facts": facts, "both": both}}
    assert sum(p["relations"]["Wire One"].values()) == firm
    assert public(p)["events"] == 6


def test_unknown_source_names_the_closest(planted):
    result = CliRunner().invoke(main, ["profile", "Wire Won", "--db", str(planted)])
    assert result.exit_code == 2
    assert "Unknown source 'Wire Won'" in result.output and "Wire One" in result.output
