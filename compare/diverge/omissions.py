"""Omissions (align's rows, salience NULL) -> the same rows with a salience in [0, 1] and a
one-line reason: what the missing statement holds, by a few weighted cues read off its text.

A position or stance ("supports", "internal affair"), a commitment ("will", "agreed", "stands
ready to"), a named actor and a number or date each add weight; a courtesy formula ("The
conversation was held in a friendly and trusting atmosphere.") with none of those is kept low.
The weights are set by reading, not fitted (see OMISSION_WEIGHTS).
"""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

from compare.diverge.claim import read
from compare.diverge.lexicon import _lexicon, _phrase_pattern
from compare.diverge.words import content_words
from compare.text import whole_words

OMISSION_WEIGHTS = {
    "base": 0.2,
    "position": 0.3,
    "commitment": 0.25,
    "actor": 0.1,  # per named actor, at most two
    "number": 0.2,
    "courtesy_max": 0.15,  # a courtesy formula with nothing else weighs at most this
    "short": -0.1,  # fewer than five content words
}


@lru_cache(maxsize=1)
def _cues() -> dict[str, re.Pattern]:
    boundary = r"(?<![\w.])(?:{})(?![\w])"
    cues = _lexicon("diverge")["omission_cues"]
    return {
        name: re.compile(boundary.format(_phrase_pattern(words))) for name, words in cues.items()
    }


@lru_cache(maxsize=65536)
def omission_salience(text: str) -> tuple[float, str]:
    """(salience, reason) of leaving out a statement with this text."""
    w = OMISSION_WEIGHTS
    low = text.lower()
    found = {name: pattern.search(low) for name, pattern in _cues().items()}
    # The text read as an English claim whose document says nothing of its opening word: the
    # mentions and quantities of `mentions(text)` and `quantities(text)`, most often read already.
    all_quants, ments, words = read(text, True, False)[:3]
    actors = sorted({m.text for m in ments if m.type in ("actor", "person", "name")})
    # "the two heads of state", "one": small counts are no figure a reader misses.
    quants = [q for q in all_quants if q.kind != "count" or abs(q.value or 0) > 2]
    score, parts = w["base"], []
    if found["position"]:
        score += w["position"]
        parts.append(f'a position ("{_word(text, found["position"])}")')
    if found["commitment"]:
        score += w["commitment"]
        parts.append(f'a commitment ("{_word(text, found["commitment"])}")')
    if actors:
        score += w["actor"] * min(2, len(actors))
        parts.append("names " + ", ".join(actors[:2]))
    if quants:
        score += w["number"]
        parts.append(f'a number or date ("{quants[0].text}")')
    if len(words if len(quants) == len(all_quants) else content_words(text, ments, quants)) < 5:
        score += w["short"]
    if found["courtesy"] and not (found["position"] or found["commitment"] or quants):
        score = min(score, w["courtesy_max"])
        reason = f'a courtesy formula ("{_word(text, found["courtesy"])}")'
    elif parts:
        reason = "leaves out " + "; ".join(parts)
    else:
        reason = "leaves out a statement with no position, commitment, name or number"
    return round(min(1.0, max(0.05, score)), 3), reason


def _word(text: str, match: re.Match) -> str:
    """The whole words a cue matched, as the claim spells them ("non" -> "non-interference")."""
    spelled = text if len(text) == len(match.string) else match.string  # lower() kept offsets
    start, end = whole_words(spelled, match.start(), match.end())
    return spelled[start:end]


def rate_omissions(claims: pl.DataFrame, omissions: pl.DataFrame) -> pl.DataFrame:
    """`omissions` with `salience` set and a `reason` column (one line per row)."""
    text_of = dict(zip(claims["claim_id"].to_list(), claims["text"].to_list()))
    rated = [omission_salience(text_of.get(c) or "") for c in omissions["claim_id"].to_list()]
    return omissions.with_columns(
        pl.Series("salience", [s for s, _ in rated], dtype=pl.Float64),
        pl.Series("reason", [r for _, r in rated], dtype=pl.String),
    )
