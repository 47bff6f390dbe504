"""Diverge: aligned claims -> divergences + term contrasts (one event at a time).

For every aligned claim pair (align's `claim_pairs`) it records each way the two tellings differ,
one row per kind, with the evidence spans in each claim's own text, a score in [0, 1] and a
one-line reason a reader can check against the highlighted words:

- reworded: the same fact in other words; the evidence is the content words unique to each side.
- speaker: said in a source's own voice in one text and attributed in the other, or attributed to
  different speakers.
- number: a date, year, percentage, sum of money or count that differs on the two sides.
- entity: a different actor, place or organisation in the same slot of the sentence.
- hedging: hedged vs firm ("may" vs "will", "discussed" vs "agreed").
- negation: one side negates or denies what the other asserts.
- emphasis: lead of one text but late in the other, or a much larger share of one text.

Equivalent forms stay silent: alias tables and lexicons live in `compare/data/` (aliases.yaml,
numbers.yaml, hedges.yaml, negation.yaml), and a document's own "Foreign Minister Qin Gang" tells
that its "the foreign minister" is Qin Gang.

Term contrasts are each document's distinctive words and two-word phrases against the rest of its
event: the log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi and Quinn 2008),
the prior being the event's pooled counts, with z-scores; the top terms by z are kept per document.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

import polars as pl
import yaml

from compare.align import STOPWORDS

DIVERGENCES_SCHEMA = {
    "event_id": pl.String,
    "claim_a": pl.String,
    "claim_b": pl.String,
    "kind": pl.String,
    "score": pl.Float64,
    "reason": pl.String,
    "evidence_a": pl.String,  # JSON list of [start, end, text] spans in claim_a's text
    "evidence_b": pl.String,
}
TERM_CONTRASTS_SCHEMA = {
    "event_id": pl.String,
    "doc_id": pl.String,
    "term": pl.String,
    "count": pl.Int32,
    "log_odds": pl.Float64,
    "z": pl.Float64,
}
KINDS = ("reworded", "speaker", "number", "entity", "hedging", "negation", "emphasis")


@dataclass(frozen=True)
class DivergeConfig:
    """When a difference is material enough to record. Only negation_window was chosen on eval
    data (FNC-1 DEV, below); the others are set by reading, since BASIL's labels do not follow any
    of them (every kind flags its bias sentences at about the base rate, see evaluate/basil.py)."""

    # Reworded when the Dice overlap of content words (aliases, titles and numbers normalised) is
    # below this and both sides have words of their own; above it the wording is the same.
    reworded_max_overlap: float = 0.8
    # A negator bears on a shared content word at most this many words on, in its clause.
    # FNC-1 DEV conflict ratio (disagree/agree): 8 -> 2.10, 10 -> 2.09, 12 -> 2.07, 6 -> 1.83,
    # no clause limit 1.99, no scope at all 1.60.
    negation_window: int = 8
    lead: float = 0.2  # emphasis: a claim starting in the first 20% of its text is in the lead ...
    late: float = 0.5  # ... and one starting beyond the first half is not
    share_ratio: float = 3.0  # emphasis: one text gives the fact >= 3x the share of the other ...
    share_gap: float = 0.10  # ... and at least 10 points more of its text
    top_terms: int = 30  # term contrasts kept per document (highest z)
    prior_scale: float = 1.0  # Dirichlet prior = prior_scale x the event's pooled counts


@dataclass
class Divergence:
    divergences: pl.DataFrame
    term_contrasts: pl.DataFrame


def diverge(
    documents: pl.DataFrame,
    claims: pl.DataFrame,
    claim_pairs: pl.DataFrame,
    config: DivergeConfig = DivergeConfig(),
    *,
    contrasts: bool = True,
) -> Divergence:
    """Divergences of every aligned pair and term contrasts of every event with >= 2 documents
    (`contrasts=False` skips the latter and returns an empty table)."""
    docs = {r["doc_id"]: r for r in documents.iter_rows(named=True)}
    by_id = {r["claim_id"]: r for r in claims.iter_rows(named=True)}
    # Share of its text a claim's counterpart takes: all claims of one document paired to it.
    partners: dict[tuple[str, str], list[str]] = defaultdict(list)
    for a, b in claim_pairs.select("claim_a", "claim_b").iter_rows():
        partners[(b, by_id[a]["doc_id"])].append(a)
        partners[(a, by_id[b]["doc_id"])].append(b)
    analysed: dict[str, Claim] = {}
    corefs: dict[str, dict[str, set[str]]] = {}

    def get(claim_id: str) -> Claim:
        if claim_id not in analysed:
            row = by_id[claim_id]
            doc = docs[row["doc_id"]]
            if row["doc_id"] not in corefs:
                corefs[row["doc_id"]] = _title_links_cached(doc["text"] or "")
            analysed[claim_id] = analyse(row, doc)
        return analysed[claim_id]

    rows = []
    for pair in claim_pairs.iter_rows(named=True):
        a, b = get(pair["claim_a"]), get(pair["claim_b"])
        links = _merge_links(corefs[a.doc_id], corefs[b.doc_id])
        share_a = _share(partners[(b.id, a.doc_id)], by_id, docs[a.doc_id])
        share_b = _share(partners[(a.id, b.doc_id)], by_id, docs[b.doc_id])
        for kind, score, reason, ev_a, ev_b in compare_claims(
            a, b, links, config, shares=(share_a, share_b)
        ):
            rows.append(
                (
                    pair["event_id"],
                    a.id,
                    b.id,
                    kind,
                    round(score, 4),
                    reason,
                    _json(ev_a),
                    _json(ev_b),
                )
            )
    terms_table = (
        term_contrasts(documents, config)
        if contrasts
        else pl.DataFrame(schema=TERM_CONTRASTS_SCHEMA)
    )
    return Divergence(pl.DataFrame(rows, schema=DIVERGENCES_SCHEMA, orient="row"), terms_table)


# --- lexicons ------------------------------------------------------------------------------------


@cache
def _lexicon(name: str) -> dict:
    text = resources.files("compare.data").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _phrase_pattern(phrases, *, first_letter_free: bool = False, ignore_case: bool = False) -> str:
    parts = []
    for p in sorted(set(phrases), key=len, reverse=True):
        words = [re.escape(w) for w in p.split()]
        if first_letter_free and p[0].isalpha():
            first = p[0]
            words[0] = f"[{first.upper()}{first.lower()}]" + re.escape(p.split()[0][1:])
        parts.append(r"\s+".join(words))
    body = "|".join(parts)
    return f"(?i:{body})" if ignore_case else f"(?:{body})"


@dataclass(frozen=True)
class _Lex:
    actor_re: re.Pattern
    actor_of: dict[str, tuple[str, str]]  # lower-cased form -> (canonical id, type)
    title_re: re.Pattern
    title_of: dict[str, str]
    honorifics: frozenset[str]
    not_names: frozenset[str]
    hedge_re: re.Pattern
    tentative_re: re.Pattern
    firm_re: re.Pattern
    negators: frozenset[str]
    refuters: frozenset[str]
    numbers: dict
    vague_speakers: frozenset[str]
    function_words: frozenset[str]


@lru_cache(maxsize=1)
def lex() -> _Lex:
    aliases = _lexicon("aliases")
    actor_of = {}
    for cid, entry in aliases["actors"].items():
        for form in entry["forms"]:
            actor_of[_fold(form)] = (cid, entry["type"])
    title_of = {}
    for canon, forms in aliases["titles"].items():
        for form in forms:
            title_of[_fold(form)] = canon
    hedges = _lexicon("hedges")
    negation = _lexicon("negation")
    boundary = r"(?<![\w.])(?:{})(?![\w])"
    return _Lex(
        actor_re=re.compile(
            boundary.format(
                _phrase_pattern(
                    [f for e in aliases["actors"].values() for f in e["forms"]],
                    first_letter_free=True,
                )
            )
        ),
        actor_of=actor_of,
        title_re=re.compile(boundary.format(_phrase_pattern(title_of, ignore_case=True))),
        title_of=title_of,
        honorifics=frozenset(aliases["honorifics"]),
        not_names=frozenset(aliases["not_names"]),
        hedge_re=re.compile(boundary.format(_phrase_pattern(hedges["hedges"]))),
        tentative_re=re.compile(boundary.format(_phrase_pattern(hedges["tentative"]))),
        firm_re=re.compile(boundary.format(_phrase_pattern(hedges["firm"]))),
        negators=frozenset(negation["negators"]),
        refuters=frozenset(negation["refuters"]),
        numbers=_lexicon("numbers"),
        vague_speakers=frozenset(_lexicon("diverge")["vague_speakers"]),
        function_words=frozenset(_lexicon("diverge")["function_words"]),
    )


def _fold(text: str) -> str:
    return " ".join(text.replace("’", "'").lower().split())


# --- analysis of one claim -----------------------------------------------------------------------

Span = tuple[int, int, str]
WORD = re.compile(r"(?:[A-Z]\.){2,}|[^\W_]+(?:['’][^\W_]+)?")


@dataclass
class Mention:
    start: int
    end: int
    text: str
    key: str  # actor:china | role:foreign minister | name:qin gang
    type: str  # actor | person | name
    left: str  # the word before (lower-case), to tell whether two mentions fill the same slot
    right: str


@dataclass
class Quantity:
    start: int
    end: int
    text: str
    kind: str  # date | year | percent | money:usd | count
    value: object
    head: frozenset[str] = frozenset()  # counts: what is counted ("13 people killed")


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
    words: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, match key)
    mentions: list[Mention] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    hedges: list[Span] = field(default_factory=list)
    tentative: list[Span] = field(default_factory=list)
    firm: list[Span] = field(default_factory=list)
    negations: list[Span] = field(default_factory=list)


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
    )
    (
        claim.quantities,
        claim.mentions,
        claim.words,
        claim.hedges,
        claim.tentative,
        claim.firm,
        claim.negations,
    ) = _read(text, doc_text)
    return claim


@lru_cache(maxsize=65536)
def _read(text: str, doc_text: str) -> tuple:
    """What a claim's text says, cached: the same sentence recurs across events (wire copy)."""
    quants = quantities(text)
    ments = mentions(text, doc_text)
    taken = [(q.start, q.end) for q in quants]
    low = text.lower()
    L = lex()
    return (
        quants,
        ments,
        _content_words(text, ments, quants),
        [h for h in _free(_finds(L.hedge_re, low, text), taken) if h[2] != "May" or h[0] == 0],
        _finds(L.tentative_re, low, text),
        _finds(L.firm_re, low, text),
        negation_cues(text),
    )


