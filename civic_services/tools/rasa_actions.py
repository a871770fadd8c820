"""The tool registry as a Rasa action server (the protocol of ``rasa_sdk``'s ``/webhook``), without Rasa.

Rasa Open Source 3.x does not install on Python 3.11 and Rasa Pro needs a license key, so the project speaks the
protocol itself; a Rasa deployment elsewhere points its ``action_endpoint`` here and calls the tools as custom
actions. The wire format, as ``rasa_sdk`` serves it:

- ``POST /webhook`` with ``{"next_action", "sender_id", "tracker": {"slots", "latest_message", "events", ...},
  "domain", "version"}`` (optionally deflate-compressed) answers ``{"events": [...], "responses": [...]}``;
- an unknown action answers 404 ``{"error": "No registered action found for name '...'.", "action_name": ...}``;
- an action that cannot run on this tracker answers 400 with the same shape (``ActionExecutionRejection``: Rasa
  then predicts another action, such as a form asking for the missing slot);
- ``GET /actions`` lists ``[{"name": ...}]`` and ``GET /health`` answers ``{"status": "ok"}``.

Action names are the tool names with Rasa's ``action_`` prefix (``action_complaint_status``); the bare tool name is
accepted too. Arguments come from the tracker's slots (slot name = argument name) and, where a slot is empty, from
the latest message's entities (entity name = argument name). Results come back as a response with the tool's
sentence and ``SlotSet`` events: ``last_tool_result`` (tool, text, data, table, series) and ``last_tool_error``.
This module is protocol logic only; :mod:`civic_services.tools.api` puts it on HTTP.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from civic_services.tools.mcp_server import json_safe, result_payload
from civic_services.tools.registry import Tool, ToolContext, ToolError, ToolRegistry

log = logging.getLogger("civic_services.tools.rasa")

ACTION_PREFIX = "action_"
RESULT_SLOT = "last_tool_result"
ERROR_SLOT = "last_tool_error"
LANG_SLOT = "lang"
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


@dataclass(frozen=True)
class ActionAnswer:
    """What the webhook answers: an HTTP status and the JSON body."""

    status: int
    body: Any


def action_name(tool_name: str) -> str:
    return ACTION_PREFIX + tool_name


def action_names(registry: ToolRegistry) -> list[str]:
    return [action_name(name) for name in registry.names()]


def tool_for(registry: ToolRegistry, action: str) -> Tool | None:
    """The tool an action name calls: ``action_<tool>`` or the tool's own name."""
    if not isinstance(action, str):
        return None
    if action in registry.tools:
        return registry.tools[action]
    if action.startswith(ACTION_PREFIX):
        return registry.tools.get(action[len(ACTION_PREFIX):])
    return None


def not_found(action: Any) -> ActionAnswer:
    return ActionAnswer(404, {"error": f"No registered action found for name '{action}'.", "action_name": action})


def rejected(action: Any, message: str) -> ActionAnswer:
    return ActionAnswer(400, {"error": message, "action_name": action})


def _mapping(value: Any) -> Mapping:
    """A part of the tracker that should be an object; anything else counts as empty."""
    return value if isinstance(value, Mapping) else {}


def slot_set(name: str, value: Any) -> dict:
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


# ------------------------------------------------------------------------------------------------ arguments
def _types(schema: Mapping) -> set[str]:
    """The JSON types a (sub)schema accepts, following oneOf/anyOf; an enum without a type is a string."""
    found: set[str] = set()
    kind = schema.get("type")
    if isinstance(kind, str):
        found.add(kind)
    elif isinstance(kind, list):
        found.update(kind)
    elif "enum" in schema:
        found.add("string")
    for key in ("oneOf", "anyOf"):
        for sub in schema.get(key, ()):
            found |= _types(sub)
    return found


def _single_string_object(schema: Mapping) -> str | None:
    """The property of an object alternative that is one required string (``{"address": ...}``), if any."""
    for sub in [schema, *schema.get("oneOf", ()), *schema.get("anyOf", ())]:
        required = sub.get("required", [])
        props = sub.get("properties", {})
        if sub.get("type") == "object" and len(required) == 1 and props.get(required[0], {}).get("type") == "string":
            return required[0]
    return None


