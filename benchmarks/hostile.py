"""Hostile-input speed (issue 18): the cases that used to be quadratic, measured in one run.

    .venv/bin/python benchmarks/hostile.py [--only clean,segment,ingest] [--mb 20]

Prints one row per case with the measured seconds; tests never assert timings. The 20 MB row runs
the real `narrative-compare ingest` (ingest + segment + store write) on a one-line document.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's `compare`, not another editable install

from compare.clean import clean_text
from compare.segment import split_sentences

PROSE = (
    "The minister said on Monday that the talks with the delegation had been useful, and that "
    "both sides would meet again in the spring to discuss trade and the border "
)


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def bench_clean() -> list[tuple[str, float, str]]:
    # 8,000 short paragraphs that all share one token, which sorts first, and differ otherwise.
    text = "\n\n".join(f"Aardvark item{i} text{i * 7}." for i in range(8000))
    seconds, kept = timed(lambda: clean_text(text, scrape=False))
    return [("clean_text: 8,000 short paragraphs sharing one token", seconds, f"{len(kept)} chars")]


def bench_segment() -> list[tuple[str, float, str]]:
    import importlib

    segment = importlib.import_module("compare.segment")  # `compare.segment` is a function too

    rows = []
    no_end = ("lorem ipsum dolor sit amet consectetur " * 6000)[:200_000]
    sentences = PROSE.replace(", and", ". And")
    prose = (sentences * (200_000 // len(sentences) + 1))[:200_000]
    for label, line in (("no sentence end", no_end), ("prose", prose)):
        seconds, spans = timed(lambda line=line: split_sentences(line))
        rows.append((f"split_sentences: 200 KB line, {label}", seconds, f"{len(spans)} spans"))
        # the same line through pysbd in 1000-character windows (what lines up to 50 KB get)
        limit, segment.LONG_LINE_CHARS = segment.LONG_LINE_CHARS, 10**9
        try:
            seconds, spans = timed(lambda line=line: split_sentences(line))
        finally:
            segment.LONG_LINE_CHARS = limit
        rows.append(
            (
                f"split_sentences: 200 KB line, {label}, pysbd windows",
                seconds,
                f"{len(spans)} spans",
            )
        )
    return rows


def bench_ingest(megabytes: int) -> list[tuple[str, float, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "event" / "one-line.txt"
        doc.parent.mkdir()
        size = megabytes * 1024 * 1024 - 1024  # just under the limit
        doc.write_text((PROSE.replace(", and", ". And") * (size // len(PROSE) + 1))[:size])
        db = Path(tmp) / "s.duckdb"
        cmd = [sys.executable, "-m", "compare", "ingest", str(doc), "--db", str(db), "--json"]
        seconds, result = timed(
            lambda: subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
        )
        if result.returncode != 0:
            raise SystemExit(result.stderr)
        claims = json.loads(result.stdout)["claims"]
    return [(f"ingest CLI: {megabytes} MB single-line document", seconds, f"{claims} claims")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="clean,segment,ingest")
    parser.add_argument("--mb", type=int, default=20)
    args = parser.parse_args()
    rows = []
    only = args.only.split(",")
    if "clean" in only:
        rows += bench_clean()
    if "segment" in only:
        rows += bench_segment()
    if "ingest" in only:
        rows += bench_ingest(args.mb)
    print("| case | seconds | result |\n| --- | --- | --- |")
    for label, seconds, note in rows:
        print(f"| {label} | {seconds:.2f} | {note} |")


if __name__ == "__main__":
    main()