def _label(doc: dict) -> str:
    label = doc.get("source") or doc.get("title") or doc["doc_id"]
    return label if len(label) <= 40 else label[:39].rstrip() + "…"


def _finds(pattern: re.Pattern, low: str, text: str) -> list[Span]:
    return [(m.start(), m.end(), text[m.start() : m.end()]) for m in pattern.finditer(low)]


def _free(spans: list[Span], taken: list[tuple[int, int]]) -> list[Span]:
    return [s for s in spans if not any(a < s[1] and s[0] < b for a, b in taken)]


def negation_cues(text: str) -> list[Span]:
    L = lex()
    out = []
    for m in WORD.finditer(text):
        word = m.group().lower().replace("’", "'")
        if word in L.negators or word in L.refuters or word.endswith("n't"):
            out.append((m.start(), m.end(), m.group()))
    return out


# --- numbers -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _number_patterns() -> dict[str, re.Pattern]:
    n = lex().numbers
    words = sorted([*n["units"], *n["tens"]], key=len, reverse=True)
    word_num = rf"(?:(?:{'|'.join(n['tens'])})[-\s](?:{'|'.join(n['units'])})|{'|'.join(words)})"
    digits = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
    scales = "|".join(sorted(n["scales"], key=len, reverse=True))
    number = rf"(?:(?<![\w.,-])(?:{digits})|(?<![\w-])(?i:{word_num}))(?:\s?(?i:(?:{scales})\b))?"
    months = "|".join(sorted(n["months"], key=len, reverse=True))
    month = rf"(?:{months})\.?"
    day = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
    year = r"(?:1[5-9]\d\d|20\d\d)"
    symbols = "|".join(re.escape(s) for s in sorted(n["currency_symbols"], key=len, reverse=True))
    cwords = "|".join(sorted(n["currency_words"], key=len, reverse=True))
    percent = "|".join(re.escape(p).replace(r"\ ", r"\s") for p in n["percent"])
    return {
        "date_md": re.compile(rf"\b(?i:(?P<m>{month}))\s+(?P<d>{day})\b(?:,?\s+(?P<y>{year})\b)?"),
        "date_dm": re.compile(
            rf"\b(?P<d>{day})\s+(?:of\s+)?(?i:(?P<m>{month}))\b(?:,?\s+(?P<y>{year})\b)?"
        ),
        "money_pre": re.compile(rf"(?P<c>{symbols})\s?(?P<n>{number})"),
        "money_post": re.compile(rf"(?P<n>{number})\s+(?i:(?P<c>{cwords}))\b"),
        "percent": re.compile(rf"(?P<n>{number})\s?(?i:(?P<p>{percent}))(?!\w)"),
        "year": re.compile(rf"(?<![\w.,$-]){year}(?![\w%]|,\d)"),
        "number": re.compile(number),
    }


