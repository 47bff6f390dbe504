"""How long a source profile takes on a store of the scale corpus's first 2,000 documents (issue 28:
under 10 s). Builds the store once (ingest, segment, embed, align, diverge; `--embedder hash` uses
the deterministic hashing embedder to build it fast, `bundled` the real model: the profile reads
the same tables either way), then times `profile` for the sources with the most documents.

    python benchmarks/profile_time.py --docs 2000 --work /tmp/profile-bench [--embedder bundled]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_feed import build_corpus

from compare import store
from compare.pipeline import align_store, ingest_into
from compare.profile import profile
from compare.report.profile import write_profile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/profile-bench"))
    parser.add_argument("--embedder", choices=["hash", "bundled"], default="hash")
    parser.add_argument("--sources", type=int, default=3)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    db = args.work / f"store-{args.docs}-{args.embedder}.duckdb"
    if not db.exists():
        t = time.perf_counter()
        feed = [args.work / f"feed-{args.docs}.jsonl"]
        build_corpus(args.docs, feed[0])
        if args.embedder == "hash":
            from compare.embed import HashEmbedder

            embedder = HashEmbedder()
        else:
            from compare.embed import SentenceTransformerEmbedder

            embedder = SentenceTransformerEmbedder()
        con = store.open_store(db)
        ingest_into(con, feed)
        align_store(con, embedder)
        con.close()
        print(f"store built in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    con = store.open_store(db, read_only=True)
    counts = store.table_counts(con)
    top = con.execute(
        "SELECT coalesce(label, source, doc_id) AS s, count(*) FROM documents"
        " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
        [args.sources],
    ).fetchall()
    con.close()
    print(f"store: {counts}")
    for name, n in top:
        t = time.perf_counter()
        con = store.open_store(db, read_only=True)
        p = profile(con, name, db=db)
        con.close()
        data = time.perf_counter() - t
        t = time.perf_counter()
        write_profile(db=db, source=name, out=args.work / "reports")
        page = time.perf_counter() - t
        print(
            f"{name}: {n} documents, {p['events']} events: profile {data:.2f} s,"
            f" profile + page {page:.2f} s ({page / 10:.2f} of the 10 s budget)"
        )


if __name__ == "__main__":
    main()
