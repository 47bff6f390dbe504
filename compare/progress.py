"""How far a long command is, told through the callback the CLI supplies (stage modules never print).

A `Progress` is a callable that takes a note (a warning, a skipped file, a hint). One that also has
a `stage(name, total=None, unit="")` method is told counted progress too: `stage(progress, ...)`
opens a `Stage` on it, or a silent one on a plain callable (`quiet`, a test's list.append), so the
library code is the same whoever listens. `cli.Reporter` draws one display per stage on stderr.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, Self

import numpy as np

Progress = Callable[[str], None]


def quiet(message: str) -> None:
    pass


class Stage(Protocol):
    def advance(self, n: int = 1, **counts: int) -> None:
        """`n` more units done; `counts` add to named totals shown beside (claims=..., ...)."""

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc) -> None: ...


class _Silent:
    def advance(self, n: int = 1, **counts: int) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        pass


def stage(progress: Progress | None, name: str, total: int | None = None, unit: str = "") -> Stage:
    """A stage display on `progress` when it draws them, else one that does nothing."""
    start = getattr(progress, "stage", None)
    return start(name, total=total, unit=unit) if start is not None else _Silent()


class CountingEmbedder:
    """An embedder that advances `stage` by the texts it encodes (the same key and vectors)."""

    def __init__(self, inner, stage: Stage, count: str | None = None):
        self.inner, self.key, self.stage, self.count, self.texts = inner, inner.key, stage, count, 0

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.inner.encode(texts)
        self.texts += len(texts)
        if self.count:
            self.stage.advance(0, **{self.count: len(texts)})
        else:
            self.stage.advance(len(texts))
        return vectors
