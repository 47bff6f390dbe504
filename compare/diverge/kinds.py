"""Two aligned claims -> findings, one per kind of divergence: reworded, speaker, number, entity,
hedging, negation, emphasis (kind, score, reason, evidence spans in each claim)."""

from __future__ import annotations

import re
from functools import lru_cache

from compare.diverge.claim import Claim
from compare.diverge.config import DivergeConfig
from compare.diverge.entities import Mention, same_entity
from compare.diverge.lexicon import WORD, Span, fold, function_word, lex
from compare.diverge.numbers import Quantity
from compare.text import STOPWORDS, verb_stem

Finding = tuple[str, float, str, list[Span], list[Span]]


def compare_claims(
    a: Claim,
    b: Claim,
    links: dict[str, set[str]],
    config: DivergeConfig | None = None,
    shares: tuple[float, float] | None = None,
) -> list[Finding]:
    """Every kind of divergence between two aligned claims, as (kind, score, reason, ev_a, ev_b)."""
    config = config or DivergeConfig()
    found = [
        _reworded(a, b, config),
        _speaker(a, b, links),
        _numbers(a, b),
        _entities(a, b, links),
        _hedging(a, b),
        _negation(a, b, config.negation_window),
        _emphasis(a, b, config, shares),
    ]
    return [f for f in found if f is not None]


def _reworded(a: Claim, b: Claim, config: DivergeConfig) -> Finding | None:
    keys_a = {k for *_, k in a.words}
    keys_b = {k for *_, k in b.words}
    if not keys_a or not keys_b:
        return None
    dice = 2 * len(keys_a & keys_b) / (len(keys_a) + len(keys_b))
    only_a = [w for w in a.words if w[2] not in keys_b]
    only_b = [w for w in b.words if w[2] not in keys_a]
    if dice >= config.reworded_max_overlap or not only_a or not only_b or not keys_a & keys_b:
        return None
    ev_a, ev_b = _phrases(a.text, only_a), _phrases(b.text, only_b)
    reason = f"reworded: {a.label} {_quote(ev_a)} vs {b.label} {_quote(ev_b)}"
    return "reworded", 1 - dice, reason, ev_a, ev_b


def _phrases(text: str, words) -> list[Span]:
    """Merge unique content words into phrases across gaps of at most 3 function words (a shared
    content word or a punctuation mark ends a phrase)."""
    spans: list[list[int]] = []
    for start, end, _ in sorted(words):
        if spans:
            gap = text[spans[-1][1] : start]
            between = WORD.findall(gap)
            if (
                len(between) <= 3
                and all(function_word(w.lower()) for w in between)
                and not re.search(r"[.;:!?\"“”()]", gap)
            ):
                spans[-1][1] = max(spans[-1][1], end)
                continue
        spans.append([start, end])
    return [(s, e, text[s:e]) for s, e in spans]


def _quote(spans: list[Span], limit: int = 2) -> str:
    """The `limit` longest spans, in text order, quoted and shortened."""
    longest = sorted(sorted(spans, key=lambda s: s[0] - s[1])[:limit])
    parts = [f'"{_short(t)}"' for *_, t in longest]
    more = " …" if len(spans) > limit else ""
    return ", ".join(parts) + more if parts else "(nothing)"


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def speaker_key(speaker: str | None) -> tuple[str, frozenset[str]] | None:
    """(actor id or '', remaining content words) of a speaker phrase; None for the own voice."""
    if not speaker:
        return None
    L = lex()
    actor = ""
    m = L.actor_re.search(speaker)
    if m:
        actor = L.actor_of[fold(m.group())][0]
        speaker = speaker[: m.start()] + " " + speaker[m.end() :]
    words = []
    for w in WORD.findall(speaker):
        low = w.lower().replace("’", "'")
        low = low.removesuffix("'s")
        if low in STOPWORDS or low.rstrip(".") in L.honorifics or low in {"side", "sides"}:
            continue
        words.append(verb_stem(low))
    return actor, frozenset(words)


