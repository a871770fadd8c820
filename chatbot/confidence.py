"""How sure the assistant is that its best entry answers the question: a logistic model over retrieval features
that do not depend on the wording of any one question set, giving the probability that the best entry is right.

Features of the best entry (:data:`FEATURES`):

- ``dense``: its cosine similarity to the query (the closest of its documents);
- ``log_sparse``: log(1 + its BM25 score);
- ``margin``: its fused score minus the next entry's;
- ``shared``: the share of the query's search terms found in this entry's own text;
- ``dense_margin``: its cosine minus the best cosine of any other entry.

(The share of the query's terms the knowledge base knows at all, whether the dense and sparse retrievers agree
on the best entry, the IDF-weighted share of shared terms, the kind of document matched and the query's length
were tried too and left out: they did not help in cross-validation on the tuning split; docs/assistant.md has the
ablation. The share of known terms still decides, with a low confidence, that a message is not understood.)

The coefficients are fitted with ``dasan eval chatbot --fit-calibration`` on the tuning half of the development
sets (``tests/data/kb/split/``). Positives: queries whose best entry is the expected one. Negatives: queries whose
best entry is another, out-of-scope queries, and each tuning query searched once more with its own entry left out,
which is what a question the knowledge base does not cover looks like. The operating point is chosen for a
wrong-answer rate, not for accuracy: the lowest cut at which, in cross-validation, an assumed 5% of wrong best
entries times the share of them answered stays under 2.5%; the intercept is then moved so that this cut falls at
the assistant's threshold (0.3, ``DASAN_CHAT_ANSWER_THRESHOLD``), which leaves the score monotone in the
probability of a right answer (as if the prior of right answers were 0.73 instead of the training mix's 0.47).
docs/assistant.md ("Knowing when not to answer") has the figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FEATURES = ("dense", "log_sparse", "margin", "shared", "dense_margin")


def retrieval_features(hits: Sequence, shared: float) -> np.ndarray:
    """The features of ``hits[0]`` among ``hits`` (objects with ``group``, ``score``, ``dense``, ``sparse``; a dense
    score of -1 means the dense retriever did not return the entry)."""
    top, others = hits[0], hits[1:]
    returned = [h.dense for h in hits if h.dense > -1.0]
    floor = min(returned, default=0.0)
    dense = top.dense if top.dense > -1.0 else floor
    margin = top.score - (others[0].score if others else 0.0)
    best_other = max((h.dense if h.dense > -1.0 else floor for h in others), default=floor)
    return np.array([dense, math.log1p(max(top.sparse, 0.0)), margin, shared, dense - best_other], dtype=np.float64)


@dataclass(frozen=True)
class Calibration:
    # fitted on the tuning half of the 120 development sets with the bundled e5 embedder, its operating point
    # for a wrong-answer rate put at the assistant's threshold 0.3 (see the module docstring)
    weights: tuple[float, ...] = (34.7329, 1.1748, 2.7937, 1.9433, 22.5619)
    bias: float = -35.3521

    def probability_of(self, features) -> float:
        z = float(np.dot(self.weights, features) + self.bias)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def fit_calibration(features: Sequence[Sequence[float]], labels: Sequence[int], l2: float = 3.0,
                    steps: int = 5000, learning_rate: float = 0.1) -> Calibration:
    """Logistic regression by gradient descent on standardised features (small and dependency-free)."""
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    xs = (x - mean) / std
    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(xs @ w + b)))
        grad_w = xs.T @ (p - y) / len(y) + l2 * w / len(y)
        grad_b = float(np.mean(p - y))
        w -= learning_rate * grad_w
        b -= learning_rate * grad_b
    weights = w / std
    bias = b - float(np.dot(weights, mean))
    return Calibration(tuple(round(float(v), 4) for v in weights), round(bias, 4))
