"""FNC-1: does a conflict divergence fire more often when the body disagrees with the headline?

Each headline-body pair runs as one event of two documents (the headline, the body) with neutral
ids and nothing else. A pair "conflicts" when any aligned claim pair between headline and body has
the relation `conflict` (a number, entity or negation divergence). The score is how much more often that happens for
`disagree` pairs than for `agree` pairs (`conflict_ratio`, the one key that may exceed 1).

Every agree and disagree pair is scored; discuss and unrelated pairs (context only) are sampled
deterministically (every k-th pair in file order) to keep the run to a few minutes.

The constants tuned on FNC-1 (`DivergeConfig.negation_reach`, `denial_overlap`) are also scored in
`FOLDS` folds over article bodies (a body's pairs stay in one fold): each fold is scored with the value of
`FOLD_GRID` that gives the best conflict ratio on the other folds (`fold_conflict_ratio_mean`,
`_sd`, `fold_settings`), beside the pooled ratio of the shipped setting.
"""

from __future__ import annotations

import dataclasses
import itertools
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np
import polars as pl

from compare.align import AlignConfig, align
from compare.diverge import KINDS, RELATIONS, DivergeConfig, diverge, relations
from compare.embed import encode_texts
from compare.evaluate.common import Progress, documents_frame, read_jsonl
from compare.segment import CLAIMS_SCHEMA, segment

CONFLICT = "relation:conflict"  # marks a pair with an aligned claim pair of relation `conflict`
CONTEXT_SAMPLE = 600  # discuss / unrelated pairs scored per label, for the plain output only
FOLDS = 5
FOLD_GRID = {"negation_reach": (1, 2, 3), "denial_overlap": (1, 2, 3)}


def score(
    path: Path,
    embedder,
    progress: Progress,
    config: AlignConfig | None = None,
    diverge_config: DivergeConfig | None = None,
) -> dict:
    bodies = {d["doc_id"]: d["text"] for d in read_jsonl(path / "documents.jsonl")}
    pairs = _sample(read_jsonl(path / "pairs.jsonl"))
    progress(f"fnc1: {len(pairs)} pairs over {len({p['doc_id'] for p in pairs})} bodies")
    diverge_config = diverge_config or DivergeConfig()
    grid = [
        dataclasses.replace(diverge_config, **dict(zip(FOLD_GRID, values)))
        for values in itertools.product(*FOLD_GRID.values())
    ]
    configs = [diverge_config, *grid]
    runs = predict(pairs, bodies, embedder, config, configs)
    fired = runs[0]
    by_label: dict[str, list[dict]] = defaultdict(list)
    for p in pairs:
        by_label[p["label"]].append(p)

    def rate(label: str, kinds) -> float:
        rows = by_label.get(label, [])
        hits = sum(1 for p in rows if fired[p["pair_id"]] & set(kinds))
        return hits / len(rows) if rows else 0.0

    disagree, agree = rate("disagree", [CONFLICT]), rate("agree", [CONFLICT])
    out = {
        "n_pairs": len(pairs),
        "n_pairs_by_label": {k: len(v) for k, v in sorted(by_label.items())},
        "conflict_rate_disagree": disagree,
        "conflict_rate_agree": agree,
        "conflict_ratio": disagree / agree if agree else None,
        **folds(pairs, runs[1:], grid),
    }
    for label in ("disagree", "agree", "discuss", "unrelated"):
        out[f"aligned_rate_{label}"] = sum(
            1 for p in by_label.get(label, []) if "aligned" in fired[p["pair_id"]]
        ) / max(1, len(by_label.get(label, [])))
    for kind in (*KINDS, *(f"relation:{r}" for r in RELATIONS)):
        for label in ("disagree", "agree", "discuss", "unrelated"):
            out[f"rate_{kind}_{label}"] = rate(label, [kind])
    return out


def conflict_ratio(pairs: list[dict], fired: dict) -> float:
    """Share of disagree pairs with a conflict over the share of agree pairs with one."""

    def rate(label: str) -> float:
        rows = [p for p in pairs if p["label"] == label]
        return sum(1 for p in rows if CONFLICT in fired[p["pair_id"]]) / max(1, len(rows))

    agree = rate("agree")
    return rate("disagree") / agree if agree else 0.0


