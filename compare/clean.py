"""Cleaning one document's text: normalised whitespace, hard-wrapped lines joined, scraped site
furniture dropped (patterns in `compare/data/boilerplate.txt`, and short lines that are no
sentence), duplicate paragraphs dropped (exact, or token Jaccard >= 0.9; the first kept). None of
this assumes Latin letters: words are counted and compared in any script (`compare.lang`).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from importlib import resources

from compare import lang

MIN_WORDS = 6  # a scraped line shorter than this with no terminal punctuation is furniture
JACCARD_DUPLICATE = 0.9
CJK_WRAP_MIN = 15  # shorter CJK lines without a sentence end are headings, not wrapped text
# A sentence end, possibly inside closing quotes or brackets; full-width ones for CJK text.
CLOSERS = "\"'”’»)\\]」』）》】〕"
_TERMINAL = re.compile(f"[.!?…。！？][{CLOSERS}]*$")
# A line starting lowercase (any alphabet) continues a hard-wrapped sentence; in CJK text, a line
# after a long line that stopped mid-sentence (at a character or a comma) does.
_CONTINUES = re.compile(r"^[^\W\d_]")
_CJK_WRAPPED = re.compile(f"[{lang.CJK}，、；：]$")


def clean_text(text: str, *, scrape: bool = True) -> str:
    """Normalise whitespace, join hard-wrapped lines, drop furniture (if scrape) and duplicates."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs: list[str] = []
    previous_blank = True
    for raw in text.split("\n"):
        kept = raw if raw.isprintable() else "".join(ch for ch in raw if _kept(ch))  # fast path
        line = " ".join(kept.split())
        if not line:
            previous_blank = True
            continue
        if paragraphs and not previous_blank and _joins(paragraphs[-1], line):
            paragraphs[-1] += " " + line
        elif paragraphs and not previous_blank and _joins_cjk(paragraphs[-1], line):
            paragraphs[-1] += line  # Chinese and Japanese put no space between wrapped lines
        else:
            paragraphs.append(line)
        previous_blank = False
    if scrape:
        paragraphs = [p for p in paragraphs if not is_boilerplate(p)]
    return "\n\n".join(_drop_duplicate_paragraphs(paragraphs))


def _kept(ch: str) -> bool:
    """Printable characters and spaces, and the joiners that build one emoji or ligature from
    several (ZWJ, ZWNJ: a family emoji stays one family, not four people)."""
    return ch.isprintable() or ch.isspace() or ch in "\u200c\u200d"


def _joins(previous: str, line: str) -> bool:
    return not _TERMINAL.search(previous) and bool(_CONTINUES.match(line)) and line[0].islower()


def _joins_cjk(previous: str, line: str) -> bool:
    return (
        len(previous) >= CJK_WRAP_MIN
        and bool(_CJK_WRAPPED.search(previous))
        and lang.is_cjk(line[0])
    )


def is_boilerplate(line: str) -> bool:
    """A scraped line that is site furniture: a pattern in boilerplate.txt, or short and no sentence."""
    if any(pattern.search(line) for pattern in _boilerplate_patterns()):
        return True
    return lang.word_count(line) < MIN_WORDS and not _TERMINAL.search(line)


@lru_cache(maxsize=1)
def _boilerplate_patterns() -> tuple[re.Pattern[str], ...]:
    raw = resources.files("compare.data").joinpath("boilerplate.txt").read_text(encoding="utf-8")
    lines = (line.strip() for line in raw.splitlines())
    return tuple(re.compile(line, re.IGNORECASE) for line in lines if line and line[0] != "#")


def _drop_duplicate_paragraphs(paragraphs: list[str]) -> list[str]:
    """Keep the first of paragraphs that are equal or have token Jaccard >= 0.9.

    Prefix filtering keeps this near-linear: with tokens in a fixed order, two sets with Jaccard
    >= t share a token within their first |A| - ceil(t*|A|) + 1 tokens. The order is rarest token
    first (ties by the token), so a token every paragraph shares is never in a prefix unless the
    paragraphs are nearly that token alone; a length filter skips sets too unequal to match.
    """
    keys = [paragraph.casefold() for paragraph in paragraphs]
    token_sets = [frozenset(lang.tokens(key)) for key in keys]
    frequency = Counter(token for tokens in token_sets for token in tokens)
    kept: list[str] = []
    kept_tokens: list[frozenset[str]] = []
    exact: set[str] = set()
    index: dict[str, list[int]] = {}
    for paragraph, key, tokens in zip(paragraphs, keys, token_sets, strict=True):
        if key in exact:
            continue
        ordered = sorted(tokens, key=lambda token: (frequency[token], token))
        prefix = ordered[: _prefix_length(len(ordered))]
        candidates = {i for token in prefix for i in index.get(token, ())}
        if any(
            _near_duplicate(tokens, kept_tokens[i])
            for i in candidates
            if JACCARD_DUPLICATE * len(kept_tokens[i]) <= len(tokens)
            and JACCARD_DUPLICATE * len(tokens) <= len(kept_tokens[i])
        ):
            continue
        exact.add(key)
        for token in prefix:
            index.setdefault(token, []).append(len(kept))
        kept.append(paragraph)
        kept_tokens.append(tokens)
    return kept


def _prefix_length(size: int) -> int:
    return size - -(-9 * size // 10) + 1 if size else 0  # size - ceil(0.9 * size) + 1


def _near_duplicate(a: frozenset[str], b: frozenset[str]) -> bool:
    union = len(a | b)
    return union > 0 and len(a & b) >= JACCARD_DUPLICATE * union
