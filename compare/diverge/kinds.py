"""Two aligned claims -> findings, one per kind of divergence, and the pair's one relation.

Kinds: reworded, elaborated, framing, speaker, number, entity, hedging, negation. Each finding is
(kind, score, reason, evidence in a, evidence in b, salience). The relation follows from the kinds
found, by precedence: conflict (number, entity, negation) > framed (framing) > elaborated >
reworded (reworded, speaker, hedging) > same (`relation_of`; `relations` in the package decides
which framing rows count)."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from functools import lru_cache
from importlib import resources

from compare.diverge.claim import Claim
from compare.diverge.config import RELATION_OF_KIND, RELATIONS, SALIENCE, DivergeConfig
from compare.diverge.diff import word_diff
from compare.diverge.entities import (
    Mention,
    official_sides,
    person_key,
    same_entity,
    same_name,
)
from compare.diverge.lexicon import WORD, Span, fold, function_word, lex
from compare.diverge.numbers import Quantity
from compare.diverge.substitutions import Substitution, loaded_words, substitutions
from compare.segment import reporting_verbs
from compare.text import STOPWORDS, cut_words, verb_stem

Finding = tuple[str, float, str, list[Span], list[Span], float]


def compare_claims(
    a: Claim,
    b: Claim,
    links: dict[str, set[str]],
    config: DivergeConfig | None = None,
) -> list[Finding]:
    """Every kind of divergence between two aligned claims, as
    (kind, score, reason, ev_a, ev_b, salience); no finding at all means the relation `same`."""
    config = config or DivergeConfig()
    if across_languages(a.lang, b.lang):
        found = _numbers_across(a, b)  # no English word list, stemmer or substitution
        return [found] if found else []
    diff = word_diff(a, b)
    runs = diff["subs"] + (
        [(diff["added_a"], diff["added_b"])] if diff["added_a"] or diff["added_b"] else []
    )
    subs = substitutions(a.text, b.text, runs)
    found = [
        _numbers(a, b),
        _entities(a, b, links),
        _negation(a, b, config),
        _speaker(a, b, links),
        _hedging(a, b),
        _framing(a, b) or _connotation(a, b, subs, config),
        _elaborated(a, b, diff, config),
        _reworded(a, b, diff, config, [s for s in subs if s.paired]),
    ]
    return [f for f in found if f is not None]


def across_languages(x: str | None, y: str | None) -> bool:
    """Two claims in two known languages: their wording is not compared, only their numbers."""
    return bool(x and y and x != y)


def _numbers_across(a: Claim, b: Claim) -> Finding | None:
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
    xs, ys = _dedupe(xs), _dedupe(ys)
    reason = f"number: {a.label} {_quote(xs)} vs {b.label} {_quote(ys)}"
    return "number", 1.0, reason, xs, ys, SALIENCE["number"]


def relation_of(kinds) -> str:
    """The pair's one relation from the kinds found on it: the first by precedence, else `same`."""
    found = {RELATION_OF_KIND[k] for k in kinds if k in RELATION_OF_KIND}
    return next((r for r in RELATIONS if r in found), "same")


def _elaborated(a: Claim, b: Claim, diff: dict, config: DivergeConfig) -> Finding | None:
    """One side adds detail the other lacks: the shorter side's words are mostly in the longer."""
    if diff["contained_a"] >= diff["contained_b"]:
        short, long_, side, added = a, b, 1, diff["added_b"]
    else:
        short, long_, side, added = b, a, 0, diff["added_a"]
    contained = max(diff["contained_a"], diff["contained_b"])
    words = sorted(added + [w for pair in diff["subs"] for w in pair[side]])
    frame = _attribution(long_, short)
    words = [w for w in words if w[0] not in frame]
    if contained < config.elaborated_min_contained or not words:
        return None
    if not diff["keys_a"] & diff["keys_b"]:
        return None
    ev = _phrases(long_.text, words)
    # Names and numbers weigh more than other added words.
    names = [w for w in words if long_.text[w[0] : w[0] + 1].isupper() or "=" in w[2]]
    salience = SALIENCE["elaborated"] + 0.1 * len(_phrases(long_.text, names)) + 0.02 * len(words)
    what = "names or numbers" if names else "detail"
    reason = f"elaborated: {long_.label} adds {what} {_quote(ev)} that {short.label} lacks"
    score = len(words) / (len(words) + len(diff["keys_a"] & diff["keys_b"]))
    evidence = (ev, []) if long_ is a else ([], ev)
    return (
        "elaborated",
        round(score, 4),
        reason,
        *evidence,
        round(min(SALIENCE["elaborated_max"], salience), 3),
    )


