"""``dasan voices ...``: import a voice the city has obtained (a Piper .onnx voice, a VITS/MMS-TTS directory or a
Supertonic release), checked by its sha256 and a test sentence, and list the imported ones (:mod:`models.voices`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from dasan.cli.common import console
from dasan.cli.common import fail as _fail
from dasan.cli.common import load_settings as _settings

voices_app = typer.Typer(help="Voices a city brings: import a Piper, VITS/MMS-TTS or Supertonic voice from a local "
                         "path, list them.", no_args_is_help=True)

_SETTING = {"tts-ko": "DASAN_TTS_VOICE_KO", "tts-en": "DASAN_TTS_VOICE_EN"}


@voices_app.command("import")
def voices_import(
    path: Annotated[Path, typer.Argument(help="A Piper .onnx voice (its .onnx.json beside it), a directory "
                                         "holding one or a VITS/MMS-TTS model (config.json, weights, vocab.json), "
                                         "or a Supertonic release's directory (onnx/, voice_styles/) or one of its "
                                         "voice_styles/*.json to speak with that style.")],
    role: Annotated[str, typer.Option(help="What the voice is for: tts-ko (the Korean voice) or tts-en.")],
    sha256: Annotated[Optional[str], typer.Option(help="The sha256 you were given for the voice (a Piper voice: "
                                                  "of its .onnx file; a directory: see docs/voicebot.md); "
                                                  "the import is refused if it differs.")] = None,
    name: Annotated[Optional[str], typer.Option(help="The voice's name in Dasan \\[default: from the file or "
                                                "directory name].")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace an imported voice of the same name.")] = False,
) -> None:
    """Check a voice (engine, sha256, a test sentence) and keep it in the models directory under a name that
    DASAN_TTS_VOICE_KO (or _EN) can take."""
    from models.store import ModelError
    from models.voices import VoiceImportError, import_voice

    settings = _settings()
    try:
        with console.status("hashing, loading and testing the voice"):
            voice = import_voice(path, role, settings.models_dir, sha256=sha256, name=name, replace=replace)
    except ModelError as exc:
        _fail(str(exc), 2 if isinstance(exc, VoiceImportError) and exc.bad_input else 1)
    console.print(f"imported {voice.name} ({voice.engine}, role {voice.role}) into "
                  f"{Path(settings.models_dir) / 'voices' / voice.name}", highlight=False)
    console.print(f"sha256 {voice.sha256}", highlight=False)
    setting = _SETTING[voice.role]
    current = settings.tts_voice_ko if voice.role == "tts-ko" else settings.tts_voice_en
    if current == voice.name:
        console.print(f"{setting} already names it: the server uses it from its next start.", highlight=False)
    else:
        console.print(f"To make it the {'Korean' if voice.role == 'tts-ko' else 'English'} voice, set "
                      "(environment or dasan.toml) and restart the server:", highlight=False)
        console.print(f"  {setting}={voice.name}", highlight=False)


@voices_app.command("list")
def voices_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest's entries as JSON.")] = False,
) -> None:
    """The imported voices: name, role, engine, sha256, where each came from, and which one is in use."""
    import json
    from dataclasses import asdict

    from rich import box

    from models.store import ModelError
    from models.voices import list_voices

    settings = _settings()
    try:
        voices = list_voices(settings.models_dir)
    except ModelError as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps([asdict(voice) for voice in voices], ensure_ascii=False, indent=2))
        return
    if not voices:
        console.print("no imported voices (dasan voices import PATH --role tts-ko)", highlight=False)
        return
    in_use = {settings.tts_voice_ko: "ko", settings.tts_voice_en: "en"}
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("name", "role", "engine", "in use", "sha256", "imported", "source"):
        table.add_column(column, overflow="fold", no_wrap=column in ("name", "role", "engine"))
    for voice in voices:
        table.add_row(voice.name, voice.role, voice.engine, in_use.get(voice.name, ""), voice.sha256[:16],
                      voice.imported_at, voice.source)
    console.print(table)


@voices_app.command("remove")
def voices_remove(
    name: Annotated[str, typer.Argument(help="The imported voice's name (dasan voices list).")],
) -> None:
    """Forget an imported voice and delete its files from the models directory."""
    from models.store import ModelError
    from models.voices import remove_voice

    settings = _settings()
    try:
        remove_voice(name, settings.models_dir)
    except ModelError as exc:
        _fail(str(exc), 2)
    console.print(f"removed {name}", highlight=False)
    if name in (settings.tts_voice_ko, settings.tts_voice_en):
        console.print("a voice setting still names it: set DASAN_TTS_VOICE_KO (or _EN) to another voice",
                      highlight=False)
