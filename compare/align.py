"""claims x documents -> claim_pairs, claim_groups, omissions (one event at a time).

Precision first, order-free, and one meaning of a score for 2 or 20 documents: every two documents
of an event are compared on their own, with numpy in blocks of BLOCK rows (bounded memory).

- similarity: `score` = w * cosine of the two claims' embeddings + (1 - w) * TF-IDF cosine of their
  content words (IDF over the event's statements); both in [0, 1];
- margin (the ratio margin of bitext mining, Artetxe & Schwenk 2019): a pair's similarity over
  the mean of each claim's `neighbours` best similarities in the other document (a document with
  fewer claims counts the missing ones at `background`, the similarity of unrelated claims). A
  claim close to everything in a document (a topic sentence, boilerplate) gets no credit for that;
  a pair that stands out from both claims' usual matches does. 1.0 means "no better than usual",
  whatever the size of the documents or of the event; no pair has a similarity below `min_score`;
- a claim pairs with its best counterpart in a document (by margin) when that counterpart's best
  is the claim too (mutual best) and the margin reaches `threshold`;
- a second counterpart in the same document only when it carries another point: claim y of B
  whose best counterpart in A is x, where x is already paired with z of B, y restates neither z
  nor another counterpart kept before it (it is closer to x than to them), and the margin
  reaches `second_threshold`. The White House's "discussed A, B, as well as C" then pairs with
  the Kremlin's sentence on A and its one on C. Only within one language (`claims.lang`, when
  given): across languages a claim pairs only with its mutual best, since telling "another point"
  from a loose neighbour rests on shared words that two languages do not have;
- document context never makes a pair, it only vetoes: documents are clustered into stories
  (average linkage on how alike the names they mention are, `_name_similarity`), and claims of
  two stories never pair, so an event folder mixing two incidents keeps them apart.
`claim_pairs.method` says which rule accepted the pair (`mutual` or `second-point`) and the
stronger of its two signals (`dense/mutual`, `lexical/second-point`).

Only statements are aligned (`claims.kind`). Accepted pairs become facts (claim groups) by greedy
merging in score order; a fact may hold several claims of one document, but each member must be
paired with at least half of the fact's members from other documents, so facts never grow by chains.
Every claim without a counterpart in a document gets an omission row there, with its nearest
non-match (the claim of that document with the best margin) and their similarity.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import polars as pl

from compare.lang import base
from compare.text import claim_names, content_tokens, tfidf_rows

CLAIM_PAIRS_SCHEMA = {
    "event_id": pl.String,
    "claim_a": pl.String,
    "claim_b": pl.String,
    "doc_a": pl.String,
    "doc_b": pl.String,
    "score": pl.Float64,
    "margin": pl.Float64,
    "cosine": pl.Float64,
    "lexical": pl.Float64,
    "method": pl.String,
    "relation": pl.String,  # filled by the diverge stage
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
    "salience": pl.Float64,  # filled by the diverge stage
}

BLOCK = 512  # rows of the score matrix held at once (a few BLOCK x n float32 arrays)


@dataclass(frozen=True)
class AlignConfig:
    """The aligner's constants, the product's default on every event.

    Chosen on readouts DEV (`narrative-compare eval readouts`: 4 calls, two governments' accounts
    aligned by hand), checked leave-one-event-out (every event scored with the constants chosen
    on the other three), within the guards: ECB+ DEV tight F1 >= 0.47, FNC-1 DEV conflict ratio
    >= 2.0, propsegment DEV link F1 >= its floor + 0.05. The numbers are in README.md.
    """

    dense_weight: float = 0.65  # w: the cosine's share of the similarity, the rest lexical
    neighbours: int = 4  # k: a claim's usual match is the mean of its k best in a document
    threshold: float = 1.13  # margin a mutual best pair must reach
    second_threshold: float = 1.05  # margin a second counterpart (another point) must reach
    background: float = 0.1  # similarity of unrelated claims (a short document's missing k)
    min_score: float = 0.25  # and no pair below this similarity, however it stands out
    # Two documents tell two stories when the TF-IDF cosine of their names is under
    # story_threshold and the one naming fewer shares under story_overlap of its names.
    story_threshold: float = 0.15
    story_overlap: float = 0.5

    @classmethod
    def for_model(cls, key: str | None) -> AlignConfig:
        """The calibration for the model whose cache key (or name) is `key`: a model whose scores
        mean something else than MiniLM's has its own (MODEL_CONFIGS), the rest take the defaults."""
        from compare.models import model_name

        return MODEL_CONFIGS.get(model_name(key or "")) or cls()

    def __post_init__(self):
        if not 0.0 <= self.dense_weight <= 1.0 or self.neighbours < 1:
            raise ValueError(
                f"AlignConfig needs 0 <= dense_weight <= 1 and neighbours >= 1, got {self}"
            )


