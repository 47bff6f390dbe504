"""ECB+ (topic scope): gold sentence alignments from cross-document event coreference.

Each topic runs as one event, so its two sibling events are mixed and the aligner must keep them
apart. The pipeline sees only the text and a neutral id per document. A gold sentence pair counts as
predicted when a claim overlapping one sentence is paired with a claim overlapping the other.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np
import polars as pl

from compare import store
from compare.align import AlignConfig, tfidf_matrix
from compare.evaluate.common import Progress, prf, read_jsonl, temporary_store
from compare.ingest import DOCUMENTS_SCHEMA
from compare.pipeline import align_store, transaction
from compare.segment import segment

Sentence = tuple[str, int]  # (gold doc id, sid)


def score(path: Path, embedder, progress: Progress, config: AlignConfig = AlignConfig()) -> dict:
    gold_docs = read_jsonl(path / "documents.jsonl")
    gold_pairs = read_jsonl(path / "alignments.jsonl")
    loose = {_key((g["doc_a"], g["sent_a"]), (g["doc_b"], g["sent_b"])) for g in gold_pairs}
    tight = {
        _key((g["doc_a"], g["sent_a"]), (g["doc_b"], g["sent_b"])) for g in gold_pairs if g["tight"]
    }
    candidates = candidate_pairs(gold_docs)
    progress(f"ecbplus: {len(gold_docs)} documents, {len(candidates)} candidate sentence pairs")
    predicted = predict_pairs(gold_docs, embedder, config) & candidates
    p_l, r_l, f_l = prf(predicted, loose & candidates)
    p_t, r_t, f_t = prf(predicted, tight & candidates)
    return {
        "n_documents": len(gold_docs),
        "precision_loose": p_l,
        "recall_loose": r_l,
        "f1_loose": f_l,
        "precision_tight": p_t,
        "recall_tight": r_t,
        "f1_tight": f_t,
        "floor_all_positive_f1_loose": prf(candidates, loose & candidates)[2],
        "floor_all_positive_f1_tight": prf(candidates, tight & candidates)[2],
        "floor_tfidf_f1_loose": best_threshold_f1(tfidf_scores(gold_docs, candidates), loose),
        "floor_tfidf_f1_tight": best_threshold_f1(tfidf_scores(gold_docs, candidates), tight),
        "grouping_pairwise_f1": None,
        "grouping_bcubed_f1": None,
    }


def _key(a: Sentence, b: Sentence) -> tuple[Sentence, Sentence]:
    return (a, b) if a < b else (b, a)


def annotated(doc: dict) -> list[dict]:
    return [s for s in doc["sentences"] if s["annotated"]]


def candidate_pairs(gold_docs: list[dict]) -> set:
    """Annotated sentences of different documents in the same topic (the dataset's topic scope)."""
    by_topic = defaultdict(list)
    for doc in gold_docs:
        by_topic[doc["topic_id"]].append(doc)
    out = set()
    for docs in by_topic.values():
        for a, b in combinations(docs, 2):
            for sa in annotated(a):
                for sb in annotated(b):
                    out.add(_key((a["doc_id"], sa["sid"]), (b["doc_id"], sb["sid"])))
    return out


def neutral_documents(gold_docs: list[dict]) -> tuple[pl.DataFrame, dict[str, dict]]:
    """Documents as the pipeline sees them: text and neutral ids only (topic = event)."""
    topics = {t: f"topic-{i:02d}" for i, t in enumerate(sorted({d["topic_id"] for d in gold_docs}))}
    rows, by_neutral = [], {}
    for i, doc in enumerate(gold_docs):
        neutral = f"doc-{i:04d}"
        by_neutral[neutral] = doc
        rows.append(
            {
                "doc_id": neutral,
                "event_id": topics[doc["topic_id"]],
                "text": doc["text"],
                "content_sha256": hashlib.sha256(doc["text"].encode()).hexdigest(),
            }
        )
    frame = pl.DataFrame(rows).with_columns(
        [pl.lit(None, dtype=dtype).alias(c) for c, dtype in DOCUMENTS_SCHEMA.items() if c not in rows[0]]
    )
    return frame.select(list(DOCUMENTS_SCHEMA)), by_neutral


def predict_pairs(gold_docs: list[dict], embedder, config: AlignConfig) -> set:
    documents, by_neutral = neutral_documents(gold_docs)
    claims = segment(documents)
    with temporary_store() as con:
        with transaction(con):
            store.replace_rows(con, "documents", documents, key="doc_id", values=[])
            store.replace_rows(con, "claims", claims, key="doc_id", values=[])
        align_store(con, embedder, config=config)
        pairs = con.execute(
            "SELECT a.doc_id, a.char_start, a.char_end, b.doc_id, b.char_start, b.char_end"
            " FROM claim_pairs p JOIN claims a ON a.claim_id = p.claim_a"
            " JOIN claims b ON b.claim_id = p.claim_b"
        ).fetchall()
    predicted = set()
    for doc_a, sa, ea, doc_b, sb, eb in pairs:
        for x in _overlapping(by_neutral[doc_a], sa, ea):
            for y in _overlapping(by_neutral[doc_b], sb, eb):
                predicted.add(_key(x, y))
    return predicted


def _overlapping(doc: dict, start: int, end: int) -> list[Sentence]:
    return [(doc["doc_id"], s["sid"]) for s in doc["sentences"] if s["start"] < end and start < s["end"]]


def tfidf_scores(gold_docs: list[dict], candidates: set) -> dict:
    """TF-IDF cosine of each candidate pair, IDF fitted per topic on its sentences."""
    by_topic = defaultdict(list)
    for doc in gold_docs:
        for s in doc["sentences"]:
            by_topic[doc["topic_id"]].append(((doc["doc_id"], s["sid"]), s["text"]))
    index, vectors = {}, {}
    for topic, sentences in by_topic.items():
        matrix = tfidf_matrix([t for _, t in sentences])
        for row, (key, _) in enumerate(sentences):
            index[key] = (topic, row)
        vectors[topic] = matrix
    out = {}
    for a, b in candidates:
        (topic, ra), (_, rb) = index[a], index[b]
        out[(a, b)] = float(vectors[topic][ra] @ vectors[topic][rb])
    return out


def best_threshold_f1(scores: dict, gold: set) -> float:
    """F1 at the best cut of `scores` (floors are computed on the data they are printed beside)."""
    keys = sorted(scores, key=lambda k: -scores[k])
    hits = np.cumsum([k in gold for k in keys])
    n_gold = len(gold & set(scores))
    predicted = np.arange(1, len(keys) + 1)
    f1 = 2 * hits / (predicted + n_gold)
    return float(f1.max()) if len(f1) else 0.0
