"""`make bench-scale`: a feed of ~10k documents and ~300k claims through every stage, here.

This file is the measurement; the feed comes from `synthetic_feed.py` and the tables of SCALE.md
from `scale_report.py`.

Builds the feed at bench time from real sentences (ECB+, AllSides, BASIL, FNC-1 texts read from
$NARRATIVE_EVAL_DIR, default ../shared/eval) recombined with perturbations: each event retells one
story in several documents; some are wire copy (verbatim), the others keep, reword or drop each
sentence and add their own. Everything goes to benchmarks/work/bench-scale/ (git-ignored). A stage
runs in a fresh process that reports its time and peak memory (ru_maxrss); the tables are rewritten
into benchmarks/SCALE.md with the date.

    .venv/bin/python benchmarks/scale.py                   # the full run
    .venv/bin/python benchmarks/scale.py --docs 1000 --sample 1000 --no-write   # a quick look
    .venv/bin/python benchmarks/scale.py --markdown-only      # rewrite SCALE.md from the last run
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # the two halves below, also for a stage's process
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CLAIMS_PER_DOC = 30  # ~300k claims for 10k documents
STAGES = (
    "build",
    "distill",
    "ingest",
    "segment",
    "embed",
    "lookup",
    "align",
    "bundled",
    "report",
    "group",
    "run",
    "eval",
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rss_mb() -> float:
    """Peak resident memory of this process so far, MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


from scale_report import SCALE_MD, WORK, write_markdown
from synthetic_feed import build_corpus

# --- stages (each in its own process) -------------------------------------------------------------


class Timed:
    """An embedder wrapper that counts encoded texts and the seconds spent encoding."""

    def __init__(self, embedder):
        self.inner, self.key, self.texts, self.seconds = embedder, embedder.key, 0, 0.0

    def encode(self, texts):
        t0 = time.perf_counter()
        out = self.inner.encode(texts)
        self.seconds += time.perf_counter() - t0
        self.texts += len(texts)
        return out


def fast_model() -> Path:
    return WORK / "fast-minilm"


def stage_build(args) -> dict:
    return build_corpus(args.docs, WORK / "feed.jsonl")


def stage_distill(args) -> dict:
    marker = fast_model() / "distilled.json"
    if marker.exists() and not args.fresh:  # 1-3 minutes; made again with --fresh
        return {**json.loads(marker.read_text()), "reused": True}
    from compare.embed import distill

    return {**distill(fast_model()), "reused": False}


def store_mb() -> float:
    return sum(p.stat().st_size for p in WORK.glob("store.duckdb*")) / 2**20


def _store(read_only: bool = False):
    from compare import store

    return store.open_store(WORK / "store.duckdb", read_only=read_only)


def stage_ingest(args) -> dict:
    from compare import store
    from compare.ingest import ingest

    for path in WORK.glob("store.duckdb*"):
        path.unlink()
    base = current_rss_mb()
    con = _store()
    t0 = time.perf_counter()
    docs = ingest([WORK / "feed.jsonl"]).documents
    t1 = time.perf_counter()
    with store.transaction(con):
        store.replace_rows(con, "documents", docs, key="doc_id", values=[])
    con.close()
    return {
        "documents": docs.height,
        "seconds": time.perf_counter() - t0,
        "read_seconds": t1 - t0,
        "write_seconds": time.perf_counter() - t1,
        "base_mb": base,
    }


def stage_segment(args) -> dict:
    """`segment()` of every document on the pool, as `run` does (compare.pipeline)."""
    from compare import store
    from compare.pipeline import segment_documents
    from compare.workers import default_workers

    base = current_rss_mb()
    con = _store()
    t0 = time.perf_counter()
    docs = store.read_table(con, "documents")
    claims = segment_documents(docs, log, default_workers())
    t1 = time.perf_counter()
    with store.transaction(con):
        store.replace_rows(con, "claims", claims, key="doc_id", values=[])
    t2 = time.perf_counter()
    counts = con.execute(
        "SELECT count(*), count(DISTINCT text_sha256),"
        " (SELECT sum(n) FROM (SELECT count(DISTINCT text_sha256) AS n FROM claims"
        "  GROUP BY event_id)) FROM claims"
    ).fetchall()[0]
    con.close()
    return {
        "claims": counts[0],
        "distinct_texts": counts[1],
        "distinct_per_event_sum": counts[2],
        "seconds": t2 - t0,
        "segment_seconds": t1 - t0,
        "write_seconds": t2 - t1,
        "workers": default_workers(),
        "base_mb": base,
    }


