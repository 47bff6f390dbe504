"""What diverge records and when: the output schemas, the seven kinds and their thresholds."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

DIVERGENCES_SCHEMA = {
    "event_id": pl.String,
    "claim_a": pl.String,
    "claim_b": pl.String,
    "kind": pl.String,
    "score": pl.Float64,
    "reason": pl.String,
    "evidence_a": pl.String,  # JSON list of [start, end, text] spans in claim_a's text
    "evidence_b": pl.String,
    "salience": pl.Float64,  # in [0, 1]
}
TERM_CONTRASTS_SCHEMA = {
    "event_id": pl.String,
    "doc_id": pl.String,
    "term": pl.String,
    "count": pl.Int32,
    "log_odds": pl.Float64,
    "z": pl.Float64,
}
KINDS = ("reworded", "speaker", "number", "entity", "hedging", "negation", "emphasis")


@dataclass(frozen=True)
class DivergeConfig:
    """When a difference is material enough to record. Only negation_window was chosen on eval
    data (FNC-1 DEV, below); the others are set by reading, since BASIL's labels do not follow any
    of them (every kind flags its bias sentences at about the base rate, see evaluate/basil.py)."""

    # Reworded when the Dice overlap of content words (aliases, titles and numbers normalised) is
    # below this and both sides have words of their own; above it the wording is the same.
    reworded_max_overlap: float = 0.8
    # A negator bears on a shared content word at most this many words on, in its clause.
    # FNC-1 DEV conflict ratio (disagree/agree): 8 -> 2.10, 10 -> 2.09, 12 -> 2.07, 6 -> 1.83,
    # no clause limit 1.99, no scope at all 1.60.
    negation_window: int = 8
    lead: float = 0.2  # emphasis: a claim starting in the first 20% of its text is in the lead ...
    late: float = 0.5  # ... and one starting beyond the first half is not
    share_ratio: float = 3.0  # emphasis: one text gives the fact >= 3x the share of the other ...
    share_gap: float = 0.10  # ... and at least 10 points more of its text
    top_terms: int = 30  # term contrasts kept per document (highest z)
    prior_scale: float = 1.0  # Dirichlet prior = prior_scale x the event's pooled counts
