"""Embed stage: the cache (nothing embedded twice, chunked commits, batched lookups) and the static
fast tier (a model2vec folder picked by its files)."""

from __future__ import annotations

import importlib
import json

import numpy as np
import polars as pl
import pytest

from compare import store
from compare.embed import (
    HashEmbedder,
    SentenceTransformerEmbedder,
    StaticEmbedder,
    distill,
    embed,
    event_vectors,
    is_static_model,
    load_embedder,
)
from compare.errors import InputError, MissingExtra
from compare.segment import segment

embed_module = importlib.import_module("compare.embed")  # `compare.embed` is also a function


class Counting:
    """HashEmbedder that records every text it is asked to encode, and can fail on a call."""

    def __init__(self, fail_on_call: int | None = None):
        self.inner = HashEmbedder()
        self.key = self.inner.key
        self.seen: list[str] = []
        self.calls = 0
        self.fail_on_call = fail_on_call

    def encode(self, texts):
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise KeyboardInterrupt  # an interrupted run
        self.seen += texts
        return self.inner.encode(texts)


def claims_of(texts: list[str]) -> pl.DataFrame:
    import hashlib

    return pl.DataFrame(
        {"text": texts, "text_sha256": [hashlib.sha256(t.encode()).hexdigest() for t in texts]}
    )


@pytest.fixture
def con(tmp_path):
    con = store.open_store(tmp_path / "store.duckdb")
    yield con
    con.close()


def cached_rows(con) -> int:
    return con.execute("SELECT count(*) FROM embeddings").fetchall()[0][0]


def test_each_distinct_text_is_embedded_once(con):
    embedder = Counting()
    first = claims_of(["The army left.", "Troops withdrew.", "The army left.", "Troops withdrew."])
    vectors = embed(first, con, embedder)
    assert sorted(embedder.seen) == ["The army left.", "Troops withdrew."]
    np.testing.assert_allclose(vectors, HashEmbedder().encode(first["text"].to_list()), atol=1e-6)
    assert vectors.dtype == np.float32

    again = claims_of(["Troops withdrew.", "A new claim.", "The army left.", "A new claim."])
    vectors = embed(again, con, embedder)
    assert embedder.seen.count("A new claim.") == 1
    assert len(embedder.seen) == 3  # the two cached texts were read back, not embedded
    np.testing.assert_allclose(vectors, HashEmbedder().encode(again["text"].to_list()), atol=1e-6)
    assert cached_rows(con) == 3


def test_a_cache_key_is_per_model(con):
    texts = claims_of(["The army left."])
    embed(texts, con, Counting())
    other = Counting()
    other.key = "another-model@123"
    embed(texts, con, other)
    assert other.seen == ["The army left."]
    assert cached_rows(con) == 2


def test_chunks_are_committed_so_an_interrupted_run_resumes(con, monkeypatch):
    monkeypatch.setattr(embed_module, "COMMIT_EVERY", 3)
    texts = [f"Claim number {i} of the event." for i in range(8)]
    with pytest.raises(KeyboardInterrupt):
        embed(claims_of(texts), con, Counting(fail_on_call=3))
    assert cached_rows(con) == 6  # two chunks of three committed before the interruption

    resumed = Counting()
    vectors = embed(claims_of(texts), con, resumed)
    assert resumed.seen == texts[6:]
    assert vectors.shape == (8, HashEmbedder().dim)


@pytest.fixture
def events_store(con):
    rows = []
    for e in range(4):
        for d in range(2):
            rows.append(
                {
                    "doc_id": f"e{e}-d{d}",
                    "event_id": f"event-{e}",
                    "text": f"Event {e} happened today. Document {d} says so. Wire copy repeats.",
                }
            )
    claims = segment(pl.DataFrame(rows))
    store.replace_rows(con, "claims", claims, key="doc_id", values=[])
    return con


def test_event_vectors_matches_per_event_embed(events_store):
    con = events_store
    order = ["event-2", "event-0", "event-3", "event-1"]
    got = list(event_vectors(con, HashEmbedder(), order, batch_claims=7))
    assert [event_id for event_id, _, _ in got] == order
    for event_id, claims, vectors in got:
        expected = store.read_table(con, "claims", event_id=event_id)
        assert claims.equals(expected)
        np.testing.assert_allclose(vectors, embed(expected, con, HashEmbedder()), atol=1e-6)


def test_event_vectors_looks_up_a_batch_at_a_time(events_store, monkeypatch):
    calls = []
    real = embed_module.cached_vectors

    def counting(con, model, hashes):
        calls.append(len(hashes))
        return real(con, model, hashes)

    monkeypatch.setattr(embed_module, "cached_vectors", counting)
    events = [f"event-{e}" for e in range(4)]
    embedder = Counting()
    list(event_vectors(events_store, embedder, events))
    assert len(calls) == 1  # one lookup for all four small events
    assert len(embedder.seen) == len(set(embedder.seen))  # "Wire copy repeats." embedded once

    calls.clear()
    before = embedder.calls
    list(event_vectors(events_store, embedder, events, batch_claims=1))
    assert len(calls) == 4  # one event per batch
    assert embedder.calls == before  # everything came from the cache the second time


