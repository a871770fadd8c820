"""Where streaming recognition loses against offline decoding of the same clip: each of the streaming
hypothesis's edits against the reference is put in one category.

- ``shared``: offline decoding at the same beam as offline scoring (beam 5) errs at the same reference position,
  so the model, not the streaming, gets it wrong;
- ``beam``: only offline decoding at the streaming decoder's beam (1) errs there too: the beam, not the commit
  policy;
- the rest are the streaming's own, in this order of precedence:
  - ``repeat``: inserted text that copies the text just before or after it (a commit made twice);
  - ``dropped``: a run of at least ``DROP_RUN`` reference units missing (speech never transcribed, wherever it
    was lost);
  - ``inserted``: a run of at least ``DROP_RUN`` units the reference lacks (text invented, e.g. Whisper going
    on with its prompt over a wordless moment);
  - ``join``: another edit within ``JOIN_REACH`` units (Korean characters, English words) of the point where
    two committed segments meet (an utterance cut at the wrong place);
  - ``other``: anything else (a different word inside a segment).

Units are those of the score (:func:`minutes.metrics.score`): normalised characters for Korean, normalised words
for English, so the counts add up to the streaming score's edits. Positions of segment joins are found by
normalising each segment on its own; where that disagrees in length with the whole hypothesis's normalisation (a
number read differently), the joins are scaled to the whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from minutes.metrics import korean_pair, normalise_english, normalise_korean

CATEGORIES = ("shared", "beam", "repeat", "dropped", "inserted", "join", "other")
JOIN_REACH = {"ko": 2, "en": 1}
DROP_RUN = {"ko": 3, "en": 2}


@dataclass(frozen=True)
class Edit:
    op: str  # "sub", "del" (a reference unit missing) or "ins" (a unit the reference lacks)
    ref_at: int  # reference position (for "ins": the position the insertion comes before)
    hyp_at: int  # hypothesis position (for "del": the position the missing unit would have had)


def alignment(reference: Sequence, hypothesis: Sequence) -> list[Edit]:
    """The edits of one minimum-cost alignment (Levenshtein; ties prefer a substitution, then a deletion)."""
    rows, cols = len(reference) + 1, len(hypothesis) + 1
    cost = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        cost[i][0] = i
    for j in range(cols):
        cost[0][j] = j
    for i in range(1, rows):
        for j in range(1, cols):
            cost[i][j] = min(cost[i - 1][j - 1] + (reference[i - 1] != hypothesis[j - 1]),
                             cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    edits: list[Edit] = []
    i, j = rows - 1, cols - 1
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (reference[i - 1] != hypothesis[j - 1]):
            if reference[i - 1] != hypothesis[j - 1]:
                edits.append(Edit("sub", i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            edits.append(Edit("del", i - 1, j))
            i -= 1
        else:
            edits.append(Edit("ins", i, j - 1))
            j -= 1
    return edits[::-1]


def _units(reference: str, hypothesis: str, language: str) -> tuple[Sequence, Sequence]:
    if language == "ko":
        return korean_pair(reference, hypothesis)
    return normalise_english(reference), normalise_english(hypothesis)


def _segment_length(text: str, language: str) -> int:
    return len(normalise_korean(text)) if language == "ko" else len(normalise_english(text))


def _erred_at(reference: str, hypothesis: str, language: str) -> set[int]:
    """Reference positions an alignment of ``hypothesis`` gets wrong (an insertion marks both neighbours)."""
    ref, hyp = _units(reference, hypothesis, language)
    out: set[int] = set()
    for edit in alignment(ref, hyp):
        out.update({edit.ref_at - 1, edit.ref_at} if edit.op == "ins" else {edit.ref_at})
    return out


@dataclass
class ClipBreakdown:
    utt_id: str
    length: int  # reference units
    errors: dict[str, int] = field(default_factory=dict)  # streaming edits by category (CATEGORIES)
    segments: int = 0

    @property
    def total(self) -> int:
        return sum(self.errors.values())


def breakdown(utt_id: str, reference: str, segments: Sequence[str], offline: str, offline_beam1: str,
              language: str) -> ClipBreakdown:
    """Put each edit of the streaming hypothesis (``segments``, as committed) against ``reference`` in a
    category (see the module docstring); ``offline``/``offline_beam1``: the same clip decoded whole."""
    language = "ko" if language == "ko" else "en"
    ref, hyp = _units(reference, " ".join(segments), language)
    lengths = [_segment_length(s, language) for s in segments]
    scale = len(hyp) / sum(lengths) if sum(lengths) else 1.0
    joins, at = [], 0
    for length in lengths[:-1]:
        at += length
        joins.append(at * scale)
    shared = _erred_at(reference, offline, language)
    beam = _erred_at(reference, offline_beam1, language)
    edits = alignment(ref, hyp)
    deleted_runs = _runs(sorted(e.ref_at for e in edits if e.op == "del"))
    inserted_runs = _runs(sorted(e.hyp_at for e in edits if e.op == "ins"))
    counts: Counter = Counter()
    for edit in edits:
        touched = {edit.ref_at - 1, edit.ref_at} if edit.op == "ins" else {edit.ref_at}
        if touched & shared:
            counts["shared"] += 1
        elif touched & beam:
            counts["beam"] += 1
        elif edit.op == "ins" and _repeats_a_neighbour(hyp, edit.hyp_at, inserted_runs):
            counts["repeat"] += 1
        elif edit.op == "del" and deleted_runs.get(edit.ref_at, 0) >= DROP_RUN[language]:
            counts["dropped"] += 1
        elif edit.op == "ins" and inserted_runs.get(edit.hyp_at, 0) >= DROP_RUN[language]:
            counts["inserted"] += 1
        elif any(abs(edit.hyp_at - j) <= JOIN_REACH[language] for j in joins):
            counts["join"] += 1
        else:
            counts["other"] += 1
    return ClipBreakdown(utt_id, len(ref), {c: counts.get(c, 0) for c in CATEGORIES}, len(segments))


def _runs(positions: list[int]) -> dict[int, int]:
    """Each position's run length among consecutive positions."""
    out: dict[int, int] = {}
    start = 0
    for k in range(1, len(positions) + 1):
        if k == len(positions) or positions[k] != positions[k - 1] + 1:
            for p in positions[start:k]:
                out[p] = k - start
            start = k
    return out


