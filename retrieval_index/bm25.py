"""Okapi BM25 over pre-analysed terms, with add, replace and delete by document number."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence


class BM25:
    def __init__(self, k1: float = 1.2, b: float = 0.75):
        self.k1 = k1
        self.b = b
        self._postings: dict[str, dict[int, int]] = defaultdict(dict)
        self._lengths: dict[int, int] = {}
        self._terms: dict[int, Counter] = {}
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._lengths)

    def add(self, doc: int, terms: Sequence[str]) -> None:
        if doc in self._lengths:
            self.remove(doc)
        counts = Counter(terms)
        for term, tf in counts.items():
            self._postings[term][doc] = tf
        self._terms[doc] = counts
        self._lengths[doc] = len(terms)
        self._total_length += len(terms)

    def remove(self, doc: int) -> None:
        counts = self._terms.pop(doc, None)
        if counts is None:
            return
        for term in counts:
            postings = self._postings[term]
            postings.pop(doc, None)
            if not postings:
                del self._postings[term]
        self._total_length -= self._lengths.pop(doc)

    @property
    def vocabulary_size(self) -> int:
        return len(self._postings)

    def knows(self, term: str) -> bool:
        return term in self._postings

    def holds(self, doc: int, term: str) -> bool:
        return doc in self._postings.get(term, ())

    def idf(self, term: str) -> float:
        n = len(self._postings.get(term, ()))
        return math.log(1 + (len(self._lengths) - n + 0.5) / (n + 0.5))

    def scores(self, terms: Iterable[str], allowed: set[int] | None = None) -> dict[int, float]:
        """BM25 score of every document that shares a term with the query (others score 0)."""
        if not self._lengths:
            return {}
        average = self._total_length / len(self._lengths) or 1.0
        result: dict[int, float] = defaultdict(float)
        for term, query_tf in Counter(terms).items():
            postings = self._postings.get(term)
            if not postings:
                continue
            idf = self.idf(term)
            for doc, tf in postings.items():
                if allowed is not None and doc not in allowed:
                    continue
                norm = self.k1 * (1 - self.b + self.b * self._lengths[doc] / average)
                result[doc] += idf * tf * (self.k1 + 1) / (tf + norm)
        return dict(result)

    def top(self, terms: Iterable[str], k: int, allowed: set[int] | None = None) -> list[tuple[int, float]]:
        scored = self.scores(terms, allowed)
        return sorted(scored.items(), key=lambda item: -item[1])[:k]
