"""store -> HTML: one self-contained, offline report per event, plus an index for several events.

The store is opened read-only; no model is loaded. plotly.js is inlined once per page, figures are
rendered from `figures.py`, and the page is one Jinja2 template with autoescaping. The pairwise
view carries every document pair's similarities as compact data and draws the chosen pair in the
browser, so 8 documents (28 pairs) stay a few hundred kilobytes on top of plotly.js.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb
import jinja2
import numpy as np
import polars as pl
from markupsafe import Markup

from compare import store
from compare.errors import InputError
from compare.report import figures
from compare.report.data import KINDS, EventData, Group, load_event, speaker_name
from compare.report.markup import distinct_words, highlight, kind_class, plain, safe_url
from compare.report.markup import script_json, snippet

__all__ = ["build_report", "write_reports", "slug"]

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
SUMMARY_ID = "nc-summary"  # <script type="application/json" id=...> in each report, read by the index


def write_reports(
    *, db: str | Path | None, events: Sequence[str] = (), out: str | Path = "reports",
    title: str | None = None,
) -> list[Path]:
    """Write `<out>/<slug(event)>.html` for `events` (default: all), and `<out>/index.html` when
    the out folder then holds several reports. Returns the paths written, the index last."""
    con = store.open_store(db, read_only=True)
    try:
        known = store.event_ids(con)
        chosen = list(dict.fromkeys(events)) or known
        if not chosen:
            raise InputError(
                f"The store '{db or store.default_db()}' holds no events."
                " Run 'narrative-compare run PATH' first."
            )
        for event_id in chosen:
            _check_event(event_id, known)
        names = slugs(known)
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for event_id in chosen:
            path = out / f"{names[event_id]}.html"
            _write(path, build_report(con, event_id, title=title))
            paths.append(path)
    finally:
        con.close()
    reports = report_summaries(out)
    if len(reports) > 1:
        index = out / "index.html"
        page = _template().render(index=True, reports=reports, title=title or "Reports",
                                  generated=_now())
        _write(index, page)
        paths.append(index)
    return paths


def build_report(con: duckdb.DuckDBPyConnection, event_id: str, *, title: str | None = None) -> str:
    """The HTML page for one event of the store behind `con`."""
    _check_event(event_id, store.event_ids(con))
    event = load_event(con, event_id)
    docs = event.docs
    figs = {
        "coverage": figures.coverage_matrix(_coverage_cells(event), [d.short for d in docs]),
        "agreement": figures.agreement_matrix([d.short for d in docs], event.agreement()),
        "speakers": figures.speaker_share(_speaker_frame(event)),
    }
    if event.terms.height:
        labels = {d.doc_id: d.short for d in docs}
        terms = event.terms.with_columns(doc=pl.col("doc_id").replace_strict(labels, default=None))
        figs["terms"] = figures.distinctive_terms(terms.drop_nulls("doc"))
    pairs = event.doc_pairs()
    if pairs:
        first = event.pair(*pairs[0])
        texts = _pair_texts(event, first.a, first.b)
        figs["pair_heatmap"] = figures.similarity_heatmap(
            first.similarity, *texts, first.aligned, first.a.short, first.b.short
        )
        figs["pair_order"] = figures.order_plot(first.aligned, *texts, first.a.short, first.b.short)
    html = {name: Markup(_figure_html(fig, f"fig-{name.replace('_', '-')}")) for name, fig in figs.items()}
    summary = _summary(event, title)
    return _template().render(
        index=False,
        title=title or event_id,
        event=event,
        docs=[_doc_row(d) for d in docs],
        groups=[_group_view(event, g) for g in event.groups],
        only_in=_only_in(event),
        pairs=[(i, f"{a.short} vs {b.short}") for i, (a, b) in enumerate(pairs)],
        pair_data=script_json(_pair_payload(event)) if pairs else None,
        summary=summary,
        summary_json=script_json(summary),
        kinds=_kinds_present(event),
        figs=html,
        plotlyjs=Markup(_plotlyjs()),
        generated=_now(),
    )


def slug(event_id: str) -> str:
    """File name stem for an event: lower-case letters, digits, '.', '_' and '-'."""
    text = re.sub(r"[^a-z0-9._-]+", "-", event_id.lower()).strip("-.")
    return text or "event"


def slugs(event_ids: Sequence[str]) -> dict[str, str]:
    """Slugs that stay distinct when two ids slug alike ('A b' and 'a-b'): later ones get a suffix."""
    seen: Counter[str] = Counter()
    names = {}
    for event_id in sorted(event_ids):
        base = slug(event_id)
        seen[base] += 1
        names[event_id] = base if seen[base] == 1 else f"{base}-{seen[base]}"
    return names


def report_summaries(out: Path) -> list[dict]:
    """The summaries embedded in the reports of `out`, for the index (other HTML files are skipped)."""
    pattern = re.compile(rf'<script type="application/json" id="{SUMMARY_ID}">(.*?)</script>', re.S)
    reports = []
    for path in sorted(out.glob("*.html")):
        if path.name == "index.html":
            continue
        with path.open(encoding="utf-8", errors="replace") as f:
            head = f.read(200_000)  # the summary sits in <head>, before plotly.js
        match = pattern.search(head)
        if match:
            try:
                reports.append({**json.loads(match.group(1)), "href": path.name})
            except ValueError:
                continue
    return sorted(reports, key=lambda r: (r.get("event_id", ""), r["href"]))


def _check_event(event_id: str, known: list[str]) -> None:
    if event_id not in known:
        raise InputError(
            f"Unknown event '{event_id}'. Available: {', '.join(known) or 'none'}."
            " Run 'narrative-compare events'."
        )


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@cache
def _template() -> jinja2.Template:
    source = resources.files("compare.report").joinpath("page.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["kind_class"] = kind_class
    return env.from_string(source)


@cache
def _plotlyjs() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _figure_html(fig, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False,
                       div_id=div_id, config=PLOTLY_CONFIG)


def _kinds_present(event: EventData) -> list[str]:
    found = {k for g in event.groups for k in g.kinds}
    return [k for k in KINDS if k in found] + sorted(found - set(KINDS))


def _doc_row(doc) -> dict:
    return {"doc": doc, "href": safe_url(doc.url)}


def _coverage_cells(event: EventData) -> pl.DataFrame:
    rows = []
    for g in event.groups:
        label = f"G{g.number} · {snippet(g.first().text, 40)}"
        for doc in event.docs:
            claims = g.members.get(doc.doc_id, [])
            wording = " / ".join(c.text for c in claims)
            rows.append((label, g.anchor, doc.short, g.status(doc.doc_id), wording))
    return pl.DataFrame(rows, schema=["group", "anchor", "doc", "status", "wording"], orient="row")


def _speaker_frame(event: EventData) -> pl.DataFrame:
    rows = [(d.short, speaker_name(c.speaker), len(c.text)) for d in event.docs for c in event.claims[d.doc_id]]
    frame = pl.DataFrame(rows, schema={"doc": pl.String, "speaker": pl.String, "chars": pl.Int64}, orient="row")
    # one spelling per speaker: "The ministry" and "the ministry" are one voice
    spelling = frame.group_by(pl.col("speaker").str.to_lowercase().alias("key")).agg(
        pl.col("speaker").mode().sort().first().alias("name")
    )
    return (
        frame.with_columns(key=pl.col("speaker").str.to_lowercase())
        .join(spelling, on="key", how="left", maintain_order="left")
        .select("doc", pl.col("name").alias("speaker"), "chars")
    )


def _group_view(event: EventData, group: Group) -> dict:
    docs = event.doc_by_id
    cards = []
    for doc in event.docs:
        claims = group.members.get(doc.doc_id, [])
        if not claims:
            continue
        others = [c.text for d, cs in group.members.items() if d != doc.doc_id for c in cs]
        cards.append({
            "doc": doc,
            "status": group.status(doc.doc_id),
            "claims": [
                {
                    "html": highlight(c.text, c.spans, distinct_words(c.text, others) if others else []),
                    "speaker": speaker_name(c.speaker),
                    "kinds": [k for k in KINDS if k in c.kinds] + sorted(c.kinds - set(KINDS)),
                    "position": c.position + 1,
                }
                for c in claims
            ],
        })
    by_id = event.claim_by_id
    divergences = [
        {
            "kind": d.kind, "reason": d.reason, "score": d.score,
            "a": docs[by_id[d.claim_a].doc_id].short if d.claim_a in by_id else "?",
            "b": docs[by_id[d.claim_b].doc_id].short if d.claim_b in by_id else "?",
        }
        for d in group.divergences
    ]
    present = [d.index for d in event.docs if d.doc_id in group.members]
    return {
        "group": group,
        "title": snippet(group.first().text, 110),
        "cards": cards,
        "absent": [d.short for d in event.docs if d.doc_id not in group.members],
        "divergences": divergences,
        "doc_codes": " ".join(f"d{i}" for i in present),
        "open": len(event.groups) <= 40 and len(present) > 1,
    }


def _only_in(event: EventData) -> list[dict]:
    """For each document, its claims that no other document has, with the nearest non-matches."""
    by_id = event.claim_by_id
    docs = event.doc_by_id
    nearest: dict[str, list[dict]] = {}
    for row in event.omissions.iter_rows(named=True):
        other = by_id.get(row["nearest_claim_id"]) if row["nearest_claim_id"] else None
        doc = docs.get(row["missing_in_doc"])
        nearest.setdefault(row["claim_id"], []).append({
            "order": doc.index if doc else len(docs),
            "doc": doc.short if doc else row["missing_in_doc"],
            "text": other.text if other else None,
            "score": row["nearest_score"],
        })
    sections = []
    for doc in event.docs:
        solo = [g.members[doc.doc_id] for g in event.groups if list(g.members) == [doc.doc_id]]
        rows = [
            {"claim": c, "speaker": speaker_name(c.speaker), "nearest": sorted(nearest.get(c.claim_id, []), key=lambda n: n["order"])}
            for claims in solo for c in claims
        ]
        sections.append({"doc": doc, "rows": rows})
    return sections


def _pair_texts(event: EventData, a, b) -> tuple[list[str], list[str]]:
    return [c.text for c in event.claims[a.doc_id]], [c.text for c in event.claims[b.doc_id]]


def _pair_payload(event: EventData) -> dict:
    """What the browser needs to draw any pair: claim labels once per document, and per pair the
    similarities as bytes ((cosine + 1) / 2 * 255, base64) plus the accepted alignments."""
    docs = [
        {"name": plain(d.short), "claims": figures.claim_labels([c.text for c in event.claims[d.doc_id]])}
        for d in event.docs
    ]
    pairs = []
    for a, b in event.doc_pairs():
        pair = event.pair(a, b)
        quantised = np.rint((np.clip(pair.similarity, -1, 1) + 1) / 2 * 255).astype(np.uint8)
        pairs.append({
            "a": a.index, "b": b.index, "rows": int(quantised.shape[0]), "cols": int(quantised.shape[1]),
            "z": base64.b64encode(quantised.tobytes()).decode("ascii"),
            "aligned": [[i, j, round(s, 3), plain(m)] for i, j, s, m in pair.aligned],
        })
    return {"docs": docs, "pairs": pairs}


def _summary(event: EventData, title: str | None) -> dict:
    """Key figures of the event, embedded in the page and read back by the index."""
    n_docs = len(event.docs)
    agreement = event.agreement()
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
        "divergences": dict(Counter(d.kind for g in event.groups for d in g.divergences)),
        "agreement": [[None if np.isnan(v) else round(float(v), 2) for v in row] for row in agreement],
        "model": event.model,
    }