# Per-model calibrations (model name -> constants), each chosen on readouts DEV with that model and
# checked leave-one-event-out like the defaults; see docs/models.md.
MODEL_CONFIGS: dict[str, AlignConfig] = {
    # USE multilingual v3: its margins run higher than MiniLM's for the same pairs. On readouts DEV
    # (grid threshold 1.13/1.2/1.25 x second_threshold 1.05/1.1/1.15 x min_score 0.3/0.25/0.2),
    # every leave-one-event-out fold chose these three (MiniLM's folds keep 1.13 / 1.05):
    # LOEO pair P 0.833, R 0.577, F1 0.682 (defaults in sample: 0.625 / 0.577 / 0.600).
    # min_score 0.2 was fold-stable too (LOEO F1 0.682) but is not taken: a pair across two
    # languages has no lexical half in its score, which English DEV cannot show, and at 0.2 two
    # one-sided claims of data/events/wang-lavrov-2024 pair. With 0.25: LOEO P 0.812, R 0.500,
    # F1 0.619, every fold (1.2, 1.1).
    "use-multilingual-v3": AlignConfig(threshold=1.2, second_threshold=1.1),
}


@dataclass
class Alignment:
    claim_pairs: pl.DataFrame
    claim_groups: pl.DataFrame
    omissions: pl.DataFrame


def align(
    claims: pl.DataFrame, vectors: np.ndarray, config: AlignConfig = AlignConfig()
) -> Alignment:
    """Align the statements among the claims of one or more events; `vectors[i]` embeds
    `claims[i]`. Headings, questions and meta lines (`claims.kind`) are context, never aligned."""
    pairs, groups, omissions = [], [], []
    claims = claims.with_row_index("_row")
    if "kind" in claims.columns:
        claims = claims.filter(pl.col("kind") == "statement")
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


