"""Facts that cannot both hold: the `number`, `entity` and `negation` kinds, and the numbers of
two claims in two languages (`numbers_across`)."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from functools import lru_cache

from compare.diverge.claim import Claim
from compare.diverge.config import SALIENCE, DivergeConfig
from compare.diverge.entities import Mention, same_entity
from compare.diverge.evidence import Finding, dedupe, quote
from compare.diverge.lexicon import WORD, Span, function_word, lex
from compare.diverge.numbers import Quantity


def across_languages(x: str | None, y: str | None) -> bool:
    """Two claims in two known languages: their wording is not compared, only their numbers."""
    return bool(x and y and x != y)


def numbers_across(a: Claim, b: Claim) -> Finding | None:
    """Numbers of two claims in two languages, compared by value: days and months, years,
    percentages, and amounts when each side has exactly one (what a count counts cannot be
    compared across languages). A kind conflicts when both sides have it and share no value."""

    def keyed(c: Claim) -> dict[str, list[tuple[Quantity, object]]]:
        out = defaultdict(list)
        for q in c.quantities:
            if q.kind == "date":
                out["date"].append((q, q.value[:2]))
                if q.value[2]:
                    out["year"].append((q, q.value[2]))
            elif q.kind in ("year", "percent"):
                out[q.kind].append((q, q.value))
            else:
                out["amount"].append((q, float(q.value)))  # counts and sums of money
        return out

    ka, kb = keyed(a), keyed(b)
    xs, ys = [], []
    for kind in ("date", "year", "percent", "amount"):
        qa, qb = ka.get(kind, []), kb.get(kind, [])
        if not qa or not qb or (kind == "amount" and (len(qa) > 1 or len(qb) > 1)):
            continue
        if {v for _, v in qa} & {v for _, v in qb}:
            continue
        xs += [(q.start, q.end, q.text) for q, _ in qa]
        ys += [(q.start, q.end, q.text) for q, _ in qb]
    if not xs:
        return None
    xs, ys = dedupe(xs), dedupe(ys)
    reason = f"number: {a.label} {quote(xs)} vs {b.label} {quote(ys)}"
    return "number", 1.0, reason, xs, ys, SALIENCE["number"]


def number_finding(a: Claim, b: Claim) -> Finding | None:
    def norm(q: Quantity):
        if q.kind == "date":
            return ("date", q.value[:2])
        return (q.kind, q.value)

    va = {norm(q) for q in a.quantities} | _years(a)
    vb = {norm(q) for q in b.quantities} | _years(b)
    ua = [q for q in a.quantities if norm(q) not in vb]
    ub = [q for q in b.quantities if norm(q) not in va]
    conflicts = []
    for x in ua:
        for y in ub:
            if x.kind != y.kind:
                continue
            if x.kind == "count" and not x.head & y.head:
                continue  # counts of different things are no conflict
            if x.kind == "date" and x.value[2] and y.value[2] and x.value[:2] == y.value[:2]:
                continue
            conflicts.append((x, y))
    # A year written inside a full date on one side and alone on the other: compare years too.
    for x in a.quantities:
        for y in b.quantities:
            ya, yb = _year_of(x), _year_of(y)
            if ya and yb and ya != yb and (x.kind == "year" or y.kind == "year"):
                conflicts.append((x, y))
    if not conflicts:
        return None
    xs = dedupe([(x.start, x.end, x.text) for x, _ in conflicts])
    ys = dedupe([(y.start, y.end, y.text) for _, y in conflicts])
    reason = f"number: {a.label} {quote(xs)} vs {b.label} {quote(ys)}"
    return "number", 1.0, reason, xs, ys, SALIENCE["number"]


def _years(c: Claim) -> set:
    return {("year", q.value[2]) for q in c.quantities if q.kind == "date" and q.value[2]}


def _year_of(q: Quantity) -> int | None:
    if q.kind == "year":
        return q.value
    if q.kind == "date":
        return q.value[2]
    return None


def entity_finding(a: Claim, b: Claim, links) -> Finding | None:
    # A capitalised word the other text writes in lower case is a headline's Title Case, not a
    # name ("Woman Bit By Scorpion" vs "a woman was stung").
    ma = [x for x in a.mentions if x.type != "name" or not common_in(x.text, b.doc_text)]
    mb = [y for y in b.mentions if y.type != "name" or not common_in(y.text, a.doc_text)]
    if not ma or not mb:
        return None  # (a shortcut: no mention unmatched on one side, no finding)
    ua = [x for x in ma if not any(same_entity(x, y, links) for y in b.mentions)]
    if not ua:
        return None
    ub = [y for y in mb if not any(same_entity(x, y, links) for x in a.mentions)]
    best = None
    for x in ua:
        for y in ub:
            if not _compatible(x, y):
                continue
            # The same slot: the same word before ("in Beijing" / "in Moscow"); at the start of
            # the sentence, the same word after as well ("Qin met" / "Wang met").
            if x.left != y.left or (x.left == "^" and x.right != y.right):
                continue
            score = 1.0 if x.type == y.type else 0.7
            if best is None or score > best[0]:
                best = (score, x, y)
    if best is None:
        return None
    score, x, y = best
    reason = f'entity: {a.label} "{x.text}" vs {b.label} "{y.text}" in the same place'
    ev_a, ev_b = [(x.start, x.end, x.text)], [(y.start, y.end, y.text)]
    return "entity", score, reason, ev_a, ev_b, round(SALIENCE["entity"] * score, 3)


@lru_cache(maxsize=4096)  # bounded like `_lower_words`: each key holds a document's text
def common_in(mention: str, doc_text: str) -> bool:
    """Most of the mention's words occur in lower case in `doc_text`."""
    words = [w.lower() for w in WORD.findall(mention) if not function_word(w.lower())]
    if not words:
        return True
    lower = _lower_words(doc_text)
    return sum(w in lower for w in words) * 2 > len(words)