def parse_number(text: str) -> float | None:
    """'5' -> 5, 'five' -> 5, 'twenty-five' -> 25, '2.5 million' -> 2500000, '1,200' -> 1200."""
    n = lex().numbers
    t = text.lower().replace(",", "").strip()
    scale = 1.0
    parts = t.split()
    if len(parts) > 1 and parts[-1] in n["scales"]:
        scale, t = n["scales"][parts[-1]], " ".join(parts[:-1])
    else:
        m = re.fullmatch(r"([\d.]+)([a-z]+)", t)
        if m and m.group(2) in n["scales"]:
            scale, t = n["scales"][m.group(2)], m.group(1)
    try:
        return float(t) * scale
    except ValueError:
        pass
    total = 0
    for piece in re.split(r"[-\s]+", t):
        if piece in n["units"]:
            total += n["units"][piece]
        elif piece in n["tens"]:
            total += n["tens"][piece]
        else:
            return None
    return total * scale


def quantities(text: str) -> list[Quantity]:
    """Dates, years, money, percentages and counts in `text`, each once (longest reading wins)."""
    P = _number_patterns()
    n = lex().numbers
    out: list[Quantity] = []

    def free(a: int, b: int) -> bool:
        return not any(q.start < b and a < q.end for q in out)

    for name in ("date_md", "date_dm"):
        for m in P[name].finditer(text):
            month = n["months"].get(m.group("m").lower().rstrip("."))
            day = int(re.match(r"\d+", m.group("d")).group())
            if month is None or not 1 <= day <= 31 or not free(m.start(), m.end()):
                continue
            if m.group("m").lower().rstrip(".") == "may" and m.group("m")[0].islower():
                continue  # the modal verb, not the month
            value = (month, day, int(m.group("y")) if m.group("y") else None)
            out.append(Quantity(m.start(), m.end(), m.group(), "date", value))
    for name, kind in (("money_pre", "money"), ("money_post", "money"), ("percent", "percent")):
        for m in P[name].finditer(text):
            value = parse_number(m.group("n"))
            if value is None or not free(m.start(), m.end()):
                continue
            if kind == "money":
                c = m.group("c")
                code = n["currency_symbols"].get(c) or n["currency_words"][c.lower()]
                out.append(Quantity(m.start(), m.end(), m.group(), f"money:{code}", value))
            else:
                out.append(Quantity(m.start(), m.end(), m.group(), "percent", value))
    for m in P["year"].finditer(text):
        if free(m.start(), m.end()):
            out.append(Quantity(m.start(), m.end(), m.group(), "year", int(m.group())))
    for m in P["number"].finditer(text):
        if not free(m.start(), m.end()):
            continue
        value = parse_number(m.group())
        if value is None:
            continue
        out.append(Quantity(m.start(), m.end(), m.group(), "count", value, _head(text, m.end())))
    return sorted(out, key=lambda q: q.start)