def same_speaker(x: str | None, y: str | None, links: dict[str, set[str]] | None = None) -> bool:
    """Lenient: same actor ('Beijing' = 'the Chinese side'), one phrase inside the other ('the
    ministry' = 'the foreign ministry'), the same surname, or a title the text links to the name."""
    kx, ky = speaker_key(x), speaker_key(y)
    if kx is None or ky is None:
        return kx is None and ky is None
    (ax, wx), (ay, wy) = kx, ky
    if ax and ay and ax != ay:
        return False
    if ax and ay and (not wx or not wy):
        return True  # "Beijing" and "China's foreign ministry"
    if not wx or not wy:
        return ax == ay and bool(ax)
    if wx <= wy or wy <= wx:
        return True
    for role, names in (links or {}).items():
        rw = frozenset(verb_stem(w) for w in role.split())
        for name in names:
            nw = frozenset(verb_stem(w) for w in name.split())
            if (rw <= wx and (nw & wy)) or (rw <= wy and (nw & wx)):
                return True
    return False


def _vague(speaker: str | None) -> bool:
    words = [w.lower() for w in WORD.findall(speaker or "")]
    words = [w for w in words if w not in {"the", "a", "an"}]
    return bool(speaker) and all(w in lex().vague_speakers for w in words)


def _speaker(a: Claim, b: Claim, links) -> Finding | None:
    sa, sb = a.speaker, b.speaker
    if _vague(sa) or _vague(sb):
        return None  # "They said", "the sides noted": nobody in particular to compare
    if not sa and not sb:
        return None
    if sa and sb:
        chain_a = [s for s in (sa, a.subject) if s]
        chain_b = [s for s in (sb, b.subject) if s]
        if any(same_speaker(x, y, links) for x in chain_a for y in chain_b):
            return None
        reason = f'speaker: {a.label} attributes it to "{_short(sa)}", {b.label} to "{_short(sb)}"'
        return "speaker", 1.0, reason, _spans(a.text, sa), _spans(b.text, sb)
    own, other = (a, b) if not sa else (b, a)
    who = other.speaker
    # The other text quoting this very source is expected (a wire quoting a readout): lower score.
    itself = same_speaker(who, own.source, links) or _within(who, own.source)
    if other.subject and same_speaker(other.subject, own.source, links):
        itself = True
    score = 0.5 if itself else 1.0
    note = " (the source itself)" if itself else ""
    reason = (
        f"speaker: {own.label} says it in its own voice, {other.label} attributes it to"
        f' "{_short(who)}"{note}'
    )
    ev_own, ev_other = [], _spans(other.text, who)
    return ("speaker", score, reason, *((ev_own, ev_other) if own is a else (ev_other, ev_own)))


def _within(speaker: str, label: str) -> bool:
    ks, kl = speaker_key(speaker), speaker_key(label)
    return bool(ks and kl and ks[1] and ks[1] <= kl[1] and (not ks[0] or ks[0] == kl[0]))


def _spans(text: str, phrase: str | None) -> list[Span]:
    if not phrase:
        return []
    i = text.find(phrase)
    return [(i, i + len(phrase), phrase)] if i >= 0 else []


def _numbers(a: Claim, b: Claim) -> Finding | None:
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
    xs = _dedupe([(x.start, x.end, x.text) for x, _ in conflicts])
    ys = _dedupe([(y.start, y.end, y.text) for _, y in conflicts])
    reason = f"number: {a.label} {_quote(xs)} vs {b.label} {_quote(ys)}"
    return "number", 1.0, reason, xs, ys


def _years(c: Claim) -> set:
    return {("year", q.value[2]) for q in c.quantities if q.kind == "date" and q.value[2]}


def _year_of(q: Quantity) -> int | None:
    if q.kind == "year":
        return q.value
    if q.kind == "date":
        return q.value[2]
    return None


def _dedupe(spans: list[Span]) -> list[Span]:
    return sorted(set(spans))


def _entities(a: Claim, b: Claim, links) -> Finding | None:
    # A capitalised word the other text writes in lower case is a headline's Title Case, not a
    # name ("Woman Bit By Scorpion" vs "a woman was stung").
    ma = [x for x in a.mentions if x.type != "name" or not _common_in(x.text, b.doc_text)]
    mb = [y for y in b.mentions if y.type != "name" or not _common_in(y.text, a.doc_text)]
    ua = [x for x in ma if not any(same_entity(x, y, links) for y in b.mentions)]
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
    return "entity", score, reason, [(x.start, x.end, x.text)], [(y.start, y.end, y.text)]


def _common_in(mention: str, doc_text: str) -> bool:
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


