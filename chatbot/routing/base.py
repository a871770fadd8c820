"""What a router produces, and the interface both routers share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ToolCall:
    tool: str | None  # None: not a tool request (the knowledge base answers)
    arguments: dict = field(default_factory=dict)
    confidence: float = 0.0
    missing: tuple[str, ...] = ()  # required arguments the request did not give


class Router(Protocol):
    name: str

    def route(self, text: str, lang: str | None = None) -> ToolCall:
        ...
