"""Two aligned claims -> findings, one per kind of divergence, and the pair's one relation.

Kinds: reworded, elaborated, framing, speaker, number, entity, hedging, negation. Each finding is
(kind, score, reason, evidence in a, evidence in b, salience). One module per family of kinds:
`conflicts` (number, entity, negation; numbers across languages), `speakers` (speaker),
`framing` (framing, hedging) and, here, the wording kinds (elaborated, reworded) and
`compare_claims`, which runs them all. The relation follows from the kinds found, by precedence:
conflict (number, entity, negation) > framed (framing) > elaborated > reworded (reworded, speaker,
hedging) > same (`relation_of`; `relations` in the package decides which framing rows count)."""

from __future__ import annotations

from compare.diverge.claim import Claim
from compare.diverge.config import RELATION_OF_KIND, RELATIONS, SALIENCE, DivergeConfig
from compare.diverge.conflicts import (
    across_languages,
    entity_finding,
    negation_finding,
    number_finding,
    numbers_across,
)
from compare.diverge.diff import word_diff
from compare.diverge.evidence import Finding, phrases, quote, short
from compare.diverge.framing import connotation_finding, framing_finding, hedging_finding
from compare.diverge.speakers import attribution, speaker_finding
from compare.diverge.substitutions import Substitution, substitutions


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
        found = numbers_across(a, b)  # no English word list, stemmer or substitution
        return [found] if found else []
    if same_reading(a, b):  # wire copy: nothing but who is credited can differ
        found = speaker_finding(a, b, links)
        return [found] if found else []
    return with_speaker(wording_findings(a, b, links, config), speaker_finding(a, b, links))


def with_speaker(found: list[Finding], speaker: Finding | None) -> list[Finding]:
    """`found` (in the order of KINDS, no speaker row) with the speaker row in its place."""
    if speaker is None:
        return found
    at = sum(f[0] in CONFLICT_KINDS for f in found)
    return [*found[:at], speaker, *found[at:]]


CONFLICT_KINDS = ("number", "entity", "negation")  # the kinds before `speaker` in KINDS


def wording_findings(a: Claim, b: Claim, links, config: DivergeConfig) -> list[Finding]:
    """Every kind but speaker (the one kind that reads the claims' subjects, their documents'
    officials and the title links of their speakers), in the order of KINDS, for two claims in
    one language that do not read the same (see `compare_claims`)."""
    diff = word_diff(a, b)
    runs = diff["subs"] + (
        [(diff["added_a"], diff["added_b"])] if diff["added_a"] or diff["added_b"] else []
    )
    subs = substitutions(a.text, b.text, runs)
    found = [
        number_finding(a, b),
        entity_finding(a, b, links),
        negation_finding(a, b, config),
        hedging_finding(a, b),
        framing_finding(a, b) or connotation_finding(a, b, subs, config),
        _elaborated(a, b, diff, config),
        _reworded(a, b, diff, config, [s for s in subs if s.paired]),
    ]
    return [f for f in found if f is not None]


def same_reading(a: Claim, b: Claim) -> bool:
    """The same sentence read the same way in both documents: text, words, names, numbers,
    speaker and reported subject."""
    return (
        a.text == b.text
        and a.speaker == b.speaker
        and a.subject == b.subject
        and a.words == b.words
        and a.mentions == b.mentions
        and a.quantities == b.quantities
    )


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
    frame = attribution(long_, short)
    words = [w for w in words if w[0] not in frame]
    if contained < config.elaborated_min_contained or not words:
        return None
    if not diff["keys_a"] & diff["keys_b"]:
        return None
    ev = phrases(long_.text, words)
    # Names and numbers weigh more than other added words.
    names = [w for w in words if long_.text[w[0] : w[0] + 1].isupper() or "=" in w[2]]
    salience = SALIENCE["elaborated"] + 0.1 * len(phrases(long_.text, names)) + 0.02 * len(words)
    what = "names or numbers" if names else "detail"
    reason = f"elaborated: {long_.label} adds {what} {quote(ev)} that {short.label} lacks"
    score = len(words) / (len(words) + len(diff["keys_a"] & diff["keys_b"]))
    evidence = (ev, []) if long_ is a else ([], ev)
    return (
        "elaborated",
        round(score, 4),
        reason,
        *evidence,
        round(min(SALIENCE["elaborated_max"], salience), 3),
    )


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
            f'reworded: {a.label} "{short(top.span_a[2])}" for {b.label} "{short(top.span_b[2])}"'
        )
        if len(subs) > 1:
            more = subs[1]
            reason += f', "{short(more.span_a[2])}" for "{short(more.span_b[2])}"'
            reason += " …" if len(subs) > 2 else ""
    else:
        ev_a, ev_b = phrases(a.text, wa), phrases(b.text, wb)
        reason = f"reworded: {a.label} {quote(ev_a)} where {b.label} has {quote(ev_b)}"
    return "reworded", round(min(1.0, changed), 4), reason, ev_a, ev_b, round(salience, 3)
