"""``dasan minutes ...``: transcribe a recording, compose, list, show, export and search stored meetings (the
same minutes service and database as the server)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from dasan.cli.common import console, err, runtime_of
from dasan.cli.common import fail as _fail
from models.asr import BACKENDS

minutes_app = typer.Typer(help="AI minutes: transcribe meetings (Korean or English), speakers, minutes documents.",
                          no_args_is_help=True)

FORMATS = ("md", "docx", "srt", "vtt", "json", "txt")


def _check_choice(value: Optional[str], choices: tuple, name: str) -> None:
    if value is not None and value not in choices:
        _fail(f"{name} must be one of {', '.join(c for c in choices if c)}", 2)


@minutes_app.command("transcribe")
def transcribe(
    file: Annotated[Path, typer.Argument(help="An audio or video file (any common format).")],
    language: Annotated[Optional[str], typer.Option(help="ko or en \\[default: detected].")] = None,
    backend: Annotated[Optional[str], typer.Option(help="faster-whisper or openai-whisper \\[default: "
                                                   "DASAN_ASR_BACKEND].")] = None,
    glossary: Annotated[Optional[str], typer.Option(help="Names and terms to spell right, comma-separated.")] = None,
    title: Annotated[Optional[str], typer.Option(help="The meeting's title \\[default: the file name].")] = None,
    speakers: Annotated[bool, typer.Option("--speakers/--no-speakers", help="Tell speakers apart.")] = True,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the minutes here (format from "
                                                   "the extension: .md .docx .srt .vtt .json .txt).")] = None,
    save: Annotated[bool, typer.Option("--save/--no-save", help="Store the meeting (searchable later).")] = True,
    compose: Annotated[str, typer.Option(help="How the minutes are written: auto (the local LLM when it is "
                                         "installed), llm or extractive.")] = "auto",
) -> None:
    """Transcribe a recording into minutes, with a progress bar; prints the transcript (or writes --output)."""
    _check_choice(language, ("ko", "en"), "--language")
    _check_choice(backend, BACKENDS, "--backend")
    fmt = None
    if output is not None:
        fmt = output.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            _fail(f"cannot tell the format of {output.name}; use one of .{', .'.join(FORMATS)}", 2)
    if not file.is_file():
        _fail(f"no such file: {file}", 2)
    with runtime_of() as runtime:
        _transcribe(runtime, file, fmt, language, backend, glossary, title, speakers, output, save, compose)


def _transcribe(runtime, file: Path, fmt, language, backend, glossary, title, speakers, output, save,
                compose) -> None:
    from minutes.exports import export
    from minutes.pipeline import FileTooLongError, MeetingRequest, transcribe_file
    from models.audio import AudioDecodeError
    from models.store import ModelError
    from speech.audio import probe_duration

    service = runtime.minutes
    method = _compose_method(compose, service)
    try:
        duration = probe_duration(file)
    except AudioDecodeError as exc:
        _fail(str(exc), 2)
    request = MeetingRequest(title=title or file.stem, language=language, backend=backend,
                             glossary=glossary, speakers=speakers, compose=method)
    progress = Progress(TextColumn("transcribing"), BarColumn(), TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
                        TimeElapsedColumn(), TimeRemainingColumn(), console=err, disable=not sys.stderr.isatty())
    try:
        with progress:
            task = progress.add_task("audio", total=duration or None)
            meeting = transcribe_file(file, service.models, request,
                                      progress=lambda done: progress.update(task, completed=done))
    except (AudioDecodeError, FileTooLongError, ModelError) as exc:
        _fail(str(exc), 2 if not isinstance(exc, ModelError) else 1)
    if save:
        service.store.save(meeting)  # the transcript is kept before the (slower) composing
    _compose_into(meeting, method, service)
    if save:
        service.store.save(meeting)
        err.print(f"[dim]saved as meeting {meeting.id} (`dasan minutes show {meeting.id}`)[/]")
    if output is not None:
        output.write_bytes(export(meeting, fmt, service.options.time_zone))
        err.print(f"[green]✓[/] wrote {output}")
    else:
        transcript = export(meeting, "txt", service.options.time_zone).decode("utf-8")
        console.print(transcript, markup=False, highlight=False)


def _compose_method(compose: str, service) -> str:
    from minutes.compose import LLMUnavailable

    try:
        return service.check_method(compose)
    except (ValueError, LLMUnavailable) as exc:
        _fail(str(exc), 2)


def _compose_into(meeting, method: str, service) -> None:
    """Write the meeting's minutes by ``method`` with a progress bar and say what wrote them."""
    from minutes.compose import LLMUnavailable, compose_minutes

    bar = Progress(TextColumn("composing the minutes"), BarColumn(), TextColumn("{task.completed}/{task.total} parts"),
                   TimeElapsedColumn(), console=err, disable=not sys.stderr.isatty())
    try:
        with bar:
            task = bar.add_task("compose", total=None)
            meeting.minutes = compose_minutes(meeting, method, service.models, service.options.llm_enabled,
                                              service.options.compose,
                                              progress=lambda done, total: bar.update(task, completed=done,
                                                                                      total=total))
    except LLMUnavailable as exc:
        _fail(str(exc), 2)
    info = meeting.minutes.composition
    detail = f" ({info['reason']})" if info.get("reason") and info["reason"] != "requested" else ""
    if "kept" in info:
        detail = (f" ({info['kept']} of {info['proposed']} proposed items verified, {info['fallback_chunks']} of "
                  f"{info['chunks']} parts extractive, {info['seconds']} s)")
    err.print(f"[dim]minutes by {meeting.minutes.composed_by}{detail}[/]", highlight=False)


