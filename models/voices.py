"""Voices a city brings: imported from a local path, checked, and kept in the models directory.

``import_voice`` takes a Piper voice (an ``.onnx`` file with its ``.onnx.json`` beside it, or a directory holding
one), a VITS/MMS-TTS directory in transformers' format (``config.json`` with ``model_type`` ``vits``) or a
Supertonic release (its directory, or one of its ``voice_styles/<name>.json`` to speak with that style; the whole
release is kept either way, :mod:`models.supertonic`), hashes it, compares the hash with the one the city was
given (``sha256``), loads it and synthesises a short sentence in the role's language (the audio must be
non-empty, finite and not silent), and only then moves it to ``<models_dir>/voices/<name>/`` and records it in
``<models_dir>/voices/voices.json``. A failure leaves neither files nor a manifest entry behind. ``load_tts``
(:mod:`models.tts`) then takes the voice's name as a reference, so ``DASAN_TTS_VOICE_KO=<name>`` makes it the
Korean voice.

The hash: of a Piper voice, the sha256 of its ``.onnx`` file (what ``sha256sum voice.onnx`` prints and what
voice publishers list); of a directory (a VITS directory, a Supertonic release, also when one of its style files
was given), the sha256 of the lines ``<sha256>  <relative path>\\n`` of its files sorted by path, hidden files
left out, which is what
``cd DIR && find . -type f ! -path '*/.*' -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum``
prints.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from models.registry import MODELS
from models.store import ModelError, sha256_file

VOICES_DIR = "voices"
MANIFEST = "voices.json"
# What each role is for, and the sentence a voice of that role must be able to say to be imported.
ROLES = {
    "tts-ko": "안녕하세요. 다산 콜센터입니다.",
    "tts-en": "Hello. This is the city's help line.",
}
# The language each role's voice speaks (the tags a multilingual Supertonic voice wraps the test sentence in).
ROLE_LANGUAGES = {"tts-ko": "ko", "tts-en": "en"}
ENGINES = ("piper", "vits", "supertonic")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class VoiceImportError(ModelError):
    """A voice cannot be imported; the message says why. ``bad_input``: the request itself was wrong (a role, a
    name, a hash), not the voice."""

    def __init__(self, message: str, bad_input: bool = False):
        super().__init__(message)
        self.bad_input = bad_input


@dataclass(frozen=True)
class ImportedVoice:
    name: str
    role: str
    engine: str  # "piper", "vits" or "supertonic"
    sha256: str
    source: str  # the path it was imported from
    imported_at: str  # ISO 8601, UTC
    entry: str  # what the engine opens, relative to the voice's directory ("." for a directory, or a style file)
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256

    def location(self, models_dir: str | Path) -> Path:
        """The file or directory the engine opens."""
        return voices_dir(models_dir) / self.name / self.entry


@dataclass(frozen=True)
class FoundVoice:
    """What a path holds: the engine, the directory its files are taken from, those files, the engine's entry."""

    engine: str
    root: Path
    files: tuple[str, ...]  # relative to root
    entry: str  # relative to root


def voices_dir(models_dir: str | Path) -> Path:
    return Path(models_dir).expanduser() / VOICES_DIR


# ----------------------------------------------------------------------------------------------- detection


def _dir_files(root: Path) -> tuple[str, ...]:
    files = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file():  # follows links (a hub cache's snapshot links its blobs)
            files.append(relative.as_posix())
    return tuple(sorted(files, key=lambda name: name.encode()))


