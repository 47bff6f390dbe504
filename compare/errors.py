"""The project's error classes. Messages are written for users: what failed, the value, what to do."""

from __future__ import annotations


class NarrativeError(Exception):
    """A problem with the user's input or environment; the CLI prints it as one line, exit 2."""


class InputError(NarrativeError):
    """A file, row or argument the user gave cannot be used.

    `warnings` and `skipped` ((path, reason)) are what reading the input had found before it
    failed: the duplicate or encoding warning that explains the error is told before it.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.warnings: list[str] = []
        self.skipped: list[tuple[str, str]] = []


class StoreError(NarrativeError):
    """The DuckDB store cannot be opened or has the wrong schema version."""


class StoreBusy(StoreError):
    """Another process holds the DuckDB file (DuckDB allows one writer) for longer than we wait."""


class MissingExtra(NarrativeError):
    """A feature needs an optional extra that is not installed; the message names the install."""

    def __init__(self, feature: str, extra: str):
        self.extra = extra
        super().__init__(
            f"{feature} needs the {extra} extra: pip install 'narrative-compare[{extra}]'"
        )


class EngineError(NarrativeError):
    """The Ray cluster failed (a worker or node died and retries ran out, or it cannot be joined)."""
