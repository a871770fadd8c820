"""``dasan eval voicebot``: real calls over the Twilio-protocol WebSocket with a simulated caller."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dasan.cli_support import err, fail, load_settings
from dasan.commands_chat import _assistant, eval_app


@eval_app.command("voicebot")
def eval_voicebot(
    paraphrases: Annotated[Path, typer.Option(help="JSONL of {query, lang, expected_id}.", exists=True,
                                              dir_okay=False)],
    lang: Annotated[str, typer.Option(help="Language of the queries to speak (en; ko uses espeak-ng, poor).")] = "en",
    calls: Annotated[Optional[int], typer.Option(help="Number of calls (the first N queries of that language).")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Calls at the same time.")] = 1,
    barge_in: Annotated[bool, typer.Option(help="Interrupt each answer to measure barge-in.")] = True,
    echo: Annotated[Optional[float], typer.Option(min=0.0, max=1.0, help="Put the bot's voice back on the caller's "
                                                  "line at this gain (e.g. 0.5), 150 ms late: an echo test.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the result object (as the last line).")] = False,
) -> None:
    """Speak each query as a caller (a bundled voice) into a real call and report accuracy, latency, barge-in."""
    from chatbot.evaluation import EvalFileError, read_jsonl
    from dasan.app import build_model_set
    from voicebot.evaluation import evaluate
    from voicebot.simulated_caller import LineEcho

    try:
        rows = [r for r in read_jsonl(paraphrases, ["query", "expected_id"]) if r.get("lang", lang) == lang]
    except (EvalFileError, OSError) as exc:
        fail(str(exc), 2)
    if calls is not None:
        rows = rows[:calls]
    if not rows:
        fail(f"no {lang!r} queries in {paraphrases}", 2)
    assistant = _assistant()
    models = build_model_set(load_settings())
    progress = Progress(TextColumn("calling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, disable=not sys.stderr.isatty())
    with progress:
        task = progress.add_task("calls", total=len(rows))
        result = evaluate(assistant, models, rows, lang, concurrency, barge_in,
                          progress=lambda: progress.advance(task), echo=LineEcho(gain=echo) if echo else None)
    if not as_json:
        for call in result["calls"]:
            err.print(f"{'ok ' if call['correct'] else 'BAD'} {call['latency_s']}s  heard {call['heard']!r} "
                      f"-> {call['entry']} (expected {call['expected']})", highlight=False)
        for key, value in result.items():
            if key != "calls":
                err.print(f"{key:>18}: {value}", highlight=False)
    print(json.dumps(result, ensure_ascii=False))
