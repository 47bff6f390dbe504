"""Nothing lost, nothing crashes: bad input, interruption, concurrent use (issue 7).

Every failing command is checked for a one-line `Error:` naming the file, exit code 2, and the
same store before and after (row counts and a digest of every table's rows). Issue 18's hostile and
odd inputs (hangs, bombs, tracebacks, silent damage) follow the issue 7 cases.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compare import store
from compare.embed import HashEmbedder
from compare.errors import InputError
from compare.ingest import ingest
from compare.pipeline import align_store, ingest_into
from compare.segment import segment
from tests.conftest import ROOT, SAMPLE, counts, snapshot, write

pytest_plugins = ["tests.report_fixtures"]  # hundred_store

SENTENCE = "The council of {city} approved {n} new measures on {day} after a long debate."


def cli(*args: str, timeout: float = 600, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The CLI in a subprocess; with `cwd`, this checkout's package is found from that folder."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "compare", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
    )


PROGRESS_LINE = re.compile(r"^[a-z]+: \S.* · ")  # a finished stage, e.g. "read: 1 documents · 0 s"


def assert_refused(result: subprocess.CompletedProcess, name: str) -> str:
    """Exit 2 and one `Error:` line, after at most the progress lines of the stages that ran."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("Error: "), result.stderr
    assert all(PROGRESS_LINE.match(line) for line in lines[:-1]), result.stderr
    assert name in lines[-1]
    return lines[-1]


