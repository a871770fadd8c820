"""Joining ranked lists from several retrievers into one ranking."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence


def reciprocal_rank_fusion(rankings: Sequence[Sequence[Hashable]], k: int = 60,
                           weights: Sequence[float] | None = None) -> dict[Hashable, float]:
    """RRF: each list adds weight / (k + rank) to the documents it ranks (rank starts at 1)."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[Hashable, float] = defaultdict(float)
    for ranking, weight in zip(rankings, weights):
        for rank, doc in enumerate(ranking, start=1):
            fused[doc] += weight / (k + rank)
    return dict(fused)


def _min_max(scores: Mapping[Hashable, float]) -> dict[Hashable, float]:
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    span = high - low
    return {doc: (score - low) / span if span > 0 else 1.0 for doc, score in scores.items()}


def weighted_score_fusion(score_lists: Sequence[Mapping[Hashable, float]],
                          weights: Sequence[float]) -> dict[Hashable, float]:
    """Convex combination of min-max normalised scores (a document missing from a list scores 0 there)."""
    fused: dict[Hashable, float] = defaultdict(float)
    for scores, weight in zip(score_lists, weights):
        for doc, score in _min_max(scores).items():
            fused[doc] += weight * score
    return dict(fused)
