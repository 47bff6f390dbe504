"""Segment: documents -> claims.

A claim is a sentence: the text is split on line breaks (paragraphs, and one-sentence-per-line
corpora), then into sentences with pysbd, which never sees more than 1000 characters of a long line
at once (it is quadratic in its input); lines over 50,000 characters are split by a rule instead,
and so are lines of Chinese or Japanese, Cyrillic, and Arabic script (Arabic, Urdu, Persian: "؟" and
"۔" end a sentence). Offsets index the document text exactly:
`documents.text[char_start:char_end] == claims.text`. Each claim gets a speaker when the sentence
attributes it ("..., the ministry said.") and the subject a speaker reports on ("Moscow said Beijing
had ..."); the verb lexicon lives in `compare/data/attribution.yaml`.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from functools import lru_cache
from importlib import resources

import polars as pl
import pysbd
import yaml

from compare import lang

CLAIMS_SCHEMA: dict[str, pl.DataType] = {
    "claim_id": pl.String(),
    "doc_id": pl.String(),
    "event_id": pl.String(),
    "position": pl.Int32(),
    "char_start": pl.Int32(),
    "char_end": pl.Int32(),
    "text": pl.String(),
    "speaker": pl.String(),
    "reported_subject": pl.String(),
    "text_sha256": pl.String(),
    "kind": pl.String(),  # statement, question, heading, meta (see claim_kind)
}

MAX_CLAIM_CHARS = 2000  # a longer run without sentence boundaries is cut into pieces
PIECE_CHARS = 1000
# pysbd reads ~300 KB/s even in short windows: a longer line (a whole book on one line) is split by
# a rule instead (sentence end, space, capital; not after an abbreviation or an initial).
LONG_LINE_CHARS = 50_000

_LINE = re.compile(r"[^\n\r]+")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+")
_RULE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+(?=[\"'“‘«(\[]?[A-Z0-9])")
# Chinese and Japanese: a sentence ends at 。！？ (or ASCII ! ?, or an ellipsis ……), with the
# closing quotes and brackets that follow it; no space comes after. A line whose letters are mostly
# CJK is split by this rule (pysbd's zh mode puts a closing quote at the start of the next sentence).
CJK_CLOSERS = "\"'”’」』）》】〕)\\]"
_CJK_END = re.compile(f"(?:[。！？!?]+|…{{2}}|\\.{{3}})[{CJK_CLOSERS}]*\\s*")
CJK_LINE_SHARE = 0.3
# Russian (and other Cyrillic) lines: pysbd's en and ru modes both cut after initials ("С.В.
# Лавров") and abbreviations ("т.е.", "млн."), so a rule splits them: a sentence end, space, then a
# capital or digit; not after an abbreviation or an initial (a lone letter not after a name).
_CYRILLIC_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+(?=[\"'“‘«(\[—–-]?\s*[А-ЯЁA-Z0-9])")
_CYRILLIC_LETTER = re.compile(r"[\u0400-\u04ff]")
CYRILLIC_ABBREVIATIONS = frozenset(
    ["г", "гг", "млн", "млрд", "трлн", "тыс", "руб", "долл", "коп", "им", "ул", "см", "стр", "др"]
    + ["проф", "акад", "ген"]  # "т.е." and "с.г." hold a period: never an end either
)
# Arabic-script lines (Arabic, Urdu, Persian): pysbd knows neither "؟" (the Arabic question mark)
# nor "۔" (the Urdu full stop), and the script has no capitals to confirm an end. A sentence ends
# at "؟" or "۔" (a space after it or not: neither is used inside a number or an abbreviation), or
# at . ! ? … before a space, not after a lone letter or a dotted word ("د. محمد", "U.S."); "٫" is
# the decimal point and "،" "؛" are a comma and a semicolon, never an end.
ARABIC_CLOSERS = "\"'”’»)\\]"
_ARABIC_END = re.compile(
    f"(?:[.!?…]*[؟۔][.!?…؟۔]*[{ARABIC_CLOSERS}]*\\s*|[.!?…]+[{ARABIC_CLOSERS}]*\\s+)"
)
_ARABIC_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


def segment(documents: pl.DataFrame) -> pl.DataFrame:
    """One row per sentence of each document, in reading order, with speaker attribution."""
    rows = []
    columns = ["doc_id", "event_id", "text"] + (["title"] if "title" in documents.columns else [])
    for doc in documents.select(columns).iter_rows(named=True):
        text = doc["text"] or ""
        previous: tuple[str | None, str] = (None, "")  # the last claim's speaker and text
        last_named = None  # the last speaker that is a name, for "he said"
        asking, last_end = False, 0  # inside a press question's paragraph
        for position, (start, end) in enumerate(split_sentences(text)):
            new_paragraph = "\n" in text[last_end:start] or position == 0
            label = _SPEAKER_LABEL.match(text, start, end)
            if label and not _QUESTION_TURN.match(text[start:end]):
                start, asking = label.end(), False  # a new turn: the label is not the claim
            claim = text[start:end]
            kind, asking = claim_kind(claim, doc.get("title"), asking and not new_paragraph)
            last_end = end
            speaker, subject = attribute(claim)
            if (
                label
                and label.group("name")
                and (speaker is None or speaker.casefold() in _lexicon()["pronouns"])
            ):
                speaker = label.group("name")  # "Yury Ushakov: We emphasised ..."
            if speaker and speaker.casefold() in _lexicon()["personal_pronouns"]:
                speaker = last_named or speaker
            elif speaker is None and _continues_quote(previous[1], claim):
                speaker = previous[0]
            if (
                speaker
                and (speaker[0].isupper() or lang.is_cjk(speaker[0]))
                and speaker.casefold() not in _lexicon()["pronouns"]
            ):
                last_named = speaker
            previous = (speaker, claim)
            key = f"{doc['doc_id']}\x1f{position}\x1f{claim}"
            rows.append(
                {
                    "claim_id": hashlib.sha256(key.encode("utf-8")).hexdigest()[:16],
                    "doc_id": doc["doc_id"],
                    "event_id": doc["event_id"],
                    "position": position,
                    "char_start": start,
                    "char_end": end,
                    "text": claim,
                    "speaker": speaker,
                    "reported_subject": subject,
                    "text_sha256": hashlib.sha256(claim.encode("utf-8")).hexdigest(),
                    "kind": kind,
                }
            )
    return pl.DataFrame(rows, schema=CLAIMS_SCHEMA)


# --- claim kinds ---------------------------------------------------------------------------------

# A sentence end, possibly inside closing quotes or brackets.
_ENDS = re.compile(r"[.!?…。！？؟۔][\"'”’)\]»」』）》】〕]*$")
_ASKED = re.compile(r"[?？؟][\"'”’)\]»」』）》】〕]*$")
_QUESTION_TURN = re.compile(r"^(?:question|q)\s*[:.]\s", re.IGNORECASE)
_ANSWER_TURN = re.compile(r"^(?:answer|a)\s*[:.]\s", re.IGNORECASE)
# A turn's speaker label at the start of a sentence: "Answer:", "A:", or a name of two to five
# capitalised words ("Yury Ushakov:"). Where a scrape joined a briefing's paragraphs, it is what
# ends a question turn; the label is not part of the claim (it is never embedded or compared).
_SPEAKER_LABEL = re.compile(
    r"(?:(?i:answer|a)|(?P<name>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){1,4}))\s*:\s+(?=\S)"
)
_META = [
    # Bylines and credits: "By Jane Doe", "(Reporting by ...; Editing by ...)".
    re.compile(
        r"^[Bb][Yy]\s+[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|de|van|von|&))*"
        r"(?:\s*[,|/-]\s*[\w .]+)?$"
    ),
    re.compile(
        r"^\(?(?:additional\s+)?(?:reporting|writing|editing|compiled)\s+by\b", re.IGNORECASE
    ),
    # Credits and links: "Photo: Reuters", "Read | ...", "(Photo by ...)", "Read more".
    re.compile(
        r"^[(\[]?(?:photo|file\s+photo|photograph|image|picture|video|credit|read"
        r"|related|watch|listen)\s*(?:[:|–—-]|by\b)",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:advertisement|read\s+more|also\s+read|see\s+also|click\s+here|follow\s+us"
        r"|share\s+this|subscribe|sign\s+up|copyright|©)\b",
        re.IGNORECASE,
    ),
    # A dateline or a date standing alone: "BEIJING, June 25 (Reuters) -", "June 25, 2023".
    re.compile(r"^[A-Z][A-Z .'’-]+(?:,\s*[\w .]+)?(?:\s*\([\w .]+\))?\s*[-–—:]$"),
    re.compile(
        r"^(?:\w+day,?\s+)?(?:\d{1,2}\s+)?[A-Z][a-z]+\.?\s+\d{1,2}(?:,\s*\d{4})?"
        r"(?:\s+\d{1,2}:\d{2}\s*(?:[AaPp]\.?[Mm]\.?)?)?$"
    ),
    re.compile(
        r"^(?:updated|published|posted|last\s+updated)\s*:?\s*(?:on\s+)?"
        r"(?:\d|[A-Z][a-z]{2,8}\.?\s+\d)",
        re.IGNORECASE,
    ),
    # Chinese and Russian credits: "（完）", "责任编辑：...", "Фото: ...", "Читайте также".
    re.compile(r"^[（(]完[）)]$|^(?:责任编辑|编辑|来源|记者|摄影|原标题)\s*[：:]"),
    re.compile(r"^(?:фото|источник|читайте\s+также|подробнее)\b", re.IGNORECASE),
]
META_MAX_WORDS = 15  # a longer sentence that starts like a credit line is a statement


def claim_kind(sentence: str, title: str | None = None, asking: bool = False) -> tuple[str, bool]:
    """(kind, asking): `statement`, `question` (a press question or any interrogative turn),
    `heading` (the title repeated, a section head, a line in capitals) or `meta` (bylines,
    datelines, credits, "Read more"). `asking` carries a "Question:" turn over the rest of its
    paragraph, until an "Answer:"."""
    text = sentence.strip()
    if _QUESTION_TURN.match(text):
        return "question", True
    if _ANSWER_TURN.match(text):
        return "statement", False
    if asking or _ASKED.search(text):
        return "question", asking
    if len(text.split()) <= META_MAX_WORDS and any(p.search(text) for p in _META):
        return "meta", False
    if not _ENDS.search(text) and (_is_title(text, title) or _shouted(text)):
        return "heading", False
    return "statement", False


def _words(text: str) -> set[str]:
    return set(lang.tokens(text.casefold()))


def _is_title(text: str, title: str | None) -> bool:
    """The document's title, or one of its parts ("A; B"), repeated as a line of the text."""
    if not title:
        return False
    words = _words(text)
    for part in [title, *re.split(r"\s*[;|]\s*", title)]:
        other = _words(part)
        if words and other and len(words & other) / len(words | other) >= 0.8:
            return True
    return False


