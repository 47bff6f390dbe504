"""What diverge records and when: the output schemas, the kinds, relations, saliences, thresholds."""

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
# Ordered by how much they matter to a reader: conflicts first, rewordings last.
KINDS = ("number", "entity", "negation", "speaker", "hedging", "framing", "elaborated", "reworded")
# The relation of an aligned pair is the first of RELATIONS any of its kinds maps to, else `same`.
# `aligned`: two claims in two languages with no conflicting number: the wording was not compared.
RELATIONS = ("conflict", "framed", "elaborated", "reworded", "aligned", "same")
RELATION_OF_KIND = {
    "number": "conflict",
    "entity": "conflict",
    "negation": "conflict",
    "speaker": "reworded",  # who is credited, how firmly: rows of their own, no relation (issue 25)
    "hedging": "reworded",
    "framing": "framed",  # when it singles something out (`relations`)
    "elaborated": "elaborated",
    "reworded": "reworded",
}
# Salience in [0, 1]: how much a reader should care, set by reading (not fitted). Facts that cannot
# both hold first, then who is credited and how firmly or loadedly it is put, then added detail,
# then mere rewording (more for more changed words).
SALIENCE = {
    "number": 1.0,
    "entity": 0.9,
    "negation": 0.9,
    "speaker": 0.8,  # two different people credited
    "speaker_own_voice": 0.7,  # one text says it itself, the other credits someone else
    "hedging": 0.7,
    "framing_loaded": 0.7,
    "framing_distancing": 0.65,
    "framing_intensifiers": 0.55,
    "framing_connotation": 0.6,  # x min(1, |valence shift| / 4 + 0.5)
    "elaborated": 0.3,  # + 0.1 per added name or number, + 0.02 per added word ...
    "elaborated_max": 0.6,
    "reworded": 0.1,  # + reworded_per_change x the share of content words replaced
    "reworded_per_change": 0.4,
    "reworded_per_shift": 0.2,  # + this x min(1, |valence shift of the top substitution| / 4)
}


@dataclass(frozen=True)
class DivergeConfig:
    """When a difference is material enough to record. Only negation_reach was chosen on eval
    data (FNC-1 DEV, below); the others are set by reading, since BASIL's labels do not follow any
    of them (every kind flags its bias sentences at about the base rate, see evaluate/basil.py)."""

    # Elaborated when at least this share of one claim's content words (aliases, titles, numbers
    # normalised) is in the other claim and the other adds words of its own.
    elaborated_min_contained: float = 0.75
    # A negator bears on its predicate: this many content words after it in its clause (words
    # that pass the negation on, "has no plans to", not counted); it counts when one of them is
    # on the other side. FNC-1 DEV conflict ratio (disagree/agree, aligner of issue 12): 1 -> 2.39
    # (0.344 / 0.144), 2 -> 1.82, 3 -> 1.84; the earlier rule (a shared word within 8 words) 1.91.
    negation_reach: int = 1
    # A refuter ("denied", "hoax") bears on what it denies: its clause and what follows it must
    # share this many words with the other claim.
    denial_overlap: int = 1
    # A difference is only as believable as the alignment it rests on: a row's salience is scaled
    # by min(1, pair score / certain_pair_score): the pair's similarity (0.65 cosine + 0.35
    # lexical since issue 23; accepted pairs on the samples run from 0.25 to 0.85), so a weak pair
    # counts about half as much as one this strong (set by reading the sample events' pairs).
    certain_pair_score: float = 0.7
    # Framed by connotation when a substitution's valence shifts at least this much (VADER's
    # scale, -4 to 4; diverge/substitutions.py). BASIL DEV word-level lexical F1 (framing rows'
    # evidence): 1.0 -> 0.036, 1.5 -> 0.038, 2.0 -> 0.042, 2.5 -> 0.036.
    connotation_shift: float = 2.0
    # A connotation row makes its pair `framed` only from this strength (|valence shift| / 4, so
    # 0.75 is a shift of 3), and any framing row only on a firmly aligned pair (`relations`).
    # BASIL DEV framed_lift (share framed among pairs on an expert-marked lexical-bias sentence /
    # among the rest), firm pairs: shift 2.0 -> 1.81, 2.5 -> 2.03, 3.0 -> 2.11, 3.5 -> 1.94,
    # lexicon cues only 2.16; any pair: 1.57-1.74. A uniform bar on salience peaks once (0.50:
    # 2.03, 0.48: 1.71, 0.52: 1.81) and was not taken.
    framed_strength: float = 0.75
    top_terms: int = 30  # term contrasts kept per document (highest z)
    prior_scale: float = 1.0  # Dirichlet prior = prior_scale x the event's pooled counts
