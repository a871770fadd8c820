"""Error rates for speech recognition: word error rate and character error rate (Levenshtein based)."""

from __future__ import annotations

import re
from collections.abc import Sequence

_PUNCT = re.compile(r"[^\w\s']|_", re.UNICODE)


def edit_distance(reference: Sequence, hypothesis: Sequence) -> int:
    """Minimum number of substitutions, insertions and deletions turning ``hypothesis`` into ``reference``."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_item in enumerate(reference, start=1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp_item in enumerate(hypothesis, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_item != hyp_item))
        previous = current
    return previous[-1]


def normalise_words(text: str) -> list[str]:
    """Lower case, punctuation removed, split on whitespace."""
    return _PUNCT.sub(" ", text.lower()).split()


def wer(reference: str, hypothesis: str) -> float:
    ref = normalise_words(reference)
    return edit_distance(ref, normalise_words(hypothesis)) / max(len(ref), 1)


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate with spaces and punctuation removed (the usual score for Korean)."""
    ref = "".join(normalise_words(reference))
    return edit_distance(ref, "".join(normalise_words(hypothesis))) / max(len(ref), 1)
