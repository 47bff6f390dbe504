"""`make bench-scale`: a feed of ~10k documents and ~300k claims through every stage, here.

Builds the feed at bench time from real sentences (ECB+, AllSides, BASIL, FNC-1 texts read from
$NARRATIVE_EVAL_DIR, default ../shared/eval) recombined with perturbations: each event retells one
story in several documents; some are wire copy (verbatim), the others keep, reword or drop each
sentence and add their own. Everything goes to benchmarks/work/bench-scale/ (git-ignored). A stage
runs in a fresh process that reports its time and peak memory (ru_maxrss); the tables are rewritten
into benchmarks/SCALE.md with the date.

    .venv/bin/python benchmarks/scale.py                   # the full run (~20 minutes)
    .venv/bin/python benchmarks/scale.py --docs 1000 --sample 1000 --no-write   # a quick look
    .venv/bin/python benchmarks/scale.py --distill-only OUT   # make a fast-tier model in OUT
    .venv/bin/python benchmarks/scale.py --markdown-only      # rewrite SCALE.md from the last run
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

WORK = ROOT / "benchmarks" / "work" / "bench-scale"
SCALE_MD = ROOT / "benchmarks" / "SCALE.md"
CLAIMS_PER_DOC = 30  # ~300k claims for 10k documents
BASE_SENTENCES = 36  # sentences of an event's base story
STAGES = (
    "build",
    "distill",
    "ingest",
    "segment",
    "embed",
    "lookup",
    "align",
    "bundled",
    "report",
    "group",
    "eval",
)
MACHINE_GIB = 24


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rss_mb() -> float:
    """Peak resident memory of this process so far, MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def eval_dir() -> Path:
    return Path(os.environ.get("NARRATIVE_EVAL_DIR", ROOT.parent / "shared" / "eval"))


# --- the corpus ----------------------------------------------------------------------------------

_SPLIT = re.compile(r"(?<=[.!?])[\"”’]?\s+(?=[\"“A-Z])")
_TERMINAL = re.compile(r"[.!?][\"”’]?$")
SYNONYMS = {
    "said": "stated",
    "says": "states",
    "people": "residents",
    "police": "authorities",
    "announced": "unveiled",
    "killed": "left dead",
    "because": "as",
    "after": "following",
    "about": "around",
    "more than": "over",
    "government": "administration",
    "attack": "assault",
    "officials": "representatives",
    "began": "started",
    "died": "was killed",
    "help": "assist",
    "large": "big",
    "told": "informed",
    "week": "weekend",
    "Monday": "Tuesday",
    "Friday": "Thursday",
}
BOILERPLATE = [
    "The Associated Press contributed to this report.",
    "Reuters contributed reporting.",
    "This story has been updated with additional information.",
    "An earlier version of this article misstated the date of the announcement.",
    "Follow our live coverage for the latest developments.",
    "Sign up for our newsletter to get the day's top stories in your inbox.",
    "Additional reporting by staff writers.",
    "This article was originally published on the wire and has been edited for length.",
]


def _usable(sentence: str) -> bool:
    return 40 <= len(sentence) <= 400 and bool(_TERMINAL.search(sentence)) and "\n" not in sentence


def load_stories() -> list[dict]:
    """Stories of real sentences: one per source event, with a title and a sentence pool."""
    stories: dict[str, dict] = {}
    for dataset in ("ecbplus", "allsides_neus", "basil", "fnc1"):
        path = eval_dir() / dataset / "documents.jsonl"
        if not path.exists():
            raise SystemExit(f"{path} is missing: set NARRATIVE_EVAL_DIR to the eval data folder")
        for line in path.read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            if doc.get("sentences"):
                sentences = [s["text"] for s in doc["sentences"]]
            else:
                sentences = [s for p in doc["text"].split("\n") for s in _SPLIT.split(p.strip())]
            story = stories.setdefault(
                f"{dataset}:{doc['event_id']}", {"title": None, "pool": [], "seen": set()}
            )
            story["title"] = story["title"] or doc.get("title")
            for sentence in (" ".join(s.split()) for s in sentences):
                if _usable(sentence) and sentence not in story["seen"]:
                    story["seen"].add(sentence)
                    story["pool"].append(sentence)
    out = [
        {"id": key, "title": s["title"], "pool": s["pool"]}
        for key, s in sorted(stories.items())
        if len(s["pool"]) >= 3
    ]
    return out


def perturb(sentence: str, rng: random.Random) -> str:
    """Another outlet's version of a sentence: a number, a word, an attribution, a hedge."""
    kinds = ["number", "synonym", "attribute", "hedge", "drop", "negate"]
    rng.shuffle(kinds)
    for kind in kinds:
        out = _apply(kind, sentence, rng)
        if out and out != sentence:
            return out
    return sentence.rstrip('.!?"”’') + ", reports said."


def _apply(kind: str, s: str, rng: random.Random) -> str | None:
    if kind == "number":
        match = re.search(r"\b\d+\b", s)
        if not match:
            return None
        value = int(match.group())
        new = value + rng.choice([1, 2, 3, 5, 10]) if value < 1900 or value > 2100 else value + 1
        return s[: match.start()] + str(new) + s[match.end() :]
    if kind == "synonym":
        found = [w for w in SYNONYMS if re.search(rf"\b{w}\b", s)]
        if not found:
            return None
        word = rng.choice(found)
        return re.sub(rf"\b{word}\b", SYNONYMS[word], s, count=1)
    if kind == "attribute" and s.endswith("."):
        return s[:-1] + rng.choice([", officials said.", ", a spokesman said.", ", police said."])
    if kind == "hedge" and s.endswith("."):
        return s[:-1] + rng.choice(
            [", according to reports.", ", it was reported.", ", sources suggested."]
        )
    if kind == "drop":
        words = s.split()
        if len(words) < 8:
            return None
        del words[rng.randrange(1, len(words) - 1)]
        return " ".join(words)
    if kind == "negate":
        for verb in (" is ", " was ", " will ", " has "):
            if verb in s:
                return s.replace(verb, f"{verb}not ", 1)
    return None