def folds(pairs: list[dict], runs: list[dict], grid: list[DivergeConfig]) -> dict:
    """Each fold of bodies scored with the grid setting best on the other folds."""
    fold_of = {p["doc_id"]: zlib.crc32(p["doc_id"].encode()) % FOLDS for p in pairs}
    ratios, chosen = [], []
    for k in range(FOLDS):
        train = [p for p in pairs if fold_of[p["doc_id"]] != k]
        held = [p for p in pairs if fold_of[p["doc_id"]] == k]
        best = max(range(len(grid)), key=lambda i: conflict_ratio(train, runs[i]))
        ratios.append(conflict_ratio(held, runs[best]))
        chosen.append({k: getattr(grid[best], k) for k in FOLD_GRID})
    return {
        "fold_conflict_ratios": ratios,
        "fold_conflict_ratio_mean": float(np.mean(ratios)),
        "fold_conflict_ratio_sd": float(np.std(ratios)),
        "fold_settings": chosen,
        "grid_conflict_ratios": [
            {**{k: getattr(c, k) for k in FOLD_GRID}, "conflict_ratio": conflict_ratio(pairs, run)}
            for c, run in zip(grid, runs)
        ],
    }


def _sample(pairs: list[dict]) -> list[dict]:
    """All agree/disagree pairs; every k-th discuss/unrelated pair (file order) up to the sample."""
    out = [p for p in pairs if p["label"] in ("agree", "disagree")]
    for label in ("discuss", "unrelated"):
        rows = [p for p in pairs if p["label"] == label]
        step = max(1, len(rows) // CONTEXT_SAMPLE)
        out += rows[::step][:CONTEXT_SAMPLE]
    return sorted(out, key=lambda p: p["pair_id"])


def predict(
    pairs: list[dict],
    bodies: dict[str, str],
    embedder,
    config: AlignConfig | None = None,
    diverge_configs: list[DivergeConfig] | None = None,
) -> list[dict]:
    """For each diverge config: pair_id -> the divergence kinds that fired, 'relation:<r>' for
    each relation of its claim pairs, and 'aligned' when any claim pair aligned. The claims are
    aligned once (as `compare_event` does) and diverged per config."""
    body_ids = {b: f"body-{i:04d}" for i, b in enumerate(sorted({p["doc_id"] for p in pairs}))}
    headlines = {h: f"head-{i:04d}" for i, h in enumerate(sorted({p["headline"] for p in pairs}))}
    sources = [(n, bodies[b]) for b, n in body_ids.items()] + [(n, h) for h, n in headlines.items()]
    base = segment(_documents([(n, "src", t) for n, t in sources]))
    by_doc = {d: frame for (d,), frame in base.group_by("doc_id")}
    # Each distinct text is encoded once: a body's claims are shared by all its pairs.
    vectors_of = dict(zip(base["text"].to_list(), encode_texts(base["text"].to_list(), embedder)))

    docs, claims = [], []
    for i, p in enumerate(pairs):
        event = f"pair-{i:05d}"
        for role, neutral, text in (
            ("a", headlines[p["headline"]], p["headline"]),
            ("b", body_ids[p["doc_id"]], bodies[p["doc_id"]]),
        ):
            doc_id = f"{event}-{role}"
            docs.append((doc_id, event, text))
            frame = by_doc.get(neutral)
            if frame is not None:
                claims.append(
                    frame.with_columns(
                        pl.lit(doc_id).alias("doc_id"),
                        pl.lit(event).alias("event_id"),
                        (pl.lit(f"{doc_id}-") + pl.col("claim_id")).alias("claim_id"),
                    )
                )
    documents = _documents(docs)
    claims = pl.concat(claims).select(list(CLAIMS_SCHEMA))
    vectors = np.stack([vectors_of[t] for t in claims["text"].to_list()])
    claim_pairs = align(claims, vectors, config or AlignConfig()).claim_pairs
    event_pair = {f"pair-{i:05d}": p["pair_id"] for i, p in enumerate(pairs)}
    out: dict[DivergeConfig, dict] = {}
    for diverge_config in diverge_configs or [DivergeConfig()]:
        if diverge_config in out:
            continue
        found = diverge(documents, claims, claim_pairs, diverge_config)
        related = relations(claim_pairs, found, diverge_config)
        fired: dict[str, set[str]] = {p["pair_id"]: set() for p in pairs}
        for event, relation in related.select("event_id", "relation").iter_rows():
            fired[event_pair[event]] |= {"aligned", f"relation:{relation}"}
        for event, kind in found.select("event_id", "kind").iter_rows():
            fired[event_pair[event]].add(kind)
        out[diverge_config] = fired
    return [out[c] for c in diverge_configs or [DivergeConfig()]]


def _documents(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    """Documents as the pipeline sees them: a neutral id, an event and the text, nothing else."""
    return documents_frame([{"doc_id": d, "event_id": e, "text": t} for d, e, t in rows])


__all__ = ["CONFLICT", "score"]
