"""Dense vector search with FAISS: exact inner product for small collections, HNSW or IVF-PQ for large ones.

Vectors are L2-normalised, so inner product is cosine similarity. The index kind is chosen by collection size
when the index is built and recorded in the index metadata. Exact indexes delete in place; approximate ones mark
deletions and filter them out until the next rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("flat", "hnsw", "ivfpq")


@dataclass(frozen=True)
class DenseConfig:
    flat_max: int = 50_000  # up to this many vectors, search exactly
    hnsw_max: int = 2_000_000  # up to this many, HNSW; beyond, IVF-PQ
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 96
    ivf_lists: int | None = None  # default: about 4 * sqrt(n)
    pq_bytes: int | None = None  # bytes per vector in IVF-PQ codes (a divisor of the dimension); default dim / 2
    ivf_nprobe: int = 32
    train_max: int = 100_000  # IVF-PQ trains on at most this many of the first vectors added


def choose_kind(n: int, config: DenseConfig = DenseConfig()) -> str:
    if n <= config.flat_max:
        return "flat"
    if n <= config.hnsw_max:
        return "hnsw"
    return "ivfpq"


class DenseIndex:
    def __init__(self, dim: int, kind: str = "flat", config: DenseConfig = DenseConfig()):
        import faiss

        if kind not in KINDS:
            raise ValueError(f"unknown dense index kind {kind!r}; choose one of {', '.join(KINDS)}")
        self.dim = dim
        self.kind = kind
        self.config = config
        self._deleted: set[int] = set()
        if kind == "flat":
            self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        elif kind == "hnsw":
            base = faiss.IndexHNSWFlat(dim, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efConstruction = config.hnsw_ef_construction
            base.hnsw.efSearch = config.hnsw_ef_search
            self._index = faiss.IndexIDMap2(base)
        else:
            self._index = None  # IVF-PQ needs training data: created in ``train``

    @property
    def needs_training(self) -> bool:
        return self.kind == "ivfpq" and (self._index is None or not self._index.is_trained)

    def train(self, sample: np.ndarray) -> None:
        import faiss

        if len(sample) > self.config.train_max:
            picks = np.random.default_rng(0).choice(len(sample), self.config.train_max, replace=False)
            sample = sample[np.sort(picks)]
        n = len(sample)
        lists = self.config.ivf_lists or max(16, int(4 * np.sqrt(max(n, 1))))
        quantizer = faiss.IndexFlatIP(self.dim)
        pq_bytes = self.config.pq_bytes or self.dim // 2
        if self.dim % pq_bytes:
            raise ValueError(f"pq_bytes {pq_bytes} must divide the dimension {self.dim}")
        ivf = faiss.IndexIVFPQ(quantizer, self.dim, lists, pq_bytes, 8, faiss.METRIC_INNER_PRODUCT)
        ivf.train(np.ascontiguousarray(sample, dtype=np.float32))
        ivf.nprobe = self.config.ivf_nprobe
        self._index = faiss.IndexIDMap2(ivf)

    def __len__(self) -> int:
        return 0 if self._index is None else self._index.ntotal - len(self._deleted)

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"expected vectors of dimension {self.dim}, got shape {vectors.shape}")
        if self.needs_training:
            self.train(vectors)
        ids = np.asarray(ids, dtype=np.int64)
        self._deleted.difference_update(ids.tolist())
        self._index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        if self.kind == "flat":
            self._index.remove_ids(ids)
        else:
            self._deleted.update(ids.tolist())

    @property
    def deleted_count(self) -> int:
        return len(self._deleted)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of shape (n_queries, k); missing results have id -1."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        if self._index is None or self._index.ntotal == 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        fetch = min(k + len(self._deleted), self._index.ntotal)
        scores, ids = self._index.search(queries, fetch)
        if self._deleted:
            keep = ~np.isin(ids, list(self._deleted))
            out_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
            out_ids = np.full((len(queries), k), -1, dtype=np.int64)
            for row, mask in enumerate(keep):
                kept_ids, kept_scores = ids[row][mask][:k], scores[row][mask][:k]
                out_ids[row, : len(kept_ids)] = kept_ids
                out_scores[row, : len(kept_scores)] = kept_scores
            return out_scores, out_ids
        return scores[:, :k], ids[:, :k]

    def serialize(self) -> bytes:
        import faiss

        return faiss.serialize_index(self._index).tobytes() if self._index is not None else b""

    @classmethod
    def deserialize(cls, data: bytes, dim: int, kind: str, deleted: set[int],
                    config: DenseConfig = DenseConfig()) -> "DenseIndex":
        import faiss

        index = cls.__new__(cls)
        index.dim, index.kind, index.config = dim, kind, config
        index._deleted = set(deleted)
        index._index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8)) if data else None
        if kind == "hnsw" and index._index is not None:
            faiss.downcast_index(index._index.index).hnsw.efSearch = config.hnsw_ef_search
        if kind == "ivfpq" and index._index is not None:
            faiss.downcast_index(index._index.index).nprobe = config.ivf_nprobe
        return index