def event_sizes(n_docs: int, rng: np.random.Generator) -> list[int]:
    """Documents per event: log-normal, median 6, 2 to 60 (a few big stories, many small ones)."""
    sizes: list[int] = []
    while sum(sizes) < n_docs:
        sizes.append(int(np.clip(round(rng.lognormal(np.log(6), 0.75)), 2, 60)))
    sizes[-1] -= sum(sizes) - n_docs
    if sizes[-1] < 2:
        sizes[-2] += sizes.pop()
    return sizes


def build_corpus(n_docs: int, out: Path, seed: int = 8) -> dict:
    """Write `out` (JSONL, one document a line, event_id set; dates interleave the events)."""
    rng = random.Random(seed)
    stories = load_stories()
    sizes = event_sizes(n_docs, np.random.default_rng(seed))
    order = list(range(len(stories)))
    rng.shuffle(order)
    rows, uses, story_of = [], Counter(), {}
    start = dt.date(2024, 1, 1)
    for e, size in enumerate(sizes):
        story = stories[order[e % len(order)]]
        uses[story["id"]] += 1
        story_of[f"scale-{e:05d}"] = story["id"]
        pool = list(story["pool"])
        while len(pool) < BASE_SENTENCES:  # a short story borrows from another one
            pool += stories[rng.randrange(len(stories))]["pool"][: BASE_SENTENCES - len(pool)]
        base = pool[:BASE_SENTENCES]
        if uses[story["id"]] > 1:  # a story told again is another event: other numbers, words
            base = [perturb(s, rng) for s in base]
        title = story["title"] or " ".join(base[0].split()[:10])
        day = start + dt.timedelta(days=rng.randrange(120))
        outlets = rng.sample(range(1, 301), size)
        for d in range(size):
            if d > 0 and rng.random() < 0.3:  # wire copy: a verbatim run of the base story
                keep = rng.randint(24, BASE_SENTENCES)
                sentences = base[:keep]
            else:
                sentences = []
                for s in base:
                    r = rng.random()
                    if r < 0.35:
                        sentences.append(s)
                    elif r < 0.75:
                        sentences.append(perturb(s, rng))
                other = stories[rng.randrange(len(stories))]["pool"]
                own = rng.sample(other, min(len(other), rng.randint(3, 7)))
                for s in own:
                    sentences.insert(rng.randrange(len(sentences) + 1), s)
            if rng.random() < 0.3:
                sentences.append(rng.choice(BOILERPLATE))
            paragraphs, i = [], 0
            while i < len(sentences):
                n = rng.randint(2, 4)
                paragraphs.append(" ".join(sentences[i : i + n]))
                i += n
            rows.append(
                {
                    "doc_id": f"scale-{e:05d}-{d:02d}",
                    "event_id": f"scale-{e:05d}",
                    "source": f"Outlet {outlets[d]:03d}",
                    "title": title if rng.random() < 0.5 else perturb(title + ".", rng).rstrip("."),
                    "date": (day + dt.timedelta(days=rng.randint(0, 1))).isoformat(),
                    "text": "\n\n".join(paragraphs),
                    "_order": (day.toordinal(), rng.random()),
                }
            )
    rows.sort(key=lambda r: r.pop("_order"))  # a feed arrives in date order, events interleaved
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out.parent / "stories.json").write_text(json.dumps(story_of))  # for scoring grouping
    return {
        "documents": len(rows),
        "events": len(sizes),
        "docs_per_event_median": float(np.median(sizes)),
        "docs_per_event_max": max(sizes),
        "stories": len(stories),
        "feed_mb": out.stat().st_size / 2**20,
    }


# --- stages (each in its own process) -------------------------------------------------------------


class Timed:
    """An embedder wrapper that counts encoded texts and the seconds spent encoding."""

    def __init__(self, embedder):
        self.inner, self.key, self.texts, self.seconds = embedder, embedder.key, 0, 0.0

    def encode(self, texts):
        t0 = time.perf_counter()
        out = self.inner.encode(texts)
        self.seconds += time.perf_counter() - t0
        self.texts += len(texts)
        return out


def fast_model() -> Path:
    return WORK / "fast-minilm"


def stage_build(args) -> dict:
    return build_corpus(args.docs, WORK / "feed.jsonl")


def distill(out: Path) -> dict:
    """Distil the bundled model into a model2vec static model in `out` (model2vec's `distill`)."""
    try:
        from model2vec.distill import distill as m2v_distill
    except ImportError:
        raise SystemExit("Distilling needs model2vec: pip install -e '.[fast]'") from None
    from compare.embed import bundled_model_path

    t0 = time.perf_counter()
    model = m2v_distill(model_name=str(bundled_model_path()), pca_dims=256, device="cpu")
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    seconds = time.perf_counter() - t0
    record = {
        "seconds": seconds,
        "made": dt.datetime.now().isoformat(timespec="seconds"),
        "dim": int(model.dim),
        "vocabulary": len(model.tokens),
    }
    (out / "distilled.json").write_text(json.dumps(record), encoding="utf-8")
    return record


def stage_distill(args) -> dict:
    marker = fast_model() / "distilled.json"
    if marker.exists() and not args.fresh:  # 1-3 minutes; made again with --fresh
        return {**json.loads(marker.read_text()), "reused": True}
    return {**distill(fast_model()), "reused": False}


def store_mb() -> float:
    return sum(p.stat().st_size for p in WORK.glob("store.duckdb*")) / 2**20


def _store(read_only: bool = False):
    from compare import store

    return store.open_store(WORK / "store.duckdb", read_only=read_only)


def stage_ingest(args) -> dict:
    from compare import store
    from compare.ingest import ingest
    from compare.pipeline import transaction

    for path in WORK.glob("store.duckdb*"):
        path.unlink()
    base = current_rss_mb()
    con = _store()
    t0 = time.perf_counter()
    docs = ingest([WORK / "feed.jsonl"]).documents
    t1 = time.perf_counter()
    with transaction(con):
        store.replace_rows(con, "documents", docs, key="doc_id", values=[])
    con.close()
    return {
        "documents": docs.height,
        "seconds": time.perf_counter() - t0,
        "read_seconds": t1 - t0,
        "write_seconds": time.perf_counter() - t1,
        "base_mb": base,
    }


