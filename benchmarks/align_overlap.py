"""Where the align stage's wall time goes: how busy the comparing workers are, and what the
calling process does meanwhile (reads and embeds, waits, writes).

    python benchmarks/align_overlap.py prep FEED STORE --model FAST   # ingest + group, no align
    python benchmarks/align_overlap.py align STORE OUT.duckdb --model FAST [--log LOG.jsonl]

`prep` stores FEED as `run --group auto` does, up to the align stage. `align` copies STORE to
OUT.duckdb and runs `compare.pipeline.align_store` on every event, timing each event in its
worker (wall start and end, pid) and the calling process's reads, waits and writes; it prints
the stage's wall and CPU seconds, the process tree's peak memory and the workers' busy share.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

LOG_DIR = Path(os.environ.get("ALIGN_OVERLAP_LOG", "/tmp/align-overlap"))


def timed_compare(work, configs):
    """`_compare_one` in a worker, its wall span appended to LOG_DIR/<pid>.jsonl."""
    from compare import pipeline

    t0 = time.time()
    out = getattr(pipeline, "_original_compare_one", pipeline._compare_one)(work, configs)
    with (LOG_DIR / f"{os.getpid()}.jsonl").open("a") as f:
        f.write(
            json.dumps({"event": work[0], "claims": work[2].height, "t0": t0, "t1": time.time()})
            + "\n"
        )
    return out


def prep(args) -> None:
    from compare import store
    from compare.embed import load_embedder
    from compare.pipeline import ingest_into

    for path in Path(args.store).parent.glob(Path(args.store).name + "*"):
        path.unlink()
    con = store.open_store(args.store)
    t0 = time.perf_counter()
    ingest_into(
        con, [args.feed], group="auto", embedder=load_embedder(args.model), require_pairs=True
    )
    con.close()
    print(f"prep {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def align(args) -> None:
    from scale import TreeMemory

    from compare import pipeline, store
    from compare.embed import load_embedder

    shutil.rmtree(LOG_DIR, ignore_errors=True)
    LOG_DIR.mkdir(parents=True)
    for path in Path(args.out).parent.glob(Path(args.out).name + "*"):
        path.unlink()
    shutil.copy(args.store, args.out)
    pipeline._original_compare_one = pipeline._compare_one
    pipeline._compare_one = timed_compare  # pickled by reference: the workers run it too
    spans = {"read": 0.0, "write": 0.0}
    original_vectors, original_write = pipeline.event_vectors, pipeline.write_events

    def event_vectors(*a, **k):
        it = original_vectors(*a, **k)
        while True:
            t0 = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                return
            spans["read"] += time.perf_counter() - t0
            yield item

    def write_events(*a, **k):
        t0 = time.perf_counter()
        original_write(*a, **k)
        spans["write"] += time.perf_counter() - t0

    pipeline.event_vectors, pipeline.write_events = event_vectors, write_events
    con = store.open_store(args.out)
    embedder = load_embedder(args.model)
    embedder.encode(["load the model"])
    c0 = time.process_time()
    t0 = time.perf_counter()
    with TreeMemory() as memory:
        summary = pipeline.align_store(con, embedder)
    wall = time.perf_counter() - t0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    main_cpu = time.process_time() - c0
    con.close()
    rows = [json.loads(line) for p in LOG_DIR.glob("*.jsonl") for line in p.open()]
    start = time.time() - wall
    busy = sum(r["t1"] - r["t0"] for r in rows)
    pids = len(list(LOG_DIR.glob("*.jsonl")))
    last = max(rows, key=lambda r: r["t1"])
    # the tail: from the first worker's last item done to the last worker's
    finish = [max(json.loads(line)["t1"] for line in p.open()) for p in LOG_DIR.glob("*.jsonl")]
    tail = max(finish) - min(finish)
    result = {
        "events": len(summary.events),
        "claims": summary.claims,
        "embedded": summary.embedded,
        "wall": round(wall, 1),
        "main_cpu": round(main_cpu, 1),
        "workers_cpu": round(children.ru_utime + children.ru_stime, 1),
        "workers_busy_s": round(busy, 1),
        "workers_busy_share": round(busy / (pids * wall), 3) if pids else None,
        "main_read_embed_s": round(spans["read"], 1),
        "main_write_s": round(spans["write"], 1),
        "tail_s": round(tail, 1),
        "last_event": {"claims": last["claims"], "seconds": round(last["t1"] - last["t0"], 1)},
        "largest_event": max(r["claims"] for r in rows),
        "peak_mb": round(memory.peak_mb),
        "load": os.getloadavg(),
    }
    if args.log:
        with open(args.log, "w") as f:
            f.writelines(
                json.dumps({**r, "t0": r["t0"] - start, "t1": r["t1"] - start}) + "\n"
                for r in sorted(rows, key=lambda r: r["t0"])
            )
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prep")
    p.add_argument("feed")
    p.add_argument("store")
    p.add_argument("--model", required=True)
    a = sub.add_parser("align")
    a.add_argument("store")
    a.add_argument("out")
    a.add_argument("--model", required=True)
    a.add_argument("--log")
    args = parser.parse_args()
    prep(args) if args.command == "prep" else align(args)


if __name__ == "__main__":
    main()