def coerce(value: Any, schema: Mapping) -> Any:
    """A slot or entity value in the shape the argument's schema wants, where the intent is unambiguous.

    Rasa keeps objects in ``any`` slots (as dicts or as JSON text), numbers in ``float`` slots (2.0), and one
    entity as one string; the registry's schema then judges the result."""
    accepted = _types(schema)
    if isinstance(value, str):
        text = value.strip()
        if accepted & {"object", "array"} and text[:1] in "[{":
            try:
                value = json.loads(text)
            except ValueError:
                pass
        if isinstance(value, str):
            if "integer" in accepted and re.fullmatch(r"[+-]?\d+", text):
                return int(text)
            if "number" in accepted and re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
                return float(text)
            if "string" not in accepted and "object" in accepted:
                key = _single_string_object(schema)
                if key:  # an address given as plain text
                    return {key: value}
            return value
    if isinstance(value, float) and value.is_integer() and "integer" in accepted and "number" not in accepted:
        return int(value)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value) and "string" in accepted:
        arrays = [s for s in (schema, *schema.get("oneOf", ()), *schema.get("anyOf", ())) if s.get("type") == "array"]
        if len(value) == 1 and all(s.get("minItems", 0) > 1 for s in arrays):
            return value[0]  # a one-element list slot for an argument taking one value or a list of two or more
        if not arrays:
            return value[-1]  # the latest of several values for a single-valued argument
    return value


def _entities(tracker: Mapping) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    entities = _mapping(tracker.get("latest_message")).get("entities")
    for entity in entities if isinstance(entities, list) else []:
        if isinstance(entity, Mapping) and entity.get("entity") and entity.get("value") is not None:
            found.setdefault(entity["entity"], []).append(entity["value"])
    return found


def arguments_from_tracker(tool: Tool, tracker: Mapping) -> dict:
    """The tool's arguments from the tracker: a filled slot wins over the latest message's entities; several
    entities of one name become a list where the argument takes one (``district``: Gangnam-gu and Seocho-gu)."""
    slots = _mapping(tracker.get("slots"))
    entities = _entities(tracker)
    arguments: dict[str, Any] = {}
    for name, schema in tool.parameters.get("properties", {}).items():
        value = slots.get(name)
        if value is None or value == "" or value == []:
            values = entities.get(name) or []
            if not values:
                continue
            takes_list = "array" in _types(schema)
            value = values if takes_list and len(values) > 1 else values[-1]
        arguments[name] = coerce(value, schema)
    return arguments


def tracker_lang(tracker: Mapping) -> str:
    """``ko`` or ``en``: the ``lang`` slot, the message's metadata, or Hangul in the latest message."""
    slot = _mapping(tracker.get("slots")).get(LANG_SLOT)
    if slot in ("ko", "en"):
        return slot
    message = _mapping(tracker.get("latest_message"))
    meta = _mapping(message.get("metadata"))
    if meta.get("lang") in ("ko", "en"):
        return meta["lang"]
    return "ko" if _HANGUL.search(str(message.get("text") or "")) else "en"


def missing_required(tool: Tool, arguments: Mapping) -> list[str]:
    return [name for name in tool.parameters.get("required", []) if name not in arguments]


# ------------------------------------------------------------------------------------------------ the webhook
def run_action(registry: ToolRegistry, services: Mapping[str, Any], payload: Any) -> ActionAnswer:
    """Answer one ``/webhook`` call: ``payload`` is the JSON body Rasa sent."""
    if not isinstance(payload, Mapping) or not payload.get("next_action"):
        return rejected(payload.get("next_action") if isinstance(payload, Mapping) else None,
                        "the request is not a Rasa action call: a JSON object with next_action and tracker")
    action = payload["next_action"]
    tool = tool_for(registry, action) if isinstance(action, str) else None
    if tool is None:
        return not_found(action)
    tracker = payload.get("tracker") if payload.get("tracker") is not None else {}
    if not isinstance(tracker, Mapping):
        return rejected(action, "tracker must be a JSON object")
    arguments = arguments_from_tracker(tool, tracker)
    missing = missing_required(tool, arguments)
    if missing:
        # No slot or entity gives a required argument: the action cannot run on this tracker (Rasa predicts
        # another action, e.g. a form or an utter_ask_<slot> that asks for it).
        return rejected(action, f"Custom action '{action}' rejected execution: no value for "
                                f"{', '.join(missing)} (fill the slot(s) of the same name)")
    lang = tracker_lang(tracker)
    context = ToolContext(services=services, role="citizen", lang=lang)
    try:
        result = registry.call(tool.name, arguments, context)
    except ToolError as exc:
        return _answer_error(str(exc))
    except Exception:  # a service failure is a sentence for the user, not a 500 for Rasa
        log.exception("action %s failed", action)
        return _answer_error("잠시 후 다시 시도해 주세요. 서버에서 오류가 발생했습니다." if lang == "ko"
                             else f"{tool.name} failed on the server; please try again later.")
    payload_out = result_payload(tool.name, result)
    response: dict[str, Any] = {"text": result.text}
    custom = {k: payload_out[k] for k in ("table", "series") if k in payload_out}
    if custom:
        response["custom"] = custom
    return ActionAnswer(200, {"events": [slot_set(RESULT_SLOT, payload_out), slot_set(ERROR_SLOT, None)],
                              "responses": [response]})