def _head(text: str, end: int) -> frozenset[str]:
    """What a count counts: the next two content words close after it ('13 people were killed'
    -> {people, kill}); a hyphenated compound is one word ('3-year-old' -> {year-old})."""
    compound = re.match(r"-([A-Za-z]+(?:-[A-Za-z]+)*)", text[end:])
    if compound:
        return frozenset([compound.group(1).lower()])
    out = []
    for m in WORD.finditer(text, end, min(len(text), end + 40)):
        word = m.group().lower()
        if not _function_word(word) and not word.isdigit():
            out.append(_stem(word))
        if len(out) == 2:
            break
    return frozenset(out)


# --- entities ------------------------------------------------------------------------------------

_CAP_RUN = re.compile(
    r"(?:[A-Z][\w'’.\-]*|(?:[A-Z]\.){2,})(?:\s+(?:(?:of|de|al|bin|van|von|der|the)\s+)?"
    r"(?:[A-Z][\w'’.\-]*|(?:[A-Z]\.){2,}))*"
)


def mentions(text: str, doc_text: str = "") -> list[Mention]:
    """Actors (from the alias table), titles standing for a person, and other capitalised names."""
    L = lex()
    out: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for m in L.actor_re.finditer(text):
        cid, _ = L.actor_of[_fold(m.group())]
        out.append(_mention(text, m.start(), m.end(), f"actor:{cid}", "actor"))
        taken.append((m.start(), m.end()))
    titles = []
    for m in L.title_re.finditer(text):
        if any(a < m.end() and m.start() < b for a, b in taken):
            continue
        titles.append((m.start(), m.end(), L.title_of[_fold(m.group())]))
    for m in _CAP_RUN.finditer(text):
        for start, end in _name_parts(text, m.start(), m.end(), taken, titles):
            name = _name_key(text[start:end])
            if not name:
                continue
            if start == _sentence_start(text) and " " not in text[start:end].strip():
                # A lone capitalised word opening the sentence is a name only if the document
                # also writes it capitalised elsewhere mid-sentence.
                word = text[start:end]
                if not re.search(rf"(?<=[a-z,;] ){re.escape(word)}\b", doc_text or ""):
                    continue
            out.append(_mention(text, start, end, f"name:{name}", "name"))
            taken.append((start, end))
    for start, end, canon in titles:
        if any(a < end and start < b for a, b in taken):
            continue
        # A title right before a name introduces that name; on its own it stands for a person.
        nxt = text[end : end + 40]
        if re.match(r"\s+(?:of\s+[^,]{0,60}?\s+)?[A-Z][a-z]", nxt) and any(
            mm.type == "name" and 0 <= mm.start - end <= 60 for mm in out
        ):
            continue
        out.append(_mention(text, start, end, f"role:{canon}", "person"))
    return sorted(out, key=lambda x: x.start)


