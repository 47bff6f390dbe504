"""Names in a claim's text -> mentions (actors from the alias table, titles, capitalised names),
and a document's title links ('Foreign Minister Qin Gang'): which names a title stands for."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from compare.diverge.lexicon import WORD, Lexicon, fold, lex
from compare.text import STOPWORDS


@dataclass
class Mention:
    start: int
    end: int
    text: str
    key: str  # actor:china | role:foreign minister | name:qin gang
    type: str  # actor | person | name
    left: str  # the word before (lower-case), to tell whether two mentions fill the same slot
    right: str


_CAP_RUN = re.compile(
    r"(?:[A-Z][\w'’.\-]*|(?:[A-Z]\.){2,})(?:\s+(?:(?:of|de|al|bin|van|von|der|the)\s+)?"
    r"(?:[A-Z][\w'’.\-]*|(?:[A-Z]\.){2,}))*"
)


def mentions(text: str, doc_text: str = "") -> list[Mention]:
    """Actors (from the alias table), titles standing for a person, and other capitalised names."""
    return text_mentions(text, named_opener(text, doc_text))


def named_opener(text: str, doc_text: str) -> bool:
    """Whether the lone capitalised word opening `text` (when `mentions` meets one) is a name: the
    document also writes it capitalised elsewhere mid-sentence. This is all a claim's mentions
    read of its document, so they can be read once per text, not once per (text, document)."""
    word = _scan(text, False)[0]
    return word is not None and bool(
        re.search(rf"(?<=[a-z,;] ){re.escape(word)}\b", doc_text or "")
    )


def text_mentions(text: str, named_opener: bool) -> list[Mention]:
    """`mentions` of `text`, its opening word read as a name or not (`named_opener`). The list is
    shared by every caller (cached): read it, never change it."""
    return _scan(text, named_opener)[1]


@lru_cache(maxsize=1 << 15)
def _scan(text: str, named_opener: bool) -> tuple[str | None, list[Mention]]:
    """(the lone capitalised word opening `text` whose reading depends on the document, or None
    when `text` has none; the mentions). At most one word is so asked about: only one name piece
    can start where the sentence does, and what comes before it does not depend on the answer."""
    L = lex()
    opener = None
    out: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for m in L.actor_re.finditer(text):
        cid, _ = L.actor_of[fold(m.group())]
        out.append(_mention(text, m.start(), m.end(), f"actor:{cid}", "actor"))
        taken.append((m.start(), m.end()))
    titles = []
    for start, end, canon in title_spans(text):
        if any(a < end and start < b for a, b in taken):
            continue
        titles.append((start, end, canon))
    sentence_start = _sentence_start(text)
    for m in _CAP_RUN.finditer(text):
        for start, end in _name_parts(text, m.start(), m.end(), taken, titles):
            name = _name_key(text[start:end])
            if not name:
                continue
            if start == sentence_start and " " not in text[start:end].strip():
                # A lone capitalised word opening the sentence is a name only if the document
                # also writes it capitalised elsewhere mid-sentence (`named_opener`).
                opener = text[start:end]
                if not named_opener:
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
    return opener, sorted(out, key=lambda x: x.start)


@lru_cache(maxsize=1 << 15)
def title_spans(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, canonical title) of each title in `text` (aliases.yaml), read once per text:
    mentions and content words both ask."""
    L = lex()
    return tuple(
        (m.start(), m.end(), L.title_of[fold(m.group())]) for m in L.title_re.finditer(text)
    )


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


def _skip_word(word: str, L: Lexicon) -> bool:
    low = word.lower().rstrip(".")
    return (
        low in STOPWORDS
        or word in L.not_names
        or low in L.honorifics
        or f"{low}." in L.honorifics
        or not word[0].isupper()
    )


