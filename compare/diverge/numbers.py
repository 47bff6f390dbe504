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
        if not function_word(word) and not word.isdigit():
            out.append(verb_stem(word))
        if len(out) == 2:
            break
    return frozenset(out)
