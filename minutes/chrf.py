"""chrF, the character n-gram F-score of a translation against a reference (Popović, 2015), for measuring
subtitles: characters n-grams of orders 1-6 with whitespace removed, counts summed over the corpus, precision and
recall averaged over the orders that occur, then F-beta with beta = 2 (recall weighs twice), on a 0-100 scale.
Case is kept, as in the usual chrF; there is no word n-gram part (that would be chrF++)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def _grams(text: str, n: int) -> Counter:
    chars = "".join(text.split())
    return Counter(chars[i:i + n] for i in range(len(chars) - n + 1))


def chrf(references: Sequence[str], hypotheses: Sequence[str], max_n: int = 6, beta: float = 2.0) -> float:
    """Corpus chrF of ``hypotheses`` against ``references`` (one reference each)."""
    if len(references) != len(hypotheses):
        raise ValueError("one reference per hypothesis")
    precisions, recalls = [], []
    for n in range(1, max_n + 1):
        matched = in_hypotheses = in_references = 0
        for reference, hypothesis in zip(references, hypotheses):
            ref, hyp = _grams(reference, n), _grams(hypothesis, n)
            matched += sum((ref & hyp).values())
            in_hypotheses += sum(hyp.values())
            in_references += sum(ref.values())
        if in_references == 0:
            continue  # no reference is this long
        recalls.append(matched / in_references)
        precisions.append(matched / in_hypotheses if in_hypotheses else 0.0)
    if not recalls:
        return 0.0
    p, r = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if p == 0 and r == 0:
        return 0.0
    return 100 * (1 + beta ** 2) * p * r / (beta ** 2 * p + r)
