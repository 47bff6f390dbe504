"""Who is credited: the `speaker` kind, and the tests the other kinds use to tell a wire's credit
of a document's own source ("Beijing said", "according to Chinese state media", for Beijing's
readout) from a claim of its own."""

from __future__ import annotations

import re
from functools import lru_cache

from compare.diverge.claim import Claim
from compare.diverge.config import SALIENCE
from compare.diverge.entities import official_sides, person_key, same_name
from compare.diverge.evidence import Finding, short, spans_of
from compare.diverge.lexicon import WORD, fold, lex
from compare.segment import reporting_verbs
from compare.text import STOPWORDS, verb_stem


@lru_cache(maxsize=1 << 16)
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


@lru_cache(maxsize=1 << 14)
def _vague(speaker: str | None) -> bool:
    words = [w.lower() for w in WORD.findall(speaker or "")]
    words = [w for w in words if w not in {"the", "a", "an"}]
    return bool(speaker) and all(w in lex().vague_speakers for w in words)


def speaker_finding(a: Claim, b: Claim, links) -> Finding | None:
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
        reason = f'speaker: {a.label} credits "{short(sa)}", {b.label} "{short(sb)}"'
        return (
            "speaker",
            1.0,
            reason,
            spans_of(a.text, sa),
            spans_of(b.text, sb),
            SALIENCE["speaker"],
        )
    own, other = (a, b) if not sa else (b, a)
    who = other.speaker
    # The other text quoting this very source ("the foreign ministry", "Beijing", "the Chinese
    # side" for Beijing's readout) credits the same speaker: nothing to report.
    if same_speaker(who, own.source, links) or within(who, own.source):
        return None
    if other.subject and same_speaker(other.subject, own.source, links):
        return None
    # Beijing's readout in its own voice and a text crediting "Qin Gang", whom a readout presents
    # as China's foreign minister: the source's own official, the same side.
    if _side_of(who, a, b) and _side_of(who, a, b) == source_actor(own.source):
        return None
    reason = f'speaker: {own.label} says it in its own voice, {other.label} credits "{short(who)}"'
    ev_own, ev_other = [], spans_of(other.text, who)
    evidence = (ev_own, ev_other) if own is a else (ev_other, ev_own)
    return ("speaker", 1.0, reason, *evidence, SALIENCE["speaker_own_voice"])


@lru_cache(maxsize=1 << 14)
def source_actor(label: str | None) -> str:
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
            if source_actor(c.source) == side and (
                same_speaker(other, c.source, links) or within(other, c.source)
            ):
                return True
    return False


def within(speaker: str, label: str) -> bool:
    ks, kl = speaker_key(speaker), speaker_key(label)
    return bool(ks and kl and ks[1] and ks[1] <= kl[1] and (not ks[0] or ks[0] == kl[0]))


def credits_source(text: str, end: int, cue: str, source: str | None) -> bool:
    """ "according to Chinese state media" in a wire, for Beijing's readout: attribution to the
    other document's own source, which a wire always gives, not distancing."""
    if cue != "according to":
        return False
    credited = re.split(r"[,;:.!?—–()]", text[end:], maxsplit=1)[0]
    actor = source_actor(source)
    return bool(credited.strip()) and (
        (bool(actor) and source_actor(credited) == actor) or same_speaker(credited, source)
    )


def attribution(quoting: Claim, quoted: Claim) -> frozenset[int]:
    """Start offsets of the words of `quoting` that only credit `quoted`'s own source ("In its
    readout of the talks, Moscow said" in a wire, for Moscow's readout): outside the quotation
    marks when it quotes, else the speaker and the reporting verb. Empty when it credits anyone
    else."""
    return _attribution(quoting.text, quoting.speaker, quoted.source)


@lru_cache(maxsize=1 << 14)
def _attribution(text: str, who: str | None, source: str) -> frozenset[int]:
    if not who or not (
        same_speaker(who, source)
        or within(who, source)
        or (source_actor(who) and source_actor(who) == source_actor(source))
    ):
        return frozenset()
    quotes = [m.span() for m in re.finditer(r'"[^"]+"|“[^”]+”', text)]
    verbs = reporting_verbs()
    frame = set(spans_of(text, who))
    return frozenset(
        m.start()
        for m in WORD.finditer(text)
        if (quotes and not any(s <= m.start() < e for s, e in quotes))
        or (
            not quotes
            and (m.group().lower() in verbs or any(s <= m.start() < e for s, e, _ in frame))
        )
    )
