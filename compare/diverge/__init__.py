"""Diverge: aligned claims -> divergences; documents -> term contrasts (two calls).

For every aligned claim pair (align's `claim_pairs`) it records each way the two tellings differ,
one row per kind, with the evidence spans in each claim's own text, a score in [0, 1] and a
one-line reason a reader can check against the highlighted words:

- reworded: the same fact in other words; the evidence is the content words unique to each side.
- speaker: said in a source's own voice in one text and attributed in the other, or attributed to
  different speakers.
- number: a date, year, percentage, sum of money or count that differs on the two sides.
- entity: a different actor, place or organisation in the same slot of the sentence.
- hedging: hedged vs firm ("may" vs "will", "discussed" vs "agreed").
- negation: one side negates or denies what the other asserts.
- emphasis: lead of one text but late in the other, or a much larger share of one text.

Equivalent forms stay silent: alias tables and lexicons live in `compare/data/` (aliases.yaml,
numbers.yaml, hedges.yaml, negation.yaml), and a document's own "Foreign Minister Qin Gang" tells
that its "the foreign minister" is Qin Gang.

Term contrasts (`term_contrasts`, its own call) are each document's distinctive words and two-word phrases against the rest of its
event: the log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi and Quinn 2008),
the prior being the event's pooled counts, with z-scores; the top terms by z are kept per document.

The package follows the steps: `lexicon` (the data files as patterns), `numbers`, `entities` and
`words` (what a text holds), `claim` (one claim read once), `kinds` (two claims compared, one
function per kind), `terms` (term contrasts), `config` (schemas, kinds, thresholds).
"""

from __future__ import annotations

import json
from collections import defaultdict

import polars as pl

from compare.diverge.claim import Claim, analyse
from compare.diverge.config import DIVERGENCES_SCHEMA, KINDS, TERM_CONTRASTS_SCHEMA, DivergeConfig
from compare.diverge.entities import merge_links, title_links_cached
from compare.diverge.kinds import compare_claims
from compare.diverge.lexicon import Span
from compare.diverge.numbers import parse_number
from compare.diverge.terms import term_contrasts, terms


def diverge(
    documents: pl.DataFrame,
    claims: pl.DataFrame,
    claim_pairs: pl.DataFrame,
    config: DivergeConfig | None = None,
) -> pl.DataFrame:
    """Divergences of every aligned pair (DIVERGENCES_SCHEMA), one row per kind found."""
    config = config or DivergeConfig()
    docs = {r["doc_id"]: r for r in documents.iter_rows(named=True)}
    by_id = {r["claim_id"]: r for r in claims.iter_rows(named=True)}
    # Share of its text a claim's counterpart takes: all claims of one document paired to it.
    partners: dict[tuple[str, str], list[str]] = defaultdict(list)
    for a, b in claim_pairs.select("claim_a", "claim_b").iter_rows():
        partners[(b, by_id[a]["doc_id"])].append(a)
        partners[(a, by_id[b]["doc_id"])].append(b)
    analysed: dict[str, Claim] = {}
    corefs: dict[str, dict[str, set[str]]] = {}

    def get(claim_id: str) -> Claim:
        if claim_id not in analysed:
            row = by_id[claim_id]
            doc = docs[row["doc_id"]]
            if row["doc_id"] not in corefs:
                corefs[row["doc_id"]] = title_links_cached(doc["text"] or "")
            analysed[claim_id] = analyse(row, doc)
        return analysed[claim_id]

    rows = []
    for pair in claim_pairs.iter_rows(named=True):
        a, b = get(pair["claim_a"]), get(pair["claim_b"])
        links = merge_links(corefs[a.doc_id], corefs[b.doc_id])
        share_a = _share(partners[(b.id, a.doc_id)], by_id, docs[a.doc_id])
        share_b = _share(partners[(a.id, b.doc_id)], by_id, docs[b.doc_id])
        for kind, score, reason, ev_a, ev_b in compare_claims(
            a, b, links, config, shares=(share_a, share_b)
        ):
            rows.append(
                (
                    pair["event_id"],
                    a.id,
                    b.id,
                    kind,
                    round(score, 4),
                    reason,
                    _json(ev_a),
                    _json(ev_b),
                    None,
                )
            )
    return pl.DataFrame(rows, schema=DIVERGENCES_SCHEMA, orient="row")


def _share(claim_ids: list[str], by_id: dict, doc: dict) -> float:
    total = len(doc.get("text") or "")
    if not total:
        return 0.0
    return sum(by_id[c]["char_end"] - by_id[c]["char_start"] for c in set(claim_ids)) / total


def _json(spans: list[Span]) -> str:
    return json.dumps([[s, e, t] for s, e, t in spans], ensure_ascii=False)


__all__ = [
    "DIVERGENCES_SCHEMA",
    "KINDS",
    "TERM_CONTRASTS_SCHEMA",
    "DivergeConfig",
    "compare_claims",
    "diverge",
    "parse_number",
    "term_contrasts",
    "terms",
]
