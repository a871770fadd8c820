"""Latency of the 120 assistant on the development paraphrases: retrieval alone (the baseline), a whole reply
without the LLM, and, with the local LLM composing answers, the time to the first streamed piece and to the end.

    python bench/assistant_latency.py [--llm-queries 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def percentiles(values: list[float]) -> str:
    return f"p50 {np.percentile(values, 50):8.1f} ms   p95 {np.percentile(values, 95):8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", default=str(ROOT / "tests/data/kb/eval_paraphrases.jsonl"))
    parser.add_argument("--llm-queries", type=int, default=10)
    args = parser.parse_args()

    from dasan.runtime import Runtime
    from dasan.settings import get_settings
    from models.llm import load_llm
    from retrieval_index.text import repair_spacing

    settings = get_settings()
    runtime = Runtime.open(settings)
    assistant = runtime.open_assistant()
    queries = [json.loads(line)["query"] for line in open(args.queries, encoding="utf-8")]
    for query in queries[:5]:
        assistant.reply(query)
    retrieval, whole = [], []
    for query in queries:
        started = time.perf_counter()
        assistant.index.search(repair_spacing(query), k=10)
        retrieval.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        assistant.reply(query)
        whole.append((time.perf_counter() - started) * 1000)
    result = {"queries": len(queries), "retrieval_p50_ms": round(float(np.percentile(retrieval, 50)), 2),
              "reply_p50_ms": round(float(np.percentile(whole, 50)), 2),
              "reply_p95_ms": round(float(np.percentile(whole, 95)), 2)}
    print(f"retrieval only (baseline)   {percentiles(retrieval)}")
    print(f"whole reply, no LLM         {percentiles(whole)}   x{np.median(whole) / np.median(retrieval):.1f}")

    if args.llm_queries:
        assistant.llm = load_llm(settings.llm_model, assistant_store(settings), settings.threads)
        assistant.config = replace(assistant.config, compose_with_llm=True)
        first, total = [], []
        for query in queries[: args.llm_queries]:
            started = time.perf_counter()
            first_piece = None
            for event in assistant.stream(query):
                if event["type"] == "delta" and first_piece is None:
                    first_piece = time.perf_counter() - started
            total.append((time.perf_counter() - started) * 1000)
            first.append((first_piece or 0) * 1000)
        result.update({"llm_first_piece_p50_ms": round(float(np.percentile(first, 50)), 1),
                       "llm_reply_p50_ms": round(float(np.percentile(total, 50)), 1)})
        print(f"LLM: first streamed piece   {percentiles(first)}")
        print(f"LLM: whole reply            {percentiles(total)}")
    print(json.dumps(result))


def assistant_store(settings):
    from models.store import ModelStore

    return ModelStore(settings.models_dir)


if __name__ == "__main__":
    main()
