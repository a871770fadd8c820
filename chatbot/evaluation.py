"""Measuring the assistant on labelled queries (the schema of the 120 dev sets): retrieval quality, answer
accuracy, hand-off behaviour and latency, through the same Assistant the API uses (a fresh session each)."""

from __future__ import annotations

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
    """Features of each query's best entry: 1 when it is the expected entry, 0 when it is not or when the query
    is out of scope."""
    features, labels = [], []
    rows = [(r, r["expected_id"]) for r in paraphrases] + [(r, None) for r in out_of_scope]
    for row, expected in rows:
        best, _, sample, _ = assistant.confidence_features(row["query"])
        if best is not None:
            features.append(sample)
            labels.append(int(best == expected))
    return features, labels


def fit_and_check(assistant: Assistant, paraphrases: list[dict], out_of_scope: list[dict], folds: int = 5
                  ) -> dict:
    """Fit the confidence calibration on all samples, and report k-fold held-out accuracy of the 0.5 cut."""
    features, labels = calibration_samples(assistant, paraphrases, out_of_scope)
    x, y = np.asarray(features), np.asarray(labels)
    order = np.random.default_rng(0).permutation(len(y))
    held_out_correct = 0
    for fold in range(folds):
        test = order[fold::folds]
        train = np.setdiff1d(order, test)
        calibration = fit_calibration(x[train], y[train])
        for i in test:
            p = calibration.probability_of(x[i])
            held_out_correct += int((p >= 0.5) == bool(y[i]))
    final: Calibration = fit_calibration(x, y)
    return {"weights": final.weights, "bias": final.bias, "samples": int(len(y)), "positives": int(y.sum()),
            "cv_accuracy": round(held_out_correct / len(y), 4)}