def bad_case(kind: str, tmp: Path) -> tuple[Path, str]:
    """A bad input of `kind` and the words its error must contain."""
    if kind == "missing":
        return tmp / "nope.txt", "no such file"
    if kind == "no-supported-files":
        write(tmp / "docs" / "notes.pdf", b"%PDF-1.4")
        return tmp / "docs", "no supported"
    if kind == "empty":
        return write(tmp / "empty.txt", ""), "empty"
    if kind == "binary":
        return write(tmp / "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20), "binary"
    if kind == "html-without-text":
        page = "<html><head><title>Menu</title></head><body><nav>Home | News</nav></body></html>"
        return write(tmp / "menu.html", page), "no text"
    if kind == "malformed-jsonl":
        lines = '{"text": "The first row is fine and ends here."}\n{"text": broken\n'
        return write(tmp / "feed.jsonl", lines), "line 2"
    if kind == "csv-without-text":
        return write(tmp / "feed.csv", "title,body\nA,B\n"), "'text' column"
    if kind == "too-big":
        big = ("A sentence that repeats until the file is far too big. " * 20 + "\n\n") * 48000
        return write(tmp / "huge.txt", big), "MB"
    raise AssertionError(kind)


BAD = [
    "missing",
    "no-supported-files",
    "empty",
    "binary",
    "html-without-text",
    "malformed-jsonl",
    "csv-without-text",
    "too-big",
]


@pytest.mark.parametrize("kind", BAD)
def test_bad_input_one_line_error_and_store_unchanged(kind, sample_copy, tmp_path):
    path, words = bad_case(kind, tmp_path)
    before = snapshot(sample_copy)
    line = assert_refused(cli("ingest", str(path), "--db", str(sample_copy)), path.name)
    assert words.lower() in line.lower()
    assert snapshot(sample_copy) == before


@pytest.mark.parametrize("kind", ["missing", "binary", "malformed-jsonl"])
def test_bad_input_through_run_leaves_the_store_and_out_unchanged(kind, sample_copy, tmp_path):
    path, words = bad_case(kind, tmp_path)
    before, out = snapshot(sample_copy), tmp_path / "out"
    line = assert_refused(
        cli("run", str(path), "--db", str(sample_copy), "--out", str(out)), path.name
    )
    assert words.lower() in line.lower()
    assert snapshot(sample_copy) == before and not out.exists()


def test_align_with_an_unknown_event_leaves_the_store_unchanged(sample_copy):
    before = snapshot(sample_copy)
    line = assert_refused(cli("align", "--db", str(sample_copy), "--event", "nope"), "nope")
    assert "Unknown event" in line
    assert snapshot(sample_copy) == before


def test_skip_bad_ingests_the_rest_and_lists_the_skipped_at_the_end(sample_copy, tmp_path):
    folder = tmp_path / "batch"
    for kind in ("empty", "binary", "malformed-jsonl"):
        bad_case(kind, folder)
    write(
        folder / "good.md", "---\nsource: Good Wire\n---\nA perfectly good sentence stays here.\n"
    )
    result = cli("ingest", str(folder), "--db", str(sample_copy), "--skip-bad", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["documents"] == 1
    tail = result.stderr.strip().splitlines()[-3:]
    skipped = sorted(line.split(": ")[0] for line in tail)
    assert skipped == [f"Skipped {folder / n}" for n in ("empty.txt", "feed.jsonl", "photo.txt")]


def test_latin1_and_utf16_text_files_are_read(tmp_path):
    write(
        tmp_path / "ev" / "latin.txt",
        "Le ministère a confirmé la réunion à Pékin.".encode("latin-1"),
    )
    write(
        tmp_path / "ev" / "wide.txt",
        "The ministry said the meeting in Beijing was useful.".encode("utf-16"),
    )
    docs = ingest([tmp_path / "ev"]).documents
    texts = sorted(docs["text"].to_list())
    assert texts == [
        "Le ministère a confirmé la réunion à Pékin.",
        "The ministry said the meeting in Beijing was useful.",
    ]


def test_document_without_sentence_boundaries_keeps_all_its_text(tmp_path):
    words = " ".join(f"word{i}" for i in range(3000))
    docs = ingest([write(tmp_path / "ev" / "wall.md", words)]).documents
    claims = segment(docs)
    text = docs["text"][0]
    assert claims.height > 1
    assert "".join(text[s:e] for s, e in zip(claims["char_start"], claims["char_end"])).replace(
        " ", ""
    ) == text.replace(" ", "")


def test_same_id_different_text_is_refused(sample_copy, tmp_path):
    write(tmp_path / "a" / "one.md", "---\ndoc_id: x1\n---\nThe first text says one thing.\n")
    write(tmp_path / "b" / "two.md", "---\ndoc_id: x1\n---\nThe second text says another thing.\n")
    before = snapshot(sample_copy)
    line = assert_refused(
        cli("ingest", str(tmp_path / "a"), str(tmp_path / "b"), "--db", str(sample_copy)), "x1"
    )
    assert "one.md" in line and "two.md" in line
    assert snapshot(sample_copy) == before


def test_unknown_front_matter_keys_are_kept_with_a_warning(tmp_path):
    path = write(tmp_path / "ev" / "a.md", "---\nsource: X\nmood: grim\n---\nA sentence is here.\n")
    result = ingest([path])
    assert json.loads(result.documents["metadata"][0]) == {"mood": "grim"}
    assert any("mood" in w for w in result.warnings)


@pytest.mark.slow  # the real bundled model, through the CLI
def test_one_document_event_is_a_note_not_an_error(tmp_path):
    write(tmp_path / "pair" / "a.md", "The minister met the envoy on Monday in the capital.\n")
    write(tmp_path / "pair" / "b.md", "On Monday the envoy was received by the minister.\n")
    write(tmp_path / "lonely" / "c.md", "Only one outlet covered the flood in the north.\n")
    db, out = tmp_path / "s.duckdb", tmp_path / "out"
    result = cli(
        "run", str(tmp_path / "pair"), str(tmp_path / "lonely"), "--db", str(db), "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert "event 'lonely' has one document" in result.stderr
    assert (out / "lonely.html").exists() and (out / "pair.html").exists()

    (out / "lonely.html").unlink()
    only = cli(
        "run", str(tmp_path / "lonely"), "--db", str(tmp_path / "t.duckdb"), "--out", str(out)
    )
    assert only.returncode == 2 and "nothing to compare" in only.stderr
    # checked before writing: no store file, no report (issue 18)
    assert not (tmp_path / "t.duckdb").exists() and not (out / "lonely.html").exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400))
def test_random_bytes_never_crash_ingest_and_offsets_slice_back(tmp_path, data):
    path = write(tmp_path / "ev" / "random.txt", data)
    try:
        docs = ingest([path]).documents
    except InputError:
        return
    claims = segment(docs)
    text = docs["text"][0]
    for start, end, claim in zip(claims["char_start"], claims["char_end"], claims["text"]):
        assert text[start:end] == claim


class InterruptingEmbedder(HashEmbedder):
    """Raises KeyboardInterrupt (what SIGINT does) on its second call, after the first chunk."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        if self.calls == 2:
            raise KeyboardInterrupt
        return super().encode(texts)


def many_sentences(tmp_path: Path, n: int = 1400) -> Path:
    cities = ["Lyon", "Kyiv", "Osaka", "Lima", "Accra", "Perth", "Quito"]
    for d in range(2):
        body = "\n\n".join(
            SENTENCE.format(city=cities[i % 7], n=i + d, day=f"day {i}") for i in range(n // 2)
        )
        write(tmp_path / "big" / f"doc{d}.md", body + "\n")
    return tmp_path / "big"


def test_interrupted_embedding_keeps_the_store_consistent_and_resumes(tmp_path):
    db = tmp_path / "s.duckdb"
    con = store.open_store(db)
    ingest_into(con, [many_sentences(tmp_path)])
    before = store.table_counts(con)
    with pytest.raises(KeyboardInterrupt):
        align_store(con, InterruptingEmbedder())
    after = store.table_counts(con)
    assert 0 < after["embeddings"] < after["claims"]  # the first chunk was committed ...
    assert {k: v for k, v in after.items() if k != "embeddings"} == {
        k: v for k, v in before.items() if k != "embeddings"
    }  # ... and nothing else was half-written
    summary = align_store(con, HashEmbedder())
    assert summary.embedded == after["claims"] - after["embeddings"]
    assert store.table_counts(con)["claim_groups"] == after["claims"]


@pytest.mark.slow  # the real bundled model, through the CLI
def test_sigterm_during_a_real_run_leaves_a_consistent_store_that_resumes(tmp_path):
    folder, db = many_sentences(tmp_path, 1100), tmp_path / "s.duckdb"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "compare",
            "run",
            str(folder),
            "--db",
            str(db),
            "--out",
            str(tmp_path),
        ],
        stderr=subprocess.PIPE,
        env={**os.environ, "NARRATIVE_PROGRESS_EVERY": "0"},  # a progress line per chunk
    )
    seen = b""
    # Two chunks of COMMIT_EVERY texts embedded: the first one is committed by now.
    while b"embedded 1,024" not in seen and proc.poll() is None:
        seen += os.read(proc.stderr.fileno(), 4096)
    proc.send_signal(signal.SIGTERM)
    rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, (seen + rest).decode()[-2000:]
    assert b"Interrupted" in rest and b"Traceback" not in rest
    partial = counts(db)
    assert 0 < partial["embeddings"] < partial["claims"] and partial["claim_pairs"] == 0
    resumed = cli("run", str(folder), "--db", str(db), "--out", str(tmp_path), "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["embedded"] == partial["claims"] - partial["embeddings"]


def test_second_writer_is_told_the_store_is_in_use_and_can_wait(sample_copy):
    before = snapshot(sample_copy)
    holder = subprocess.Popen(  # holds the store until it reads a line
        [
            sys.executable,
            "-c",
            (
                "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
                " sys.stdin.readline(); c.close()"
            ),
            str(sample_copy),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert holder.stdout.readline().strip() == b"held"
    busy = cli("ingest", str(SAMPLE), "--db", str(sample_copy))
    line = assert_refused(busy, sample_copy.name)
    assert "in use by another process" in line
    waiter = subprocess.Popen(
        [sys.executable, "-m", "compare", "ingest", str(SAMPLE), "--db", str(sample_copy)]
        + ["--wait", "600"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    # It says it waits, and it is still waiting while the holder keeps the store ...
    note = waiter.stderr.readline().decode()
    assert "in use by another process; waiting up to 600 s" in note, note
    assert waiter.poll() is None
    holder.communicate(b"release\n", timeout=60)
    # ... then goes ahead once the store is free.
    err = waiter.communicate(timeout=300)[1]
    assert waiter.returncode == 0, err.decode()
    assert snapshot(sample_copy) == before  # the sample was already stored: nothing new


def test_readers_work_while_no_writer_holds_the_store(sample_copy, tmp_path):
    reader = duckdb.connect(str(sample_copy), read_only=True)  # another reader stays open
    try:
        assert cli("events", "--db", str(sample_copy)).returncode == 0
        assert cli("report", "--db", str(sample_copy), "--out", str(tmp_path)).returncode == 0
    finally:
        reader.close()


def test_hostile_markup_is_escaped_in_the_report(tmp_path):
    payload = (
        '<script>alert(1)</script> <img src=x onerror="alert(2)">'
        ' <a href="javascript:alert(3)">x</a>'
    )
    write(
        tmp_path / "ev" / "a.md",
        f"---\nsource: '<b>Bold</b>'\nurl: 'javascript:alert(4)'\n---\n"
        f"The minister said {payload} in the capital on Monday.\n",
    )
    write(tmp_path / "ev" / "b.md", f"On Monday the minister said {payload} in the capital.\n")
    db = tmp_path / "s.duckdb"
    con = store.open_store(db)
    ingest_into(con, [tmp_path / "ev"])
    align_store(con, HashEmbedder())
    con.close()
    from compare.report import write_reports

    html = write_reports(db=db, out=tmp_path / "out")[0].read_text()
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x onerror" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- issue 18: hostile and odd input, round two -----------------------------------------------


def refused_by_ingest(db: Path, *args: str) -> str:
    """Run `ingest ARGS --db db`; it must be refused in one line and leave the store as it was."""
    before = snapshot(db)
    result = cli("ingest", *args, "--db", str(db))
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("Error: ") and "Traceback" not in result.stderr, result.stderr
    assert snapshot(db) == before
    return line


def test_a_long_line_reaches_pysbd_in_short_windows_once_each(tmp_path, monkeypatch):
    seg = importlib.import_module("compare.segment")  # `compare.segment` is also a function

    seen: list[int] = []
    real = seg._segmenter()

    class Recording:
        def segment(self, text):
            seen.append(len(text))
            return real.segment(text)

        def processor(self, text):  # the faster path split_sentences takes first
            seen.append(len(text))
            return real.processor(text)

    monkeypatch.setattr(seg, "_segmenter", lambda: Recording())
    seg._sentence_starts.cache_clear()  # a window met before is not read again
    line = ("lorem ipsum dolor sit amet consectetur " * 1000)[:40_000]  # no sentence end
    spans = seg.split_sentences(line)
    # linear: each char at most once (a window that recurs is read once: the starts are cached)
    assert max(seen) <= seg.PIECE_CHARS and len(line) // 10 < sum(seen) <= len(line)
    assert all(e - s <= seg.PIECE_CHARS for s, e in spans)
    assert "".join(line[s:e] for s, e in spans).replace(" ", "") == line.replace(" ", "")
    seen.clear()
    prose = "The minister spoke on Monday. Gen. Lee met J. Smith in Paris. " * 2000
    spans = seg.split_sentences(prose)  # longer than LONG_LINE_CHARS: split by rule
    assert not seen and len(spans) == 4000
    assert prose[slice(*spans[1])] == "Gen. Lee met J. Smith in Paris."


def test_a_200k_one_line_document_is_segmented_whole(tmp_path):
    prose = ("The talks were useful, the ministry said on Monday. " * 4000).strip()
    docs = ingest([write(tmp_path / "ev" / "one-line.txt", prose)]).documents
    claims = segment(docs)
    assert claims.height == 4000 and set(claims["text"]) == {prose[:51]}
    assert claims["speaker"][0] == "the ministry"


def test_duplicate_paragraph_check_compares_a_bounded_number_of_pairs(monkeypatch):
    ing = importlib.import_module("compare.clean")

    calls = []
    real = ing._near_duplicate
    monkeypatch.setattr(ing, "_near_duplicate", lambda a, b: calls.append(1) or real(a, b))
    text = "\n\n".join(f"Aardvark item{i} text{i * 7}." for i in range(8000))
    assert ing.clean_text(text, scrape=False) == text  # all kept ...
    assert len(calls) == 0  # ... without comparing the pairs that share only "aardvark"


def _brute_force(paragraphs: list[str]) -> list[str]:
    from compare.clean import _near_duplicate
    from compare.lang import tokens as words

    kept: list[str] = []
    for paragraph in paragraphs:
        key, tokens = paragraph.casefold(), frozenset(words(paragraph.casefold()))
        if any(
            key == k.casefold() or _near_duplicate(tokens, frozenset(words(k.casefold())))
            for k in kept
        ):
            continue
        kept.append(paragraph)
    return kept


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(list("abcdefghijkl")), min_size=0, max_size=14),
        max_size=25,
    )
)
def test_duplicate_paragraph_check_equals_the_pairwise_definition(words):
    from compare.clean import _drop_duplicate_paragraphs

    paragraphs = [" ".join(w) or "..." for w in words]
    assert _drop_duplicate_paragraphs(paragraphs) == _brute_force(paragraphs)


BOMB = "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
BOMB += "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n---\n"


@pytest.mark.parametrize("where", ["front-matter", "sidecar"])
def test_yaml_anchors_and_aliases_are_refused(where, sample_copy, tmp_path):
    body = "The minister met the envoy on Monday in the capital.\n"
    if where == "front-matter":
        path = write(tmp_path / "ev" / "bomb.md", BOMB + body)
    else:
        write(tmp_path / "ev" / "bomb.meta.yaml", BOMB.strip("-\n"))
        path = write(tmp_path / "ev" / "bomb.html", f"<html><body><p>{body}</p></body></html>")
    line = refused_by_ingest(sample_copy, str(path))
    assert "bomb" in line and "aliases" in line and "line 1" in line  # of the YAML


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("date.md", "---\ndate: 2023-02-30\n---\nThe talks ended on Monday.\n", "day is out of"),
        ("id.md", f"---\ndoc_id: {'9' * 5000}\n---\nThe talks ended on Monday.\n", "digits"),
        ("id.jsonl", f'{{"doc_id": {"9" * 5000}, "text": "The talks ended."}}\n', "line 1"),
    ],
)
def test_invalid_dates_and_huge_numbers_are_refused(name, content, words, sample_copy, tmp_path):
    line = refused_by_ingest(sample_copy, str(write(tmp_path / "ev" / name, content)))
    assert name in line and words in line


@pytest.mark.parametrize("field", ["title", "source", "mood"])
def test_lone_surrogates_are_refused(field, sample_copy, tmp_path):
    row = f'{{"text": "The talks ended on Monday.", "{field}": "x\\ud800y"}}\n'
    line = refused_by_ingest(sample_copy, str(write(tmp_path / "ev" / "s.jsonl", row)))
    assert "s.jsonl:1" in line and "surrogate" in line


def test_a_file_deleted_while_ingesting_is_an_error_not_a_traceback(sample_copy, tmp_path):
    ing = importlib.import_module("compare.ingest")

    folder = tmp_path / "ev"
    write(folder / "a.md", "The minister met the envoy on Monday.\n")
    gone = write(folder / "b.md", "The envoy met the minister on Monday.\n")
    real = ing._read_file

    def vanishing(path, *args):
        if path == gone:
            gone.unlink()
        return real(path, *args)

    before = snapshot(sample_copy)
    con = store.open_store(sample_copy)
    try:
        ing._read_file = vanishing
        with pytest.raises(InputError, match=r"b\.md': No such file"):
            ingest_into(con, [folder])
    finally:
        ing._read_file = real
        con.close()
    assert snapshot(sample_copy) == before


def test_a_truncated_store_is_refused_by_every_command(sample_copy, tmp_path):
    data = sample_copy.read_bytes()
    cut = write(tmp_path / "cut.duckdb", data[: len(data) // 2])
    for args in (["ingest", str(SAMPLE)], ["events"], ["query", "event_summary"], ["align"]):
        line = assert_refused(cli(*args, "--db", str(cut)), "cut.duckdb")
        assert "truncated" in line
    assert cut.read_bytes() == data[: len(data) // 2]


def test_an_event_id_over_200_characters_is_refused_at_ingest(sample_copy, tmp_path):
    row = json.dumps({"text": "The talks ended on Monday.", "event_id": "e" * 201})
    line = refused_by_ingest(sample_copy, str(write(tmp_path / "ev" / "long.jsonl", row + "\n")))
    assert "201 characters" in line and "200" in line


def test_a_duckdb_file_with_other_tables_is_not_adopted(tmp_path):
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE sales (n INTEGER); INSERT INTO sales VALUES (1)")
    con.close()
    line = assert_refused(cli("ingest", str(SAMPLE), "--db", str(other)), "other.duckdb")
    assert "sales" in line and "another --db" in line
    con = duckdb.connect(str(other), read_only=True)
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    con.close()
    assert tables == ["sales"]


def test_texts_stored_under_another_event_are_named_not_an_unknown_event(sample_copy, tmp_path):
    moved = tmp_path / "other-event"
    for doc in sorted(SAMPLE.glob("*.md"))[:2]:
        write(moved / doc.name, doc.read_bytes())
    write(moved / "broken.jsonl", '{"text": broken\n')
    before = snapshot(sample_copy)
    result = cli("run", str(moved), "--db", str(sample_copy), "--skip-bad", "--out", str(tmp_path))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert (
        lines[-1].startswith("Error: ") and "already stored under event 'wagner-2023'" in lines[-1]
    )
    assert "Unknown event" not in result.stderr
    assert any(line.startswith(f"Skipped {moved / 'broken.jsonl'}") for line in lines)
    assert snapshot(sample_copy) == before


def test_one_bad_byte_in_utf8_keeps_utf8_and_warns_with_the_offset(tmp_path):
    data = "Le ministère a confirmé la réunion.".encode() + b"\xff" + " Fin à Pékin.".encode()
    result = ingest([write(tmp_path / "ev" / "mixed.txt", data)])
    assert result.documents["text"][0] == "Le ministère a confirmé la réunion.\ufffd Fin à Pékin."
    assert any("offset(s) 38" in w and "mixed.txt" in w for w in result.warnings)
    latin = ingest([write(tmp_path / "ev2" / "latin.txt", "Pékin, réunion.".encode("latin-1"))])
    assert latin.documents["text"][0] == "Pékin, réunion."
    assert any("Latin-1" in w for w in latin.warnings)


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ('{"text": 42}', "'text' holds int"),
        ('{"text": ["a", "b"]}', "'text' holds list"),
        ('{"text": {"a": "b"}}', "'text' holds dict"),
        ('{"text": "The talks ended.", "doc_id": NaN}', "'doc_id' holds nan, not text"),
        ('{"text": "The talks ended.", "source": ["a"]}', "'source' holds list"),
    ],
)
def test_wrong_typed_fields_are_refused_with_column_and_row(row, words, sample_copy, tmp_path):
    path = write(tmp_path / "ev" / "typed.jsonl", '{"text": "A fine first row."}\n' + row + "\n")
    line = refused_by_ingest(sample_copy, str(path))
    assert "typed.jsonl' line 2" in line and words in line


def test_parquet_bytes_and_nan_ids_are_refused(sample_copy, tmp_path):
    import polars as pl

    raw = tmp_path / "ev" / "raw.parquet"
    raw.parent.mkdir(parents=True)
    pl.DataFrame({"text": [b"The talks ended."]}).write_parquet(raw)
    assert "'text' holds bytes" in refused_by_ingest(sample_copy, str(raw))
    nan = tmp_path / "ev" / "nan.parquet"
    pl.DataFrame({"text": ["The talks ended."], "doc_id": [float("nan")]}).write_parquet(nan)
    assert "nan.parquet' row 1: column 'doc_id' holds nan" in refused_by_ingest(
        sample_copy, str(nan)
    )


def test_links_out_of_the_folder_are_not_followed_and_are_listed(sample_copy, tmp_path):
    outside = write(tmp_path / "secret.txt", "A private note that must never be ingested here.\n")
    folder = tmp_path / "ev"
    write(folder / "a.md", "The minister met the envoy on Monday.\n")
    inside = write(tmp_path / "ev" / "sub" / "b.md", "The envoy met the minister on Monday.\n")
    (folder / "out.txt").symlink_to(outside)
    (folder / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    (folder / "b-again.md").symlink_to(inside)
    result = ingest([folder])
    texts = sorted(result.documents["text"])
    assert texts == sorted(p.read_text().strip() for p in (folder / "a.md", inside))
    reasons = dict(result.skipped)
    assert "link out of" in reasons[str(folder / "out.txt")]
    assert "dangling" in reasons[str(folder / "gone.txt")]
    run = cli("ingest", str(folder), "--db", str(sample_copy))
    assert run.returncode == 0 and f"Skipped {folder / 'out.txt'}" in run.stderr


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/root/*')",
        "SELECT * FROM read_csv('https://example.com/x.csv')",
    ],
)
def test_query_sees_the_store_only(sql, sample_copy):
    line = assert_refused(cli("query", "--sql", sql, "--db", str(sample_copy)), "--sql")
    assert "sees the store's tables and views only" in line


def test_query_file_that_is_not_sql_is_not_echoed(sample_copy, tmp_path):
    secret = write(tmp_path / "notes.txt", "root:x:0:0:secret-token\n")
    line = assert_refused(cli("query", str(secret), "--db", str(sample_copy)), "notes.txt")
    assert "secret-token" not in line and "x:0:0" not in line


def test_query_csv_and_json_write_blobs_as_hex(sample_copy):
    sql = "SELECT 'ab'::BLOB AS b, 1 AS n"
    csv = cli("query", "--sql", sql, "--format", "csv", "--db", str(sample_copy))
    assert csv.returncode == 0 and csv.stdout.splitlines() == ["b,n", "6162,1"], csv.stderr
    js = cli("query", "--sql", sql, "--format", "json", "--db", str(sample_copy))
    assert json.loads(js.stdout) == [{"b": "6162", "n": 1}]


def open_files(pid: int) -> set[str]:
    """The files process `pid` has open now (fds come and go while we look)."""
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd") if os.path.isdir(f"/proc/{pid}/fd") else []:
        try:
            found.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_a_long_query_exits_130(signum, sample_copy):
    sql = "SELECT count(*) FROM range(1000000000000) a"
    proc = subprocess.Popen(
        [sys.executable, "-m", "compare", "query", "--sql", sql, "--db", str(sample_copy)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # The query runs once the store is open (its file is among the process's open files).
    while proc.poll() is None and str(sample_copy.resolve()) not in open_files(proc.pid):
        pass
    proc.send_signal(signum)
    err = proc.communicate(timeout=120)[1].decode()
    assert proc.returncode == 130 and "Interrupted" in err and "Traceback" not in err, err


def test_unwritable_query_output_and_export_folder(sample_copy, tmp_path):
    blocker = write(tmp_path / "file", "not a folder")
    sql = ["--sql", "SELECT 1 AS n", "--db", str(sample_copy)]
    missing = tmp_path / "no" / "such" / "rows.csv"
    assert_refused(cli("query", *sql, "--format", "csv", "--output", str(missing)), "rows.csv")
    under = blocker / "rows.csv"
    assert_refused(cli("query", *sql, "--format", "csv", "--output", str(under)), "rows.csv")
    assert_refused(cli("export", str(blocker / "exports"), "--db", str(sample_copy)), "exports")


def two_doc_event(folder: Path, event_id: str | None = None) -> Path:
    head = f"---\nevent_id: '{event_id}'\n---\n" if event_id else ""
    place = folder.name.capitalize()
    write(folder / "a.md", head + f"The minister met the envoy on Monday in {place}.\n")
    write(folder / "b.md", head + f"On Monday the envoy was received in {place} by the minister.\n")
    return folder


def test_events_whose_slugs_collide_get_their_own_reports_and_index_links(tmp_path):
    from compare.report import report_summaries, slug

    db, out = tmp_path / "s.duckdb", tmp_path / "out"
    for name, event_id in (("one", "a-b"), ("two", "A b")):  # two runs, two events, one slug
        result = cli(
            "run", str(two_doc_event(tmp_path / name, event_id)), "--db", str(db), "--out", str(out)
        )
        assert result.returncode == 0, result.stderr
    assert slug("a-b") == "a-b" and slug("A b").startswith("a-b-")
    assert {p.name for p in out.glob("*.html")} == {"a-b.html", f"{slug('A b')}.html", "index.html"}
    links = {r["event_id"]: r["href"] for r in report_summaries(out)}
    assert links == {"a-b": "./a-b.html", "A b": f"./{slug('A b')}.html"}
    index = (out / "index.html").read_text()
    assert all(f'href="{href}"' in index for href in links.values())


def test_run_checks_that_out_is_writable_before_writing_anything(sample_copy, tmp_path):
    blocker = write(tmp_path / "file", "not a folder")
    before = snapshot(sample_copy)
    folder = two_doc_event(tmp_path / "fresh")
    result = cli("run", str(folder), "--db", str(sample_copy), "--out", str(blocker / "reports"))
    line = assert_refused(result, "reports")
    assert "Cannot write to the folder" in line
    assert snapshot(sample_copy) == before
    report = cli("report", "--db", str(sample_copy), "--out", str(blocker / "reports"))
    assert "Cannot write to the folder" in assert_refused(report, "reports")


def test_a_foreign_html_in_out_is_left_out_of_the_index(sample_copy, tmp_path):
    out = tmp_path / "out"
    foreign = '<script type="application/json" id="nc-summary">["not", "ours"]</script>'
    write(out / "stray.html", f"<html><head>{foreign}</head></html>")
    write(out / "other.html", '<script type="application/json" id="nc-summary">{"a": 1}</script>')
    result = cli("report", "--db", str(sample_copy), "--out", str(out))
    assert result.returncode == 0, result.stderr
    index = (out / "index.html").read_text()
    assert "stray.html" not in index and "other.html" not in index
    assert "wagner-2023.html" in index


def test_run_with_no_event_of_two_documents_writes_nothing(sample_copy, tmp_path):
    write(tmp_path / "lonely" / "c.md", "Only one outlet covered the flood in the north.\n")
    before, out = snapshot(sample_copy), tmp_path / "out"
    result = cli("run", str(tmp_path / "lonely"), "--db", str(sample_copy), "--out", str(out))
    line = assert_refused(result, "lonely")
    assert "nothing to compare" in line and "nothing was stored" in line
    assert snapshot(sample_copy) == before and not out.exists()


def test_align_and_report_do_not_create_a_store(tmp_path):
    missing = tmp_path / "missing.duckdb"
    for args in (["align"], ["report"], ["events"], ["export", str(tmp_path / "ex")]):
        line = assert_refused(cli(*args, "--db", str(missing)), "missing.duckdb")
        assert "No store at" in line
    assert not missing.exists()


# --- issue 24: hostile and odd input, round three ---------------------------------------------


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> Path:
    """A two-document event aligned with the hashing embedder: quick to build, copy to mutate."""
    root = tmp_path_factory.mktemp("small")
    db = root / "small.duckdb"
    con = store.open_store(db)
    ingest_into(con, [two_doc_event(root / "harbour")])
    align_store(con, HashEmbedder())
    con.close()
    return db


@pytest.fixture
def small_copy(small_store, tmp_path) -> Path:
    db = tmp_path / "store" / "copy.duckdb"
    db.parent.mkdir()
    db.write_bytes(small_store.read_bytes())
    return db


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_text('.tmp/secret.txt')",
        "SELECT * FROM glob('.tmp/*')",
        "SELECT * FROM read_csv('.tmp/secret.txt')",
        "SELECT * FROM read_text(current_setting('temp_directory') || '/../secret.txt')",
    ],
)
def test_query_cannot_read_the_working_directory_temp_folder(sql, small_copy, tmp_path):
    write(tmp_path / ".tmp" / "secret.txt", "secret-token\n")  # DuckDB's default temp folder
    result = cli("query", "--sql", sql, "--db", str(small_copy), cwd=tmp_path)
    line = assert_refused(result, "--sql")
    assert "sees the store's tables and views only" in line and "secret-token" not in result.stdout


def test_query_temp_folder_is_private_and_removed(small_copy, tmp_path):
    sql = "SELECT current_setting('temp_directory') AS t, current_setting('memory_limit') AS m"
    result = cli("query", "--sql", sql, "--db", str(small_copy), "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert not row["t"].startswith((".", str(tmp_path)))  # not under the working directory
    assert not Path(row["t"]).parent.exists()  # removed with the query
    assert row["m"].endswith("GiB") and 3 <= float(row["m"].split()[0]) <= 4  # 4 GB default


LONG_AGGREGATE = "SELECT sum(hash(r.range) % 11) FROM range(50000000000) r"


def running_query(db: Path, *args: str) -> subprocess.Popen:
    """`query --sql LONG_AGGREGATE`, returned once DuckDB works on it (the process burns CPU)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "compare", "query", "--sql", LONG_AGGREGATE, "--db", str(db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    ticks = os.sysconf("SC_CLK_TCK")
    while proc.poll() is None:  # user + system CPU time past the ~1 s of imports
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rpartition(")")[2].split()
        if (int(fields[11]) + int(fields[12])) / ticks > 2.5:
            break
    return proc


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_a_long_aggregate_exits_130(signum, small_copy):
    proc = running_query(small_copy)
    proc.send_signal(signum)
    err = proc.communicate(timeout=120)[1].decode()  # a guard against a hang only
    assert proc.returncode == 130 and "Interrupted" in err and "Traceback" not in err, err


def test_query_timeout_stops_a_long_aggregate(small_copy):
    result = cli("query", "--sql", LONG_AGGREGATE, "--db", str(small_copy), "--timeout", "1")
    assert "--timeout 1 s" in assert_refused(result, "--sql")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--memory", "8MB"], "--memory 8MB"),  # the aggregate cannot fit: refused, not killed
        (["--memory", "lots"], "--memory 'lots'"),
        (["--timeout", "0"], "--timeout"),
    ],
)
def test_query_memory_limit_and_bad_limits_are_one_line(args, words, small_copy):
    sql = "SELECT string_agg(range::VARCHAR, ',') FROM range(20000000)"
    result = cli("query", "--sql", sql, "--db", str(small_copy), *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert words in result.stderr.strip().splitlines()[-1]


ALL_TYPES = "SELECT * FROM test_all_types()"  # every DuckDB type, with its extreme values


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "parquet"])
def test_every_duckdb_type_reaches_every_format(fmt, small_copy, tmp_path):
    import polars as pl

    con = duckdb.connect()
    relation = con.sql(ALL_TYPES)
    types = dict(zip(relation.columns, relation.types))
    con.close()
    out = tmp_path / f"rows.{fmt}"
    result = cli(
        "query", "--sql", ALL_TYPES, "--db", str(small_copy), "--format", fmt, "-o", str(out)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    if fmt == "parquet":
        assert pl.read_parquet_schema(out).keys() == types.keys()
    elif fmt == "json":
        rows = json.loads(out.read_text(), parse_constant=pytest.fail)  # no NaN / Infinity
        assert len(rows) == 3 and list(rows[0]) == list(types)
    elif fmt == "csv":
        assert out.read_text().splitlines()[0] == ",".join(types)
    else:
        assert all(f"-[ {i} ]" in out.read_text() for i in (1, 2, 3))


@pytest.mark.parametrize(
    "value", ["'nan'::DOUBLE", "'-inf'::FLOAT", "['inf'::DOUBLE, 1.5]", "{'x': 'nan'::DOUBLE}"]
)
def test_json_output_is_valid_json_with_null_for_nan_and_infinity(value, small_copy):
    result = cli(
        "query", "--sql", f"SELECT {value} AS v", "--db", str(small_copy), "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout, parse_constant=pytest.fail)  # NaN, Infinity: not JSON
    assert "null" in json.dumps(row)


@pytest.mark.parametrize(
    ("query", "param", "value"),
    [
        ("most_divergent_groups", "top", "-1"),
        ("claims_like", "top", "-5"),
        ("distinctive_terms", "top", str(2**31)),  # past INTEGER
        ("distinctive_terms", "min_z", "nan"),
        ("aligned_claims", "min_score", "1.5"),  # the header says 0..1
        ("aligned_claims", "min_score", "inf"),
        ("claims_like", "vector", '[1, "a"]'),
        ("claims_like", "vector", "[NaN]"),
    ],
)
def test_parameters_are_checked_before_sql(query, param, value, small_copy):
    given = ["--param", f"{param}={value}"]
    if query == "claims_like" and param != "vector":
        given += ["--param", "vector=[0.5, 0.5]"]
    result = cli("query", query, *given, "--db", str(small_copy))
    line = assert_refused(result, f"Parameter '{param}'")
    assert value[:20] in line


@pytest.fixture
def small_disk(tmp_path):
    """Mount a small tmpfs (root only, as CI runs): `mount(kilobytes, read_only=False)`; a real
    full disk, not a mock. Unmounted after the test."""
    mounted: list[Path] = []

    def mount(kilobytes: int, *, read_only: bool = False) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        options = f"size={kilobytes}k" + (",ro" if read_only else "")
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], check=True)
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def fill(disk: Path, leave: int = 0) -> None:
    """Fill `disk` until at most `leave` bytes are free."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(disk / "filler", "wb") as f:
        try:
            f.write(b"\0" * max(0, free - leave))
        except OSError:
            pass


def remount_read_only(disk: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)


def blocker(kind: str, path: Path) -> None:
    """Put something that is not a writable file at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "folder":
        path.mkdir()
        write(path / "keep.txt", "mine")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "under-a-file":
        write(path.parent / "_file", "a file")
    else:
        raise AssertionError(kind)


