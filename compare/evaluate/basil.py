"""BASIL: do the divergences land on the sentences experts marked as biased?

Each outlet triple runs as one event of three documents with neutral ids, title and text only (no
outlet, date, URL or gold). Claims map to the dataset's sentences by character overlap. A sentence
is predicted

- informational when a claim on it is an omission (said by one outlet only: no counterpart in
  either other outlet) or has a speaker, number or entity divergence;
- lexical when a claim on it has a reworded or hedging divergence;

and scored against the sentences holding an informational- or lexical-bias span. `speaker_accuracy`
is the share of sentences with a quote span by a named speaker (spans.jsonl) whose claim's speaker
names that person (the gold speaker's last name appears in the claim's speaker, case-insensitive).
Floors are computed on the same sentences: flag-all F1 for each label, and a TF-IDF novelty floor
(1 - the sentence's best TF-IDF cosine to the other outlets' sentences, at its best threshold).
`framed_lift` asks whether the relation `framed` singles out what experts marked: the share of
aligned pairs labelled `framed` among pairs with a claim on a lexical-bias sentence over the share
among the rest (`framed_lift`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import polars as pl

from compare.align import AlignConfig
from compare.diverge import DivergeConfig
from compare.diverge.lexicon import WORD
from compare.embed import encode_texts
from compare.evaluate.common import Progress, documents_frame, prf, read_jsonl
from compare.evaluate.ecbplus import best_threshold_f1
from compare.pipeline import compare_event
from compare.segment import segment
from compare.text import tfidf_matrix

INFORMATIONAL_KINDS = ("speaker", "number", "entity")
LEXICAL_KINDS = ("reworded", "hedging")
FRAMING_EVIDENCE_KINDS = ("framing",)  # rows whose evidence marks framing words
# DEV (50 events, 4041 sentences; flag-all F1 0.284): every divergence kind flags informational-bias
# sentences at about the base rate (precision 0.11-0.19), and so do omissions, however they are cut:
# unique claims 0.270 F1, any omission row 0.265, unique with nearest non-match < 0.45 / 0.40 /
# 0.35 / 0.30: 0.270 / 0.255 / 0.245 / 0.231. So omissions count without a nearest-score cut.

Sentence = tuple[str, int]  # (gold doc id, sid)


def score(
    path: Path,
    embedder,
    progress: Progress,
    config: AlignConfig | None = None,
    diverge_config: DivergeConfig | None = None,
) -> dict:
    gold_docs = read_jsonl(path / "documents.jsonl")
    labels = {
        (r["doc_id"], r["sid"]): r
        for r in read_jsonl(path / "sentence_labels.jsonl")
        if r["sid"] >= 0
    }
    spans = read_jsonl(path / "spans.jsonl")
    progress(f"basil: {len(gold_docs)} documents, {len(labels)} sentences")
    run = run_pipeline(gold_docs, embedder, config, diverge_config)
    predicted = predictions(run)
    sentences = set(labels)
    informational = {k for k, r in labels.items() if r["informational_bias"]}
    lexical = {k for k, r in labels.items() if r["lexical_bias"]}
    p_i, r_i, f_i = prf(predicted["informational"] & sentences, informational)
    p_l, r_l, f_l = prf(predicted["lexical"] & sentences, lexical)
    novelty = tfidf_novelty(gold_docs)
    accuracy, n_quotes = speaker_accuracy(run, spans)
    return {
        "n_events": len({d["event_id"] for d in gold_docs}),
        "n_sentences": len(sentences),
        "precision_informational": p_i,
        "recall_informational": r_i,
        "f1_informational": f_i,
        "floor_flag_all_f1_informational": prf(sentences, informational)[2],
        "floor_tfidf_f1_informational": best_threshold_f1(novelty, informational),
        "precision_lexical": p_l,
        "recall_lexical": r_l,
        "f1_lexical": f_l,
        "floor_flag_all_f1_lexical": prf(sentences, lexical)[2],
        "floor_tfidf_f1_lexical": best_threshold_f1(novelty, lexical),
        "speaker_accuracy": accuracy,
        "n_speaker_sentences": n_quotes,
        **lexical_words(run, spans),
        **framed_lift(run, lexical),
    }


class Run:
    """The pipeline's output on the neutral documents, with claims mapped to gold sentences."""

    def __init__(self, claims, pairs, omissions, divergences, sentences_of, documents=None):
        self.claims: pl.DataFrame = claims
        self.claim_pairs: pl.DataFrame = pairs
        self.omissions: pl.DataFrame = omissions
        self.divergences: pl.DataFrame = divergences
        self.sentences_of: dict[str, list[Sentence]] = sentences_of
        self.documents: dict[str, dict] = documents or {}  # neutral doc id -> gold document