def stage_embed(args) -> dict:
    """Fast tier on every claim, through the cache, a batch of events at a time."""
    from compare import store
    from compare.embed import event_vectors, load_embedder

    base = current_rss_mb()
    con = _store()
    embedder = Timed(load_embedder(fast_model()))
    embedder.inner.encode(["load the model"])
    events = store.event_ids(con)
    t0 = time.perf_counter()
    claims = held = 0
    for _, event_claims, vectors in event_vectors(con, embedder, events):
        claims += event_claims.height
        held = max(held, vectors.nbytes)
    seconds = time.perf_counter() - t0
    stored = con.execute("SELECT count(*) FROM embeddings").fetchall()[0][0]
    con.close()
    return {
        "claims": claims,
        "embedded": embedder.texts,
        "cached_rows": stored,
        "seconds": seconds,
        "encode_seconds": embedder.seconds,
        "model": type(embedder.inner).__name__,
        "key": embedder.key,
        "max_event_vectors_mb": held / 2**20,
        "base_mb": base,
    }


def stage_lookup(args) -> dict:
    """What one cache lookup per event (the pipeline's `embed` call per event) costs now."""
    from compare import store
    from compare.embed import embed, load_embedder

    con = _store()
    embedder = Timed(load_embedder(fast_model()))
    events = store.event_ids(con)
    sample = random.Random(1).sample(events, min(20, len(events)))
    t0 = time.perf_counter()
    for event_id in sample:
        embed(store.read_table(con, "claims", event_id=event_id), con, embedder)
    per_event = (time.perf_counter() - t0) / len(sample)
    rows = con.execute("SELECT count(*) FROM embeddings").fetchall()[0][0]
    con.close()
    return {
        "per_event_seconds": per_event,
        "events": len(events),
        "cache_rows": rows,
        "embedded": embedder.texts,
    }