def blocked_path(kind: str, path: Path) -> Path:
    blocker(kind, path)
    return path.parent / "_file" / path.name if kind == "under-a-file" else path


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under `folder` with its bytes (None for folders and FIFOs)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


BLOCKERS = ["folder", "fifo", "under-a-file"]
SMALL_ROWS = "SELECT range AS n, 'row ' || range AS label FROM range(20)"


@pytest.mark.parametrize("kind", BLOCKERS)
@pytest.mark.parametrize("fmt", ["csv", "json", "table", "parquet"])
def test_query_output_in_the_way_is_one_line(kind, fmt, small_copy, tmp_path):
    target = blocked_path(kind, tmp_path / "out" / f"rows.{fmt}")
    before = tree(tmp_path / "out")
    result = cli(
        "query",
        "--sql",
        SMALL_ROWS,
        "--db",
        str(small_copy),
        "--format",
        fmt,
        "-o",
        str(target),
        timeout=120,
    )
    assert_refused(result, "rows.")
    assert tree(tmp_path / "out") == before


@pytest.mark.parametrize("name", ["harbour.html", "plotly.min.js", "index.html"])
@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_report_file_in_the_way_is_one_line_and_nothing_written(name, kind, small_copy, tmp_path):
    second = tmp_path / "second"
    con = store.open_store(small_copy)
    ingest_into(con, [two_doc_event(second)])  # two events: shared plotly.js and an index
    align_store(con, HashEmbedder())
    con.close()
    out = tmp_path / "out"
    blocker(kind, out / name)
    before, stored = tree(out), snapshot(small_copy)
    result = cli("report", "--db", str(small_copy), "--out", str(out), timeout=120)
    assert name in assert_refused(result, name)
    assert tree(out) == before and snapshot(small_copy) == stored


