"""The project's error classes. Messages are written for users: what failed, the value, what to do."""

from __future__ import annotations


class NarrativeError(Exception):
    """A problem with the user's input or environment; the CLI prints it as one line, exit 2."""


class InputError(NarrativeError):
    """A file, row or argument the user gave cannot be used."""


class StoreError(NarrativeError):
    """The DuckDB store cannot be opened or has the wrong schema version."""
