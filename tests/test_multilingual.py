"""Sources in their own language (issue 19): Chinese and Russian in, the language detected, the
model's languages declared, and a warning when they do not match (since issue 26 only when
`--model` forces a model that does not declare them, or no bundled model does: tests/test_models.py
covers the per-event choice of the bundled multilingual model).

The end-to-end tests build a tiny multilingual sentence-transformers folder in the test (a randomly
initialised one-layer BERT with a WordPiece vocabulary trained on the sample texts, declaring
zh / ru / en in its model card): no multilingual weights can be downloaded here, and what is tested
is that `--model` takes such a folder through ingest, embed, align and report.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compare import lang
from compare.clean import clean_text
from compare.ingest import ingest
from compare.segment import attribute, claim_kind, segment, split_sentences
from tests.conftest import EVENTS, ROOT, write

EVENT = EVENTS / "wang-lavrov-2024"
ZH = """---
source: 中华人民共和国外交部
title: 王毅同拉夫罗夫通电话
---

2024年3月12日，外交部长王毅应约同俄罗斯外长拉夫罗夫通电话。

王毅表示，中俄保持密切沟通符合两国共同利益。双方还就乌克兰危机交换了意见。
"""


def roundtrip(documents, claims) -> None:
    texts = dict(zip(documents["doc_id"], documents["text"], strict=True))
    for row in claims.iter_rows(named=True):
        assert texts[row["doc_id"]][row["char_start"] : row["char_end"]] == row["text"]


# --- ingest and segment --------------------------------------------------------------------------


def test_the_sample_event_ingests_in_its_three_languages_with_claims_that_round_trip():
    documents = ingest([EVENT]).documents
    claims = segment(documents)
    langs = dict(zip(documents["path"].map_elements(lambda p: Path(p).name), documents["lang"]))
    assert langs == {"beijing-mfa-zh.md": "zh", "moscow-mid-ru.md": "ru", "wire-en.md": "en"}
    per_doc = claims.filter(claims["kind"] == "statement").group_by("doc_id").len()
    assert per_doc.height == 3 and per_doc["len"].min() >= 2
    roundtrip(documents, claims)
    speakers = set(claims["speaker"].drop_nulls())
    assert {"王毅", "拉夫罗夫", "Сергей Лавров", "Лавров"} <= speakers


def test_a_chinese_readout_is_no_longer_refused_as_boilerplate(tmp_path):
    documents = ingest([write(tmp_path / "e" / "zh.md", ZH)]).documents
    assert documents["lang"].to_list() == ["zh"]
    assert documents["text"][0].count("\n\n") == 1  # both paragraphs kept
    claims = segment(documents)
    assert claims.height == 3 and set(claims["kind"]) == {"statement"}
    roundtrip(documents, claims)


def test_a_given_lang_is_kept_and_a_missing_one_detected(tmp_path):
    ru = "Министры обсудили актуальные вопросы двусторонних отношений и ситуацию вокруг Украины."
    write(tmp_path / "e" / "a.md", f"---\nlang: zh-CN\n---\n\n{ZH.split('---')[-1]}")
    write(tmp_path / "e" / "b.jsonl", json.dumps({"text": ru}) + "\n")
    write(tmp_path / "e" / "c.jsonl", json.dumps({"text": "12345 678"}) + "\n")
    documents = ingest([tmp_path / "e"]).documents
    langs = dict(zip(documents["path"].map_elements(lambda p: Path(p).name), documents["lang"]))
    assert langs == {"a.md": "zh-CN", "b.jsonl:1": "ru", "c.jsonl:1": None}  # no letters: no guess


def test_chinese_and_russian_furniture_lines_go_and_wrapped_lines_join():
    scrape = "首页 > 外交部\n分享\n\n王毅表示，中俄两国保持密切沟通，双方将继续加强\n多边框架内的协调配合。\n\nГлавная"
    assert (
        clean_text(scrape) == "王毅表示，中俄两国保持密切沟通，双方将继续加强多边框架内的协调配合。"
    )
    russian = "Министры обсудили актуальные вопросы\nдвусторонних отношений."
    assert clean_text(russian) == "Министры обсудили актуальные вопросы двусторонних отношений."


def test_near_duplicate_chinese_paragraphs_are_dropped():
    one = "王毅表示，中俄作为新时代全面战略协作伙伴，保持密切沟通符合两国共同利益，双方将继续加强协调。"
    two = one.replace("继续", "继续 ")  # a stray space, the same paragraph
    other = "双方还就乌克兰危机交换了意见，王毅强调中方始终致力于劝和促谈。"
    assert clean_text(f"{one}\n\n{two}\n\n{other}", scrape=False) == f"{one}\n\n{other}"


def test_chinese_sentences_end_at_full_width_marks_with_their_closing_quotes():
    text = "王毅强调：“中方支持和平。”双方同意保持沟通！你怎么看？「好。」（完）"
    sentences = [text[a:b] for a, b in split_sentences(text)]
    assert sentences == [
        "王毅强调：“中方支持和平。”",
        "双方同意保持沟通！",
        "你怎么看？",
        "「好。」",
        "（完）",
    ]
    assert [claim_kind(s)[0] for s in sentences] == [
        "statement",
        "statement",
        "question",
        "statement",
        "meta",
    ]


def test_russian_sentences_keep_initials_and_abbreviations():
    text = (
        "12 марта С.В.Лавров провёл разговор с Ван И. Стороны обсудили, т.е. 5 млн. руб. было"
        " выделено. Министр С. Лавров заявил: «Мы готовы». Что дальше?"
    )
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "12 марта С.В.Лавров провёл разговор с Ван И.",
        "Стороны обсудили, т.е. 5 млн. руб. было выделено.",
        "Министр С. Лавров заявил: «Мы готовы».",
        "Что дальше?",
    ]


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ("王毅表示，中方支持和平。", "王毅"),
        ("外交部发言人汪文斌在例行记者会上指出：“中方立场一贯。”", "外交部发言人汪文斌"),
        ("他说，双方同意保持沟通。", "他"),
        ("据新华社报道，双方通了电话。", "新华社"),
        ("据说，双方通了电话。", None),
        ("Лавров заявил, что Москва готова к диалогу.", "Лавров"),
        ("«Мы готовы к диалогу», — сообщил Лавров.", "Лавров"),
        ("По словам Лаврова, стороны договорились.", "Лаврова"),
        ("Стороны обсудили ситуацию.", None),
    ],
)
def test_speaker_cues_in_chinese_and_russian(sentence, speaker):
    assert attribute(sentence)[0] == speaker


def test_he_said_in_chinese_goes_to_the_last_named_speaker(tmp_path):
    text = "王毅表示，中方支持和平谈判进程。他说，双方同意保持密切沟通。"
    documents = ingest([write(tmp_path / "e" / "a.md", text)]).documents
    assert segment(documents)["speaker"].to_list() == ["王毅", "王毅"]


PIECES = st.sampled_from(
    [
        "王毅表示，",
        "中方支持和平。",
        "”",
        "“",
        "！",
        "？",
        "Лавров заявил",
        ", что ",
        "С.В. ",
        "т.е. ",
        "Ван И. ",
        "«Да», — ",
        "Wang said ",
        "peace. ",
        "\n",
        "\n\n",
        " ",
        "。」",
        "……",
        "3.5",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=40))
def test_offsets_round_trip_in_every_script(pieces):
    text = "".join(pieces)
    for start, end in split_sentences(text):
        piece = text[start:end]
        assert piece == piece.strip() and any(ch.isalnum() for ch in piece)
    spans = split_sentences(text)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


# --- model languages -----------------------------------------------------------------------------


def test_a_model_folder_declares_its_languages(tmp_path):
    from compare.embed import load_embedder

    assert load_embedder().languages == frozenset({"en"})  # the bundled model card: language: en
    card = write(tmp_path / "card" / "README.md", "---\nlanguage:\n- zh\n- ru-RU\n---\n# model\n")
    assert lang.model_languages(card.parent) == frozenset({"zh", "ru"})
    own = write(tmp_path / "own" / "narrative_compare.json", '{"languages": ["multilingual"]}')
    assert lang.model_languages(own.parent) == frozenset({"multilingual"})
    assert lang.model_languages(tmp_path / "none") is None
    docs = [{"lang": "zh"}, {"lang": "en-GB"}, {"lang": None}, {"lang": "ru"}]
    assert lang.unsupported(frozenset({"en"}), docs) == [{"lang": "zh"}, {"lang": "ru"}]
    assert lang.unsupported(frozenset({"multilingual"}), docs) == []
    assert lang.unsupported(None, docs) == []  # a folder that declares nothing is not guessed at


def test_term_contrasts_count_words_within_one_language():
    assert lang.contrastable(["en", "en-US", None, "ru"]) == [True, True, True, False]
    assert lang.contrastable(["zh", "zh", "en"]) == [False, False, False]
    assert lang.contrastable([None, None]) == [True, True]


# --- end to end with a real multilingual folder --------------------------------------------------


def build_multilingual_model(folder: Path, texts: list[str]) -> Path:
    """A tiny sentence-transformers folder: random one-layer BERT, WordPiece trained on `texts`,
    mean pooling; its model card declares zh, ru and en."""
    import torch
    from sentence_transformers import SentenceTransformer, SentenceTransformerModelCardData
    from sentence_transformers import models as st_models
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, BertTokenizerFast

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)  # CJK: one token a character
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.train_from_iterator(
        texts, trainers.WordPieceTrainer(vocab_size=2000, special_tokens=special)
    )
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    raw = folder / "raw"
    BertTokenizerFast(
        tokenizer_object=tokenizer,
        **dict(zip(["pad_token", "unk_token", "cls_token", "sep_token", "mask_token"], special)),
    ).save_pretrained(raw)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
    )
    BertModel(config).save_pretrained(raw)
    word = st_models.Transformer(str(raw), max_seq_length=256)
    pooling = st_models.Pooling(32, pooling_mode="mean")
    model = SentenceTransformer(
        modules=[word, pooling],
        device="cpu",
        model_card_data=SentenceTransformerModelCardData(language=["zh", "ru", "en"]),
    )
    model.save(str(folder / "model"))
    return folder / "model"


@pytest.fixture(scope="module")
def multilingual_model(tmp_path_factory) -> Path:
    texts = [p.read_text(encoding="utf-8") for p in sorted(EVENT.glob("*.md"))]
    return build_multilingual_model(tmp_path_factory.mktemp("model"), texts)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "compare", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def multilingual_run(multilingual_model, tmp_path_factory) -> tuple[Path, Path, str]:
    """`run` on the sample event with the tiny multilingual folder: (store, report, stderr)."""
    work = tmp_path_factory.mktemp("multilingual-run")
    result = run_cli(
        "run",
        str(EVENT),
        "--db",
        "m.duckdb",
        "--out",
        "reports",
        "--model",
        str(multilingual_model),
        "--json",
        cwd=work,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["documents"] == 3 and summary["embedded"] == summary["claims"] >= 6
    return work / "m.duckdb", work / summary["reports"][0], result.stderr


@pytest.mark.slow
def test_a_declared_multilingual_folder_runs_the_event_end_to_end_without_a_warning(
    multilingual_run, multilingual_model
):
    from compare import store

    db, report, stderr = multilingual_run
    assert "Warning" not in stderr and "--model" not in stderr
    con = store.open_store(db, read_only=True)
    try:
        langs = dict(con.execute("SELECT path, lang FROM documents").fetchall())
        assert sorted(langs.values()) == ["en", "ru", "zh"]
        (model,) = {row[0] for row in con.execute("SELECT model FROM embeddings").fetchall()}
        assert model.startswith(multilingual_model.name)
        roundtrip(store.read_table(con, "documents"), store.read_table(con, "claims"))
        groups = con.execute("SELECT count(DISTINCT doc_id) FROM claim_groups").fetchall()[0][0]
        assert groups == 3  # every document's statements were aligned into facts
    finally:
        con.close()
    html = report.read_text(encoding="utf-8")
    assert "王毅" in html and "Лавров" in html


@pytest.mark.slow
def test_forcing_the_english_model_warns_once_naming_the_documents(tmp_path):
    # Without --model the event takes the bundled multilingual model and nothing is said
    # (tests/test_models.py); forced to the English folder, the warning names the documents.
    from compare.embed import bundled_model_path

    result = run_cli(
        "run",
        str(EVENT),
        "--db",
        "b.duckdb",
        "--out",
        "reports",
        "--model",
        str(bundled_model_path()),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1
    (warning,) = warnings
    # documents named by their labels (the Chinese readout's source is 中华人民共和国外交部)
    assert "'Beijing (MFA)' (zh," in warning and "'Moscow (MID)' (ru," in warning
    assert "'Wire'" not in warning and "--model" in warning and "multilingual" in warning


# --- the report in a real browser ----------------------------------------------------------------


@pytest.mark.slow
def test_the_report_renders_chinese_and_cyrillic_in_chromium(multilingual_run, browser, tmp_path):
    _, report, _ = multilingual_run
    page = browser.new_page()
    try:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(report.as_uri(), wait_until="load")
        text = page.inner_text("body")
        page.screenshot(path=str(tmp_path / "multilingual.png"), full_page=True)
    finally:
        page.close()
    assert errors == []
    assert "王毅" in text and "Лавров" in text
    assert (tmp_path / "multilingual.png").stat().st_size > 10_000
    for language in ("zh", "ru"):  # `make test` installs fonts-noto-cjk (and DejaVu)
        fonts = subprocess.run(
            ["fc-list", f":lang={language}", "family"], capture_output=True, check=False
        )
        assert fonts.stdout.strip(), f"no font with {language} glyphs: run make test"