def detect(path: str | Path) -> FoundVoice:
    """The engine and files of the voice at ``path``, or :class:`VoiceImportError` saying what was expected."""
    from models.supertonic import is_supertonic_dir, is_supertonic_style
    from models.tts import is_vits_dir, piper_voice_in

    path = Path(path).expanduser()
    if not path.exists():
        raise VoiceImportError(f"{path} does not exist")
    if is_supertonic_style(path):
        return _supertonic(path.parent.parent, path.relative_to(path.parent.parent).as_posix())
    if is_supertonic_dir(path):
        return _supertonic(path, ".")
    if path.is_file() and path.name.endswith(".onnx.json"):
        path = path.with_name(path.name[: -len(".json")])
    if path.is_file():
        if path.suffix == ".onnx" and is_supertonic_dir(path.parent):
            raise VoiceImportError(f"{path} is one of a Supertonic release's models: import the release's directory "
                                   "(the one holding onnx/ and voice_styles/)")
        if path.suffix != ".onnx":
            raise VoiceImportError(f"{path} is not a voice Dasan can load: a file must be a Piper .onnx voice")
        config = path.with_name(path.name + ".json")
        if not config.is_file():
            raise VoiceImportError(f"{path} is a .onnx file without its Piper config {config.name} beside it")
        return FoundVoice("piper", path.parent, (path.name, config.name), path.name)
    if is_vits_dir(path):
        files = _dir_files(path)
        if not any(name in files for name in ("model.safetensors", "pytorch_model.bin")):
            raise VoiceImportError(f"{path} has a VITS config.json but no weights (model.safetensors)")
        if "vocab.json" not in files:
            raise VoiceImportError(f"{path} has a VITS model but no tokenizer (vocab.json)")
        return FoundVoice("vits", path, files, ".")
    voice = piper_voice_in(path)
    if voice is not None:
        return FoundVoice("piper", path, (voice.name, voice.name + ".json"), voice.name)
    raise VoiceImportError(f"{path} is not a voice Dasan can load: expected a Piper .onnx file with its .onnx.json, "
                           "a VITS/MMS-TTS directory (config.json with model_type 'vits', the weights and "
                           "vocab.json) or a Supertonic release (onnx/ with its four models, tts.json and "
                           "unicode_indexer.json, and voice_styles/)")


def _supertonic(release: Path, entry: str) -> FoundVoice:
    from models.supertonic import missing_files

    missing = missing_files(release)
    if missing:
        raise VoiceImportError(f"{release} is a Supertonic release missing {', '.join(missing)}")
    return FoundVoice("supertonic", release, _dir_files(release), entry)


# ----------------------------------------------------------------------------------------------- hashing


def file_hashes(root: Path, files: tuple[str, ...]) -> dict[str, str]:
    return {name: sha256_file(root / name) for name in files}


def voice_digest(found: FoundVoice, hashes: dict[str, str]) -> str:
    """The voice's sha256 (see the module's docstring for how it is made)."""
    if found.engine == "piper":
        return hashes[found.entry]
    listing = "".join(f"{hashes[name]}  {name}\n" for name in sorted(hashes, key=lambda n: n.encode()))
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------------------------- manifest


def _read_manifest(directory: Path) -> dict[str, dict]:
    path = directory / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ModelError(f"{path} is not valid JSON ({exc}); fix or remove it") from None
    return {entry["name"]: entry for entry in data.get("voices", [])}


def _write_manifest(directory: Path, entries: dict[str, dict]) -> None:
    text = json.dumps({"voices": [entries[name] for name in sorted(entries)]}, ensure_ascii=False, indent=2)
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(text + "\n")
    os.replace(tmp, directory / MANIFEST)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def list_voices(models_dir: str | Path) -> list[ImportedVoice]:
    """The imported voices, by name."""
    entries = _read_manifest(voices_dir(models_dir))
    return [ImportedVoice(**entries[name]) for name in sorted(entries)]


def find_voice(name: str, models_dir: str | Path) -> ImportedVoice | None:
    """The imported voice called ``name`` whose files are in place, or None."""
    directory = voices_dir(models_dir)
    if not _NAME.match(name) or not (directory / MANIFEST).is_file():
        return None
    entry = _read_manifest(directory).get(name)
    if entry is None:
        return None
    voice = ImportedVoice(**entry)
    if not voice.location(models_dir).exists():
        raise ModelError(f"imported voice {name!r} is in {directory / MANIFEST} but its files are missing from "
                         f"{directory / name}; import it again (dasan voices import)")
    return voice


# ----------------------------------------------------------------------------------------------- import


def default_name(found: FoundVoice, source: Path) -> str:
    if found.engine == "piper":
        stem = found.entry[: -len(".onnx")]
    elif found.engine == "supertonic" and found.entry != ".":
        stem = f"{found.root.name}-{Path(found.entry).stem}"  # the release and its style: supertonic-2-f1
    else:
        stem = source.name
    name = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-._")[:64]
    return name or "voice"