def stage_align(args) -> dict:
    """The local engine's loop on every event (compare.pipeline.align_store): this process reads
    vectors and writes, `default_workers()` processes compare; each step timed (align and
    diverge in CPU seconds of the worker, reads and writes in wall seconds of this process)."""
    from compare import store
    from compare.align import AlignConfig
    from compare.embed import event_vectors, load_embedder
    from compare.pipeline import COMPARE_AHEAD, COMPARE_CLAIMS, WRITE_BATCH
    from compare.workers import default_workers, imap_unordered

    base = current_rss_mb()
    con = _store()
    embedder = Timed(load_embedder(fast_model()))
    config = AlignConfig.for_model(embedder.key)
    sizes = dict(con.execute("SELECT event_id, count(*) FROM claims GROUP BY 1").fetchall())
    reads = [0.0]

    def work():
        t0 = time.perf_counter()
        for event_id, claims, vectors in event_vectors(con, embedder, store.event_ids(con)):
            documents = store.read_table(con, "documents", event_id=event_id)
            reads[0] += time.perf_counter() - t0
            yield event_id, documents, claims, vectors, config
            t0 = time.perf_counter()

    records, batch = [], []
    t_start = time.perf_counter()
    results = imap_unordered(
        compare_timed,
        work(),
        default_workers(),
        ahead=COMPARE_AHEAD,
        weight=lambda item: item[2].height,
        budget=COMPARE_CLAIMS,
    )
    for event_id, n, docs, tables, timings in results:
        batch.append((event_id, tables))
        records.append(
            {
                "event_id": event_id,
                "claims": n,
                "documents": docs,
                "pairs": tables["claim_pairs"].height,
                "omissions": tables["omissions"].height,
                "divergences": tables["divergences"].height,
                "align": timings["align"],
                "diverge": timings["diverge"] + timings["term_contrasts"],
                "write": 0.0,
            }
        )
        if len(batch) == WRITE_BATCH:
            records[-1]["write"], batch = timed_write(con, batch), []
    if batch:
        records[-1]["write"] = timed_write(con, batch)
    seconds = time.perf_counter() - t_start
    counts = store.table_counts(con)
    con.close()
    with (WORK / "events.jsonl").open("w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    (WORK / "event_sizes.json").write_text(json.dumps(sorted(sizes.values())))
    return {
        "seconds": seconds,
        "events": len(records),
        "claims": sum(r["claims"] for r in records),
        "embedded": embedder.texts,
        "counts": counts,
        "workers": default_workers(),
        "base_mb": base,
        "read": reads[0],
        **{k: sum(r[k] for r in records) for k in ("align", "diverge", "write")},
    }


def timed_write(con, batch) -> float:
    """Seconds to write a batch of events as align_store does (one transaction)."""
    from compare.pipeline import write_events

    t0 = time.perf_counter()
    write_events(con, batch)
    return time.perf_counter() - t0


def compare_timed(work) -> tuple:
    """One event in a worker: `compare_event` with its steps' CPU seconds."""
    from compare.pipeline import compare_event

    event_id, documents, claims, vectors, config = work
    timings: dict[str, float] = {}
    tables = compare_event(documents, claims, vectors, config, timings=timings)
    return event_id, claims.height, documents.height, tables, timings


def stage_bundled(args) -> dict:
    """The bundled model on a sample of distinct claim texts (and the fast tier on the same)."""
    from compare.embed import load_embedder

    con = _store(read_only=True)
    texts = [
        r[0]
        for r in con.execute(
            "SELECT any_value(text) FROM claims GROUP BY text_sha256 ORDER BY text_sha256 LIMIT ?",
            [args.sample],
        ).fetchall()
    ]
    con.close()
    out = {"texts": len(texts)}
    for name, path in (("fast", fast_model()), ("bundled", None)):
        t0 = time.perf_counter()
        embedder = load_embedder(path)
        embedder.encode(texts[:8])  # load the model (and torch, for the bundled one)
        t1 = time.perf_counter()
        for i in range(0, len(texts), 512):  # embed()'s chunks
            embedder.encode(texts[i : i + 512])
        seconds = time.perf_counter() - t1
        out[name] = {
            "load_seconds": t1 - t0,
            "seconds": seconds,
            "per_second": len(texts) / seconds,
        }
    return out


def stage_report(args) -> dict:
    """Every event's page and the index from the aligned store, as `run` and `report` write them
    (default workers, plotly shared), and the largest page."""
    from compare.report import write_reports

    out = WORK / "reports"
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    paths = write_reports(db=WORK / "store.duckdb", out=out)
    seconds = time.perf_counter() - t0
    sizes = [p.stat().st_size / 2**20 for p in paths]
    return {"pages": len(paths), "seconds": seconds, "mb": sum(sizes), "largest_mb": max(sizes)}


def stage_group(args) -> dict:
    """Grouping the whole feed into events (blocked neighbour search), scored against the truth."""
    try:
        from compare.group import group_documents
    except ImportError:
        return {"skipped": "compare.group.group_documents is not available"}
    from compare import store
    from compare.embed import load_embedder

    base = current_rss_mb()
    con = _store()
    docs = store.read_table(con, "documents")
    claims = con.sql("SELECT doc_id, text FROM claims").pl()  # segmented once, as `run` does
    t0 = time.perf_counter()
    groups = group_documents(
        docs.select("doc_id", "text", "title", "date"),
        load_embedder(fast_model()),
        con=con,
        claims=claims,
    )
    seconds = time.perf_counter() - t0
    con.close()
    groups.write_parquet(WORK / "groups.parquet")
    truth = dict(zip(docs["doc_id"].to_list(), docs["event_id"].to_list()))
    found = dict(zip(groups["doc_id"].to_list(), groups["event_id"].to_list()))
    story_of = json.loads((WORK / "stories.json").read_text())
    stories = {doc: story_of[event] for doc, event in truth.items()}
    return {
        "max_span_days": max_span(docs, found),
        "documents": docs.height,
        "seconds": seconds,
        "base_mb": base,
        "events_found": len(set(found.values())),
        "events_true": len(set(truth.values())),
        "stories_true": len(set(stories.values())),
        "largest_group": max(Counter(found.values()).values()),
        **pairwise(truth, found),
        "story": pairwise(stories, found),
    }


def max_span(docs, found: dict) -> int:
    """The most days between two dated documents of one group found."""
    import datetime as dt

    days: dict[str, list[int]] = {}
    for doc_id, date in zip(docs["doc_id"].to_list(), docs["date"].to_list()):
        if date:
            days.setdefault(found[doc_id], []).append(dt.date.fromisoformat(date[:10]).toordinal())
    return max((max(v) - min(v) for v in days.values()), default=0)


def stage_run(args) -> dict:
    """The product end to end: one `narrative-compare run FEED --group auto --model FAST` in its
    own process on a new store (grouping included, making the fast model excluded), its stages'
    times read from its progress lines."""
    exe = ROOT / ".venv" / "bin" / "narrative-compare"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "compare"]
    db, out = WORK / "run.duckdb", WORK / "run-reports"
    for path in (*WORK.glob("run.duckdb*"), out):
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    feed = WORK / "feed.jsonl"
    t0 = time.perf_counter()
    done = subprocess.run(
        [*command, "run", str(feed), "--group", "auto", "--model", str(fast_model())]
        + ["--db", str(db), "--out", str(out), "--json"],
        check=False,
        capture_output=True,
        text=True,
        # one progress line per stage, when it ends
        env={**os.environ, "PYTHONPATH": str(ROOT), "NARRATIVE_PROGRESS_EVERY": "1e9"},
    )
    wall = time.perf_counter() - t0
    if done.returncode:
        raise SystemExit(f"run failed (exit {done.returncode}): {done.stderr[-2000:]}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "seconds": wall,
        "stages": stage_seconds(done.stderr),
        "documents": summary["documents"],
        "claims": summary["claims"],
        "events": len(summary["events"]),
        "reports": len(summary["reports"]),
        "claim_pairs": summary["claim_pairs"],
    }


