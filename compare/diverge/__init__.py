"""Diverge: aligned claims -> divergences and one relation per pair; omissions -> salience;
documents -> term contrasts (separate calls).

For every aligned claim pair (align's `claim_pairs`) `diverge` records each way the two tellings
differ, one row per kind, with the evidence spans in each claim's own text, a score in [0, 1], a
salience in [0, 1] (how much a reader should care) and a one-line reason a reader can check against
the highlighted words:

- number: a date, year, percentage, sum of money or count that differs on the two sides.
- entity: a different actor, place or organisation in the same slot of the sentence.
- negation: one side negates or denies what the other asserts.
- speaker: different people credited (one text's own voice vs the other crediting that same
  source, "the foreign ministry" in a wire quoting the ministry's readout, is the same speaker).
- hedging: hedged vs firm ("may" vs "will", "discussed" vs "agreed").
- framing: a loaded word, an intensifier or a distancing phrase on one side only.
- elaborated: one side adds detail (its words beyond those the other side has, which it mostly holds).
- reworded: the same point in other words; the evidence is the replaced runs of a word-level diff.

`relations(claim_pairs, divergences, config)` gives each pair one relation from its rows, by
precedence conflict (number, entity, negation) > framed (a framing row that singles something out:
on a firmly aligned pair, a lexicon cue or a strong connotation) > elaborated > reworded (also
speaker, hedging and weaker framing rows: they stay rows of their own) > same (no row: no
difference once equivalent forms are normalised). `rate_omissions` weighs what
an omission leaves out. Where each source leads (emphasis) is not a per-pair row; a per-document
view of it is left for later.

Equivalent forms stay silent: alias tables and lexicons live in `compare/data/` (aliases.yaml,
numbers.yaml, hedges.yaml, negation.yaml, diverge.yaml), and a document's own "Foreign Minister Qin
Gang" tells that its "the foreign minister" is Qin Gang.

Term contrasts (`term_contrasts`, its own call) are each document's distinctive words and two-word phrases against the rest of its
event: the log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi and Quinn 2008),
the prior being the event's pooled counts, with z-scores; the top terms by z are kept per document.

The package follows the steps: `lexicon` (the data files as patterns), `numbers`, `entities` and
`words` (what a text holds), `claim` (one claim read once), `diff` (two claims' changed words),
`substitutions` (which changed words stand for which), `kinds` (two claims compared: the wording
kinds and the relation), with one module per family of kinds (`conflicts`: number, entity,
negation; `speakers`; `framing`: framing and hedging) and `evidence` (spans and quotes for
reasons), `pairs` (the pairs of one call as rows, each distinct wording compared once),
`omissions` (omission salience), `terms` (term contrasts), `config` (schemas, kinds, relations,
saliences, thresholds).
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

import polars as pl

from compare.diverge.claim import Claim, analyse
from compare.diverge.config import (
    DIVERGENCES_SCHEMA,
    KINDS,
    RELATIONS,
    TERM_CONTRASTS_SCHEMA,
    DivergeConfig,
)
from compare.diverge.conflicts import across_languages
from compare.diverge.entities import merge_links, title_links_cached
from compare.diverge.kinds import compare_claims, relation_of
from compare.diverge.numbers import parse_number
from compare.diverge.omissions import rate_omissions
from compare.diverge.pairs import PairRows
from compare.diverge.terms import term_contrasts, terms
from compare.lang import base
from compare.text import document_labels


def diverge(
    documents: pl.DataFrame,
    claims: pl.DataFrame,
    claim_pairs: pl.DataFrame,
    config: DivergeConfig | None = None,
) -> pl.DataFrame:
    """Divergences of every aligned pair (DIVERGENCES_SCHEMA), one row per kind found; a pair
    with no row is `same` (see `relations`)."""
    config = config or DivergeConfig()
    docs = {r["doc_id"]: r for r in documents.iter_rows(named=True)}
    # reasons name documents as the report does (per event): two sources cut alike told apart
    labels: dict[str, str] = {}
    events: dict[str, list[dict]] = defaultdict(list)
    for r in docs.values():
        events[r.get("event_id") or ""].append(r)
    for rows in events.values():
        labels |= document_labels(
            [r.get("source") or r["doc_id"] for r in rows],
            [r.get("label") for r in rows],
            [r["doc_id"] for r in rows],
        )
    docs = {d: {**r, "label": labels[d]} for d, r in docs.items()}
    by_id = {r["claim_id"]: r for r in claims.iter_rows(named=True)}
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

    pair_rows = PairRows(config)
    links_of: dict[tuple[str, str], dict[str, set[str]]] = {}  # per pair of documents
    rows = []
    pairs = zip(*(_column(claim_pairs, c) for c in ("event_id", "claim_a", "claim_b", "score")))
    for event_id, claim_a, claim_b, pair_score in pairs:
        a, b = get(claim_a), get(claim_b)
        docs_ab = (a.doc_id, b.doc_id)
        if docs_ab not in links_of:
            links_of[docs_ab] = merge_links(corefs[a.doc_id], corefs[b.doc_id])
        sure = belief(pair_score, config)
        for kind, score, reason, ev_a, ev_b, salience in pair_rows(a, b, links_of[docs_ab]):
            if sure < LOOSE_PAIR:
                reason += " (the two claims are only loosely aligned)"
            rows.append(
                (
                    event_id,
                    a.id,
                    b.id,
                    kind,
                    score,
                    reason,
                    ev_a,
                    ev_b,
                    round(salience * sure, 3),
                )
            )
    return pl.DataFrame(rows, schema=DIVERGENCES_SCHEMA, orient="row")


def _column(frame: pl.DataFrame, name: str) -> list:
    """A column's values (None for each row when the frame has no such column)."""
    return frame[name].to_list() if name in frame.columns else [None] * frame.height