def test_run_refuses_a_blocked_shared_file_before_storing(small_copy, tmp_path):
    out = tmp_path / "out"
    blocker("folder", out / "plotly.min.js")
    before = snapshot(small_copy)
    folder = two_doc_event(tmp_path / "fresh")
    result = cli("run", str(folder), "--db", str(small_copy), "--out", str(out), timeout=120)
    assert_refused(result, "plotly.min.js")
    assert snapshot(small_copy) == before


def test_a_foreign_index_is_left_alone_unless_replaced(small_copy, tmp_path):
    out = tmp_path / "out"
    con = store.open_store(small_copy)
    ingest_into(con, [two_doc_event(tmp_path / "second")])
    align_store(con, HashEmbedder())
    con.close()
    mine = write(out / "index.html", "<html><body>My own index</body></html>")
    result = cli("report", "--db", str(small_copy), "--out", str(out), timeout=120)
    assert result.returncode == 0, result.stderr
    assert mine.read_text() == "<html><body>My own index</body></html>"
    assert "--replace-index" in result.stderr and "index.html" not in result.stdout
    replaced = cli("report", "--db", str(small_copy), "--out", str(out), "--replace-index")
    assert replaced.returncode == 0 and "harbour.html" in mine.read_text(), replaced.stderr


@pytest.mark.parametrize(
    "target", ["query-csv", "query-parquet", "report", "export-new", "export-over-old"]
)
def test_a_full_disk_leaves_nothing_partial(target, small_copy, small_disk):
    disk = small_disk(256)
    if target == "export-over-old":
        assert cli("export", str(disk / "ex"), "--db", str(small_copy)).returncode == 0
    before = tree(disk)
    fill(disk, leave=2048)
    sql = "SELECT range AS n, repeat('x', 50) AS pad FROM range(100000)"
    args = {
        "query-csv": ["query", "--sql", sql, "--format", "csv", "-o", str(disk / "rows.csv")],
        "query-parquet": ["query", "--sql", sql, "--format", "parquet", "-o", str(disk / "r.pq")],
        "report": ["report", "--out", str(disk / "reports")],
        "export-new": ["export", str(disk / "ex")],
        "export-over-old": ["export", str(disk / "ex")],
    }[target]
    stored = snapshot(small_copy)
    line = assert_refused(cli(*args, "--db", str(small_copy), timeout=300), str(disk))
    assert "No space left on device" in line
    (disk / "filler").unlink()
    assert tree(disk) == {k: v for k, v in before.items() if k != "filler"}
    assert not [p for p in disk.rglob("*") if p.name.startswith(".")]  # no temporary left
    assert snapshot(small_copy) == stored


