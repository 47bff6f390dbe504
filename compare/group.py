"""Group: documents -> events (`narrative-compare run FEED --group auto`).

Each document gets a similarity to its nearest neighbours that mixes three views of it: a dense
vector (its title's embedding plus the mean of its claims' embeddings, the vectors the pipeline needs
anyway), TF-IDF of title and text, and TF-IDF of its names and numbers (capitalised words, figures).
Dated documents more than `max_days` apart never share an event, inside the linkage too: two groups
join only when the dates of all their documents together span at most `max_days` (so a story
retold two months later is another event, however alike the texts); undated documents group by
content alone and do not widen a group's span.

Neighbours are found in blocks of matrix products (`neighbours` per document), never as a matrix of
the whole corpus. Events are then grown by average linkage over that sparse graph in two stages:
1. cores: two groups join when they are more alike than their documents' local level (the mean
   similarity of each document's 2nd and 3rd nearest neighbours): stories on a crowded topic need
   more to join than a story with no look-alikes;
2. events: cores join when their documents are on average as alike as documents of one event
   usually are (`merge_threshold`).
Stage 1 also needs an average similarity of `core_min` (in a small corpus a document's level can be
near zero). A pair the neighbour search did not return counts as the lower of the two documents'
last-neighbour similarities (an upper bound: it is in neither's top k), so large events are not
torn apart by the sparse graph, nor do they absorb the smaller events beside them. Two texts that both name weekdays but none in common ("on Tuesday" vs "on Friday")
lose `weekday_penalty`: an in-text date that tells consecutive stages of a story apart. Weights and
thresholds were chosen on DEV data (benchmarks/README.md, "Event grouping").

Incremental: documents already stored (`existing`) keep their event; a new document joins an existing
event or forms a new one; two existing events are never merged. A new event's id is readable and
deterministic: earliest date, the most distinctive title words, a hash of its sorted doc ids.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import partial

import numpy as np
import polars as pl
import scipy.sparse as sp

from compare.embed import Embedder, embed, encode_texts
from compare.progress import CountingEmbedder, Progress, Stage, quiet, stage
from compare.text import (
    PLAIN_WORD,
    STOPWORDS,
    document_names,
    folded_words,
    plural_fold,
    tfidf_with_vocab,
)
from compare.workers import imap

READ_CHUNK = 500  # documents tokenised by one worker at a time
CLAIM_BATCH = 50_000  # claims whose vectors are held at once when summing them per document

GROUPS_SCHEMA: dict[str, pl.DataType] = {"doc_id": pl.String(), "event_id": pl.String()}


@dataclass(frozen=True)
class GroupConfig:
    neighbours: int = 30  # candidate neighbours per document
    weight_dense: float = 0.6  # title embedding + mean claim embedding
    weight_tfidf: float = 0.3  # words of title (counted twice) and text
    weight_names: float = 0.2  # capitalised names and numbers
    weekday_penalty: float = 0.1  # both name weekdays, none in common ("on Tuesday" vs "Friday")
    local_ranks: tuple[int, int] = (2, 3)  # neighbours whose mean similarity is a document's level
    core_margin: float = -0.02  # stage 1: join when average similarity - level >= this
    core_min: float = 0.3  # stage 1: ... and average similarity >= this (a level can be low)
    merge_threshold: float = 0.55  # stage 2: join cores whose average similarity >= this
    max_days: int | None = 7  # dated documents further apart never share an event
    block: int = 1024  # rows of the similarity matrix held at once


# --- features ------------------------------------------------------------------------------------

_WEEKDAY = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.IGNORECASE
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def weekdays(text: str) -> int:
    """Bit mask of the weekdays a text names: an in-text date that reporting of one day shares."""
    mask = 0
    for day in _WEEKDAY.findall(text):
        mask |= 1 << _WEEKDAYS.index(day.lower())
    return mask


def _encode(texts: list[str], embedder: Embedder, con) -> np.ndarray:
    """Vectors for `texts`; through the store's cache when `con` is given (nothing embedded twice)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    if con is None:
        return encode_texts(texts, embedder)
    frame = pl.DataFrame(
        {
            "text": texts,
            "text_sha256": [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts],
        }
    )
    return embed(frame, con, embedder)


