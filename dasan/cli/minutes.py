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
    dataset_consent: Annotated[bool, typer.Option("--dataset-consent", help="The speakers consented to the city's "
                                                  "speech dataset: keep the recording (see export-dataset).")] = False,
) -> None:
    """Transcribe a recording into minutes, with a progress bar; prints the transcript (or writes --output)."""
    if dataset_consent and not save:
        _fail("--dataset-consent keeps the recording with the stored meeting; it cannot go with --no-save", 2)
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
        _transcribe(runtime, file, fmt, language, backend, glossary, title, speakers, output, save, compose,
                    dataset_consent)


def _transcribe(runtime, file: Path, fmt, language, backend, glossary, title, speakers, output, save,
                compose, dataset_consent: bool = False) -> None:
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
                             glossary=glossary, speakers=speakers, compose=method, dataset_consent=dataset_consent)
    progress = Progress(TextColumn("transcribing"), BarColumn(), TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
                        TimeElapsedColumn(), TimeRemainingColumn(), console=err, disable=not sys.stderr.isatty())
    try:
        with progress:
            task = progress.add_task("audio", total=duration or None)
            meeting = transcribe_file(file, service.models, request,
                                      progress=lambda done: progress.update(task, completed=done))
    except (AudioDecodeError, FileTooLongError, ModelError) as exc:
        _fail(str(exc), 2 if not isinstance(exc, ModelError) else 1)
    if save and dataset_consent:
        meeting.audio_path = str(service.keep_audio(file, meeting.id))
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
    form: Annotated[bool, typer.Option("--form", help="The Korean government minutes form (회의록 서식: approval "
                                                      "boxes, overview, decisions, actions); needs a .docx output.")]
    = False,
) -> None:
    """Write a stored meeting's minutes in the format of the output's extension."""
    from dasan.settings import get_settings
    from minutes.exports import export

    fmt = output.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        _fail(f"cannot tell the format of {output.name}; use one of .{', .'.join(FORMATS)}", 2)
    if form:
        if fmt != "docx":
            _fail(f"--form writes a DOCX; name the output .docx, not {output.name}", 2)
        fmt = "form.docx"
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


@minutes_app.command("consent")
def consent(
    meeting_id: Annotated[str, typer.Argument(help="A meeting id (see `dasan minutes list`).")],
    withdraw: Annotated[bool, typer.Option("--withdraw", help="Withdraw the consent (deletes the kept "
                                           "recording).")] = False,
) -> None:
    """Record that a meeting's speakers consented to the city's speech dataset (or withdraw it)."""
    from minutes.store import MeetingNotFound

    with runtime_of() as runtime:
        try:
            meeting = runtime.minutes.set_consent(meeting_id, not withdraw)
        except MeetingNotFound as exc:
            _fail(str(exc), 2)
    if withdraw:
        err.print(f"[green]✓[/] consent withdrawn for meeting {meeting.id}; its kept recording is deleted")
    elif meeting.audio_path:
        err.print(f"[green]✓[/] meeting {meeting.id} is consented for the speech dataset")
    else:
        err.print(f"[yellow]![/] meeting {meeting.id} is consented, but its recording was not kept (only a recording "
                  "uploaded or transcribed with consent is kept), so export-dataset cannot include it")


@minutes_app.command("export-dataset")
def export_dataset_command(
    out_dir: Annotated[Path, typer.Argument(help="An empty or new folder for the corpus.")],
    meeting: Annotated[Optional[list[str]], typer.Option("--meeting", help="A consented meeting to export "
                                                         "(repeatable) \\[default: every consented meeting "
                                                         "with its recording kept].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Write consented meetings as an ASR corpus: utterance FLACs, manifest.jsonl, Kaldi lists, DATASHEET.md
    (personal data masked in the text and silenced in the audio, speakers pseudonymised)."""
    from minutes.dataset import DatasetError, export_dataset, exportable
    from minutes.store import MeetingNotFound

    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        _fail(f"{out_dir} exists and is not an empty folder", 2)
    with runtime_of() as runtime:
        store = runtime.minutes.store
        if meeting:
            chosen = []
            for meeting_id in dict.fromkeys(meeting):
                try:
                    found = store.get(meeting_id)
                except MeetingNotFound as exc:
                    _fail(str(exc), 2)
                reason = exportable(found)
                if reason:
                    _fail(reason, 2)
                chosen.append(found)
        else:
            chosen = [m for m in (store.get(row["id"]) for row in store.list(1_000_000) if row["consented"])
                      if exportable(m) is None]
            if not chosen:
                _fail("no meeting is consented with its recording kept (`dasan minutes transcribe FILE "
                      "--dataset-consent`, or upload with dataset_consent=true)", 2)
    chosen.sort(key=lambda m: m.created)
    total = sum(len(m.segments) for m in chosen)
    bar = Progress(TextColumn("exporting"), BarColumn(), TextColumn("{task.completed}/{task.total} segments"),
                   TimeElapsedColumn(), TimeRemainingColumn(), console=err, disable=not sys.stderr.isatty())
    try:
        with bar:
            task = bar.add_task("export", total=total)
            report = export_dataset(chosen, out_dir, progress=lambda done: bar.update(task, completed=done))
    except (DatasetError, OSError) as exc:
        _fail(str(exc), 1)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    err.print(f"[green]✓[/] wrote {report.utterances} utterances ({report.seconds / 3600:.2f} h) of "
              f"{len(report.meetings)} meeting(s) to {out_dir} ({report.masked_utterances} masked and silenced, "
              f"{report.left_out} left out: personal data not located in the audio)", highlight=False)


def _stored(meeting_id: str):
    from minutes.store import MeetingNotFound

    with runtime_of() as runtime:
        try:
            return runtime.minutes.store.get(meeting_id)
        except MeetingNotFound as exc:
            _fail(str(exc), 2)
