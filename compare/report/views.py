"""EventData -> what the page shows: the brief ("what differs"), rows for the template's tables,
frames for the figures, the reading view's compact data for the browser, and the key figures the
index reads back."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl
from markupsafe import escape

from compare.report.data import (
    KINDS,
    RELATIONS,
    SHOWN,
    Claim,
    Doc,
    EventData,
    Group,
    speaker_name,
)
from compare.report.figures import STATUS_COLORS
from compare.report.markup import highlight, safe_url, snippet, unshared_words, words_of

BRIEF_FACTS = 4  # facts told differently that the brief shows
BRIEF_COLUMNS = 3  # wordings side by side in one of them
BRIEF_OMISSIONS = 3  # per document
BRIEF_AGREED = 5
MORE_DIVERGENCES = 30  # "show all" lists at most this many more lines per fact
# what the brief leads with: a conflict, then framing, then other words, then a fact told in two
# languages (its numbers agree, its wording was not compared)
DIFFERS = {"conflict": 3, "framed": 2, "reworded": 1, "aligned": 0}
ALIGNED_REASON = "told in two languages: the numbers agree, the wording was not compared"


def kinds_present(event: EventData) -> list[str]:
    found = {k for g in event.groups for k in g.kinds}
    return [k for k in KINDS if k in found] + sorted(found - set(KINDS))


def doc_row(doc: Doc) -> dict:
    return {"doc": doc, "href": safe_url(doc.url)}


def pair_line(a: Doc, b: Doc, reason: str) -> dict:
    """One line about two documents, naming each once: a reason that names both ('AFP "x" for
    Beijing (MFA) "y"') stands alone (`named`), its names carrying the full name on hover;
    otherwise the line reads "A ↔ B: reason"."""
    html = escape(reason)
    named = bool(reason) and all(d.label in reason for d in (a, b)) and a.label != b.label
    if named:
        for d in sorted((a, b), key=lambda d: -len(d.label)):  # "AFP (2)" before "AFP"
            html = html.replace(escape(d.label), d.tag, 1)
    return {"a": a.tag, "b": b.tag, "reason": html, "named": named}


def coverage_cells(event: EventData) -> pl.DataFrame:
    """One row per (fact, document): the cell's status (its strongest relation) and wording.
    Absent cells are left out: the figure draws them by default."""
    rows = []
    for g in event.groups:
        label = f"F{g.number} · {snippet(g.first().text, 40)}"
        for doc in event.docs:
            cell = event.cell(g, doc.doc_id)
            if cell.status == "absent":
                continue
            wording = " / ".join(c.text for c in cell.claims)
            if cell.elsewhere:
                facts = ", ".join(f"F{n}" for n in cell.elsewhere)
                wording = f"(paired, kept in {facts}) {wording}"
            rows.append((label, g.anchor, doc.short, cell.status, wording))
    schema = {k: pl.String for k in ("group", "anchor", "doc", "status", "wording")}
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    order = [f"F{g.number} · {snippet(g.first().text, 40)}" for g in event.groups]
    return frame, order


def speaker_frame(event: EventData) -> pl.DataFrame:
    rows = [
        (d.short, speaker_name(c.speaker), len(c.text))
        for d in event.docs
        for c in event.claims[d.doc_id]
    ]
    frame = pl.DataFrame(
        rows, schema={"doc": pl.String, "speaker": pl.String, "chars": pl.Int64}, orient="row"
    )
    # one spelling per speaker: "The ministry" and "the ministry" are one voice
    spelling = frame.group_by(pl.col("speaker").str.to_lowercase().alias("key")).agg(
        pl.col("speaker").mode().sort().first().alias("name")
    )
    return (
        frame.with_columns(key=pl.col("speaker").str.to_lowercase())
        .join(spelling, on="key", how="left", maintain_order="left")
        .select("doc", pl.col("name").alias("speaker"), "chars")
    )


def group_view(event: EventData, group: Group) -> dict:
    docs = event.doc_by_id
    cards = []
    # a word is "seen" by a document when another document of the fact uses it
    own = {d: frozenset().union(*(words_of(c.text) for c in cs)) for d, cs in group.members.items()}
    uses = Counter(t for words in own.values() for t in words)
    for doc in event.docs:
        claims = group.members.get(doc.doc_id, [])
        if not claims:
            continue
        mine = own[doc.doc_id]
        seen = {t for t, n in uses.items() if n > (t in mine)}
        cards.append(
            {
                "doc": doc,
                "status": event.cell(group, doc.doc_id).status,
                "claims": [
                    {
                        "html": highlight(
                            c.text,
                            c.spans,
                            unshared_words(c.text, seen) if len(group.members) > 1 else [],
                        ),
                        "speaker": speaker_name(c.speaker),
                        "kinds": [k for k in KINDS if k in c.kinds] + sorted(c.kinds - set(KINDS)),
                        "position": c.position + 1,
                    }
                    for c in claims
                ],
            }
        )
    by_id = event.claim_by_id
    found = {}  # one line per (kind, documents, reason): several claims may share one
    for d in group.divergences:
        ends = [docs[by_id[c].doc_id] for c in (d.claim_a, d.claim_b) if c in by_id]
        ends.sort(key=lambda doc: doc.index)
        if len(ends) == 2:
            reason = d.reason.removeprefix(f"{d.kind}: ")  # the badge names the kind
            rank = KINDS.index(d.kind) if d.kind in KINDS else len(KINDS)
            salience = d.salience if d.salience is not None else 0.0
            # Highest salience first, then by kind: the first SHOWN lines are what matters most.
            key = (-salience, rank, d.kind, ends[0].index, ends[1].index, reason, d.across or 0)
            found[key] = (d, ends, reason, salience)
    keys = sorted(found)
    ranked = []
    for key in keys[: SHOWN + MORE_DIVERGENCES]:  # a line is only written out when it is listed
        d, ends, reason, salience = found[key]
        ranked.append(
            {
                "across": d.across,
                "kind": d.kind,
                "score": d.score,
                "salience": salience,
                **pair_line(ends[0], ends[1], reason),
            }
        )
    present = [d.index for d in event.docs if d.doc_id in group.members]
    absent, elsewhere = [], []
    for d in event.docs:
        if d.doc_id in group.members:
            continue
        cell = event.cell(group, d.doc_id)
        if cell.status == "absent":
            absent.append(d.tag)
        else:
            elsewhere.append({"doc": d.tag, "facts": cell.elsewhere, "status": cell.status})
    return {
        "group": group,
        "title": snippet(group.first().text, 110),
        "cards": cards,
        "absent": absent,
        "elsewhere": elsewhere,
        "divergences": ranked[:SHOWN],
        "more_divergences": ranked[SHOWN : SHOWN + MORE_DIVERGENCES],
        "unlisted": max(0, len(keys) - SHOWN - MORE_DIVERGENCES),
        "doc_codes": " ".join(f"d{i}" for i in present),
        "open": len(event.groups) <= 40 and len(present) > 1,
    }


def only_in(event: EventData) -> list[dict]:
    """For each document, its claims that no other document has, with the nearest non-matches."""
    by_id = event.claim_by_id
    docs = event.doc_by_id
    nearest: dict[str, list[dict]] = {}
    for row in event.omissions.iter_rows(named=True):
        other = by_id.get(row["nearest_claim_id"]) if row["nearest_claim_id"] else None
        doc = docs.get(row["missing_in_doc"])
        nearest.setdefault(row["claim_id"], []).append(
            {
                "order": doc.index if doc else len(docs),
                "doc": doc.tag if doc else row["missing_in_doc"],
                "text": other.text if other else None,
                "score": row["nearest_score"],
            }
        )
    sections = []
    for doc in event.docs:
        solo = [g.members[doc.doc_id] for g in event.groups if list(g.members) == [doc.doc_id]]
        rows = [
            {
                "claim": c,
                "speaker": speaker_name(c.speaker),
                "nearest": sorted(nearest.get(c.claim_id, []), key=lambda n: n["order"]),
            }
            for claims in solo
            for c in claims
        ]
        sections.append({"doc": doc, "rows": rows})
    return sections


def reading_payload(event: EventData) -> dict:
    """What the reading view needs to lay out any two documents: each document's claims once
    ([text, kind, fact number or 0]) and every accepted pair once as five integers (document,
    index, document, index, relation code), so the data grows with the pairs, not with the
    number of document pairs. Texts are raw: the page's script sets them as text, never as HTML."""
    index = {}
    docs = []
    for d in event.docs:
        claims = []
        for i, c in enumerate(event.claims[d.doc_id]):
            index[c.claim_id] = (d.index, i)
            number = event.group_by_id[c.group_id].number if c.group_id else 0
            claims.append([c.text, c.kind, number])
        docs.append({"name": d.short, "claims": claims})
    links = []
    for a, b, relation in event.pairs.select("claim_a", "claim_b", "relation").iter_rows():
        if a in index and b in index:
            code = RELATIONS.index(relation) if relation in RELATIONS else 1
            links += [*index[a], *index[b], code]
    colors = [STATUS_COLORS[r] for r in RELATIONS]
    return {"docs": docs, "relations": list(RELATIONS), "colors": colors, "links": links}


def what_differs(event: EventData) -> dict:
    """The brief: the facts told most differently (wordings side by side, the changed words
    marked, one line of reason per pair), what each document leaves out, what all agree on."""
    return {
        "facts": _differing_facts(event),
        "omissions": _omissions(event),
        "agreed": _agreed(event),
    }


def _fact_pairs(event: EventData, group: Group) -> list[dict]:
    """The accepted pairs inside `group` between two documents, with their most salient
    divergence, strongest first."""
    by_id = event.claim_by_id
    best = {}
    for d in group.divergences:
        if d.across is None:
            key = frozenset((d.claim_a, d.claim_b))
            if key not in best or (d.salience or 0) > (best[key].salience or 0):
                best[key] = d
    pairs = {}
    for claims in group.members.values():
        for c in claims:
            for link in event.links.get(c.claim_id, ()):
                other = by_id[link.other]
                if other.group_id != group.group_id or other.doc_id == c.doc_id:
                    continue
                key = frozenset((c.claim_id, other.claim_id))
                top = best.get(key)
                pairs[key] = {
                    "claims": sorted((c, other), key=lambda x: event.doc_by_id[x.doc_id].index),
                    "relation": link.relation,
                    "salience": (top.salience or 0.0) if top else 0.0,
                    "kind": top.kind if top else link.relation,
                    "reason": top.reason.removeprefix(f"{top.kind}: ")
                    if top
                    else (ALIGNED_REASON if link.relation == "aligned" else ""),
                }
    return sorted(
        pairs.values(),
        key=lambda p: (
            -DIFFERS.get(p["relation"], -1),
            -p["salience"],
            [event.doc_by_id[c.doc_id].index for c in p["claims"]],
            [c.position for c in p["claims"]],
        ),
    )


def _differing_facts(event: EventData) -> list[dict]:
    """Facts that several documents tell differently, those told by most documents first, then
    the strongest relation (conflict, framed, reworded), then salience. Each shows one wording
    per document (up to BRIEF_COLUMNS, the documents of its strongest pairs), side by side."""
    found = []
    for g in event.groups:
        if len(g.members) < 2:
            continue
        pairs = [p for p in _fact_pairs(event, g) if p["relation"] in DIFFERS]
        if not pairs:
            continue
        top = pairs[0]
        found.append(
            ((-len(g.members), -DIFFERS[top["relation"]], -top["salience"], g.number), g, pairs)
        )
    found.sort(key=lambda item: item[0])
    facts = []
    for _, g, pairs in found[:BRIEF_FACTS]:
        shown: dict[str, Claim] = {}
        lines = []
        for p in pairs:
            docs = [c.doc_id for c in p["claims"]]
            fits = all(d in shown for d in docs) or len(set(shown) | set(docs)) <= BRIEF_COLUMNS
            if not fits or any(d in shown and shown[d] is not c for d, c in zip(docs, p["claims"])):
                continue
            for c in p["claims"]:
                shown.setdefault(c.doc_id, c)
            lines.append(p)
            if len(lines) == BRIEF_COLUMNS:
                break
        columns = sorted(shown.values(), key=lambda c: event.doc_by_id[c.doc_id].index)
        partners = {c.claim_id for c in columns}
        facts.append(
            {
                "group": g,
                "columns": [
                    {
                        "doc": event.doc_by_id[c.doc_id],
                        "html": highlight(
                            c.text,
                            [s for o, spans in c.evidence.items() if o in partners for s in spans],
                        ),
                        "speaker": speaker_name(c.speaker),
                    }
                    for c in columns
                ],
                "lines": [
                    {
                        "relation": p["relation"],
                        "kind": p["kind"],
                        "salience": p["salience"],
                        **pair_line(
                            event.doc_by_id[p["claims"][0].doc_id],
                            event.doc_by_id[p["claims"][1].doc_id],
                            p["reason"],
                        ),
                    }
                    for p in lines
                ],
                "more_docs": len(g.members) - len(columns),
            }
        )
    return facts


def _omissions(event: EventData) -> list[dict]:
    """Per document, the most salient facts it leaves out that other documents tell."""
    by_id = event.claim_by_id
    docs = event.doc_by_id
    best: dict[tuple[str, str], dict] = {}
    for row in event.omissions.iter_rows(named=True):
        claim = by_id.get(row["claim_id"])
        if claim is None or claim.group_id is None or row["missing_in_doc"] not in docs:
            continue
        key = (row["missing_in_doc"], claim.group_id)
        salience = row.get("salience") or 0.0
        if key in best and best[key]["salience"] >= salience:
            continue
        nearest = by_id.get(row["nearest_claim_id"]) if row["nearest_claim_id"] else None
        group = event.group_by_id[claim.group_id]
        best[key] = {
            "claim": claim,
            "group": group,
            "told_by": [d.tag for d in event.docs if d.doc_id in group.members],
            "salience": salience,
            # the line already says the document leaves it out
            "reason": (row.get("reason") or "").removeprefix("leaves out "),
            "nearest": nearest.text if nearest else None,
            "nearest_score": row["nearest_score"],
        }
    out = []
    for doc in event.docs:
        rows = [v for (d, _), v in best.items() if d == doc.doc_id]
        rows.sort(key=lambda r: (-r["salience"], r["group"].number))
        out.append(
            {
                "doc": doc,
                "rows": rows[:BRIEF_OMISSIONS],
                "more": max(0, len(rows) - BRIEF_OMISSIONS),
            }
        )
    return out


def _agreed(event: EventData) -> dict:
    """Facts every document tells, in the same or other words (no framing, no conflict)."""
    if len(event.docs) < 2:
        return {"facts": [], "more": 0}
    facts = []
    for g in event.groups:
        if len(g.members) < len(event.docs):
            continue
        if all(p["relation"] in ("same", "reworded") for p in _fact_pairs(event, g)):
            facts.append({"group": g, "text": g.first().text})
    return {"facts": facts[:BRIEF_AGREED], "more": max(0, len(facts) - BRIEF_AGREED)}


def summary(event: EventData, title: str | None) -> dict:
    """Key figures of the event, embedded in the page and read back by the index."""
    n_docs = len(event.docs)
    agreement = event.agreement()
    divergences = {(d.claim_a, d.claim_b, d.kind) for g in event.groups for d in g.divergences}
    return {
        "event_id": event.event_id,
        "title": title or event.event_id,
        "dates": event.date_range(),
        "documents": [d.short for d in event.docs],
        "claims": sum(len(c) for c in event.claims.values()),
        "facts": len(event.groups),
        "groups": len(event.groups),
        "shared_by_all": sum(len(g.members) == n_docs for g in event.groups) if n_docs > 1 else 0,
        "single_source": sum(len(g.members) == 1 for g in event.groups),
        "aligned_pairs": event.pairs.height,
        # in KINDS order: a set's order changes from one process to the next
        "divergences": dict(
            sorted(Counter(kind for _, _, kind in divergences).items(), key=_kind_rank)
        ),
        "agreement": [
            [None if np.isnan(v) else round(float(v), 2) for v in row] for row in agreement
        ],
        "model": event.model,
    }


def _kind_rank(item: tuple[str, int]) -> tuple[int, str]:
    kind = item[0]
    return (KINDS.index(kind) if kind in KINDS else len(KINDS), kind)