def _sentence_start(text: str) -> int:
    m = re.match(r"[\s\"“‘'(\[-]*", text)
    return m.end() if m else 0


def _name_parts(text, start, end, taken, titles):
    """Split a capitalised run around actors, titles and function words; yield the name pieces."""
    L = lex()
    holes = [(a, b) for a, b in taken if a < end and start < b]
    holes += [(a, b) for a, b, _ in titles if a < end and start < b]
    pieces, cursor = [], start
    for a, b in sorted(holes):
        if a > cursor:
            pieces.append((cursor, a))
        cursor = max(cursor, b)
    if cursor < end:
        pieces.append((cursor, end))
    for a, b in pieces:
        words = list(WORD.finditer(text, a, b))
        # Trim function words, honorifics and not-names at either end ("The", "Mr.", "Sunday").
        while words and _skip_word(words[0].group(), L):
            words.pop(0)
        while words and _skip_word(words[-1].group(), L):
            words.pop()
        words = [w for w in words if w.group()[0].isupper() or w.group().lower() in {"of", "de"}]
        if words and words[0].group()[0].isupper():
            yield words[0].start(), words[-1].end()


def _skip_word(word: str, L: _Lex) -> bool:
    low = word.lower().rstrip(".")
    return (
        low in STOPWORDS
        or word in L.not_names
        or low in L.honorifics
        or f"{low}." in L.honorifics
        or not word[0].isupper()
    )