@minutes_app.command("compose")
def compose_meeting(
    meeting_id: Annotated[str, typer.Argument(help="A meeting id (see `dasan minutes list`).")],
    compose: Annotated[str, typer.Option(help="auto, llm or extractive.")] = "llm",
) -> None:
    """Write a stored meeting's minutes again (with the local LLM by default) and print them."""
    from minutes.exports import export
    from minutes.store import MeetingNotFound

    with runtime_of() as runtime:
        service = runtime.minutes
        method = _compose_method(compose, service)
        try:
            meeting = service.store.get(meeting_id)
        except MeetingNotFound as exc:
            _fail(str(exc), 2)
        _compose_into(meeting, method, service)
        service.store.save(meeting)
    minutes = export(meeting, "md", service.options.time_zone).decode("utf-8")
    console.print(minutes, markup=False, highlight=False)


@minutes_app.command("list")
def list_meetings(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The stored meetings, newest first."""
    with runtime_of() as runtime:
        rows = runtime.minutes.store.list()
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        console.print(f"{row['id']}  {row['created'][:16]}  {row['duration_s']:>7.0f} s  {row['language'] or '-'}  "
                      f"{row['title']}", markup=False, highlight=False)


@minutes_app.command("export")
def export_meeting(
    meeting_id: Annotated[str, typer.Argument(help="A meeting id (see `dasan minutes list`).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (.md .docx .srt .vtt .json .txt).")],
) -> None:
    """Write a stored meeting's minutes in the format of the output's extension."""
    from dasan.settings import get_settings
    from minutes.exports import export

    fmt = output.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        _fail(f"cannot tell the format of {output.name}; use one of .{', .'.join(FORMATS)}", 2)
    meeting = _stored(meeting_id)
    output.write_bytes(export(meeting, fmt, get_settings().time_zone))
    err.print(f"[green]✓[/] wrote {output}")


@minutes_app.command("show")
def show(meeting_id: Annotated[str, typer.Argument(help="A meeting id.")]) -> None:
    """Print a stored meeting's minutes (Markdown)."""
    from dasan.settings import get_settings
    from minutes.exports import export

    meeting = _stored(meeting_id)
    minutes = export(meeting, "md", get_settings().time_zone).decode("utf-8")
    console.print(minutes, markup=False, highlight=False)


@minutes_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Words to look for (Korean or English).")],
    k: Annotated[int, typer.Option(min=1, max=100)] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Find past meetings by what was said in them."""
    from models.store import ModelError

    with runtime_of() as runtime:
        try:
            hits = runtime.minutes.search(query, k=k)
        except (ModelError, ValueError) as exc:
            _fail(str(exc))
    if as_json:
        print(json.dumps(hits, ensure_ascii=False))
        return
    for hit in hits:
        console.print(f"{hit['meeting_id']}  {hit['title']}  [{hit['start']:.0f} s]  {hit['text']}",
                      markup=False, highlight=False)


def _stored(meeting_id: str):
    from minutes.store import MeetingNotFound

    with runtime_of() as runtime:
        try:
            return runtime.minutes.store.get(meeting_id)
        except MeetingNotFound as exc:
            _fail(str(exc), 2)