class _Event:
    """One event's claims sorted by document, with what every block of scores needs."""

    def __init__(self, event: pl.DataFrame, vectors: np.ndarray, config: AlignConfig):
        order = np.lexsort((np.arange(event.height), event["doc_id"].to_numpy()))
        event = event[order]
        self.ids: list[str] = event["claim_id"].to_list()
        self.doc_names: list[str] = sorted(set(event["doc_id"].to_list()))
        doc_index = {d: i for i, d in enumerate(self.doc_names)}
        self.doc = np.array([doc_index[d] for d in event["doc_id"].to_list()], dtype=np.int64)
        self.bounds = np.searchsorted(self.doc, np.arange(len(self.doc_names) + 1))
        self.config = config
        self.vectors = np.ascontiguousarray(vectors[order], dtype=np.float32)
        # Each document's language (claims.lang, when given): a second counterpart needs one.
        langs = dict(zip(event["doc_id"], event["lang"])) if "lang" in event.columns else {}
        self.lang = [base(langs.get(d)) for d in self.doc_names]
        texts = event["text"].to_list()
        self.lexical = tfidf_rows([content_tokens(t) for t in texts])
        # Document context never makes a pair; it only keeps two stories of one event apart.
        doc_words: list[list[str]] = [[] for _ in self.doc_names]
        inner = [_names(t, first=False) for t in texts]
        known = {w for words in inner for w in words}  # a name somewhere in the event
        for d, text, words in zip(self.doc, texts, inner):
            doc_words[d] += [w for w in _names(text, first=True) if w in known] + words
        story = _stories(_name_similarity(doc_words, config), config.story_threshold)
        self.same_story = story[:, None] == story[None, :]

    def similarity(self, start: int, stop: int) -> np.ndarray:
        """Similarity of claims start..stop (rows) to every claim (columns); -inf within a
        claim's own document."""
        w = self.config.dense_weight
        score = self.vectors[start:stop] @ self.vectors.T
        np.clip(score, 0.0, 1.0, out=score)
        score *= w
        if w < 1.0:
            score += (1.0 - w) * (self.lexical[start:stop] @ self.lexical.T).toarray()
        docs = self.doc[start:stop]
        for d in range(len(self.doc_names)):
            own = slice(*np.searchsorted(docs, [d, d + 1]))
            score[own, self.bounds[d] : self.bounds[d + 1]] = -np.inf
        return score

    def one_language(self, a: int, b: int) -> bool:
        """Documents a and b are in one language (or one of them has none given)."""
        la, lb = self.lang[a], self.lang[b]
        return la is None or lb is None or la == lb

    def parts(self):
        """(d, lo, hi): each document's contiguous columns."""
        for d in range(len(self.doc_names)):
            yield d, self.bounds[d], self.bounds[d + 1]

    def cosine(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return np.clip(np.einsum("ij,ij->i", self.vectors[i], self.vectors[j]), 0.0, 1.0)

    def lexical_overlap(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        if len(i) == 0:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self.lexical[i].multiply(self.lexical[j]).sum(axis=1)).ravel()


def _names(sentence: str, *, first: bool) -> list[str]:
    """The names of a sentence's first word (`first`) or of the rest. A capital at the start
    of a sentence ("Although", "People") marks no name unless the word is capitalised somewhere
    else in the event too."""
    head, _, rest = sentence.strip().partition(" ")
    return [w for w in claim_names(head if first else rest) if not w[0].isdigit()]


def _name_similarity(doc_words: list[list[str]], config: AlignConfig) -> np.ndarray:
    """How much two documents look like one story by the names they mention: the TF-IDF cosine
    of their names, or the share of the names of the one naming fewer that the other mentions too
    (a headline against its article), scaled so that `story_threshold` is the cut of both.
    A document that names nobody gives no sign of another story."""
    names = tfidf_rows(doc_words)
    cosine = (names @ names.T).toarray()
    sets = [set(words) for words in doc_words]
    overlap = np.array([[len(a & b) / max(1, min(len(a), len(b))) for b in sets] for a in sets])
    similarity = np.maximum(cosine, overlap * config.story_threshold / config.story_overlap)
    nameless = np.array([not words for words in sets])
    similarity[nameless, :] = similarity[:, nameless] = 1.0
    return similarity


def _stories(similarity: np.ndarray, threshold: float) -> np.ndarray:
    """Average-linkage clusters of documents: merge the two clusters with the highest mean
    similarity while it is at least `threshold`. Returns a cluster label per document.

    The same rule whatever the number of documents: two documents that share too few names are
    two stories even when they are all the event holds.
    """
    n = len(similarity)
    members = {i: [i] for i in range(n)}
    sim = similarity.astype(np.float64).copy()
    np.fill_diagonal(sim, -np.inf)
    alive = np.ones(n, dtype=bool)
    while alive.sum() > 1:
        masked = np.where(alive[:, None] & alive[None, :], sim, -np.inf)
        a, b = np.unravel_index(np.argmax(masked), masked.shape)
        if masked[a, b] < threshold:
            break
        a, b = min(a, b), max(a, b)
        na, nb = len(members[a]), len(members[b])
        sim[a, :] = (na * sim[a, :] + nb * sim[b, :]) / (na + nb)  # mean over member pairs
        sim[:, a] = sim[a, :]
        sim[a, a] = -np.inf
        members[a] += members.pop(b)
        alive[b] = False
    labels = np.zeros(n, dtype=np.int64)
    for label, group in enumerate(sorted(members.values())):
        labels[group] = label
    return labels


def _best_by_margin(ev: _Event) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each claim and document: its best counterpart there by margin, that margin, and the
    pair's similarity (-1, nan, nan in its own document)."""
    n, n_docs, k = len(ev.ids), len(ev.doc_names), ev.config.neighbours
    usual = np.zeros((n, n_docs), dtype=np.float32)  # mean of the k best similarities there
    blocks = [(start, min(start + BLOCK, n)) for start in range(0, n, BLOCK)]
    # One block (most events) is computed once; larger events recompute theirs in the second
    # pass rather than hold every block in memory.
    kept = ev.similarity(0, n) if len(blocks) == 1 else None
    for start, stop in blocks:
        score = kept if kept is not None else ev.similarity(start, stop)
        for d, lo, hi in ev.parts():
            part = score[:, lo:hi]
            top = np.partition(part, -k, axis=1)[:, -k:] if hi - lo > k else part
            missing = k - top.shape[1]  # a document shorter than k: the rest count as unrelated
            usual[start:stop, d] = (
                np.where(np.isfinite(top), top, 0.0).sum(axis=1) + missing * ev.config.background
            ) / k
    best = np.full((n, n_docs), -1, dtype=np.int64)
    best_margin = np.full((n, n_docs), np.nan, dtype=np.float32)
    best_score = np.full((n, n_docs), np.nan, dtype=np.float32)
    for start, stop in blocks:
        score = kept if kept is not None else ev.similarity(start, stop)
        rows = np.arange(start, stop)
        usual_of_rows = usual[rows][:, ev.doc]  # each row's usual match in each column's document
        usual_of_cols = usual[:, ev.doc[rows]].T  # each column's usual match in the row's document
        margin = score / np.maximum((usual_of_rows + usual_of_cols) / 2, 1e-6)
        for d, lo, hi in ev.parts():
            if hi == lo:
                continue
            own = ev.doc[rows] == d
            pick = margin[:, lo:hi].argmax(axis=1)
            best[rows[~own], d] = lo + pick[~own]
            best_margin[rows[~own], d] = margin[~own, lo + pick[~own]]
            best_score[rows[~own], d] = score[~own, lo + pick[~own]]
        del score, margin
    return best, best_margin, best_score


def _align_event(event_id: str, event: pl.DataFrame, vectors: np.ndarray, config: AlignConfig):
    ev = _Event(event, vectors, config)
    n = len(ev.ids)
    best, best_margin, best_score = _best_by_margin(ev)
    doc = ev.doc
    # Mutual best pairs: x's best in y's document is y, and y's best in x's document is x.
    mutual: dict[tuple[int, int], tuple[str, float]] = {}
    partner = defaultdict(dict)  # claim -> document -> its mutual partner there
    for x in range(n):
        for d in range(len(ev.doc_names)):
            y = best[x, d]
            if (
                y < 0
                or best[y, doc[x]] != x
                or best_margin[x, d] < config.threshold
                or best_score[x, d] < config.min_score
                or not ev.same_story[doc[x], d]
            ):
                continue
            partner[x][d] = y
            if x < y:
                mutual[(x, y)] = ("mutual", float(best_margin[x, d]))
    # Second counterparts: y's best in x's document is x, which is already paired with z in y's
    # document; y is kept unless it restates z or a counterpart kept before it (it is closer to
    # that one than to x). Candidates are taken by margin, best first.
    candidates: dict[tuple[int, int], list[tuple[float, int]]] = defaultdict(list)
    for y in range(n):
        for d in range(len(ev.doc_names)):
            x = best[y, d]
            if x < 0 or d in partner[y]:  # y's best there is its mutual partner already
                continue
            z = partner[x].get(doc[y])
            if (
                z is not None
                and ev.one_language(doc[y], d)
                and best_margin[y, d] >= config.second_threshold
                and best_score[y, d] >= config.min_score
            ):
                candidates[(x, doc[y])].append((float(best_margin[y, d]), y))
    second: dict[tuple[int, int], tuple[str, float]] = {}
    for (x, d), found_here in candidates.items():
        kept = [partner[x][d]]
        for margin, y in sorted(found_here, key=lambda c: (-c[0], c[1])):
            to_x = ev.vectors[y] @ ev.vectors[x]
            if all(ev.vectors[y] @ ev.vectors[k] < to_x for k in kept):
                kept.append(y)
                second[(min(x, y), max(x, y))] = ("second-point", margin)
    found = mutual | {p: r for p, r in second.items() if p not in mutual}
    i = np.array([p[0] for p in found], dtype=np.int64)
    j = np.array([p[1] for p in found], dtype=np.int64)
    c, lx = ev.cosine(i, j), ev.lexical_overlap(i, j)
    w = config.dense_weight
    s = w * c + (1.0 - w) * lx
    strongest = np.where(w * c >= (1.0 - w) * lx, "dense", "lexical")
    accepted = sorted(
        [
            (score_, a, b, cos_, lex_, margin_, signal, rule)
            for score_, a, b, cos_, lex_, signal, (rule, margin_) in zip(
                s.tolist(),
                i.tolist(),
                j.tolist(),
                c.tolist(),
                lx.tolist(),
                strongest.tolist(),
                found.values(),
            )
        ],
        key=lambda p: (-p[0], ev.ids[p[1]], ev.ids[p[2]]),
    )

    pair_rows = []
    for score_, a, b, cos_, lex_, margin_, signal, rule in accepted:
        a, b = (a, b) if doc[a] < doc[b] else (b, a)
        pair_rows.append(
            (
                event_id,
                ev.ids[a],
                ev.ids[b],
                ev.doc_names[doc[a]],
                ev.doc_names[doc[b]],
                round(min(score_, 1.0), 6),
                round(margin_, 6),
                round(cos_, 6),
                round(lex_, 6),
                f"{signal}/{rule}",
                None,
            )
        )
    members = _group(accepted, n, doc)
    group_rows, group_of = [], {}
    for member in members:
        gid = hashlib.sha256("\x1f".join(sorted(ev.ids[m] for m in member)).encode()).hexdigest()[
            :16
        ]
        for m in sorted(member, key=lambda m: ev.ids[m]):
            group_rows.append((gid, event_id, ev.ids[m], ev.doc_names[doc[m]]))
            group_of[m] = member
    omission_rows = []
    near_scores = np.round(np.clip(best_score, 0.0, 1.0), 6).tolist()
    doc_of = [ev.doc_names[d] for d in doc.tolist()]
    # A claim is present in a document where its group has a member or where it has an accepted
    # pair (a pair the grouping rules kept out of the group still counts: never contradict it).
    paired_in: dict[int, set[str]] = defaultdict(set)
    for _, a, b, *_ in accepted:
        paired_in[a].add(doc_of[b])
        paired_in[b].add(doc_of[a])
    for m in range(n):
        present = {doc_of[g] for g in group_of[m]} | paired_in[m]
        for d, name in enumerate(ev.doc_names):
            if name not in present:
                omission_rows.append(
                    (
                        event_id,
                        ev.ids[m],
                        doc_of[m],
                        name,
                        ev.ids[best[m, d]],
                        near_scores[m][d],
                        None,
                    )
                )
    return pair_rows, group_rows, omission_rows


def _group(accepted, n: int, docs: np.ndarray) -> list[frozenset[int]]:
    """Facts: greedy merge of accepted pairs in score order, keeping each fact cohesive.

    A fact may hold several claims of one document (a wire story quoting both readouts gives two
    claims to the fact they share), but every member must be paired with at least half of the
    fact's members from other documents. That allows A-B-C (B is paired with both) and blocks
    A-B-C-D chains that would join two unrelated facts; a pair whose merge is refused keeps its two
    claims in different facts (and is still never reported as an omission)."""
    neighbours: dict[int, set[int]] = defaultdict(set)
    for _, i, j, *_ in accepted:
        neighbours[i].add(j)
        neighbours[j].add(i)
    doc = docs.tolist()
    cluster = {i: frozenset([i]) for i in range(n)}
    for _, i, j, *_ in accepted:
        if cluster[i] is cluster[j]:
            continue
        merged = cluster[i] | cluster[j]
        if _cohesive(merged, doc, neighbours):
            for m in merged:
                cluster[m] = merged
    seen, out = set(), []
    for i in range(n):
        if cluster[i] not in seen:
            seen.add(cluster[i])
            out.append(cluster[i])
    return out


def _cohesive(members: frozenset[int], doc: list[int], neighbours: dict[int, set[int]]) -> bool:
    for m in members:
        others = [x for x in members if doc[x] != doc[m]]
        if 2 * len(neighbours[m].intersection(others)) < len(others):
            return False
    return True
