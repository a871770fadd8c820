"""Scoring a router on labelled requests (the schema of eval_tools.jsonl): the right tool, and all the right
arguments — exact for enums, ids, districts, metrics, periods, counts and filters; loose for free text (an
address must name the district and the street or landmark; a description or a search query must share words
with the expected one)."""

from __future__ import annotations

import re
import time

import numpy as np

from chatbot.routing.base import Router
from chatbot.routing.lexicon import district_ko, find_districts
from retrieval_index.text import analyze

_GENERIC = {"서울", "seoul", "앞", "in", "front", "of", "near", "the", "outside", "at", "입구"}


def _terms(text: str) -> set[str]:
    return {t for t in analyze(text) if t not in _GENERIC}


def _address_matches(expected: str, predicted: str) -> bool:
    districts = find_districts(expected)
    if districts:
        wanted = districts[0]
        if wanted not in find_districts(predicted):
            return False
        noise = set(analyze(district_ko(wanted))) | set(analyze(wanted))
    else:
        noise = set()
    places = _terms(expected) - noise
    return not places or bool(places & _terms(predicted))


def _location_matches(expected: dict, predicted) -> bool:
    if not isinstance(predicted, dict):
        return False
    if "lat" in expected:
        return all(abs(float(predicted.get(k, 1e9)) - float(expected[k])) < 1e-3 for k in ("lat", "lon"))
    return "address" in predicted and _address_matches(expected["address"], str(predicted["address"]))


def _loose_text(expected: str, predicted) -> bool:
    if not isinstance(predicted, str) or not predicted.strip():
        return False
    wanted = _terms(expected)
    return not wanted or len(wanted & _terms(predicted)) >= max(1, len(wanted) // 2)


def _normal(value):
    if isinstance(value, list):
        return sorted(_normal(v) for v in value)
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, str):
        return value.strip()
    return value


def arguments_match(expected: dict, predicted: dict) -> bool:
    for key, want in expected.items():
        got = predicted.get(key)
        if key == "location":
            ok = _location_matches(want, got)
        elif key in ("description", "query"):
            ok = _loose_text(want, got)
        elif key == "choice":
            ok = isinstance(got, str) and re.sub(r"\s", "", got) == re.sub(r"\s", "", str(want))
        else:
            ok = _normal(got) == _normal(want)
        if not ok:
            return False
    return True


def evaluate_router(router: Router, rows: list[dict]) -> dict:
    tool_ok = args_ok = 0
    by_user: dict[str, list[int]] = {}
    latencies = []
    failures = []
    for row in rows:
        started = time.perf_counter()
        call = router.route(row["query"], row.get("lang"))
        latencies.append((time.perf_counter() - started) * 1000)
        right_tool = (call.tool or "none") == row["expected_tool"]  # "none": not a tool request
        right_args = right_tool and arguments_match(row.get("expected_args", {}), call.arguments)
        tool_ok += right_tool
        args_ok += right_args
        by_user.setdefault(row.get("user", "citizen"), []).append(int(right_tool and right_args))
        if not right_args:
            failures.append({"query": row["query"], "expected": [row["expected_tool"], row.get("expected_args")],
                             "got": [call.tool, call.arguments]})
    n = len(rows)
    return {
        "n": n,
        "router": router.name,
        "tool_accuracy": round(tool_ok / n, 4) if n else None,
        "args_accuracy": round(args_ok / n, 4) if n else None,
        "by_user": {user: round(sum(v) / len(v), 4) for user, v in sorted(by_user.items())},
        "p50_ms": round(float(np.percentile(latencies, 50)), 2) if latencies else None,
        "p95_ms": round(float(np.percentile(latencies, 95)), 2) if latencies else None,
        "failures": failures,
    }
