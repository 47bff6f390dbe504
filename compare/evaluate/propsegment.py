"""propsegment: points inside sentences, judged across translated Wikipedia versions (sentence level).

Each `entails` link is a gold pair of sentences (the hypothesis proposition's sentence, the premise
proposition's). A predicted claim pair predicts the pairs of gold sentences its two claims overlap.
`link_recall` = gold pairs predicted / gold pairs; `link_precision` = predicted pairs that are gold /
predicted pairs between two judged sentences of a pair of documents (a sentence is judged for a pair
of documents when one of its propositions appears in that pair's gold); `unlinked_precision` =
unlinked propositions whose sentence got no pair in the premise document / unlinked propositions.
Floor: mutual-best cosine of the gold sentences, at its best single threshold, scored the same way.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np

from compare.evaluate.common import Progress, prf, read_jsonl, run_pipeline
from compare.evaluate.readouts import mutual_best, neutral_documents

Sentence = tuple[str, int, int]  # (gold doc id, start, end)


def score(path: Path, embedder, progress: Progress) -> dict:
    gold = Gold.load(path)
    progress(f"propsegment: {len(gold.docs)} documents, {len(gold.links)} entails links")
    documents, by_neutral = neutral_documents(gold.docs)
    claims, tables = run_pipeline(documents, embedder)
    pairs = tables["claim_pairs"]
    spans = {
        c: (by_neutral[d], s, e)
        for c, d, s, e in claims.select("claim_id", "doc_id", "char_start", "char_end").iter_rows()
    }
    predicted = set()
    for a, b in pairs.select("claim_a", "claim_b").iter_rows():
        for x in gold.sentences_in(*spans[a]):
            for y in gold.sentences_in(*spans[b]):
                predicted.add(frozenset((x, y)))
    return {"n_documents": len(gold.docs), **gold.scores(predicted), "floor": floor(gold, embedder)}


class Gold:
    def __init__(self, docs: list[dict], events: list[dict]):
        self.docs = docs
        self.texts = {d["doc_id"]: d["text"] for d in docs}
        self.sentences: dict[str, set] = defaultdict(set)  # doc -> judged sentences (start, end)
        self.judged: dict[frozenset, set] = defaultdict(set)  # pair of docs -> judged sentences
        self.links: set = set()
        self.unlinked: list[tuple[Sentence, str]] = []  # (sentence, premise doc)
        for event in events:
            for link in event["links"]:
                h, p = (_sentence(link[k]) for k in ("hypothesis", "premise"))
                self._judge(h, p[0])
                self._judge(p, h[0])
                if link["label"] == "entails":
                    self.links.add(frozenset((h, p)))
            for u in event["unlinked"]:
                sentence = _sentence(u)
                self._judge(sentence, u["premise_doc"])
                self.unlinked.append((sentence, u["premise_doc"]))

    @classmethod
    def load(cls, path: Path) -> Gold:
        return cls(read_jsonl(path / "documents.jsonl"), read_jsonl(path / "gold.jsonl"))

    def _judge(self, sentence: Sentence, other_doc: str) -> None:
        self.sentences[sentence[0]].add(sentence[1:])
        self.judged[frozenset((sentence[0], other_doc))].add(sentence)

    def sentences_in(self, doc: str, start: int, end: int) -> list[Sentence]:
        """The gold sentences a claim overlaps."""
        return [(doc, s, e) for s, e in self.sentences[doc] if s < end and start < e]

    def scores(self, predicted: set) -> dict:
        judged = set()
        for pair in predicted:
            x, y = sorted(pair)
            if x[0] != y[0] and {x, y} <= self.judged[frozenset((x[0], y[0]))]:
                judged.add(pair)
        p, _, _ = prf(judged, self.links)
        r = len(predicted & self.links) / len(self.links) if self.links else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        paired: set = {(s, other[0]) for pair in predicted for s, other in _both(pair)}
        free = [u for u in self.unlinked if u not in paired]
        return {
            "link_precision": p,
            "link_recall": r,
            "link_f1": f,
            "unlinked_precision": len(free) / len(self.unlinked) if self.unlinked else 0.0,
            "predicted_links": len(judged),
            "gold_links": len(self.links),
        }


def _both(pair: frozenset) -> list[tuple[Sentence, Sentence]]:
    x, y = sorted(pair)
    return [(x, y), (y, x)]


def _sentence(point: dict) -> Sentence:
    return (point["doc_id"], *point["sentence"])


def floor(gold: Gold, embedder) -> dict:
    """Mutual-best cosine of the judged sentences of each pair of documents of a cluster, at the
    threshold with the best link F1."""
    by_event: dict[str, list[str]] = defaultdict(list)
    for d in gold.docs:
        by_event[d["event_id"]].append(d["doc_id"])
    keys = [(d, s, e) for d in sorted(gold.sentences) for s, e in sorted(gold.sentences[d])]
    vectors = dict(zip(keys, embedder.encode([gold.texts[d][s:e] for d, s, e in keys])))
    scores: dict = {}
    for docs in by_event.values():
        for a, b in combinations(sorted(docs), 2):
            left = [k for k in keys if k[0] == a]
            right = [k for k in keys if k[0] == b]
            if left and right:
                sim = np.stack([vectors[k] for k in left]) @ np.stack([vectors[k] for k in right]).T
                scores.update(mutual_best(left, right, sim))
    best: dict = {}
    for cut in sorted(set(scores.values())):
        result = gold.scores({p for p, v in scores.items() if v >= cut})
        if not best or result["link_f1"] > best["link_f1"]:
            best = result | {"threshold": cut}
    return best
