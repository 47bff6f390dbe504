"""Nothing lost, nothing crashes: bad input, interruption, concurrent use (issue 7).

Every failing command is checked for a one-line `Error:` naming the file, exit code 2, and equal
row counts in the store before and after.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
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
from tests.conftest import SAMPLE, counts, write

SENTENCE = "The council of {city} approved {n} new measures on {day} after a long debate."


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "compare", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess, name: str) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert name in lines[0]
    return lines[0]


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
    before = counts(sample_copy)
    line = assert_refused(cli("ingest", str(path), "--db", str(sample_copy)), path.name)
    assert words.lower() in line.lower()
    assert counts(sample_copy) == before


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
    before = counts(sample_copy)
    line = assert_refused(
        cli("ingest", str(tmp_path / "a"), str(tmp_path / "b"), "--db", str(sample_copy)), "x1"
    )
    assert "one.md" in line and "two.md" in line
    assert counts(sample_copy) == before


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

    only = cli(
        "run", str(tmp_path / "lonely"), "--db", str(tmp_path / "t.duckdb"), "--out", str(out)
    )
    assert only.returncode == 2 and "nothing to compare" in only.stderr
    assert (out / "lonely.html").exists()


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
    )
    seen = b""
    # The second chunk's progress bar starts only after the first chunk was committed.
    while seen.count(b"Batches:   0%") < 2 and proc.poll() is None:
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
    before = counts(sample_copy)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
                " print('held', flush=True); time.sleep(float(sys.argv[2]))"
            ),
            str(sample_copy),
            "6",
        ],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout.readline().strip() == b"held"
    busy = cli("ingest", str(SAMPLE), "--db", str(sample_copy))
    line = assert_refused(busy, sample_copy.name)
    assert "in use by another process" in line
    started = time.monotonic()
    waited = cli("ingest", str(SAMPLE), "--db", str(sample_copy), "--wait", "60")
    assert waited.returncode == 0, waited.stderr
    assert time.monotonic() - started > 1  # it waited for the holder, then went ahead
    holder.wait()
    assert counts(sample_copy) == before  # the sample was already stored: nothing new


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
