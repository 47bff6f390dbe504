"""Scoring event grouping against gold events: ARI, pairwise and B-cubed P/R/F1, and floors.

Shared by the datasets whose gold has events (allsides_neus, ecbplus). The grouper sees only text,
title and a neutral id per document: never dates, outlets, URLs, topics or the gold ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import polars as pl

from compare.group import GroupConfig, group_documents


def neutral_documents(gold_docs: list[dict]) -> pl.DataFrame:
    """What the grouper sees: `doc-0000`-style ids, text and title (null when the corpus has none)."""
    return pl.DataFrame(
        {
            "doc_id": [f"doc-{i:04d}" for i in range(len(gold_docs))],
            "text": [d["text"] for d in gold_docs],
            "title": [d.get("title") or None for d in gold_docs],
            "date": [None] * len(gold_docs),
        },
        schema={"doc_id": pl.String, "text": pl.String, "title": pl.String, "date": pl.String},
    )


def grouping_scores(
    gold_docs: list[dict],
    embedder,
    *,
    config: GroupConfig | None = None,
    prefix: str = "grouping_",
) -> dict:
    """Group the documents as `run --group auto` would and score the groups against `event_id`."""
    predicted = predict_groups(gold_docs, embedder, config)
    gold = [d["event_id"] for d in gold_docs]
    scores = cluster_scores(predicted, gold)
    return {f"{prefix}{key}": value for key, value in scores.items()}


def predict_groups(gold_docs: list[dict], embedder, config: GroupConfig | None = None) -> list[str]:
    documents = neutral_documents(gold_docs)
    groups = group_documents(documents, embedder, config=config or GroupConfig())
    by_doc = dict(zip(groups["doc_id"], groups["event_id"]))
    return [by_doc[d] for d in documents["doc_id"]]


def cluster_scores(predicted: Sequence, gold: Sequence) -> dict:
    p, r, f = pairwise_prf(predicted, gold)
    bp, br, bf = bcubed_prf(predicted, gold)
    return {
        "ari": adjusted_rand(predicted, gold),
        "pairwise_precision": p,
        "pairwise_recall": r,
        "pairwise_f1": f,
        "bcubed_precision": bp,
        "bcubed_recall": br,
        "bcubed_f1": bf,
        "n_groups": len(set(predicted)),
        "n_events": len(set(gold)),
        "mixed_groups": sum(1 for g in _members(predicted, gold).values() if len(g) > 1),
    }


def _members(predicted: Sequence, gold: Sequence) -> dict:
    out: dict = {}
    for p, g in zip(predicted, gold):
        out.setdefault(p, set()).add(g)
    return out


def _pairs(counts) -> float:
    return float(sum(c * (c - 1) / 2 for c in counts))


def adjusted_rand(predicted: Sequence, gold: Sequence) -> float:
    """Hubert & Arabie's adjusted Rand index (1 = identical partitions, ~0 = chance)."""
    n = len(gold)
    both = _pairs(Counter(zip(predicted, gold)).values())
    a, b = _pairs(Counter(predicted).values()), _pairs(Counter(gold).values())
    expected = a * b / (n * (n - 1) / 2) if n > 1 else 0.0
    best = (a + b) / 2
    return 1.0 if best == expected else (both - expected) / (best - expected)


def pairwise_prf(predicted: Sequence, gold: Sequence) -> tuple[float, float, float]:
    """P/R/F1 over document pairs put in one group."""
    both = _pairs(Counter(zip(predicted, gold)).values())
    pred, true = _pairs(Counter(predicted).values()), _pairs(Counter(gold).values())
    p = both / pred if pred else 0.0
    r = both / true if true else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def bcubed_prf(predicted: Sequence, gold: Sequence) -> tuple[float, float, float]:
    """B-cubed P/R/F1 (Bagga & Baldwin): per document, the share of its group that is right."""
    both = Counter(zip(predicted, gold))
    size_p, size_g = Counter(predicted), Counter(gold)
    n = len(gold)
    p = sum(c * c / size_p[x] for (x, _), c in both.items()) / n
    r = sum(c * c / size_g[y] for (_, y), c in both.items()) / n
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def grouping_floors(gold_docs: list[dict], embedder, *, prefix: str = "floor_") -> dict:
    """Floors computed on the same documents: every document alone, and average-linkage
    clustering of one all-MiniLM vector per document (title + text) or of its TF-IDF row, each at
    the threshold best for ARI on this very data (optimistic floors: tuned on what they score)."""
    from compare.text import document_names, folded_words, tfidf_with_vocab

    gold = [d["event_id"] for d in gold_docs]
    documents = neutral_documents(gold_docs)
    texts = [f"{t or ''}\n{x}".strip() for t, x in zip(documents["title"], documents["text"])]
    floors = {"singletons": cluster_scores(list(range(len(gold))), gold)}
    floors["minilm_average"] = best_average_linkage(embedder.encode(texts), gold)
    lexical = tfidf_with_vocab([folded_words(t) + document_names(t) for t in texts])[0].toarray()
    floors["tfidf_average"] = best_average_linkage(lexical, gold)
    return {
        f"{prefix}{name}_{metric}": scores[metric]
        for name, scores in floors.items()
        for metric in ("ari", "pairwise_f1", "bcubed_f1")
    }


def best_average_linkage(vectors: np.ndarray, gold: Sequence) -> dict:
    """Average-linkage agglomerative clustering of `vectors` (cosine), scored at the threshold
    that is best for ARI on `gold`."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    distances = np.clip(1 - vectors @ vectors.T, 0, None)
    np.fill_diagonal(distances, 0)
    tree = linkage(squareform((distances + distances.T) / 2, checks=False), method="average")
    best = {"ari": -1.0}
    for threshold in np.arange(0.05, 1.0, 0.01):
        predicted = fcluster(tree, threshold, "distance").tolist()
        ari = adjusted_rand(predicted, gold)
        if ari > best["ari"]:
            best = {**cluster_scores(predicted, gold), "threshold": float(1 - threshold)}
    return best
