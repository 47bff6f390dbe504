"""Test-only fault injection for the Ray engine: a switch the tests set, read by the driver and
handed to every embedding actor, which calls `on_batch` before each batch.

    FAULT = {"marker": path, "once": True}   the first actor to reach its second batch kills its
                                             own process (and writes `marker`)
    FAULT = {"marker": path, "once": False}  every actor dies on every batch

Ray cannot tell these deaths from real ones (a node lost, the OOM killer). Nothing sets FAULT
outside tests; it lives here so that the engine itself carries no way to kill its own workers.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

FAULT: dict | None = None


def on_batch(fault: dict | None, calls: int) -> None:
    """Called by an embedding actor before its `calls`-th batch (1-based)."""
    if not fault or (calls <= 1 and fault.get("once")):
        return
    marker = Path(fault["marker"])
    if fault.get("once") and marker.exists():
        return
    marker.touch()
    os.kill(os.getpid(), signal.SIGKILL)