def test_a_full_disk_during_ingest_leaves_the_store_as_it_was(small_store, small_disk, tmp_path):
    disk = small_disk(small_store.stat().st_size // 1024 + 96)
    db = disk / "store.duckdb"
    db.write_bytes(small_store.read_bytes())
    before = snapshot(db)
    result = cli("ingest", str(many_sentences(tmp_path, 1400)), "--db", str(db), timeout=300)
    line = assert_refused(result, "store.duckdb")
    assert "No space left on device" in line and "cut short" not in line
    assert snapshot(db) == before


@pytest.mark.parametrize("how", ["read-only-disk", "immutable-file"])
def test_an_unwritable_store_says_it_cannot_write(how, small_store, small_disk, tmp_path):
    disk = small_disk(small_store.stat().st_size // 1024 + 512)
    db = disk / "store.duckdb"
    db.write_bytes(small_store.read_bytes())
    if how == "read-only-disk":
        remount_read_only(disk)
    else:
        subprocess.run(["chattr", "+i", str(db)], check=True)
    try:
        before = snapshot(db)
        for args in (["ingest", str(two_doc_event(tmp_path / "more"))], ["align"]):
            line = assert_refused(cli(*args, "--db", str(db), timeout=300), "store.duckdb")
            assert "Cannot write the store" in line and "cut short" not in line
        assert cli("events", "--db", str(db)).returncode == 0  # reading still works
        assert snapshot(db) == before
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=False)


def test_export_replaces_each_tables_previous_export_whole(small_copy, small_store, tmp_path):
    out = tmp_path / "ex"
    other = tmp_path / "other.duckdb"
    con = store.open_store(other)
    ingest_into(con, [two_doc_event(tmp_path / "alpha"), two_doc_event(tmp_path / "beta")])
    align_store(con, HashEmbedder())
    con.close()
    assert cli("export", str(out), "--db", str(other)).returncode == 0
    assert cli("export", str(out), "--db", str(small_copy)).returncode == 0
    import polars as pl

    events = pl.read_parquet(out / "documents" / "**" / "*.parquet", hive_partitioning=True)
    assert sorted(set(events["event_id"])) == ["harbour"] and events.height == 2


@pytest.mark.parametrize("kind", ["file", "foreign-folder"])
def test_export_refuses_a_table_path_that_is_not_an_export(kind, small_copy, tmp_path):
    out = tmp_path / "ex"
    if kind == "file":
        write(out / "claims", "not an export")
    else:
        write(out / "claims" / "notes.txt", "my notes")
    before, stored = tree(out), snapshot(small_copy)
    assert_refused(cli("export", str(out), "--db", str(small_copy)), "claims")
    assert tree(out) == before and snapshot(small_copy) == stored


def broken_model(kind: str, folder: Path) -> tuple[Path, str]:
    """A copy of the bundled model broken in one way, and the words its error must contain."""
    import shutil

    from compare.embed import bundled_model_path

    if kind == "only-modules-json":
        write(folder / "modules.json", (bundled_model_path() / "modules.json").read_text())
        return folder, "config.json"
    if kind == "empty-weights-folder":
        write(folder / "config.json", "{}")
        write(folder / "tokenizer.json", "{}")
        return folder, "no weights"
    shutil.copytree(bundled_model_path(), folder)
    weights = folder / "model.safetensors"
    if kind == "bad-config":
        write(folder / "config.json", '{"hidden_size": 384,')
        return folder, "config.json' is not valid JSON"
    if kind == "bad-modules":
        write(folder / "modules.json", '{"path": ""}')
        return folder, "modules.json"
    if kind == "truncated-weights":
        data = weights.read_bytes()
        weights.write_bytes(data[: len(data) // 2])
        return folder, "truncated"
    if kind == "cut-header":
        weights.write_bytes(weights.read_bytes()[:100])
        return folder, "model.safetensors"
    if kind == "no-tokenizer":
        for name in ("tokenizer.json", "vocab.txt"):
            (folder / name).unlink()
        return folder, "tokenizer"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "only-modules-json",
        "empty-weights-folder",
        "bad-config",
        "bad-modules",
        "truncated-weights",
        "cut-header",
        "no-tokenizer",
    ],
)
def test_a_broken_model_folder_is_one_line_naming_what_is_wrong(kind, small_copy, tmp_path):
    folder, words = broken_model(kind, tmp_path / "model")
    before = snapshot(small_copy)
    for args in (["align"], ["run", str(two_doc_event(tmp_path / "fresh"))]):
        result = cli(*args, "--db", str(small_copy), "--model", str(folder), timeout=300)
        line = assert_refused(result, str(folder))
        assert words in line and "broken" in line, line
    assert snapshot(small_copy) == before


SPACELESS = {  # one sentence each, no spaces between words
    "th": "รัฐมนตรีว่าการกระทรวงการต่างประเทศได้พบกับเอกอัครราชทูตในวันจันทร์เพื่อหารือเรื่องการค้า",
    "lo": "ລັດຖະມົນຕີການຕ່າງປະເທດໄດ້ພົບກັບເອກອັກຄະລັດຖະທູດໃນວັນຈັນເພື່ອປຶກສາຫາລືກ່ຽວກັບການຄ້າ",
    "km": "រដ្ឋមន្ត្រីការបរទេសបានជួបឯកអគ្គរដ្ឋទូតនៅថ្ងៃច័ន្ទដើម្បីពិភាក្សាអំពីពាណិជ្ជកម្ម",
    "my": "နိုင်ငံခြားရေးဝန်ကြီးသည်တနင်္လာနေ့တွင်သံအမတ်ကြီးနှင့်တွေ့ဆုံပြီးကုန်သွယ်ရေးအကြောင်းဆွေးနွေးခဲ့သည်",
    "ja": "がいむだいじんはげつようびにたいしとあってぼうえきについてはなしあいました",
}


@pytest.mark.parametrize("code", sorted(SPACELESS))
def test_scripts_without_spaces_are_counted_by_characters(code, tmp_path):
    from compare.lang import word_count

    text = SPACELESS[code]
    assert word_count(text) >= len(text) // 3  # not one "word" per space-free run
    docs = ingest([write(tmp_path / "ev" / f"{code}.txt", text + "\n")]).documents
    assert docs["text"][0] == text


def test_zero_width_joiner_sequences_are_kept(tmp_path):
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one family emoji
    text = f"The minister posted {family} on Monday; ZWNJ stays in می\u200cخواهم too."
    docs = ingest([write(tmp_path / "ev" / "a.txt", text + "\n")]).documents
    assert docs["text"][0] == text


@pytest.mark.parametrize(
    "body", ["...!!! ??? ---", "— – … «» ¿¡", "\u200d\u200d *** \u2714 \U0001f642"]
)
def test_a_document_without_letters_is_refused(body, small_copy, tmp_path):
    line = refused_by_ingest(small_copy, str(write(tmp_path / "ev" / "marks.txt", body + "\n")))
    assert "marks.txt" in line and "no letters" in line


# The warnings and skipped files found while reading come before the error they may explain.


def told_before_the_error(result: subprocess.CompletedProcess, told: str) -> str:
    """Exit 2, the `Error:` line last, and a line starting with `told` somewhere before it."""
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: "), result.stderr
    assert any(line.startswith(told) for line in lines[:-1]), result.stderr
    return lines[-1]


@pytest.mark.parametrize("copies", [2, 3])
@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_the_duplicate_warning_comes_before_the_error_it_explains(copies, suffix, tmp_path):
    db, out = tmp_path / "fresh.duckdb", tmp_path / "out"
    text = "The minister met the envoy on Monday in the harbour city.\n"
    for n in range(copies):
        write(tmp_path / "twins" / f"copy{n}{suffix}", text)
    result = cli("run", str(tmp_path / "twins"), "--db", str(db), "--out", str(out))
    line = told_before_the_error(result, "Warning: ")
    assert "two documents" in line
    warnings = [x for x in result.stderr.splitlines() if x.startswith("Warning: ")]
    assert len(warnings) == copies - 1 and all("same text" in w for w in warnings)
    assert not out.exists()


def test_a_warning_from_a_file_read_before_a_bad_one_is_not_lost(small_copy, tmp_path):
    write(
        tmp_path / "ev" / "a.txt", "Le ministère a confirmé la réunion à Pékin.".encode("latin-1")
    )
    write(tmp_path / "ev" / "b.txt", "")  # refused: empty
    before = snapshot(small_copy)
    result = cli("ingest", str(tmp_path / "ev"), "--db", str(small_copy))
    line = told_before_the_error(result, "Warning: ")
    assert "b.txt" in line and "empty" in line and "Latin-1" in result.stderr
    assert snapshot(small_copy) == before


def test_the_files_skipped_are_listed_before_nothing_could_be_read(small_copy, tmp_path):
    for kind in ("empty", "binary", "malformed-jsonl"):
        bad_case(kind, tmp_path / "bad")
    result = cli("ingest", str(tmp_path / "bad"), "--db", str(small_copy), "--skip-bad")
    line = told_before_the_error(result, "Skipped ")
    assert "No document could be read" in line
    listed = [x.split(": ")[0] for x in result.stderr.splitlines() if x.startswith("Skipped ")]
    assert sorted(listed) == [f"Skipped {tmp_path / 'bad' / n}" for n in BAD_NAMES]


BAD_NAMES = ("empty.txt", "feed.jsonl", "photo.txt")


# A `date` is a real day, whatever the input: front matter, sidecar, JSONL, CSV or Parquet.

BAD_DATES = [
    "2024-02-30",
    "yesterday",
    "2023-13-01",
    "25/06/2023",
    "June 5, 2023",
    "2023-06-25T25:00",
    "2023-6",
    "0000",
]
GOOD_DATES = ["2023", "2023-06", "2023-06-25", "2023-06-25T14:30:00Z", "2023-06-25 14:30+02:00"]
TABLES = {".jsonl": "line", ".csv": "row", ".parquet": "row"}


def table_file(path: Path, rows: list[dict[str, str]]) -> Path:
    """`rows` as a JSONL, CSV or Parquet file, by `path`'s suffix."""
    import polars as pl

    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pl.DataFrame(rows)
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    elif path.suffix == ".csv":
        frame.write_csv(path)
    else:
        frame.write_parquet(path)
    return path


def dated_rows(dates: list[str], key: str = "date") -> list[dict[str, str]]:
    places = ["the harbour", "the capital", "the north", "the border", "the coast", "the hills"]
    return [
        {"text": f"The minister met the envoy in {places[i]} on day {i + 1}.", key: date}
        for i, date in enumerate(dates)
    ]


@pytest.mark.parametrize("suffix", sorted(TABLES))
@pytest.mark.parametrize("date", BAD_DATES)
@pytest.mark.parametrize("key", ["date", "published"])
def test_a_bad_date_in_a_table_row_names_the_file_and_row(key, date, suffix, tmp_path):
    path = table_file(tmp_path / "ev" / f"feed{suffix}", dated_rows(["2023-06-25", date], key))
    with pytest.raises(InputError) as refused:
        ingest([path])
    message = str(refused.value)
    assert f"feed{suffix}' {TABLES[suffix]} 2" in message and repr(date) in message
    assert f"'{key}'" in message and "not a date" in message


@pytest.mark.parametrize("suffix", sorted(TABLES))
def test_good_dates_in_table_rows_are_kept_as_given(suffix, tmp_path):
    path = table_file(tmp_path / "ev" / f"feed{suffix}", dated_rows(GOOD_DATES))
    assert ingest([path]).documents["date"].to_list() == GOOD_DATES


def test_typed_parquet_dates_are_kept_in_iso_form(tmp_path):
    import datetime as dt

    import polars as pl

    path = tmp_path / "ev" / "typed.parquet"
    path.parent.mkdir(parents=True)
    rows = dated_rows(["x", "y"])
    pl.DataFrame(
        {"text": [r["text"] for r in rows], "date": [dt.date(2024, 2, 29), dt.date(2023, 6, 25)]}
    ).write_parquet(path)
    assert ingest([path]).documents["date"].to_list() == ["2024-02-29", "2023-06-25"]


@pytest.mark.parametrize("date", ["yesterday", "2024-02-30", "25/06/2023"])
@pytest.mark.parametrize("where", ["front-matter", "sidecar"])
def test_front_matter_and_sidecar_dates_follow_the_same_rule(where, date, tmp_path):
    body = "The minister met the envoy on Monday in the capital.\n"
    if where == "front-matter":
        path = write(tmp_path / "ev" / "a.md", f"---\ndate: '{date}'\n---\n{body}")
    else:
        write(tmp_path / "ev" / "a.meta.yaml", f"date: '{date}'\n")
        path = write(tmp_path / "ev" / "a.html", f"<html><body><p>{body}</p></body></html>")
    with pytest.raises(InputError, match="not a date") as refused:
        ingest([path])
    assert path.name in str(refused.value) and repr(date) in str(refused.value)


@pytest.mark.parametrize("suffix", sorted(TABLES))
def test_a_bad_date_through_the_cli_is_one_line_and_the_store_unchanged(
    suffix, tmp_path, small_copy
):
    path = table_file(tmp_path / "ev" / f"feed{suffix}", dated_rows(["2023-06-25", "yesterday"]))
    line = refused_by_ingest(small_copy, str(path))
    assert f"feed{suffix}' {TABLES[suffix]} 2" in line and "'yesterday'" in line


@pytest.mark.parametrize("suffix", sorted(TABLES))
def test_skip_bad_skips_only_the_rows_with_bad_dates(suffix, tmp_path, small_copy):
    dates = ["2023-06-25", "2024-02-30", "2023-06-26", "yesterday", "", "2023-13-01"]
    path = table_file(tmp_path / "ev" / f"feed{suffix}", dated_rows(dates))
    result = cli("ingest", str(path), "--db", str(small_copy), "--skip-bad", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["documents"] == 3  # rows 1, 3 and 5 (an empty date is no date)
    bad = [2, 4, 6]
    assert [where for where, _ in summary["skipped"]] == [f"{path}:{n}" for n in bad]
    notes = [x for x in result.stderr.splitlines() if x.startswith("Skipped ")]
    assert [x.split(": ")[0] for x in notes] == [f"Skipped {path}:{n}" for n in bad]
    assert all("not a date" in x for x in notes)
    con = store.open_store(small_copy, read_only=True)
    stored = con.sql(
        "SELECT path, date FROM documents WHERE path LIKE $p ORDER BY path",
        params={"p": f"{path}:%"},
    ).fetchall()
    con.close()
    assert stored == [(f"{path}:1", "2023-06-25"), (f"{path}:3", "2023-06-26"), (f"{path}:5", None)]


def test_skip_bad_skips_a_row_of_any_refused_value_and_keeps_the_rest(tmp_path):
    rows = [
        '{"text": "The minister met the envoy in the capital on Monday."}',
        '{"text": 42}',
        '{"text": "The envoy left the capital on Tuesday.", "date": "2023-02-29"}',
        '{"text": "   "}',
        '{"text": "The talks resume in the harbour next week.", "source": ["a"]}',
        '{"text": "Both sides called the talks useful.", "date": "2023-06-25"}',
    ]
    path = write(tmp_path / "ev" / "mixed.jsonl", "\n".join(rows) + "\n")
    result = ingest([path], skip_bad=True)
    assert result.documents["path"].to_list() == [f"{path}:1", f"{path}:6"]
    assert [where for where, _ in result.skipped] == [f"{path}:{n}" for n in (2, 3, 4, 5)]
    with pytest.raises(InputError, match="line 2"):
        ingest([path])


@pytest.mark.slow  # the real bundled model, through the CLI
def test_interrupting_workers_keeps_whole_batches_and_resumes_to_the_same_store(tmp_path):
    """Two workers comparing 120 events: a signal after the first batch is written leaves whole
    batches of 16 events, no worker behind, and the run resumed writes what one uninterrupted
    worker writes."""
    import shutil

    from compare.pipeline import WRITE_BATCH

    feed, db, clean = tmp_path / "feed", tmp_path / "s.duckdb", tmp_path / "clean.duckdb"
    for i in range(120):
        two_doc_event(feed / f"town{i:03d}")
    assert cli("ingest", str(feed), "--db", str(db)).returncode == 0
    shutil.copy(db, clean)
    assert cli("align", "--db", str(clean), "--workers", "1").returncode == 0
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "compare", "align", "--db", str(db), "--workers", "2"],
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": path, "NARRATIVE_PROGRESS_EVERY": "0"},
    )
    seen = b""
    while f"align: {WRITE_BATCH + 4}/".encode() not in seen and proc.poll() is None:
        seen += os.read(proc.stderr.fileno(), 4096)
    proc.send_signal(signal.SIGTERM)
    rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, (seen + rest).decode()[-2000:]
    assert b"Interrupted" in rest and b"Traceback" not in rest
    assert not [p for p in Path("/proc").glob("[0-9]*") if _child_of(p, proc.pid)]
    con = store.open_store(db, read_only=True)
    stored = con.execute("SELECT count(DISTINCT event_id) FROM event_models").fetchall()[0][0]
    con.close()
    assert 0 < stored < 120 and stored % WRITE_BATCH == 0
    assert cli("align", "--db", str(db)).returncode == 0
    assert snapshot(db) == snapshot(clean)