def document_vectors(
    documents: pl.DataFrame, embedder: Embedder, *, claims: pl.DataFrame | None = None, con=None
) -> np.ndarray:
    """One L2-normalised vector per document: its title's embedding + the mean of its claims'."""
    from compare.segment import segment

    if claims is None:
        claims = segment(documents.with_columns(pl.lit("").alias("event_id")))
    claims = claims.filter(pl.col("text").str.strip_chars() != "")
    titles = documents["title"].fill_null("").to_list()
    title_vectors = _encode([t for t in titles if t.strip()], embedder, con)
    row = {doc_id: i for i, doc_id in enumerate(documents["doc_id"])}
    sums = None
    # Claims a batch at a time: only one batch's vectors are held, and np.add.at adds them in the
    # same order as one call over all claims would (the same sums, to the last bit).
    for batch in claims.iter_slices(CLAIM_BATCH):
        vectors = _encode(batch["text"].to_list(), embedder, con)
        if sums is None:
            sums = np.zeros((documents.height, vectors.shape[1]), dtype=np.float32)
        np.add.at(sums, np.array([row[d] for d in batch["doc_id"]]), vectors)
    dim = max(0 if sums is None else sums.shape[1], title_vectors.shape[1])
    if dim == 0:
        return np.zeros((documents.height, 1), dtype=np.float32)
    out = np.zeros((documents.height, dim), dtype=np.float32)
    if sums is not None:
        out += _unit(sums)  # the direction of the mean claim
    with_title = [i for i, t in enumerate(titles) if t.strip()]
    if with_title:
        out[with_title] += title_vectors
    return _unit(out)


def _nan_reduce(op, values: np.ndarray) -> float:
    """`op` (np.fmin / np.fmax) over `values`, ignoring NaN; NaN when all are NaN or none."""
    return float(op.reduce(values)) if len(values) else float("nan")


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1, norms)).astype(np.float32)


def _days(dates: list[str | None]) -> np.ndarray:
    """Day numbers of ISO dates (NaN when missing or unreadable)."""
    out = np.full(len(dates), np.nan)
    for i, value in enumerate(dates):
        try:
            out[i] = dt.date.fromisoformat(str(value)[:10]).toordinal() if value else np.nan
        except ValueError:
            pass
    return out


def _models(embedder):
    """(default model, the `ModelChoice` or None): a `ModelChoice` (run) offers a multilingual
    model too, unless `--model` forced one; a plain embedder is used for everything."""
    from compare.models import ModelChoice

    if isinstance(embedder, ModelChoice) and not embedder.forced:
        return embedder.default, embedder
    if isinstance(embedder, ModelChoice):
        return embedder.default, None
    return embedder, None


@dataclass
class _Across:
    """Documents outside the default model's languages (`foreign`) and every document's vector
    from the multilingual model (`dense`). A pair of two documents in the default model's
    languages is scored as ever (the English groupings do not move); a pair with a foreign
    document takes the multilingual vectors instead, and when its two documents are in different
    languages, the vectors alone (their words and names cannot be compared)."""

    foreign: np.ndarray  # bool per document
    lang: np.ndarray  # base language code per document ("" unknown)
    dense: np.ndarray | None = None

    @classmethod
    def of(cls, corpus: pl.DataFrame, choice) -> _Across | None:
        if choice is None:
            return None
        from compare.lang import base

        langs = [base(code) or "" for code in corpus["lang"].to_list()]
        model, _ = choice.pick(langs)
        if model is choice.default:
            return None
        declared = getattr(choice.default, "languages", None) or frozenset()
        foreign = np.array([bool(code) and code not in declared for code in langs])
        return cls(foreign, np.array(langs, dtype=object))

    def rescore(self, sims, block, default_dense, config: GroupConfig) -> np.ndarray:
        """`sims` of `block` with the multilingual vectors in place of `default_dense` (the
        default model's cosines of the block) where a foreign document takes part."""
        involved = self.foreign[block][:, None] | self.foreign[None, :]
        if not involved.any():
            return sims
        dense = self.dense[block] @ self.dense.T
        total = config.weight_dense + config.weight_tfidf + config.weight_names
        same = sims + config.weight_dense * (dense - default_dense) / total
        lb, lc = self.lang[block][:, None], self.lang[None, :]
        other = (lb != lc) & (lb != "") & (lc != "")
        return np.where(involved, np.where(other, dense, same), sims)


