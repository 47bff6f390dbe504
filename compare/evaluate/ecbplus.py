"""ECB+: gold sentence alignments from cross-document event coreference.

Topic scope (default): each topic runs as one event, so its two sibling events are mixed and the
aligner must keep them apart. Pairs scope (`--scope pairs`): every pair of documents of a topic is
its own two-document event (half of those pairs tell a sibling incident, so few of their claims
correspond) — the mission's most common case; the floors (all pairs, MiniLM cosine, TF-IDF at
their best threshold) are computed on the same document pairs. `--cv K` shows overfitting: the
aligner's free parameters (CV_GRID) are chosen on K-1 folds of topics and scored on the held fold,
and the held-fold mean and spread print beside the score of the setting fitted to all of PATH.

The pipeline sees only the text and a neutral id per document. A gold sentence pair counts as
predicted when a claim overlapping one sentence is paired with a claim overlapping the other.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from itertools import combinations, product
from pathlib import Path

import numpy as np
import polars as pl

from compare.align import AlignConfig, align
from compare.evaluate.common import Progress, documents_frame, prf, read_jsonl, run_pipeline
from compare.evaluate.grouping import grouping_floors, grouping_scores
from compare.segment import segment
from compare.text import tfidf_matrix

Sentence = tuple[str, int]  # (gold doc id, sid)


def score(
    path: Path,
    embedder,
    progress: Progress,
    config: AlignConfig | None = None,
    *,
    cv: int | None = None,
    scope: str = "topic",
) -> dict:
    """Scores of the frozen aligner on PATH in the topic scope (each topic one event, sibling
    incidents mixed) or the pairs scope (`pair_events`); with `cv`, K-fold held-out scores."""
    config = config or AlignConfig()
    gold = Gold.load(path)
    progress(
        f"ecbplus: {len(gold.docs)} documents, {len(gold.candidates)} candidate sentence pairs,"
        f" {scope} scope"
    )
    vectors_of = sentence_vectors(gold, embedder)
    parsed = claims_and_vectors(gold.docs, embedder) if scope == "pairs" or cv else None
    if scope == "pairs":
        claims, vectors, by_neutral = parsed
        row = {c: i for i, c in enumerate(claims["claim_id"].to_list())}
        claims = pair_events(claims, by_neutral)
        vectors = vectors[[row[c.split(":", 1)[1]] for c in claims["claim_id"].to_list()]]
        predicted = sentence_pairs(claims, align(claims, vectors, config).claim_pairs, by_neutral)
        out = {
            "scope": "pairs",
            "n_documents": len(gold.docs),
            "n_events": claims["event_id"].n_unique(),
        }
        out |= gold.scores(predicted) | pair_floors(gold, vectors_of)
    else:
        predicted = predict_pairs(gold.docs, embedder, config)
        tfidf = tfidf_scores(gold.docs, gold.candidates)
        cosine = {(a, b): float(vectors_of[a] @ vectors_of[b]) for a, b in gold.candidates}
        out = {
            "scope": "topic",
            "n_documents": len(gold.docs),
            **gold.scores(predicted),
            "floor_all_positive_f1_loose": prf(gold.candidates, gold.loose)[2],
            "floor_all_positive_f1_tight": prf(gold.candidates, gold.tight)[2],
            "floor_cosine_f1_loose": best_threshold_f1(cosine, gold.loose),
            "floor_cosine_f1_tight": best_threshold_f1(cosine, gold.tight),
            "floor_tfidf_f1_loose": best_threshold_f1(tfidf, gold.loose),
            "floor_tfidf_f1_tight": best_threshold_f1(tfidf, gold.tight),
            **grouping_scores(gold.docs, embedder),  # the documents grouped as `--group auto` does
            **grouping_floors(gold.docs, embedder, prefix="floor_grouping_"),
        }
    if cv:
        out |= cross_validate(gold, *parsed, cv, progress)
    return out


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

    def restrict(self, topics: set[str]) -> Gold:
        """The gold of some topics only (cross-validation folds)."""
        docs = [d for d in self.docs if d["topic_id"] in topics]
        ids = {d["doc_id"] for d in docs}
        keep = {pair for pair in self.candidates if pair[0][0] in ids}
        return Gold(docs, keep, self.loose & keep, self.tight & keep)

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
    claims, tables = run_pipeline(documents, embedder, config)
    return sentence_pairs(claims, tables["claim_pairs"], by_neutral)


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


# The aligner's decision parameters searched by `--cv` (weights stay as AlignConfig sets them).
CV_GRID = {
    "threshold": (1.05, 1.13, 1.2),
    "dense_weight": (0.55, 0.65, 0.75),
}


def cross_validate(gold, claims, vectors, by_neutral, k: int, progress) -> dict:
    """Held-fold mean and spread of F1 (loose, tight) over K folds of topics, and the fitted F1."""
    configs = [replace(AlignConfig(), **dict(zip(CV_GRID, v))) for v in product(*CV_GRID.values())]
    topics = sorted({d["topic_id"] for d in gold.docs})
    topic_of = {d["doc_id"]: d["topic_id"] for d in gold.docs}
    by_config = []  # for each config: topic -> predicted sentence pairs
    for n, config in enumerate(configs, 1):
        progress(f"ecbplus --cv: setting {n}/{len(configs)}")
        predicted = sentence_pairs(claims, align(claims, vectors, config).claim_pairs, by_neutral)
        per_topic: dict[str, set] = defaultdict(set)
        for pair in predicted:
            per_topic[topic_of[pair[0][0]]].add(pair)
        by_config.append(per_topic)

    def f1s(c: int, subset: list[str]) -> tuple[float, float]:
        scores = gold.restrict(set(subset)).scores(set().union(*(by_config[c][t] for t in subset)))
        return scores["f1_loose"], scores["f1_tight"]

    held_loose, held_tight = [], []
    for fold in range(k):
        test = topics[fold::k]
        train = [t for t in topics if t not in test]
        best = max(range(len(configs)), key=lambda c: sum(f1s(c, train)))
        loose, tight = f1s(best, test)
        held_loose.append(loose)
        held_tight.append(tight)
    fitted = max(range(len(configs)), key=lambda c: sum(f1s(c, topics)))
    fitted_loose, fitted_tight = f1s(fitted, topics)
    return {
        "cv_folds": k,
        "cv_f1_loose_mean": float(np.mean(held_loose)),
        "cv_f1_loose_sd": float(np.std(held_loose)),
        "cv_f1_tight_mean": float(np.mean(held_tight)),
        "cv_f1_tight_sd": float(np.std(held_tight)),
        "fitted_f1_loose": fitted_loose,
        "fitted_f1_tight": fitted_tight,
        "fitted_setting": {name: getattr(configs[fitted], name) for name in CV_GRID},
    }


def pair_events(claims: pl.DataFrame, by_neutral: dict) -> pl.DataFrame:
    """The claims again, once per pair of documents of a topic, each pair its own event."""
    topic_docs: dict[str, list[str]] = defaultdict(list)
    for neutral in sorted(by_neutral):
        topic_docs[by_neutral[neutral]["topic_id"]].append(neutral)
    by_doc = {d: frame for (d,), frame in claims.group_by("doc_id")}
    parts = []
    for topic in sorted(topic_docs):
        for a, b in combinations(topic_docs[topic], 2):
            event = f"{a}+{b}"
            for doc in (a, b):
                if doc in by_doc:
                    parts.append(
                        by_doc[doc].with_columns(
                            pl.lit(event).alias("event_id"),
                            (pl.lit(event + ":") + pl.col("claim_id")).alias("claim_id"),
                        )
                    )
    return pl.concat(parts)


def pair_floors(gold, sentence_vectors: dict) -> dict:
    """All pairs, MiniLM cosine and TF-IDF (IDF over the two documents' sentences) at their best
    threshold, each gold document pair scored on its own."""
    docs = {d["doc_id"]: d for d in gold.docs}
    by_pair: dict[tuple[str, str], list] = defaultdict(list)
    for x, y in gold.candidates:
        by_pair[(x[0], y[0])].append((x, y))
    cosine, tfidf = {}, {}
    for (a, b), pairs in by_pair.items():
        sentences = [(a, s) for s in docs[a]["sentences"]] + [(b, s) for s in docs[b]["sentences"]]
        matrix = tfidf_matrix([s["text"] for _, s in sentences])
        row = {(d, s["sid"]): i for i, (d, s) in enumerate(sentences)}
        for x, y in pairs:
            key = _key(x, y)
            tfidf[key] = float(matrix[row[x]] @ matrix[row[y]])
            cosine[key] = float(sentence_vectors[x] @ sentence_vectors[y])
    out = {}
    for gold_name, gold_set in (("loose", gold.loose), ("tight", gold.tight)):
        out[f"floor_all_positive_f1_{gold_name}"] = prf(gold.candidates, gold_set)[2]
        out[f"floor_cosine_f1_{gold_name}"] = best_threshold_f1(cosine, gold_set)
        out[f"floor_tfidf_f1_{gold_name}"] = best_threshold_f1(tfidf, gold_set)
    return out


def sentence_vectors(gold, embedder) -> dict:
    """Vectors of the annotated gold sentences (the cosine floor scores gold sentences)."""
    keys = sorted({s for pair in gold.candidates for s in pair})
    docs = {d["doc_id"]: {s["sid"]: s["text"] for s in d["sentences"]} for d in gold.docs}
    vectors = embedder.encode([docs[d][sid] for d, sid in keys])
    return dict(zip(keys, vectors))