def test_event_vectors_asks_the_model_what_per_event_embed_would(events_store, tmp_path):
    """The model sees the same batches as one embed() per event, so vectors match to the bit."""
    events = [f"event-{e}" for e in (2, 0, 3, 1)]
    batched, per_event = Counting(), Counting()
    list(event_vectors(events_store, batched, events))
    other = store.open_store(tmp_path / "other.duckdb")
    for table in ("documents", "claims"):
        frame = store.read_table(events_store, table)
        store.replace_rows(other, table, frame, key="doc_id", values=[])
    for event_id in events:
        embed(store.read_table(other, "claims", event_id=event_id), other, per_event)
    other.close()
    assert batched.seen == per_event.seen and batched.calls == per_event.calls


def test_event_vectors_of_an_event_without_claims(events_store):
    ((event_id, claims, vectors),) = event_vectors(events_store, HashEmbedder(), ["nothing"])
    assert event_id == "nothing" and claims.height == 0 and len(vectors) == 0


# --- the static fast tier ------------------------------------------------------------------------

VOCAB = ["[UNK]", "[PAD]", "the", "army", "left", "troops", "withdrew", "cats", "purr"]


def make_static_model(folder, seed: int = 0):
    """A tiny model2vec folder: word-level tokenizer, a random embedding table, the config."""
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer, models, pre_tokenizers

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(VOCAB)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(folder / "tokenizer.json"))
    table = np.random.default_rng(seed).standard_normal((len(VOCAB), 4)).astype(np.float32)
    save_file({"embeddings": table}, str(folder / "model.safetensors"))
    config = {
        "model_type": "model2vec",
        "architectures": ["StaticModel"],
        "hidden_dim": 4,
        "normalize": True,
        "pooling": "mean",
        "seq_length": 1000000,
    }
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_a_model2vec_folder_gets_the_static_tier(tmp_path):
    folder = make_static_model(tmp_path / "tiny-static")
    assert is_static_model(folder)
    embedder = load_embedder(folder)
    assert type(embedder) is StaticEmbedder
    assert embedder.key.startswith("tiny-static@")

    vectors = embedder.encode(["the army left", "left the army", "cats purr", "zzz qqq"])
    assert vectors.dtype == np.float32 and vectors.shape == (4, 4)
    np.testing.assert_allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-6)  # a bag of token vectors
    assert not np.isnan(vectors).any()
    assert embedder.encode([]).shape == (0, 4)


def test_other_weights_give_another_cache_key(tmp_path):
    a = load_embedder(make_static_model(tmp_path / "m", seed=0)).key
    b = load_embedder(make_static_model(tmp_path / "m", seed=1)).key
    assert a != b


def test_the_static_tier_goes_through_the_cache(tmp_path, con):
    embedder = load_embedder(make_static_model(tmp_path / "tiny-static"))
    claims = claims_of(["the army left", "troops withdrew", "the army left"])
    vectors = embed(claims, con, embedder)
    assert cached_rows(con) == 2
    np.testing.assert_allclose(vectors[0], vectors[2])
    np.testing.assert_allclose(embed(claims, con, embedder), vectors)


def test_a_sentence_transformers_folder_is_not_static(tmp_path):
    from compare.embed import bundled_model_path

    assert not is_static_model(bundled_model_path())
    assert type(SentenceTransformerEmbedder()) is SentenceTransformerEmbedder
    assert type(load_embedder()) is SentenceTransformerEmbedder
    (tmp_path / "config.json").write_text("not json")
    (tmp_path / "tokenizer.json").write_text("{}")
    assert not is_static_model(tmp_path)


def test_a_static_model_without_model2vec_says_what_to_install(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "model2vec", None)  # import fails as if not installed
    embedder = load_embedder(make_static_model(tmp_path / "tiny-static"))
    with pytest.raises(MissingExtra, match=r"pip install 'narrative-compare\[fast\]'"):
        embedder.encode(["the army left"])


def test_a_model2vec_folder_is_not_a_sentence_transformers_model(tmp_path):
    folder = make_static_model(tmp_path / "tiny-static")
    with pytest.raises(InputError, match="load_embedder"):
        SentenceTransformerEmbedder(folder)


def test_distill_without_model2vec_says_what_to_install(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "model2vec.distill", None)
    with pytest.raises(MissingExtra, match=r"pip install 'narrative-compare\[fast\]'"):
        distill(tmp_path / "fast")
    assert not (tmp_path / "fast").exists()