def _answer_error(sentence: str) -> ActionAnswer:
    return ActionAnswer(200, {"events": [slot_set(RESULT_SLOT, None), slot_set(ERROR_SLOT, sentence)],
                              "responses": [{"text": sentence}]})


def list_actions(registry: ToolRegistry) -> list[dict]:
    return [{"name": name} for name in action_names(registry)]


# ------------------------------------------------------------------------------------------------ domain export
def _slot(schemas: list[Mapping]) -> dict:
    """A Rasa slot for an argument (the schemas of every tool that takes it)."""
    kinds = [_types(s) for s in schemas]
    if all(k == {"string"} for k in kinds) and all("enum" in s for s in schemas):
        values: list[str] = []
        for s in schemas:
            values += [v for v in s["enum"] if v not in values]
        return {"type": "categorical", "values": values}
    if all(k == {"string"} for k in kinds):
        return {"type": "text"}
    if all(k <= {"integer", "number"} for k in kinds):
        slot: dict[str, Any] = {"type": "float"}
        lows = [s["minimum"] for s in schemas if "minimum" in s]
        highs = [s["maximum"] for s in schemas if "maximum" in s]
        if len(lows) == len(schemas):
            slot["min_value"] = min(lows)
        if len(highs) == len(schemas):
            slot["max_value"] = max(highs)
        return slot
    if all(k == {"array"} for k in kinds):
        return {"type": "list"}
    return {"type": "any"}


def domain_snippet(registry: ToolRegistry) -> dict:
    """What a Rasa project's domain needs to call these actions: the actions, one slot per argument (from the
    entity of the same name where an entity can carry it; objects are set by custom actions or forms), the
    entities, and the result slots."""
    by_argument: dict[str, list[Mapping]] = {}
    for tool in registry.tools.values():
        for name, schema in tool.parameters.get("properties", {}).items():
            by_argument.setdefault(name, []).append(schema)
    slots: dict[str, dict] = {}
    entities: list[str] = []
    for name, schemas in by_argument.items():
        slot = _slot(schemas)
        slot["influence_conversation"] = False
        if all(_types(s) & {"string", "integer", "number", "array"} for s in schemas):
            slot["mappings"] = [{"type": "from_entity", "entity": name}]
            entities.append(name)
        else:
            slot["mappings"] = [{"type": "custom"}]
        slots[name] = slot
    slots[LANG_SLOT] = {"type": "categorical", "values": ["ko", "en"], "influence_conversation": False,
                        "mappings": [{"type": "custom"}]}
    slots[RESULT_SLOT] = {"type": "any", "influence_conversation": False, "mappings": [{"type": "custom"}]}
    slots[ERROR_SLOT] = {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]}
    return {"version": "3.1", "actions": action_names(registry), "entities": entities, "slots": slots}


def endpoints_snippet(url: str) -> dict:
    return {"action_endpoint": {"url": url}}


def export_yaml(registry: ToolRegistry, webhook_url: str) -> str:
    """The domain snippet as YAML, with the endpoints.yml line as a comment at its end (the text parses as one
    YAML document)."""
    import yaml

    head = ("# Dasan civic tools as Rasa custom actions (generated by `dasan rasa export`).\n"
            "# Merge into the Rasa project's domain.yml; the action server is the Dasan app itself.\n")
    body = yaml.safe_dump(json_safe(domain_snippet(registry)), allow_unicode=True, sort_keys=False)
    endpoints = yaml.safe_dump(endpoints_snippet(webhook_url), sort_keys=False)
    tail = "\n# endpoints.yml:\n" + "".join(f"# {line}\n" for line in endpoints.splitlines())
    return head + body + tail
