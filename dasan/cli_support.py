"""What every ``dasan`` command shares: the consoles, the error exit, and settings that fail as a message."""

from __future__ import annotations

import typer
from rich.console import Console

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> None:
    """Print ``error: message`` on stderr and exit with ``code`` (2 for bad input, 1 otherwise)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def load_settings():
    from dasan.settings import get_settings

    try:
        return get_settings()
    except Exception as exc:  # pydantic's validation error names the bad variable
        fail(f"invalid settings: {exc}", 2)