def _repeats_a_neighbour(hyp: Sequence, at: int, inserted: dict[int, int]) -> bool:
    """Whether the run of inserted hypothesis units holding ``at`` (``inserted``: the inserted positions) repeats
    the units just before or just after it."""
    start = end = at
    while start - 1 in inserted:
        start -= 1
    while end + 1 in inserted:
        end += 1
    run = list(hyp[start:end + 1])
    if len(run) < 2 and not (len(run) == 1 and isinstance(run[0], str) and len(run[0]) > 1):
        return False  # one Korean character again is as likely a slip as a repeated commit
    before = list(hyp[max(0, start - len(run)):start])
    after = list(hyp[end + 1:end + 1 + len(run)])
    return run == before or run == after


def pooled(clips: Sequence[ClipBreakdown]) -> dict:
    """Edits by category over all clips, with each category's share of the streaming edits and the points of
    error rate it costs (edits over the pooled reference length, times 100)."""
    length = sum(c.length for c in clips)
    totals = {c: sum(clip.errors[c] for clip in clips) for c in CATEGORIES}
    edits = sum(totals.values())
    return {"clips": len(clips), "reference_units": length, "streaming_edits": edits,
            "edits": totals,
            "share": {c: round(n / edits, 3) if edits else 0.0 for c, n in totals.items()},
            "points": {c: round(100 * n / length, 2) if length else 0.0 for c, n in totals.items()}}
