"""Many aligned pairs of one `diverge` call -> each pair's rows, every distinct wording compared
once: a wire copy's sentence meets the same sentence of another document in many pairs (on the
bench feed 98k pairs of claims that do not read alike hold 41k distinct comparisons).

A pair's findings are memoised on everything they read but the two labels (`wording_key`), and
are computed with placeholder labels that each pair then replaces with its own: the labels only
ever appear in reasons, as they are. The speaker kind reads more of the two documents (subjects,
officials, title links of the speakers) and is computed for every pair (`kinds.with_speaker`)."""

from __future__ import annotations

import copy
import json

from compare.diverge.claim import Claim
from compare.diverge.config import DivergeConfig
from compare.diverge.conflicts import across_languages, common_in
from compare.diverge.evidence import Finding
from compare.diverge.framing import framing_cues
from compare.diverge.kinds import compare_claims, same_reading, with_speaker, wording_findings
from compare.diverge.lexicon import Span
from compare.diverge.speakers import attribution, credits_source, speaker_finding

Row = tuple[str, float, str, str, str, float]  # kind, score, reason, evidence JSON a, b, salience

# Stand-ins for the two labels while a wording is compared. A NUL is in no label or text (checked:
# `_placeholder_free`), so replacing them gives the reason the real labels would have given.
LABEL_A, LABEL_B = "\x00a\x00", "\x00b\x00"


class PairRows:
    """`compare_claims` of the pairs of one call, as rows (score rounded, evidence as JSON)."""

    def __init__(self, config: DivergeConfig):
        self.config = config
        self._memo: dict[tuple, list[Row]] = {}  # per call: dropped with the call's pairs
        self._sides: dict[str, tuple] = {}  # claim id -> what `wording_key` reads of its mentions
        self._speakers: dict[tuple, Row | None] = {}  # two credits' speaker row (`_speaker`)
        self._silent: dict[tuple, bool] = {}  # whether two credits make no speaker row at all

    def __call__(self, a: Claim, b: Claim, links: dict[str, set[str]]) -> list[Row]:
        if across_languages(a.lang, b.lang) or not _placeholder_free(a, b):
            return [row(f) for f in compare_claims(a, b, links, self.config)]
        if same_reading(a, b):  # wire copy: nothing but who is credited can differ
            speaker = self._speaker(a, b, links)
            return [speaker] if speaker else []
        key = wording_key(a, b, links, self._side(a), self._side(b))
        rows = self._memo.get(key)
        if rows is None:
            found = wording_findings(_relabel(a, LABEL_A), _relabel(b, LABEL_B), links, self.config)
            rows = self._memo[key] = [row(f) for f in found]
        named = [
            (kind, score, reason.replace(LABEL_A, a.label).replace(LABEL_B, b.label), *rest)
            for kind, score, reason, *rest in rows
        ]
        return with_speaker(named, self._speaker(a, b, links))

    def _speaker(self, a: Claim, b: Claim, links: dict[str, set[str]]) -> Row | None:
        """`speaker_finding` as a row. It reads the two speakers and subjects, the two documents
        (labels, sources, texts, title links) and of the claims' texts only where each speaker
        phrase first occurs (the evidence, `evidence.spans_of`): its row is remembered per those,
        and whether there is one at all (which the texts do not change) per the rest."""
        if not a.speaker and not b.speaker:
            return None  # (a shortcut: nobody credited, no speaker row)
        credits = (a.speaker, b.speaker, a.subject, b.subject, a.doc_id, b.doc_id)
        if self._silent.get(credits):
            return None
        key = (
            *credits,
            a.text.find(a.speaker) if a.speaker else None,
            b.text.find(b.speaker) if b.speaker else None,
        )
        if key not in self._speakers:
            found = speaker_finding(a, b, links)
            self._silent[credits] = found is None
            self._speakers[key] = row(found) if found else None
        return self._speakers[key]

    def _side(self, c: Claim) -> tuple:
        """(its names, its roles as (key, role), whether a framing cue of it is "according to"),
        read once per claim."""
        if c.id not in self._sides:
            self._sides[c.id] = (
                tuple(x.text for x in c.mentions if x.type == "name"),
                tuple(
                    (m.key, m.key.split(":", 1)[1]) for m in c.mentions if m.key.startswith("role:")
                ),
                any(t == "according to" for _, cues in framing_cues(c.text) for *_, t in cues),
            )
        return self._sides[c.id]


def wording_key(
    a: Claim, b: Claim, links: dict[str, set[str]], side_a: tuple, side_b: tuple
) -> tuple:
    """Everything `kinds.wording_findings` reads of two claims but their labels: the texts and
    their reading (language, `named_opener`), the speakers (left out of the word diff), which
    names each document writes in lower case (entity), the title links of the roles named
    (entity), the words that only credit the other source (elaborated) and whether "according to"
    credits the other source (framing). `side_a`, `side_b`: `PairRows._side` of a and b."""
    (names_a, roles_a, according_a), (names_b, roles_b, according_b) = side_a, side_b
    return (
        a.text,
        b.text,
        a.lang,
        b.lang,
        a.named_opener,
        b.named_opener,
        a.speaker,
        b.speaker,
        tuple(common_in(name, b.doc_text) for name in names_a),
        tuple(common_in(name, a.doc_text) for name in names_b),
        frozenset((key, frozenset(links.get(role, ()))) for key, role in roles_a + roles_b),
        attribution(a, b),
        attribution(b, a),
        _credits(a, b) if according_a else (),
        _credits(b, a) if according_b else (),
    )


def _credits(a: Claim, b: Claim) -> tuple[bool, ...]:
    """What `framing_finding` reads of b's source: whether each framing cue of a credits it (only
    "according to" can)."""
    return tuple(
        credits_source(a.text, span[1], cue_text, b.source)
        for _, cues in framing_cues(a.text)
        for _, span, cue_text in cues
        if cue_text == "according to"
    )


def _relabel(c: Claim, label: str) -> Claim:
    out = copy.copy(c)  # shallow: the reading is shared, read only
    out.label = label
    return out


def _placeholder_free(a: Claim, b: Claim) -> bool:
    return not any("\x00" in s for s in (a.text, b.text, a.label, b.label))


def row(f: Finding) -> Row:
    kind, score, reason, ev_a, ev_b, salience = f
    return kind, round(score, 4), reason, _json(ev_a), _json(ev_b), salience


def _json(spans: list[Span]) -> str:
    return _JSON.encode([[s, e, t] for s, e, t in spans])


# What json.dumps(..., ensure_ascii=False) uses, made once: dumps builds an encoder every call.
_JSON = json.JSONEncoder(ensure_ascii=False)