def _hedging(a: Claim, b: Claim) -> Finding | None:
    def words(spans):
        return {t.lower() for *_, t in spans}

    ha, hb = words(a.hedges) - words(b.hedges), words(b.hedges) - words(a.hedges)
    ta, tb = words(a.tentative) - words(b.tentative), words(b.tentative) - words(a.tentative)
    fa, fb = words(a.firm) - words(b.firm), words(b.firm) - words(a.firm)
    for hedged, firm, h, t, f in ((a, b, ha, ta, fb), (b, a, hb, tb, fa)):
        if h and not (words(firm.hedges) - words(hedged.hedges)):
            score = 1.0 if f else 0.6
            ev_h = [s for s in hedged.hedges if s[2].lower() in h]
            ev_f = [s for s in firm.firm if s[2].lower() in f]
            return _hedge_finding(a, hedged, firm, ev_h, ev_f, score)
        if t and f:
            ev_h = [s for s in hedged.tentative if s[2].lower() in t]
            ev_f = [s for s in firm.firm if s[2].lower() in f]
            return _hedge_finding(a, hedged, firm, ev_h, ev_f, 0.8)
    return None


def _hedge_finding(a, hedged, firm, ev_h, ev_f, score) -> Finding:
    reason = f"hedging: {hedged.label} hedges {_quote(ev_h)}"
    reason += f", {firm.label} is firm {_quote(ev_f)}" if ev_f else f", {firm.label} does not"
    return ("hedging", score, reason, *((ev_h, ev_f) if hedged is a else (ev_f, ev_h)))


def _negation(a: Claim, b: Claim, window: int = 8) -> Finding | None:
    """Polarity = parity of the negation cues that bear on what both claims say, so "did not
    meet" vs "met" fires, "not ... not" reads as positive, and a "not" about something the other
    claim never mentions stays silent."""
    ca, cb = _scoped_negations(a, b, window), _scoped_negations(b, a, window)
    if len(ca) % 2 == len(cb) % 2:
        return None
    neg, pos = (a, b) if len(ca) % 2 else (b, a)
    cues = ca if neg is a else cb
    reason = f"negation: {neg.label} says {_quote(cues)}, {pos.label} does not"
    return ("negation", 1.0, reason, ca, cb)


_CLAUSE_BREAK = re.compile(r"[,;:.!?—–()\"“”]|\s-\s|\b(?:but|while|although|though|whereas)\b")


def _scoped_negations(x: Claim, y: Claim, window: int) -> list[Span]:
    """A refuter ("denied", "hoax") bears on the whole claim; a negator ("not", "never") on what
    follows it in its clause, and counts when a content word shared with `y` comes within
    `window` words of it. "not only" is no negation."""
    shared = {k for *_, k in x.words} & {k for *_, k in y.words}
    starts = [s for s, _, k in x.words if k in shared]
    refuters = lex().refuters
    out = []
    for start, end, cue in x.negations:
        word = cue.lower().replace("’", "'")
        if word in refuters:
            out.append((start, end, cue))
            continue
        if word == "not" and re.match(r"\s+only\b", x.text[end:], re.IGNORECASE):
            continue
        after = [p for p in starts if p > start]
        if not after:
            continue
        gap = x.text[end : min(after)]
        if len(WORD.findall(gap)) <= window and not _CLAUSE_BREAK.search(gap):
            out.append((start, end, cue))
    return out


def _emphasis(a: Claim, b: Claim, config: DivergeConfig, shares) -> Finding | None:
    findings = []
    pa, pb = a.rel_pos, b.rel_pos
    if (pa < config.lead <= config.late <= pb) or (pb < config.lead <= config.late <= pa):
        early, late = (a, b) if pa < pb else (b, a)
        findings.append(
            (
                abs(pa - pb),
                f"{early.label} leads with it ({early.rel_pos:.0%} in), {late.label} has it"
                + f" {late.rel_pos:.0%} into its text",
            )
        )
    if shares:
        sa, sb = shares
        hi, lo = max(sa, sb), min(sa, sb)
        if hi - lo >= config.share_gap and hi >= config.share_ratio * lo:
            big, small = (a, b) if sa >= sb else (b, a)
            findings.append(
                (hi - lo, f"{big.label} gives it {hi:.0%} of its text, {small.label} {lo:.0%}")
            )
    if not findings:
        return None
    score = min(1.0, max(s for s, _ in findings))
    reason = "emphasis: " + "; ".join(r for _, r in findings)
    return "emphasis", score, reason, [(0, len(a.text), a.text)], [(0, len(b.text), b.text)]
