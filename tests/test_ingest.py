"""ingest: files -> documents (formats, cleaning, dedup, events, errors)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compare.clean import clean_text
from compare.errors import InputError
from compare.ingest import DOCUMENTS_SCHEMA, MAX_DOC_BYTES, Ingested, ingest
from tests.conftest import write

ROOT = Path(__file__).resolve().parents[1]
SEED = Path(__file__).parent / "fixtures" / "afp-scrape.txt"  # ../shared/seeds, as scraped
AFP_HTML = ROOT / "data" / "events" / "wagner-2023" / "afp-wire.html"

ARTICLE = (
    "China on Sunday said it supported Russia in protecting national stability.\n\n"
    "The issue was Russia's internal affair, the ministry added.\n\n"
    "Analysts say China holds the upper hand in the relationship with Russia.\n"
)


def one(result: Ingested) -> dict:
    assert result.documents.height == 1
    return result.documents.row(0, named=True)


# --- the seed scrape -----------------------------------------------------------------------------


def test_seed_scrape_is_cleaned():
    doc = one(ingest([SEED]))
    text = doc["text"]
    for furniture in ("SHARE", "Sign In", "Sign out", "Copyright", "Home / World News", "Read |"):
        assert furniture not in text
    assert "Create free account" not in text and "Subscribe Now" not in text
    assert "Get Latest World News" not in text and "AFP |" not in text
    assert "the ministry added." in text
    assert "Analysts say China holds the upper hand" in text
    repeated = 'China on Sunday said it supported Russia in "protecting national stability".'
    assert text.count(repeated) == 1
    assert "\n\n" in text and "\n\n\n" not in text
    assert doc["doc_id"] == doc["content_sha256"][:16]
    assert doc["source"] is None
    assert doc["event_id"] == SEED.parent.name


def test_line_filter_keeps_sentences_and_drops_short_menu_lines():
    raw = "Home\nWorld\nShare this article\nA long sentence about the talks ends here.\nOk.\n"
    assert clean_text(raw) == "A long sentence about the talks ends here.\n\nOk."
    # table rows are not scrapes: short lines stay
    assert clean_text("Tara Reid in rehab\nShe is fine.", scrape=False) == (
        "Tara Reid in rehab\n\nShe is fine."
    )


def test_hard_wrapped_lines_are_joined():
    raw = "The talks were held in a friendly\nand trusting atmosphere, the ministry said.\n"
    assert clean_text(raw) == (
        "The talks were held in a friendly and trusting atmosphere, the ministry said."
    )


def test_duplicate_and_near_duplicate_paragraphs_are_dropped():
    first = "The two sides discussed bilateral relations and regional issues of common concern."
    near = "The two sides discussed bilateral relations and regional issues of common concern!"
    other = "The sides discussed relations."
    raw = f"{first}\n\n{first}\n\n{near.upper()}\n\n{other}\n\n{first}"
    assert clean_text(raw).split("\n\n") == [first, other]
    # one changed word in a ten-word paragraph is Jaccard 9/11 < 0.9: kept
    changed = first.replace("bilateral", "trade")
    assert clean_text(f"{first}\n\n{changed}").split("\n\n") == [first, changed]


# --- formats -------------------------------------------------------------------------------------


def test_markdown_front_matter_aliases_and_unknown_keys(tmp_path):
    path = write(
        tmp_path / "ev" / "a.md",
        "---\noutlet: Xinhua\npublished: 2023-06-25\ntitle: Talks\nmood: calm\n---\n" + ARTICLE,
    )
    result = ingest([path])
    doc = one(result)
    assert doc["source"] == "Xinhua" and doc["label"] is None
    assert doc["date"] == "2023-06-25"
    assert doc["title"] == "Talks"
    assert json.loads(doc["metadata"]) == {"mood": "calm"}
    assert doc["event_id"] == "ev"
    assert doc["text"].startswith("China on Sunday said")
    assert len(result.warnings) == 1
    assert "'mood'" in result.warnings[0] and "a.md" in result.warnings[0]
    assert dict(result.documents.schema) == DOCUMENTS_SCHEMA


def test_html_with_sidecar(tmp_path):
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE.strip().split("\n\n"))
    html = (
        "<html><head><title>Page title</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article>{paragraphs}</article><footer>© 2023 Site</footer></body></html>"
    )
    path = write(tmp_path / "ev" / "story.html", html)
    write(
        tmp_path / "ev" / "story.meta.yaml",
        "source: Agence France-Presse\nlabel: AFP\ndate: 2023-06-26\nsite: HT\n",
    )
    result = ingest([tmp_path / "ev"])
    doc = one(result)
    assert doc["source"] == "Agence France-Presse" and doc["date"] == "2023-06-26"
    assert doc["label"] == "AFP"  # the short name the report shows
    assert doc["title"] == "Page title"
    assert doc["text"].split("\n\n") == ARTICLE.strip().split("\n\n")
    assert json.loads(doc["metadata"]) == {"site": "HT"}
    assert doc["path"] == str(path)
    assert any("'site'" in w for w in result.warnings)


def test_sample_html_keeps_every_paragraph():
    doc = one(ingest([AFP_HTML]))
    text = doc["text"]
    assert doc["source"] == "AFP" and doc["event_id"] == "wagner-2023"
    for start in (
        "China on Sunday said it supported",
        "The issue was Russia's",
        "Beijing had until",
        "On Sunday, China's Foreign Minister",
        "The two diplomats",
        "In its readout",
        "China and Russia have ramped",
        "Beijing says",
        "Analysts say",
    ):
        assert start in text
    assert "Get Latest" not in text and "SHARE" not in text and "Sign In" not in text


def test_jsonl_csv_parquet_with_aliases(tmp_path):
    rows = [
        {"doc_id": "j1", "outlet": "Reuters", "published": "2023-06-25", "text": ARTICLE, "x": 1},
        {"text": "Moscow said Beijing had expressed support for the efforts.", "event_id": "e2"},
    ]
    write(tmp_path / "ev" / "a.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")
    pl.DataFrame(
        {"outlet": ["TASS"], "published": [dt.datetime(2023, 6, 25, 10, 30)], "text": ["Hi there."]}
    ).write_parquet(tmp_path / "ev" / "b.parquet")
    write(
        tmp_path / "ev" / "c.csv",
        'source,label,text\nChina Global Television Network,CGTN,"Line one is here.\nLine two is here."\n',
    )
    result = ingest([tmp_path / "ev"])
    docs = {d["path"]: d for d in result.documents.iter_rows(named=True)}
    jsonl = docs[f"{tmp_path / 'ev' / 'a.jsonl'}:1"]
    assert (jsonl["doc_id"], jsonl["source"], jsonl["date"]) == ("j1", "Reuters", "2023-06-25")
    assert json.loads(jsonl["metadata"]) == {"x": 1}
    assert docs[f"{tmp_path / 'ev' / 'a.jsonl'}:2"]["event_id"] == "e2"
    parquet = docs[f"{tmp_path / 'ev' / 'b.parquet'}:1"]
    assert (parquet["source"], parquet["date"]) == ("TASS", "2023-06-25T10:30:00")
    csv = docs[f"{tmp_path / 'ev' / 'c.csv'}:1"]
    assert (csv["source"], csv["label"]) == ("China Global Television Network", "CGTN")
    assert csv["text"] == "Line one is here.\n\nLine two is here."
    assert csv["event_id"] == "ev"
    assert result.warnings == [
        f"'{tmp_path / 'ev' / 'a.jsonl'}': unknown column 'x' kept as metadata."
    ]


def test_folder_of_event_folders_and_skipped_files(tmp_path):
    write(tmp_path / "events" / "one" / "a.txt", ARTICLE)
    write(tmp_path / "events" / "two" / "b.txt", ARTICLE.replace("Sunday", "Monday"))
    write(tmp_path / "events" / "one" / "README.md", "This folder holds one event of the sample.")
    write(tmp_path / "events" / "one" / "notes.yaml", "a: 1")
    write(tmp_path / "events" / "one" / "a.meta.yaml", "source: AFP\n")
    docs = ingest([tmp_path / "events"]).documents
    assert docs["event_id"].to_list() == ["one", "two"]
    assert docs["source"].to_list() == ["AFP", None]


def test_event_id_field_wins_over_folder(tmp_path):
    path = write(tmp_path / "folder" / "a.md", "---\nevent_id: wagner\n---\n" + ARTICLE)
    assert one(ingest([path]))["event_id"] == "wagner"


# --- duplicates ----------------------------------------------------------------------------------


def test_identical_texts_give_one_document(tmp_path):
    write(tmp_path / "ev" / "a.txt", ARTICLE)
    write(tmp_path / "ev" / "b.txt", ARTICLE + "\n\n")
    result = ingest([tmp_path / "ev"])
    assert one(result)["path"].endswith("a.txt")
    assert any("b.txt" in w and "a.txt" in w for w in result.warnings)


def test_same_text_with_distinct_given_ids_stays_two_documents(tmp_path):
    rows = [{"doc_id": "x", "text": ARTICLE}, {"doc_id": "y", "text": ARTICLE}]
    write(tmp_path / "a.jsonl", "\n".join(json.dumps(r) for r in rows))
    assert ingest([tmp_path / "a.jsonl"]).documents["doc_id"].to_list() == ["x", "y"]


def test_doc_id_collision_names_both_paths(tmp_path):
    write(tmp_path / "ev" / "a.md", "---\ndoc_id: same\n---\n" + ARTICLE)
    write(tmp_path / "ev" / "b.md", "---\ndoc_id: same\n---\nSomething else entirely was said.")
    with pytest.raises(InputError, match=r"'same'.*a\.md.*b\.md"):
        ingest([tmp_path / "ev"])


def test_ingest_is_deterministic(tmp_path):
    write(tmp_path / "ev" / "b.txt", ARTICLE)
    write(tmp_path / "ev" / "a.txt", ARTICLE.replace("Russia", "Belarus"))
    first, second = ingest([tmp_path / "ev"]), ingest([tmp_path / "ev"])
    assert first.documents.equals(second.documents)
    assert first.documents["path"].to_list() == sorted(first.documents["path"].to_list())


# --- encodings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        ARTICLE.encode("utf-8-sig"),
        ARTICLE.encode("utf-16"),
        ARTICLE.replace("affair", "affaire à Genève").encode("latin-1"),
    ],
    ids=["utf8-bom", "utf16-bom", "latin1"],
)
def test_encodings(tmp_path, data):
    text = one(ingest([write(tmp_path / "a.txt", data)]))["text"]
    assert text.startswith("China on Sunday") and "\ufeff" not in text


# --- errors --------------------------------------------------------------------------------------


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (path, expected message fragment)."""
    empty_dir = tmp_path / "nothing"
    empty_dir.mkdir()
    write(empty_dir / "image.png", b"\x89PNG")
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(MAX_DOC_BYTES + 1)  # sparse: instant, no 20 MB written
    return {
        "missing": (tmp_path / "missing.txt", "no such file"),
        "empty folder": (empty_dir, "no supported files"),
        "empty file": (write(tmp_path / "empty.txt", b""), "the file is empty"),
        "binary nul": (write(tmp_path / "nul.txt", b"abc\x00def" * 10), "binary"),
        "binary control": (write(tmp_path / "ctl.md", b"\x01\x02\x03\x04 text" * 10), "binary"),
        "encoding": (write(tmp_path / "enc.txt", b"text \x81\x82\x83\x84\x85" * 10), "encoding"),
        "html no text": (write(tmp_path / "x.html", "<html><body></body></html>"), "no main text"),
        "jsonl malformed": (write(tmp_path / "m.jsonl", '{"text": "ok."}\n{bad\n'), "line 2"),
        "jsonl no text": (write(tmp_path / "n.jsonl", '{"title": "t"}\n'), "'text'"),
        "csv no text": (write(tmp_path / "n.csv", "title,body\na,b\n"), "no 'text' column"),
        "too big": (big, "20 MB limit"),
        "only boilerplate": (write(tmp_path / "b.txt", "Home\nShare\nSign In\n"), "no text left"),
        "bad front matter": (write(tmp_path / "f.md", "---\n: : [\n---\nText here."), "YAML"),
        "unsupported": (write(tmp_path / "doc.pdf", b"%PDF"), "unsupported file type"),
    }


