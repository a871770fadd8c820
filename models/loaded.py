"""The models of one process: each role loaded once, on first use or at warm-up, from the configured references."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from models.store import ModelError, ModelStore

ROLE_KEYS = ("asr", "embedder", "vad", "tts_en", "tts_ko", "llm")


@dataclass
class ModelSet:
    """Holds the loaded model of each role. ``refs`` maps a role key (see ``ROLE_KEYS``) to a model reference."""

    store: ModelStore
    refs: Mapping[str, str]
    asr_backend: str = "faster-whisper"
    asr_compute_type: str = "int8"
    threads: int = 2
    tts_api_key: str | None = field(default=None, repr=False)  # for voices served by a speech server
    _loaded: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _get(self, key: str, factory) -> Any:
        with self._lock:
            if key not in self._loaded:
                model = factory()
                model.warm_up()
                self._loaded[key] = model
            return self._loaded[key]

    def transcriber(self, backend: str | None = None):
        from models.asr import load_transcriber

        backend = backend or self.asr_backend
        return self._get(f"asr:{backend}", lambda: load_transcriber(
            self.refs["asr"], self.store, backend=backend, threads=self.threads,
            compute_type=self.asr_compute_type))

    def embedder(self):
        from models.embedder import load_embedder

        return self._get("embedder", lambda: load_embedder(self.refs["embedder"], self.store, self.threads))

    def vad(self):
        from models.vad import load_vad

        # a VAD is stateful per stream: callers that stream get their own with ``new_vad``
        return self._get("vad", lambda: load_vad(self.refs["vad"], self.store))

    def new_vad(self, sample_rate: int = 16_000):
        from models.vad import load_vad

        return load_vad(self.refs["vad"], self.store, sample_rate)

    def tts(self, language: str = "en"):
        from models.tts import load_tts

        key = f"tts_{language}" if f"tts_{language}" in self.refs else "tts_en"
        return self._get(key, lambda: load_tts(self.refs[key], self.store, language,
                                                      api_key=self.tts_api_key))

    def llm(self):
        from models.llm import load_llm

        return self._get("llm", lambda: load_llm(self.refs["llm"], self.store, self.threads))

    def load_role(self, role: str) -> Any:
        loaders = {"asr": self.transcriber, "embedder": self.embedder, "vad": self.vad,
                   "tts_en": lambda: self.tts("en"), "tts_ko": lambda: self.tts("ko"), "llm": self.llm}
        if role not in loaders:
            raise ModelError(f"unknown model role {role!r}; roles: {', '.join(loaders)}")
        return loaders[role]()

    def loaded_roles(self) -> list[str]:
        with self._lock:
            return sorted(self._loaded)
