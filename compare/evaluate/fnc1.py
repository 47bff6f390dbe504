"""FNC-1: does a conflict divergence fire more often when the body disagrees with the headline?

Each headline-body pair runs as one event of two documents (the headline, the body) with neutral
ids and nothing else. A pair "conflicts" when any aligned claim pair between headline and body has
the relation `conflict` (a number, entity or negation divergence). The score is how much more often that happens for
`disagree` pairs than for `agree` pairs (`conflict_ratio`, the one key that may exceed 1).

Every agree and disagree pair is scored; discuss and unrelated pairs (context only) are sampled
deterministically (every k-th pair in file order) to keep the run to a few minutes.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import polars as pl

from compare.align import AlignConfig
from compare.diverge import KINDS, RELATIONS, DivergeConfig
from compare.embed import encode_texts
from compare.evaluate.common import Progress, documents_frame, read_jsonl
from compare.pipeline import compare_event
from compare.segment import CLAIMS_SCHEMA, segment

CONFLICT = "relation:conflict"  # marks a pair with an aligned claim pair of relation `conflict`
CONTEXT_SAMPLE = 600  # discuss / unrelated pairs scored per label, for the plain output only


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
    fired = predict(pairs, bodies, embedder, config, diverge_config)
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
    }
    for label in ("disagree", "agree", "discuss", "unrelated"):
        out[f"aligned_rate_{label}"] = sum(
            1 for p in by_label.get(label, []) if "aligned" in fired[p["pair_id"]]
        ) / max(1, len(by_label.get(label, [])))
    for kind in (*KINDS, *(f"relation:{r}" for r in RELATIONS)):
        for label in ("disagree", "agree", "discuss", "unrelated"):
            out[f"rate_{kind}_{label}"] = rate(label, [kind])
    return out


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
    diverge_config: DivergeConfig | None = None,
) -> dict:
    """pair_id -> the divergence kinds that fired, 'relation:<r>' for each relation of its claim
    pairs, and 'aligned' when any claim pair aligned."""
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
    tables = compare_event(documents, claims, vectors, config, diverge_config, contrasts=False)
    found = tables["divergences"]
    fired: dict[str, set[str]] = {p["pair_id"]: set() for p in pairs}
    event_pair = {f"pair-{i:05d}": p["pair_id"] for i, p in enumerate(pairs)}
    for event, relation in tables["claim_pairs"].select("event_id", "relation").iter_rows():
        fired[event_pair[event]] |= {"aligned", f"relation:{relation}"}
    for event, kind in found.select("event_id", "kind").iter_rows():
        fired[event_pair[event]].add(kind)
    return fired


def _documents(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    """Documents as the pipeline sees them: a neutral id, an event and the text, nothing else."""
    return documents_frame([{"doc_id": d, "event_id": e, "text": t} for d, e, t in rows])


__all__ = ["CONFLICT", "score"]
