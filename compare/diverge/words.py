"""A claim's content words -> (start, end, match key): actors, titles and quantities by their
canonical value, other words by `compare.text.verb_stem`."""

from __future__ import annotations

from compare.diverge.entities import Mention, title_spans
from compare.diverge.lexicon import WORD, function_word
from compare.diverge.numbers import Quantity
from compare.text import verb_stem


def content_words(text: str, ments: list[Mention], quants: list[Quantity]):
    """(start, end, key) of each content word: actors by canonical id, titles by canonical title,
    quantities by value (a date by month and day), other words lightly stemmed."""
    out = []
    spans = [(m.start, m.end, m.key) for m in ments if m.type == "actor"]
    spans += [(q.start, q.end, f"{q.kind}={_value_key(q)}") for q in quants]
    for start, end, canon in title_spans(text):
        if not any(a < end and start < b for a, b, _ in spans):
            spans.append((start, end, f"title:{canon}"))
    # Offsets inside a span: names and numbers are short, and a set answers each word at once.
    covered = {i for a, b, _ in spans for i in range(a, b)}
    for m in WORD.finditer(text):
        if m.start() in covered:
            continue
        word = m.group().lower()
        if function_word(word):
            continue
        out.append((m.start(), m.end(), verb_stem(word)))
    out += spans
    return sorted(out)


def _value_key(q: Quantity):
    return q.value[:2] if q.kind == "date" else q.value
