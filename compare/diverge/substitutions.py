"""Two claims' changed words -> substitutions: which words of one account stand for which words of
the other ("protecting national stability" <-> "stabilise the situation"), and the words with no
counterpart (insertions, deletions), ranked by how much the connotation shifts.

The changed runs come from the word-level diff (`diff.word_diff`). Inside a replaced run the words
are paired by static word vectors: the bundled sentence model's own input word-piece embedding
matrix (`embeddings.word_embeddings.weight`, read with `safetensors` as numpy, the word-pieces from
its `tokenizer.json`); a word's vector is the mean of its word-pieces' rows, centred on the
vocabulary's mean row. No transformer forward pass and no torch: a warm run never loads the model.
Pairs are made greedily, most similar first (one-to-one, at least `MIN_SIMILARITY`); each side's
unpaired words then join the neighbouring paired word of their phrase (at most one function word
between, `MAX_PHRASE` content words), so "protecting national stability" stands for "stabilise the
situation"; what is still unpaired is an insertion (only in b) or a deletion (only in a).

Connotation: VADER's valence lexicon (compare/data/valence.txt, MIT licence): a phrase's valence is
the sum of its words' valences (clipped to [-4, 4]); a substitution's shift is the difference of
its two sides. Substitutions rank by |shift|, then by similarity."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from compare.diverge.lexicon import WORD, Span, function_word
from compare.text import verb_stem

MIN_SIMILARITY = 0.25  # cosine of two centred word vectors that may stand for each other
MAX_PHRASE = 3  # content words on one side of a substitution
LOADED = 0.5  # a word this far from 0 on VADER's scale carries connotation
STEM_PREFIX = 6  # two words with the same first letters are one stem
DATA = Path(__file__).resolve().parent.parent / "data"

Word = tuple[int, int, str]  # (start, end, match key) in a claim's text


@dataclass(frozen=True)
class Substitution:
    """Words of a (`span_a`) that stand for words of b (`span_b`); one side None for a deletion
    (only in a) or an insertion (only in b). `similarity` of the two sides' vectors (0 when one
    side is empty), `valence_a` / `valence_b` from the lexicon, `shift` = valence_b - valence_a."""

    span_a: Span | None
    span_b: Span | None
    similarity: float
    valence_a: float
    valence_b: float

    @property
    def shift(self) -> float:
        return round(self.valence_b - self.valence_a, 3)

    @property
    def paired(self) -> bool:
        return self.span_a is not None and self.span_b is not None


def substitutions(
    text_a: str, text_b: str, runs: list[tuple[list[Word], list[Word]]]
) -> list[Substitution]:
    """Every substitution, insertion and deletion in the replaced runs [(words of a, words of b)]
    (a run with one side empty is all insertions or deletions), ranked: paired substitutions
    first, by |shift| then similarity; then unpaired words by |valence|."""
    return list(_substitutions(text_a, text_b, tuple((tuple(ra), tuple(rb)) for ra, rb in runs)))


@lru_cache(maxsize=1 << 14)
def _substitutions(text_a: str, text_b: str, runs: tuple) -> tuple[Substitution, ...]:
    """`substitutions`, memoised on the two texts and their replaced runs."""
    out: list[Substitution] = []
    for ra, rb in runs:
        out += _align_run(text_a, text_b, list(ra), list(rb))
    return tuple(rank(out))


def rank(subs: list[Substitution]) -> list[Substitution]:
    return sorted(
        subs,
        key=lambda s: (
            not s.paired,
            -abs(s.shift),
            -s.similarity,
            (s.span_a or s.span_b)[0],
        ),
    )


def _align_run(text_a: str, text_b: str, ra: list[Word], rb: list[Word]) -> list[Substitution]:
    """Phrases of a and of b paired greedily by their most similar words (one-to-one, at least
    MIN_SIMILARITY); an unpaired phrase is a deletion or an insertion."""
    pa, pb = _chunks(text_a, ra), _chunks(text_b, rb)
    # Each word read once (key, lower case, vector), not once per word it is weighed against.
    read_a = [[_read_word(text_a, u) for u in x] for x in pa]
    read_b = [[_read_word(text_b, v) for v in y] for y in pb]
    sims = [
        (max(_similarity(u, v) for u in x for v in y), i, j)
        for i, x in enumerate(read_a)
        for j, y in enumerate(read_b)
    ]
    # Most similar first; the sort is stable and `sims` is in (i, j) order, so ties stay in it.
    order = sorted(sims, key=lambda t: -t[0])
    used_a: set[int] = set()
    used_b: set[int] = set()
    out = []
    for sim, i, j in order:
        if sim < MIN_SIMILARITY:
            break
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            out.append(_substitution(text_a, text_b, pa[i], pb[j], float(sim)))
    out += [_substitution(text_a, text_b, x, [], 0.0) for i, x in enumerate(pa) if i not in used_a]
    out += [_substitution(text_a, text_b, [], y, 0.0) for j, y in enumerate(pb) if j not in used_b]
    return out


def _read_word(text: str, w: Word) -> tuple[str, str, np.ndarray | None]:
    """(match key, lower case, static vector) of a word of `text`."""
    low = text[w[0] : w[1]].lower()
    return w[2], low, word_vector(low)


def _similarity(u: tuple, v: tuple) -> float:
    """Cosine of two words' static vectors (`_read_word`); 1 for one stem ("stability" /
    "stabilise": the same first STEM_PREFIX letters)."""
    (key_a, wa, x), (key_b, wb, y) = u, v
    if key_a == key_b or (len(wa) >= STEM_PREFIX and wa[:STEM_PREFIX] == wb[:STEM_PREFIX]):
        return 1.0
    return float(x @ y) if x is not None and y is not None else 0.0


def _chunks(text: str, run: list[Word]) -> list[list[Word]]:
    """A run's words as phrases: neighbours with at most one function word (no conjunction) and
    no punctuation between them, at most MAX_PHRASE content words a phrase."""
    out: list[list[Word]] = []
    for w in sorted(run):
        if out and len(out[-1]) < MAX_PHRASE and _joinable(text[out[-1][-1][1] : w[0]]):
            out[-1].append(w)
        else:
            out.append([w])
    return out


@lru_cache(maxsize=4096)  # a handful of gaps (" ", " the ", ", ") make most of them
def _joinable(gap: str) -> bool:
    words = [w.lower() for w in WORD.findall(gap)]
    return (
        len(words) <= 1
        and all(function_word(w) and w not in _CONJUNCTIONS for w in words)
        and not re.search(r"[,.;:!?\"“”()]", gap)
    )


_CONJUNCTIONS = frozenset({"and", "or", "but", "nor", "while", "as", "than"})


def _substitution(text_a, text_b, wa: list[Word], wb: list[Word], sim: float) -> Substitution:
    sa, sb = _span(text_a, wa), _span(text_b, wb)
    return Substitution(
        sa,
        sb,
        round(sim, 4),
        phrase_valence(text_a, wa),
        phrase_valence(text_b, wb),
    )


def _span(text: str, words: list[Word]) -> Span | None:
    if not words:
        return None
    start, end = min(w[0] for w in words), max(w[1] for w in words)
    return (start, end, text[start:end])


def loaded_words(text: str, span: Span | None) -> list[Span]:
    """The words of a span that carry valence (|valence| >= LOADED): what makes its connotation."""
    if span is None:
        return []
    return [
        (m.start(), m.end(), m.group())
        for m in WORD.finditer(text, span[0], span[1])
        if abs(valence(m.group())) >= LOADED
    ]


def phrase_valence(text: str, words: list[Word]) -> float:
    total = sum(valence(text[s:e], key) for s, e, key in words)
    return round(max(-4.0, min(4.0, total)), 3)


# --- valence lexicon -----------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def valence(word: str, key: str | None = None) -> float:
    """VADER valence of a word in [-4, 4] (0 when unknown): its lower-case form, else any form
    with the same stem."""
    low = word.lower().replace("’", "'")
    table, by_stem = _valence_table()
    if low in table:
        return table[low]
    return by_stem.get(key or verb_stem(low), 0.0)


@lru_cache(maxsize=1)
def _valence_table() -> tuple[dict[str, float], dict[str, float]]:
    table: dict[str, float] = {}
    for line in (DATA / "valence.txt").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        word, value = line.split("\t")[:2]
        table[word] = float(value)
    stems: dict[str, list[float]] = {}
    for word, value in table.items():
        stems.setdefault(verb_stem(word), []).append(value)
    by_stem = {k: round(sum(v) / len(v), 3) for k, v in stems.items()}
    return table, by_stem


# --- static word vectors -------------------------------------------------------------------------


def word_vector(word: str) -> np.ndarray | None:
    """The unit-length, vocabulary-centred mean of a word's word-piece input embeddings; None when
    no static vectors are available."""
    return _word_vector(word.lower())


@lru_cache(maxsize=65536)
def _word_vector(word: str) -> np.ndarray | None:
    table = _static_table()
    if table is None:
        return None
    tokenizer, matrix, mean = table
    ids = tokenizer.encode(word, add_special_tokens=False).ids
    if not ids:
        return None
    v = matrix[ids].mean(axis=0) - mean
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 and math.isfinite(norm) else None


def model_folder() -> Path | None:
    """The folder whose input embeddings serve as word vectors: the bundled model."""
    try:
        from compare.embed import bundled_model_path

        return bundled_model_path()
    except Exception:  # noqa: BLE001 - no bundled model: pair words without vectors
        return None


@lru_cache(maxsize=1)
def _static_table():
    """(tokenizer, embedding matrix, its mean row), read once per process; None if unavailable."""
    folder = model_folder()
    if folder is None:
        return None
    try:
        from safetensors import safe_open
        from tokenizers import Tokenizer

        with safe_open(str(Path(folder) / "model.safetensors"), framework="numpy") as f:
            key = next(
                k
                for k in f.keys()  # noqa: SIM118 - safe_open is no mapping
                if k.endswith("word_embeddings.weight") or k == "embeddings"
            )
            matrix = f.get_tensor(key).astype(np.float32)
        tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.no_truncation()
    except Exception:  # noqa: BLE001 - unreadable model folder: pair words without vectors
        return None
    return tokenizer, matrix, matrix.mean(axis=0)