def check_speech(engine, sentence: str) -> float:
    """Synthesise ``sentence``; the audio's duration in seconds, or :class:`VoiceImportError` if it is empty,
    not finite or silent."""
    try:
        speech = engine.synthesize(sentence)
    except Exception as exc:
        raise VoiceImportError(f"the voice could not synthesise a test sentence: {type(exc).__name__}: "
                               f"{str(exc).splitlines()[0] if str(exc) else ''}") from exc
    audio = np.asarray(speech.audio)
    if audio.size == 0 or speech.sample_rate <= 0:
        raise VoiceImportError("the voice produced no audio for a test sentence")
    if not np.isfinite(audio).all():
        raise VoiceImportError("the voice produced audio that is not finite (NaN or infinity) for a test sentence")
    if float(np.abs(audio).max()) == 0.0:
        raise VoiceImportError("the voice produced only silence for a test sentence")
    return speech.duration


def import_voice(path: str | Path, role: str, models_dir: str | Path, sha256: str | None = None,
                 name: str | None = None, replace: bool = False) -> ImportedVoice:
    """Check the voice at ``path`` (engine, hash, a test sentence) and keep it as ``name`` under the models
    directory; see the module's docstring. Raises :class:`VoiceImportError` (nothing is left behind)."""
    from models.tts import engine_at

    if role not in ROLES:
        raise VoiceImportError(f"unknown role {role!r}: use one of {', '.join(ROLES)}", bad_input=True)
    source = Path(path).expanduser().resolve()
    found = detect(source)
    name = name if name is not None else default_name(found, source)
    if not _NAME.match(name):
        raise VoiceImportError(f"voice name {name!r} must be 1-64 lower-case letters, digits, '.', '_' or '-', "
                               "starting with a letter or digit", bad_input=True)
    if name in MODELS:
        raise VoiceImportError(f"{name!r} is a registry model's name; choose another --name", bad_input=True)
    expected = sha256.strip().lower() if sha256 else None
    if expected is not None and not re.fullmatch(r"[0-9a-f]{64}", expected):
        raise VoiceImportError(f"--sha256 must be 64 hexadecimal digits, not {sha256!r}", bad_input=True)

    hashes = file_hashes(found.root, found.files)
    digest = voice_digest(found, hashes)
    if expected is not None and digest != expected:
        hashed = found.root / found.entry if found.engine == "piper" else found.root
        raise VoiceImportError(f"sha256 mismatch: expected {expected}, but {hashed} hashes to {digest}; the file "
                               "is not the voice you were given (or the hash is of something else)", bad_input=True)

    directory = voices_dir(models_dir)
    with _locked(directory):
        entries = _read_manifest(directory)
        if name in entries and not replace:
            raise VoiceImportError(f"a voice named {name!r} is already imported; choose another --name or pass "
                                   "--replace", bad_input=True)
        staging = Path(tempfile.mkdtemp(prefix=f".import-{name}-", dir=directory))
        try:
            for relative in found.files:
                target = staging / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(found.root / relative, target)
            if file_hashes(staging, found.files) != hashes:
                raise VoiceImportError(f"{source} changed while it was being copied; import it again")
            engine = engine_at(found.engine, staging / found.entry, name=name, language=ROLE_LANGUAGES[role])
            try:
                engine.warm_up()
            except Exception as exc:
                raise VoiceImportError(f"{source} cannot be loaded as a {found.engine} voice: "
                                       f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                                       ) from exc
            check_speech(engine, ROLES[role])
            del engine
            final = directory / name
            if final.exists():
                old = Path(tempfile.mkdtemp(prefix=f".old-{name}-", dir=directory))
                os.replace(final, old / name)
                shutil.rmtree(old, ignore_errors=True)
            os.replace(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        voice = ImportedVoice(name=name, role=role, engine=found.engine, sha256=digest, source=str(source),
                              imported_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                              entry=found.entry, files=hashes)
        entries[name] = asdict(voice)
        _write_manifest(directory, entries)
    return voice


def remove_voice(name: str, models_dir: str | Path) -> None:
    """Forget an imported voice and delete its files."""
    directory = voices_dir(models_dir)
    with _locked(directory):
        entries = _read_manifest(directory)
        if name not in entries:
            raise ModelError(f"no imported voice is named {name!r}")
        del entries[name]
        _write_manifest(directory, entries)
        shutil.rmtree(directory / name, ignore_errors=True)
