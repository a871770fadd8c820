"""Benchmark the dense index kinds on synthetic embedding-like vectors.

For each collection size and index kind: build time, query latency p50/p95 (one query at a time, as the
assistant searches), recall@10 against exact search, and bytes per vector of the serialised index. Exact search
(flat) is the baseline measured in the same run; ratios are against it.

    python bench/dense_index.py                       # 1e3, 1e5, 1e6 vectors of dimension 384
    python bench/dense_index.py --sizes 1000,100000 --queries 100
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from retrieval_index.dense import KINDS, DenseConfig, DenseIndex


def clustered_vectors(n: int, dim: int, rng: np.random.Generator, clusters: int = 256) -> np.ndarray:
    """Unit vectors around random centres, closer to real sentence embeddings than uniform noise."""
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        count = min(step, n - start)
        labels = rng.integers(0, clusters, count)
        block = centres[labels] + 0.9 * rng.standard_normal((count, dim)).astype(np.float32)
        out[start:start + count] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    result = np.empty((len(queries), k), dtype=np.int64)
    for i in range(0, len(queries), 64):
        scores = queries[i:i + 64] @ vectors.T
        part = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.take_along_axis(scores, part, axis=1).argsort(axis=1)[:, ::-1]
        result[i:i + 64] = np.take_along_axis(part, order, axis=1)
    return result


def run(size: int, kind: str, vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, k: int = 10) -> dict:
    started = time.perf_counter()
    index = DenseIndex(vectors.shape[1], kind, DenseConfig())
    index.add(vectors, np.arange(size))
    build_s = time.perf_counter() - started
    latencies = []
    found = np.empty((len(queries), k), dtype=np.int64)
    for i, query in enumerate(queries):
        t = time.perf_counter()
        _, ids = index.search(query[None, :], k)
        latencies.append((time.perf_counter() - t) * 1000)
        found[i] = ids[0]
    recall = float(np.mean([len(set(f) & set(t)) / k for f, t in zip(found, truth)]))
    return {
        "size": size, "kind": kind, "build_s": round(build_s, 2),
        "p50_ms": round(float(np.percentile(latencies, 50)), 3),
        "p95_ms": round(float(np.percentile(latencies, 95)), 3),
        "recall_at_10": round(recall, 4),
        "bytes_per_vector": round(len(index.serialize()) / size, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--hnsw-max", type=int, default=1_000_000,
                        help="skip HNSW above this size (its build time grows as n log n)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        vectors = clustered_vectors(size, args.dim, rng)
        queries = vectors[rng.integers(0, size, args.queries)] + 0.3 * rng.standard_normal(
            (args.queries, args.dim)).astype(np.float32) / np.sqrt(args.dim)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        truth = exact_top(vectors, queries, 10)
        baseline = None
        for kind in args.kinds.split(","):
            if kind == "hnsw" and size > args.hnsw_max:
                print(f"{size:>9,} {kind:<6} skipped (above --hnsw-max {args.hnsw_max:,})", flush=True)
                continue
            row = run(size, kind, vectors, queries, truth)
            if kind == "flat":
                baseline = row
            if baseline:
                row["speedup_vs_flat_p50"] = round(baseline["p50_ms"] / max(row["p50_ms"], 1e-6), 2)
            rows.append(row)
            print(f"{size:>9,} {kind:<6} build {row['build_s']:>8.2f} s  p50 {row['p50_ms']:>8.3f} ms  "
                  f"p95 {row['p95_ms']:>8.3f} ms  recall@10 {row['recall_at_10']:.3f}  "
                  f"{row['bytes_per_vector']:>7.1f} B/vector  x{row.get('speedup_vs_flat_p50', 1):.1f} vs flat",
                  flush=True)
        del vectors
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
