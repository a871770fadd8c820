"""Nearest labelled examples in the embedding space: a request's tool (or a complaint's category, or a dataset) is
the label whose examples are closest to it.

The embedder is the model set's (multilingual E5, Korean and English in one space), given by the composition. The
examples are embedded once, on first use (and kept in ``cache_dir``, keyed by the embedder and the texts, so a
restart reads them back); a request is embedded once per routing and scored against every index.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger("dasan.routing")


class ExampleIndex:
    """Labelled texts; :meth:`scores` gives each label the mean similarity of its ``k`` nearest examples."""

    def __init__(self, embedder, examples: Mapping[str, Sequence[str]], k: int = 2, name: str = "examples",
                 cache_dir: str | Path | None = None):
        self.embedder = embedder
        self.k = k
        self.name = name
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._labels = [label for label, texts in examples.items() for _ in texts]
        self._texts = [text for texts in examples.values() for text in texts]
        self.labels = tuple(dict.fromkeys(self._labels))
        self._matrix: np.ndarray | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._matrix is None:
                self._matrix = self._load_or_embed()
                self._owner = np.array([self.labels.index(label) for label in self._labels])

    def _load_or_embed(self) -> np.ndarray:
        if not self._texts:
            return np.zeros((0, 1), dtype=np.float32)
        key = hashlib.sha256("\n".join([getattr(self.embedder, "identity", type(self.embedder).__name__),
                                         *self._texts]).encode()).hexdigest()[:16]
        path = self.cache_dir / f"{self.name}-{key}.npy" if self.cache_dir else None
        if path is not None and path.exists():
            try:
                matrix = np.load(path)
                if matrix.shape[0] == len(self._texts):
                    return matrix
            except (OSError, ValueError) as exc:
                log.warning("re-embedding the %s: the cached vectors cannot be read (%s)", self.name, exc)
        # queries on both sides: the examples are requests too, not passages
        matrix = self.embedder.embed_queries(self._texts)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                for old in path.parent.glob(f"{self.name}-*.npy"):
                    old.unlink(missing_ok=True)
                partial = path.with_suffix(f".{os.getpid()}.tmp")
                with open(partial, "wb") as out:
                    np.save(out, matrix)
                partial.replace(path)
            except OSError as exc:  # a read-only data directory: embed again next time
                log.warning("the %s' vectors are not cached: %s", self.name, exc)
        return matrix

    def embed(self, text: str) -> np.ndarray:
        return self.embedder.embed_queries([text])[0]

    def scores(self, vector: np.ndarray) -> dict[str, float]:
        self.warm_up()
        sims = self._matrix @ vector
        out = {}
        for index, label in enumerate(self.labels):
            mine = np.sort(sims[self._owner == index])[::-1][: self.k]
            out[label] = float(mine.mean()) if len(mine) else 0.0
        return out

    def nearest(self, vector: np.ndarray) -> tuple[str, float]:
        scores = self.scores(vector)
        label = max(scores, key=scores.get)
        return label, scores[label]
