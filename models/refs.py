"""Turn a configured model reference into something a loader can open.

A reference is one of: a registry name (installed and verified by ``ModelStore``), the name of a voice imported with
``dasan voices import`` (hash-checked when it was imported), a local path to the user's own weights (used as is,
not hash-checked), or a hub name such as ``org/model`` (handed to the library, which needs a
connected machine or its own cache).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from models.registry import MODELS, ModelSpec
from models.store import ModelError, ModelStore

_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class ResolvedModel:
    location: str  # a directory, a file, or a hub name
    kind: str  # "registry", "path" or "hub"
    spec: ModelSpec | None = None

    @property
    def identity(self) -> str:
        """A stable name for what is loaded, for index metadata and logs."""
        if self.spec is not None and self.spec.files:
            return f"{self.spec.name}@{self.spec.files[0].sha256[:12]}"
        return f"{self.kind}:{self.location}"


def resolve(ref: str, store: ModelStore) -> ResolvedModel:
    if ref in MODELS:
        return ResolvedModel(str(store.require(ref)), "registry", MODELS[ref])
    from models.voices import find_voice  # here, not at the top: models.voices loads voices through this module

    imported = find_voice(ref, store.root)  # a voice `dasan voices import` put under the models directory
    if imported is not None:
        return ResolvedModel(str(imported.location(store.root)), "path")
    path = Path(ref).expanduser()
    if path.exists():
        return ResolvedModel(str(path.resolve()), "path")
    if _HUB_NAME.match(ref):
        return ResolvedModel(ref, "hub")
    raise ModelError(
        f"model reference {ref!r} is not a registry name (see `dasan models list`), an existing path, "
        "or a hub name like 'org/model'"
    )
