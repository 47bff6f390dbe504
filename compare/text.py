"""Text helpers every stage shares: text -> tokens, names, stems, TF-IDF rows.

The ground floor of the package: it imports nothing from `compare` but its data files, so any stage
may use it. Where stages tokenise differently today, each variant keeps its own name here (the
aligner's light stemmer and the divergence finder's fuller one, a claim's names and a document's
names, two TF-IDF builds): unifying them would change output rows, and that is later work.
scipy is imported inside the TF-IDF builders only, so commands that do not align stay light.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse


def _stopwords() -> frozenset[str]:
    text = resources.files("compare.data").joinpath("stopwords.txt").read_text(encoding="utf-8")
    return frozenset(
        w for line in text.splitlines() if not line.startswith("#") for w in line.split()
    )


STOPWORDS = _stopwords()
TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
# A capitalised word with a lower-case letter in it ("Rudenko", "McCain", not "UPDATE"), and numbers.
NAME = re.compile(r"\b[A-Z][\w'’-]*[a-z][\w'’-]*")
NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")


# --- the aligner's view of a claim ---------------------------------------------------------------


def content_tokens(text: str) -> list[str]:
    """Lower-cased content words with a light suffix strip, for the lexical score."""
    tokens = []
    for tok in TOKEN.findall(text.lower()):
        tok = tok.split("'")[0].split("’")[0]
        if tok in STOPWORDS or len(tok) < 2:
            continue
        tokens.append(light_stem(tok))
    return tokens


def light_stem(tok: str) -> str:
    """The aligner's stemmer: strips -ing, -ed, -es, -s, keeping at least 4 letters."""
    for suffix in ("ing", "ed", "es", "s"):
        if tok.endswith(suffix) and len(tok) - len(suffix) >= 4:
            return tok[: -len(suffix)]
    return tok


def claim_names(text: str) -> list[str]:
    """Names (capitalised words that are not function words, possessive dropped) and numbers."""
    out = []
    for word in NAME.findall(text):
        word = re.sub(r"['’]s$", "", word).lower()
        if word not in STOPWORDS:
            out.append(word)
    return out + NUMBER.findall(text)


def tfidf_rows(token_lists: list[list[str]]) -> sparse.csr_matrix:
    """Sparse L2-normalised TF-IDF rows (sublinear tf, smoothed idf over the given rows)."""
    from scipy import sparse

    docs = [Counter(tokens) for tokens in token_lists]
    df = Counter(w for d in docs for w in d)
    vocab = {w: i for i, w in enumerate(sorted(df))}
    n = len(docs)
    idf = {w: math.log((1 + n) / (1 + c)) + 1 for w, c in df.items()}
    indptr, indices, data = [0], [], []
    for counts in docs:
        row = sorted((vocab[w], (1 + math.log(tf)) * idf[w]) for w, tf in counts.items())
        norm = math.sqrt(sum(v * v for _, v in row)) or 1.0
        indices += [i for i, _ in row]
        data += [v / norm for _, v in row]
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int64), np.array(indptr)),
        shape=(n, max(len(vocab), 1)),
    )


def tfidf_matrix(texts: list[str]) -> np.ndarray:
    """Dense L2-normalised TF-IDF rows of content words (for small inputs: eval floors, reports)."""
    return tfidf_rows([content_tokens(t) for t in texts]).toarray()


# --- the divergence finder's stemmer -------------------------------------------------------------

_VERB_SUFFIXES = (
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
)


@lru_cache(maxsize=1 << 16)
def verb_stem(tok: str) -> str:
    """The divergence finder's stemmer: possessive dropped, then the first of 13 suffixes
    (-ising/-izing ... -s, -e) whose removal leaves at least 4 letters ('criticised' ~ 'criticize')."""
    tok = tok.replace("’", "'")
    tok = tok.removesuffix("'s")
    for suffix in _VERB_SUFFIXES:
        if tok.endswith(suffix) and len(tok) - len(suffix) >= 4:
            return tok[: -len(suffix)]
    return tok


# --- the event grouper's view of a document ------------------------------------------------------

PLAIN_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")  # letters and digits, an apostrophe part
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_FIGURE = re.compile(r"^\d[\d,.]*%?$")


def plural_fold(word: str) -> str:
    """Lower-cased, possessive dropped, a light plural fold: vaccines ~ vaccine."""
    word = word.lower()
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word


def folded_words(text: str) -> list[str]:
    """Content words, lower-cased and plural-folded (the grouper's TF-IDF of a document)."""
    out = []
    for token in PLAIN_WORD.findall(text):
        word = plural_fold(token)
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            out.append(word)
    return out


