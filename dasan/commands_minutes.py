"""``dasan minutes ...`` (transcribe a recording, list/show/export/search stored meetings) and ``dasan eval asr`` /
``dasan eval diarization`` (hung on the shared ``eval`` sub-app)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from dasan.cli_support import console, err, fail as _fail, load_settings as _settings
from dasan.commands_chat import eval_app

minutes_app = typer.Typer(help="AI minutes: transcribe meetings (Korean or English), speakers, minutes documents.",
                          no_args_is_help=True)

FORMATS = ("md", "docx", "srt", "vtt", "json", "txt")


def _models(settings):
    from dasan.app import build_model_set

    return build_model_set(settings)


def _check_choice(value: Optional[str], choices: tuple, name: str) -> None:
    if value is not None and value not in choices:
        _fail(f"{name} must be one of {', '.join(c for c in choices if c)}", 2)


@minutes_app.command("transcribe")
def transcribe(
    file: Annotated[Path, typer.Argument(help="An audio or video file (any common format).")],
    language: Annotated[Optional[str], typer.Option(help="ko or en [default: detected].")] = None,
    backend: Annotated[Optional[str], typer.Option(help="faster-whisper or openai-whisper [default: "
                                                   "DASAN_ASR_BACKEND].")] = None,
    glossary: Annotated[Optional[str], typer.Option(help="Names and terms to spell right, comma-separated.")] = None,
    title: Annotated[Optional[str], typer.Option(help="The meeting's title [default: the file name].")] = None,
    speakers: Annotated[bool, typer.Option("--speakers/--no-speakers", help="Tell speakers apart.")] = True,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the minutes here (format from "
                                                   "the extension: .md .docx .srt .vtt .json .txt).")] = None,
    save: Annotated[bool, typer.Option("--save/--no-save", help="Store the meeting (searchable later).")] = True,
    compose: Annotated[str, typer.Option(help="How the minutes are written: auto (the local LLM when it is "
                                         "installed), llm or extractive.")] = "auto",
) -> None:
    """Transcribe a recording into minutes, with a progress bar; prints the transcript (or writes --output)."""
    from minutes.audio import probe_duration
    from minutes.exports import export
    from minutes.pipeline import FileTooLongError, MeetingRequest, transcribe_file
    from models.audio import AudioDecodeError
    from models.store import ModelError

    _check_choice(language, ("ko", "en"), "--language")
    _check_choice(backend, ("faster-whisper", "openai-whisper"), "--backend")
    fmt = None
    if output is not None:
        fmt = output.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            _fail(f"cannot tell the format of {output.name}; use one of .{', .'.join(FORMATS)}", 2)
    if not file.is_file():
        _fail(f"no such file: {file}", 2)
    settings = _settings()
    models = _models(settings)
    method = _compose_method(compose, models, settings)
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
            meeting = transcribe_file(file, models, request, settings=settings,
                                      progress=lambda done: progress.update(task, completed=done))
    except (AudioDecodeError, FileTooLongError, ModelError) as exc:
        _fail(str(exc), 2 if not isinstance(exc, ModelError) else 1)
    store = None
    if save:
        from minutes.store import open_store

        store = open_store(settings)
        store.save(meeting)  # the transcript is kept before the (slower) composing
    _compose_into(meeting, method, models, settings)
    if store is not None:
        store.save(meeting)
        err.print(f"[dim]saved as meeting {meeting.id} (`dasan minutes show {meeting.id}`)[/]")
    if output is not None:
        output.write_bytes(export(meeting, fmt))
        err.print(f"[green]✓[/] wrote {output}")
    else:
        console.print(export(meeting, "txt").decode("utf-8"), markup=False, highlight=False)


def _compose_method(compose: str, models, settings) -> str:
    from minutes.compose import LLMUnavailable, check_method

    try:
        return check_method(compose, models, settings)
    except (ValueError, LLMUnavailable) as exc:
        _fail(str(exc), 2)


def _compose_into(meeting, method: str, models, settings) -> None:
    """Write the meeting's minutes by ``method`` with a progress bar and say what wrote them."""
    from minutes.compose import LLMUnavailable, compose_minutes

    bar = Progress(TextColumn("composing the minutes"), BarColumn(), TextColumn("{task.completed}/{task.total} parts"),
                   TimeElapsedColumn(), console=err, disable=not sys.stderr.isatty())
    try:
        with bar:
            task = bar.add_task("compose", total=None)
            meeting.minutes = compose_minutes(meeting, method, models, settings,
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
    from minutes.store import MeetingNotFound, open_store

    settings = _settings()
    models = _models(settings)
    method = _compose_method(compose, models, settings)
    store = open_store(settings)
    try:
        meeting = store.get(meeting_id)
    except MeetingNotFound as exc:
        _fail(str(exc), 2)
    _compose_into(meeting, method, models, settings)
    store.save(meeting)
    console.print(export(meeting, "md").decode("utf-8"), markup=False, highlight=False)


@minutes_app.command("list")
def list_meetings(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The stored meetings, newest first."""
    from minutes.store import open_store

    rows = open_store(_settings()).list()
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
    from minutes.exports import export
    from minutes.store import MeetingNotFound, open_store

    fmt = output.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        _fail(f"cannot tell the format of {output.name}; use one of .{', .'.join(FORMATS)}", 2)
    try:
        meeting = open_store(_settings()).get(meeting_id)
    except MeetingNotFound as exc:
        _fail(str(exc), 2)
    output.write_bytes(export(meeting, fmt))
    err.print(f"[green]✓[/] wrote {output}")


@minutes_app.command("show")
def show(meeting_id: Annotated[str, typer.Argument(help="A meeting id.")]) -> None:
    """Print a stored meeting's minutes (Markdown)."""
    from minutes.exports import export
    from minutes.store import MeetingNotFound, open_store

    try:
        meeting = open_store(_settings()).get(meeting_id)
    except MeetingNotFound as exc:
        _fail(str(exc), 2)
    console.print(export(meeting, "md").decode("utf-8"), markup=False, highlight=False)


@minutes_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Words to look for (Korean or English).")],
    k: Annotated[int, typer.Option(min=1, max=100)] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Find past meetings by what was said in them."""
    from minutes.store import open_store
    from models.store import ModelError

    settings = _settings()
    try:
        hits = open_store(settings).search(query, _models(settings).embedder(), k=k)
    except (ModelError, ValueError) as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(hits, ensure_ascii=False))
        return
    for hit in hits:
        console.print(f"{hit['meeting_id']}  {hit['title']}  [{hit['start']:.0f} s]  {hit['text']}",
                      markup=False, highlight=False)


# ------------------------------------------------------------------------------------------------ eval commands
@eval_app.command("asr")
def eval_asr(
    manifest: Annotated[list[Path], typer.Option(help="A manifest.jsonl, or a folder (every manifest.jsonl "
                                                 "below it); repeatable.")],
    backend: Annotated[Optional[str], typer.Option(help="faster-whisper or openai-whisper [default: "
                                                   "DASAN_ASR_BACKEND].")] = None,
    streaming: Annotated[bool, typer.Option("--streaming", help="Through the streaming transcriber at simulated "
                                            "real time (adds latency percentiles).")] = False,
    realtime: Annotated[bool, typer.Option("--realtime", help="With --streaming: feed at the real pace "
                                           "(sleeping), not simulated.")] = False,
    beam_size: Annotated[Optional[int], typer.Option(min=1, max=10, help="Beam size [default: 5 offline, 1 "
                                                     "streaming].")] = None,
    min_chunk_s: Annotated[float, typer.Option(min=0.1, max=10.0, help="Streaming: decode every this many "
                                               "seconds of new speech.")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the result object (as the last line).")] = False,
    hypotheses: Annotated[bool, typer.Option("--hypotheses", help="Include each file's recognised text.")] = False,
) -> None:
    """Word/character error rates (pooled and per set), speed, and for --streaming the commit latency."""
    from minutes.evaluation import ManifestError, evaluate_offline, evaluate_streaming, read_manifests
    from minutes.transcriber import StreamingOptions, make_transcriber
    from models.audio import AudioDecodeError
    from models.store import ModelError

    _check_choice(backend, ("faster-whisper", "openai-whisper"), "--backend")
    try:
        items = [i for i in read_manifests(manifest) if i.reference]
    except ManifestError as exc:
        _fail(str(exc), 2)
    if not items:
        _fail("the manifests have no files with transcripts", 2)
    settings = _settings()
    models = _models(settings)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                        TimeElapsedColumn(), console=err, disable=not sys.stderr.isatty())
    try:
        with progress:
            task = progress.add_task("streaming" if streaming else "transcribing", total=len(items))
            advance = lambda item: progress.advance(task)  # noqa: E731
            if streaming:
                beam = beam_size or 1

                def make(language: str):
                    return make_transcriber(models, backend, StreamingOptions(language=language, beam_size=beam,
                                                                              min_chunk_s=min_chunk_s))

                make("en").processor.decoder.warm_up()
                result = evaluate_streaming(items, make, realtime=realtime, progress=advance)
                result.update({"backend": backend or settings.asr_backend, "beam_size": beam,
                               "min_chunk_s": min_chunk_s})
            else:
                result = evaluate_offline(items, models.transcriber(backend), beam_size=beam_size or 5,
                                          progress=advance)
    except (ModelError, AudioDecodeError) as exc:
        _fail(str(exc))
    if not hypotheses:
        result.pop("hypotheses", None)
    result["threads"] = settings.threads
    if not as_json:
        for key, value in result.items():
            err.print(f"{key:>15}: {value}", markup=False, highlight=False)
    print(json.dumps(result, ensure_ascii=False))


@eval_app.command("diarization")
def eval_diarization(
    manifest: Annotated[list[Path], typer.Option(help="A manifest.jsonl with RTTM turns, or a folder; repeatable.")],
    collar: Annotated[float, typer.Option(min=0.0, max=2.0, help="Unscored seconds around each reference "
                                          "boundary.")] = 0.25,
    threshold: Annotated[Optional[float], typer.Option(min=0.01, max=1.0, help="Clustering distance "
                                                       "threshold.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the result object (as the last line).")] = False,
) -> None:
    """Diarization error rate (missed speech + false alarm + confusion) over files that have speaker turns."""
    from dataclasses import replace

    from minutes.evaluation import ManifestError, evaluate_diarization, read_manifests
    from minutes.speakers import DiarizationOptions, load_encoder
    from models.audio import AudioDecodeError
    from models.store import ModelError

    try:
        items = [i for i in read_manifests(manifest) if i.turns]
    except ManifestError as exc:
        _fail(str(exc), 2)
    if not items:
        _fail("the manifests have no files with speaker turns (rttm or segments)", 2)
    settings = _settings()
    models = _models(settings)
    options = DiarizationOptions()
    if threshold is not None:
        options = replace(options, threshold=threshold)
    try:
        encoder = load_encoder(settings.speaker_model, models.store, settings.threads)
        result = evaluate_diarization(items, encoder, models.new_vad(), options, collar)
    except (ModelError, AudioDecodeError) as exc:
        _fail(str(exc))
    result["threshold"] = options.threshold
    if not as_json:
        for key, value in result.items():
            err.print(f"{key:>10}: {value}", markup=False, highlight=False)
    print(json.dumps(result, ensure_ascii=False))
