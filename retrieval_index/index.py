"""The hybrid index: dense (FAISS over an Embedder) and sparse (BM25 over Korean morphemes and English stems),
fused into one ranking, with metadata filters, updates and atomic, versioned persistence."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrieval_index.bm25 import BM25
from retrieval_index.dense import DenseConfig, DenseIndex, choose_kind
from retrieval_index.fusion import reciprocal_rank_fusion, weighted_score_fusion
from retrieval_index.text import ANALYSIS_VERSION, analyze

FORMAT_VERSION = 1
MODES = ("hybrid", "dense", "sparse")


class IndexStateError(RuntimeError):
    """A saved index that cannot be used as it is (built from something else, or damaged)."""


class IndexMismatchError(IndexStateError):
    """The saved index was built from another knowledge base or embedder."""


class IndexCorruptError(IndexStateError):
    """The saved index's files are missing, damaged or of an unknown format."""


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    meta: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    group: str  # the value of the index's group key (the document id when the index does not group)
    document: Document  # the group's document closest to the query
    score: float  # fused score (the ranking key)
    dense: float  # best cosine similarity in the group, or -1 if the dense retriever did not return it
    sparse: float  # BM25 score of the group, 0 if no shared term


@dataclass(frozen=True)
class FusionConfig:
    method: str = "weighted"  # "weighted" (min-max normalised scores) or "rrf" (reciprocal rank fusion)
    rrf_k: int = 60
    dense_weight: float = 0.5
    sparse_weight: float = 0.5
    candidates: int = 100  # groups taken from each retriever before fusion


