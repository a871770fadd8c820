"""Supertonic: Supertone's on-device text to speech (ONNX models, OpenRAIL-M licence), from a local release.

A release is the directory Supertone publishes (Hugging Face ``Supertone/supertonic-2``; Supertonic 2 speaks
English, Korean, Spanish, Portuguese and French; ``supertonic-3`` keeps the same files and interface):

- ``onnx/duration_predictor.onnx``: ``text_ids`` int64 [1, T], ``style_dp`` float32 [1, a, b], ``text_mask``
  float32 [1, 1, T] -> ``duration`` float32 [1], the utterance's length in seconds;
- ``onnx/text_encoder.onnx``: ``text_ids``, ``style_ttl`` float32 [1, c, d], ``text_mask`` -> ``text_emb``
  float32 [1, E, T];
- ``onnx/vector_estimator.onnx``: ``noisy_latent`` float32 [1, C, L], ``text_emb``, ``style_ttl``,
  ``latent_mask`` float32 [1, 1, L], ``text_mask``, ``current_step`` and ``total_step`` float32 [1] ->
  ``denoised_latent`` [1, C, L]: one step of the flow-matching sampler (the step is taken inside the graph);
- ``onnx/vocoder.onnx``: ``latent`` [1, C, L] -> ``wav_tts`` float32 [1, L * base_chunk_size *
  chunk_compress_factor];
- ``onnx/tts.json``: ``ae.sample_rate`` (44100), ``ae.base_chunk_size`` (512), ``ttl.latent_dim`` (24) and
  ``ttl.chunk_compress_factor`` (6), so C = latent_dim * chunk_compress_factor latent channels and one latent
  frame per base_chunk_size * chunk_compress_factor samples;
- ``onnx/unicode_indexer.json``: a list giving each Unicode code point its token id (-1: none);
- ``voice_styles/<name>.json`` (M1-M5, F1-F5): ``style_ttl`` and ``style_dp``, each ``{"dims": [1, a, b],
  "data": nested lists}``. A style is a speaker, the same for every language.

(The four models may also lie beside ``voice_styles/`` instead of in ``onnx/``.) Synthesis, as Supertone's own
ONNX examples do it: the text is normalised (NFKD, so Hangul becomes its jamo; a few symbols replaced; a full
stop added if the sentence does not end in punctuation) and wrapped in language tags (``<ko>...</ko>``), each
character becomes its indexer id; the duration predictor gives the seconds, divided by the speed (1.05 by
default); Gaussian noise of ceil(seconds * rate / frame) latent frames goes through the vector estimator
``steps`` times (8 by default; current_step 0 .. steps-1, total_step steps), the vocoder makes it audio, which is
cut to seconds * rate samples. Sentences are synthesised one at a time (Korean and Japanese ones longer than 120
characters, others longer than 300, are cut at commas or spaces), 0.3 s of silence between them. Characters the
indexer does not know are left out, where Supertone's example would fail or feed the model -1.
"""

from __future__ import annotations

import json
import math
import re
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from models.store import ModelError
from models.tts import _SENTENCE_END, Speech, TTSEngine

MODELS = ("duration_predictor.onnx", "text_encoder.onnx", "vector_estimator.onnx", "vocoder.onnx")
CONFIGS = ("tts.json", "unicode_indexer.json")
STYLES_DIR = "voice_styles"
DEFAULT_STYLE = "M1"  # the style Supertone's examples speak with
# What each model takes, by name (Supertone's py/helper.py and src/model.rs feed them so).
INPUTS = {
    "duration_predictor.onnx": {"text_ids", "style_dp", "text_mask"},
    "text_encoder.onnx": {"text_ids", "style_ttl", "text_mask"},
    "vector_estimator.onnx": {"noisy_latent", "text_emb", "style_ttl", "latent_mask", "text_mask", "current_step",
                              "total_step"},
    "vocoder.onnx": {"latent"},
}
# The language tags of Supertonic 3 (Supertonic 2 knows en, ko, es, pt and fr of them).
LANGUAGES = ("en", "ko", "ja", "ar", "bg", "cs", "da", "de", "el", "es", "et", "fi", "fr", "hi", "hr", "hu", "id",
             "it", "lt", "lv", "nl", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "tr", "uk", "vi", "na")
SILENCE_BETWEEN = 0.3  # seconds between sentences
MAX_SECONDS = 120.0  # a duration beyond this for one sentence is a broken predictor, not speech

