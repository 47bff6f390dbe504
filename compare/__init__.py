"""narrative-compare: how different sources tell the same story.

Each stage is a function on polars DataFrames (see README):
    ingest(paths) -> Ingested(documents, ...)      segment(documents) -> claims
    embed(claims, con, embedder) -> vectors        align(claims, vectors) -> Alignment
`load_embedder(path)` gives the embedder for a model folder or a bundled model's name
(`compare.models`: the multilingual `use-multilingual-v3`), and `open_store(path)` opens the
DuckDB store the CLI writes (the CLI's commands are `compare.api`'s functions). Heavy imports (torch) happen only
when a model is actually needed.
"""

from __future__ import annotations

from compare.align import AlignConfig, align
from compare.embed import HashEmbedder, SentenceTransformerEmbedder, embed, load_embedder
from compare.ingest import ingest
from compare.segment import segment
from compare.store import open_store

__all__ = [
    "AlignConfig",
    "HashEmbedder",
    "SentenceTransformerEmbedder",
    "align",
    "embed",
    "ingest",
    "load_embedder",
    "open_store",
    "segment",
]
