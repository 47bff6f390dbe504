"""narrative-compare: how different sources tell the same story.

Each stage is a function on polars DataFrames (see README):
    ingest(paths) -> Ingested(documents, ...)      segment(documents) -> claims
    embed(claims, con, embedder) -> vectors        align(claims, vectors) -> Alignment
and `open_store(path)` opens the DuckDB store the CLI writes. Heavy imports (torch) happen only
when a model is actually needed.
"""

from __future__ import annotations

from compare.align import AlignConfig, align
from compare.embed import HashEmbedder, SentenceTransformerEmbedder, embed
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
    "open_store",
    "segment",
]