def _shouted(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(text.split()) <= 10 and len(letters) >= 3 and all(ch.isupper() for ch in letters)


# --- sentences -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text`, stripped, skipping spans without letters/digits."""
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        starts = _rule_starts if len(line.group()) > LONG_LINE_CHARS else _sentence_starts
        windows = _windows
        head = line.group()[:PIECE_CHARS]
        letters = "".join(filter(str.isalpha, head))
        if lang.cjk_share(letters) >= CJK_LINE_SHARE:
            starts, windows = _cjk_starts, _whole  # linear rules: no windows needed
        elif _share(letters, _CYRILLIC_LETTER) >= 0.5:
            starts, windows = _cyrillic_starts, _whole
        elif _share(letters, _ARABIC_LETTER) >= 0.5:
            starts, windows = _arabic_starts, _whole
        for window_start, window_end in windows(line.group()):
            window = line.group()[window_start:window_end]
            offset = line.start() + window_start
            bounds = [*starts(window), len(window)]
            for a, b in itertools.pairwise(bounds):
                spans.extend(_pieces(text, offset + a, offset + b))
    return spans


def _windows(line: str) -> list[tuple[int, int]]:
    """A line longer than MAX_CLAIM_CHARS cut into windows of at most PIECE_CHARS for pysbd.

    pysbd is quadratic in the length of what it is given (a 200 KB line took half a minute), so it
    only ever sees short text: each window ends at the last sentence end in its second half, else
    at the last whitespace there, else after PIECE_CHARS characters. Segmentation stays linear.
    """
    if len(line) <= MAX_CLAIM_CHARS:
        return [(0, len(line))]
    windows, start = [], 0
    while len(line) - start > PIECE_CHARS:
        window = line[start : start + PIECE_CHARS]
        ends = [m.end() for m in _SENTENCE_END.finditer(window, PIECE_CHARS // 2)]
        space = max(window.rfind(" "), window.rfind("\t")) + 1
        cut = ends[-1] if ends else space if space > PIECE_CHARS // 2 else PIECE_CHARS
        windows.append((start, start + cut))
        start += cut
    return windows + [(start, len(line))]


def _whole(line: str) -> list[tuple[int, int]]:
    return [(0, len(line))]


def _cjk_starts(line: str) -> list[int]:
    """Sentence starts in a line of Chinese or Japanese: after each 。！？ and its closers."""
    return [0] + [m.end() for m in _CJK_END.finditer(line) if 0 < m.end() < len(line)]


def _share(letters: str, script: re.Pattern[str]) -> float:
    """The share of `letters` (a string of letters only) that are of `script` (one character)."""
    return len(script.findall(letters)) / len(letters) if letters else 0


def _arabic_starts(line: str) -> list[int]:
    """Sentence starts in a line of Arabic, Urdu or Persian: after ؟ ۔, or . ! ? … and a space."""
    starts = [0]
    for match in _ARABIC_END.finditer(line):
        if line[match.start()] == "." and "؟" not in match.group() and "۔" not in match.group():
            word = line[line.rfind(" ", 0, match.start()) + 1 : match.start()].lstrip("\"'“‘«([")
            if len(word) == 1 or "." in word:
                continue  # "د. محمد" (Dr.), "أ.د." (Prof. Dr.), "U.S."
        if 0 < match.end() < len(line):
            starts.append(match.end())
    return starts


def _cyrillic_starts(line: str) -> list[int]:
    starts = [0]
    for match in _CYRILLIC_END.finditer(line):
        if line[match.start()] == ".":
            before = line[: match.start()].rstrip()
            word = before[before.rfind(" ") + 1 :].lstrip("\"'“‘«([")
            prior = before[: len(before) - len(word)].rstrip()
            previous = prior.split()[-1] if prior.split() else ""
            ante = prior[: len(prior) - len(previous)].rstrip()
            if word.casefold() in CYRILLIC_ABBREVIATIONS or "." in word:
                continue  # "т.е. 5", "С.В. Лавров"
            # A lone letter is an initial ("министр С. Лавров", "Министр С. Лавров" at a sentence
            # start) unless a name comes before it inside the sentence: "с Ван И. Стороны".
            name_before = previous[:1].isupper() and ante and ante[-1] not in '.!?…»"”'
            if len(word) == 1 and not name_before:
                continue
        if match.end() < len(line):
            starts.append(match.end())
    return starts


@lru_cache(maxsize=1 << 14)  # a paragraph of wire copy recurs in every outlet that runs it
def _sentence_starts(line: str) -> tuple[int, ...]:
    """Where each pysbd sentence starts in `line`; the spans between starts cover the whole line.

    pysbd's own char_span offsets are found with a regex search and go wrong on repeated or
    altered sentences, so each sentence is located by a forward search from the previous one.
    """
    if not any(ch.isalnum() for ch in line):
        return (0,)
    try:
        # pysbd's processor alone (1.8x faster than segment(), which also looks every sentence up
        # in the line by regex); the same starts unless pysbd altered a sentence, and then the
        # line goes through segment() as before.
        starts = _starts_of(line, _segmenter().processor(line).process(), strict=True)
        if starts is None:
            starts = _starts_of(line, _segmenter().segment(line))
    # A pysbd bug on an odd line must not lose the document's claims: keep the line whole.
    except Exception:  # noqa: BLE001
        return (0,)
    return tuple(starts)


def _starts_of(line: str, sentences: list[str], strict: bool = False) -> list[int] | None:
    """Starts of `sentences` in `line`, each searched from the end of the previous one. A sentence
    not found ends the search (the rest stays one span), or with `strict` gives None."""
    starts, cursor = [0], 0
    for sentence in sentences:
        piece = sentence.strip()
        found = line.find(piece, cursor) if piece else -1
        if found < 0:  # pysbd altered the text: keep the rest as one span rather than lose it
            if strict:
                return None
            break
        if found > 0 and found > starts[-1]:
            starts.append(found)
        cursor = found + len(piece)
    return starts


def _rule_starts(line: str) -> list[int]:
    """Sentence starts by rule, for very long lines: linear, and ~50x faster than pysbd."""
    starts = [0]
    for match in _RULE_END.finditer(line):
        if line[match.start()] == ".":
            word = line[line.rfind(" ", 0, match.start()) + 1 : match.start()].lstrip("\"'“‘«([")
            if len(word) == 1 or "." in word or word.casefold() in _abbreviations():
                continue  # "J. Smith", "U.S. officials", "Gen. Lee"
        if match.end() < len(line):
            starts.append(match.end())
    return starts


@lru_cache(maxsize=1)
def _abbreviations() -> frozenset[str]:
    from pysbd.lang.english import English

    return frozenset(a.casefold() for a in English.Abbreviation.ABBREVIATIONS)


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Strip the span; cut a run longer than MAX_CLAIM_CHARS at whitespace into ~1000-char pieces."""
    chunk = text[start:end]
    start += len(chunk) - len(chunk.lstrip())
    end -= len(chunk) - len(chunk.rstrip())
    if start >= end or not any(ch.isalnum() for ch in text[start:end]):
        return []
    if end - start <= MAX_CLAIM_CHARS:
        return [(start, end)]
    pieces = []
    while end - start > PIECE_CHARS:
        window = text[start : start + PIECE_CHARS]
        cut = max(window.rfind(" "), window.rfind("\t"))
        cut = start + (cut if cut > PIECE_CHARS // 2 else PIECE_CHARS)
        pieces.extend(_pieces(text, start, cut))
        start = cut
    return pieces + _pieces(text, start, end)  # the rest is <= PIECE_CHARS: no recursion


# --- attribution ---------------------------------------------------------------------------------


def attribute(sentence: str) -> tuple[str | None, str | None]:
    """(speaker, reported_subject) of a sentence, or (None, None) if it is the document's own voice.

    Tried in order: "X [on Sunday] said ..." at the start (after an optional lead-in clause),
    "..., X said." after a comma or closing quote, '"...," said X.', and "According to X, ...".
    """
    p = _patterns()
    match = p["before"].search(sentence)
    if match:
        return _clean(match.group("np")), _reported_subject(sentence[match.end() :])
    for name in ("inverted", "said_x", "according", "dash_said", "zh_before", "zh_according"):
        match = p[name].search(sentence)
        if match:
            return _clean(match.group("np")), None
    return None, None


def reporting_verbs() -> frozenset[str]:
    """The verbs that attribute a claim ("said", "added", "told"), lower case."""
    lex = _lexicon()
    return frozenset(v.casefold() for v in lex["verbs"] + lex["inverted_verbs"])


def _continues_quote(previous: str, sentence: str) -> bool:
    """A quote that goes on from an attributed sentence: '"We will win," she said. "Soon."',
    or a quotation the previous sentence opened and did not close."""
    if not previous:
        return False
    opened = previous.count("“") > previous.count("”") or previous.count('"') % 2 == 1
    standalone = sentence[:1] in '"“' and sentence.rstrip()[-1:] in '"”'
    return opened or standalone


def _reported_subject(rest: str) -> str | None:
    match = _patterns()["subject"].match(rest)
    if not match or match.group("np").casefold() in _lexicon()["pronouns"]:
        return None
    return _clean(match.group("np"))


def _clean(phrase: str) -> str:
    return phrase.strip().rstrip(".,;:")


@lru_cache(maxsize=1)
def _lexicon() -> dict:
    raw = resources.files("compare.data").joinpath("attribution.yaml").read_text(encoding="utf-8")
    lexicon = yaml.safe_load(raw)
    lexicon["pronouns"] = {word.casefold() for word in lexicon["pronouns"]}
    lexicon["personal_pronouns"] = {word.casefold() for word in lexicon["personal_pronouns"]}
    return lexicon


def _alternatives(words: list[str], *, regex: bool = False) -> str:
    """`a|b|c` longest first; multi-word entries match any whitespace between words."""
    parts = sorted(words, key=len, reverse=True)
    return "|".join(p if regex else r"\s+".join(map(re.escape, p.split())) for p in parts)


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    lex = _lexicon()
    verb = rf"(?:{_alternatives(lex['verbs'])})\b"
    inverted = rf"(?:{_alternatives(lex['inverted_verbs'])})\b"
    det = rf"(?i:{_alternatives(lex['determiners'])})"
    stop = rf"(?i:{_alternatives(lex['stopwords'])})"
    adverb = rf"(?:{_alternatives(lex['adverbs'], regex=True)})"
    aux = rf"(?:{_alternatives(lex['auxiliaries'])})\b"
    after = _alternatives(lex["after_speaker"])  # '"...," says Perry in the new ad
    word = r"[^\W_][\w'’.\-]*"
    # A noun phrase of up to ~6 words: optional determiner, then words that are not function words
    # ("The man who said" has no speaker). Lazy, so the first reporting verb ends it.
    np = rf"(?:{det}\s+)?(?!(?:{det}|{stop})\b){word}(?:\s+(?!{stop}\b){word}){{0,5}}?"
    lead_in = r"(?:[^,\"“”]{1,80},\s+)?"  # "In its readout of the talks, "
    opener = (
        r"(?:,|[,.!?]?[\"”’](?=\s))\s*"  # a comma or a closing quote before an inverted speaker
    )
    return {
        "before": re.compile(rf"^{lead_in}(?P<np>{np})\s+(?:{adverb}\s+)?{verb}"),
        # '"...," Rep. Jerrold Nadler, D-N.Y., the former chairman, told ...': skip an apposition.
        "inverted": re.compile(
            rf"{opener}(?P<np>{np})(?:,[^\"“”]{{1,120}},)?\s+(?:{adverb}\s+)?{verb}"
        ),
        "said_x": re.compile(
            rf"{opener}{inverted}\s+(?P<np>{np})\s*(?:[.,;!?]|$|\s+(?:{after})\b)"
        ),
        "according": re.compile(
            rf"(?i:{_alternatives(lex['source_phrases'])})\s+(?P<np>{np})\s*(?:[.,;:!?]|$)"
        ),
        # Russian: "«Мы готовы», — заявил Лавров."
        "dash_said": re.compile(
            rf"[—–]\s*(?:{_alternatives(lex['dash_verbs'])})\s+(?P<np>{np})\s*(?:[.,;!?]|$)"
        ),
        # Chinese: "[lead-in，]王毅[在会谈中]表示，" / "：" / "“"; the speaker is 2-20 characters
        # or 他 / 她 ("据说，" and "简称，" have none).
        "zh_before": re.compile(
            rf"^(?:[^，。！？“”]{{1,30}}?，)??(?P<np>他|她|[^\s，。！？、“”：:；,]{{2,20}}?)"
            rf"(?:(?:在|于|就|对|也|还|再次|同时)[^，。！？“”]{{0,30}}?)?"
            rf"(?:{_alternatives(lex['verbs_zh'])})(?:[，,：:“]|$)"
        ),
        "zh_according": re.compile(
            rf"^(?:{_alternatives(lex['according_zh'])})(?P<np>[^，。！？“”]{{2,20}}?)"
            rf"(?:报道|消息|介绍|透露)?[，,]"
        ),
        "subject": re.compile(
            rf"\s*(?:{adverb}\s+)?(?:that\s+)?(?P<np>{np})\s+(?:{adverb}\s+)?{aux}"
        ),
    }
