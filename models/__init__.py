"""Every neural model of Dasan behind a small interface, and the registry of where its weights come from.

Importing this package loads nothing. ``models.registry`` lists the models, ``models.store`` installs and
verifies them, and ``models.asr``, ``models.embedder``, ``models.vad``, ``models.turn``, ``models.tts`` and
``models.llm`` load them (on first use, from a registry name, a local path or a hub name).
"""

from models.registry import MODELS, ModelSpec, available_models, get_spec
from models.store import ModelCorruptError, ModelError, ModelNotInstalledError, ModelStore

__all__ = [
    "MODELS",
    "ModelCorruptError",
    "ModelError",
    "ModelNotInstalledError",
    "ModelSpec",
    "ModelStore",
    "available_models",
    "get_spec",
]
