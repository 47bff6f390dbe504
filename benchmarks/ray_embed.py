"""Embed-stage throughput: the local engine against the Ray engine on 1 and 2 workers, same texts.

Reads the first N distinct ECB+ sentences at run time from $NARRATIVE_EVAL_DIR/ecbplus (default
../shared/eval/ecbplus; the texts are never copied into the project), embeds them into a fresh
store with each engine and prints a markdown table of texts/s and ratios to the local engine.

    python benchmarks/ray_embed.py [--texts 2000]

A Ray worker is one embedding actor holding one model on one CPU (torch on one thread); the local
engine is one process using every core. Ray times include starting the actors and loading their
models, since every Ray run pays them; the local engine is timed with its model already loaded and
also with the load. Needs the ray extra.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from compare import engine_ray, store
from compare.embed import SentenceTransformerEmbedder, embed


def ecbplus_sentences(limit: int) -> list[str]:
    folder = Path(os.environ.get("NARRATIVE_EVAL_DIR", ROOT.parent / "shared" / "eval")) / "ecbplus"
    path = folder / "documents.jsonl"
    if not path.exists():
        sys.exit(f"ECB+ data missing: {path} (set NARRATIVE_EVAL_DIR)")
    seen: dict[str, None] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            for sentence in json.loads(line)["sentences"]:
                text = sentence["text"].strip()
                if text:
                    seen.setdefault(text)
                if len(seen) == limit:
                    return list(seen)
    return list(seen)


def as_claims(texts: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "text_sha256": [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts],
            "text": texts,
        }
    )


def time_local(claims: pl.DataFrame, folder: Path, *, preload: bool) -> float:
    embedder = SentenceTransformerEmbedder()
    con = store.open_store(Path(tempfile.mkdtemp(dir=folder)) / "local.duckdb")
    try:
        if preload:
            _ = embedder.model
        start = time.perf_counter()
        embed(claims, con, embedder)
        return time.perf_counter() - start
    finally:
        con.close()


def time_ray(ray, claims: pl.DataFrame, folder: Path, workers: int) -> float:
    embedder = SentenceTransformerEmbedder()
    work = Path(tempfile.mkdtemp(dir=folder))
    con = store.open_store(work / "ray.duckdb")
    try:
        claims_dir = work / "claims" / "event_id=bench"
        claims_dir.mkdir(parents=True)
        claims.write_parquet(claims_dir / "part-0.parquet")
        start = time.perf_counter()
        engine_ray.write_texts_to_embed(con, embedder.key, work / "claims", work / "to_embed")
        engine_ray.embed_on_ray(ray, con, embedder, work / "to_embed", workers=workers)
        elapsed = time.perf_counter() - start
        stored = con.execute("SELECT count(*) FROM embeddings").fetchall()[0][0]
        assert stored == claims.height, (stored, claims.height)
        return elapsed
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument(
        "--repeat", type=int, default=1, help="Best of N runs each (for a busy machine)."
    )
    args = parser.parse_args()
    best = lambda f: min(f() for _ in range(args.repeat))
    ray = engine_ray.require_ray()
    claims = as_claims(ecbplus_sentences(args.texts))
    n = claims.height
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        local = best(lambda: time_local(claims, folder, preload=True))
        rows.append(("local engine, model loaded", local))
        with_load = best(lambda: time_local(claims, folder, preload=False))
        rows.append(("local engine, with model load", with_load))
        with engine_ray.ray_session(ray, None, lambda message: None):
            for workers in (1, 2):
                seconds = best(lambda: time_ray(ray, claims, folder, workers))  # noqa: B023
                rows.append((f"ray, {workers} worker(s)", seconds))
    cpus = os.cpu_count()
    print(f"Embed stage, {n} ECB+ sentences, {cpus} CPUs, bundled all-MiniLM-L6-v2\n")
    print("| engine | seconds | texts/s | vs local |")
    print("| --- | ---: | ---: | ---: |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.1f} | {n / seconds:.1f} | {local / seconds:.2f}x |")


if __name__ == "__main__":
    main()
