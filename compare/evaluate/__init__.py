"""`narrative-compare eval DATASET PATH`: score the pipeline on externally annotated gold data.

Each dataset module has `score(path, embedder, progress) -> dict`. The pipeline sees only what a
user would have (text, title, a neutral id), runs in a temporary store, and caches embeddings in
`$NARRATIVE_CACHE` (default ~/.cache/narrative-compare), outside the repository.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from compare.evaluate.common import Progress, eval_path, quiet

DATASETS = ("readouts", "propsegment", "ecbplus", "basil", "allsides_neus", "fnc1", "tatoeba")


def evaluate(
    dataset: str,
    path: str | Path | None = None,
    *,
    model: str | Path | None = None,
    progress: Progress = quiet,
    **options,
) -> dict:
    """Scores of `dataset` at `path`; `options` go to its `score` (ecbplus: `cv`, `scope`)."""
    from compare.evaluate.common import cached_embedder

    module = importlib.import_module(f"compare.evaluate.{dataset}")
    folder = eval_path(dataset, path, getattr(module, "MARKER", "documents.jsonl"))
    scores = module.score(folder, cached_embedder(model), progress, **options)
    return {"dataset": dataset, **scores}


def format_scores(scores: dict) -> str:
    """Plain output: one `key: value` line per score (floors beside their scores)."""
    lines = []
    for key, value in scores.items():
        if isinstance(value, float):
            value = f"{value:.3f}"
        elif isinstance(value, (dict, list)):
            value = json.dumps(value)
        lines.append(f"{key}: {value}")
    return "\n".join(lines)
