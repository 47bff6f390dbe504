"""The Ray engine on a real two-node Ray cluster: the same store as the local engine, and a worker
killed mid-run neither corrupts the store nor stops a re-run from completing.

The cluster is `ray start --head` plus a worker node joining it (`ray start --address`), both started
and stopped here whatever happens, by their own process ids (never `ray stop`, which would end every
Ray instance on the machine).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from compare import _testing, engine_ray
from compare.api import run
from compare.cli import main
from compare.errors import EngineError, MissingExtra
from tests.conftest import SAMPLE

try:
    import ray
except ImportError:  # `make test` installs the extra, so CI never skips
    if os.environ.get("CI"):
        raise
    pytest.skip("the ray extra is not installed: pip install -e '.[ray]'", allow_module_level=True)

EVENT = "wagner-2023"
TOLERANCE = 1e-4
KEYS = {
    "claims": ["claim_id"],
    "claim_pairs": ["claim_a", "claim_b"],
    "claim_groups": ["claim_id"],
    "divergences": ["claim_a", "claim_b", "kind"],
    "omissions": ["claim_id", "missing_in_doc"],
    "term_contrasts": ["doc_id", "term"],
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A head node and a worker node with one CPU each; yields the address to join."""
    folder = tmp_path_factory.mktemp("ray-cluster")
    # No token auth for this short-lived test cluster: a driver that joins an explicit address
    # reads RAY_AUTH_MODE when ray is imported, which in this process happened long before.
    env = {"RAY_AUTH_MODE": "disabled"}
    ray_cli = [str(Path(sys.executable).with_name("ray")), "start", "--block", "--num-cpus", "1"]
    ray_cli += ["--disable-usage-stats"]
    nodes: list[subprocess.Popen] = []
    try:
        port = _free_port()
        head = ray_cli + ["--head", "--port", str(port), "--include-dashboard", "false"]
        nodes.append(_start(head, folder / "head.log", env))
        address = f"{ray.util.get_node_ip_address()}:{port}"
        nodes.append(_start(ray_cli + ["--address", address], folder / "worker.log", env))
        _wait_for_nodes(address, 2, folder)
        yield address
    finally:
        _stop(nodes)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _start(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            start_new_session=True,
        )


def _stop(nodes: list[subprocess.Popen]) -> None:
    """SIGTERM lets `ray start --block` end its node's processes; the group kill is the backstop."""
    for node in nodes:
        node.terminate()
    deadline = time.monotonic() + 5  # an idle head still drains for 30 s; no need here
    for node in nodes:
        try:
            node.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(node.pid, signal.SIGKILL)  # the group this test started, nothing else
        except ProcessLookupError:
            pass


