"""Documents -> term contrasts: each document's distinctive words and two-word phrases against the
rest of its event (log-odds with an informative Dirichlet prior, Monroe, Colaresi and Quinn 2008)."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

import polars as pl

from compare.diverge.config import TERM_CONTRASTS_SCHEMA, DivergeConfig
from compare.diverge.lexicon import function_word

# a word of any alphabet (Latin, Cyrillic, ...), lower case; digits inside it are kept
TERM = re.compile(r"[^\W\d_]\w*(?:['’-]\w+)*")


def terms(text: str) -> list[str]:
    """Readable terms: lower-case content words (unstemmed, possessive dropped) and two-word
    phrases of adjacent content words ('national stability', 'российско-китайских отношений')."""
    out, prev = [], None
    text = re.sub(r"\b(?:[a-z]\.){2,}", lambda m: m.group().replace(".", ""), text.lower())
    for m in TERM.finditer(text):
        word = re.sub(r"['’]s$", "", m.group())
        if function_word(word) or word.isdigit():
            prev = None
            continue
        out.append(word)
        gap = text[prev[1] : m.start()] if prev else ""
        if prev and re.fullmatch(r"[\s-]*", gap):
            out.append(f"{prev[0]} {word}")
        prev = (word, m.end())
    return out


def term_contrasts(documents: pl.DataFrame, config: DivergeConfig | None = None) -> pl.DataFrame:
    """Monroe et al. (2008) log-odds of each term in one document vs the rest of its event, with
    an informative Dirichlet prior alpha_w = prior_scale * (the event's pooled count of w)."""
    config = config or DivergeConfig()
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