def stage_segment(args) -> dict:
    from compare import store
    from compare.pipeline import transaction
    from compare.segment import segment

    base = current_rss_mb()
    con = _store()
    t0 = time.perf_counter()
    docs = store.read_table(con, "documents")
    claims = segment(docs)
    t1 = time.perf_counter()
    with transaction(con):
        store.replace_rows(con, "claims", claims, key="doc_id", values=[])
    t2 = time.perf_counter()
    counts = con.execute(
        "SELECT count(*), count(DISTINCT text_sha256),"
        " (SELECT sum(n) FROM (SELECT count(DISTINCT text_sha256) AS n FROM claims"
        "  GROUP BY event_id)) FROM claims"
    ).fetchall()[0]
    con.close()
    return {
        "claims": counts[0],
        "distinct_texts": counts[1],
        "distinct_per_event_sum": counts[2],
        "seconds": t2 - t0,
        "segment_seconds": t1 - t0,
        "write_seconds": t2 - t1,
        "base_mb": base,
    }


def stage_embed(args) -> dict:
    """Fast tier on every claim, through the cache, a batch of events at a time."""
    from compare import store
    from compare.embed import SentenceTransformerEmbedder, event_vectors

    base = current_rss_mb()
    con = _store()
    embedder = Timed(SentenceTransformerEmbedder(fast_model()))
    embedder.inner.encode(["load the model"])
    events = store.event_ids(con)
    t0 = time.perf_counter()
    claims = held = 0
    for _, event_claims, vectors in event_vectors(con, embedder, events):
        claims += event_claims.height
        held = max(held, vectors.nbytes)
    seconds = time.perf_counter() - t0
    stored = con.execute("SELECT count(*) FROM embeddings").fetchall()[0][0]
    con.close()
    return {
        "claims": claims,
        "embedded": embedder.texts,
        "cached_rows": stored,
        "seconds": seconds,
        "encode_seconds": embedder.seconds,
        "model": type(embedder.inner).__name__,
        "key": embedder.key,
        "max_event_vectors_mb": held / 2**20,
        "base_mb": base,
    }


def stage_lookup(args) -> dict:
    """What one cache lookup per event (the pipeline's `embed` call per event) costs now."""
    from compare import store
    from compare.embed import SentenceTransformerEmbedder, embed

    con = _store()
    embedder = Timed(SentenceTransformerEmbedder(fast_model()))
    events = store.event_ids(con)
    sample = random.Random(1).sample(events, min(20, len(events)))
    t0 = time.perf_counter()
    for event_id in sample:
        embed(store.read_table(con, "claims", event_id=event_id), con, embedder)
    per_event = (time.perf_counter() - t0) / len(sample)
    rows = con.execute("SELECT count(*) FROM embeddings").fetchall()[0][0]
    con.close()
    return {
        "per_event_seconds": per_event,
        "events": len(events),
        "cache_rows": rows,
        "embedded": embedder.texts,
    }


