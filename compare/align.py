"""claims x documents -> claim_pairs, claim_groups, omissions (one event at a time).

Order-free and many-to-many: every pair of documents in an event is scored with numpy in blocks. A
claim pair's score mixes the embedding cosine with a lexical TF-IDF cosine over the event's claims;
a pair is accepted when its score clears the threshold and it is among each side's best matches.
Accepted pairs become groups by greedy merging in score order, where two claims of one document
may share a group only when both align to the same claim elsewhere (a split), never by chaining.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from importlib import resources
from itertools import combinations

import numpy as np
import polars as pl

CLAIM_PAIRS_SCHEMA = {
    "event_id": pl.String,
    "claim_a": pl.String,
    "claim_b": pl.String,
    "doc_a": pl.String,
    "doc_b": pl.String,
    "score": pl.Float64,
    "cosine": pl.Float64,
    "lexical": pl.Float64,
    "method": pl.String,
}
CLAIM_GROUPS_SCHEMA = {
    "group_id": pl.String,
    "event_id": pl.String,
    "claim_id": pl.String,
    "doc_id": pl.String,
}
OMISSIONS_SCHEMA = {
    "event_id": pl.String,
    "claim_id": pl.String,
    "doc_id": pl.String,
    "missing_in_doc": pl.String,
    "nearest_claim_id": pl.String,
    "nearest_score": pl.Float64,
}

BLOCK = 2048  # rows of the score matrix held at once


@dataclass(frozen=True)
class AlignConfig:
    """Weights and thresholds, frozen from `narrative-compare eval ecbplus` on DEV (see README)."""

    dense_weight: float = 0.7  # score = dense_weight * cosine + (1 - dense_weight) * lexical
    threshold: float = 0.45  # accept a pair at or above this score ...
    top_k: int = 2  # ... when it is among the top_k of both claims in that document pair


@dataclass
class Alignment:
    claim_pairs: pl.DataFrame
    claim_groups: pl.DataFrame
    omissions: pl.DataFrame


def _stopwords() -> frozenset[str]:
    text = resources.files("compare.data").joinpath("stopwords.txt").read_text()
    return frozenset(w for w in text.split() if not w.startswith("#"))


STOPWORDS = _stopwords()
TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def content_tokens(text: str) -> list[str]:
    """Lower-cased content words with a light suffix strip, for the lexical score."""
    tokens = []
    for tok in TOKEN.findall(text.lower()):
        tok = tok.split("'")[0].split("’")[0]
        if tok in STOPWORDS or len(tok) < 2:
            continue
        tokens.append(_stem(tok))
    return tokens


def _stem(tok: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if tok.endswith(suffix) and len(tok) - len(suffix) >= 4:
            return tok[: -len(suffix)]
    return tok


def tfidf_matrix(texts: list[str]) -> np.ndarray:
    """Dense L2-normalised TF-IDF rows (sublinear tf, smoothed idf over `texts`)."""
    docs = [Counter(content_tokens(t)) for t in texts]
    vocab = {w: i for i, w in enumerate(sorted({w for d in docs for w in d}))}
    df = Counter(w for d in docs for w in d)
    n = len(texts)
    matrix = np.zeros((n, max(len(vocab), 1)), dtype=np.float32)
    for row, counts in enumerate(docs):
        for word, tf in counts.items():
            idf = math.log((1 + n) / (1 + df[word])) + 1
            matrix[row, vocab[word]] = (1 + math.log(tf)) * idf
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def align(
    claims: pl.DataFrame, vectors: np.ndarray, config: AlignConfig = AlignConfig()
) -> Alignment:
    """Align the claims of one or more events; `vectors[i]` embeds `claims[i]`."""
    pairs, groups, omissions = [], [], []
    claims = claims.with_row_index("_row")
    for (event_id,), event in claims.group_by("event_id", maintain_order=True):
        rows = event["_row"].to_numpy()
        p, g, o = _align_event(event_id, event.drop("_row"), vectors[rows], config)
        pairs += p
        groups += g
        omissions += o
    return Alignment(
        pl.DataFrame(pairs, schema=CLAIM_PAIRS_SCHEMA, orient="row"),
        pl.DataFrame(groups, schema=CLAIM_GROUPS_SCHEMA, orient="row"),
        pl.DataFrame(omissions, schema=OMISSIONS_SCHEMA, orient="row"),
    )


def _align_event(event_id: str, event: pl.DataFrame, vectors: np.ndarray, config: AlignConfig):
    ids = event["claim_id"].to_list()
    docs = event["doc_id"].to_list()
    lexical = tfidf_matrix(event["text"].to_list())
    by_doc: dict[str, np.ndarray] = defaultdict(list)
    for i, d in enumerate(docs):
        by_doc[d].append(i)
    by_doc = {d: np.array(rows) for d, rows in sorted(by_doc.items())}

    pairs = []  # (score, i, j, cosine, lexical)
    nearest: dict[tuple[int, str], tuple[int, float]] = {}
    for doc_a, doc_b in combinations(by_doc, 2):
        ra, rb = by_doc[doc_a], by_doc[doc_b]
        for start in range(0, len(ra), BLOCK):
            block = ra[start : start + BLOCK]
            cos = vectors[block] @ vectors[rb].T
            lex = lexical[block] @ lexical[rb].T
            score = config.dense_weight * cos + (1 - config.dense_weight) * lex
            _collect(block, rb, cos, lex, score, config, pairs, nearest, doc_b)
        # Columns' view: best rows of doc_a for each claim of doc_b (mutual top-k and nearest).
        cos_t = vectors[rb] @ vectors[ra].T
        lex_t = lexical[rb] @ lexical[ra].T
        score_t = config.dense_weight * cos_t + (1 - config.dense_weight) * lex_t
        _nearest(rb, ra, score_t, nearest, doc_a)
    accepted = _mutual_top_k(pairs, by_doc, docs, config.top_k, nearest_scores(pairs))

    pair_rows = []
    for score, i, j, cos, lex in accepted:
        a, b = (i, j) if docs[i] < docs[j] else (j, i)
        pair_rows.append(
            (event_id, ids[a], ids[b], docs[a], docs[b], round(score, 6), round(cos, 6),
             round(lex, 6), "dense+tfidf")
        )
    members = _group(accepted, len(ids), docs)
    group_rows = []
    group_of = {}
    for member in members:
        gid = hashlib.sha256("\x1f".join(sorted(ids[m] for m in member)).encode()).hexdigest()[:16]
        for m in sorted(member):
            group_rows.append((gid, event_id, ids[m], docs[m]))
            group_of[m] = member
    # A document lacks a claim when neither the claim's group nor a direct pair reaches it.
    present = {i: {docs[m] for m in group_of[i]} for i in range(len(ids))}
    for _, i, j, *_ in accepted:
        present[i].add(docs[j])
        present[j].add(docs[i])
    omission_rows = []
    for i in range(len(ids)):
        for doc in by_doc:
            if doc == docs[i] or doc in present[i]:
                continue
            j, s = nearest.get((i, doc), (None, None))
            omission_rows.append(
                (event_id, ids[i], docs[i], doc, ids[j] if j is not None else None,
                 None if s is None else round(s, 6))
            )
    return pair_rows, group_rows, omission_rows


def nearest_scores(pairs):
    return None


def _collect(rows_a, rows_b, cos, lex, score, config, pairs, nearest, doc_b):
    _nearest(rows_a, rows_b, score, nearest, doc_b)
    for x, y in zip(*np.nonzero(score >= config.threshold)):
        pairs.append((float(score[x, y]), int(rows_a[x]), int(rows_b[y]), float(cos[x, y]), float(lex[x, y])))


def _nearest(rows_a, rows_b, score, nearest, doc_b):
    best = score.argmax(axis=1)
    for x, y in enumerate(best):
        nearest[(int(rows_a[x]), doc_b)] = (int(rows_b[y]), float(score[x, y]))


def _mutual_top_k(pairs, by_doc, docs, k, _unused):
    """Keep pairs ranked within the top k of both claims among candidates in the other document."""
    ranked: dict[tuple[int, str], list[float]] = defaultdict(list)
    for score, i, j, *_ in pairs:
        ranked[(i, docs[j])].append(score)
        ranked[(j, docs[i])].append(score)
    cutoff = {key: sorted(scores, reverse=True)[: k][-1] for key, scores in ranked.items()}
    return sorted(
        (p for p in pairs if p[0] >= cutoff[(p[1], docs[p[2]])] and p[0] >= cutoff[(p[2], docs[p[1]])]),
        key=lambda p: (-p[0], p[1], p[2]),
    )


def _group(accepted, n: int, docs: list[str]) -> list[frozenset[int]]:
    """Greedy merge in score order; a merge may put two claims of one document together only
    when every such set of same-document claims aligns directly to one common claim."""
    neighbours: dict[int, set[int]] = defaultdict(set)
    for _, i, j, *_ in accepted:
        neighbours[i].add(j)
        neighbours[j].add(i)
    cluster = {i: frozenset([i]) for i in range(n)}
    for _, i, j, *_ in accepted:
        if cluster[i] is cluster[j]:
            continue
        merged = cluster[i] | cluster[j]
        if _valid(merged, docs, neighbours):
            for m in merged:
                cluster[m] = merged
    seen, out = set(), []
    for i in range(n):
        if cluster[i] not in seen:
            seen.add(cluster[i])
            out.append(cluster[i])
    return out


def _valid(members: frozenset[int], docs: list[str], neighbours: dict[int, set[int]]) -> bool:
    per_doc: dict[str, list[int]] = defaultdict(list)
    for m in members:
        per_doc[docs[m]].append(m)
    for same_doc in per_doc.values():
        if len(same_doc) > 1:
            common = set.intersection(*(neighbours[m] for m in same_doc)) & members
            if not common:
                return False
    return True
