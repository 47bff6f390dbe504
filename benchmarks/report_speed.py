"""Report pages per second: `write_reports` on a store with 1 and 2 workers (issue 27).

    python benchmarks/report_speed.py STORE [--workers 1,2] [--out DIR] [--events N]

Copies nothing: the store is opened read-only. Each run writes every event's page (or the first
`--events N`) and the index into a fresh folder under `--out` (default: a temporary folder, removed
after), timed from the call to its return (wall seconds, this process's clock), so the time
includes reading the store, starting the workers and writing the files. One JSON line a run:
workers, pages, seconds, seconds per page, CPU seconds
(this process and its workers: on a busy machine the wall time of N workers says little). Run it with any code on PYTHONPATH to compare commits.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from inspect import signature
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--out", type=Path, default=None, help="keep the pages here")
    parser.add_argument("--events", type=int, default=None, help="only the first N events")
    args = parser.parse_args(argv)

    from compare import store
    from compare.report import write_reports

    con = store.open_store(args.store, read_only=True)
    events = store.event_ids(con)[: args.events]
    con.close()
    base = args.out or Path(tempfile.mkdtemp(prefix="report-speed-"))
    try:
        for workers in [int(n) for n in args.workers.split(",")]:
            out = base / f"workers-{workers}"
            shutil.rmtree(out, ignore_errors=True)
            start, cpu = time.perf_counter(), _cpu()
            # code before issue 27 has no workers: it runs on one core, and is timed so
            kwargs = (
                {"workers": workers} if "workers" in signature(write_reports).parameters else {}
            )
            paths = write_reports(db=args.store, events=events, out=out, **kwargs)
            seconds, cpu = time.perf_counter() - start, _cpu() - cpu
            pages = sum(p.name != "index.html" for p in paths)
            line = {
                "workers": workers if kwargs else 1,
                "pages": pages,
                "seconds": round(seconds, 2),
                "seconds_per_page": round(seconds / pages, 4),
                "cpu_seconds": round(cpu, 2),  # this process and its finished workers
                "code": str(Path(sys.modules["compare"].__file__).parent.parent),
            }
            print(json.dumps(line), flush=True)
    finally:
        if args.out is None:
            shutil.rmtree(base, ignore_errors=True)


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the pool's workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return sum(r.ru_utime + r.ru_stime for r in (own, children))


if __name__ == "__main__":
    main()
