"""Hybrid retrieval: dense (FAISS over the embedder of ``models``) and sparse (BM25 over Korean morphemes),
fused into one ranking; build, persist, load, add and delete. (The chatbot issue fills this package.)"""

from retrieval_index.index import (
    Document,
    FusionConfig,
    Hit,
    HybridIndex,
    IndexCorruptError,
    IndexMismatchError,
)

__all__ = ["Document", "FusionConfig", "Hit", "HybridIndex", "IndexCorruptError", "IndexMismatchError"]
