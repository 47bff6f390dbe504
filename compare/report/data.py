"""store -> one event's report data: documents, claims, facts in reading order, cell relations.

Everything the page shows is read here, once, from the store tables (read-only). No model is
loaded and no vector is read: the report shows what the pipeline stored (pairs, relations, facts).
Facts are `claim_groups`; only statements are facts (headings, questions and meta lines are kept
in the documents' reading order, for context).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations

import duckdb
import numpy as np
import polars as pl
from markupsafe import Markup

from compare import store
from compare.text import document_labels, short_labels, unique_labels  # noqa: F401

KINDS = ("number", "entity", "negation", "speaker", "hedging", "framing", "elaborated", "reworded")
SHOWN = 3  # divergence lines a group shows before "show all"
CONFLICT_KINDS = frozenset({"number", "entity", "negation"})  # the facts disagree
# claim_pairs.relation, from the mildest to the strongest difference
RELATIONS = ("same", "aligned", "reworded", "elaborated", "framed", "conflict")
# coverage cell, by code 0..6: not told; told by this document alone; else its strongest relation
STATUSES = ("absent", "only", *RELATIONS)
OWN_VOICE = "own voice"
WHOLE = 0.9  # evidence covering this share of a claim is not highlighted word by word


@dataclass
class Doc:
    doc_id: str
    index: int  # column in every figure, 0-based, in reading order of the event
    label: str  # what the page calls it: the input's `label`, else the source cut at its end
    short: str  # the same label (axes, legends, lists); kept as its own name for the figures
    source_kind: str | None
    date: str | None
    title: str | None
    url: str | None
    length: int  # characters of cleaned text
    n_claims: int
    name: str = ""  # coalesce(source, doc_id) in full: the hover text of a label

    @cached_property
    def tag(self) -> Markup:
        """The label for the page, the full name on hover when the label is not the full name."""
        if self.name and self.name != self.label:
            return Markup('<span class="doc-name" title="{}">{}</span>').format(
                self.name, self.label
            )
        return Markup('<span class="doc-name">{}</span>').format(self.label)


@dataclass
class Claim:
    claim_id: str
    doc_id: str
    position: int
    text: str
    speaker: str | None
    group_id: str | None  # None for headings, questions and meta lines: they are not facts
    kind: str = "statement"
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, kind)
    kinds: set[str] = field(default_factory=set)
    # the spans of `spans` by the other claim of the divergence they are evidence for
    evidence: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)


@dataclass
class Divergence:
    claim_a: str
    claim_b: str
    kind: str
    score: float
    reason: str
    salience: float | None = None
    across: int | None = None  # number of the other claim's group, when it is not this one


@dataclass
class Group:
    group_id: str
    number: int  # 1-based, in reading order
    members: dict[str, list[Claim]]  # doc_id -> claims of that document (several for a split)
    divergences: list[Divergence] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"g-{self.number}"

    @property
    def kinds(self) -> list[str]:
        return sorted({d.kind for d in self.divergences}, key=_kind_order)

    def first(self) -> Claim:
        return next(iter(self.members.values()))[0]


@dataclass
class Cell:
    """One document's side of one fact: its claims in the fact, or (when the grouping kept a pair
    outside the fact) the claims it pairs with one of the fact, which live in another fact."""

    status: str  # one of STATUSES
    claims: list[Claim]
    elsewhere: list[int] = field(default_factory=list)  # numbers of the facts those claims are in


@dataclass
class Link:
    other: str  # the other claim's id
    relation: str
    score: float


@dataclass
class EventData:
    event_id: str
    docs: list[Doc]
    claims: dict[str, list[Claim]]  # doc_id -> claims in reading order
    groups: list[Group]
    omissions: pl.DataFrame  # claim_id, missing_in_doc, nearest_claim_id, nearest_score
    pairs: pl.DataFrame  # claim_pairs of the event
    terms: pl.DataFrame  # term_contrasts of the event
    model: str | None

    @cached_property
    def claim_by_id(self) -> dict[str, Claim]:
        return {c.claim_id: c for claims in self.claims.values() for c in claims}

    @cached_property
    def doc_by_id(self) -> dict[str, Doc]:
        return {d.doc_id: d for d in self.docs}

    @cached_property
    def group_by_id(self) -> dict[str, Group]:
        return {g.group_id: g for g in self.groups}

    @cached_property
    def links(self) -> dict[str, list[Link]]:
        """claim_id -> its accepted pairs (a missing relation, diverge not run, counts as same
        when the texts are equal and as reworded otherwise)."""
        out: dict[str, list[Link]] = defaultdict(list)
        by_id = self.claim_by_id
        for a, b, relation, score in self.pairs.select(
            "claim_a", "claim_b", "relation", "score"
        ).iter_rows():
            if a not in by_id or b not in by_id:
                continue
            if relation not in RELATIONS:
                relation = "same" if by_id[a].text == by_id[b].text else "reworded"
            out[a].append(Link(b, relation, score))
            out[b].append(Link(a, relation, score))
        return out

    @cached_property
    def _cells(self) -> dict[tuple[str, str], Cell]:
        return {}

    def cell(self, group: Group, doc_id: str) -> Cell:
        """How `doc_id` tells `group`'s fact. A claim paired with a claim of this document is never
        drawn absent here, even when the cohesion rule kept the pair out of one fact. Read once
        per fact and document (the coverage, the fact's card and its 'not in' line ask)."""
        key = (group.group_id, doc_id)
        if (found := self._cells.get(key)) is None:
            found = self._cells[key] = self._cell(group, doc_id)
        return found

    def _cell(self, group: Group, doc_id: str) -> Cell:
        by_id = self.claim_by_id
        own = group.members.get(doc_id, [])
        if own:
            relations = [
                link.relation
                for c in own
                for link in self.links.get(c.claim_id, ())
                if by_id[link.other].doc_id != doc_id
                and by_id[link.other].group_id == group.group_id
            ]
            if not relations:
                return Cell("only" if len(group.members) == 1 else "same", own)
            return Cell(max(relations, key=RELATIONS.index), own)
        found: dict[str, tuple[Claim, str]] = {}
        for claims in group.members.values():
            for c in claims:
                for link in self.links.get(c.claim_id, ()):
                    other = by_id[link.other]
                    if other.doc_id == doc_id:
                        old = found.get(other.claim_id)
                        if old is None or RELATIONS.index(link.relation) > RELATIONS.index(old[1]):
                            found[other.claim_id] = (other, link.relation)
        if not found:
            return Cell("absent", [])
        claims = sorted((c for c, _ in found.values()), key=lambda c: c.position)
        status = max((r for _, r in found.values()), key=RELATIONS.index)
        numbers = sorted({self.group_by_id[c.group_id].number for c in claims if c.group_id})
        return Cell(status, claims, numbers)

    def date_range(self) -> str:
        dates = sorted({d.date[:10] for d in self.docs if d.date})
        if not dates:
            return "no dates"
        return dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"

    def doc_pairs(self) -> list[tuple[Doc, Doc]]:
        return list(combinations(self.docs, 2))

    def agreement(self) -> np.ndarray:
        """share[i, j]: share of document i's claims aligned to at least one claim of document j."""
        n = len(self.docs)
        share = np.full((n, n), np.nan)
        doc_of = {c.claim_id: c.doc_id for c in self.claim_by_id.values()}
        partners: dict[str, set[str]] = defaultdict(set)
        for a, b in self.pairs.select("claim_a", "claim_b").iter_rows():
            if a in doc_of and b in doc_of:
                partners[a].add(doc_of[b])
                partners[b].add(doc_of[a])
        for i, da in enumerate(self.docs):
            claims = [c for c in self.claims[da.doc_id] if c.group_id is not None]
            for j, db in enumerate(self.docs):
                if i != j and claims:
                    share[i, j] = sum(db.doc_id in partners[c.claim_id] for c in claims) / len(
                        claims
                    )
        return share


def _kind_order(kind: str) -> tuple[int, str]:
    return (KINDS.index(kind) if kind in KINDS else len(KINDS), kind)


@dataclass
class EventFrames:
    """One event's rows as the report reads them (`read_events`): what a worker needs to build
    its page without the store."""

    event_id: str
    documents: pl.DataFrame
    claims: pl.DataFrame
    divergences: pl.DataFrame
    omissions: pl.DataFrame
    pairs: pl.DataFrame
    terms: pl.DataFrame
    model: str | None


# The rows of a batch of events, one query a table, in each event's reading order; `chosen` is a
# registered frame of the event ids to read.
_QUERIES = {
    "documents": "SELECT d.event_id, d.doc_id, coalesce(d.source, d.doc_id) AS name,"
    " d.label AS given, d.source_kind, d.date, d.title, d.url, length(d.text) AS length,"
    " coalesce(n.n_claims, 0) AS n_claims"
    " FROM documents d LEFT JOIN (SELECT doc_id, count(*) AS n_claims FROM claims GROUP BY doc_id)"
    " n USING (doc_id)"
    " WHERE d.event_id IN (SELECT event_id FROM {chosen})"
    " ORDER BY d.event_id, d.date NULLS LAST, coalesce(d.label, name), d.doc_id",
    "claims": "SELECT c.event_id, c.claim_id, c.doc_id, c.position, c.text, c.speaker, c.kind,"
    " CASE WHEN c.kind = 'statement' THEN coalesce(g.group_id, 'solo:' || c.claim_id)"
    " END AS group_id"
    " FROM claims c LEFT JOIN claim_groups g USING (claim_id)"
    " WHERE c.event_id IN (SELECT event_id FROM {chosen})"
    " ORDER BY c.event_id, c.doc_id, c.position",
    "divergences": "SELECT * FROM divergences WHERE event_id IN (SELECT event_id FROM {chosen})"
    " ORDER BY event_id, claim_a, claim_b, kind",
    "omissions": "SELECT * FROM omissions WHERE event_id IN (SELECT event_id FROM {chosen})"
    " ORDER BY event_id, claim_id, missing_in_doc",
    "pairs": "SELECT * FROM claim_pairs WHERE event_id IN (SELECT event_id FROM {chosen})"
    " ORDER BY event_id, claim_a, claim_b",
    "terms": "SELECT * FROM term_contrasts WHERE event_id IN (SELECT event_id FROM {chosen})"
    " ORDER BY event_id, doc_id, z DESC, term",
    # the embedding model with most vectors for the event's claims (named in the footer)
    "models": "SELECT c.event_id, e.model, count(*) AS n FROM embeddings e JOIN claims c"
    " USING (text_sha256) WHERE c.event_id IN (SELECT event_id FROM {chosen})"
    " GROUP BY c.event_id, e.model ORDER BY c.event_id, n DESC, e.model",
}


def read_events(con: duckdb.DuckDBPyConnection, event_ids: list[str]) -> dict[str, EventFrames]:
    """The rows of every event of `event_ids` for its report: one query a table for all of them,
    split by event in the order of `event_ids`."""
    name = f"_report_events_{uuid.uuid4().hex}"  # a name of its own on a shared connection
    con.register(name, pl.DataFrame({"event_id": event_ids}, schema={"event_id": pl.String}))
    try:
        tables = {table: con.sql(sql.format(chosen=name)).pl() for table, sql in _QUERIES.items()}
    finally:
        con.unregister(name)
    parts = {
        table: {key[0]: part for key, part in frame.partition_by("event_id", as_dict=True).items()}
        for table, frame in tables.items()
    }
    models: dict[str, str] = {}
    for event_id, model, _ in tables["models"].iter_rows():
        models.setdefault(event_id, model)
    return {
        event_id: EventFrames(
            event_id=event_id,
            model=models.get(event_id),
            **{
                table: parts[table].get(event_id, tables[table].clear())
                for table in ("documents", "claims", "divergences", "omissions", "pairs", "terms")
            },
        )
        for event_id in event_ids
    }


READ_CLAIMS = 50_000  # claims of the events `event_batches` reads at once


def event_batches(
    con: duckdb.DuckDBPyConnection,
    event_ids: list[str],
    sizes: dict[str, int],
    claims: int = READ_CLAIMS,
) -> Iterator[EventFrames]:
    """`read_events` of `event_ids` a batch at a time (`sizes`: `store.event_sizes`), each event's
    frames in the order of `event_ids`: a batch holds events of about `claims` claims together
    (one event alone when it is larger), so a pass over a whole store holds one batch, not every
    event's rows."""
    for batch in store.batched_events(event_ids, sizes, claims):
        frames = read_events(con, batch)
        for member in batch:
            yield frames.pop(member)


def load_event(con: duckdb.DuckDBPyConnection, event_id: str) -> EventData:
    """One event of the store read for its report (`read_events` of one, then `event_data`)."""
    return event_data(read_events(con, [event_id])[event_id])


def event_data(frames: EventFrames) -> EventData:
    """`EventFrames` -> the report's view of the event (no store needed: runs in a worker)."""
    documents = frames.documents
    names = documents["name"].to_list()
    labels = list(
        document_labels(names, documents["given"].to_list(), documents["doc_id"].to_list()).values()
    )
    docs = [
        Doc(
            index=i,
            label=labels[i],
            short=labels[i],
            name=names[i],
            **{k: row[k] for k in _DOC_FIELDS},
        )
        for i, row in enumerate(documents.iter_rows(named=True))
    ]
    claims: dict[str, list[Claim]] = {d.doc_id: [] for d in docs}
    for row in frames.claims.drop("event_id").iter_rows(named=True):
        claims.setdefault(row["doc_id"], []).append(Claim(**row))
    by_id = {c.claim_id: c for cs in claims.values() for c in cs}
    groups = _groups(docs, claims, by_id, frames.divergences)
    return EventData(
        event_id=frames.event_id,
        docs=docs,
        claims=claims,
        groups=groups,
        omissions=frames.omissions,
        pairs=frames.pairs,
        terms=frames.terms,
        model=frames.model,
    )


_DOC_FIELDS = ("doc_id", "source_kind", "date", "title", "url", "length", "n_claims")


def _groups(docs, claims, by_id, divergences: pl.DataFrame) -> list[Group]:
    """Groups ordered by where they first appear: the first document's reading order, then the
    next. A divergence between two members marks their words and their cells; one between claims
    of two groups (an alignment the grouping split) is listed in both groups, pointing across."""
    members: dict[str, dict[str, list[Claim]]] = defaultdict(dict)
    first_seen: dict[str, tuple[int, int]] = {}
    for doc in docs:
        for claim in claims[doc.doc_id]:
            if claim.group_id is None:
                continue
            members[claim.group_id].setdefault(doc.doc_id, []).append(claim)
            first_seen.setdefault(claim.group_id, (doc.index, claim.position))
    order = sorted(members, key=lambda g: (first_seen[g], g))
    groups = {g: Group(g, n, members[g]) for n, g in enumerate(order, start=1)}
    if "salience" not in divergences.columns:
        divergences = divergences.with_columns(salience=pl.lit(None, pl.Float64))
    columns = ("claim_a", "claim_b", "kind", "score", "reason", "salience")
    rows = divergences.select(*columns, "evidence_a", "evidence_b").iter_rows()
    for claim_a, claim_b, kind, score, reason, salience, evidence_a, evidence_b in rows:
        a, b = by_id.get(claim_a), by_id.get(claim_b)
        if a is None or b is None or a.group_id is None or b.group_id is None:
            continue
        fields = (claim_a, claim_b, kind, score, reason, salience)
        if a.group_id == b.group_id:
            groups[a.group_id].divergences.append(Divergence(*fields))
            _mark(a, kind, evidence_a, b.claim_id)
            _mark(b, kind, evidence_b, a.claim_id)
        else:
            ga, gb = groups[a.group_id], groups[b.group_id]
            ga.divergences.append(Divergence(*fields, across=gb.number))
            gb.divergences.append(Divergence(*fields, across=ga.number))
    return list(groups.values())


def _mark(claim: Claim, kind: str, evidence: str | None, other: str) -> None:
    claim.kinds.add(kind)
    whole = WHOLE * len(claim.text)  # a span over (nearly) all of it says nothing word-level
    spans = [(s, e, kind) for s, e in evidence_spans(evidence, claim.text) if e - s < whole]
    claim.spans += spans
    claim.evidence.setdefault(other, []).extend(spans)


def evidence_spans(evidence: str | None, text: str) -> list[tuple[int, int]]:
    """Valid (start, end) spans from a JSON evidence list; a span whose offsets do not match its
    text is moved to where that text occurs in the claim, or dropped."""
    try:
        items = json.loads(evidence) if evidence else []
    except (TypeError, ValueError):
        return []
    spans = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, list | tuple) or len(item) < 2:
            continue
        start, end, quoted = item[0], item[1], item[2] if len(item) > 2 else None
        if not (isinstance(start, int) and isinstance(end, int)):
            continue
        if isinstance(quoted, str) and quoted and text[start:end] != quoted:
            start = text.find(quoted)
            end = start + len(quoted)
        if 0 <= start < end <= len(text):
            spans.append((start, end))
    return spans


def speaker_name(speaker: str | None) -> str:
    return " ".join(speaker.split()) if speaker and speaker.strip() else OWN_VOICE