class HybridIndex:
    """Dense + sparse search over documents, optionally grouped.

    With ``group_key`` set (say ``"entry"``), the documents that share that metadata value form one group: a
    question and its answer in two languages, for instance. Dense similarity of a group is that of its closest
    document; the sparse index scores the group's text as a whole; results are groups.

    One index may be searched from many threads while others add or delete: the query is embedded and analysed
    outside, and the index's own state is read and changed under one lock (a search holds it for well under a
    millisecond on the 120 knowledge base).
    """

    def __init__(self, embedder, fusion: FusionConfig = FusionConfig(), dense_config: DenseConfig = DenseConfig(),
                 dense_kind: str | None = None, group_key: str | None = None):
        self.embedder = embedder
        self.fusion = fusion
        self.dense_config = dense_config
        self.group_key = group_key
        self._forced_kind = dense_kind
        self._dense: DenseIndex | None = None
        self._bm25 = BM25()  # keyed by group number
        self._docs: dict[int, Document] = {}
        self._terms: dict[int, list[str]] = {}
        self._num_by_id: dict[str, int] = {}
        self._group_of: dict[int, str] = {}
        self._group_num: dict[str, int] = {}
        self._group_name: dict[int, str] = {}
        self._members: dict[str, set[int]] = defaultdict(set)
        self._by_meta: dict[tuple[str, str], set[int]] = defaultdict(set)
        self._next = 0
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ contents
    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self._num_by_id

    def get(self, doc_id: str) -> Document:
        return self._docs[self._num_by_id[doc_id]]

    @property
    def group_count(self) -> int:
        return len(self._members)

    @property
    def dense_kind(self) -> str:
        return self._dense.kind if self._dense is not None else (self._forced_kind or "flat")

    def add(self, documents: Sequence[Document], batch_size: int = 64,
            progress: Callable[[int, int], None] | None = None) -> None:
        """Add documents; a document whose id is already indexed replaces the old one. ``progress(done, total)``
        is told after each batch is embedded."""
        if not documents:
            return
        ids = [d.id for d in documents]
        if len(set(ids)) != len(ids):
            raise ValueError("document ids must be unique within one add()")
        if self.group_key and any(self.group_key not in d.meta for d in documents):
            raise ValueError(f"every document needs the group key {self.group_key!r} in its meta")
        batches = []
        for start in range(0, len(documents), batch_size):
            batches.append(self.embedder.embed_passages([d.text for d in documents[start:start + batch_size]]))
            if progress is not None:
                progress(min(start + batch_size, len(documents)), len(documents))
        vectors = np.concatenate(batches)
        terms = [analyze(d.text) for d in documents]
        with self._lock:
            self.delete([i for i in ids if i in self._num_by_id])
            if self._dense is None:
                kind = self._forced_kind or choose_kind(len(self._docs) + len(documents), self.dense_config)
                self._dense = DenseIndex(vectors.shape[1], kind, self.dense_config)
            nums = np.arange(self._next, self._next + len(documents), dtype=np.int64)
            self._next += len(documents)
            self._dense.add(vectors, nums)
            touched = set()
            for num, document, document_terms in zip(nums.tolist(), documents, terms):
                touched.add(self._store(num, document, document_terms))
            self._reindex_groups(touched)

    def _store(self, num: int, document: Document, terms: list[str]) -> str:
        group = str(document.meta[self.group_key]) if self.group_key else document.id
        self._docs[num] = document
        self._terms[num] = terms
        self._num_by_id[document.id] = num
        self._group_of[num] = group
        self._members[group].add(num)
        if group not in self._group_num:
            self._group_num[group] = len(self._group_num)
            self._group_name[self._group_num[group]] = group
        for key, value in document.meta.items():
            self._by_meta[(key, str(value))].add(num)
        return group

    def _reindex_groups(self, groups: Iterable[str]) -> None:
        for group in groups:
            number = self._group_num[group]
            members = sorted(self._members.get(group, ()))
            if members:
                self._bm25.add(number, [t for num in members for t in self._terms[num]])
            else:
                self._bm25.remove(number)
                self._members.pop(group, None)

    def delete(self, doc_ids: Iterable[str]) -> int:
        with self._lock:
            return self._delete(list(doc_ids))

    def _delete(self, doc_ids: list[str]) -> int:
        nums = [self._num_by_id.pop(doc_id) for doc_id in doc_ids if doc_id in self._num_by_id]
        touched = set()
        for num in nums:
            document = self._docs.pop(num)
            self._terms.pop(num)
            group = self._group_of.pop(num)
            self._members[group].discard(num)
            touched.add(group)
            for key, value in document.meta.items():
                self._by_meta[(key, str(value))].discard(num)
        self._reindex_groups(touched)
        if nums and self._dense is not None:
            self._dense.remove(np.array(nums, dtype=np.int64))
        return len(nums)

    def delete_group(self, group: str) -> int:
        with self._lock:
            return self._delete([self._docs[num].id for num in list(self._members.get(group, ()))])

    # ------------------------------------------------------------------ search
    def _allowed(self, filters: Mapping[str, str | Sequence[str]] | None) -> set[int] | None:
        if not filters:
            return None
        allowed: set[int] | None = None
        for key, wanted in filters.items():
            values = [wanted] if isinstance(wanted, str) else list(wanted)
            matching = set().union(*(self._by_meta.get((key, str(v)), set()) for v in values))
            allowed = matching if allowed is None else allowed & matching
        return allowed

    def _dense_groups(self, vector: np.ndarray, n_groups: int, allowed: set[int] | None
                      ) -> tuple[dict[str, float], dict[str, int]]:
        """Best cosine per group and the document that gave it."""
        per_group = max(1, len(self._docs) // max(self.group_count, 1))
        fetch = min(len(self._docs), n_groups * per_group * (10 if allowed is not None else 2))
        scores, nums = self._dense.search(vector[None, :], fetch)
        best: dict[str, float] = {}
        best_doc: dict[str, int] = {}
        for score, num in zip(scores[0].tolist(), nums[0].tolist()):
            if num < 0 or (allowed is not None and num not in allowed):
                continue
            group = self._group_of[num]
            if group not in best:
                if len(best) >= n_groups:
                    continue
                best[group], best_doc[group] = score, num
        return best, best_doc

    def search(self, query: str, k: int = 10, filters: Mapping[str, str | Sequence[str]] | None = None,
               mode: str = "hybrid", query_vector: np.ndarray | None = None,
               terms: Sequence[str] | None = None) -> list[Hit]:
        """The ``k`` best groups (documents, when the index does not group) for ``query``. A caller that already
        has the query's vector or search terms (:func:`retrieval_index.text.analyze`) may pass them."""
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}; choose one of {', '.join(MODES)}")
        if not self._docs:
            return []
        vector = None
        if mode in ("hybrid", "dense"):
            vector = query_vector if query_vector is not None else self.embedder.embed_queries([query])[0]
        if mode in ("hybrid", "sparse") and terms is None:
            terms = analyze(query)
        with self._lock:
            return self._search(vector, terms, k, filters, mode)

    def _search(self, vector: np.ndarray | None, terms: Sequence[str] | None, k: int,
                filters: Mapping[str, str | Sequence[str]] | None, mode: str) -> list[Hit]:
        if not self._docs:
            return []
        allowed = self._allowed(filters)
        if allowed is not None and not allowed:
            return []
        n_candidates = max(k, self.fusion.candidates)
        dense: dict[str, float] = {}
        best_doc: dict[str, int] = {}
        if vector is not None:
            dense, best_doc = self._dense_groups(vector, n_candidates, allowed)
        sparse: dict[str, float] = {}
        if terms is not None:
            allowed_groups = None
            if allowed is not None:
                allowed_groups = {self._group_num[self._group_of[num]] for num in allowed}
            sparse = {self._group_name[g]: score for g, score in self._bm25.top(terms, n_candidates, allowed_groups)}

        if mode == "dense":
            fused = dense
        elif mode == "sparse":
            fused = sparse
        elif self.fusion.method == "weighted":
            floor = min(dense.values(), default=0.0)  # a group the dense side did not return scores its floor
            dense_full = {g: dense.get(g, floor) for g in set(dense) | set(sparse)}
            fused = weighted_score_fusion([dense_full, sparse], [self.fusion.dense_weight, self.fusion.sparse_weight])
        else:
            rankings = [sorted(dense, key=lambda g: -dense[g]), sorted(sparse, key=lambda g: -sparse[g])]
            fused = reciprocal_rank_fusion(rankings, self.fusion.rrf_k,
                                           [self.fusion.dense_weight, self.fusion.sparse_weight])
        ranked = sorted(fused, key=lambda g: (-fused[g], g))[:k]
        return [Hit(g, self._representative(g, best_doc, allowed), fused[g], dense.get(g, -1.0), sparse.get(g, 0.0))
                for g in ranked]

    def coverage(self, query: str, terms: Sequence[str] | None = None) -> float:
        """Share of the query's distinct search terms that occur anywhere in the index (1.0 for no terms)."""
        distinct = set(analyze(query) if terms is None else terms)
        if not distinct:
            return 1.0
        with self._lock:
            return sum(1 for t in distinct if self._bm25.knows(t)) / len(distinct)

    def shared_terms(self, terms: Sequence[str], group: str) -> float:
        """Share of the distinct ``terms`` found in the text of ``group`` (1.0 for no terms)."""
        distinct = set(terms)
        if not distinct:
            return 1.0
        with self._lock:
            number = self._group_num.get(group)
            return sum(1 for t in distinct if number is not None and self._bm25.holds(number, t)) / len(distinct)

    def _representative(self, group: str, best_doc: dict[str, int], allowed: set[int] | None) -> Document:
        if group in best_doc:
            return self._docs[best_doc[group]]
        members = sorted(n for n in self._members[group] if allowed is None or n in allowed)
        return self._docs[members[0]]

    # ------------------------------------------------------------------ persistence
    def info(self) -> dict:
        return {
            "documents": len(self._docs),
            "dense_kind": self.dense_kind,
            "dense_deleted_pending": self._dense.deleted_count if self._dense else 0,
            "groups": self.group_count,
            "group_key": self.group_key,
            "embedder": self.embedder.identity,
            "fusion": self.fusion.method,
            "terms": self._bm25.vocabulary_size,
        }

    def save(self, path: str | Path, extra: Mapping | None = None) -> None:
        """Write the index to the directory ``path`` atomically: readers see the old or the new index, whole.

        ``extra`` is stored in the metadata as is (for example a fingerprint of the source collection)."""
        with self._lock:
            self._save(Path(path), extra)

    def _save(self, path: Path, extra: Mapping | None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        try:
            files = {
                "docs.jsonl": "".join(
                    json.dumps({"num": num, "id": d.id, "text": d.text, "meta": dict(d.meta),
                                "terms": self._terms[num]}, ensure_ascii=False) + "\n"
                    for num, d in self._docs.items()
                ).encode("utf-8"),
                "dense.faiss": self._dense.serialize() if self._dense else b"",
            }
            for name, data in files.items():
                with open(tmp / name, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
            meta = {
                "format": FORMAT_VERSION,
                "analysis": ANALYSIS_VERSION,
                "embedder": self.embedder.identity,
                "dim": self._dense.dim if self._dense else None,
                "dense_kind": self.dense_kind,
                "group_key": self.group_key,
                "dense_deleted": sorted(self._dense._deleted) if self._dense else [],
                "next": self._next,
                "documents": len(self._docs),
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
                "extra": dict(extra or {}),
            }
            with open(tmp / "meta.json", "w") as out:
                json.dump(meta, out, indent=1)
                out.flush()
                os.fsync(out.fileno())
            old = path.with_name(f".{path.name}.old")
            if path.exists():
                shutil.rmtree(old, ignore_errors=True)
                os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @staticmethod
    def read_meta(path: str | Path) -> dict:
        meta_path = Path(path) / "meta.json"
        try:
            return json.loads(meta_path.read_text())
        except FileNotFoundError:
            raise
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"index metadata {meta_path} is unreadable ({exc}); rebuild the index") from exc

    @classmethod
    def load(cls, path: str | Path, embedder, fusion: FusionConfig = FusionConfig(),
             dense_config: DenseConfig = DenseConfig()) -> "HybridIndex":
        path = Path(path)
        meta = cls.read_meta(path)
        if meta.get("format") != FORMAT_VERSION:
            raise IndexMismatchError(f"index at {path} has format {meta.get('format')}, this version reads "
                                     f"{FORMAT_VERSION}; rebuild the index")
        if meta.get("analysis") != ANALYSIS_VERSION:
            raise IndexMismatchError(f"index at {path} stores search terms made by other text rules (analysis "
                                     f"{meta.get('analysis')}, this version makes {ANALYSIS_VERSION}); rebuild the "
                                     "index")
        if meta.get("embedder") != embedder.identity:
            raise IndexMismatchError(f"index at {path} was built with embedder {meta.get('embedder')}, but the "
                                     f"configured embedder is {embedder.identity}; rebuild the index")
        blobs = {}
        for name, expected in meta.get("sha256", {}).items():
            try:
                data = (path / name).read_bytes()
            except OSError as exc:
                raise IndexCorruptError(f"index file {path / name} is missing ({exc}); rebuild the index") from exc
            if hashlib.sha256(data).hexdigest() != expected:
                raise IndexCorruptError(f"index file {path / name} fails its checksum; rebuild the index")
            blobs[name] = data
        index = cls(embedder, fusion=fusion, dense_config=dense_config, dense_kind=meta["dense_kind"],
                    group_key=meta.get("group_key"))
        if blobs.get("dense.faiss"):
            index._dense = DenseIndex.deserialize(blobs["dense.faiss"], meta["dim"], meta["dense_kind"],
                                                  set(meta.get("dense_deleted", [])), dense_config)
        for line in blobs["docs.jsonl"].decode("utf-8").splitlines():
            row = json.loads(line)
            index._store(row["num"], Document(row["id"], row["text"], row["meta"]), row["terms"])
        index._reindex_groups(list(index._members))
        index._next = meta["next"]
        return index
