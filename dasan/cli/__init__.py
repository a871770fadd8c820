"""The ``dasan`` command: a thin layer over the library, one module per command group, every command opening the
same :class:`~dasan.runtime.Runtime` the server runs."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from dasan import __version__
from dasan.cli.chat import chat
from dasan.cli.common import console
from dasan.cli.eval_chat import eval_chatbot, eval_tools
from dasan.cli.eval_speech import eval_asr, eval_diarization, eval_voicebot
from dasan.cli.index import index_app
from dasan.cli.iot import iot_app
from dasan.cli.minutes import minutes_app
from dasan.cli.models import models_app
from dasan.cli.opendata import opendata_app
from dasan.cli.ray import ray_app
from dasan.cli.serve import serve
from dasan.cli.staff import staff_app
from dasan.cli.tools import mcp, rasa_app
from dasan.cli.vote import vote_app
from dasan.cli.voices import voices_app
from dasan.cli.worker import worker

app = typer.Typer(
    help="Dasan: the city's AI assistant and speech services (120 call center, minutes, voicebot, civic services).",
    no_args_is_help=True,
    add_completion=False,
)
eval_app = typer.Typer(help="Measure the assistant and the speech models on labelled files.", no_args_is_help=True)
for name, command in (("chatbot", eval_chatbot), ("tools", eval_tools), ("asr", eval_asr),
                      ("diarization", eval_diarization), ("voicebot", eval_voicebot)):
    eval_app.command(name)(command)

app.command()(serve)
app.command()(worker)
app.command()(chat)
app.command("mcp")(mcp)
for name, group in (("models", models_app), ("index", index_app), ("eval", eval_app), ("minutes", minutes_app),
                    ("opendata", opendata_app), ("staff", staff_app), ("iot", iot_app), ("vote", vote_app),
                    ("rasa", rasa_app), ("ray", ray_app), ("voices", voices_app)):
    app.add_typer(group, name=name)


def _version(value: bool) -> None:
    if value:
        console.print(f"dasan {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print the version and exit.")] = None,
) -> None:
    """Settings come from DASAN_* environment variables, DATABASE_URL, and an optional dasan.toml."""


def main() -> None:
    app()