LOOSE_PAIR = 0.7  # below this share of a certain pair's score, the reason says the pair is loose


def relations(
    claim_pairs: pl.DataFrame,
    divergences: pl.DataFrame,
    config: DivergeConfig | None = None,
    languages: dict[str, str | None] | None = None,
) -> pl.DataFrame:
    """`claim_pairs` with `relation` set from each pair's divergence kinds (`same` when none). A
    framing row makes the pair `framed` only when it singles something out: the pair is firmly
    aligned (its belief, which scales every row's salience, at least LOOSE_PAIR) and the row is a
    lexicon cue or a connotation of strength `config.framed_strength`; else it counts as a
    rewording (BASIL DEV, DivergeConfig)."""
    config = config or DivergeConfig()
    kinds: dict[tuple[str, str], set[str]] = defaultdict(set)
    for a, b, kind, score in divergences.select("claim_a", "claim_b", "kind", "score").iter_rows():
        weak = kind == "framing" and score < config.framed_strength
        kinds[(a, b)].add("reworded" if weak else kind)
    languages = {d: base(lang) for d, lang in (languages or {}).items()}
    rel = []
    rows = claim_pairs.select("claim_a", "claim_b", "doc_a", "doc_b", "score").iter_rows()
    for a, b, doc_a, doc_b, score in rows:
        found = kinds.get((a, b), set())
        if "framing" in found and belief(score, config) < LOOSE_PAIR:
            found = (found - {"framing"}) | {"reworded"}
        relation = _relation_of(frozenset(found))
        if relation == "same" and across_languages(languages.get(doc_a), languages.get(doc_b)):
            relation = "aligned"  # told in two languages: the wording was not compared
        rel.append(relation)
    return claim_pairs.with_columns(pl.Series("relation", rel, dtype=pl.String))


@lru_cache(maxsize=256)  # a few dozen sets of kinds, asked once per pair
def _relation_of(kinds: frozenset[str]) -> str:
    return relation_of(kinds)


def belief(pair_score: float | None, config: DivergeConfig) -> float:
    """How far a difference on this pair can be believed: min(1, score / certain_pair_score)."""
    return min(1.0, (pair_score or config.certain_pair_score) / config.certain_pair_score)


__all__ = [
    "DIVERGENCES_SCHEMA",
    "KINDS",
    "RELATIONS",
    "TERM_CONTRASTS_SCHEMA",
    "DivergeConfig",
    "compare_claims",
    "diverge",
    "parse_number",
    "rate_omissions",
    "relation_of",
    "relations",
    "term_contrasts",
    "terms",
]