def _attribution(quoting: Claim, quoted: Claim) -> set[int]:
    """Start offsets of the words of `quoting` that only credit `quoted`'s own source ("In its
    readout of the talks, Moscow said" in a wire, for Moscow's readout): outside the quotation
    marks when it quotes, else the speaker and the reporting verb. Empty when it credits anyone
    else."""
    who = quoting.speaker
    if not who or not (
        same_speaker(who, quoted.source)
        or _within(who, quoted.source)
        or (_actor(who) and _actor(who) == _actor(quoted.source))
    ):
        return set()
    text = quoting.text
    quotes = [m.span() for m in re.finditer(r'"[^"]+"|“[^”]+”', text)]
    verbs = reporting_verbs()
    frame = set(_spans(text, who))
    return {
        m.start()
        for m in WORD.finditer(text)
        if (quotes and not any(s <= m.start() < e for s, e in quotes))
        or (
            not quotes
            and (m.group().lower() in verbs or any(s <= m.start() < e for s, e, _ in frame))
        )
    }


def _reworded(
    a: Claim, b: Claim, diff: dict, config: DivergeConfig, subs: list[Substitution]
) -> Finding | None:
    """The same point in other words. The evidence is the substitutions (`substitutions`), top
    first, evidence_a[i] standing for evidence_b[i]; without any, the replaced runs of words."""
    runs = diff["subs"]
    if not runs and diff["added_a"] and diff["added_b"]:
        runs = [(diff["added_a"], diff["added_b"])]  # dropped here, added there: a replacement
    if not runs or not diff["keys_a"] & diff["keys_b"]:
        return None
    if max(diff["contained_a"], diff["contained_b"]) >= config.elaborated_min_contained and not (
        diff["subs"] and all(x and y for x, y in diff["subs"])
    ):
        return None
    wa = [w for x, _ in runs for w in x]
    wb = [w for _, y in runs for w in y]
    changed = (len(wa) + len(wb)) / max(1, len(diff["keys_a"]) + len(diff["keys_b"]))
    salience = SALIENCE["reworded"] + SALIENCE["reworded_per_change"] * min(1.0, changed)
    if subs:
        ev_a, ev_b = [s.span_a for s in subs], [s.span_b for s in subs]
        top = subs[0]
        salience += SALIENCE["reworded_per_shift"] * min(1.0, abs(top.shift) / 4)
        reason = (
            f'reworded: {a.label} "{_short(top.span_a[2])}" for {b.label} "{_short(top.span_b[2])}"'
        )
        if len(subs) > 1:
            more = subs[1]
            reason += f', "{_short(more.span_a[2])}" for "{_short(more.span_b[2])}"'
            reason += " …" if len(subs) > 2 else ""
    else:
        ev_a, ev_b = _phrases(a.text, wa), _phrases(b.text, wb)
        reason = f"reworded: {a.label} {_quote(ev_a)} where {b.label} has {_quote(ev_b)}"
    return "reworded", round(min(1.0, changed), 4), reason, ev_a, ev_b, round(salience, 3)


