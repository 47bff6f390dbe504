"""A claim's content words -> (start, end, match key): actors, titles and quantities by their
canonical value, other words by `compare.text.verb_stem`; two claims' words -> their diff."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from compare.diverge.entities import Mention
from compare.diverge.lexicon import WORD, fold, function_word, lex
from compare.diverge.numbers import Quantity
from compare.text import verb_stem

if TYPE_CHECKING:
    from compare.diverge.claim import Claim


def content_words(text: str, ments: list[Mention], quants: list[Quantity]):
    """(start, end, key) of each content word: actors by canonical id, titles by canonical title,
    quantities by value (a date by month and day), other words lightly stemmed."""
    L = lex()
    out = []
    spans = [(m.start, m.end, m.key) for m in ments if m.type == "actor"]
    spans += [(q.start, q.end, f"{q.kind}={_value_key(q)}") for q in quants]
    for m in L.title_re.finditer(text):
        if not any(a < m.end() and m.start() < b for a, b, _ in spans):
            spans.append((m.start(), m.end(), f"title:{L.title_of[fold(m.group())]}"))
    for m in WORD.finditer(text):
        if any(a <= m.start() < b for a, b, _ in spans):
            continue
        word = m.group().lower()
        if function_word(word):
            continue
        out.append((m.start(), m.end(), verb_stem(word)))
    out += spans
    return sorted(out)


def _value_key(q: Quantity):
    return q.value[:2] if q.kind == "date" else q.value


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


def _diff_words(c: Claim) -> list[tuple[int, int, str]]:
    """The claim's content words minus its speaker phrase and attribution verbs."""
    i = c.text.find(c.speaker) if c.speaker else -1
    skip = [(i, i + len(c.speaker), c.speaker)] if i >= 0 else []
    out = []
    for start, end, key in c.words:
        if key in _ATTRIBUTION or any(s <= start < e for s, e, _ in skip):
            continue
        out.append((start, end, _spelling(key)))
    return out


def word_diff(a: Claim, b: Claim) -> dict:
    """What changed between two claims' content words (difflib on the normalised keys; a word
    that only moved is unchanged): `subs` are replaced runs [(words of a, words of b)], `added_a`
    / `added_b` words one side has in a run the other side has nothing for."""
    wa, wb = _diff_words(a), _diff_words(b)
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