def document_names(text: str) -> list[str]:
    """Names and numbers: capitalised words not opening a sentence, acronyms, figures."""
    out = []
    for sentence in _SENTENCE.split(text):
        for position, token in enumerate(sentence.split()):
            token = token.strip("“”\"'‘’()[],:;.!?")
            if not token:
                continue
            if _FIGURE.match(token):
                out.append(token.rstrip(".,"))
            elif token[0].isupper() and (position > 0 or (token.isupper() and len(token) > 1)):
                word = plural_fold(token)
                if word not in STOPWORDS and len(word) > 1:
                    out.append(word)
    return out


def tfidf_with_vocab(token_lists: list[list[str]]) -> tuple[sparse.csr_matrix, dict[str, int]]:
    """L2-normalised sparse TF-IDF rows (sublinear tf, smoothed idf) and the vocabulary: the
    grouper's build, computed in float32 (so not bit-equal to `tfidf_rows`)."""
    import scipy.sparse as sp

    counts = [Counter(tokens) for tokens in token_lists]
    df = Counter(word for c in counts for word in c)
    vocab = {word: i for i, word in enumerate(sorted(df))}
    n = len(token_lists)
    rows, cols, vals = [], [], []
    for row, c in enumerate(counts):
        for word, tf in c.items():
            rows.append(row)
            cols.append(vocab[word])
            vals.append((1 + math.log(tf)) * (math.log((1 + n) / (1 + df[word])) + 1))
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=(n, max(len(vocab), 1)), dtype=np.float32)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    return sp.diags(1 / np.where(norms == 0, 1, norms)).astype(np.float32) @ matrix, vocab


# --- words a reader sees -------------------------------------------------------------------------


LABEL_WIDTH = 28  # a document named without a `label`: its source cut to this many characters


def cut_words(text: str, width: int) -> str:
    """`text` on one line, cut at its end on a word boundary to at most `width` characters, "…"
    marking the cut; never cut from the start. A first word longer than `width` is cut itself."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    head = text[: width - 1]
    if not text[width - 1].isspace() and " " in head:
        head = head.rsplit(" ", 1)[0]  # the word the cut falls in goes whole
    return head.rstrip(" ,;:-–—(") + "…"


def whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """The span `text[start:end]` grown to whole words: a cue "non" inside "non-interference"
    quotes "non-interference" (letters, digits, apostrophes and inner hyphens join a word)."""

    def inner(i: int) -> bool:  # text[i] belongs to the word around it
        ch = text[i]
        if ch.isalnum() or ch in "_'’":
            return True
        return (
            ch == "-" and 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
        )

    while start > 0 and inner(start - 1):
        start -= 1
    while end < len(text) and inner(end):
        end += 1
    return start, end


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 source', '2 sources', '0 facts'; `many` for an irregular plural ('1 was', '2 were')."""
    return f"{n} {noun(word, n, many)}"


def unique_labels(labels: list[str], doc_ids: list[str]) -> list[str]:
    """Two documents of one outlet get their doc_id appended, so each has its own name."""
    counts = defaultdict(int)
    for label in labels:
        counts[label] += 1
    return [f"{lab} ({doc})" if counts[lab] > 1 else lab for lab, doc in zip(labels, doc_ids)]


def short_labels(
    names: list[str], given: list[str | None] | None = None, width: int = LABEL_WIDTH
) -> list[str]:
    """What the page calls each document: its given label, else its name cut at the end on a word
    boundary to `width` characters (never cut from the start). Two names that cut to the same
    label ("Ministry of Foreign Affairs…") are cut after the first word where they differ
    ("Ministry of Foreign Affairs of the People's…", "… of the Russian…")."""
    given = [g.strip() if g and g.strip() else None for g in given or [None] * len(names)]
    cut = [g or cut_words(n, width) for n, g in zip(names, given)]
    labels = list(cut)
    for i, label in enumerate(cut):
        rivals = [names[j] for j, c in enumerate(cut) if c == label and names[j] != names[i]]
        if rivals and not given[i]:
            words = names[i].split()
            keep = max(_first_difference(words, r.split()) for r in rivals) + 1
            labels[i] = " ".join(words[:keep]) + ("…" if keep < len(words) else "")
    return labels


def _first_difference(a: list[str], b: list[str]) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def document_labels(
    names: list[str], given: list[str | None], doc_ids: list[str]
) -> dict[str, str]:
    """doc_id -> the name a reader sees (the report, divergence reasons): `short_labels`, unique."""
    return dict(zip(doc_ids, unique_labels(short_labels(names, given), doc_ids)))


def noun(word: str, n: int, many: str | None = None) -> str:
    """The word alone, singular for 1: noun("claim", 2) == "claims", noun("tells", 2, "tell")."""
    return word if n == 1 else many or word + "s"
