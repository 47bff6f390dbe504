"""EventData -> what the page shows: rows for the template's tables, frames for the figures,
the pairwise view's data for the browser, and the key figures the index reads back."""

from __future__ import annotations

import base64
from collections import Counter

import numpy as np
import polars as pl

from compare.report import figures
from compare.report.data import KINDS, SHOWN, Doc, EventData, Group, speaker_name
from compare.report.markup import distinct_words, highlight, plain, safe_url, snippet


def kinds_present(event: EventData) -> list[str]:
    found = {k for g in event.groups for k in g.kinds}
    return [k for k in KINDS if k in found] + sorted(found - set(KINDS))


def doc_row(doc: Doc) -> dict:
    return {"doc": doc, "href": safe_url(doc.url)}


def coverage_cells(event: EventData) -> pl.DataFrame:
    rows = []
    for g in event.groups:
        label = f"G{g.number} · {snippet(g.first().text, 40)}"
        for doc in event.docs:
            claims = g.members.get(doc.doc_id, [])
            wording = " / ".join(c.text for c in claims)
            rows.append((label, g.anchor, doc.short, g.status(doc.doc_id), wording))
    return pl.DataFrame(rows, schema=["group", "anchor", "doc", "status", "wording"], orient="row")


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
    for doc in event.docs:
        claims = group.members.get(doc.doc_id, [])
        if not claims:
            continue
        others = [c.text for d, cs in group.members.items() if d != doc.doc_id for c in cs]
        cards.append(
            {
                "doc": doc,
                "status": group.status(doc.doc_id),
                "claims": [
                    {
                        "html": highlight(
                            c.text, c.spans, distinct_words(c.text, others) if others else []
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
    divergences = {}  # one line per (kind, documents, reason): several claims may share one
    for d in group.divergences:
        ends = [docs[by_id[c].doc_id] for c in (d.claim_a, d.claim_b) if c in by_id]
        ends.sort(key=lambda doc: doc.index)
        if len(ends) == 2:
            reason = d.reason.removeprefix(f"{d.kind}: ")  # the badge names the kind
            rank = KINDS.index(d.kind) if d.kind in KINDS else len(KINDS)
            salience = d.salience if d.salience is not None else 0.0
            # Highest salience first, then by kind: the first SHOWN lines are what matters most.
            key = (-salience, rank, d.kind, ends[0].index, ends[1].index, reason, d.across or 0)
            divergences[key] = {
                "across": d.across,
                "kind": d.kind,
                "reason": reason,
                "score": d.score,
                "salience": salience,
                "a": ends[0].short,
                "b": ends[1].short,
            }
    present = [d.index for d in event.docs if d.doc_id in group.members]
    return {
        "group": group,
        "title": snippet(group.first().text, 110),
        "cards": cards,
        "absent": [d.short for d in event.docs if d.doc_id not in group.members],
        "divergences": [divergences[key] for key in sorted(divergences)][:SHOWN],
        "more_divergences": [divergences[key] for key in sorted(divergences)][SHOWN:],
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
                "doc": doc.short if doc else row["missing_in_doc"],
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


def pair_texts(event: EventData, a: Doc, b: Doc) -> tuple[list[str], list[str]]:
    return [c.text for c in event.claims[a.doc_id]], [c.text for c in event.claims[b.doc_id]]


def pair_payload(event: EventData) -> dict:
    """What the browser needs to draw any pair: claim labels once per document, and per pair the
    similarities as bytes ((cosine + 1) / 2 * 255, base64) plus the accepted alignments."""
    docs = [
        {
            "name": plain(d.short),
            "claims": figures.claim_labels([c.text for c in event.claims[d.doc_id]]),
        }
        for d in event.docs
    ]
    pairs = []
    for a, b in event.doc_pairs():
        pair = event.pair(a, b)
        quantised = np.rint((np.clip(pair.similarity, -1, 1) + 1) / 2 * 255).astype(np.uint8)
        pairs.append(
            {
                "a": a.index,
                "b": b.index,
                "rows": int(quantised.shape[0]),
                "cols": int(quantised.shape[1]),
                "z": base64.b64encode(quantised.tobytes()).decode("ascii"),
                "aligned": [[i, j, round(s, 3), plain(m)] for i, j, s, m in pair.aligned],
            }
        )
    return {"docs": docs, "pairs": pairs}


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
        "groups": len(event.groups),
        "shared_by_all": sum(len(g.members) == n_docs for g in event.groups) if n_docs > 1 else 0,
        "single_source": sum(len(g.members) == 1 for g in event.groups),
        "aligned_pairs": event.pairs.height,
        "divergences": dict(Counter(kind for _, _, kind in divergences)),
        "agreement": [
            [None if np.isnan(v) else round(float(v), 2) for v in row] for row in agreement
        ],
        "model": event.model,
    }