def run_pipeline(
    gold_docs: list[dict],
    embedder,
    config: AlignConfig | None = None,
    diverge_config: DivergeConfig | None = None,
) -> Run:
    events = {e: f"event-{i:03d}" for i, e in enumerate(sorted({d["event_id"] for d in gold_docs}))}
    rows, by_neutral = [], {}
    for i, doc in enumerate(gold_docs):
        neutral = f"doc-{i:04d}"
        by_neutral[neutral] = doc
        rows.append(
            {
                "doc_id": neutral,
                "event_id": events[doc["event_id"]],
                "title": doc.get("title"),
                "text": doc["text"],
            }
        )
    documents = documents_frame(rows)
    claims = segment(documents)
    vectors = encode_texts(claims["text"].to_list(), embedder)
    tables = compare_event(documents, claims, vectors, config, diverge_config, contrasts=False)
    sentences_of = {}
    for r in claims.select("claim_id", "doc_id", "char_start", "char_end").iter_rows(named=True):
        doc = by_neutral[r["doc_id"]]
        sentences_of[r["claim_id"]] = [
            (doc["doc_id"], s["sid"])
            for s in doc["sentences"]
            if s["start"] < r["char_end"] and r["char_start"] < s["end"]
        ]
    return Run(
        claims,
        tables["claim_pairs"],
        tables["omissions"],
        tables["divergences"],
        sentences_of,
        by_neutral,
    )


def predictions(run: Run) -> dict[str, set]:
    flagged: dict[str, set[str]] = defaultdict(set)
    for a, b, kind in run.divergences.select("claim_a", "claim_b", "kind").iter_rows():
        flagged[kind].update((a, b))
    docs_per_event = run.claims.group_by("event_id").agg(pl.col("doc_id").n_unique().alias("n"))
    unique = (
        run.omissions.join(docs_per_event, on="event_id")
        .group_by("claim_id")
        .agg(pl.len().alias("missing"), pl.col("n").first())
        .filter(pl.col("missing") == pl.col("n") - 1)
    )
    flagged["omission"] = set(unique["claim_id"].to_list())

    def sentences(kinds) -> set[Sentence]:
        return {s for k in kinds for c in flagged[k] for s in run.sentences_of[c]}

    return {
        "informational": sentences(("omission", *INFORMATIONAL_KINDS)),
        "lexical": sentences(LEXICAL_KINDS),
    }


def lexical_words(run: Run, spans: list[dict]) -> dict[str, float]:
    """Word-level lexical score: the words the tool marks as framing evidence (the spans of its
    `FRAMING_EVIDENCE_KINDS` rows: the loaded words of substitutions whose connotation shifts,
    and the lexicon's loaded words, intensifiers and distancing phrases) against the words inside BASIL's
    lexical-bias spans, over the words of the sentences that hold a claim of an accepted pair.
    The floor marks every word of a paired claim whose lower-case form its partner lacks."""
    claims = {r["claim_id"]: r for r in run.claims.iter_rows(named=True)}
    pairs = run.claim_pairs.select("claim_a", "claim_b").rows()
    paired = {c for pair in pairs for c in pair}
    sentences = {s for c in paired for s in run.sentences_of[c]}
    words = {}  # (gold doc id, start, end) of each word of those sentences, in document offsets
    docs_of = {}
    for c in paired:
        docs_of[c] = run.documents[claims[c]["doc_id"]]
    for doc in {d["doc_id"]: d for d in docs_of.values()}.values():
        for sent in doc["sentences"]:
            if (doc["doc_id"], sent["sid"]) in sentences:
                for m in WORD.finditer(doc["text"], sent["start"], sent["end"]):
                    words[(doc["doc_id"], m.start(), m.end())] = None
    gold_spans = defaultdict(list)
    for s in spans:
        if s["bias"] == "lexical" and s.get("doc_start") is not None:
            gold_spans[s["doc_id"]].append((s["doc_start"], s["doc_end"]))

    def inside(marked: dict[str, list[tuple[int, int]]]) -> set:
        return {w for w in words if any(s < w[2] and w[1] < e for s, e in marked.get(w[0], ()))}

    gold = inside(gold_spans)
    marked = defaultdict(list)
    for row in run.divergences.iter_rows(named=True):
        if row["kind"] not in FRAMING_EVIDENCE_KINDS:
            continue
        for side in ("a", "b"):
            c = claims[row[f"claim_{side}"]]
            doc = docs_of[c["claim_id"]]["doc_id"]
            for s, e, _ in json.loads(row[f"evidence_{side}"] or "[]"):
                marked[doc].append((c["char_start"] + s, c["char_start"] + e))
    floor = defaultdict(list)
    for x, y in pairs:
        for c, other in ((x, y), (y, x)):
            theirs = {w.lower() for w in WORD.findall(claims[other]["text"])}
            doc = docs_of[c]["doc_id"]
            for m in WORD.finditer(claims[c]["text"]):
                if m.group().lower() not in theirs:
                    floor[doc].append(
                        (claims[c]["char_start"] + m.start(), claims[c]["char_start"] + m.end())
                    )
    p, r, f = prf(inside(marked), gold)
    return {
        "lexical_word_precision": p,
        "lexical_word_recall": r,
        "lexical_word_f1": f,
        "lexical_word_base_rate": len(gold) / len(words) if words else 0.0,
        "floor_lexical_word_f1": prf(inside(floor), gold)[2],
        "n_lexical_words": len(words),
    }