# --- neighbours ----------------------------------------------------------------------------------


@dataclass
class _Graph:
    edges: dict[tuple[int, int], float]  # (i, j), i < j -> similarity
    level: np.ndarray  # mean similarity of each document's local ranks
    floor: np.ndarray  # similarity of each document's last neighbour (0 when all are known)


def _neighbours(
    dense: np.ndarray,
    words_m: sp.csr_matrix,
    names_m: sp.csr_matrix,
    days: np.ndarray,
    week: np.ndarray,
    rows: np.ndarray,
    config: GroupConfig,
    shown: Stage | None = None,
    across: _Across | None = None,
) -> _Graph:
    """Top-k neighbours of `rows` over all documents, one block of rows at a time. With `across`,
    a pair with a document outside the default model's languages is scored as `_Across` says."""
    n = dense.shape[0]
    k = min(config.neighbours, n - 1)
    total = config.weight_dense + config.weight_tfidf + config.weight_names
    edges: dict[tuple[int, int], float] = {}
    level = np.zeros(n)
    floor = np.zeros(n)
    if k <= 0:
        return _Graph(edges, level, floor)
    dated = ~np.isnan(days)
    for start in range(0, len(rows), config.block):
        block = rows[start : start + config.block]
        default_dense = dense[block] @ dense.T
        sims = config.weight_dense * default_dense
        sims += config.weight_tfidf * (words_m[block] @ words_m.T).toarray()
        sims += config.weight_names * (names_m[block] @ names_m.T).toarray()
        sims /= total
        if across is not None:
            sims = across.rescore(sims, block, default_dense, config)
        if config.weekday_penalty and week.any():
            wb = week[block][:, None]
            sims -= config.weekday_penalty * (
                (wb != 0) & (week[None, :] != 0) & ((wb & week[None, :]) == 0)
            )
        if config.max_days is not None and dated.any():
            apart = np.abs(days[block][:, None] - days[None, :]) > config.max_days
            sims[apart & dated[block][:, None] & dated[None, :]] = -1.0
        sims[np.arange(len(block)), block] = -np.inf  # not its own neighbour
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(sims, top, axis=1)
        order = np.lexsort((top, -values), axis=1)  # by similarity, ties by index: deterministic
        top, values = np.take_along_axis(top, order, 1), np.take_along_axis(values, order, 1)
        lo, hi = config.local_ranks
        level[block] = values[:, lo - 1 : hi].mean(axis=1) if k >= lo else values[:, -1]
        floor[block] = values[:, -1] if k < n - 1 else 0.0
        for i, js, vs in zip(block, top, values):
            for j, v in zip(js, vs):
                edges[(i, j) if i < j else (j, i)] = float(v)
        if shown is not None:
            shown.advance(len(block))
    return _Graph(edges, level, floor)


# --- average linkage over the sparse graph -------------------------------------------------------


