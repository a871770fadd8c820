"""HTTP view of the model registry: what is installed and verified (read-only)."""

from __future__ import annotations

from fastapi import APIRouter

from dasan.routes.deps import ModelsDep
from webapi.access import PUBLIC
from models.registry import MODELS

router = APIRouter(prefix="/models", tags=["models"])


@router.get("", dependencies=[PUBLIC], summary="Registered models and whether each is installed and verified")
def list_models(models: ModelsDep) -> list[dict]:
    store = models.store
    rows = []
    for spec in MODELS.values():
        status = store.status(spec.name)
        rows.append({
            "name": spec.name,
            "role": spec.role,
            "description": spec.description,
            "license": spec.license,
            "sources": spec.sources,
            "size_bytes": spec.size,
            "installed": status.installed,
            "verified": status.verified,
            "detail": status.detail,
        })
    return rows