def _child_of(proc_dir: Path, pid: int) -> bool:
    try:
        return int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid
    except (OSError, ValueError):
        return False


@pytest.mark.parametrize("out_exists", [True, False])
def test_sigterm_while_report_writes_pages_leaves_out_as_it_was(
    out_exists, hundred_store, tmp_path
):
    """SIGTERM to `report` while two workers build pages: exit 130, no worker behind, and the out
    folder exactly as it was (an earlier report and a file of the user's unchanged, no staging
    folder left; a folder the command created is gone)."""
    import time

    out = tmp_path / "out"
    if out_exists:
        first = cli("report", "ev-000", "ev-001", "--db", str(hundred_store), "--out", str(out))
        assert first.returncode == 0, first.stderr
        write(out / "notes.txt", "mine\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()} if out_exists else None
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "compare", "report", "--db", str(hundred_store), "--out", str(out)]
        + ["--workers", "2"],
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": path},
    )
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline and not _staged_pages(out):
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, rest.decode()[-2000:]
    assert b"Interrupted" in rest and b"Traceback" not in rest
    assert not [p for p in Path("/proc").glob("[0-9]*") if _child_of(p, proc.pid)]
    if out_exists:
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    else:
        assert not out.exists()


def _staged_pages(out: Path) -> bool:
    """A page is written in the report's staging folder (the workers are at work)."""
    try:
        return any(any(d.iterdir()) for d in out.glob(".narrative-compare-*"))
    except OSError:  # the folder went away meanwhile
        return False
