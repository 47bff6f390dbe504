"""One claim row and its document -> `Claim`: what the claim says (quantities, mentions, content
words, hedges, negation cues), read once per distinct text (and the one bit of its document that
reading depends on, `named_opener`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from compare.diverge.diff import diff_words
from compare.diverge.entities import Mention, named_opener, text_mentions
from compare.diverge.lexicon import WORD, Span, lex
from compare.diverge.numbers import Quantity, neutral_quantities, quantities
from compare.diverge.words import content_words
from compare.lang import base
from compare.text import LABEL_WIDTH, cut_words


@dataclass
class Claim:
    id: str
    doc_id: str
    label: str  # the document's source label, shortened, for reasons
    source: str  # the full label, to tell whether a speaker is this source itself
    text: str
    speaker: str | None
    subject: str | None
    rel_pos: float  # where the claim starts in its document, 0 = first character
    doc_text: str = ""
    lang: str | None = None  # the document's language ('zh', 'en'), None when unknown
    named_opener: bool = False  # the document writes the text's opening word as a name
    words: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, match key)
    mentions: list[Mention] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    hedges: list[Span] = field(default_factory=list)
    tentative: list[Span] = field(default_factory=list)
    firm: list[Span] = field(default_factory=list)
    negations: list[Span] = field(default_factory=list)
    # Read once per claim, not once per pair it is in:
    keys: frozenset[str] = frozenset()  # the match keys of `words`
    base_keys: frozenset[str] = frozenset()  # the same, irregular verb forms as their base form
    diff_words: tuple = ()  # `words` as the word diff compares them (`diff.diff_words`)


def analyse(row: dict, doc: dict) -> Claim:
    text = row["text"]
    doc_text = doc.get("text") or ""
    claim = Claim(
        id=row["claim_id"],
        doc_id=row["doc_id"],
        label=_label(doc),
        source=doc.get("source") or doc.get("title") or doc["doc_id"],
        text=text,
        speaker=row.get("speaker"),
        subject=row.get("reported_subject"),
        rel_pos=(row["char_start"] / len(doc_text)) if doc_text else 0.0,
        doc_text=doc_text,
        lang=base(doc.get("lang")),
        named_opener=named_opener(text, doc_text),
    )
    (
        claim.quantities,
        claim.mentions,
        claim.words,
        claim.hedges,
        claim.tentative,
        claim.firm,
        claim.negations,
        claim.keys,
        claim.base_keys,
    ) = read(text, claim.lang in (None, "en"), claim.named_opener)
    claim.diff_words = _diff_words(
        text, claim.lang in (None, "en"), claim.named_opener, claim.speaker
    )
    return claim


@lru_cache(maxsize=65536)
def _diff_words(text: str, english: bool, named_opener: bool, speaker: str | None) -> tuple:
    return diff_words(text, speaker, read(text, english, named_opener)[2])


@lru_cache(maxsize=65536)
def read(text: str, english: bool, named_opener: bool) -> tuple:
    """What a claim's text says, cached: the same sentence recurs in many documents (wire copy).
    Numbers are read with English words for English (or unknown) text, else language-neutrally;
    `named_opener` is what the document tells of the opening word (`entities.named_opener`). The
    lists are shared: read them, never change them."""
    quants = quantities(text) if english else neutral_quantities(text)
    ments = text_mentions(text, named_opener)
    taken = [(q.start, q.end) for q in quants]
    low = text.lower()
    L = lex()
    words = content_words(text, ments, quants)
    keys = frozenset(k for *_, k in words)
    return (
        quants,
        ments,
        words,
        [h for h in _free(_finds(L.hedge_re, low, text), taken) if h[2] != "May" or h[0] == 0],
        _finds(L.tentative_re, low, text),
        _finds(L.firm_re, low, text),
        negation_cues(text),
        keys,
        frozenset(L.base_form.get(k, k) for k in keys),
    )


def _label(doc: dict) -> str:
    """The document's `label`, else its source cut at the end on a word boundary."""
    if doc.get("label"):
        return doc["label"]
    return cut_words(doc.get("source") or doc.get("title") or doc["doc_id"], LABEL_WIDTH)


def _finds(pattern: re.Pattern, low: str, text: str) -> list[Span]:
    return [(m.start(), m.end(), text[m.start() : m.end()]) for m in pattern.finditer(low)]


def _free(spans: list[Span], taken: list[tuple[int, int]]) -> list[Span]:
    return [s for s in spans if not any(a < s[1] and s[0] < b for a, b in taken)]


def negation_cues(text: str) -> list[Span]:
    if not _may_hold_negation(text):
        return []  # a shortcut, the same answer: most sentences hold no negation
    L = lex()
    out = []
    for m in WORD.finditer(text):
        word = m.group().lower().replace("’", "'")
        if word in L.negators or word in L.refuters or word.endswith("n't"):
            out.append((m.start(), m.end(), m.group()))
    return out


_ALNUM = re.compile(r"[a-z0-9]+")


def _may_hold_negation(text: str) -> bool:
    """False only when no word of `text` is a negation cue: ASCII text (where a word's lower case
    is a piece of the text's) with no "n't" and no whole run of letters and digits that is a
    negator or refuter (WORD takes every letter and digit next to a word; the cue words are
    such runs, `_cue_words`)."""
    cues = _cue_words()
    if cues is None or not text.isascii():
        return True
    low = text.lower()
    return "n't" in low or any(w in cues for w in _ALNUM.findall(low))


@lru_cache(maxsize=1)
def _cue_words() -> frozenset[str] | None:
    """The negators and refuters, None if one of them is not a run of lower-case ASCII letters
    and digits (then `_may_hold_negation` cannot rule a text out)."""
    words = lex().negators | lex().refuters
    return words if all(_ALNUM.fullmatch(w) for w in words) else None
