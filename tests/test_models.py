"""The bundled multilingual model and the per-event choice (issue 26): an event in the default
model's languages keeps all-MiniLM-L6-v2, an event with a Chinese or Russian document is embedded
with the multilingual model, `--model` forces one model, and the store records which one.

The tests that load a real model are marked slow (tests/conftest.py): USE multilingual v3 loads in
about a second, MiniLM in ten.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from compare import store
from compare.cli import main
from compare.embed import load_embedder
from compare.errors import InputError
from compare.lang import language_notes
from compare.models import MULTILINGUAL, ModelChoice, UniversalSentenceEncoder, choose
from compare.pipeline import ingest_into
from compare.query import run_query
from tests.conftest import EVENTS, eval_json, write

EVENT = EVENTS / "wang-lavrov-2024"
# data/events/wang-lavrov-2024/README.md: the one-sided sentences (a point only that source tells)
ONE_SIDED = (
    "双方商定年内在北京举行两国外交部间战略安全磋商。",
    "王毅还祝贺俄方成功举办世界青年联欢节。",
    "Сергей Лавров проинформировал собеседника о ходе подготовки к выборам Президента",
    "Министры также затронули подготовку к предстоящему визиту Президента России в Китай.",
    "The call came a day after China's parliament closed its annual session.",
    "Trade between China and Russia reached a record $240 billion last year",
)


def run(*args: str) -> tuple[dict, str]:
    result = CliRunner().invoke(main, ["run", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.splitlines()[-1]), result.stderr


def event_models(db: Path) -> dict[str, tuple[str, str]]:
    con = store.open_store(db, read_only=True)
    try:
        return {e: (m, r) for e, m, r in con.execute("SELECT * FROM event_models").fetchall()}
    finally:
        con.close()


# --- the choice, without loading a model ---------------------------------------------------------


def test_an_event_in_the_default_models_languages_keeps_it_and_another_takes_the_multilingual():
    choice = ModelChoice(load_embedder())  # the bundled MiniLM's card says `language: en`
    model, reason = choice.pick(["en", None, "en-GB"])
    assert model is choice.default and reason.startswith("default")
    model, reason = choice.pick(["zh", "en", "ru-RU"])
    assert isinstance(model, UniversalSentenceEncoder) and model.name == MULTILINGUAL
    assert reason == "multilingual (documents in ru, zh)"
    forced = ModelChoice(load_embedder(), forced=True)
    assert forced.pick(["zh"]) == (forced.default, "forced (--model)")


def test_load_embedder_takes_a_bundled_models_name():
    model = load_embedder(MULTILINGUAL)
    assert model.path == MULTILINGUAL and {"zh", "ru", "en"} <= model.languages
    assert load_embedder(model.path).key == model.key  # what a Ray actor does with `path`
    assert model.key.startswith(f"{MULTILINGUAL}@") and len(model.key.split("@")[1]) == 12


def test_the_warning_stays_for_a_language_no_bundled_model_covers(tmp_path):
    # Ukrainian: neither MiniLM (en) nor USE multilingual v3 (16 languages) declares it.
    folder = tmp_path / "kyiv-call"
    write(folder / "en.md", "---\nlang: en\n---\n\nThe two ministers spoke by phone on Tuesday.\n")
    write(folder / "uk.md", "---\nlang: uk\n---\n\nМіністри провели телефонну розмову.\n")
    write(folder / "zh.md", "---\nlang: zh\n---\n\n两国外长通电话。\n")
    con = store.open_store(tmp_path / "s.duckdb")
    try:
        ingest_into(con, [folder])
        chosen = choose(con, ["kyiv-call"], ModelChoice(load_embedder()))
        ((model, reason),) = chosen.values()
        assert model.name == MULTILINGUAL and reason == "multilingual (documents in uk, zh)"
        notes = language_notes(con, ["kyiv-call"], {"kyiv-call": model.languages})
    finally:
        con.close()
    warnings = [n for n in notes if n.startswith("Warning:")]
    assert len(warnings) == 1 and "(uk, event 'kyiv-call')" in warnings[0]
    assert "(zh," not in warnings[0]  # the multilingual model covers Chinese: no word about it


# --- with the real models ------------------------------------------------------------------------


@pytest.mark.slow
def test_tatoeba_errors_of_the_model_run_picks_for_chinese_and_russian():
    scores = eval_json("tatoeba", "--model", MULTILINGUAL)
    assert scores["model"].startswith(f"{MULTILINGUAL}@")
    assert scores["n_cmn"] == scores["n_rus"] == 1000
    for direction in ("cmn_to_eng", "eng_to_cmn", "rus_to_eng", "eng_to_rus"):
        assert 0.0 <= scores[f"error_{direction}"] <= 0.12, (direction, scores)


@pytest.mark.slow
def test_the_english_model_is_far_worse_on_tatoeba():
    scores = eval_json("tatoeba")  # the bundled MiniLM: English only
    assert scores["model"].startswith("all-MiniLM-L6-v2@")
    assert min(v for k, v in scores.items() if k.startswith("error_")) > 0.3


@pytest.fixture(scope="module")
def wang_lavrov(tmp_path_factory) -> tuple[Path, dict, str]:
    work = tmp_path_factory.mktemp("wang-lavrov")
    summary, stderr = run(str(EVENT), "--db", str(work / "x.duckdb"), "--out", str(work / "r"))
    return work / "x.duckdb", summary, stderr


@pytest.mark.slow
def test_wang_lavrov_pairs_shared_points_across_languages_and_no_one_sided_claim(wang_lavrov):
    db, _, stderr = wang_lavrov
    assert "Warning" not in stderr
    ((model, reason),) = event_models(db).values()
    assert model.startswith(f"{MULTILINGUAL}@") and reason == "multilingual (documents in ru, zh)"
    con = store.open_store(db, read_only=True)
    try:
        pairs = con.execute(
            "SELECT da.lang, db.lang, ca.text, cb.text FROM claim_pairs p"
            " JOIN claims ca ON ca.claim_id = p.claim_a JOIN claims cb ON cb.claim_id = p.claim_b"
            " JOIN documents da ON da.doc_id = p.doc_a JOIN documents db ON db.doc_id = p.doc_b"
        ).fetchall()
        (vectors,) = con.execute("SELECT DISTINCT model FROM embeddings").fetchall()
    finally:
        con.close()
    assert vectors == (model,)  # every claim of the event embedded with the one model
    across = [p for p in pairs if p[0] != p[1]]
    assert len(across) >= 4
    langs = {frozenset(p[:2]) for p in across}  # each two of the three languages
    assert langs == {frozenset({"zh", "ru"}), frozenset({"zh", "en"}), frozenset({"ru", "en"})}
    for _, _, a, b in pairs:
        assert not any(s in a or s in b for s in ONE_SIDED), (a, b)


@pytest.mark.slow
def test_model_forces_one_model_everywhere(tmp_path):
    # (tests/test_multilingual.py checks the warning this run prints)
    db = tmp_path / "f.duckdb"
    run(str(EVENT), "--db", str(db), "--out", str(tmp_path / "r"), "--model", MULTILINGUAL)
    ((model, reason),) = event_models(db).values()
    assert model.startswith(f"{MULTILINGUAL}@") and reason == "forced (--model)"
    run(
        str(EVENTS / "wagner-2023"),
        "--db",
        str(db),
        "--out",
        str(tmp_path / "r"),
        "--model",
        MULTILINGUAL,
    )
    assert {m for m, _ in event_models(db).values()} == {model}  # English too, when forced


@pytest.mark.slow
def test_english_sample_events_keep_minilm(sample_store):
    models = event_models(sample_store)
    assert models and all(m.startswith("all-MiniLM-L6-v2@") for m, _ in models.values())
    assert {r for _, r in models.values()} == {"given"}  # the fixture passes one embedder


@pytest.mark.slow
def test_group_auto_puts_the_three_accounts_of_the_call_in_one_event(tmp_path):
    folder = tmp_path / "feed"
    for name in ("wang-lavrov-2024", "wagner-2023", "xi-biden-2023"):
        shutil.copytree(EVENTS / name, folder / name, ignore=shutil.ignore_patterns("README.md"))
    summary, stderr = run(
        str(folder),
        "--group",
        "auto",
        "--db",
        str(tmp_path / "g.duckdb"),
        "--out",
        str(tmp_path / "r"),
    )
    assert "Warning: the model" not in stderr
    assert len(summary["events"]) == 3
    con = store.open_store(tmp_path / "g.duckdb", read_only=True)
    try:
        rows = con.execute(
            "SELECT event_id, list(path ORDER BY path) FROM documents GROUP BY 1"
        ).fetchall()
    finally:
        con.close()
    folders = sorted(sorted({Path(p).parent.name for p in paths}) for _, paths in rows)
    assert folders == [["wagner-2023"], ["wang-lavrov-2024"], ["xi-biden-2023"]]
    models = event_models(tmp_path / "g.duckdb")
    call = next(e for e, paths in rows if "wang-lavrov-2024" in paths[0])
    assert models[call][0].startswith(f"{MULTILINGUAL}@")
    assert sum(m.startswith("all-MiniLM-L6-v2@") for m, _ in models.values()) == 2
    # claims_like embeds the search text with the event's model; two models never mix
    db = tmp_path / "g.duckdb"
    with pytest.raises(InputError, match="embedded with 2 models"):
        run_query("claims_like", db=db, params={"text": "Ukraine"})
    found = run_query("claims_like", db=db, event_id=call, params={"text": "Украина", "top": 3})
    assert set(found["event_id"]) == {call} and found.height == 3
    assert any("乌克兰" in text for text in found["text"])  # a Chinese claim found by Russian
