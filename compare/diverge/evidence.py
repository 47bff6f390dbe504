"""What a finding shows a reader: evidence spans and the quotes in its one-line reason, shared by
every kind of divergence."""

from __future__ import annotations

import re

from compare.diverge.lexicon import WORD, Span, function_word
from compare.text import cut_words

Finding = tuple[str, float, str, list[Span], list[Span], float]


def phrases(text: str, words) -> list[Span]:
    """Merge unique content words into phrases across gaps of at most 3 function words (a shared
    content word or a punctuation mark ends a phrase)."""
    spans: list[list[int]] = []
    for start, end, _ in sorted(words):
        if spans:
            gap = text[spans[-1][1] : start]
            between = WORD.findall(gap)
            if (
                len(between) <= 3
                and all(function_word(w.lower()) for w in between)
                and not re.search(r"[.;:!?\"“”()]", gap)
            ):
                spans[-1][1] = max(spans[-1][1], end)
                continue
        spans.append([start, end])
    return [(s, e, text[s:e]) for s, e in spans]


def quote(spans: list[Span], limit: int = 2) -> str:
    """The `limit` longest spans, in text order, quoted and shortened."""
    longest = sorted(sorted(spans, key=lambda s: s[0] - s[1])[:limit])
    parts = [f'"{short(t)}"' for *_, t in longest]
    more = " …" if len(spans) > limit else ""
    return ", ".join(parts) + more if parts else "(nothing)"


def short(text: str, n: int = 60) -> str:
    return cut_words(text, n)  # a quote ends on a whole word, never "co…"


def dedupe(spans: list[Span]) -> list[Span]:
    return sorted(set(spans))


def spans_of(text: str, phrase: str | None) -> list[Span]:
    if not phrase:
        return []
    i = text.find(phrase)
    return [(i, i + len(phrase), phrase)] if i >= 0 else []
