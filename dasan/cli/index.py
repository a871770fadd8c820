"""``dasan index ...``: build and inspect the knowledge-base search index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from dasan.cli.common import console, err, runtime_of
from dasan.cli.common import fail as _fail
from dasan.cli.common import load_settings as _settings

index_app = typer.Typer(help="Build and inspect the knowledge-base search index.", no_args_is_help=True)


@index_app.command("build")
def index_build(
    kb: Annotated[Optional[Path], typer.Option(help="A knowledge base (.jsonl or .csv) \\[default: DASAN_KB_PATH or "
                                                    "the bundled 120 KB].")] = None,
    if_stale: Annotated[bool, typer.Option("--if-stale", help="Only when the saved index is missing or was built "
                                           "from another knowledge base or embedder (what `make run` does).")] = False,
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
    settings = settings.model_copy(update={"kb_path": kb or settings.kb_path, "index_auto_rebuild": True,
                                           "chat_tool_router": "off"})
    with runtime_of(settings) as runtime:
        with console.status("building the index" if not if_stale else "checking the index"):
            assistant = runtime.open_assistant(rebuild=not if_stale)
        if assistant is None:
            _fail(runtime.assistant_error or "the index could not be built")
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
