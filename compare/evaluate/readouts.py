"""readouts: two governments' accounts of one call, aligned sentence by sentence by hand.

The judge of alignment. Gold pairs are every two spans of one gold group from different documents;
a claim stands for the gold spans of its document that it contains, or the one span it is part of.
Omissions: the gold `only_in` spans (press questions excluded) against the spans of the claims the
store lists as omitted in the other document.

`loeo_*` scores each event with the aligner's constants chosen (from LOEO_GRID) on the other
events, pooled: four events is a small set, and a constant that fits all four together is not
evidence. The floors score the gold sentences themselves: mutual-best cosine (the model's) and
mutual-best TF-IDF cosine of content words (IDF over the event's sentences), each at its best single
threshold over all events. The pipeline sees only the text, the title and neutral ids.
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
from compare.text import tfidf_matrix

Span = tuple[str, int, int]  # (gold doc id, start, end)

# The aligner's constants searched for the leave-one-event-out scores (others as AlignConfig sets).
LOEO_GRID = {
    "dense_weight": (0.45, 0.55, 0.65, 0.75),
    "threshold": (1.05, 1.1, 1.13, 1.2, 1.25),
    "second_threshold": (1.0, 1.05, 1.1),
}


def score(path: Path, embedder, progress: Progress, config: AlignConfig | None = None) -> dict:
    """Pair and omission scores of the shipped aligner on PATH, per event, left-one-event-out,
    and the floors."""
    config = config or AlignConfig.for_model(embedder.key)  # the model's own calibration
    gold = Gold.load(path)
    progress(f"readouts: {len(gold.docs)} documents, {len(gold.events)} events")
    documents, by_neutral = neutral_documents(gold.docs)
    claims, tables = run_pipeline(documents, embedder, config)
    predicted = gold.predicted(claims, tables["claim_pairs"], tables["omissions"], by_neutral)
    out = {"n_documents": len(gold.docs), "n_events": len(gold.events)}
    out |= gold.scores(predicted)
    out["per_event"] = {e: gold.scores(predicted, [e]) for e in gold.events}
    ordered = claims.sort("event_id", "doc_id", "position")
    vectors = embedder.encode(ordered["text"].to_list())
    out |= leave_one_event_out(gold, ordered, vectors, by_neutral, config, progress)
    out["floors"] = floors(gold, embedder)
    return out


@dataclass
class Predicted:
    pairs: set  # frozensets of two spans
    omitted: set  # spans


@dataclass
class Gold:
    docs: list[dict]
    events: list[str]
    spans: dict[str, list[tuple[int, int]]]  # gold doc id -> its sentences (start, end), in order
    pairs: set  # frozenset({span, span}) across documents
    only_in: set  # spans with no counterpart (press questions excluded)
    event_of: dict[str, str]  # gold doc id -> event

    @classmethod
    def load(cls, path: Path) -> Gold:
        docs = read_jsonl(path / "documents.jsonl")
        spans: dict[str, set] = defaultdict(set)
        pairs, only_in = set(), set()
        for event in read_jsonl(path / "gold.jsonl"):
            for group in event["groups"]:
                members = [(c["doc_id"], c["start"], c["end"]) for c in group["claims"]]
                for d, s, e in members:
                    spans[d].add((s, e))
                pairs |= {frozenset((a, b)) for a, b in combinations(members, 2) if a[0] != b[0]}
            for c in event["only_in"]:
                spans[c["doc_id"]].add((c["start"], c["end"]))
                if not c.get("note", "").startswith("press question"):
                    only_in.add((c["doc_id"], c["start"], c["end"]))
        return cls(
            docs=docs,
            events=sorted({d["event_id"] for d in docs}),
            spans={d: sorted(s) for d, s in spans.items()},
            pairs=pairs,
            only_in=only_in,
            event_of={d["doc_id"]: d["event_id"] for d in docs},
        )

    def spans_of(self, doc: str, start: int, end: int) -> list[Span]:
        """The gold spans a claim stands for: those it contains, else the one it is part of
        (overlap of at least half of the shorter of the two, so that whitespace and a split the
        annotators did not make still map)."""
        out = []
        for s, e in self.spans.get(doc, []):
            overlap = min(e, end) - max(s, start)
            if overlap > 0 and 2 * overlap >= min(e - s, end - start):
                out.append((doc, s, e))
        return out

    def predicted(
        self,
        claims: pl.DataFrame,
        claim_pairs: pl.DataFrame,
        omissions: pl.DataFrame,
        by_neutral: dict[str, str],
    ) -> Predicted:
        where = {
            c: self.spans_of(by_neutral[d], s, e)
            for c, d, s, e in claims.select(
                "claim_id", "doc_id", "char_start", "char_end"
            ).iter_rows()
        }
        pairs = {
            frozenset((x, y))
            for a, b in claim_pairs.select("claim_a", "claim_b").iter_rows()
            for x in where[a]
            for y in where[b]
        }
        omitted = {s for c in omissions["claim_id"].to_list() for s in where[c]}
        return Predicted(pairs, omitted)

    def scores(self, predicted: Predicted, events: list[str] | None = None) -> dict:
        keep = set(events or self.events)
        pairs = {p for p in predicted.pairs if self.event_of[next(iter(p))[0]] in keep}
        gold_pairs = {p for p in self.pairs if self.event_of[next(iter(p))[0]] in keep}
        omitted = {s for s in predicted.omitted if self.event_of[s[0]] in keep}
        only_in = {s for s in self.only_in if self.event_of[s[0]] in keep}
        pp, pr, pf = prf(pairs, gold_pairs)
        op, orc, of = prf(omitted, only_in)
        return {
            "pair_precision": pp,
            "pair_recall": pr,
            "pair_f1": pf,
            "omission_precision": op,
            "omission_recall": orc,
            "omission_f1": of,
            "predicted_pairs": len(pairs),
            "gold_pairs": len(gold_pairs),
        }


def neutral_documents(gold_docs: list[dict]) -> tuple[pl.DataFrame, dict[str, str]]:
    """Documents as the pipeline sees them: text, title and neutral ids only."""
    events = {e: f"event-{i:02d}" for i, e in enumerate(sorted({d["event_id"] for d in gold_docs}))}
    rows, by_neutral = [], {}
    for i, doc in enumerate(gold_docs):
        neutral = f"doc-{i:03d}"
        by_neutral[neutral] = doc["doc_id"]
        rows.append(
            {
                "doc_id": neutral,
                "event_id": events[doc["event_id"]],
                "text": doc["text"],
                "title": doc.get("title"),
            }
        )
    return documents_frame(rows), by_neutral


def leave_one_event_out(
    gold: Gold, claims, vectors, by_neutral, base: AlignConfig, progress: Progress
) -> dict:
    """Each event scored with the LOEO_GRID setting that does best (pair F1, then omission F1)
    on the other events; the held-out predictions pooled."""
    grid = LOEO_GRID
    configs = [replace(base, **dict(zip(grid, v))) for v in product(*grid.values())]
    results = []
    for n, config in enumerate(configs, 1):
        progress(f"readouts leave-one-event-out: setting {n}/{len(configs)}")
        alignment = align(claims, vectors, config)
        results.append(
            gold.predicted(claims, alignment.claim_pairs, alignment.omissions, by_neutral)
        )
    held_pairs, held_omitted, chosen = set(), set(), {}
    for event in gold.events:
        train = [e for e in gold.events if e != event]

        fit = [gold.scores(result, train) for result in results]
        best = max(range(len(configs)), key=lambda i: (fit[i]["pair_f1"], fit[i]["omission_f1"]))
        chosen[event] = {k: getattr(configs[best], k) for k in grid}
        keep = {p for p in results[best].pairs if gold.event_of[next(iter(p))[0]] == event}
        held_pairs |= keep
        held_omitted |= {s for s in results[best].omitted if gold.event_of[s[0]] == event}
    held = gold.scores(Predicted(held_pairs, held_omitted))
    return {
        "loeo_pair_precision": held["pair_precision"],
        "loeo_pair_recall": held["pair_recall"],
        "loeo_pair_f1": held["pair_f1"],
        "loeo_omission_f1": held["omission_f1"],
        "loeo_settings": chosen,
    }


def floors(gold: Gold, embedder) -> dict:
    """Mutual-best cosine and mutual-best TF-IDF of the gold sentences, each at its best single
    threshold (by pair F1); the omissions they imply are the sentences left unpaired."""
    texts = {d["doc_id"]: d["text"] for d in gold.docs}
    sentences = [(d, s, e) for d in sorted(gold.spans) for s, e in gold.spans[d]]
    strings = [texts[d][s:e] for d, s, e in sentences]
    vectors = dict(zip(sentences, embedder.encode(strings)))
    by_event: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for span in sentences:
        by_event[gold.event_of[span[0]]][span[0]].append(span)
    cosine, tfidf = {}, {}
    for docs in by_event.values():
        spans = [s for d in sorted(docs) for s in docs[d]]
        words = dict(zip(spans, tfidf_matrix([texts[d][s:e] for d, s, e in spans])))
        for a, b in combinations(sorted(docs), 2):
            for name, vec, out in (("cosine", vectors, cosine), ("tfidf", words, tfidf)):
                left = np.stack([vec[s] for s in docs[a]])
                right = np.stack([vec[s] for s in docs[b]])
                out.update(mutual_best(docs[a], docs[b], left @ right.T))
    return {
        name: best_threshold(gold, scores)
        for name, scores in (("cosine", cosine), ("tfidf", tfidf))
    }


def mutual_best(left: list[Span], right: list[Span], sim: np.ndarray) -> dict:
    """The pairs that are each other's best match, with their similarity."""
    out = {}
    for i, j in enumerate(sim.argmax(axis=1)):
        if sim[:, j].argmax() == i:
            out[frozenset((left[i], right[j]))] = float(sim[i, j])
    return out


def best_threshold(gold: Gold, scores: dict) -> dict:
    """Pair and omission scores at the threshold with the best pair F1."""
    every = {(d, s, e) for d in gold.spans for s, e in gold.spans[d]}
    best = None
    for cut in sorted(set(scores.values())):
        pairs = {p for p, v in scores.items() if v >= cut}
        paired = {s for p in pairs for s in p}
        result = gold.scores(Predicted(pairs, every - paired))
        if best is None or result["pair_f1"] > best["pair_f1"]:
            best = result | {"threshold": cut}
    return best or {}