class _Clusters:
    """Doc-weighted average linkage; an unknown pair counts as at most the lower of its two floors.

    A pair the neighbour search did not return is in neither document's top k, so its similarity
    is at most the lower of their last-neighbour similarities. Taking the lower one (not the
    mean, as before) keeps a large event, whose documents' k neighbours are all its own and whose
    floors are high, from absorbing the smaller events beside it. Per pair of clusters the sum
    over unknown pairs is bounded by na·nb·min(mean floor a, mean floor b) (min is concave)."""

    def __init__(
        self,
        members: list[list[int]],
        events: list[str | None],
        graph: _Graph,
        days: np.ndarray,
        max_days: int | None,
    ):
        self.members = {c: list(m) for c, m in enumerate(members)}
        self.event = dict(enumerate(events))
        self.max_days = max_days
        # first and last date of each cluster's dated documents (NaN when it has none)
        self.first = {c: _nan_reduce(np.fmin, days[m]) for c, m in self.members.items()}
        self.last = {c: _nan_reduce(np.fmax, days[m]) for c, m in self.members.items()}
        self.level = {c: float(graph.level[m].sum()) for c, m in self.members.items()}
        self.floor = {c: float(graph.floor[m].sum()) for c, m in self.members.items()}
        owner = {d: c for c, m in self.members.items() for d in m}
        # cluster pair -> [sum of known similarities, sum of the known pairs' lower floors]
        self.links: dict[int, dict[int, list[float]]] = defaultdict(dict)
        for (i, j), s in graph.edges.items():
            a, b = owner.get(i), owner.get(j)
            if a is None or b is None or a == b:
                continue
            link = self.links[a].setdefault(b, [0.0, 0.0])
            link[0] += s
            link[1] += min(graph.floor[i], graph.floor[j])
            self.links[b][a] = link
        self.next_id = len(members)

    def average(self, a: int, b: int) -> float:
        na, nb = len(self.members[a]), len(self.members[b])
        known, known_floor = self.links[a][b]
        unknown = max(na * nb * min(self.floor[a] / na, self.floor[b] / nb) - known_floor, 0.0)
        return (known + unknown) / (na * nb)

    def contrast(self, a: int, b: int, minimum: float = -np.inf) -> float:
        if self.average(a, b) < minimum:
            return -np.inf
        local = (self.level[a] / len(self.members[a]) + self.level[b] / len(self.members[b])) / 2
        return self.average(a, b) - local

    def run(self, score, threshold: float) -> None:
        """Merge the best-scoring pair while its score >= threshold (lazy heap, ties by ids)."""
        heap = []
        for a, near in self.links.items():
            for b in near:
                if a < b and self._may_join(a, b):
                    heapq.heappush(heap, (-score(a, b), a, b))
        while heap:
            neg, a, b = heapq.heappop(heap)
            if -neg < threshold:
                break
            if a not in self.members or b not in self.members:
                continue  # one side was merged away since this entry was pushed
            c = self._merge(a, b)
            for d in self.links[c]:
                if self._may_join(c, d):
                    heapq.heappush(heap, (-score(c, d), min(c, d), max(c, d)))

    def _may_join(self, a: int, b: int) -> bool:
        """Not two existing events, and not beyond the date window: the span of the merged
        group's dates (undated documents aside) stays within `max_days`."""
        if self.event[a] is not None and self.event[b] is not None:
            return False
        if self.max_days is None:
            return True
        span = np.fmax(self.last[a], self.last[b]) - np.fmin(self.first[a], self.first[b])
        return not span > self.max_days  # NaN (a side without dates) joins by content alone

    def _merge(self, a: int, b: int) -> int:
        c = self.next_id
        self.next_id += 1
        self.members[c] = self.members.pop(a) + self.members.pop(b)
        self.event[c] = self.event.pop(a) or self.event.pop(b, None)
        self.event.pop(b, None)
        self.level[c] = self.level.pop(a) + self.level.pop(b)
        self.floor[c] = self.floor.pop(a) + self.floor.pop(b)
        self.first[c] = float(np.fmin(self.first.pop(a), self.first.pop(b)))
        self.last[c] = float(np.fmax(self.last.pop(a), self.last.pop(b)))
        merged: dict[int, list[float]] = {}
        for old in (a, b):
            for d, (s, f) in self.links.pop(old).items():
                if d in (a, b):
                    continue
                link = merged.setdefault(d, [0.0, 0.0])
                link[0] += s
                link[1] += f
                del self.links[d][old]
        for d, link in merged.items():
            self.links[c][d] = link
            self.links[d][c] = link
        return c


# --- the stage -----------------------------------------------------------------------------------