def stage_seconds(progress: str) -> dict[str, float]:
    """{stage: seconds} from the CLI's closing line of each stage ("segment: ... · 1 min 52 s")."""
    out = {}
    for line in progress.splitlines():
        name, _, rest = line.partition(": ")
        last = rest.rsplit(" · ", 1)[-1]
        match = re.fullmatch(r"(?:(\d+) h )?(?:(\d+) min )?(\d+) s|(\d+) h (\d+) min", last)
        if name.isidentifier() and match:
            h, m, sec, h2, m2 = (int(g) if g else 0 for g in match.groups())
            out[name] = (h + h2) * 3600 + (m + m2) * 60 + sec
    return out


def pairwise(truth: dict, found: dict) -> dict:
    """Pairwise precision / recall / F1 and ARI of a clustering, from contingency counts."""

    def pairs(counts):
        return sum(c * (c - 1) // 2 for c in counts)

    both = Counter((truth[d], found[d]) for d in truth)
    tp = pairs(both.values())
    t_pairs = pairs(Counter(truth.values()).values())
    f_pairs = pairs(Counter(found[d] for d in truth).values())
    total = pairs([len(truth)])
    p = tp / f_pairs if f_pairs else 0.0
    r = tp / t_pairs if t_pairs else 0.0
    expected = t_pairs * f_pairs / total if total else 0.0
    ari_den = (t_pairs + f_pairs) / 2 - expected
    return {
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "ari": (tp - expected) / ari_den if ari_den else 0.0,
    }


def stage_eval(args) -> dict:
    """`narrative-compare eval ecbplus` with the bundled model and with the fast tier."""
    out = {}
    exe = ROOT / ".venv" / "bin" / "narrative-compare"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "compare"]
    for name, extra in (("bundled", []), ("fast", ["--model", str(fast_model())])):
        t0 = time.perf_counter()
        done = subprocess.run(
            [*command, "eval", "ecbplus", "--json", *extra],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        scores = json.loads(done.stdout.strip().splitlines()[-1])
        out[name] = {
            "seconds": time.perf_counter() - t0,
            **{
                k: scores.get(k)
                for k in (
                    "n_documents",
                    "f1_loose",
                    "f1_tight",
                    "precision_loose",
                    "recall_loose",
                    "floor_tfidf_f1_loose",
                    "floor_tfidf_f1_tight",
                )
            },
        }
    return out


def run_stage(name: str, args) -> dict:
    """Run one stage in a fresh process; its result plus wall time and peak memory."""
    command = [
        sys.executable,
        __file__,
        "--stage",
        name,
        "--docs",
        str(args.docs),
        "--sample",
        str(args.sample),
    ] + (["--fresh"] if args.fresh else [])
    log(f"{name} ...")
    t0 = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode:
        log(done.stderr[-4000:])
        raise SystemExit(f"stage {name} failed (exit {done.returncode})")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = wall
    log(f"  {name}: {wall:.0f} s, peak {result['peak_mb']:.0f} MB")
    return result


def child(name: str, args) -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    with TreeMemory() as memory:
        result = globals()[f"stage_{name}"](args)
    result.setdefault("seconds", time.perf_counter() - t0)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # workers and the `run` process
    result["cpu_seconds"] = time.process_time() - c0 + children.ru_utime + children.ru_stime
    result["peak_mb"] = max(rss_mb(), memory.peak_mb)
    print(json.dumps(result))


class TreeMemory:
    """Peak resident memory of this process and all its descendants together (workers, the
    `run` process and its workers), sampled every 0.2 s from /proc."""

    def __init__(self):
        self.peak_mb, self._stop = 0.0, threading.Event()

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_mb = max(self.peak_mb, sum(map(_rss_mb, _tree(os.getpid()))))


def _tree(root: int) -> list[int]:
    parent = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        parent[int(stat.parent.name)] = int(fields[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, ppid in parent.items() if ppid in frontier]
        tree += frontier
    return tree


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000, help="documents in the feed")
    parser.add_argument(
        "--sample", type=int, default=10_000, help="distinct texts embedded with the bundled model"
    )
    parser.add_argument("--skip", default="", help=f"comma-separated stages of {STAGES}")
    parser.add_argument("--fresh", action="store_true", help="distil the fast model again")
    parser.add_argument("--no-write", action="store_true", help="print, do not write SCALE.md")
    parser.add_argument(
        "--markdown-only",
        action="store_true",
        help="rewrite SCALE.md from the last run's results in benchmarks/work/",
    )
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        child(args.stage, args)
        return
    if args.markdown_only:
        write(json.loads((WORK / "results.json").read_text()), args)
        return
    skip = {s for s in args.skip.split(",") if s}
    if skip - set(STAGES):
        raise SystemExit(f"Unknown stage(s) {sorted(skip - set(STAGES))}; stages: {STAGES}")
    WORK.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results: dict = {"load": os.getloadavg()[0]}
    for name in STAGES:
        if name not in skip:
            results[name] = run_stage(name, args)
            results[name]["load_after"] = os.getloadavg()[0]
        if name in ("embed", "align"):
            results[f"store_mb_after_{name}"] = store_mb()
    results["store_mb"] = store_mb()
    results["total_seconds"] = time.perf_counter() - t0
    (WORK / "results.json").write_text(json.dumps(results, indent=1))
    write(results, args)


def write(results: dict, args) -> None:
    """SCALE.md from a run's results (also `--markdown-only`, from benchmarks/work/)."""
    if "align" in results:
        claims = results["align"]["claims"]
        results["store_full_gb_per_m"] = results["store_mb_after_align"] / 1024 / claims * 1e6
    md = write_markdown(results, args)
    md += f"\nThe whole run took {results['total_seconds'] / 60:.0f} minutes.\n"
    if args.no_write:
        print(md)
    else:
        SCALE_MD.write_text(md, encoding="utf-8")
        log(f"Wrote {SCALE_MD.relative_to(ROOT)} ({results['total_seconds'] / 60:.0f} min)")


if __name__ == "__main__":
    main()
