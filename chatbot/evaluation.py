"""Measuring the assistant on labelled queries (the schema of the 120 dev sets): retrieval quality, answer
accuracy, hand-off behaviour and latency, through the same Assistant the API uses (a fresh session each)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chatbot.assistant import Assistant
from chatbot.confidence import Calibration, fit_calibration
from chatbot.records import iter_rows


class EvalFileError(ValueError):
    pass


def read_jsonl(path: str | Path, required: Iterable[str]) -> list[dict]:
    """All rows of a labelled query file; the first bad row stops with its line number."""
    rows = []
    for number, row in iter_rows(path):
        if isinstance(row, str):
            raise EvalFileError(f"{path}:{number}: {row}")
        missing = [key for key in required if key not in row]
        if missing:
            raise EvalFileError(f"{path}:{number}: missing field(s) {', '.join(missing)}")
        rows.append(row)
    return rows


@dataclass(frozen=True)
class _Outcome:
    ranked: tuple[str, ...]
    handoff: bool
    decline: bool
    first_citation: str | None
    ms: float


def _run(assistant: Assistant, query: str, lang: str | None) -> _Outcome:
    started = time.perf_counter()
    reply = assistant.reply(query, session_id=None, lang=lang if lang in ("ko", "en") else None)
    elapsed = (time.perf_counter() - started) * 1000
    first = reply.citations[0].entry_id if reply.citations else None
    return _Outcome(reply.ranked_ids, reply.handoff, reply.decline, first, elapsed)


def evaluate(assistant: Assistant, paraphrases: list[dict], out_of_scope: list[dict] | None = None,
             progress=None, with_failures: bool = False) -> dict:
    """The figures of the assistant on labelled queries. ``wrong_answer_rate`` is the share of answerable queries
    answered with another entry (or by a tool), ``handoff_rate`` the share handed to an agent, ``false_handoff``
    the share not answered at all (handed off or declined). With ``with_failures``, ``failures`` lists every
    query not answered with its expected entry and every out-of-scope query that was answered."""
    outcomes = []
    for row in paraphrases:
        outcomes.append((row, _run(assistant, row["query"], row.get("lang"))))
        if progress:
            progress()
    n = len(outcomes)
    r1 = r5 = rr = accurate = false_handoff = wrong = handed_off = 0.0
    by_lang: dict[str, list[int]] = {}
    latencies = []
    failures = []
    for row, outcome in outcomes:
        expected = row["expected_id"]
        ranked = list(dict.fromkeys(outcome.ranked))
        rank = ranked.index(expected) + 1 if expected in ranked else None
        r1 += rank == 1
        r5 += rank is not None and rank <= 5
        rr += 1 / rank if rank else 0.0
        answered = not (outcome.handoff or outcome.decline)
        right = answered and outcome.first_citation == expected
        accurate += right
        wrong += answered and not right  # answered with another entry (or by a tool, with none)
        false_handoff += not answered
        handed_off += outcome.handoff
        by_lang.setdefault(row.get("lang", "?"), []).append(int(rank == 1))
        latencies.append(outcome.ms)
        if not right:
            failures.append({"query": row["query"], "expected": expected, "got": _verdict(outcome),
                             "rank": rank})
    result = {
        "n": n,
        "recall_at_1": round(r1 / n, 4) if n else None,
        "recall_at_5": round(r5 / n, 4) if n else None,
        "mrr": round(rr / n, 4) if n else None,
        "answer_accuracy": round(accurate / n, 4) if n else None,
        "by_lang": {lang: round(sum(v) / len(v), 4) for lang, v in sorted(by_lang.items())},
        "false_handoff": round(false_handoff / n, 4) if n else None,
        "wrong_answer_rate": round(wrong / n, 4) if n else None,
        "handoff_rate": round(handed_off / n, 4) if n else None,
    }
    oos_outcomes = []
    for row in out_of_scope or []:
        outcome = _run(assistant, row["query"], row.get("lang"))
        oos_outcomes.append((row, outcome))
        if not (outcome.handoff or outcome.decline):
            failures.append({"query": row["query"], "expected": row["expected"], "got": _verdict(outcome),
                             "rank": None})
        if progress:
            progress()
    result["oos_n"] = len(oos_outcomes)
    result["oos_correct"] = (round(sum(o.handoff or o.decline for _, o in oos_outcomes) / len(oos_outcomes), 4)
                             if oos_outcomes else None)
    result["oos_kind_match"] = (round(sum((o.handoff and r["expected"] == "handoff") or
                                          (o.decline and r["expected"] == "decline")
                                          for r, o in oos_outcomes) / len(oos_outcomes), 4)
                                if oos_outcomes else None)
    latencies += [o.ms for _, o in oos_outcomes]
    result["p50_ms"] = round(float(np.percentile(latencies, 50)), 2) if latencies else None
    result["p95_ms"] = round(float(np.percentile(latencies, 95)), 2) if latencies else None
    if with_failures:
        result["failures"] = failures
    return result


def _verdict(outcome: _Outcome) -> str:
    if outcome.handoff:
        return "handoff"
    if outcome.decline:
        return "decline"
    return outcome.first_citation or "a tool"


def calibration_samples(assistant: Assistant, paraphrases: list[dict], out_of_scope: list[dict]
                        ) -> tuple[list[list[float]], list[int]]:
    """Features of each query's best entry: 1 when it is the expected entry, 0 when it is not, when the query is
    out of scope, and when the query is searched again with its expected entry left out (what a question the
    knowledge base does not cover looks like)."""
    features, labels = [], []
    for row in paraphrases:
        best, _, sample, _ = assistant.confidence_features(row["query"])
        if best is not None:
            features.append(sample)
            labels.append(int(best == row["expected_id"]))
        best, _, sample, _ = assistant.confidence_features(row["query"], exclude=row["expected_id"])
        if best is not None:
            features.append(sample)
            labels.append(0)
    for row in out_of_scope:
        best, _, sample, _ = assistant.confidence_features(row["query"])
        if best is not None:
            features.append(sample)
            labels.append(0)
    return features, labels


def fit_and_check(assistant: Assistant, paraphrases: list[dict], out_of_scope: list[dict], folds: int = 10,
                  answer_at: float = 0.3, wrong_top_share: float = 0.05, max_wrong: float = 0.025) -> dict:
    """Fit the confidence calibration and choose its operating point for a wrong-answer rate.

    The logistic model is fitted on all samples (:func:`calibration_samples`); k-fold held-out probabilities give,
    for each cut, the share of right best entries it would refuse and of wrong ones it would answer. The cut chosen
    is the lowest whose expected wrong-answer rate, ``wrong_top_share`` (the share of questions whose best entry
    is wrong: recall@1 of 0.95 leaves 0.05) times the share of wrong best entries answered, stays under
    ``max_wrong``. The intercept is then moved so that this cut falls at ``answer_at``, the assistant's threshold;
    the score stays monotone in the probability of a right answer (the shift is that of another prior of right
    answers, reported as ``implied_prior``)."""
    features, labels = calibration_samples(assistant, paraphrases, out_of_scope)
    x, y = np.asarray(features), np.asarray(labels)
    order = np.random.default_rng(0).permutation(len(y))
    held_out = np.zeros(len(y))
    for fold in range(folds):
        test = order[fold::folds]
        train = np.setdiff1d(order, test)
        calibration = fit_calibration(x[train], y[train])
        for i in test:
            held_out[i] = calibration.probability_of(x[i])
    fitted: Calibration = fit_calibration(x, y)
    cuts = {}
    chosen = None
    for cut in np.arange(0.02, 0.91, 0.02):
        refused = float(np.mean(held_out[y == 1] < cut))
        answered_wrong = float(np.mean(held_out[y == 0] >= cut))
        cuts[f"{cut:.2f}"] = {"right_refused": round(refused, 4), "wrong_answered": round(answered_wrong, 4)}
        if chosen is None and wrong_top_share * answered_wrong <= max_wrong:
            chosen = float(cut)
    chosen = chosen if chosen is not None else 0.5
    shift = math.log(answer_at / (1 - answer_at)) - math.log(chosen / (1 - chosen))
    final = Calibration(fitted.weights, round(fitted.bias + shift, 4))
    base_rate = float(y.mean())
    implied = 1 / (1 + math.exp(-(math.log(base_rate / (1 - base_rate)) + shift)))
    return {"weights": final.weights, "bias": final.bias, "samples": int(len(y)), "positives": int(y.sum()),
            "cv_accuracy": round(float(np.mean((held_out >= 0.5) == (y == 1))), 4), "chosen_cut": round(chosen, 2),
            "at_chosen_cut": cuts[f"{chosen:.2f}"], "implied_prior": round(implied, 3), "cv_cuts": cuts}
