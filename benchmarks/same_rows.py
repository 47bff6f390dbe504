"""Same rows before and after a refactor: dump every result table of a run, compare two dumps.

    python benchmarks/same_rows.py dump OUT [--engine local|ray] [--ecbplus DIR] [--seed DUMP]
                                            [--feed FEED [--every 8]] [--workers N]
    python benchmarks/same_rows.py compare BEFORE AFTER [--tolerance 1e-6]

`dump` builds a fresh store from the sample events (`data/events/*`, through ingest) and, with
`--ecbplus`, from ECB+ documents as the evaluator hands them to the pipeline (neutral ids, text
only, read at run time and never copied), embeds, aligns and diverges them with the chosen engine
and writes each table to `OUT/<corpus>/<table>.parquet`, the vectors to
`OUT/<corpus>.embeddings.parquet`. `--seed DUMP` puts a dump's vectors in the cache first, so that
two runs align the same vectors (Ray's embedding batches are not fixed, and the model's vectors
move in their last bits with the batch). `compare` checks that two dumps hold the same rows (every
non-float column equal, floats within the tolerance) and prints row counts and the largest float
difference; it exits 1 on any mismatch.

It runs against the code on `sys.path` (set PYTHONPATH to an exported older commit to dump that),
so it only uses calls that exist both before and after the layout change of issue 12.
"""

from __future__ import annotations

import argparse
import glob
import sys
import tempfile
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent


def _align(con, engine: str, model=None, workers: int | None = None) -> None:
    """The chosen engine on every stored event (new layout first, then the layout before it);
    `workers` only when given (the engines before issue 27 have no such argument)."""
    try:
        from compare.api import engine as pick  # after issue 12
    except ImportError:
        pick = None
    if pick is not None:
        from compare.embed import load_embedder

        extra = {"workers": workers} if workers else {}
        pick(engine)(con, load_embedder(model), events=None, **extra)
        return
    if engine == "ray":
        from compare.engine_ray import align_store_ray

        align_store_ray(con, model)
    else:
        from compare.embed import SentenceTransformerEmbedder
        from compare.pipeline import align_store

        align_store(con, SentenceTransformerEmbedder(model))


def _write_documents(con, documents: pl.DataFrame) -> None:
    from compare import store
    from compare.segment import segment

    claims = segment(documents)
    con.execute("BEGIN TRANSACTION")
    store.replace_rows(con, "documents", documents, key="doc_id", values=[])
    store.replace_rows(con, "claims", claims, key="doc_id", values=[])
    con.execute("COMMIT")


def dump(
    out: Path,
    engine: str,
    ecbplus: Path | None,
    seed: Path | None = None,
    feed: Path | None = None,
    every: int = 8,
    model: Path | None = None,
    workers: int | None = None,
) -> None:
    import compare
    from compare import store

    print(f"code: {Path(compare.__file__).parent}, engine: {engine}", file=sys.stderr)
    corpora = {"samples": None}
    if ecbplus:
        corpora["ecbplus"] = ecbplus
    if feed:
        corpora["feed"] = feed
    with tempfile.TemporaryDirectory(prefix="same-rows-") as tmp:
        for name, path in corpora.items():
            db = Path(tmp) / f"{name}.duckdb"
            con = store.open_store(db)
            try:
                if path is None:
                    from compare.pipeline import ingest_into

                    ingest_into(con, sorted(glob.glob(str(ROOT / "data" / "events" / "*"))))
                elif name == "feed":  # 1 in `every` events of a feed (their event_id kept)
                    from compare.ingest import ingest

                    documents = ingest([path]).documents
                    chosen = sorted(documents["event_id"].unique())[::every]
                    _write_documents(con, documents.filter(pl.col("event_id").is_in(chosen)))
                else:
                    from compare.evaluate.common import read_jsonl
                    from compare.evaluate.ecbplus import neutral_documents

                    documents, _ = neutral_documents(read_jsonl(path / "documents.jsonl"))
                    _write_documents(con, documents)
                if seed is not None and (seed / f"{name}.embeddings.parquet").exists():
                    # Fixed vectors: the engine then only aligns and diverges. The model's vectors
                    # move in the last bits with its batches, which Ray does not keep fixed.
                    vectors = pl.read_parquet(seed / f"{name}.embeddings.parquet")
                    con.register("_seed", vectors)
                    con.execute(
                        "INSERT INTO embeddings SELECT model, text_sha256, vector FROM _seed"
                    )
                    con.unregister("_seed")
                _align(con, engine, model, workers)
                out.mkdir(parents=True, exist_ok=True)
                con.sql("SELECT * FROM embeddings ORDER BY model, text_sha256").pl().write_parquet(
                    out / f"{name}.embeddings.parquet"
                )
                folder = out / name
                folder.mkdir(parents=True, exist_ok=True)
                for table in store.EVENT_TABLES:
                    frame = store.read_table(con, table)
                    frame.write_parquet(folder / f"{table}.parquet")
                    print(f"{name}/{table}: {frame.height} rows", file=sys.stderr)
            finally:
                con.close()


