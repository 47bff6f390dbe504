"""ECB+ (topic scope): gold sentence alignments from cross-document event coreference.

Each topic runs as one event, so its two sibling events are mixed and the aligner must keep them
apart. The pipeline sees only the text and a neutral id per document. A gold sentence pair counts as
predicted when a claim overlapping one sentence is paired with a claim overlapping the other.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import polars as pl

from compare import store
from compare.align import AlignConfig
from compare.evaluate.common import Progress, documents_frame, prf, read_jsonl, temporary_store
from compare.evaluate.grouping import grouping_floors, grouping_scores
from compare.pipeline import align_store
from compare.segment import segment
from compare.text import tfidf_matrix

Sentence = tuple[str, int]  # (gold doc id, sid)


def score(path: Path, embedder, progress: Progress, config: AlignConfig | None = None) -> dict:
    config = config or AlignConfig()
    gold = Gold.load(path)
    progress(
        f"ecbplus: {len(gold.docs)} documents, {len(gold.candidates)} candidate sentence pairs"
    )
    predicted = predict_pairs(gold.docs, embedder, config)
    tfidf = tfidf_scores(gold.docs, gold.candidates)
    return {
        "n_documents": len(gold.docs),
        **gold.scores(predicted),
        "floor_all_positive_f1_loose": prf(gold.candidates, gold.loose)[2],
        "floor_all_positive_f1_tight": prf(gold.candidates, gold.tight)[2],
        "floor_tfidf_f1_loose": best_threshold_f1(tfidf, gold.loose),
        "floor_tfidf_f1_tight": best_threshold_f1(tfidf, gold.tight),
        **grouping_scores(gold.docs, embedder),  # the documents grouped as `--group auto` does
        **grouping_floors(gold.docs, embedder, prefix="floor_grouping_"),
    }


@dataclass
class Gold:
    """The gold of one ECB+ folder: documents, candidate sentence pairs (topic scope), and the
    loose and tight aligned pairs among them."""

    docs: list[dict]
    candidates: set
    loose: set
    tight: set

    @classmethod
    def load(cls, path: Path) -> Gold:
        docs = read_jsonl(path / "documents.jsonl")
        rows = read_jsonl(path / "alignments.jsonl")
        candidates = candidate_pairs(docs)
        loose = {_key((g["doc_a"], g["sent_a"]), (g["doc_b"], g["sent_b"])) for g in rows}
        tight = {
            _key((g["doc_a"], g["sent_a"]), (g["doc_b"], g["sent_b"])) for g in rows if g["tight"]
        }
        return cls(docs, candidates, loose & candidates, tight & candidates)

    def scores(self, predicted: set) -> dict[str, float]:
        """P/R/F1 of predicted sentence pairs against the loose and the tight gold."""
        predicted = predicted & self.candidates
        p_l, r_l, f_l = prf(predicted, self.loose)
        p_t, r_t, f_t = prf(predicted, self.tight)
        return {
            "precision_loose": p_l,
            "recall_loose": r_l,
            "f1_loose": f_l,
            "precision_tight": p_t,
            "recall_tight": r_t,
            "f1_tight": f_t,
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
        rows.append({"doc_id": neutral, "event_id": topics[doc["topic_id"]], "text": doc["text"]})
    return documents_frame(rows), by_neutral


def predict_pairs(gold_docs: list[dict], embedder, config: AlignConfig) -> set:
    """Run the pipeline (segment, store, embed, align) on neutral documents; the sentence pairs
    its claim pairs predict."""
    documents, by_neutral = neutral_documents(gold_docs)
    claims = segment(documents)
    with temporary_store() as con:
        with store.transaction(con):
            store.replace_rows(con, "documents", documents, key="doc_id", values=[])
            store.replace_rows(con, "claims", claims, key="doc_id", values=[])
        align_store(con, embedder, config=config)
        pairs = store.read_table(con, "claim_pairs")
    return sentence_pairs(claims, pairs, by_neutral)


def sentence_pairs(claims: pl.DataFrame, claim_pairs: pl.DataFrame, by_neutral: dict) -> set:
    """Gold sentence pairs predicted by claim pairs: a claim overlapping one sentence paired with
    a claim overlapping the other."""
    spans = {
        c: (d, s, e)
        for c, d, s, e in claims.select("claim_id", "doc_id", "char_start", "char_end").iter_rows()
    }
    predicted = set()
    for a, b in claim_pairs.select("claim_a", "claim_b").iter_rows():
        (doc_a, sa, ea), (doc_b, sb, eb) = spans[a], spans[b]
        for x in _overlapping(by_neutral[doc_a], sa, ea):
            for y in _overlapping(by_neutral[doc_b], sb, eb):
                predicted.add(_key(x, y))
    return predicted


def claims_and_vectors(gold_docs: list[dict], embedder) -> tuple[pl.DataFrame, np.ndarray, dict]:
    """The claims the pipeline makes of the neutral documents and their vectors, for in-process
    experiments (benchmarks/run.py): `align(claims, vectors)` gives what `predict_pairs` stores."""
    documents, by_neutral = neutral_documents(gold_docs)
    claims = segment(documents).sort("event_id", "doc_id", "position")
    return claims, embedder.encode(claims["text"].to_list()), by_neutral


def _overlapping(doc: dict, start: int, end: int) -> list[Sentence]:
    return [
        (doc["doc_id"], s["sid"]) for s in doc["sentences"] if s["start"] < end and start < s["end"]
    ]


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
