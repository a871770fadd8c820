"""``dasan eval asr``, ``dasan eval diarization`` and ``dasan eval voicebot``: the speech models, the speaker
tracker and real calls measured on labelled files."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from dasan.cli.common import err, open_runtime
from dasan.cli.common import fail as _fail
from dasan.cli.common import load_settings as _settings
from dasan.runtime import build_model_set
from models.asr import BACKENDS


def eval_asr(
    manifest: Annotated[list[Path], typer.Option(help="A manifest.jsonl, or a folder (every manifest.jsonl "
                                                 "below it); repeatable.")],
    backend: Annotated[Optional[str], typer.Option(help="faster-whisper or openai-whisper \\[default: "
                                                   "DASAN_ASR_BACKEND].")] = None,
    streaming: Annotated[bool, typer.Option("--streaming", help="Through the streaming transcriber at simulated "
                                            "real time (adds latency percentiles).")] = False,
    realtime: Annotated[bool, typer.Option("--realtime", help="With --streaming: feed at the real pace "
                                           "(sleeping), not simulated.")] = False,
    beam_size: Annotated[Optional[int], typer.Option(min=1, max=10, help="Beam size \\[default: 5 offline, 1 "
                                                     "streaming].")] = None,
    min_chunk_s: Annotated[float, typer.Option(min=0.1, max=10.0, help="Streaming: decode every this many "
                                               "seconds of new speech.")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the result object (as the last line).")] = False,
    hypotheses: Annotated[bool, typer.Option("--hypotheses", help="Include each file's recognised text.")] = False,
) -> None:
    """Word/character error rates (pooled and per set), speed, and for --streaming the commit latency."""
    from minutes.evaluation import (
        ManifestError,
        evaluate_offline,
        evaluate_streaming,
        read_manifests,
    )
    from models.audio import AudioDecodeError
    from models.store import ModelError
    from speech.transcriber import StreamingOptions, make_transcriber

    if backend is not None and backend not in BACKENDS:
        _fail(f"--backend must be one of {', '.join(BACKENDS)}", 2)
    try:
        items = [i for i in read_manifests(manifest) if i.reference]
    except ManifestError as exc:
        _fail(str(exc), 2)
    if not items:
        _fail("the manifests have no files with transcripts", 2)
    settings = _settings()
    models = build_model_set(settings)
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
    from minutes.speakers import DiarizationOptions
    from models.audio import AudioDecodeError
    from models.store import ModelError

    try:
        items = [i for i in read_manifests(manifest) if i.turns]
    except ManifestError as exc:
        _fail(str(exc), 2)
    if not items:
        _fail("the manifests have no files with speaker turns (rttm or segments)", 2)
    models = build_model_set(_settings())
    options = DiarizationOptions()
    if threshold is not None:
        options = replace(options, threshold=threshold)
    try:
        encoder = models.speaker_encoder()
        result = evaluate_diarization(items, encoder, models.new_vad(), options, collar)
    except (ModelError, AudioDecodeError) as exc:
        _fail(str(exc))
    result["threshold"] = options.threshold
    if not as_json:
        for key, value in result.items():
            err.print(f"{key:>10}: {value}", markup=False, highlight=False)
    print(json.dumps(result, ensure_ascii=False))


def eval_voicebot(
    paraphrases: Annotated[Path, typer.Option(help="JSONL of {query, lang, expected_id}.", exists=True,
                                              dir_okay=False)],
    lang: Annotated[str, typer.Option(help="Language of the queries to speak (en; ko uses espeak-ng, poor).")] = "en",
    calls: Annotated[Optional[int], typer.Option(help="Number of calls (the first N queries of that language).")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Calls at the same time.")] = 1,
    barge_in: Annotated[bool, typer.Option(help="Interrupt each answer to measure barge-in.")] = True,
    echo: Annotated[Optional[float], typer.Option(min=0.0, max=1.0, help="Put the bot's voice back on the caller's "
                                                  "line at this gain (e.g. 0.5), 150 ms late: an echo test.")] = None,
    hesitation: Annotated[float, typer.Option(min=0.0, max=3.0, help="Seconds of silence in the middle of each "
                                              "question (a caller pausing mid-sentence): measures false cut-offs.")]
    = 0.0,
    hesitation_style: Annotated[str, typer.Option(
        help="inner: the pause goes into the question spoken whole (the voice runs on through it); halves: between "
             "its two halves spoken apart (each half ends as a finished sentence does).")] = "inner",
    while_minutes: Annotated[Optional[Path], typer.Option(
        "--while-minutes", exists=True, dir_okay=False,
        help="Keep a minutes upload of this recording transcribing in the server's job worker during the calls.")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the result object (as the last line).")] = False,
) -> None:
    """Speak each query as a caller (a bundled voice) into a real call and report accuracy, latency, barge-in."""
    from chatbot.evaluation import EvalFileError, read_jsonl
    from voicebot.evaluation import HESITATION_STYLES, evaluate
    from voicebot.simulated_caller import LineEcho

    if hesitation_style not in HESITATION_STYLES:
        _fail(f"--hesitation-style {hesitation_style!r}: one of {', '.join(HESITATION_STYLES)}", 2)
    try:
        rows = [r for r in read_jsonl(paraphrases, ["query", "expected_id"]) if r.get("lang", lang) == lang]
    except (EvalFileError, OSError) as exc:
        _fail(str(exc), 2)
    if calls is not None:
        rows = rows[:calls]
    if not rows:
        _fail(f"no {lang!r} queries in {paraphrases}", 2)
    from dasan.app import create_app
    from dasan.serving import serve_in_thread

    from dasan.minutes_load import MinutesLoad

    if while_minutes is not None and not _settings().jobs_in_process:
        _fail("--while-minutes runs the uploads in the server's own job worker: set DASAN_JOBS_IN_PROCESS=true", 2)
    runtime = open_runtime(assistant=True)
    progress = Progress(TextColumn("calling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, disable=not sys.stderr.isatty())
    with runtime, serve_in_thread(create_app(runtime=runtime), ws="websockets-sansio") as server, progress:
        task = progress.add_task("calls", total=len(rows))
        load = MinutesLoad(runtime, while_minutes) if while_minutes is not None else contextlib.nullcontext()
        with load:
            result = evaluate(server, runtime.models, rows, runtime.calls.get, lang,
                              concurrency, barge_in, progress=lambda: progress.advance(task),
                              echo=LineEcho(gain=echo) if echo else None, hesitation=hesitation,
                              hesitation_style=hesitation_style)
        result["minutes_load"] = load.summary() if while_minutes is not None else None
    if not as_json:
        for call in result["calls"]:
            err.print(f"{'ok ' if call['correct'] else 'BAD'} {call['latency_s']}s  heard {call['heard']!r} "
                      f"-> {call['entry']} (expected {call['expected']})", highlight=False)
        for key, value in result.items():
            if key != "calls":
                err.print(f"{key:>18}: {value}", highlight=False)
    print(json.dumps(result, ensure_ascii=False))