@lru_cache(maxsize=4096)
def _lower_words(doc_text: str) -> frozenset[str]:
    return frozenset(w for w in WORD.findall(doc_text) if w.islower())


def _compatible(x: Mention, y: Mention) -> bool:
    if x.type == y.type:
        return True
    return "name" in (x.type, y.type) and "actor" not in (x.type, y.type)


def negation_finding(a: Claim, b: Claim, config: DivergeConfig) -> Finding | None:
    """One side negates what the other asserts. A claim reads as negated when one of its clauses
    holds an odd number of negation cues that bear on what both claims say (`_scoped_negations`),
    so "did not meet" vs "met" fires, "not ... not" reads as positive, two denials in two
    clauses stay a denial, and a "not" about something the other claim never mentions is silent."""
    ca, cb = _scoped_negations(a, b, config), _scoped_negations(b, a, config)
    opposite = _antonyms(a, b)
    if bool(ca) == bool(cb):
        if not opposite:
            return None
        ea, eb = opposite
        reason = f"negation: {a.label} says {quote(ea)} where {b.label} says {quote(eb)}"
        return ("negation", 1.0, reason, ea, eb, SALIENCE["negation"])
    if opposite:
        return None  # "not dead" vs "alive": the negation and the opposite word cancel
    neg, pos = (a, b) if ca else (b, a)
    cues = ca or cb
    reason = f"negation: {neg.label} says {quote(cues)}, {pos.label} does not"
    return ("negation", 1.0, reason, ca, cb, SALIENCE["negation"])


def _antonyms(a: Claim, b: Claim) -> tuple[list[Span], list[Span]] | None:
    """A word on one side whose opposite (negation.yaml's antonyms: "alive" / "dead") is on the
    other, neither side having both."""
    ka, kb = a.keys, b.keys
    for x, y in lex().antonyms:
        for u, v in ((x, y), (y, x)):
            if u in ka and v in kb and u not in kb and v not in ka:
                ea = [(s, e, a.text[s:e]) for s, e, k in a.words if k == u]
                eb = [(s, e, b.text[s:e]) for s, e, k in b.words if k == v]
                return ea, eb
    return None


_CLAUSE_BREAK = re.compile(r"[,;:.!?—–()\"“”]|\s-\s|\b(?:but|while|although|though|whereas)\b")


def _scoped_negations(x: Claim, y: Claim, config: DivergeConfig) -> list[Span]:
    """The negation cues of `x` that bear on what `y` says, in the clauses of `x` they leave
    negated (an odd number of them). A refuter ("denied", "hoax", "not true") bears on what it
    denies: its clause and the rest of the claim after it, and counts when those share at least
    `denial_overlap` words with `y`. A negator ("not", "never") bears on the predicate that follows
    it in its clause: the next `negation_reach` content words, looking through words that pass the
    negation on ("did not plan to separate" negates "separate"); it counts when one of them is a
    word `y` has. "not only" is no negation."""
    if not x.negations:
        return []
    L = lex()
    base = L.base_form
    ky = y.base_keys
    shared = x.base_keys & ky
    # "not dead" bears on "alive" on the other side: the opposite word counts as shared.
    shared |= {u for u, v in L.antonyms if v in ky} | {v for u, v in L.antonyms if u in ky}
    cuts = [m.start() for m in _CLAUSE_BREAK.finditer(x.text)]
    by_clause: dict[int, list[Span]] = defaultdict(list)
    for start, end, cue in x.negations:
        word = cue.lower().replace("’", "'")
        rest = x.text[end:]
        if word == "not" and re.match(r"\s+only\b", rest, re.IGNORECASE):
            continue
        clause = bisect_right(cuts, start)
        refutes = word in L.refuters or (
            (word in L.negators or word.endswith("n't"))
            and (m := re.match(r"\s+(?:(?:be|been|being)\s+)?([a-z]+)", rest, re.IGNORECASE))
            and m.group(1).lower() in L.refuted_by_not
        )
        if refutes:
            # A denial bears on what it denies: its clause and what follows ("denied reports
            # that X", "reports that X are false"); it counts when that shares enough with `y`.
            begin = cuts[clause - 1] if clause else 0
            denied = {base.get(k, k) for s, _, k in x.words if s >= begin}
            if len(denied & shared) >= config.denial_overlap:
                by_clause[clause].append((start, end, cue))
            continue
        stop = cuts[clause] if clause < len(cuts) else len(x.text)
        head = []
        for s, _, key in x.words:
            if s < end or s >= stop:
                continue
            head.append(base.get(key, key))
            if key not in L.pass_negation and len(head) >= config.negation_reach:
                break
        if set(head) & shared:
            by_clause[clause].append((start, end, cue))
    return sorted(c for cues in by_clause.values() if len(cues) % 2 for c in cues)