def framed_lift(run: Run, lexical: set[Sentence]) -> dict[str, float]:
    """Does `framed` single out what experts marked? The share of aligned pairs labelled `framed`
    among pairs with a claim on a lexical-bias sentence and among pairs with none, and their
    ratio (`framed_lift`); `framed_share` is the share over all pairs."""
    touching, framed = [], []
    for a, b, relation in run.claim_pairs.select("claim_a", "claim_b", "relation").iter_rows():
        sentences = set(run.sentences_of[a]) | set(run.sentences_of[b])
        touching.append(bool(sentences & lexical))
        framed.append(relation == "framed")
    touching, framed = np.array(touching, dtype=bool), np.array(framed, dtype=bool)

    def share(mask) -> float:
        return float(framed[mask].mean()) if mask.any() else 0.0

    on, off = share(touching), share(~touching)
    return {
        "framed_share": share(np.ones_like(framed)),
        "framed_share_lexical": on,
        "framed_share_other": off,
        "framed_lift": on / off if off else 0.0,
        "n_pairs_lexical": int(touching.sum()),
        "n_pairs_other": int((~touching).sum()),
    }


def speaker_accuracy(run: Run, spans: list[dict]) -> tuple[float, int]:
    """Share of gold quote sentences with a named speaker whose claim names that speaker."""
    gold: dict[Sentence, set[str]] = defaultdict(set)
    for s in spans:
        who = s.get("speaker")
        if s.get("quote") and who and not who.startswith("other"):
            gold[(s["doc_id"], s["sid"])].add(who.replace("_", " ").split()[-1].lower())
    speakers: dict[Sentence, list[str]] = defaultdict(list)
    for claim_id, speaker in run.claims.select("claim_id", "speaker").iter_rows():
        for sentence in run.sentences_of[claim_id]:
            speakers[sentence].append((speaker or "").lower())
    hits = sum(
        1 for k, names in gold.items() if any(n in sp for n in names for sp in speakers.get(k, []))
    )
    return (hits / len(gold) if gold else 0.0), len(gold)


def tfidf_novelty(gold_docs: list[dict]) -> dict[Sentence, float]:
    """1 - a sentence's best TF-IDF cosine to the other outlets' sentences (IDF per event)."""
    by_event = defaultdict(list)
    for doc in gold_docs:
        for s in doc["sentences"]:
            by_event[doc["event_id"]].append((doc["doc_id"], s["sid"], s["text"]))
    out = {}
    for rows in by_event.values():
        matrix = tfidf_matrix([t for *_, t in rows])
        sims = matrix @ matrix.T
        docs = np.array([d for d, *_ in rows])
        for i, (doc, sid, _) in enumerate(rows):
            other = docs != doc
            out[(doc, sid)] = 1.0 - (float(sims[i, other].max()) if other.any() else 0.0)
    return out


__all__ = ["framed_lift", "predictions", "run_pipeline", "score", "speaker_accuracy"]
