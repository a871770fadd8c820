"""``dasan mcp`` (the tools over MCP on stdio) and ``dasan rasa export`` (the domain snippet a Rasa project needs to
call the tools as custom actions of this server)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dasan.cli.common import err, open_runtime
from dasan.cli.common import fail as _fail
from dasan.cli.common import load_settings as _settings

rasa_app = typer.Typer(help="Rasa integration: this server is a Rasa action server (POST /webhook).",
                       no_args_is_help=True)


def mcp(
    lang: Annotated[str, typer.Option(help="Language of tool descriptions and answers: en or ko.")] = "en",
    role: Annotated[str, typer.Option(help="Role the calls run as: citizen, verified_voter or staff.")] = "citizen",
    voter_key: Annotated[Optional[str], typer.Option(help="The verified voter's registry key (cast_vote).")] = None,
    assistant: Annotated[bool, typer.Option("--assistant/--no-assistant",
                                            help="Load the 120 assistant for search_faq (takes seconds; follows "
                                                 "DASAN_CHAT_ENABLED).")] = True,
) -> None:
    """Serve the assistant's tools over the Model Context Protocol on stdin/stdout (for MCP clients such as
    desktop assistants: command `dasan mcp`). The web server serves the same tools at /mcp (streamable HTTP)."""
    import anyio

    from civic_services.tools.mcp_server import build_mcp_server, run_stdio
    from dasan import __version__

    if lang not in ("en", "ko"):
        _fail("--lang must be en or ko", 2)
    runtime = open_runtime(logs=True)  # logs go to stderr: stdout carries the protocol
    if assistant and runtime.settings.chat_enabled:
        runtime.open_assistant()  # leaves it None (and says why in the log) when it cannot start
    try:
        server = build_mcp_server(runtime.tools, runtime.tool_services(), lang=lang, role=role, voter_key=voter_key,
                                  version=__version__)
    except ValueError as exc:
        runtime.close()
        _fail(str(exc), 2)
    try:
        anyio.run(run_stdio, server)
    except KeyboardInterrupt:
        pass
    finally:
        runtime.close()


@rasa_app.command("export")
def rasa_export(
    out: Annotated[Optional[Path], typer.Option(help="Write the domain snippet here \\[default: stdout].")] = None,
    url: Annotated[Optional[str], typer.Option(help="The action endpoint Rasa calls \\[default: "
                                               "http://DASAN_HOST:DASAN_PORT/webhook].")] = None,
    endpoints: Annotated[Optional[Path], typer.Option(help="Also write an endpoints.yml with the action_endpoint "
                                                     "here.")] = None,
) -> None:
    """Write the Rasa domain snippet (actions, slots with types and mappings, entities) for the tools, with the
    endpoints.yml action_endpoint line as a comment."""
    import yaml

    from civic_services.tools.rasa_actions import endpoints_snippet, export_yaml
    from dasan.runtime import gather_tools

    if url is None:
        settings = _settings()
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        url = f"http://{host}:{settings.port}/webhook"
    text = export_yaml(gather_tools(), url)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        err.print(f"domain snippet written to {out}")
    if endpoints is not None:
        endpoints.parent.mkdir(parents=True, exist_ok=True)
        endpoints.write_text(yaml.safe_dump(endpoints_snippet(url), sort_keys=False), encoding="utf-8")
        err.print(f"endpoints written to {endpoints}")


__all__ = ["mcp", "rasa_app"]
