"""``dasan chat``, ``dasan index ...`` and ``dasan eval chatbot``: the 120 assistant from the command line (the
same Assistant the server uses)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dasan.cli_support import console, err, fail as _fail, load_settings as _settings


index_app = typer.Typer(help="Build and inspect the knowledge-base search index.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure the assistant and the speech models on labelled files.", no_args_is_help=True)


def _assistant(kb: Optional[Path] = None, rebuild: bool = False):
    from dasan.chat import build_standalone_assistant
    from models.store import ModelError
    from retrieval_index import IndexCorruptError, IndexMismatchError

    settings = _settings()
    if kb is not None:
        settings = settings.model_copy(update={"kb_path": kb})
    try:
        with console.status("loading the assistant (the first run builds the index, about a minute)"):
            return build_standalone_assistant(settings, rebuild=rebuild)
    except (IndexMismatchError, IndexCorruptError, ModelError, FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    except Exception as exc:  # an unreachable database is a message, not a traceback
        _fail(f"cannot start the assistant: {type(exc).__name__}: {str(exc).splitlines()[0]}")


def chat(
    message: Annotated[Optional[str], typer.Option("--message", "-m", help="Ask one question and exit.")] = None,
    lang: Annotated[Optional[str], typer.Option(help="Reply language: ko or en [default: detected].")] = None,
) -> None:
    """Talk to the 120 assistant in the terminal (Korean or English). Empty line or Ctrl-D ends."""
    if lang not in (None, "ko", "en"):
        _fail("--lang must be ko or en", 2)
    assistant = _assistant()
    session_id = None
    questions = [message] if message else None
    if questions is None:
        console.print("[bold]120 다산 도우미[/] - ask about Seoul city services (empty line to quit)")
    while True:
        if questions is not None:
            if not questions:
                break
            text = questions.pop()
        else:
            try:
                text = console.input("[bold cyan]you>[/] ")
            except (EOFError, KeyboardInterrupt):
                break
            if not text.strip():
                break
        try:
            reply = assistant.reply(text, session_id=session_id, lang=lang)
        except ValueError as exc:
            err.print(f"[red]{exc}[/]")
            continue
        session_id = reply.session_id
        console.print(f"[bold green]120>[/] {reply.answer}")
        for citation in reply.citations:
            console.print(f"   [dim]source: {citation.entry_id} · {citation.department} · contact {citation.contact}"
                          f" · updated {citation.updated}[/]")
        if reply.handoff:
            console.print(f"   [yellow]→ handed to a 120 agent[/] [dim]{reply.handoff_summary}[/]")
        if reply.decline:
            console.print(f"   [dim](declined: {reply.reason})[/]")


@index_app.command("build")
def index_build(
    kb: Annotated[Optional[Path], typer.Option(help="A knowledge base (.jsonl or .csv) [default: DASAN_KB_PATH or "
                                                    "the bundled 120 KB].")] = None,
) -> None:
    """(Re)build the search index of the knowledge base and save it (atomically) in the data directory."""
    from chatbot.kb import load_entries

    settings = _settings()
    source = kb or settings.kb_path
    if source is not None:
        try:
            report = load_entries(source)
        except (FileNotFoundError, ValueError) as exc:
            _fail(str(exc), 2)
        for problem in report.errors:
            err.print(f"[yellow]{source}: {problem} (row skipped)[/]")
        if not report.entries:
            _fail(f"{source}: no valid entries", 2)
        if kb is not None and kb != settings.kb_path:
            err.print(f"[dim]note: the server uses this knowledge base only with DASAN_KB_PATH={kb}[/]")
    assistant = _assistant(kb, rebuild=True)
    info = assistant.index.info()
    console.print(f"[green]✓[/] indexed {len(assistant.kb)} entries ({info['documents']} documents, "
                  f"{info['dense_kind']} dense index) at {settings.resolved_index_dir}")


@index_app.command("info")
def index_info(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show what the saved index holds and what it was built from."""
    from retrieval_index import HybridIndex

    path = _settings().resolved_index_dir
    try:
        meta = HybridIndex.read_meta(path)
    except FileNotFoundError:
        _fail(f"no index at {path}; run `dasan index build`")
    except Exception as exc:
        _fail(str(exc))
    summary = {k: meta.get(k) for k in ("documents", "dense_kind", "group_key", "embedder", "created", "format")}
    summary.update(meta.get("extra", {}))
    summary["path"] = str(path)
    if as_json:
        console.print(json.dumps(summary, ensure_ascii=False))
        return
    for key, value in summary.items():
        console.print(f"{key:>14}: {value}")


@eval_app.command("chatbot")
def eval_chatbot(
    paraphrases: Annotated[Path, typer.Option(help="JSONL of {query, lang, expected_id}.", exists=True,
                                              dir_okay=False)],
    out_of_scope: Annotated[Optional[Path], typer.Option("--out-of-scope", help="JSONL of {query, lang, expected}.",
                                                         exists=True, dir_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the result object (as the last line).")] = False,
    fit_calibration: Annotated[bool, typer.Option("--fit-calibration", help="Also fit the confidence calibration "
                                                  "on these files and print its coefficients.")] = False,
) -> None:
    """Run every query through the assistant (fresh session each) and report recall, accuracy, hand-offs, latency."""
    from chatbot.evaluation import EvalFileError, evaluate, fit_and_check, read_jsonl

    try:
        rows = read_jsonl(paraphrases, ["query", "expected_id"])
        oos = read_jsonl(out_of_scope, ["query", "expected"]) if out_of_scope else []
    except (EvalFileError, OSError) as exc:
        _fail(str(exc), 2)
    assistant = _assistant()
    for row in rows[:3]:  # warm caches so the first queries do not skew latency
        assistant.reply(row["query"])
    progress = Progress(TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, disable=not sys.stderr.isatty())
    with progress:
        task = progress.add_task("queries", total=len(rows) + len(oos))
        result = evaluate(assistant, rows, oos, progress=lambda: progress.advance(task))
    if fit_calibration:
        result["calibration"] = fit_and_check(assistant, rows, oos)
    if not as_json:
        for key, value in result.items():
            err.print(f"{key:>16}: {value}")
    print(json.dumps(result, ensure_ascii=False))


@eval_app.command("tools")
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
    from chatbot.routing.nlu import NluRouter

    if kind == "nlu":
        return NluRouter()
    from chatbot.routing.llm_router import LlmRouter
    from civic_services.tools.catalog import build_registry
    from dasan.app import build_model_set
    from models.store import ModelError

    try:
        with console.status("loading the local LLM"):
            llm = build_model_set(_settings()).llm()
    except ModelError as exc:
        _fail(str(exc))
    return LlmRouter(llm, build_registry())
