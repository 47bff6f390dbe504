"""The Ray engine: the local engine's stage functions, scheduled on a Ray cluster.

    stored claims -> Parquet partitioned by event (`<db>.ray/claims/event_id=<id>/`)
    -> the distinct texts missing from the embedding cache (`<db>.ray/to_embed/part-*.parquet`)
    -> Ray Data `map_batches` over model-holding actors (one model load each; a GPU each when the
       cluster has GPUs) -> vectors committed to the store's `embeddings` in chunks, by the driver
    -> one Ray task per event running `compare.pipeline.compare_event` -> `write_event` by the driver

Only the driver opens the DuckDB store (DuckDB allows one writer), so the store ends up exactly as the
local engine leaves it, and an interrupted run leaves what the local engine would: committed
embedding chunks and whole events. Ingest and segment run before this, on the driver, through
`compare.pipeline.ingest_into`. `ray` is an optional extra and is imported only inside functions.

On a cluster of several machines the work folder must be on storage every node reads (set
`NARRATIVE_RAY_WORK` to a shared folder), and `--model PATH` must exist on every node. Joining a
cluster that uses Ray's token authentication takes Ray's own settings (`RAY_AUTH_MODE=token` and
the token) in the environment of the command.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import warnings
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np

from compare import _testing, store
from compare.align import AlignConfig
from compare.diverge import DivergeConfig
from compare.embed import COMMIT_EVERY, Embedder, event_vectors, load_embedder, store_vectors
from compare.errors import EngineError, MissingExtra, NarrativeError
from compare.models import ModelChoice
from compare.pipeline import (
    AlignSummary,
    Progress,
    compare_event,
    event_model_row,
    models_by_event,
    quiet,
    write_event,
)

EMBED_BATCH = 64  # texts per model call, as in compare.embed
SHARD_ROWS = 512  # texts per to_embed Parquet file: the unit of work an actor takes
MAX_RESTARTS = 2  # a crashed embedding actor is restarted and its batch retried this often
TASK_RETRIES = 2  # a compare task whose worker died is retried this often


def require_ray():
    try:
        import ray
        import ray.data
    except ImportError:
        raise MissingExtra("The ray engine", "ray") from None
    return ray


def align_store_ray(
    con: duckdb.DuckDBPyConnection,
    embedder: Embedder | ModelChoice,
    *,
    events: Sequence[str] | None = None,
    config: AlignConfig | None = None,
    diverge_config: DivergeConfig | None = None,
    progress: Progress = quiet,
    address: str | None = None,
    workers: int | None = None,
) -> AlignSummary:
    """The Ray engine (a `compare.pipeline.Engine`): embed, align and diverge the stored claims of
    `events` (default: all). `embedder` must be a model `load_embedder` gives (a folder or a bundled
    name): every actor loads the model from its `path`, and its `key` names the cache. A
    `ModelChoice` picks each event's model as the local engine does (`models_by_event`).

    `address` joins a running cluster; without it a local Ray instance is started for the run.
    `workers` caps the embedding actors (default: one per GPU, else one per CPU of the cluster).
    """
    ray = require_ray()
    events = store.require_events(con, events)
    work = work_dir(con)
    shutil.rmtree(work, ignore_errors=True)
    summary = AlignSummary()
    before = _count(con, "embeddings")
    with ray_session(ray, address, progress):
        # One pass per model the events need (the local engine's per-event choice, same order)
        for i, (model, members, reasons) in enumerate(models_by_event(con, events, embedder)):
            part = work / f"model-{i}"
            write_claims_parquet(con, members, part / "claims")
            shards = write_texts_to_embed(con, model.key, part / "claims", part / "to_embed")
            if shards:
                embed_on_ray(ray, con, model, part / "to_embed", workers=workers, progress=progress)
            configs = (
                config or AlignConfig.for_model(model.key),
                diverge_config or DivergeConfig(),
            )
            compare_on_ray(ray, con, model.key, members, configs, summary, reasons)
    shutil.rmtree(work, ignore_errors=True)
    summary.embedded = _count(con, "embeddings") - before
    return summary


def work_dir(con: duckdb.DuckDBPyConnection) -> Path:
    """`<db>.ray` beside the store, or `$NARRATIVE_RAY_WORK/<db name>.ray` (a folder all nodes see)."""
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    db = Path(rows[0][0]) if rows and rows[0][0] else Path(tempfile.mkdtemp()) / "memory"
    shared = os.environ.get("NARRATIVE_RAY_WORK")
    return Path(shared) / f"{db.name}.ray" if shared else db.with_name(f"{db.name}.ray")


@contextmanager
def ray_session(ray, address: str | None, progress: Callable[[str], None]):
    """Join the cluster at `address`, or start a local instance; a caller's own session is kept."""
    if ray.is_initialized():
        yield
        return
    # Ray's own notes (token auth, progress settings, actor restart caveats) are not the user's
    # business; failures still surface as exceptions. RAY_BACKEND_LOG_LEVEL=info brings them back.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    quiet = {"log_to_driver": False, "logging_level": logging.ERROR}
    try:
        if address:
            _check_reachable(address)
            ray.init(address=address, **quiet)
        else:
            ray.init(
                address="local",
                num_cpus=os.cpu_count() or 1,
                include_dashboard=False,
                _temp_dir=str(Path(tempfile.gettempdir()) / "ray"),
                **quiet,
            )
    except (ConnectionError, ValueError, RuntimeError) as exc:
        where = f"the Ray cluster at '{address}'" if address else "a local Ray instance"
        raise EngineError(
            f"Cannot start or join {where}: {str(exc).splitlines()[0]}. Check the address"
            " ('ray status' on the head node), or leave out --ray-address to start one here."
        ) from None
    try:
        resources = ray.cluster_resources()
        progress(
            f"Ray: {'joined ' + address if address else 'local instance'},"
            f" {int(resources.get('CPU', 0))} CPUs, {int(resources.get('GPU', 0))} GPUs"
        )
        _quiet_ray_data(ray)
        yield
    finally:
        ray.shutdown()