_EMOJI = re.compile("[\U0001f600-\U0001f64f\U0001f300-\U0001f5ff\U0001f680-\U0001f6ff\U0001f700-\U0001f7ff"
                    "\U0001f780-\U0001f7ff\U0001f800-\U0001f8ff\U0001f900-\U0001f9ff\U0001fa00-\U0001fa6f"
                    "\U0001fa70-\U0001faff\u2600-\u26ff\u2700-\u27bf\U0001f1e6-\U0001f1ff]+")
_SYMBOLS = str.maketrans({
    **dict.fromkeys("\u2010\u2011\u2013\u2014", "-"),
    **dict.fromkeys("_[]|/#\u2192\u2190", " "),
    **dict.fromkeys("\u201c\u201d", '"'),
    **dict.fromkeys("\u2018\u2019\u00b4`", "'"),
    **dict.fromkeys("\u2665\u2606\u2661\u00a9\\", None),
})
_EXPRESSIONS = (("@", " at "), ("e.g.,", "for example, "), ("i.e.,", "that is, "))
_SPACE_BEFORE_MARK = re.compile(r" ([,.!?;:'])")
_ENDS_IN_MARK = re.compile(r"[.!?;:,'\")\]}…。」』】〉》›»]$")


def model_dir(release: Path) -> Path:
    """Where a release's models and configs are: ``onnx/`` if it has one, else the release itself."""
    return release / "onnx" if (release / "onnx").is_dir() else release


def is_supertonic_dir(path: str | Path) -> bool:
    """Whether ``path`` is a directory that looks like a Supertonic release (complete or not)."""
    path = Path(path)
    if not path.is_dir():
        return False
    found = model_dir(path)
    return any((found / name).is_file() for name in ("vector_estimator.onnx", "duration_predictor.onnx",
                                                     "unicode_indexer.json"))


def is_supertonic_style(path: str | Path) -> bool:
    """Whether ``path`` is a voice style file of a Supertonic release (``<release>/voice_styles/<name>.json``)."""
    path = Path(path)
    return (path.is_file() and path.suffix == ".json" and path.parent.name == STYLES_DIR
            and is_supertonic_dir(path.parent.parent))


def style_names(release: str | Path) -> list[str]:
    """The voice styles a release has, by name (the file names without ``.json``)."""
    return sorted(p.stem for p in (Path(release) / STYLES_DIR).glob("*.json") if p.is_file())


def missing_files(release: str | Path) -> list[str]:
    """What a Supertonic release lacks, relative to it (empty when it is complete)."""
    release = Path(release)
    found = model_dir(release)
    prefix = "onnx/" if found != release else ""
    missing = [prefix + name for name in MODELS + CONFIGS if not (found / name).is_file()]
    if not style_names(release):
        missing.append(f"{STYLES_DIR}/*.json (a voice style)")
    return missing


def prepare_text(text: str, language: str) -> str:
    """The text as Supertonic's models read it: normalised as Supertone's examples do, in language tags."""
    text = _EMOJI.sub("", unicodedata.normalize("NFKD", text)).translate(_SYMBOLS)
    for expression, words in _EXPRESSIONS:
        text = text.replace(expression, words)
    text = _SPACE_BEFORE_MARK.sub(r"\1", text)
    text = re.sub(r'"{2,}', '"', re.sub(r"'{2,}", "'", text))
    text = " ".join(text.split())
    if not _ENDS_IN_MARK.search(text):
        text += "."
    return f"<{language}>{text}</{language}>"