BAD_CASES = [
    "missing", "empty folder", "empty file", "binary nul", "binary control", "encoding",
    "html no text", "jsonl malformed", "jsonl no text", "csv no text", "too big",
    "only boilerplate", "bad front matter", "unsupported",
]  # fmt: skip


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_raises_input_error_naming_the_file(tmp_path, case):
    path, fragment = _bad_files(tmp_path)[case]
    with pytest.raises(InputError) as info:
        ingest([path])
    message = str(info.value)
    assert path.name in message and fragment in message
    assert "\n" not in message


def test_parquet_without_text_column(tmp_path):
    pl.DataFrame({"body": ["x"]}).write_parquet(tmp_path / "t.parquet")
    with pytest.raises(InputError, match=r"t\.parquet.*no 'text' column"):
        ingest([tmp_path / "t.parquet"])


def test_skip_bad_collects_and_continues(tmp_path):
    write(tmp_path / "ev" / "good.txt", ARTICLE)
    write(tmp_path / "ev" / "empty.txt", b"")
    write(tmp_path / "ev" / "bad.jsonl", "{oops\n")
    with pytest.raises(InputError, match="bad.jsonl"):
        ingest([tmp_path / "ev"])
    result = ingest([tmp_path / "ev", tmp_path / "missing"], skip_bad=True)
    assert one(result)["path"].endswith("good.txt")
    assert sorted(Path(p).name for p, _ in result.skipped) == ["bad.jsonl", "empty.txt", "missing"]
    assert all(reason for _, reason in result.skipped)


def test_skip_bad_with_nothing_readable_still_raises(tmp_path):
    write(tmp_path / "empty.txt", b"")
    with pytest.raises(InputError, match="No document could be read"):
        ingest([tmp_path / "empty.txt"], skip_bad=True)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(lambda s: s.encode("utf-8")))
def test_random_bytes_give_a_document_or_input_error(tmp_path, data):
    path = tmp_path / "random.txt"
    path.write_bytes(data)
    try:
        result = ingest([path])
    except InputError as exc:
        assert "random.txt" in str(exc)
    else:
        assert one(result)["text"].strip()