def stage_align(args) -> dict:
    """align + diverge + store writes per event (align_store's loop, each step timed), on every
    `--align-every`-th event by size (the largest included); the rest is extrapolated."""
    from compare import store
    from compare.align import AlignConfig, align
    from compare.diverge import diverge
    from compare.embed import SentenceTransformerEmbedder, event_vectors
    from compare.pipeline import write_event

    base = current_rss_mb()
    con = _store()
    embedder = Timed(SentenceTransformerEmbedder(fast_model()))
    config = AlignConfig()
    sizes = dict(con.execute("SELECT event_id, count(*) FROM claims GROUP BY 1").fetchall())
    by_size = sorted(sizes, key=lambda e: (-sizes[e], e))
    k = max(args.align_every, 1)
    # A systematic sample by size: each chosen event stands for the k events from it down.
    weight = {by_size[i]: len(by_size[i : i + k]) for i in range(0, len(by_size), k)}
    chosen = set(weight)
    events = [e for e in store.event_ids(con) if e in chosen]
    records = []
    t_start = time.perf_counter()
    t_read = time.perf_counter()
    for event_id, claims, vectors in event_vectors(con, embedder, events):
        documents = store.read_table(con, "documents", event_id=event_id)
        t0 = time.perf_counter()
        aligned = align(claims, vectors, config)
        t1 = time.perf_counter()
        diverged = diverge(documents, claims, aligned.claim_pairs)
        t2 = time.perf_counter()
        tables = {
            "claim_pairs": aligned.claim_pairs,
            "claim_groups": aligned.claim_groups,
            "omissions": aligned.omissions,
            "divergences": diverged.divergences,
            "term_contrasts": diverged.term_contrasts,
        }
        write_event(con, event_id, tables)
        t3 = time.perf_counter()
        records.append(
            {
                "event_id": event_id,
                "weight": weight[event_id],
                "claims": claims.height,
                "documents": documents.height,
                "pairs": aligned.claim_pairs.height,
                "omissions": aligned.omissions.height,
                "divergences": diverged.divergences.height,
                "read": t0 - t_read,
                "align": t1 - t0,
                "diverge": t2 - t1,
                "write": t3 - t2,
            }
        )
        t_read = time.perf_counter()
    seconds = time.perf_counter() - t_start
    counts = store.table_counts(con)
    con.close()
    with (WORK / "events.jsonl").open("w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    (WORK / "event_sizes.json").write_text(json.dumps(sorted(sizes.values())))
    return {
        "seconds": seconds,
        "events": len(records),
        "events_all": len(sizes),
        "claims": sum(r["claims"] for r in records),
        "claims_all": sum(sizes.values()),
        "embedded": embedder.texts,
        "counts": counts,
        "base_mb": base,
        **{k: sum(r[k] for r in records) for k in ("read", "align", "diverge", "write")},
    }


def stage_bundled(args) -> dict:
    """The bundled model on a sample of distinct claim texts (and the fast tier on the same)."""
    from compare.embed import SentenceTransformerEmbedder

    con = _store(read_only=True)
    texts = [
        r[0]
        for r in con.execute(
            "SELECT any_value(text) FROM claims GROUP BY text_sha256 ORDER BY text_sha256 LIMIT ?",
            [args.sample],
        ).fetchall()
    ]
    con.close()
    out = {"texts": len(texts)}
    for name, path in (("fast", fast_model()), ("bundled", None)):
        t0 = time.perf_counter()
        embedder = SentenceTransformerEmbedder(path)
        embedder.encode(texts[:8])  # load the model (and torch, for the bundled one)
        t1 = time.perf_counter()
        for i in range(0, len(texts), 512):  # embed()'s chunks
            embedder.encode(texts[i : i + 512])
        seconds = time.perf_counter() - t1
        out[name] = {
            "load_seconds": t1 - t0,
            "seconds": seconds,
            "per_second": len(texts) / seconds,
        }
    return out


def stage_report(args) -> dict:
    from compare.report import write_reports

    records = [json.loads(line) for line in (WORK / "events.jsonl").open()]
    records.sort(key=lambda r: r["claims"])
    # The largest events make reports of tens of MB that take minutes: a few typical ones here.
    picks = [records[len(records) * q // 100] for q in (10, 50, 95)]
    out = WORK / "reports"
    shutil.rmtree(out, ignore_errors=True)
    rows = []
    for r in picks:
        t0 = time.perf_counter()
        paths = write_reports(db=WORK / "store.duckdb", events=[r["event_id"]], out=out)
        rows.append(
            {
                "event_id": r["event_id"],
                "claims": r["claims"],
                "documents": r["documents"],
                "seconds": time.perf_counter() - t0,
                "mb": paths[0].stat().st_size / 2**20,
            }
        )
    return {"reports": rows}


def stage_group(args) -> dict:
    """Grouping the whole feed into events (blocked neighbour search), scored against the truth."""
    try:
        from compare.group import group_documents
    except ImportError:
        return {"skipped": "compare.group.group_documents is not available"}
    from compare import store
    from compare.embed import SentenceTransformerEmbedder

    base = current_rss_mb()
    con = _store()
    docs = store.read_table(con, "documents")
    t0 = time.perf_counter()
    groups = group_documents(
        docs.select("doc_id", "text", "title", "date"),
        SentenceTransformerEmbedder(fast_model()),
        con=con,
    )
    seconds = time.perf_counter() - t0
    con.close()
    groups.write_parquet(WORK / "groups.parquet")
    truth = dict(zip(docs["doc_id"].to_list(), docs["event_id"].to_list()))
    found = dict(zip(groups["doc_id"].to_list(), groups["event_id"].to_list()))
    story_of = json.loads((WORK / "stories.json").read_text())
    stories = {doc: story_of[event] for doc, event in truth.items()}
    return {
        "documents": docs.height,
        "seconds": seconds,
        "base_mb": base,
        "events_found": len(set(found.values())),
        "events_true": len(set(truth.values())),
        "stories_true": len(set(stories.values())),
        "largest_group": max(Counter(found.values()).values()),
        **pairwise(truth, found),
        "story": pairwise(stories, found),
    }


def pairwise(truth: dict, found: dict) -> dict:
    """Pairwise precision / recall / F1 and ARI of a clustering, from contingency counts."""

    def pairs(counts):
        return sum(c * (c - 1) // 2 for c in counts)

    both = Counter((truth[d], found[d]) for d in truth)
    tp = pairs(both.values())
    t_pairs = pairs(Counter(truth.values()).values())
    f_pairs = pairs(Counter(found[d] for d in truth).values())
    total = pairs([len(truth)])
    p = tp / f_pairs if f_pairs else 0.0
    r = tp / t_pairs if t_pairs else 0.0
    expected = t_pairs * f_pairs / total if total else 0.0
    ari_den = (t_pairs + f_pairs) / 2 - expected
    return {
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "ari": (tp - expected) / ari_den if ari_den else 0.0,
    }


def stage_eval(args) -> dict:
    """`narrative-compare eval ecbplus` with the bundled model and with the fast tier."""
    out = {}
    exe = ROOT / ".venv" / "bin" / "narrative-compare"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "compare"]
    for name, extra in (("bundled", []), ("fast", ["--model", str(fast_model())])):
        t0 = time.perf_counter()
        done = subprocess.run(
            [*command, "eval", "ecbplus", "--json", *extra],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        scores = json.loads(done.stdout.strip().splitlines()[-1])
        out[name] = {
            "seconds": time.perf_counter() - t0,
            **{
                k: scores.get(k)
                for k in (
                    "n_documents",
                    "f1_loose",
                    "f1_tight",
                    "precision_loose",
                    "recall_loose",
                    "floor_tfidf_f1_loose",
                    "floor_tfidf_f1_tight",
                )
            },
        }
    return out


def run_stage(name: str, args) -> dict:
    """Run one stage in a fresh process; its result plus wall time and peak memory."""
    command = [
        sys.executable,
        __file__,
        "--stage",
        name,
        "--docs",
        str(args.docs),
        "--sample",
        str(args.sample),
        "--align-every",
        str(args.align_every),
    ] + (["--fresh"] if args.fresh else [])
    log(f"{name} ...")
    t0 = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode:
        log(done.stderr[-4000:])
        raise SystemExit(f"stage {name} failed (exit {done.returncode})")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = wall
    log(f"  {name}: {wall:.0f} s, peak {result['peak_mb']:.0f} MB")
    return result


def child(name: str, args) -> None:
    t0 = time.perf_counter()
    result = globals()[f"stage_{name}"](args)
    result.setdefault("seconds", time.perf_counter() - t0)
    result["peak_mb"] = rss_mb()
    print(json.dumps(result))


# --- SCALE.md ------------------------------------------------------------------------------------


def fit(records: list[dict]) -> dict:
    """Non-negative least squares of per-event align+diverge seconds on n and n² (n = claims)."""
    from scipy.optimize import nnls

    n = np.array([r["claims"] for r in records], dtype=float)
    y = np.array([r["align"] + r["diverge"] for r in records])
    x = np.stack([n, n * n], axis=1)
    coef, _ = nnls(x, y)
    r2 = 1 - ((y - x @ coef) ** 2).sum() / max(((y - y.mean()) ** 2).sum(), 1e-12)
    return {"per_claim": coef[0], "per_claim2": coef[1], "r2": r2}


def estimate(records: list[dict], key: str, sizes: list[int], every: int) -> float:
    """Seconds of `key` over every event, from the sampled ones.

    The sample is the largest event of each run of `every` events by size; each sampled event
    stands for its run through the ratio of the fitted cost f(n) = a·n + b·n² (a, b >= 0) over
    the run to f at its own size (with f(n) = n this gives the exact claim count).
    """
    from scipy.optimize import nnls

    records = sorted(records, key=lambda r: -r["claims"])
    runs = sorted(sizes, reverse=True)
    n = np.array([r["claims"] for r in records], dtype=float)
    y = np.array([r[key] for r in records])
    coef, _ = nnls(np.stack([n, n * n], axis=1), y)

    def f(m):
        return coef[0] * m + coef[1] * m * m

    total = 0.0
    for i, r in enumerate(records):
        run = np.array(runs[i * every : (i + 1) * every], dtype=float)
        own = f(n[i])
        total += r[key] * (f(run).sum() / own if own > 0 else len(run))
    return total


def scaling_table(records: list[dict]) -> str:
    records = sorted(records, key=lambda r: r["claims"])
    rows = []
    for idx in np.array_split(np.arange(len(records)), 5):
        part = [records[i] for i in idx]
        if not part:
            continue
        n = np.array([r["claims"] for r in part], dtype=float)
        align_s = sum(r["align"] for r in part)
        div_s = sum(r["diverge"] for r in part)
        rows.append(
            [
                f"{int(n.min())}-{int(n.max())}",
                len(part),
                f"{n.mean():.0f}",
                f"{(n * n).sum() / 1e6:.1f}",
                f"{align_s:.1f}",
                f"{div_s:.1f}",
                f"{1e6 * (align_s + div_s) / (n * n).sum():.2f}",
                f"{1e3 * (align_s + div_s) / n.sum():.1f}",
                f"{sum(r['pairs'] for r in part) / n.sum():.1f}",
            ]
        )
    return table(
        [
            "claims per event",
            "events",
            "mean claims",
            "sum n² (M)",
            "align s",
            "diverge s",
            "s per M n²",
            "ms per claim",
            "pairs per claim",
        ],
        rows,
    )


def num(x: float) -> str:
    return f"{x:,.0f}"


def write_markdown(r: dict, args) -> str:
    b, seg, emb = r["build"], r["segment"], r["embed"]
    claims, distinct, docs = seg["claims"], seg["distinct_texts"], b["documents"]
    md = [
        "# Scale: a 10k-document feed on one machine",
        "",
        (
            f"Measured by `make bench-scale` (`benchmarks/scale.py`) on {dt.date.today()}:"
            f" {os.cpu_count()} cores, Python {platform.python_version()}, shared with other"
            f" jobs (load average {r['load']:.1f} at the start). Regenerated by the script, with"
            " its date; do not edit by hand. Each stage runs in a fresh process: time is"
            " wall-clock, memory is that process's peak resident set (`ru_maxrss`), interpreter,"
            " imports and DuckDB's buffers included."
        ),
        "",
        "## The corpus",
        "",
        (
            "Built at bench time into `benchmarks/work/bench-scale/feed.jsonl` (git-ignored) from"
            f" the sentences of {b['stories']} stories of ECB+, AllSides, BASIL and FNC-1, read"
            " from `$NARRATIVE_EVAL_DIR` and never committed. Each event retells one story in"
            " several documents: 30% are wire copy (a verbatim run of the story), the others keep"
            " 35% of its sentences, reword 40% (a number, a word, an attribution, a hedge, a"
            " negation), drop the rest and add 3-7 of their own; 30% end with a wire credit line"
            " shared across events. A story told again becomes another event with every sentence"
            " reworded. The feed is one JSONL file in date order, events interleaved, `event_id`"
            " set."
        ),
        "",
        table(
            [
                "documents",
                "events",
                "documents per event (median / max)",
                "claims",
                "distinct claim texts",
                "distinct per event, summed",
                "feed MB",
            ],
            [
                [
                    num(docs),
                    num(b["events"]),
                    f"{b['docs_per_event_median']:.0f} / {b['docs_per_event_max']}",
                    num(claims),
                    num(distinct),
                    num(seg["distinct_per_event_sum"]),
                    f"{b['feed_mb']:.0f}",
                ]
            ],
        ),
        "",
        (
            f"Each distinct text is embedded once: {num(claims)} claims, {num(emb['embedded'])}"
            f" texts embedded ({100 * (1 - emb['embedded'] / claims):.0f}% fewer), against"
            f" {num(seg['distinct_per_event_sum'])} if the cache were per event. The cache key is"
            " (model, sha256(text)): a sentence repeated across outlets (wire copy) or across"
            " events (credit lines) is embedded once, and the align pass after it embedded"
            f" {r['align']['embedded'] if 'align' in r else 0} texts."
        ),
        "",
    ]
    md += stages_section(r)
    md += memory_section(r)
    md += scaling_section(r)
    md += fast_section(r)
    md += group_section(r)
    md += largest(r)
    return "\n".join(md) + "\n"


def stages_section(r: dict) -> list[str]:
    ing, seg, emb = r["ingest"], r["segment"], r["embed"]
    claims, distinct, docs = seg["claims"], seg["distinct_texts"], r["build"]["documents"]
    fast_rate = emb["embedded"] / emb["encode_seconds"] if emb["encode_seconds"] else 0
    rows = [
        [
            "ingest",
            "`ingest()` of the feed, documents written",
            num(ing["seconds"]),
            f"{num(docs / ing['seconds'])} docs/s",
            num(ing["peak_mb"]),
        ],
        [
            "segment",
            "`segment()` of every document, claims written",
            num(seg["seconds"]),
            f"{num(claims / seg['seconds'])} claims/s",
            num(seg["peak_mb"]),
        ],
        [
            "embed, fast tier",
            (
                f"`event_vectors()` on all events: cache lookups + encoding {num(emb['embedded'])}"
                " texts"
            ),
            num(emb["seconds"]),
            f"{num(claims / emb['seconds'])} claims/s ({num(fast_rate)} texts/s encoding)",
            num(emb["peak_mb"]),
        ],
    ]
    bun = r.get("bundled")
    if bun:
        rate = bun["bundled"]["per_second"]
        rows.append(
            [
                "embed, bundled model",
                f"estimated: {num(distinct)} texts at the rate measured on {num(bun['texts'])}",
                f"~{num(distinct / rate)}",
                f"{rate:,.0f} texts/s",
                num(bun["peak_mb"]),
            ]
        )
    a = r.get("align")
    if a:
        share = f"{a['events']} of {a['events_all']} events measured"
        for key, what in (
            ("align", "`align()` per event, summed"),
            ("diverge", "`diverge()` per event, summed"),
            ("write", "`write_event()`: 5 tables, one transaction per event"),
            ("read", "claims + vectors (a batch of events), documents per event"),
        ):
            total = a["estimated"][key]
            rows.append(
                [
                    {"write": "store writes", "read": "store reads"}.get(key, key),
                    f"{what} ({share}, {num(a[key])} s; rest extrapolated)",
                    num(total),
                    f"{num(claims / total)} claims/s" if total else "",
                    num(a["peak_mb"]) if key == "align" else "(same process)",
                ]
            )
    rep = r.get("report")
    if rep:
        for x in rep["reports"]:
            rows.append(
                [
                    "report",
                    (
                        f"`write_reports()` of one event: {x['documents']} documents,"
                        f" {num(x['claims'])} claims ({x['mb']:.1f} MB of HTML)"
                    ),
                    f"{x['seconds']:.1f}",
                    "",
                    num(rep["peak_mb"]),
                ]
            )
    g = r.get("group")
    if g and "skipped" not in g:
        rows.append(
            [
                "group",
                f"`group_documents()` of all {num(g['documents'])} documents",
                num(g["seconds"]),
                f"{num(g['documents'] / g['seconds'])} docs/s",
                num(g["peak_mb"]),
            ]
        )
    lines = [
        "## Stages",
        "",
        table(["stage", "what runs", "seconds", "throughput", "peak memory MB"], rows),
        "",
    ]
    if a:
        c = a["counts"]
        lines += [
            (
                f"Alignment ran on 1 in {args_every(a)} events by size: the largest of each run"
                f" of {args_every(a)}, which stands for its run scaled by the fitted cost"
                " a·n + b·n² of the run over its own (below). Rows stored for those events: "
                + ", ".join(f"{k} {num(c[k])}" for k in COMPARED if k in c)
                + f". Store on disk: {r.get('store_mb', 0):,.0f} MB."
            ),
            "",
        ]
    return lines


COMPARED = ("claim_pairs", "claim_groups", "omissions", "divergences", "term_contrasts")


def args_every(a: dict) -> int:
    return round(a["events_all"] / max(a["events"], 1))


def memory_section(r: dict) -> list[str]:
    ing, seg, emb = r["ingest"], r["segment"], r["embed"]
    claims = seg["claims"]
    lines = [
        "## Memory stays bounded",
        "",
        (
            "- Vectors are read, and embedded when missing, a batch of events at a time"
            " (`embed.event_vectors`, ~20k claims a batch): the largest event's vectors took"
            f" {emb['max_event_vectors_mb']:.1f} MB; the corpus's would take"
            f" {claims * 256 * 4 / 2**20:,.0f} MB (fast tier, 256-d) or"
            f" {claims * 384 * 4 / 2**20:,.0f} MB (bundled model, 384-d)."
        ),
        "- Alignment holds one event, and of its score matrix blocks of 1024 rows.",
        (
            f"- Ingest and segment hold their whole input: {num(ing['peak_mb'])} MB and"
            f" {num(seg['peak_mb'])} MB peak for a {r['build']['feed_mb']:.0f} MB feed"
            f" ({ing['base_mb']:.0f} MB after imports). That grows with the text given to one"
            " `ingest` call, not with vectors; a larger feed is ingested in parts."
        ),
    ]
    look = r.get("lookup")
    if look:
        lines.append(
            "- A cache lookup scans the whole embeddings table (DuckDB uses no index for a list"
            " of keys). One lookup per event, as `align_store` does today, took"
            f" {look['per_event_seconds']:.2f} s per event with {num(look['cache_rows'])} cached"
            f" texts: ~{num(look['per_event_seconds'] * look['events'])} s for the"
            f" {num(look['events'])} events of one pass, growing with events x cache size."
            " `event_vectors` looks up ~20k claims at a time, one scan per batch."
        )
    return lines + [""]


def scaling_section(r: dict) -> list[str]:
    a = r.get("align")
    if not a:
        return []
    records = [json.loads(line) for line in (WORK / "events.jsonl").open()]
    sizes = np.array(json.loads((WORK / "event_sizes.json").read_text()), dtype=float)
    total_n2, corpus_n2 = (sizes**2).sum(), sizes.sum() ** 2
    f = fit(records)
    # Rows written per event: claim_groups (one per claim), pairs, omissions, divergences, terms.
    rows = np.array(
        [x["claims"] * 2 + x["pairs"] + x["omissions"] + x["divergences"] for x in records]
    )
    per_row = 1e6 * np.array([x["write"] for x in records]) / np.maximum(rows, 1)
    tenth = max(len(per_row) // 10, 1)
    return [
        "## Alignment grows with the sum of per-event sizes",
        "",
        (
            f"The sum over events of n² (n = claims of the event) is {total_n2 / 1e6:,.0f} M;"
            f" one all-pairs matrix of the corpus would be {corpus_n2 / 1e9:,.0f} G, i.e."
            f" {corpus_n2 / total_n2:,.0f}x more. Measured events by size, in fifths:"
        ),
        "",
        scaling_table(records),
        "",
        (
            f"Per event, align + diverge ≈ {f['per_claim'] * 1e3:.2f} ms × n +"
            f" {f['per_claim2'] * 1e6:.3f} µs × n² seconds (non-negative least squares on the"
            f" measured events, R² {f['r2']:.2f})."
            " The n² part is diverge on accepted pairs: a sentence that k documents share"
            " (wire copy) makes k(k-1)/2 pairs, so pairs per claim grow with the documents of an"
            " event. Store writes: a median"
            f" {np.median(per_row[:tenth]):.0f} µs per row written in the first tenth of events,"
            f" {np.median(per_row[-tenth:]):.0f} µs in the last (the store grows by"
            f" {num(rows.sum())} rows meanwhile)."
        ),
        "",
    ]


def fast_section(r: dict) -> list[str]:
    bun, emb, seg = r.get("bundled"), r["embed"], r["segment"]
    lines = [
        "## Fast tier",
        "",
        (
            "A static embedding model distilled offline from the bundled all-MiniLM-L6-v2 with"
            " model2vec (each token's vector from the transformer, PCA to 256 dimensions,"
            " Zipf weighting; a sentence is the mean of its tokens' vectors). `--model FOLDER`"
            " takes it like any model folder: `SentenceTransformerEmbedder(FOLDER)` returns a"
            " `StaticEmbedder` when the folder's config.json says model2vec, and its vectors are"
            " cached under their own key."
        ),
        "",
    ]
    if bun:
        fast, slow = bun["fast"]["per_second"], bun["bundled"]["per_second"]
        distinct = seg["distinct_texts"]
        lines += [
            table(
                ["model", "texts/s, same sample", "load s", f"{num(distinct)} distinct texts"],
                [
                    [
                        "bundled all-MiniLM-L6-v2",
                        num(slow),
                        f"{bun['bundled']['load_seconds']:.1f}",
                        f"~{distinct / slow / 60:,.0f} min (extrapolated)",
                    ],
                    [
                        "fast tier (static, 256-d)",
                        num(fast),
                        f"{bun['fast']['load_seconds']:.1f}",
                        f"{emb['encode_seconds']:.0f} s encoding (measured)",
                    ],
                ],
            ),
            "",
            (
                f"On the same {num(bun['texts'])} texts the fast tier encodes {fast / slow:,.0f}x"
                " faster."
            ),
            "",
        ]
    e = r.get("eval")
    if e:
        lines += [
            (
                "Quality on ecbplus DEV, the whole pipeline with the product's aligner settings"
                " (`narrative-compare eval ecbplus --json`, then `--model` the fast tier):"
            ),
            "",
            table(
                ["model", "F1 loose", "F1 tight", "precision loose", "recall loose", "eval s"],
                [
                    [
                        name,
                        f"{e[k]['f1_loose']:.3f}",
                        f"{e[k]['f1_tight']:.3f}",
                        f"{e[k]['precision_loose']:.3f}",
                        f"{e[k]['recall_loose']:.3f}",
                        f"{e[k]['seconds']:.0f}",
                    ]
                    for name, k in (("bundled all-MiniLM-L6-v2", "bundled"), ("fast tier", "fast"))
                ],
            ),
            "",
            (
                "F1 loss of the fast tier:"
                f" {e['bundled']['f1_loose'] - e['fast']['f1_loose']:.3f} loose,"
                f" {e['bundled']['f1_tight'] - e['fast']['f1_tight']:.3f} tight (TF-IDF floor on"
                f" the same data {e['bundled']['floor_tfidf_f1_loose']:.3f} /"
                f" {e['bundled']['floor_tfidf_f1_tight']:.3f})."
            ),
            "",
        ]
    d = r.get("distill")
    made = (
        f"It took {d['seconds']:.0f} s here"
        + (f" (the model made on {d['made']}, reused)." if d.get("reused") else " (this run).")
        if d
        else ""
    )
    lines += [
        f"Make one (model2vec's `distill`, 1-3 minutes on 2 cores). {made}",
        "",
        "```",
        "pip install -e '.[fast]'",
        "python benchmarks/scale.py --distill-only models/fast-minilm",
        "narrative-compare run FEED.jsonl --model models/fast-minilm",
        "```",
        "",
        (
            "The `fast` extra pins model2vec 0.7: later releases cap transformers below 5.4 for"
            " `distill`, which would downgrade the transformers that sentence-transformers uses."
            " Any model2vec model folder works as `--model`."
        ),
        "",
    ]
    return lines


def group_section(r: dict) -> list[str]:
    g = r.get("group")
    if not g:
        return []
    if "skipped" in g:
        return ["## Grouping", "", f"Not measured: {g['skipped']}.", ""]
    return [
        "## Grouping",
        "",
        (
            f"`group_documents` on all {num(g['documents'])} documents with the fast tier (text,"
            " title and date; neighbours found in blocks, no all-pairs matrix):"
            f" {num(g['seconds'])} s, peak {num(g['peak_mb'])} MB. It found"
            f" {num(g['events_found'])} groups for {num(g['events_true'])} events. Against the"
            f" events: pairwise precision {g['precision']:.3f}, recall {g['recall']:.3f}, ARI"
            f" {g['ari']:.3f}. The corpus retells its {num(g['stories_true'])} stories as"
            f" {num(g['events_true'])} events (a story told again has every sentence reworded"
            " and a date somewhere in the same 120 days), which text alone cannot tell apart;"
            " against the stories: pairwise precision"
            f" {g['story']['precision']:.3f}, recall {g['story']['recall']:.3f}, ARI"
            f" {g['story']['ari']:.3f}. Grouping quality on real data is measured by"
            " `narrative-compare eval` (benchmarks/README.md); here it is the cost that counts."
        ),
        "",
    ] + largest_groups()


def largest_groups() -> list[str]:
    """The largest groups found: how many true events and how many days they span."""
    import duckdb
    import polars as pl

    path = WORK / "groups.parquet"
    if not path.exists():
        return []
    con = duckdb.connect(str(WORK / "store.duckdb"), read_only=True)
    try:
        docs = con.sql("SELECT doc_id, event_id AS true_event, date FROM documents").pl()
    finally:
        con.close()
    top = (
        pl.read_parquet(path)
        .join(docs, on="doc_id")
        .group_by("event_id")
        .agg(
            pl.len().alias("documents"),
            pl.col("true_event").n_unique().alias("events"),
            pl.col("date").min().alias("first"),
            pl.col("date").max().alias("last"),
        )
        .sort("documents", descending=True)
        .head(3)
    )
    rows = [
        [
            num(row["documents"]),
            num(row["events"]),
            f"{row['first']} to {row['last']}",
            (dt.date.fromisoformat(row["last"]) - dt.date.fromisoformat(row["first"])).days,
        ]
        for row in top.iter_rows(named=True)
    ]
    return [
        (
            "The largest groups found (with `max_days` = 7, documents dated further apart should"
            " never share an event):"
        ),
        "",
        table(["documents", "true events", "dates", "days spanned"], rows),
        "",
    ]


def largest(r: dict) -> list[str]:
    """The largest corpus for 24 GiB and 2 cores, from this run's slopes."""
    ing, seg, emb, a = r["ingest"], r["segment"], r["embed"], r.get("align")
    claims, docs = seg["claims"], r["build"]["documents"]
    per_claim_mb = max(seg["peak_mb"] - seg["base_mb"], 1) / claims
    budget = MACHINE_GIB * 1024 * 0.75  # a quarter left to DuckDB's buffers and the OS
    per_million = {
        "ingest": ing["seconds"] / claims * 1e6,
        "segment": seg["seconds"] / claims * 1e6,
        "embed (fast tier)": emb["seconds"] / claims * 1e6,
    }
    if a:
        per_million["align"] = a["estimated"]["align"] / claims * 1e6
        per_million["diverge"] = a["estimated"]["diverge"] / claims * 1e6
        per_million["store reads + writes"] = (
            (a["estimated"]["read"] + a["estimated"]["write"]) / claims * 1e6
        )
    total = sum(per_million.values())
    top = sorted(per_million.items(), key=lambda kv: -kv[1])
    lines = [
        "## The largest corpus for 24 GiB and 2 cores",
        "",
        (
            "Memory: only ingest and segment grow with their input"
            f" ({per_claim_mb * 1e3:.1f} KB per claim over the interpreter's baseline in"
            " segment, the larger of the two); embedding, alignment and reports hold a batch or"
            f" an event. One `ingest` call fits about {budget / per_claim_mb / 1e6:,.1f} M claims"
            f" (~{budget / per_claim_mb / (claims / docs) / 1e3:,.0f}k documents of this size)"
            " in 18 GiB. A larger corpus is ingested in parts, and then memory is no longer the"
            f" limit: the store on disk (~{r['store_full_gb_per_m']:.1f} GB per million claims"
            " once every event is aligned), the largest single event (align holds 1024 x n"
            " scores, and diverge grows with its pairs) and time are."
        ),
        "",
        (
            f"Time per million claims with this mix of events, fast tier: {total / 3600:,.1f} h: "
            + ", ".join(f"{k} {v / 60:,.0f} min" for k, v in top)
            + "."
        ),
    ]
    bun = r.get("bundled")
    if bun:
        bundled = seg["distinct_texts"] / claims * 1e6 / bun["bundled"]["per_second"]
        lines[-1] += (
            f" The bundled model would add {bundled / 3600:,.1f} h per million claims of"
            f" embedding ({100 * seg['distinct_texts'] / claims:.0f}% of them distinct here)."
        )
    lines += [
        "",
        (
            f"So in a day this machine takes about {86400 / total:,.1f} M claims"
            f" (~{86400 / total * 1e6 / (claims / docs) / 1e3:,.0f}k documents) through the"
            f" pipeline with the fast tier; what dominates is {top[0][0]}"
            f" ({100 * top[0][1] / total:.0f}% of the time), then {top[1][0]}"
            f" ({100 * top[1][1] / total:.0f}%). Align and diverge grow with the sum of n² over"
            " events, so a feed whose events are twice as large costs about twice as much per"
            " claim there; the other stages are linear in claims."
        ),
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000, help="documents in the feed")
    parser.add_argument(
        "--sample", type=int, default=10_000, help="distinct texts embedded with the bundled model"
    )
    parser.add_argument(
        "--align-every",
        type=int,
        default=8,
        help="align 1 in k events by size (1 = all; the rest is extrapolated)",
    )
    parser.add_argument("--skip", default="", help=f"comma-separated stages of {STAGES}")
    parser.add_argument("--fresh", action="store_true", help="distil the fast model again")
    parser.add_argument("--no-write", action="store_true", help="print, do not write SCALE.md")
    parser.add_argument(
        "--distill-only",
        metavar="OUT",
        type=Path,
        help="only distil the bundled model into a fast-tier folder OUT",
    )
    parser.add_argument(
        "--markdown-only",
        action="store_true",
        help="rewrite SCALE.md from the last run's results in benchmarks/work/",
    )
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.distill_only:
        record = distill(args.distill_only)
        log(
            f"Wrote {args.distill_only} in {record['seconds']:.0f} s. Use it with"
            f" --model {args.distill_only}"
        )
        return
    if args.stage:
        child(args.stage, args)
        return
    if args.markdown_only:
        write(json.loads((WORK / "results.json").read_text()), args)
        return
    skip = {s for s in args.skip.split(",") if s}
    if skip - set(STAGES):
        raise SystemExit(f"Unknown stage(s) {sorted(skip - set(STAGES))}; stages: {STAGES}")
    WORK.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results: dict = {"load": os.getloadavg()[0]}
    for name in STAGES:
        if name not in skip:
            results[name] = run_stage(name, args)
        if name in ("embed", "align"):
            results[f"store_mb_after_{name}"] = store_mb()
    results["store_mb"] = store_mb()
    if "align" in results:
        results["align"]["every"] = args.align_every
    results["total_seconds"] = time.perf_counter() - t0
    (WORK / "results.json").write_text(json.dumps(results, indent=1))
    write(results, args)


def write(results: dict, args) -> None:
    """SCALE.md from a run's results (also `--markdown-only`, from benchmarks/work/)."""
    if "align" in results:
        a = results["align"]
        records = [json.loads(line) for line in (WORK / "events.jsonl").open()]
        sizes = json.loads((WORK / "event_sizes.json").read_text())
        every = a.get("every", args.align_every)
        a["estimated"] = {
            k: estimate(records, k, sizes, every) for k in ("align", "diverge", "write", "read")
        }
        grown = results["store_mb_after_align"] - results.get("store_mb_after_embed", 0)
        full = results.get("store_mb_after_embed", 0) + grown * a["claims_all"] / a["claims"]
        results["store_full_gb_per_m"] = full / 1024 / a["claims_all"] * 1e6
    md = write_markdown(results, args)
    md += f"\nThe whole run took {results['total_seconds'] / 60:.0f} minutes.\n"
    if args.no_write:
        print(md)
    else:
        SCALE_MD.write_text(md, encoding="utf-8")
        log(f"Wrote {SCALE_MD.relative_to(ROOT)} ({results['total_seconds'] / 60:.0f} min)")


if __name__ == "__main__":
    main()