def _name_key(name: str) -> str:
    L = lex()
    words = [w.lower().replace("’", "'") for w in WORD.findall(name)]
    words = [w for w in words if w.rstrip(".") not in L.honorifics and w not in STOPWORDS]
    words = [w.removesuffix("'s") for w in words]
    return " ".join(words)


def _mention(text: str, start: int, end: int, key: str, kind: str) -> Mention:
    before = [w.lower() for w in WORD.findall(text[max(0, start - 40) : start])]
    after = [w.lower() for w in WORD.findall(text[end : end + 40])]
    before = [w for w in before if w not in {"the", "a", "an"}]
    return Mention(
        start,
        end,
        text[start:end],
        key,
        kind,
        before[-1] if before else "^",
        after[0] if after else "$",
    )


def title_links(doc_text: str) -> dict[str, set[str]]:
    """Which names each title stands for in a document: 'Foreign Minister Qin Gang' and
    'Qin Gang, China's foreign minister' both give {'foreign minister': {'qin gang'}}."""
    L = lex()
    links: dict[str, set[str]] = defaultdict(set)
    name = r"(?P<name>[A-Z][\w'’\-]+(?:\s+[A-Z][\w'’\-]+){0,3})"
    for m in L.title_re.finditer(doc_text):
        canon = L.title_of[_fold(m.group())]
        after = re.match(
            rf"(?:\s+of\s+(?:the\s+)?[A-Z][^,;]{{0,60}}?)?\s+{name}", doc_text[m.end() :]
        )
        if after:
            key = _person_key(after.group("name"))
            if key:
                links[canon].add(key)
        before = re.search(
            rf"{name},\s+(?:the\s+|an?\s+|[A-Z][\w.]*(?:'s|’s)\s+|[\w]+(?:'s|’s)\s+)?(?:\w+\s+){{0,2}}$",
            doc_text[max(0, m.start() - 80) : m.start()],
        )
        if before:
            key = _person_key(before.group("name"))
            if key:
                links[canon].add(key)
    return links


def _person_key(name: str) -> str:
    """A name as a person key, stripped of actors and titles ('Russian Federation Andrey Rudenko')."""
    L = lex()
    text = L.actor_re.sub(" ", name)
    text = L.title_re.sub(" ", text)
    words = [w for w in WORD.findall(text) if w[0].isupper() and not _skip_word(w, L)]
    return _name_key(" ".join(words[-3:]))


@lru_cache(maxsize=4096)
def _title_links_cached(doc_text: str) -> dict[str, set[str]]:
    return title_links(doc_text)