def _connotation(
    a: Claim, b: Claim, subs: list[Substitution], config: DivergeConfig
) -> Finding | None:
    """Framing by connotation: a substitution (or a word one side adds) shifts valence by at least
    `connotation_shift` (VADER's scale, -4 to 4). The evidence is the valence-bearing words of
    every such substitution, the top one first."""
    shifted = [
        s
        for s in subs
        if abs(s.shift) >= config.connotation_shift and not _courtesy_only(a.text, b.text, s)
    ]
    if not shifted:
        return None
    top = shifted[0]
    ev_a = _dedupe([w for s in shifted for w in loaded_words(a.text, s.span_a)])
    ev_b = _dedupe([w for s in shifted for w in loaded_words(b.text, s.span_b)])
    side_a = f'{a.label} "{_short(top.span_a[2])}" ({top.valence_a:+.1f})' if top.span_a else ""
    side_b = f'{b.label} "{_short(top.span_b[2])}" ({top.valence_b:+.1f})' if top.span_b else ""
    if side_a and side_b:
        reason = f"framing (connotation): {side_a} for {side_b}"
    else:
        reason = f"framing (connotation): {side_a or side_b}, nothing like it in the other"
    strength = min(1.0, abs(top.shift) / 4)
    salience = SALIENCE["framing_connotation"] * (0.5 + 0.5 * strength)
    return "framing", round(strength, 4), reason, ev_a, ev_b, round(salience, 3)


@lru_cache(maxsize=1)
def _courtesy_re() -> re.Pattern:
    """compare/data/courtesy.txt, one pattern: the diplomatic formulae, as whole words."""
    text = resources.files("compare.data").joinpath("courtesy.txt").read_text(encoding="utf-8")
    phrases = [p.strip() for p in text.splitlines() if p.strip() and not p.startswith("#")]
    words = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(phrases, key=len)[::-1])
    return re.compile(rf"(?<![\w-])(?:{words})(?![\w-])")


def _courtesy_only(text_a: str, text_b: str, sub: Substitution) -> bool:
    """Every side of the substitution lies inside a courtesy formula of its claim ("mutual
    interest" for "common concern"): boilerplate, not framing."""
    sides = [(t, s) for t, s in ((text_a, sub.span_a), (text_b, sub.span_b)) if s]

    def inside(text: str, span: Span) -> bool:
        return any(
            m.start() <= span[0] and span[1] <= m.end()
            for m in _courtesy_re().finditer(text.lower())
        )

    return bool(sides) and all(inside(t, s) for t, s in sides)


def _framing(a: Claim, b: Claim) -> Finding | None:
    """A loaded word, an intensifier or a distancing phrase one side uses and the other does not."""
    best = None
    for cue, pattern in lex().framing_re.items():
        fa = {
            m.group().lower(): (m.start(), m.end(), a.text[m.start() : m.end()])
            for m in pattern.finditer(a.text.lower())
            if not _credits_source(a.text, m.end(), m.group(), b.source)
        }
        fb = {
            m.group().lower(): (m.start(), m.end(), b.text[m.start() : m.end()])
            for m in pattern.finditer(b.text.lower())
            if not _credits_source(b.text, m.end(), m.group(), a.source)
        }
        only_a = [fa[k] for k in fa if k not in fb]
        only_b = [fb[k] for k in fb if k not in fa]
        if not only_a and not only_b:
            continue
        salience = SALIENCE[f"framing_{cue}"]
        if best is None or salience > best[-1]:
            parts = []
            if only_a:
                parts.append(f"{a.label} {_quote(only_a)}")
            if only_b:
                parts.append(f"{b.label} {_quote(only_b)}")
            label = {
                "loaded": "loaded words",
                "intensifiers": "intensifiers",
                "distancing": "distancing",
            }[cue]
            reason = f"framing ({label}): " + ", ".join(parts) + ", not in the other"
            best = ("framing", 1.0, reason, only_a, only_b, salience)
    return best


