"""Numbers in a claim's text -> quantities: dates, years, money, percentages and counts (with
what a count counts)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from compare.diverge.lexicon import WORD, function_word, lex
from compare.text import verb_stem


@dataclass
class Quantity:
    start: int
    end: int
    text: str
    kind: str  # date | year | percent | money:usd | count
    value: object
    head: frozenset[str] = frozenset()  # counts: what is counted ("13 people killed")


@lru_cache(maxsize=1)
def _number_patterns() -> dict[str, re.Pattern]:
    n = lex().numbers
    words = sorted([*n["units"], *n["tens"]], key=len, reverse=True)
    word_num = rf"(?:(?:{'|'.join(n['tens'])})[-\s](?:{'|'.join(n['units'])})|{'|'.join(words)})"
    digits = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
    scales = "|".join(sorted(n["scales"], key=len, reverse=True))
    # a number word is a whole word: "ten" is not in "tension", nor "one" in "ones"
    number = (
        rf"(?:(?<![\w.,-])(?:{digits})|(?<![\w-])(?i:{word_num})(?!\w))(?:\s?(?i:(?:{scales})\b))?"
    )
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
    if not _may_hold_quantity(text):
        return []  # a shortcut, the same answer: most sentences hold no number
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


_DIGIT = re.compile(r"\d")
_ASCII_WORD = re.compile(r"[a-z0-9_]+")  # a run of \w in lower-case ASCII text


def _may_hold_quantity(text: str) -> bool:
    r"""False only when no pattern of `quantities` can match `text`: every one of them needs a
    digit or a number word ("five", "twenty"; a month name comes with a digit), and a number word
    matches only as a whole run of word characters (no word character on either side). Only ASCII
    text is ruled out: there lower case is exactly what the patterns' case-insensitive match sees
    and \w is [A-Za-z0-9_]."""
    if not text.isascii():
        return True
    if _DIGIT.search(text):
        return True
    n = lex().numbers
    return any(w in n["units"] or w in n["tens"] for w in _ASCII_WORD.findall(text.lower()))


def _head(text: str, end: int) -> frozenset[str]:
    """What a count counts: the next two content words close after it ('13 people were killed'
    -> {people, kill}); a hyphenated compound is one word ('3-year-old' -> {year-old})."""
    compound = re.match(r"-([A-Za-z]+(?:-[A-Za-z]+)*)", text[end:])
    if compound:
        return frozenset([compound.group(1).lower()])
    out = []
    for m in WORD.finditer(text, end, min(len(text), end + 40)):
        word = m.group().lower()
        if not function_word(word) and not word.isdigit():
            out.append(verb_stem(word))
        if len(out) == 2:
            break
    return frozenset(out)


def neutral_quantities(text: str) -> list[Quantity]:
    """Dates, years, percentages and amounts in a Chinese or Russian claim (or any text written
    with Arabic digits), read without English words: "2024年3月12日", "12 марта 2024 г.", "225万",
    "三千五百万", "225 млн", "15 %". Counts carry no head: across languages what is counted
    cannot be compared, so `_numbers_across` compares amounts only when each side has one."""
    P = _neutral_patterns()
    months = lex().numbers["ru"]["months"]
    out: list[Quantity] = []

    def free(a: int, b: int) -> bool:
        return not any(q.start < b and a < q.end for q in out)

    def add(m: re.Match, kind: str, value) -> None:
        if value is not None and free(m.start(), m.end()):
            out.append(Quantity(m.start(), m.end(), m.group(), kind, value))

    for m in P["zh_date"].finditer(text):
        year = int(m.group("y")) if m.group("y") else None
        if 1 <= int(m.group("m")) <= 12 and 1 <= int(m.group("d")) <= 31:
            add(m, "date", (int(m.group("m")), int(m.group("d")), year))
    for m in P["ru_date"].finditer(text):
        year = int(m.group("y")) if m.group("y") else None
        if 1 <= int(m.group("d")) <= 31:
            add(m, "date", (months[m.group("m").lower()], int(m.group("d")), year))
    for m in P["year"].finditer(text):
        add(m, "year", int(m.group("y")))
    for m in P["percent"].finditer(text):
        add(m, "percent", _neutral_value(m.group("n"), m.group("s")))
    for m in P["amount"].finditer(text):
        add(m, "count", _neutral_value(m.group("n"), m.group("s")))
    return sorted(out, key=lambda q: q.start)


@lru_cache(maxsize=1)
def _neutral_patterns() -> dict[str, re.Pattern]:
    zh, ru = lex().numbers["zh"], lex().numbers["ru"]
    han = "".join([*zh["digits"], *zh["units"]])
    han_scales = "".join(zh["scales"])
    ru_scales = "|".join(re.escape(s) for s in sorted(ru["scales"], key=len, reverse=True))
    months = "|".join(sorted(ru["months"], key=len, reverse=True))
    measure = "|".join(sorted(zh["measure_words"], key=len, reverse=True))
    digits = r"\d+(?:[.,]\d+)?|\d{1,3}(?:[\s\u00a0]\d{3})+"
    # a Chinese numeral: before a scale (万, 亿) or a measure word, or two characters or more with
    # a unit (十二, 三千五百; 十 alone is also "very" in 十分)
    han_number = (
        rf"[{han}]+(?=[{han_scales}]|(?:{measure}))|[{han}]*[十百千][{han}]+|[{han}]+[十百千]"
    )
    number = rf"(?<![\d.,])(?:{digits})|{han_number}"
    scale = rf"(?:\s?(?:[{han_scales}]+|(?:{ru_scales})(?!\w)))"
    percent = "|".join(ru["percent"])
    return {
        "zh_date": re.compile(r"(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]"),
        "ru_date": re.compile(
            rf"(?<!\d)(?P<d>\d{{1,2}})\s+(?i:(?P<m>{months}))(?!\w)(?:\s+(?P<y>\d{{4}})(?!\d))?"
        ),
        "year": re.compile(r"(?<!\d)(?P<y>1[5-9]\d\d|20\d\d)(?:年|\s?(?:г\.|год\w*))"),
        "percent": re.compile(rf"(?P<n>{number})(?P<s>{scale})?\s?(?:%|％|(?i:{percent})(?!\w))"),
        "amount": re.compile(rf"(?P<n>{number})(?P<s>{scale})?"),
    }


def _neutral_value(number: str, scale: str | None) -> float | None:
    """'225' -> 225, '2,5' -> 2.5, '225 000' -> 225000, '三千五百' -> 3500; x the scale word."""
    zh, ru = lex().numbers["zh"], lex().numbers["ru"]
    text = re.sub(r"[\s\u00a0]", "", number)
    if re.fullmatch(r"\d+,\d{1,2}", text):
        text = text.replace(",", ".")  # a Russian decimal comma
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        value = _han_value(text, zh)
    if value is None:
        return None
    for part in re.findall(r"[万亿]|[^\s万亿]+", (scale or "").strip()):
        value *= zh["scales"].get(part) or ru["scales"].get(part.lower(), 1)
    return value


def _han_value(text: str, zh: dict) -> float | None:
    """'三千五百' -> 3500, '十二' -> 12, '两' -> 2."""
    total, digit = 0, None
    for ch in text:
        if ch in zh["digits"]:
            digit = zh["digits"][ch]
        elif ch in zh["units"]:
            total += (1 if digit is None else digit) * zh["units"][ch]
            digit = None
        else:
            return None
    return float(total + (digit or 0))