def _merge_links(*maps: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for m in maps:
        for k, v in m.items():
            out[k] |= v
    return out


def _same_entity(x: Mention, y: Mention, links: dict[str, set[str]]) -> bool:
    if x.key == y.key:
        return True
    kx, vx = x.key.split(":", 1)
    ky, vy = y.key.split(":", 1)
    if kx == "name" and ky == "name":
        return _same_name(vx, vy)
    if {kx, ky} == {"role", "name"}:
        role, name = (vx, vy) if kx == "role" else (vy, vx)
        return any(_same_name(name, linked) for linked in links.get(role, ()))
    return False


def _same_name(a: str, b: str) -> bool:
    """Same surname or one name inside the other ('Rudenko' / 'Andrey Rudenko'), or an acronym
    of the other ('DNC' / 'Democratic National Committee', 'L.A.' / 'Los Angeles')."""
    wa, wb = a.split(), b.split()
    if not wa or not wb:
        return False
    if set(wa) <= set(wb) or set(wb) <= set(wa) or wa[-1] == wb[-1]:
        return True
    return _acronym(wa, wb) or _acronym(wb, wa)


def _acronym(short: list[str], long: list[str]) -> bool:
    letters = "".join(short).replace(".", "")
    initials = "".join(w[0] for w in long if w not in {"of", "the", "and", "for", "de"})
    return len(short) == 1 and len(letters) >= 2 and letters == initials


# --- content words -------------------------------------------------------------------------------


def _stem(tok: str) -> str:
    tok = tok.replace("’", "'")
    tok = tok.removesuffix("'s")
    for suffix in (
        "ising",
        "izing",
        "ised",
        "ized",
        "ises",
        "izes",
        "ise",
        "ize",
        "ing",
        "ed",
        "es",
        "s",
        "e",
    ):
        if tok.endswith(suffix) and len(tok) - len(suffix) >= 4:
            return tok[: -len(suffix)]
    return tok


def _content_words(text: str, ments: list[Mention], quants: list[Quantity]):
    """(start, end, key) of each content word: actors by canonical id, titles by canonical title,
    quantities by value (a date by month and day), other words lightly stemmed."""
    L = lex()
    out = []
    spans = [(m.start, m.end, m.key) for m in ments if m.type == "actor"]
    spans += [(q.start, q.end, f"{q.kind}={_value_key(q)}") for q in quants]
    for m in L.title_re.finditer(text):
        if not any(a < m.end() and m.start() < b for a, b, _ in spans):
            spans.append((m.start(), m.end(), f"title:{L.title_of[_fold(m.group())]}"))
    for m in WORD.finditer(text):
        if any(a <= m.start() < b for a, b, _ in spans):
            continue
        word = m.group().lower()
        if _function_word(word):
            continue
        out.append((m.start(), m.end(), _stem(word)))
    out += spans
    return sorted(out)


def _function_word(word: str) -> bool:
    word = word.replace("’", "'")
    return (
        word in STOPWORDS or word in lex().function_words or len(word) < 2 or word.endswith("n't")
    )


def _value_key(q: Quantity):
    return q.value[:2] if q.kind == "date" else q.value


# --- comparing two claims ------------------------------------------------------------------------

Finding = tuple[str, float, str, list[Span], list[Span]]


def compare_claims(
    a: Claim,
    b: Claim,
    links: dict[str, set[str]],
    config: DivergeConfig = DivergeConfig(),
    shares: tuple[float, float] | None = None,
) -> list[Finding]:
    """Every kind of divergence between two aligned claims, as (kind, score, reason, ev_a, ev_b)."""
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
                and all(_function_word(w.lower()) for w in between)
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
        actor = L.actor_of[_fold(m.group())][0]
        speaker = speaker[: m.start()] + " " + speaker[m.end() :]
    words = []
    for w in WORD.findall(speaker):
        low = w.lower().replace("’", "'")
        low = low.removesuffix("'s")
        if low in STOPWORDS or low.rstrip(".") in L.honorifics or low in {"side", "sides"}:
            continue
        words.append(_stem(low))
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
        rw = frozenset(_stem(w) for w in role.split())
        for name in names:
            nw = frozenset(_stem(w) for w in name.split())
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
    ua = [x for x in ma if not any(_same_entity(x, y, links) for y in b.mentions)]
    ub = [y for y in mb if not any(_same_entity(x, y, links) for x in a.mentions)]
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
    words = [w.lower() for w in WORD.findall(mention) if not _function_word(w.lower())]
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


def _share(claim_ids: list[str], by_id: dict, doc: dict) -> float:
    total = len(doc.get("text") or "")
    if not total:
        return 0.0
    return sum(by_id[c]["char_end"] - by_id[c]["char_start"] for c in set(claim_ids)) / total


def _json(spans: list[Span]) -> str:
    return json.dumps([[s, e, t] for s, e, t in spans], ensure_ascii=False)


# --- term contrasts ------------------------------------------------------------------------------

TERM = re.compile(r"[a-z][a-z0-9]*(?:['’-][a-z0-9]+)*")


def terms(text: str) -> list[str]:
    """Readable terms: lower-case content words (unstemmed, possessive dropped) and two-word
    phrases of adjacent content words ('national stability')."""
    out, prev = [], None
    text = re.sub(r"\b(?:[a-z]\.){2,}", lambda m: m.group().replace(".", ""), text.lower())
    for m in TERM.finditer(text):
        word = re.sub(r"['’]s$", "", m.group())
        if _function_word(word) or word.isdigit():
            prev = None
            continue
        out.append(word)
        gap = text[prev[1] : m.start()] if prev else ""
        if prev and re.fullmatch(r"[\s-]*", gap):
            out.append(f"{prev[0]} {word}")
        prev = (word, m.end())
    return out


def term_contrasts(
    documents: pl.DataFrame, config: DivergeConfig = DivergeConfig()
) -> pl.DataFrame:
    """Monroe et al. (2008) log-odds of each term in one document vs the rest of its event, with
    an informative Dirichlet prior alpha_w = prior_scale * (the event's pooled count of w)."""
    rows = []
    by_event: dict[str, list[tuple[str, Counter]]] = defaultdict(list)
    for r in documents.select("event_id", "doc_id", "text").iter_rows(named=True):
        by_event[r["event_id"]].append((r["doc_id"], Counter(terms(r["text"] or ""))))
    for event_id, docs in by_event.items():
        if len(docs) < 2:
            continue
        pooled = Counter()
        for _, counts in docs:
            pooled.update(counts)
        alpha = {w: config.prior_scale * c for w, c in pooled.items()}
        a0 = sum(alpha.values())
        n_all = sum(pooled.values())
        for doc_id, counts in docs:
            n_i = sum(counts.values())
            n_j = n_all - n_i
            scored = []
            for w, y_i in counts.items():
                y_j = pooled[w] - y_i
                a = alpha[w]
                delta = math.log((y_i + a) / (n_i + a0 - y_i - a)) - math.log(
                    (y_j + a) / (n_j + a0 - y_j - a)
                )
                z = delta / math.sqrt(1 / (y_i + a) + 1 / (y_j + a))
                scored.append((z, delta, w, y_i))
            scored.sort(key=lambda t: (-t[0], t[2]))
            for z, delta, w, y_i in scored[: config.top_terms]:
                rows.append((event_id, doc_id, w, y_i, round(delta, 6), round(z, 6)))
    return pl.DataFrame(rows, schema=TERM_CONTRASTS_SCHEMA, orient="row")


__all__ = [
    "DIVERGENCES_SCHEMA",
    "KINDS",
    "TERM_CONTRASTS_SCHEMA",
    "DivergeConfig",
    "Divergence",
    "diverge",
    "term_contrasts",
]