def group_documents(
    documents: pl.DataFrame,
    embedder: Embedder,
    *,
    existing: pl.DataFrame | None = None,
    config: GroupConfig = GroupConfig(),
    con=None,
    claims: pl.DataFrame | None = None,
    progress: Progress = quiet,
    workers: int = 1,
) -> pl.DataFrame:
    """doc_id -> event_id (GROUPS_SCHEMA) for `documents`, joining `existing` events where they fit.

    `documents` and `existing` need `doc_id`, `text`, `title` and `date` (title and date may be
    null); `existing` also `event_id`. With `con` (a store), vectors go through its embedding cache
    and the claims of existing documents are read from it. `claims` (doc_id, text), when given,
    are the claims of `documents`, so that they are not segmented a second time. `progress` is
    told how many documents have their neighbours found (compare.progress). `workers`
    processes read the documents' words (compare.workers); the groups do not depend on it.
    """
    documents = _prepared(documents)
    existing = _prepared(existing) if existing is not None else None
    if existing is not None:
        existing = existing.filter(~pl.col("doc_id").is_in(documents["doc_id"].implode()))
    if documents.height == 0:
        return pl.DataFrame(schema=GROUPS_SCHEMA)
    corpus = pl.concat([existing, documents], how="diagonal") if existing is not None else documents
    corpus = corpus.sort("doc_id")  # input order never changes the result
    n_old = 0 if existing is None else existing.height
    is_new = corpus["doc_id"].is_in(documents["doc_id"].implode()).to_numpy()

    with stage(progress, "group", total=int(is_new.sum()), unit="documents") as shown:
        return _grouped(
            documents, corpus, is_new, n_old, embedder, config, con, claims, shown, workers
        )


def _grouped(
    documents, corpus, is_new, n_old, embedder, config, con, claims, shown: Stage, workers: int
):
    """group_documents' work on the prepared, sorted corpus (`shown` counts its progress)."""
    default, choice = _models(embedder)
    corpus_claims = _corpus_claims(corpus, is_new, con, claims)
    dense = document_vectors(
        corpus, CountingEmbedder(default, shown, count="embedded"), claims=corpus_claims, con=con
    )
    across = _Across.of(corpus, choice)
    if across is not None:  # documents outside the default model's languages: multilingual vectors
        across.dense = document_vectors(
            corpus,
            CountingEmbedder(choice.multilingual, shown, count="embedded"),
            claims=corpus_claims,
            con=con,
        )
    words, names, week = _read_documents(corpus, workers)
    words_m, vocab = tfidf_with_vocab(words)
    names_m, _ = tfidf_with_vocab(names)
    days = _days(corpus["date"].to_list())

    new_rows = np.flatnonzero(is_new)
    rows = new_rows
    if n_old:  # stored events near a new document need their documents' level and floor too
        first = _neighbours(dense, words_m, names_m, days, week, new_rows, config, shown, across)
        near = {j for edge in first.edges for j in edge}
        stored_event = corpus["event_id"].to_list()
        touched = {stored_event[j] for j in near if not is_new[j]}
        rows = np.array(
            [r for r in range(corpus.height) if is_new[r] or stored_event[r] in touched]
        )
    graph = _neighbours(
        dense, words_m, names_m, days, week, rows, config, None if n_old else shown, across
    )

    members: list[list[int]] = [[int(i)] for i in new_rows]
    events: list[str | None] = [None] * len(new_rows)
    if n_old:
        old = corpus.with_row_index("_row").filter(
            ~pl.col("doc_id").is_in(documents["doc_id"].implode())
        )
        for (event_id,), frame in old.group_by("event_id", maintain_order=True):
            members.append(frame["_row"].to_list())
            events.append(event_id)
    clusters = _Clusters(members, events, graph, days, config.max_days)
    clusters.run(partial(clusters.contrast, minimum=config.core_min), config.core_margin)
    clusters.run(clusters.average, config.merge_threshold)

    doc_ids = corpus["doc_id"].to_list()
    assigned: dict[str, str] = {}
    for c, rows_c in clusters.members.items():
        event_id = clusters.event[c] or new_event_id(
            corpus[sorted(rows_c)], words_m[sorted(rows_c)], vocab
        )
        for r in rows_c:
            if is_new[r]:
                assigned[doc_ids[r]] = event_id
    return pl.DataFrame(
        {"doc_id": documents["doc_id"], "event_id": [assigned[d] for d in documents["doc_id"]]},
        schema=GROUPS_SCHEMA,
    )


