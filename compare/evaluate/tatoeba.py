"""Tatoeba zh-en and ru-en (LASER's test sets): is a model multilingual enough to align across
languages? For each sentence, its nearest neighbour by cosine among the other side's 1,000; the
error is the share whose neighbour is not its translation (Artetxe & Schwenk 2019), both ways.

Short everyday sentences, not news: this chooses and checks a model (the multilingual model `run`
picks for Chinese and Russian must stay under 0.12 every way; tests/test_models.py); it never
tunes the aligner. The texts are read at run time from the dataset folder, never copied.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from compare.errors import InputError
from compare.evaluate.common import Progress

MARKER = "tatoeba.cmn-eng.eng"  # the file that says a folder holds this dataset
PAIRS = {"cmn": "tatoeba.cmn-eng", "rus": "tatoeba.rus-eng"}


def read_side(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").rstrip("\n").split("\n")


def nearest_errors(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(error a -> b, error b -> a): rows i of `a` and `b` translate each other."""
    sims = a @ b.T
    truth = np.arange(len(a))
    return (
        float(np.mean(sims.argmax(axis=1) != truth)),
        float(np.mean(sims.argmax(axis=0) != truth)),
    )


def score(path: Path, embedder, progress: Progress) -> dict:
    scores: dict = {}
    for lang, stem in PAIRS.items():
        other = read_side(path / f"{stem}.{lang}")
        english = read_side(path / f"{stem}.eng")
        if len(other) != len(english) or not other:
            raise InputError(
                f"'{path / stem}.{lang}' and '.eng' must have the same number of lines (one"
                f" translation per line), got {len(other)} and {len(english)}."
            )
        progress(f"tatoeba: {len(other)} {lang}-eng pairs")
        vectors = embedder.encode(other + english)
        forward, backward = nearest_errors(vectors[: len(other)], vectors[len(other) :])
        scores[f"n_{lang}"] = len(other)
        scores[f"error_{lang}_to_eng"] = forward
        scores[f"error_eng_to_{lang}"] = backward
    return {**scores, "model": embedder.key}