def _check_reachable(address: str) -> None:
    """Fail in seconds on a wrong HOST:PORT; Ray itself retries for minutes before giving up."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or "://" in address:
        return  # "auto", "ray://..." and other forms are Ray's to resolve
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise ConnectionError(f"nothing answers at {address} ({exc.strerror or exc})") from None


def _quiet_ray_data(ray) -> None:
    with warnings.catch_warnings():  # Ray Data's own deprecated settings warn on first use
        warnings.simplefilter("ignore", DeprecationWarning)
        context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    # Failures reach the caller as exceptions; Ray Data would also log them with a traceback.
    logging.getLogger("ray.data").setLevel(logging.CRITICAL)


def write_claims_parquet(con: duckdb.DuckDBPyConnection, events: list[str], folder: Path) -> None:
    """The claims of `events` as Parquet, one hive partition per event (`event_id=<id>/`)."""
    relation = con.sql(
        "SELECT * FROM claims WHERE event_id IN (SELECT unnest($events::VARCHAR[]))"
        " ORDER BY event_id, doc_id, position",
        params={"events": events},
    )
    folder.parent.mkdir(parents=True, exist_ok=True)
    relation.write_parquet(str(folder), partition_by=["event_id"], overwrite=True)


def write_texts_to_embed(
    con: duckdb.DuckDBPyConnection, model_key: str, claims: Path, folder: Path
) -> int:
    """Distinct texts of the claims Parquet with no vector under `model_key`, as Parquet shards.

    The cache check reads the store's hashes once, so nothing already embedded reaches a worker and
    wire copy repeated across outlets is embedded once. Returns the number of shards.
    """
    if not claims.exists():
        return 0
    table = con.sql(
        "SELECT text_sha256, any_value(text) AS text"
        " FROM read_parquet($glob, hive_partitioning = true)"
        " WHERE text_sha256 NOT IN (SELECT text_sha256 FROM embeddings WHERE model = $model)"
        " GROUP BY text_sha256 ORDER BY text_sha256",
        params={"glob": str(claims / "**" / "*.parquet"), "model": model_key},
    ).to_arrow_table()
    if table.num_rows == 0:
        return 0
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    starts = range(0, table.num_rows, SHARD_ROWS)
    for i, start in enumerate(starts):
        pq.write_table(table.slice(start, SHARD_ROWS), folder / f"part-{i:05d}.parquet")
    return len(starts)


def embed_on_ray(
    ray,
    con: duckdb.DuckDBPyConnection,
    embedder: Embedder,
    shards: Path,
    *,
    workers: int | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> int:
    """Embed the texts in `shards` on model-holding actors; the driver stores the vectors in chunks.

    Each chunk is committed on its own, as in the local engine, so a run that fails part-way keeps
    what was finished and the next run embeds only the rest. Returns the number of texts embedded.
    """
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    slots = gpus or max(1, int(resources.get("CPU", 1)))
    n_shards = len(list(shards.glob("*.parquet")))
    size = max(1, min(workers or slots, slots, n_shards))
    progress(f"Ray: embedding on {size} {'GPU' if gpus else 'CPU'} actor(s)")
    # Read and split into one block per shard before any actor exists: a full pool would otherwise
    # hold every CPU while the read tasks wait for one.
    dataset = ray.data.read_parquet(str(shards)).repartition(n_shards).materialize()
    with warnings.catch_warnings():
        # Ray 2.60 has no named parameter for actor restarts yet; the keyword form still works.
        warnings.simplefilter("ignore")
        vectors = dataset.map_batches(
            EmbedActor,
            fn_constructor_kwargs={
                "path": str(embedder.path),
                "key": embedder.key,
                "device": "cuda" if gpus else "cpu",
                "fault": _testing.FAULT,
            },
            batch_size=EMBED_BATCH,
            batch_format="numpy",
            # One block in flight per actor, so that an actor still loading its model gets work too.
            compute=ray.data.ActorPoolStrategy(size=size, max_tasks_in_flight_per_actor=1),
            num_gpus=1 if gpus else 0,
            num_cpus=1,
            max_restarts=MAX_RESTARTS,
            max_task_retries=MAX_RESTARTS,
        )
    done = 0
    try:
        for batch in vectors.iter_batches(batch_size=COMMIT_EVERY, batch_format="numpy"):
            hashes = [str(h) for h in batch["text_sha256"]]
            store_vectors(con, embedder.key, hashes, np.asarray(batch["vector"], dtype=np.float32))
            done += len(hashes)
    except ray.exceptions.RayError as exc:
        _reraise(ray, exc, "embedding", done)
    return done


class EmbedActor:
    """Holds one model for its lifetime; Ray Data calls it with batches of `text_sha256`, `text`."""

    def __init__(self, path: str, key: str, device: str = "cpu", fault: dict | None = None):
        self.embedder = load_embedder(path, device)
        if self.embedder.key != key:
            raise EngineError(
                f"The model at '{path}' on this Ray node ({self.embedder.key}) is not the driver's"
                f" ({key}). Install the same model on every node."
            )
        _ = self.embedder.model  # load it now: once per actor, not per batch
        self.fault = fault
        self.calls = 0

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        self.calls += 1
        _testing.on_batch(self.fault, self.calls)  # tests only: FAULT is None otherwise
        vectors = self.embedder.encode([str(t) for t in batch["text"]])
        return {"text_sha256": batch["text_sha256"], "vector": vectors}


class _CacheOnly:
    """An embedder for vectors the Ray stage already stored: being asked to encode is a bug."""

    def __init__(self, key: str):
        self.key = key

    def encode(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError(f"{len(texts)} claim texts were not embedded by the Ray embed stage")


def compare_on_ray(
    ray,
    con: duckdb.DuckDBPyConnection,
    model_key: str,
    events: list[str],
    configs,
    summary,
    reasons: dict[str, str] | None = None,
) -> None:
    """One `compare_event` task per event; each result is written by the driver as it arrives,
    with its `event_models` row (`reasons`: why the model). `configs` is (AlignConfig or None,
    DivergeConfig)."""
    task = ray.remote(num_cpus=1, max_retries=TASK_RETRIES)(compare_event)
    in_flight = max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
    pending: dict = {}
    counts: dict[str, tuple[int, int, int, bool]] = {}

    def finish_one() -> None:
        (ref,), _ = ray.wait(list(pending), num_returns=1)
        event_id, n_claims, lonely = pending.pop(ref)
        try:
            tables = ray.get(ref)
        except ray.exceptions.RayError as exc:
            _reraise(ray, exc, f"comparing event '{event_id}'", 0)
        reason = (reasons or {}).get(event_id, "given")
        tables["event_models"] = event_model_row(event_id, model_key, reason)
        write_event(con, event_id, tables)
        counts[event_id] = (
            n_claims,
            tables["claim_pairs"].height,
            tables["omissions"].height,
            lonely,
        )

    try:
        for event_id, claims, vectors in event_vectors(con, _CacheOnly(model_key), events):
            while len(pending) >= in_flight:
                finish_one()
            documents = store.read_table(con, "documents", event_id=event_id)
            ref = task.remote(documents, claims, vectors, *configs)
            pending[ref] = (event_id, claims.height, claims["doc_id"].n_unique() < 2)
        while pending:
            finish_one()
    finally:
        for ref in pending:
            ray.cancel(ref)
    for event_id in events:  # the local engine's order, whatever order the tasks finished in
        n_claims, pairs, omissions, lonely = counts[event_id]
        summary.events.append(event_id)
        summary.claims += n_claims
        summary.claim_pairs += pairs
        summary.omissions += omissions
        if lonely:
            summary.lonely_events.append(event_id)


def _reraise(ray, exc: Exception, stage: str, stored: int) -> None:
    """Worker, actor or node deaths become one clear line; errors in our own code keep their trace."""
    cause = exc.as_instanceof_cause() if isinstance(exc, ray.exceptions.RayTaskError) else exc
    if isinstance(cause, NarrativeError):
        raise cause from None
    if getattr(exc, "actor_init_failed", False):  # the actor's __init__ raised, on a node
        last = [line for line in str(exc).splitlines() if line.strip()][-1].strip()
        if last.startswith("compare."):  # our own errors are written for users already
            last = last.split(": ", 1)[-1]
        raise EngineError(f"An embedding actor could not start on a Ray node: {last}") from exc
    lost = (
        ray.exceptions.RayActorError,
        ray.exceptions.WorkerCrashedError,
        ray.exceptions.NodeDiedError,
        ray.exceptions.ObjectLostError,
        ray.exceptions.OutOfMemoryError,
    )
    if isinstance(exc, lost) or isinstance(cause, lost) or _mentions_lost_worker(exc):
        kept = f" {stored} new vectors were stored before it." if stored else ""
        raise EngineError(
            f"The Ray cluster lost a worker while {stage} ({type(exc).__name__}) and retries ran"
            f" out.{kept} The store keeps every finished event and embedding chunk: run the same"
            " command again to resume."
        ) from exc
    raise exc


def _mentions_lost_worker(exc: Exception) -> bool:
    text = str(exc)
    return any(s in text for s in ("ActorDiedError", "died unexpectedly", "WorkerCrashedError"))


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