@lru_cache(maxsize=1 << 15)
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
        canon = L.title_of[fold(m.group())]
        after = re.match(
            rf"(?:\s+of\s+(?:the\s+)?[A-Z][^,;]{{0,60}}?)?\s+{name}", doc_text[m.end() :]
        )
        if after:
            key = person_key(after.group("name"))
            if key:
                links[canon].add(key)
        before = re.search(
            rf"{name},\s+(?:the\s+|an?\s+|[A-Z][\w.]*(?:'s|’s)\s+|[\w]+(?:'s|’s)\s+)?(?:\w+\s+){{0,2}}$",
            doc_text[max(0, m.start() - 80) : m.start()],
        )
        if before:
            key = person_key(before.group("name"))
            if key:
                links[canon].add(key)
    return links


@lru_cache(maxsize=4096)
def official_sides(doc_text: str, source: str) -> dict[str, str]:
    """Whose side each titled person is on, as the document presents them: person key -> actor
    id. "Russian Deputy Foreign Minister Andrey Rudenko" is Russia's; a title naming no country
    ("State Councilor and Foreign Minister Qin Gang") in a document whose source is itself an
    actor's body (China's foreign ministry) makes the person that source's own official."""
    L = lex()
    m = L.actor_re.search(source or "")
    own = L.actor_of[fold(m.group())][0] if m else ""
    sides: dict[str, str] = {}
    for t in L.title_re.finditer(doc_text):
        lead = re.match(r"\s+(?:of\s+(?:the\s+)?)?", doc_text[t.end() :])
        run = _CAP_RUN.match(doc_text, t.end() + lead.end()) if lead else None
        if not run:
            continue
        # "of the Russian Federation Andrey Rudenko": the country, then the name.
        inside = list(L.actor_re.finditer(run.group()))
        name = run.group()[inside[-1].end() :] if inside else run.group()
        key = person_key(name)
        before = re.search(r"(?:[\w'’]+\s+){0,3}$", doc_text[max(0, t.start() - 60) : t.start()])
        actors = [L.actor_of[fold(a.group())][0] for a in L.actor_re.finditer(before.group())]
        actors += [L.actor_of[fold(a.group())][0] for a in inside]
        # "President Xi Jinping of the People's Republic of China": the country after the name.
        tail = re.match(r",?\s+of\s+(?:the\s+)?", doc_text[run.end() :])
        later = L.actor_re.match(doc_text, run.end() + tail.end()) if tail else None
        if later:
            actors.append(L.actor_of[fold(later.group())][0])
        # A minister or spokesperson the ministry's own text names without a country is its own.
        minister = re.search(r"(?<!prime )minister|spokes", L.title_of[fold(t.group())])
        side = actors[-1] if actors else own if minister and "ministry" in source.lower() else ""
        if key and side:
            sides.setdefault(key, side)
    return sides


@lru_cache(maxsize=1 << 14)
def person_key(name: str) -> str:
    """A name as a person key, stripped of actors and titles ('Russian Federation Andrey Rudenko')."""
    L = lex()
    text = L.actor_re.sub(" ", name)
    text = L.title_re.sub(" ", text)
    words = [w for w in WORD.findall(text) if w[0].isupper() and not _skip_word(w, L)]
    return _name_key(" ".join(words[-3:]))


@lru_cache(maxsize=4096)
def title_links_cached(doc_text: str) -> dict[str, set[str]]:
    return title_links(doc_text)


def merge_links(*maps: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for m in maps:
        for k, v in m.items():
            out[k] |= v
    return out


def same_entity(x: Mention, y: Mention, links: dict[str, set[str]]) -> bool:
    if x.key == y.key:
        return True
    kx, vx = x.key.split(":", 1)
    ky, vy = y.key.split(":", 1)
    if kx == "name" and ky == "name":
        return same_name(vx, vy)
    if {kx, ky} == {"role", "name"}:
        role, name = (vx, vy) if kx == "role" else (vy, vx)
        return any(same_name(name, linked) for linked in links.get(role, ()))
    return False


@lru_cache(maxsize=1 << 16)
def same_name(a: str, b: str) -> bool:
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
