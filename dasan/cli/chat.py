"""``dasan chat``: the 120 assistant in the terminal (the same assistant, tools and database as the server)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from dasan.cli.common import console, err, open_runtime
from dasan.cli.common import fail as _fail


def chat(
    message: Annotated[Optional[str], typer.Option("--message", "-m", help="Ask one question and exit.")] = None,
    lang: Annotated[Optional[str], typer.Option(help="Reply language: ko or en \\[default: detected].")] = None,
) -> None:
    """Talk to the 120 assistant in the terminal (Korean or English). Empty line or Ctrl-D ends."""
    if lang not in (None, "ko", "en"):
        _fail("--lang must be ko or en", 2)
    runtime = open_runtime(assistant=True)
    assistant = runtime.assistant
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