def split_long(sentence: str, limit: int) -> list[str]:
    """``sentence`` in pieces of at most ``limit`` characters, cut after commas where it can, else at spaces (a
    word longer than ``limit`` stays whole)."""
    if len(sentence) <= limit:
        return [sentence]
    words = []
    for part in re.split(r"(?<=,)\s+", sentence):
        words.extend(part.split() if len(part) > limit else [part])
    pieces, current = [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > limit:
            pieces.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        pieces.append(current)
    return pieces


def _read_json(path: Path, what: str):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read the Supertonic {what} {path}: {exc}") from None


def load_style(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A voice style file's ``style_ttl`` and ``style_dp``, each float32 [1, a, b]."""
    data = _read_json(path, "voice style")
    arrays = []
    for key in ("style_ttl", "style_dp"):
        part = data.get(key) if isinstance(data, dict) else None
        if not isinstance(part, dict) or "dims" not in part or "data" not in part:
            raise ModelError(f"the Supertonic voice style {path} has no {key} with dims and data")
        dims = [int(d) for d in part["dims"]]
        values = np.asarray(part["data"], dtype=np.float32).reshape(-1)
        if len(dims) != 3 or values.size != dims[1] * dims[2]:
            raise ModelError(f"the Supertonic voice style {path}: {key} has {values.size} values, not the one "
                             f"[{', '.join(map(str, dims))}] tensor its dims say")
        arrays.append(values.reshape(1, dims[1], dims[2]))
    return arrays[0], arrays[1]


class SupertonicTTS(TTSEngine):
    """A Supertonic release (see the module's docstring) loaded from a local directory only. ``path``: the
    release's directory, or one of its ``voice_styles/*.json`` files to speak with that style; ``style``: a style
    name of the release (``F1``...), by default the style file given, else M1, else the release's first style.
    ``language``: the language tag the text is wrapped in (``ko``, ``en``...)."""

    def __init__(self, path: str | Path, style: str | None = None, language: str = "ko", steps: int = 8,
                 speed: float = 1.05, name: str | None = None, seed: int | None = None):
        path = Path(path)
        if path.suffix == ".json" and path.parent.name == STYLES_DIR:
            if style is not None:
                raise ModelError(f"give either a voice style file ({path}) or a style name ({style!r}), not both")
            self._release, self._style_path = path.parent.parent, path
        else:
            self._release, self._style_path = path, None
        self._style_name = style
        if language not in LANGUAGES:
            raise ModelError(f"Supertonic has no language {language!r} (its tags: {', '.join(LANGUAGES)})")
        if not 1 <= steps <= 50:
            raise ModelError(f"Supertonic's flow-matching steps must be 1-50, not {steps}")
        if not 0.5 <= speed <= 2.0:
            raise ModelError(f"Supertonic's speed must be 0.5-2.0, not {speed}")
        self.language = language
        self.steps = steps
        self.speed = speed
        self.name = name or f"supertonic:{path}"
        self.sample_rate = 0
        self.style = ""
        self._rng = np.random.default_rng(seed)
        self._sessions: dict[str, object] | None = None
        self._indexer: np.ndarray | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------- loading

    def _choose_style(self) -> Path:
        if self._style_path is not None:
            if not self._style_path.is_file():
                raise ModelError(f"the Supertonic voice style {self._style_path} does not exist")
            return self._style_path
        names = style_names(self._release)
        wanted = self._style_name or (DEFAULT_STYLE if DEFAULT_STYLE in names else names[0])
        if wanted not in names:
            raise ModelError(f"the Supertonic release {self._release} has no voice style {wanted!r} (it has "
                             f"{', '.join(names)})")
        return self._release / STYLES_DIR / f"{wanted}.json"

    def warm_up(self) -> None:
        with self._lock:
            if self._sessions is not None:
                return
            if not is_supertonic_dir(self._release):
                raise ModelError(f"{self._release} is not a Supertonic release (no onnx/vector_estimator.onnx, "
                                 "onnx/duration_predictor.onnx or onnx/unicode_indexer.json)")
            missing = missing_files(self._release)
            if missing:
                raise ModelError(f"the Supertonic release {self._release} is missing {', '.join(missing)}")
            found = model_dir(self._release)
            config = _read_json(found / "tts.json", "config")
            try:
                rate = int(config["ae"]["sample_rate"])
                chunk = int(config["ae"]["base_chunk_size"])
                compress = int(config["ttl"]["chunk_compress_factor"])
                latent_dim = int(config["ttl"]["latent_dim"])
            except (KeyError, TypeError, ValueError) as exc:
                raise ModelError(f"the Supertonic config {found / 'tts.json'} lacks {exc} (ae.sample_rate, "
                                 "ae.base_chunk_size, ttl.chunk_compress_factor, ttl.latent_dim)") from None
            indexer = _read_json(found / "unicode_indexer.json", "indexer")
            try:
                if isinstance(indexer, dict):  # {"code point": id} in some conversions
                    pairs = {int(key): int(value) for key, value in indexer.items()}
                    table = np.full(max(pairs, default=-1) + 1, -1, dtype=np.int64)
                    table[list(pairs)] = list(pairs.values())
                else:
                    table = np.asarray(indexer, dtype=np.int64)
            except (TypeError, ValueError, IndexError):
                table = np.zeros(0, dtype=np.int64)
            if table.ndim != 1 or table.size == 0:
                raise ModelError(f"the Supertonic indexer {found / 'unicode_indexer.json'} is not a list of ids")
            style_path = self._choose_style()
            style_ttl, style_dp = load_style(style_path)
            sessions = {name: self._open(found / name) for name in MODELS}
            self._frame = chunk * compress
            self._channels = latent_dim * compress
            self._style_ttl, self._style_dp = style_ttl, style_dp
            self._indexer = table
            self.style = style_path.stem
            self.sample_rate = rate
            self._sessions = sessions

    @staticmethod
    def _open(path: Path):
        import onnxruntime

        try:
            session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelError(f"cannot load the Supertonic model {path}: {type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else ''}") from exc
        names = {i.name for i in session.get_inputs()}
        expected = INPUTS[path.name]
        if names != expected:
            raise ModelError(f"{path} does not take Supertonic's inputs: it lacks {sorted(expected - names)} and "
                             f"has {sorted(names - expected)} besides")
        return session

    # ------------------------------------------------------------------------------------------- synthesis

    def text_ids(self, sentence: str) -> np.ndarray:
        """The token ids [1, T] of ``sentence`` (in its language tags); characters without an id are left out."""
        self.warm_up()
        return self._ids(sentence)

    def _ids(self, sentence: str) -> np.ndarray:
        table = self._indexer
        points = np.array([ord(c) for c in prepare_text(sentence, self.language)], dtype=np.int64)
        ids = np.where(points < len(table), table[np.minimum(points, len(table) - 1)], -1)
        letters = [c for c in unicodedata.normalize("NFKD", sentence) if unicodedata.category(c).startswith("L")]
        if letters and not any(ord(c) < len(table) and table[ord(c)] >= 0 for c in letters):
            raise ModelError(f"this Supertonic release cannot read {self.language!r} text: its unicode_indexer.json "
                             f"has none of the letters of {sentence!r} (Supertonic 1 is English only; Korean needs "
                             "Supertonic 2 or later)")
        ids = ids[ids >= 0]
        if ids.size == 0:
            raise ModelError(f"the Supertonic indexer has an id for no character of {sentence!r}")
        return ids.reshape(1, -1)

    def _sentences(self, text: str) -> Iterator[str]:
        limit = 120 if self.language in ("ko", "ja") else 300
        for sentence in _SENTENCE_END.split(text.strip()):
            if any(c.isalnum() for c in sentence):  # punctuation alone is nothing to say
                yield from split_long(sentence.strip(), limit)

    def _speak(self, sentence: str) -> np.ndarray:
        sessions = self._sessions
        ids = self._ids(sentence)
        text_mask = np.ones((1, 1, ids.shape[1]), dtype=np.float32)
        duration = sessions["duration_predictor.onnx"].run(
            None, {"text_ids": ids, "style_dp": self._style_dp, "text_mask": text_mask})[0]
        seconds = float(np.asarray(duration).reshape(-1)[0]) / self.speed
        if not math.isfinite(seconds) or not 0 < seconds <= MAX_SECONDS:
            raise ModelError(f"Supertonic's duration predictor gave {seconds} s for {sentence!r}")
        text_emb = sessions["text_encoder.onnx"].run(
            None, {"text_ids": ids, "style_ttl": self._style_ttl, "text_mask": text_mask})[0]
        samples = max(1, int(seconds * self.sample_rate))
        frames = -(-samples // self._frame)
        latent_mask = np.ones((1, 1, frames), dtype=np.float32)
        latent = self._rng.standard_normal((1, self._channels, frames)).astype(np.float32) * latent_mask
        total = np.array([self.steps], dtype=np.float32)
        for step in range(self.steps):
            latent = sessions["vector_estimator.onnx"].run(None, {
                "noisy_latent": latent, "text_emb": text_emb, "style_ttl": self._style_ttl,
                "latent_mask": latent_mask, "text_mask": text_mask,
                "current_step": np.array([step], dtype=np.float32), "total_step": total,
            })[0]
            if latent.shape != (1, self._channels, frames):
                raise ModelError(f"Supertonic's vector estimator returned a latent of shape {latent.shape}, not "
                                 f"{(1, self._channels, frames)}")
        wav = sessions["vocoder.onnx"].run(None, {"latent": latent})[0]
        audio = np.asarray(wav, dtype=np.float32).reshape(-1)[:samples]
        return np.clip(audio, -1.0, 1.0)

    def stream(self, text: str) -> Iterator[Speech]:
        self.warm_up()
        pause = np.zeros(int(SILENCE_BETWEEN * self.sample_rate), dtype=np.float32)
        first = True
        for sentence in self._sentences(text):
            with self._lock:
                audio = self._speak(sentence)
            yield Speech(audio if first else np.concatenate([pause, audio]), self.sample_rate)
            first = False
