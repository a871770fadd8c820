"""``dasan eval chatbot`` and ``dasan eval tools``: the assistant and its tool routers measured on labelled files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from dasan.cli.common import console, err, open_runtime
from dasan.cli.common import fail as _fail
from dasan.cli.common import load_settings as _settings


def eval_chatbot(
    paraphrases: Annotated[Path, typer.Option(help="JSONL of {query, lang, expected_id}.", exists=True,
                                              dir_okay=False)],
    out_of_scope: Annotated[Optional[Path], typer.Option("--out-of-scope", help="JSONL of {query, lang, expected}.",
                                                         exists=True, dir_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the result object (as the last line).")] = False,
    fit_calibration: Annotated[bool, typer.Option("--fit-calibration", help="Also fit the confidence calibration "
                                                  "on these files and print its coefficients.")] = False,
    show_failures: Annotated[bool, typer.Option("--failures", help="Also list the queries not answered with their "
                                                "entry, and the out-of-scope ones that were answered.")] = False,
) -> None:
    """Run every query through the assistant (fresh session each) and report recall, accuracy, wrong answers,
    hand-offs, latency."""
    from chatbot.evaluation import EvalFileError, evaluate, fit_and_check, read_jsonl

    try:
        rows = read_jsonl(paraphrases, ["query", "expected_id"])
        oos = read_jsonl(out_of_scope, ["query", "expected"]) if out_of_scope else []
    except (EvalFileError, OSError) as exc:
        _fail(str(exc), 2)
    runtime = open_runtime(assistant=True)
    assistant = runtime.assistant
    for row in rows[:3]:  # warm caches so the first queries do not skew latency
        assistant.reply(row["query"])
    progress = Progress(TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, disable=not sys.stderr.isatty())
    with progress:
        task = progress.add_task("queries", total=len(rows) + len(oos))
        result = evaluate(assistant, rows, oos, progress=lambda: progress.advance(task), with_failures=True)
    failures = result.pop("failures")
    if show_failures:
        for failure in failures:
            err.print(f"[yellow]✗[/] {failure['query']}\n    expected {failure['expected']}, got {failure['got']}"
                      + (f" (rank {failure['rank']})" if failure["rank"] else ""), markup=False)
    if fit_calibration:
        result["calibration"] = fit_and_check(assistant, rows, oos)
    if not as_json:
        for key, value in result.items():
            err.print(f"{key:>16}: {value}")
    print(json.dumps(result, ensure_ascii=False))


def eval_tools(
    queries: Annotated[Path, typer.Option(help="JSONL of {query, lang, user, expected_tool, expected_args}.",
                                          exists=True, dir_okay=False)],
    router: Annotated[str, typer.Option(help="nlu (no LLM) or llm (the local LLM).")] = "nlu",
    as_json: Annotated[bool, typer.Option("--json", help="Print only the result object (as the last line).")] = False,
    show_failures: Annotated[bool, typer.Option("--failures", help="Also list the requests routed wrongly.")] = False,
) -> None:
    """Plan each request with a router (no tool is executed) and score the tool and its arguments."""
    from chatbot.evaluation import EvalFileError, read_jsonl
    from chatbot.routing.evaluation import evaluate_router

    if router not in ("nlu", "llm"):
        _fail("--router must be nlu or llm", 2)
    try:
        rows = read_jsonl(queries, ["query", "expected_tool"])
    except (EvalFileError, OSError) as exc:
        _fail(str(exc), 2)
    chosen = _router(router)
    result = evaluate_router(chosen, rows)
    failures = result.pop("failures")
    if show_failures or not as_json:
        for failure in failures:
            err.print(f"[yellow]✗[/] {failure['query']}\n    expected {failure['expected']}\n    got      "
                      f"{failure['got']}", markup=False)
    if not as_json:
        for key, value in result.items():
            err.print(f"{key:>14}: {value}")
    print(json.dumps(result, ensure_ascii=False))


def _router(kind: str):
    """The router as the assistant builds it: the model set's embedder and the knowledge base's questions for the
    nearest examples (``nlu``), and the local LLM besides (``llm``)."""
    from chatbot.routing.nlu import NluRouter
    from dasan.assistant import knowledge_base_questions, routing_cache_dir
    from dasan.runtime import build_model_set, gather_tools
    from models.store import ModelError

    settings = _settings()
    models = build_model_set(settings)
    none_examples = knowledge_base_questions(settings.kb_path)
    try:
        with console.status("loading the embedder"):
            embedder = models.embedder()
    except ModelError as exc:
        _fail(str(exc))
    if kind == "nlu":
        router = NluRouter(embedder, none_examples, cache_dir=routing_cache_dir(settings))
    else:
        from chatbot.routing.llm_router import LlmRouter

        try:
            with console.status("loading the local LLM"):
                llm = models.llm()
        except ModelError as exc:
            _fail(str(exc))
        router = LlmRouter(llm, gather_tools(), embedder=embedder, none_examples=none_examples,
                           cache_dir=routing_cache_dir(settings))
    with console.status("embedding the routing examples"):
        router.warm_up()
    return router
