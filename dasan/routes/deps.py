"""Typed dependencies of the composition's own routes (each domain's ``api.py`` declares its own the same way)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from models.loaded import ModelSet
from webapi.deps import part

ModelsDep = Annotated[ModelSet, Depends(part("models"))]