def _wait_for_nodes(address: str, count: int, folder: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            ray.init(address=address, log_to_driver=False, logging_level="ERROR")
            try:
                while sum(n["Alive"] for n in ray.nodes()) < count:
                    if time.monotonic() > deadline:
                        raise TimeoutError
                    time.sleep(0.5)
                return
            finally:
                ray.shutdown()
        except (ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                logs = "\n".join(p.read_text()[-2000:] for p in folder.glob("*.log"))
                pytest.fail(f"the Ray test cluster did not come up:\n{logs}")
            time.sleep(1)


def tables(db: Path, event_id: str = EVENT) -> dict[str, pl.DataFrame]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            name: con.sql(f"SELECT * FROM {name} WHERE event_id = $e", params={"e": event_id})
            .pl()
            .sort(key)
            for name, key in KEYS.items()
        }
    finally:
        con.close()


def assert_same_as_local(db: Path, local_db: Path) -> None:
    """Same rows in every compared table; float columns (scores) equal within TOLERANCE."""
    mine, local = tables(db), tables(local_db)
    for name in KEYS:
        a, b = mine[name], local[name]
        floats = [c for c, t in b.schema.items() if t.is_float()]
        exact = [c for c in b.columns if c not in floats]
        assert a.height == b.height, f"{name}: {a.height} rows, the local engine has {b.height}"
        assert a.select(exact).equals(b.select(exact)), f"{name}: rows differ from the local engine"
        for column in floats:
            gap = np.abs(a[column].to_numpy() - b[column].to_numpy()).max(initial=0.0)
            assert gap <= TOLERANCE, f"{name}.{column} differs by {gap}"


def test_ray_engine_matches_the_local_engine(cluster, sample_store, tmp_path):
    db = tmp_path / "ray.duckdb"
    result = CliRunner().invoke(
        main,
        ["run", str(SAMPLE), "--db", str(db), "--out", str(tmp_path / "out")]
        + ["--engine", "ray", "--ray-address", cluster, "--json"],
    )
    assert result.exit_code == 0, result.output
    assert_same_as_local(db, sample_store)
    assert (tmp_path / "out" / f"{EVENT}.html").exists()
    assert not (tmp_path / "ray.duckdb.ray").exists()  # the work folder is removed after a run
    # Joining an existing cluster never starts a second one, and the driver has left it.
    assert not ray.is_initialized()


def test_ray_engine_makes_the_local_engines_model_choice(cluster, tmp_path):
    """An English event keeps MiniLM and the Chinese/Russian/English call takes the multilingual
    model, on Ray as locally: the same event_models rows and the same pairs."""
    import shutil

    from tests.conftest import EVENTS

    feed = tmp_path / "feed"
    for name in ("wang-lavrov-2024", EVENT):
        shutil.copytree(EVENTS / name, feed / name, ignore=shutil.ignore_patterns("README.md"))
    stores = {}
    for engine in ("local", "ray"):
        db = tmp_path / f"{engine}.duckdb"
        extra = ["--ray-address", cluster] if engine == "ray" else []
        result = CliRunner().invoke(
            main,
            ["run", str(feed), "--db", str(db), "--out", str(tmp_path / engine), "--engine", engine]
            + extra,
        )
        assert result.exit_code == 0, result.output
        con = duckdb.connect(str(db), read_only=True)
        try:
            stores[engine] = (
                con.sql("SELECT * FROM event_models ORDER BY event_id").fetchall(),
                con.sql("SELECT claim_a, claim_b FROM claim_pairs ORDER BY ALL").fetchall(),
            )
        finally:
            con.close()
    assert stores["ray"] == stores["local"]
    models = {event: model.split("@")[0] for event, model, _ in stores["ray"][0]}
    assert models == {EVENT: "all-MiniLM-L6-v2", "wang-lavrov-2024": "use-multilingual-v3"}


def test_a_killed_embedding_actor_is_restarted_and_the_run_completes(
    cluster, sample_store, tmp_path, monkeypatch
):
    marker = tmp_path / "killed"
    small_batches(monkeypatch)
    monkeypatch.setattr(_testing, "FAULT", {"marker": str(marker), "once": True})
    db = tmp_path / "ray.duckdb"
    summary = run([SAMPLE], db=db, out=tmp_path / "out", engine="ray", ray_address=cluster)
    assert marker.exists(), "the fault hook never killed an actor"
    assert summary["events"] == [EVENT]
    assert_same_as_local(db, sample_store)


def test_a_worker_that_keeps_dying_fails_cleanly_and_a_rerun_completes(
    cluster, sample_store, tmp_path, monkeypatch
):
    small_batches(monkeypatch)
    monkeypatch.setattr(engine_ray, "MAX_RESTARTS", 0)  # fail at the first death: a short test
    monkeypatch.setattr(_testing, "FAULT", {"marker": str(tmp_path / "killed"), "once": False})
    db = tmp_path / "ray.duckdb"
    with pytest.raises(EngineError, match="lost a worker while embedding"):
        run([SAMPLE], db=db, out=tmp_path / "out", engine="ray", ray_address=cluster)

    # Nothing half-written: documents and claims (committed by ingest), no compared rows yet, and
    # every stored vector is a whole, correct one.
    con = duckdb.connect(str(db), read_only=True)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in KEYS}
    distinct = con.execute("SELECT count(DISTINCT text_sha256) FROM claims").fetchall()[0][0]
    stored = con.execute("SELECT text_sha256, vector FROM embeddings").fetchall()
    con.close()
    assert counts["claims"] > 0
    assert counts["claim_pairs"] == counts["claim_groups"] == counts["divergences"] == 0
    reference = duckdb.connect(str(sample_store), read_only=True)
    for text_sha256, vector in stored:
        (expected,) = reference.execute(
            "SELECT vector FROM embeddings WHERE text_sha256 = ?", [text_sha256]
        ).fetchall()[0]
        assert np.abs(np.array(vector) - np.array(expected)).max() <= TOLERANCE
    reference.close()

    monkeypatch.setattr(_testing, "FAULT", None)
    summary = run([SAMPLE], db=db, out=tmp_path / "out", engine="ray", ray_address=cluster)
    assert summary["embedded"] == distinct - len(stored)  # only what the failed run did not store
    assert_same_as_local(db, sample_store)


def small_batches(monkeypatch) -> None:
    """Several shards and batches for the sample's few texts, so an actor dies after some work."""
    monkeypatch.setattr(engine_ray, "SHARD_ROWS", 8)
    monkeypatch.setattr(engine_ray, "EMBED_BATCH", 8)


def test_a_wrong_address_fails_in_seconds_with_one_line(tmp_path):
    with pytest.raises(EngineError, match="nothing answers at 127.0.0.1"):
        run(
            [SAMPLE],
            db=tmp_path / "x.duckdb",
            engine="ray",
            ray_address=f"127.0.0.1:{_free_port()}",
        )


def test_a_missing_ray_extra_is_one_line_naming_the_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingExtra) as error:
        run([SAMPLE], db=tmp_path / "x.duckdb", engine="ray")
    assert str(error.value) == (
        "The ray engine needs the ray extra: pip install 'narrative-compare[ray]'"
    )
    assert not (tmp_path / "x.duckdb").exists()  # nothing written before the check


def test_the_default_install_never_imports_ray():
    code = "import sys, compare.cli, compare.api, compare.engine_ray; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
