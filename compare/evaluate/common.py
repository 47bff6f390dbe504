"""What every dataset's scorer shares: where the data is, a temporary store, the embedding cache."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from compare import store
from compare.embed import Embedder, cached_vectors, load_embedder, store_vectors
from compare.errors import InputError, StoreBusy

Progress = Callable[[str], None]


def quiet(message: str) -> None:
    pass


def eval_dir() -> Path:
    return Path(os.environ.get("NARRATIVE_EVAL_DIR", "../shared/eval"))


def eval_path(dataset: str, path: str | Path | None, marker: str = "documents.jsonl") -> Path:
    folder = Path(path) if path else eval_dir() / dataset
    if not (folder / marker).exists():
        raise InputError(
            f"No {dataset} data in '{folder}' ({marker} missing). Pass the dataset folder,"
            " or set NARRATIVE_EVAL_DIR to the folder that holds it."
        )
    return folder


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def cache_path() -> Path:
    root = Path(os.environ.get("NARRATIVE_CACHE", Path.home() / ".cache" / "narrative-compare"))
    root.mkdir(parents=True, exist_ok=True)
    return root / "embeddings.duckdb"


class CachedEmbedder:
    """Wraps an embedder with the persistent eval cache, so repeated evals embed nothing twice.

    The cache file is opened only to read and to write, never while the model runs, so that two
    evals (or an eval and a test run) can share it; a cache held by another process too long is
    skipped (the vectors are computed, not stored) rather than failing the eval.
    """

    LOCK_WAIT = 120.0  # seconds to wait for another process's hold on the cache file

    def __init__(self, inner: Embedder):
        self.inner = inner

    @property
    def key(self) -> str:
        return self.inner.key

    def encode(self, texts: list[str]) -> np.ndarray:
        hashes = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        found: dict[str, np.ndarray] = {}
        with _cache() as con:
            if con is not None:
                found = cached_vectors(con, self.key, hashes)
        todo = sorted({h: t for h, t in zip(hashes, texts) if h not in found}.items())
        if todo:
            vectors = self.inner.encode([t for _, t in todo])
            found.update(zip((h for h, _ in todo), vectors))
            with _cache() as con:
                if con is not None:
                    store_vectors(con, self.key, [h for h, _ in todo], vectors)
        return np.stack([found[h] for h in hashes])


@contextmanager
def _cache(wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """The cache, created if missing; None when another process holds it longer than `wait`."""
    try:
        con = store.connect(cache_path(), wait=CachedEmbedder.LOCK_WAIT if wait is None else wait)
    except StoreBusy:
        yield None
        return
    try:
        con.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (model VARCHAR, text_sha256 VARCHAR,"
            " vector FLOAT[], PRIMARY KEY (model, text_sha256))"
        )
        yield con
    finally:
        con.close()


def cached_embedder(model: str | Path | None = None) -> Embedder:
    return CachedEmbedder(load_embedder(model))


@contextmanager
def temporary_store() -> Iterator[duckdb.DuckDBPyConnection]:
    with tempfile.TemporaryDirectory(prefix="narrative-eval-") as tmp:
        con = store.open_store(Path(tmp) / "eval.duckdb")
        try:
            yield con
        finally:
            con.close()


def run_pipeline(
    documents: pl.DataFrame, embedder, config=None
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """Segment neutral `documents`, store them in a temporary store and run the local engine on
    them as `run` does: their claims, and the claim_pairs and omissions it wrote."""
    from compare.pipeline import align_store
    from compare.segment import segment

    claims = segment(documents)
    with temporary_store() as con:
        with store.transaction(con):
            store.replace_rows(con, "documents", documents, key="doc_id", values=[])
            store.replace_rows(con, "claims", claims, key="doc_id", values=[])
        align_store(con, embedder, config=config)
        tables = {t: store.read_table(con, t) for t in ("claim_pairs", "omissions")}
    return claims, tables


def prf(predicted: set, gold: set) -> tuple[float, float, float]:
    tp = len(predicted & gold)
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(gold) if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def documents_frame(rows: list[dict]) -> pl.DataFrame:
    """Rows of neutral documents (doc_id, event_id, text, ...) padded to the documents schema."""
    from compare.ingest import DOCUMENTS_SCHEMA

    for row in rows:
        row.setdefault("content_sha256", hashlib.sha256(row["text"].encode()).hexdigest())
    return pl.DataFrame(
        [{c: row.get(c) for c in DOCUMENTS_SCHEMA} for row in rows], schema=DOCUMENTS_SCHEMA
    )
