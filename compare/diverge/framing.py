"""How a point is put: the `framing` kind (loaded words, intensifiers, distancing, connotation
shifts, diplomatic courtesy left out) and the `hedging` kind."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from compare.diverge.claim import Claim
from compare.diverge.config import SALIENCE, DivergeConfig
from compare.diverge.evidence import Finding, dedupe, quote, short
from compare.diverge.lexicon import Span, lex
from compare.diverge.speakers import credits_source
from compare.diverge.substitutions import Substitution, loaded_words


def framing_finding(a: Claim, b: Claim) -> Finding | None:
    """A loaded word, an intensifier or a distancing phrase one side uses and the other does not."""
    best = None
    for (cue, cues_a), (_, cues_b) in zip(framing_cues(a.text), framing_cues(b.text)):
        fa = {
            key: span
            for key, span, cue_text in cues_a
            if not credits_source(a.text, span[1], cue_text, b.source)
        }
        fb = {
            key: span
            for key, span, cue_text in cues_b
            if not credits_source(b.text, span[1], cue_text, a.source)
        }
        only_a = [fa[k] for k in fa if k not in fb]
        only_b = [fb[k] for k in fb if k not in fa]
        if not only_a and not only_b:
            continue
        salience = SALIENCE[f"framing_{cue}"]
        if best is None or salience > best[-1]:
            parts = []
            if only_a:
                parts.append(f"{a.label} {quote(only_a)}")
            if only_b:
                parts.append(f"{b.label} {quote(only_b)}")
            label = {
                "loaded": "loaded words",
                "intensifiers": "intensifiers",
                "distancing": "distancing",
            }[cue]
            reason = f"framing ({label}): " + ", ".join(parts) + ", not in the other"
            best = ("framing", 1.0, reason, only_a, only_b, salience)
    return best


def connotation_finding(
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
    ev_a = dedupe([w for s in shifted for w in loaded_words(a.text, s.span_a)])
    ev_b = dedupe([w for s in shifted for w in loaded_words(b.text, s.span_b)])
    side_a = f'{a.label} "{short(top.span_a[2])}" ({top.valence_a:+.1f})' if top.span_a else ""
    side_b = f'{b.label} "{short(top.span_b[2])}" ({top.valence_b:+.1f})' if top.span_b else ""
    if side_a and side_b:
        reason = f"framing (connotation): {side_a} for {side_b}"
    else:
        reason = f"framing (connotation): {side_a or side_b}, nothing like it in the other"
    strength = min(1.0, abs(top.shift) / 4)
    salience = SALIENCE["framing_connotation"] * (0.5 + 0.5 * strength)
    return "framing", round(strength, 4), reason, ev_a, ev_b, round(salience, 3)


@lru_cache(maxsize=1 << 15)
def framing_cues(text: str) -> tuple[tuple[str, tuple[tuple[str, Span, str], ...]], ...]:
    """Per framing cue (loaded, intensifiers, distancing), each match in `text`: (its key, its
    span, the matched text as the pattern saw it), read once per text, not once per pair."""
    low = text.lower()
    return tuple(
        (
            cue,
            tuple(
                (m.group().lower(), (m.start(), m.end(), text[m.start() : m.end()]), m.group())
                for m in pattern.finditer(low)
            ),
        )
        for cue, pattern in lex().framing_re.items()
    )


@lru_cache(maxsize=1)
def courtesy_re() -> re.Pattern:
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
            for m in courtesy_re().finditer(text.lower())
        )

    return bool(sides) and all(inside(t, s) for t, s in sides)


def hedging_finding(a: Claim, b: Claim) -> Finding | None:
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
    reason = f"hedging: {hedged.label} hedges {quote(ev_h)}"
    reason += f", {firm.label} is firm {quote(ev_f)}" if ev_f else f", {firm.label} does not"
    evidence = (ev_h, ev_f) if hedged is a else (ev_f, ev_h)
    return ("hedging", score, reason, *evidence, round(SALIENCE["hedging"] * score, 3))
