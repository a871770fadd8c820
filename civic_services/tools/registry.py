"""One registry of the tools the assistant (and any other agent) can call on the city's services.

Each tool has a name, a description in Korean and English, a JSON Schema of its arguments, the role it needs,
whether it writes, and a handler that calls the service objects directly. Each package declares its own tools
beside the service they call, schema and handler as one object (:func:`tool`; ``civic_services/complaints/tools.py``,
``opendata/tools.py``, ``iot/tools.py``, ``voting/tools.py``, and the knowledge base's in ``chatbot/tools.py``);
the composition root gathers them (:meth:`ToolRegistry.of`). The same registry is served as OpenAI-style tools
(`GET /tools`), over the Model Context Protocol, and as a Rasa action server.

A service's own error (:class:`~civic_services.errors.ServiceError`) raised by a handler reaches the caller as a
:class:`ToolError` with the service's sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from civic_services.errors import ServiceError

ROLES = ("citizen", "verified_voter", "staff")


class ToolError(Exception):
    """A tool call that cannot be carried out; the message is a plain sentence for the citizen."""


@dataclass(frozen=True)
class ToolContext:
    services: Mapping[str, Any]
    role: str = "citizen"
    lang: str = "en"
    voter_key: str | None = None  # the verified voter's registry key, for cast_vote


@dataclass(frozen=True)
class ChartSpec:
    """What a result's series shows, in the request's language: a title that says it, the axes' names, and how
    the stored labels read (``Mapo-gu`` -> ``마포구``, ``Ginkgo`` -> ``은행나무``)."""

    title: str
    x: str  # the key of each series row's label
    y: str  # the key of its value
    x_label: str = ""
    y_label: str = ""
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolResult:
    text: str  # what happened, in a sentence or two, in the request's language
    data: Any = None  # the structured result
    table: list[dict] | None = None  # rows for a table, when a table is clearer
    series: list[dict] | None = None  # points of a time series or comparison, for a chart
    chart: ChartSpec | None = None  # how the series reads as a chart


@dataclass(frozen=True)
class Tool:
    name: str
    description_en: str
    description_ko: str
    parameters: dict
    handler: Callable[[dict, ToolContext], ToolResult] | None = None
    role: str = "citizen"
    writes: bool = False
    service: str = ""  # which service the handler needs (for a clear error when it is absent)
    confirm: Callable[[dict, str], str] | None = None  # a write's question before it runs (arguments, lang)

    def description(self, lang: str = "en") -> str:
        return self.description_ko if lang == "ko" else self.description_en


Handler = Callable[[dict, ToolContext], ToolResult]


def tool(name: str, *, en: str, ko: str, parameters: dict, service: str, role: str = "citizen",
         writes: bool = False, confirm: Callable[[dict, str], str] | None = None) -> Callable[[Handler], Tool]:
    """Declare a tool on its handler, schema and handler side by side::

        @tool("complaint_status", en="...", ko="...", parameters={...}, service="complaints")
        def complaint_status(args: dict, ctx: ToolContext) -> ToolResult: ...

    makes ``complaint_status`` the :class:`Tool`."""

    def declare(handler: Handler) -> Tool:
        return Tool(name, en, ko, parameters, handler, role, writes, service, confirm)

    return declare


@dataclass
class ToolRegistry:
    tools: dict[str, Tool] = field(default_factory=dict)

    @classmethod
    def of(cls, *tool_lists: Iterable[Tool]) -> "ToolRegistry":
        """A registry of the tools the packages declare, in the order given."""
        registry = cls()
        for tools in tool_lists:
            for each in tools:
                registry.register(each)
        return registry

    def register(self, tool: Tool) -> None:
        if tool.name in self.tools:
            raise ValueError(f"two tools are named {tool.name!r}")
        if tool.role not in ROLES:
            raise ValueError(f"{tool.name}: unknown role {tool.role!r}")
        jsonschema.Draft202012Validator.check_schema(tool.parameters)
        self.tools[tool.name] = tool

    def get(self, name: str) -> Tool:
        try:
            return self.tools[name]
        except KeyError:
            raise ToolError(f"there is no tool named {name!r}") from None

    def names(self) -> list[str]:
        return list(self.tools)

    def services(self) -> list[str]:
        """The services the tools' handlers call (:attr:`Tool.service`), each once, in the tools' order."""
        return list(dict.fromkeys(t.service for t in self.tools.values() if t.service))

    @staticmethod
    def allowed(tool: Tool, role: str) -> bool:
        """Citizens' tools are open to every role; voting needs a verified voter, staff tools a staff member."""
        return tool.role == "citizen" or tool.role == role

    def errors(self, name: str, arguments: Any) -> list[str]:
        """Every way ``arguments`` break the tool's schema, as readable sentences (empty when valid)."""
        validator = jsonschema.Draft202012Validator(self.get(name).parameters)
        problems = []
        for error in sorted(validator.iter_errors(arguments), key=lambda e: list(e.path)):
            where = ".".join(str(p) for p in error.path) or "arguments"
            problems.append(f"{where}: {error.message}")
        return problems

    def call(self, name: str, arguments: dict, context: ToolContext) -> ToolResult:
        tool = self.get(name)
        if not self.allowed(tool, context.role):
            raise ToolError(f"{name} needs the role {tool.role}; you are signed in as {context.role}")
        problems = self.errors(name, arguments)
        if problems:
            raise ToolError(f"invalid arguments for {name}: " + "; ".join(problems))
        if tool.handler is None or (tool.service and context.services.get(tool.service) is None):
            raise ToolError(f"{name} is not available on this server (its {tool.service or 'handler'} service is "
                            "not running)")
        try:
            return tool.handler(arguments, context)
        except ServiceError as exc:
            raise ToolError(exc.message) from exc

    def openai_tools(self, lang: str = "en", role: str | None = None) -> list[dict]:
        """The tools in OpenAI's function-calling format."""
        return [
            {"type": "function",
             "function": {"name": tool.name, "description": tool.description(lang), "parameters": tool.parameters}}
            for tool in self.tools.values()
            if role is None or self.allowed(tool, role)
        ]