def _read_documents(
    corpus: pl.DataFrame, workers: int
) -> tuple[list[list[str]], list[list[str]], np.ndarray]:
    """Each document's folded words (title counted twice), names and weekdays, a chunk of
    documents at a time on `workers` processes."""
    docs = list(zip(corpus["title"].to_list(), corpus["text"].to_list()))
    chunks = [docs[i : i + READ_CHUNK] for i in range(0, len(docs), READ_CHUNK)]
    read = [one for part in imap(_read_chunk, chunks, workers) for one in part]
    words, names, week = (list(column) for column in zip(*read))
    return words, names, np.array(week, dtype=np.int64)


def _read_chunk(docs: list[tuple[str, str]]) -> list[tuple[list[str], list[str], int]]:
    return [
        (folded_words(f"{t}\n{t}\n{x}"), document_names(f"{t}\n{x}"), weekdays(f"{t}\n{x}"))
        for t, x in docs
    ]


def _prepared(frame: pl.DataFrame) -> pl.DataFrame:
    for column in ("title", "date", "event_id", "lang"):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(column))
    return frame.select(
        pl.col("doc_id").cast(pl.String),
        pl.col("event_id").cast(pl.String),
        pl.col("text").cast(pl.String).fill_null(""),
        pl.col("title").cast(pl.String).fill_null(""),
        pl.col("date").cast(pl.String),
        pl.col("lang").cast(pl.String),
    )


def _corpus_claims(
    corpus: pl.DataFrame, is_new: np.ndarray, con, claims: pl.DataFrame | None
) -> pl.DataFrame | None:
    """Claims (doc_id, text) of the corpus: `claims` for the new documents when given, stored ones
    for existing documents when a store is given, the rest segmented here (None: segment all)."""
    known = []
    if claims is not None:
        new_ids = corpus.filter(pl.Series(is_new))["doc_id"].implode()
        known.append(claims.select("doc_id", "text").filter(pl.col("doc_id").is_in(new_ids)))
    if con is not None and not is_new.all():
        old_ids = corpus.filter(~pl.Series(is_new))["doc_id"].to_list()
        known.append(
            con.sql(
                "SELECT doc_id, text FROM claims WHERE doc_id IN (SELECT unnest($ids::VARCHAR[]))",
                params={"ids": old_ids},
            ).pl()
        )
    if not known:
        return None
    from compare.segment import segment

    known = pl.concat(known)
    missing = corpus.filter(~pl.col("doc_id").is_in(known["doc_id"].implode()))
    if missing.height:  # new documents without given claims, stored ones without claims
        fresh = segment(missing.with_columns(pl.lit("").alias("event_id")))
        known = pl.concat([known, fresh.select("doc_id", "text")])
    return known


def new_event_id(docs: pl.DataFrame, weights: sp.csr_matrix, vocab: dict[str, int]) -> str:
    """`<earliest date>-<three most distinctive title words>-<hash of sorted doc ids>`, e.g.
    `2021-05-10-fda-pfizer-adolescents-3f2a1c`; the date part only when a document has one."""
    digest = hashlib.sha256("\x1f".join(sorted(docs["doc_id"])).encode()).hexdigest()[:6]
    source = " ".join(t for t in docs["title"] if t) or " ".join(docs["text"])[:2000]
    surface: dict[str, Counter] = defaultdict(Counter)
    for token in PLAIN_WORD.findall(source):
        word = plural_fold(token)
        if word in vocab and word.isalpha() and word not in STOPWORDS:
            surface[word][
                re.sub(r"[^a-z0-9]+", "", token.lower().removesuffix("'s").removesuffix("’s"))
            ] += 1
    mean = np.asarray(weights.mean(axis=0)).ravel()
    ranked = sorted(surface, key=lambda w: (-mean[vocab[w]], w))[:3]
    slug = "-".join(surface[w].most_common(1)[0][0] for w in ranked) or "event"
    days = [d for d in _days(docs["date"].to_list()) if not np.isnan(d)]
    date = dt.date.fromordinal(int(min(days))).isoformat() + "-" if days else ""
    return f"{date}{slug}-{digest}"
