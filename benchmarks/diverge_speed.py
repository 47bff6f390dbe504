"""Diverge's CPU seconds per claim on 1 event in N of the bench-scale feed, before and after.

    python benchmarks/diverge_speed.py prepare OUT [--feed FEED] [--every 8] [--model DIR]
    PYTHONPATH=/path/to/older/export python benchmarks/diverge_speed.py time OUT

`prepare` ingests and segments every N-th event of the feed (their event_id kept), embeds the
claims with the fast tier (default: bench-scale's distilled model), aligns each event and writes
what diverge reads to OUT (documents, claims, claim_pairs and omissions as parquet, all events in
one file each). `time` reads them back and times, event by event, the diverge step of
`compare_event`: `diverge`, `relations` and `rate_omissions`, in this process's CPU seconds
(`time.process_time`), reading each event's frames before its clock starts. It prints one JSON line
(events, claims, pairs, divergence rows, CPU seconds, ms per claim) and which code it ran: run it
once with the code of today and once with PYTHONPATH at an export of an older commit
(`git archive REV | tar -x -C DIR`), back to back, and divide. `--save DIR` also writes the
divergences, related claim_pairs and rated omissions it made (compare two with same_rows.py's
`compare`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
WORK = ROOT / "benchmarks" / "work" / "bench-scale"


def prepare(out: Path, feed: Path, every: int, model: Path) -> None:
    from compare import store
    from compare.align import AlignConfig, align
    from compare.embed import event_vectors, load_embedder
    from compare.ingest import ingest
    from compare.pipeline import _with_lang
    from compare.segment import segment

    documents = ingest([feed]).documents
    chosen = sorted(documents["event_id"].unique())[::every]
    documents = documents.filter(pl.col("event_id").is_in(chosen))
    con = store.open_store(out / "store.duckdb")
    try:
        with store.transaction(con):
            store.replace_rows(con, "documents", documents, key="doc_id", values=[])
            store.replace_rows(con, "claims", segment(documents), key="doc_id", values=[])
        embedder = load_embedder(model)
        frames: dict[str, list[pl.DataFrame]] = {"claims": [], "claim_pairs": [], "omissions": []}
        for event_id, claims, vectors in event_vectors(con, embedder, chosen):
            docs = documents.filter(pl.col("event_id") == event_id)
            aligned = align(_with_lang(claims, docs), vectors, AlignConfig.for_model(embedder.key))
            frames["claims"].append(claims)
            frames["claim_pairs"].append(aligned.claim_pairs)
            frames["omissions"].append(aligned.omissions)
    finally:
        con.close()
    documents.write_parquet(out / "documents.parquet")
    for name, parts in frames.items():
        pl.concat(parts, how="diagonal_relaxed").write_parquet(out / f"{name}.parquet")


def time_diverge(out: Path, save: Path | None = None) -> dict:
    import compare
    from compare.diverge import DivergeConfig, diverge, rate_omissions, relations

    frames = {
        n: pl.read_parquet(out / f"{n}.parquet") for n in ("claims", "claim_pairs", "omissions")
    }
    documents = pl.read_parquet(out / "documents.parquet")
    config = DivergeConfig()
    seconds, rows, written = 0.0, 0, []
    for (event_id,), docs in documents.group_by("event_id", maintain_order=True):
        claims, pairs, omissions = (
            f.filter(pl.col("event_id") == event_id) for f in frames.values()
        )
        languages = dict(docs.select("doc_id", "lang").iter_rows())
        t0 = time.process_time()
        divergences = diverge(docs, claims, pairs, config)
        related = relations(pairs, divergences, config, languages)
        rated = rate_omissions(claims, omissions)
        seconds += time.process_time() - t0
        rows += divergences.height
        if save:
            written.append((divergences, related, rated))
    if save:
        save.mkdir(parents=True, exist_ok=True)
        for i, name in enumerate(("divergences", "claim_pairs", "omissions")):
            pl.concat([w[i] for w in written]).write_parquet(save / f"{name}.parquet")
    claims = frames["claims"].height
    return {
        "code": str(Path(compare.__file__).parent),
        "events": documents["event_id"].n_unique(),
        "claims": claims,
        "pairs": frames["claim_pairs"].height,
        "divergences": rows,
        "cpu_seconds": round(seconds, 2),
        "ms_per_claim": round(1000 * seconds / max(1, claims), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("out", type=Path)
    p.add_argument("--feed", type=Path, default=WORK / "feed.jsonl")
    p.add_argument("--every", type=int, default=8)
    p.add_argument("--model", type=Path, default=WORK / "fast-minilm")
    t = sub.add_parser("time")
    t.add_argument("out", type=Path)
    t.add_argument("--save", type=Path, help="write the tables diverge made to this folder")
    args = parser.parse_args()
    if args.command == "prepare":
        args.out.mkdir(parents=True, exist_ok=True)
        prepare(args.out, args.feed, args.every, args.model)
    else:
        print(json.dumps(time_diverge(args.out, args.save)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