def _credits_source(text: str, end: int, cue: str, source: str | None) -> bool:
    """ "according to Chinese state media" in a wire, for Beijing's readout: attribution to the
    other document's own source, which a wire always gives, not distancing."""
    if cue != "according to":
        return False
    credited = re.split(r"[,;:.!?—–()]", text[end:], maxsplit=1)[0]
    actor = _actor(source)
    return bool(credited.strip()) and (
        (bool(actor) and _actor(credited) == actor) or same_speaker(credited, source)
    )


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
    return cut_words(text, n)  # a quote ends on a whole word, never "co…"


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
        # "the regime" and "the government": one speaker named two ways (framing says how)
        words.append("<state>" if low in L.state_speakers else verb_stem(low))
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
        if any(_same_side(x, y, a, b, links) for x in chain_a for y in chain_b):
            return None
        reason = f'speaker: {a.label} credits "{_short(sa)}", {b.label} "{_short(sb)}"'
        return "speaker", 1.0, reason, _spans(a.text, sa), _spans(b.text, sb), SALIENCE["speaker"]
    own, other = (a, b) if not sa else (b, a)
    who = other.speaker
    # The other text quoting this very source is expected (a wire quoting a readout): lower score.
    # The other text quoting this very source ("the foreign ministry", "Beijing", "the Chinese
    # side" for Beijing's readout) credits the same speaker: nothing to report.
    if same_speaker(who, own.source, links) or _within(who, own.source):
        return None
    if other.subject and same_speaker(other.subject, own.source, links):
        return None
    # Beijing's readout in its own voice and a text crediting "Qin Gang", whom a readout presents
    # as China's foreign minister: the source's own official, the same side.
    if _side_of(who, a, b) and _side_of(who, a, b) == _actor(own.source):
        return None
    reason = f'speaker: {own.label} says it in its own voice, {other.label} credits "{_short(who)}"'
    ev_own, ev_other = [], _spans(other.text, who)
    evidence = (ev_own, ev_other) if own is a else (ev_other, ev_own)
    return ("speaker", 1.0, reason, *evidence, SALIENCE["speaker_own_voice"])


def _actor(label: str | None) -> str:
    """The actor a source label names ("Ministry of Foreign Affairs of the Russian Federation" ->
    russia), '' for none."""
    m = lex().actor_re.search(label or "")
    return lex().actor_of[fold(m.group())][0] if m else ""


def _side_of(speaker: str | None, *claims: Claim) -> str:
    """The actor whose official a credited person is, as either document presents them
    (`official_sides`: "Russian Deputy Foreign Minister Andrey Rudenko"), '' if none says."""
    key = person_key(speaker or "")
    if not key:
        return ""
    for c in claims:
        for name, side in official_sides(c.doc_text, c.source).items():
            if same_name(key, name):
                return side
    return ""


def _same_side(x: str, y: str, a: Claim, b: Claim, links) -> bool:
    """One speaker is a person the texts present as an actor's official, the other names that
    actor ("Beijing" for Qin Gang) or the ministry that presents him ("the foreign ministry")."""
    for person, other in ((x, y), (y, x)):
        side = _side_of(person, a, b)
        if not side:
            continue
        key = speaker_key(other)
        if key and key[0] == side:
            return True
        for c in (a, b):
            if _actor(c.source) == side and (
                same_speaker(other, c.source, links) or _within(other, c.source)
            ):
                return True
    return False


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
    return "number", 1.0, reason, xs, ys, SALIENCE["number"]


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
    ev_a, ev_b = [(x.start, x.end, x.text)], [(y.start, y.end, y.text)]
    return "entity", score, reason, ev_a, ev_b, round(SALIENCE["entity"] * score, 3)


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
    evidence = (ev_h, ev_f) if hedged is a else (ev_f, ev_h)
    return ("hedging", score, reason, *evidence, round(SALIENCE["hedging"] * score, 3))


def _negation(a: Claim, b: Claim, config: DivergeConfig) -> Finding | None:
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
        reason = f"negation: {a.label} says {_quote(ea)} where {b.label} says {_quote(eb)}"
        return ("negation", 1.0, reason, ea, eb, SALIENCE["negation"])
    if opposite:
        return None  # "not dead" vs "alive": the negation and the opposite word cancel
    neg, pos = (a, b) if ca else (b, a)
    cues = ca or cb
    reason = f"negation: {neg.label} says {_quote(cues)}, {pos.label} does not"
    return ("negation", 1.0, reason, ca, cb, SALIENCE["negation"])


def _antonyms(a: Claim, b: Claim) -> tuple[list[Span], list[Span]] | None:
    """A word on one side whose opposite (negation.yaml's antonyms: "alive" / "dead") is on the
    other, neither side having both."""
    ka, kb = {k for *_, k in a.words}, {k for *_, k in b.words}
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
    L = lex()
    base = L.base_form
    ky = {base.get(k, k) for *_, k in y.words}
    shared = {base.get(k, k) for *_, k in x.words} & ky
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
