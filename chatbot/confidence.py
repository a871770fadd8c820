"""How sure the assistant is that its best entry answers the question: a logistic model over retrieval
features, giving a probability-like score that the assistant thresholds.

The default coefficients were fitted with ``dasan eval chatbot --fit-calibration`` on the development sets
(answerable paraphrases as positives when the top entry is right; wrong top entries and out-of-scope queries as
negatives). Refit them for another knowledge base or embedder. The assistant answers at 0.3 and above: out-of-scope
requests are mostly caught by the scope rules before confidence matters, and a needless hand-off costs a citizen
more than a cited answer that is slightly off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FEATURES = ("dense", "log_sparse", "margin", "coverage")


@dataclass(frozen=True)
class Calibration:
    # fitted on the 120 development sets with the bundled e5 embedder (see the module docstring)
    weights: tuple[float, ...] = (31.3606, 0.7799, 2.7494, 1.4817)
    bias: float = -30.4118

    def features(self, dense: float, sparse: float, margin: float, coverage: float) -> np.ndarray:
        return np.array([dense, math.log1p(max(sparse, 0.0)), margin, coverage], dtype=np.float64)

    def probability(self, dense: float, sparse: float, margin: float, coverage: float) -> float:
        return self.probability_of(self.features(dense, sparse, margin, coverage))

    def probability_of(self, features) -> float:
        z = float(np.dot(self.weights, features) + self.bias)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def fit_calibration(features: Sequence[Sequence[float]], labels: Sequence[int], l2: float = 0.1,
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
