"""Progress a person can follow: one display per stage on stderr (compare.progress, cli.Reporter)."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from compare import api
from compare.cli import Reporter, main
from compare.embed import HashEmbedder
from compare.progress import quiet, stage
from tests.conftest import ROOT, SAMPLE


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_plain_callback_gets_no_stage_and_the_library_does_not_care():
    seen: list[str] = []
    with stage(seen.append, "segment", total=3, unit="documents") as shown:
        shown.advance(2, claims=10)
    with stage(quiet, "align") as shown:
        shown.advance()
    assert seen == []


def test_plain_lines_off_a_terminal_and_a_line_redrawn_on_one():
    plain = io.StringIO()
    reporter = Reporter(stream=plain)
    with reporter.stage("segment", total=400, unit="documents") as shown:
        for _ in range(4):
            shown.advance(100, claims=3000)
    reporter("Warning: something")
    lines = plain.getvalue().splitlines()
    assert lines[0].startswith("segment: 400/400 documents · claims 12,000 · ")
    assert lines[1] == "Warning: something" and "\r" not in plain.getvalue()

    tty = Terminal()
    reporter = Reporter(stream=tty)
    with reporter.stage("align", total=2, unit="events") as shown:
        reporter("Note: a note in the middle")
        shown.advance(2, claims=50)
    out = tty.getvalue()
    assert "\r\033[K" in out and "Note: a note in the middle\n" in out
    assert out.rstrip().splitlines()[-1].split("\033[K")[-1].startswith("align: 2/2 events · ")


def test_quiet_keeps_only_warnings_and_skipped_files():
    stream = io.StringIO()
    reporter = Reporter(quiet=True, stream=stream)
    with reporter.stage("segment", total=1, unit="documents") as shown:
        shown.advance(1)
    for message in ("Note: one document", "Warning: odd date", "Skipped a.pdf: not text"):
        reporter(message)
    reporter.summary("done")
    assert stream.getvalue().splitlines() == ["Warning: odd date", "Skipped a.pdf: not text"]


def test_run_tells_each_stage_and_a_summary_and_quiet_tells_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(api, "load_embedder", lambda model=None: HashEmbedder())
    args = ["run", str(SAMPLE), "--db", "n.duckdb", "--out", "out"]
    told = CliRunner().invoke(main, args)
    assert told.exit_code == 0, told.output
    stages = [line.split(":")[0] for line in told.stderr.splitlines()]
    assert [s for s in stages if s in ("read", "align", "reports")] == ["read", "align", "reports"]
    assert told.stderr.splitlines()[-1].startswith("Done in ")
    silent = CliRunner().invoke(main, [*args, "--quiet", "--db", "m.duckdb"])
    assert silent.exit_code == 0, silent.output
    assert silent.stdout == ""
    assert all(line.startswith("Warning: ") for line in silent.stderr.splitlines())


@pytest.mark.slow  # the real bundled model, in a process whose stderr is not a terminal
def test_run_off_a_terminal_shows_no_library_bars_or_loading_chatter(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "compare", "run", str(SAMPLE), "--db", "n.duckdb", "--out", "out"],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "Batches" not in done.stderr and "Loading weights" not in done.stderr
    assert "\r" not in done.stderr  # plain lines, no redrawn bars
    lines = done.stderr.splitlines()
    assert any(line.startswith("align: 1/1 events") for line in lines)
    assert lines[-1].startswith("Done in ")
