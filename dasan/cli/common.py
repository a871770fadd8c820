"""What every ``dasan`` command shares: the consoles, the error exit, settings and the runtime, each failing as a
message rather than a traceback."""

from __future__ import annotations

from contextlib import contextmanager

import typer
from rich.console import Console

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> None:
    """Print ``error: message`` on stderr and exit with ``code`` (2 for bad input, 1 otherwise)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def load_settings(**overrides):
    """The process's settings (environment, ``dasan.toml``, defaults), with ``overrides`` on top."""
    from dasan.settings import get_settings

    try:
        settings = get_settings()
        return settings.model_copy(update=overrides) if overrides else settings
    except Exception as exc:  # pydantic's validation error names the bad variable
        fail(f"invalid settings: {exc}", 2)


def open_runtime(settings=None, *, assistant: bool = False, logs: bool = False):
    """The process's runtime as the server opens it (same database, same services, same models); with
    ``assistant`` the 120 assistant is opened too (the first run builds its index). ``logs`` configures logging
    as the settings say (for long-running commands)."""
    from dasan.runtime import Runtime

    settings = settings or load_settings()
    if logs:
        from dasan.logging_setup import configure_logging

        configure_logging(settings.log_level, settings.log_json)
    try:
        runtime = Runtime.open(settings)
    except Exception as exc:  # an unreachable database is a message, not a traceback
        fail(f"cannot prepare the database: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    if assistant:
        with console.status("loading the assistant (the first run builds the index, about a minute)"):
            runtime.open_assistant()
        if runtime.assistant is None:
            runtime.close()
            fail(runtime.assistant_error or "the assistant could not be opened")
    return runtime


@contextmanager
def runtime_of(settings=None, *, assistant: bool = False, logs: bool = False):
    """:func:`open_runtime` as a context that closes the runtime afterwards."""
    runtime = open_runtime(settings, assistant=assistant, logs=logs)
    try:
        yield runtime
    finally:
        runtime.close()
