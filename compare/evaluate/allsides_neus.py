"""AllSides headline roundups (NeuS crawl): group left / centre / right articles into their stories.

The grouper sees the article title and excerpt under a neutral id, never the story date, topic,
outlet, URL or AllSides id (grouping on date and topic alone reaches ARI 0.94). Floors are computed
on the same documents: every article alone, and average-linkage clustering of one all-MiniLM vector
per article (title + text) or of its TF-IDF row, each at the threshold best for ARI on this data.
"""

from __future__ import annotations

from pathlib import Path

from compare.evaluate.common import Progress, read_jsonl
from compare.evaluate.grouping import cluster_scores, grouping_floors, predict_groups


def score(path: Path, embedder, progress: Progress) -> dict:
    gold_docs = read_jsonl(path / "documents.jsonl")
    gold = [d["event_id"] for d in gold_docs]
    progress(f"allsides_neus: {len(gold_docs)} articles, {len(set(gold))} stories")
    scores = cluster_scores(predict_groups(gold_docs, embedder), gold)
    return {"n_documents": len(gold_docs), **scores, **grouping_floors(gold_docs, embedder)}