def compare(before: Path, after: Path, tolerance: float) -> bool:
    """Print one line per table; True when every table holds the same rows."""
    same, worst = True, 0.0
    for path in sorted(before.glob("*/*.parquet")):
        rel = path.relative_to(before)
        a = pl.read_parquet(path)
        other = after / rel
        if not other.exists():
            print(f"{rel}: missing in {after}")
            same = False
            continue
        b = pl.read_parquet(other)
        if "path" in a.columns:  # the checkout the files were read from is not a result
            a, b = (
                f.with_columns(pl.col("path").str.replace(r"^.*/(data/events/)", "$1"))
                for f in (a, b)
            )
        floats = [c for c, t in a.schema.items() if t.is_float()]
        keys = [c for c in a.columns if c not in floats]
        if a.columns != b.columns or a.height != b.height:
            print(f"{rel}: columns/rows differ ({a.height} vs {b.height} rows)")
            same = False
            continue
        a, b = a.sort(keys, nulls_last=True), b.sort(keys, nulls_last=True)
        if not a.select(keys).equals(b.select(keys)):
            print(f"{rel}: {a.height} rows, but the non-float columns differ")
            same = False
            continue
        diff = 0.0
        for c in floats:
            d = (a[c] - b[c]).abs().max()
            nulls_differ = not a[c].is_null().equals(b[c].is_null())
            if nulls_differ:
                diff = float("inf")
            elif d is not None:
                diff = max(diff, float(d))
        worst = max(worst, diff)
        ok = diff <= tolerance
        same &= ok
        print(f"{rel}: {a.height} rows, max float difference {diff:.3g}{'' if ok else '  DIFFERS'}")
    print(f"{'SAME' if same else 'DIFFERENT'}: max float difference {worst:.3g}")
    return same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--engine", choices=["local", "ray"], default="local")
    d.add_argument("--ecbplus", type=Path, default=None)
    d.add_argument("--feed", type=Path, default=None, help="also 1 in --every events of a feed")
    d.add_argument("--every", type=int, default=8)
    d.add_argument("--model", type=Path, default=None, help="model folder (default: bundled)")
    d.add_argument("--workers", type=int, default=None, help="the engine's workers (issue 27+)")
    d.add_argument(
        "--seed",
        type=Path,
        default=None,
        help="a dump folder whose <corpus>.embeddings.parquet fill the cache before the run",
    )
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("--tolerance", type=float, default=1e-6)
    args = parser.parse_args()
    if args.command == "dump":
        dump(
            args.out,
            args.engine,
            args.ecbplus,
            args.seed,
            args.feed,
            args.every,
            args.model,
            args.workers,
        )
    else:
        sys.exit(0 if compare(args.before, args.after, args.tolerance) else 1)


if __name__ == "__main__":
    main()
