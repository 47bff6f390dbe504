"""Two claims' content words -> what changed between them (difflib on the normalised keys)."""

from __future__ import annotations

from difflib import SequenceMatcher
from functools import lru_cache
from typing import Protocol

from compare.text import verb_stem


class Claim(Protocol):
    """What the diff reads of a `claim.Claim` (which imports `diff_words` from here)."""

    diff_words: tuple[tuple[int, int, str], ...]


# Words that say who speaks, not what is said: dropped from the diff (the speaker kind has them).
_ATTRIBUTION = frozenset(
    verb_stem(w)
    for w in [
        "say",
        "said",
        "says",
        "added",
        "adds",
        "stated",
        "states",
        "told",
        "tells",
        "noted",
        "notes",
        "statement",
        "readout",
        "according",
        "remarks",
    ]
)


def _spelling(key: str) -> str:
    """British and American spelling as one key (neighbour / neighbor)."""
    if len(key) > 5 and key.endswith("our"):
        return key[:-3] + "or"
    return key


def diff_words(text: str, speaker: str | None, words) -> tuple[tuple[int, int, str], ...]:
    """A claim's content words minus its speaker phrase and attribution verbs: what `word_diff`
    compares (`Claim.diff_words`, read once per claim)."""
    i = text.find(speaker) if speaker else -1
    skip = [(i, i + len(speaker), speaker)] if i >= 0 else []
    out = []
    for start, end, key in words:
        if key in _ATTRIBUTION or any(s <= start < e for s, e, _ in skip):
            continue
        out.append((start, end, _spelling(key)))
    return tuple(out)


def word_diff(a: Claim, b: Claim) -> dict:
    """What changed between two claims' content words (difflib on the normalised keys; a word
    that only moved is unchanged): `subs` are replaced runs [(words of a, words of b)], `added_a`
    / `added_b` words one side has in a run the other side has nothing for."""
    return _diff(a.diff_words, b.diff_words)


@lru_cache(maxsize=1 << 14)
def _diff(wa: tuple, wb: tuple) -> dict:
    """`word_diff` of two claims' diff words, memoised: a wire copy's sentence meets the same
    rewording in several documents. The result is shared: read it, never change it."""
    ka, kb = [k for *_, k in wa], [k for *_, k in wb]
    sa, sb = set(ka), set(kb)
    subs, added_a, added_b = [], [], []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, ka, kb, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        ra = [w for w in wa[i1:i2] if w[2] not in sb]
        rb = [w for w in wb[j1:j2] if w[2] not in sa]
        if ra and rb:
            subs.append((ra, rb))
        else:
            added_a += ra
            added_b += rb
    shared = sa & sb
    return {
        "subs": subs,
        "added_a": added_a,
        "added_b": added_b,
        "keys_a": sa,
        "keys_b": sb,
        "contained_a": len(shared) / len(sa) if sa else 1.0,  # share of a's words b also has
        "contained_b": len(shared) / len(sb) if sb else 1.0,
    }
