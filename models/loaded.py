"""The models of one process: each role loaded once, on first use or at warm-up, from the configured references.

:data:`ROLES` is the one list of model roles: its key, the kind of model the registry holds for it, the settings
field that names its model, and how the model set loads it. Settings, readiness checks and warm-up all read it.
The model set also owns the process-wide objects built on top of a loaded model (a backend's window decoder, for
instance) through :meth:`ModelSet.shared`, so no other package keeps a cache of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.asr import BACKENDS
from models.priority import in_background
from models.registry import KINDS
from models.store import ModelError, ModelStore


@dataclass(frozen=True)
class Role:
    key: str  # the role's name in settings, refs and readiness checks
    kind: str  # what the registry calls such a model (models.registry.KINDS)
    setting: str  # the Settings field that names the role's model
    load: Callable[["ModelSet"], Any]  # how a model set loads it

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"role {self.key}: unknown kind {self.kind!r}")


ROLES: tuple[Role, ...] = (
    Role("asr", "asr", "asr_model", lambda models: models.transcriber()),
    Role("embedder", "embedder", "embedder_model", lambda models: models.embedder()),
    Role("vad", "vad", "vad_model", lambda models: models.vad()),
    Role("turn", "turn", "turn_model", lambda models: models.turn_model()),
    Role("tts_en", "tts", "tts_voice_en", lambda models: models.tts("en")),
    Role("tts_ko", "tts", "tts_voice_ko", lambda models: models.tts("ko")),
    Role("llm", "llm", "llm_model", lambda models: models.llm()),
    Role("speaker", "speaker", "speaker_model", lambda models: models.speaker_encoder()),
)
ROLE_KEYS = tuple(role.key for role in ROLES)
_BY_KEY = {role.key: role for role in ROLES}


def role(key: str) -> Role:
    try:
        return _BY_KEY[key]
    except KeyError:
        raise ModelError(f"unknown model role {key!r}; roles: {', '.join(ROLE_KEYS)}") from None


@dataclass
class ModelSet:
    """Holds the loaded model of each role. ``refs`` maps a role key (see :data:`ROLES`) to a model reference."""

    store: ModelStore
    refs: Mapping[str, str]
    asr_backend: str = "faster-whisper"
    asr_compute_type: str = "int8"
    threads: int = 2
    tts_api_key: str | None = field(default=None, repr=False)  # for voices served by a speech server
    # Role key (or a ``shared`` key) -> factory of a stand-in with the same interface whose model runs elsewhere
    # (a Ray Serve deployment, see models.ray_serve); what is not named here loads in this process.
    remote: Mapping[Hashable, Callable[[], Any]] = field(default_factory=dict, repr=False)
    _loaded: dict[Hashable, Any] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        if self.asr_backend not in BACKENDS:
            raise ModelError(f"unknown ASR backend {self.asr_backend!r}; choose one of {', '.join(BACKENDS)}")

    def _get(self, key: Hashable, factory, warm: bool = True, remote: Hashable | None = None) -> Any:
        if remote is not None and remote in self.remote:
            factory = self.remote[remote]
        with self._lock:
            if key not in self._loaded:
                model = factory()
                if warm:
                    model.warm_up()
                self._loaded[key] = model
            return self._loaded[key]

    def shared(self, key: Hashable, factory: Callable[[], Any]) -> Any:
        """The process's one object under ``key``, built by ``factory`` on first use (for what is made from a
        loaded model and should be made once, such as a backend's window decoder)."""
        return self._get(("shared", key), factory, warm=False, remote=key)

    def transcriber(self, backend: str | None = None):
        """The speech recogniser. Batch work (a job worker's thread, :mod:`models.priority`) gets its own copy of
        a local model, loaded in that thread: the model's compute threads then run at the thread's lowered priority,
        so a call's decode takes the cores from an upload's (the price: the model's memory twice)."""
        from models.asr import load_transcriber

        backend = backend or self.asr_backend
        remote = "asr" if backend == self.asr_backend else None
        key = f"asr:{backend}"
        if in_background() and remote not in self.remote:
            key += ":background"
        return self._get(key, lambda: load_transcriber(
            self.refs["asr"], self.store, backend=backend, threads=self.threads,
            compute_type=self.asr_compute_type), remote=remote)

    def embedder(self):
        from models.embedder import load_embedder

        return self._get("embedder", lambda: load_embedder(self.refs["embedder"], self.store, self.threads),
                         remote="embedder")

    def vad(self):
        from models.vad import load_vad

        # a VAD is stateful per stream: callers that stream get their own with ``new_vad``
        return self._get("vad", lambda: load_vad(self.refs["vad"], self.store))

    def new_vad(self, sample_rate: int = 16_000):
        from models.vad import load_vad

        return load_vad(self.refs["vad"], self.store, sample_rate)

    def turn_model(self):
        """The end-of-turn model (stateless: one for every call); a ModelError when none is configured or it
        cannot be had, and the voicebot then judges turns by the words alone."""
        from models.turn import load_turn_model

        ref = self.refs.get("turn")
        if not ref:
            raise ModelError("no end-of-turn model is configured (DASAN_TURN_MODEL is empty)")
        return self._get("turn", lambda: load_turn_model(ref, self.store, threads=1))

    def tts(self, language: str = "en"):
        from models.tts import load_tts

        key = f"tts_{language}" if f"tts_{language}" in self.refs else "tts_en"
        return self._get(key, lambda: load_tts(self.refs[key], self.store, language,
                                                      api_key=self.tts_api_key), remote=key)

    def llm(self):
        from models.llm import load_llm

        return self._get("llm", lambda: load_llm(self.refs["llm"], self.store, self.threads), remote="llm")

    def speaker_encoder(self):
        from models.speaker import load_speaker_encoder

        return self._get("speaker", lambda: load_speaker_encoder(self.refs["speaker"], self.store, self.threads))

    def load_role(self, key: str) -> Any:
        return role(key).load(self)

    def loaded_roles(self) -> list[str]:
        with self._lock:
            return sorted(str(key) for key in self._loaded if not isinstance(key, tuple))
