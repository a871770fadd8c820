"""What the local LLM is asked for one chunk of a transcript, the JSON schema its answer is constrained to, and the
parsing of that answer into :class:`minutes.compose_verify.Proposal` items.

Kept short for a 1.5B model: one system message, the chunk's lines as ``[mm:ss] speaker: text``, and a schema
whose ``ref`` fields may only take the chunk's own line times (the grammar makes any other time impossible; the
verifier checks again, for models served without a grammar).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from minutes.compose_verify import Proposal, clock_ref
from speech.events import Segment

LIMITS = {"summary": 2, "decisions": 4, "actions": 5}  # items per chunk
TEXT_CHARS = 200

_SYSTEM = (
    "You write the minutes of a city government meeting from its transcript. Each line starts with its time. "
    "Return JSON:\n"
    "- summary: 1-2 sentences on what these lines discussed;\n"
    "- decisions: each thing the meeting decided or agreed;\n"
    "- actions: each task a person will do: owner (the person as named in the line), task, due (when, as said, "
    "or \"\").\n"
    "Each item's ref is the time of the line it comes from. Use only facts from the lines. Write in {language}."
)
# One worked example (a few-shot turn) keeps a small model to the point; its own language per meeting.
_EXAMPLE = {
    "en": ("[00:10] Speaker 1: We agreed to close the pool on Mondays from next month.\n"
           "[00:15] Speaker 2: Ms Han will update the signs by June 3.",
           {"summary": [{"text": "The pool's opening days were discussed.", "ref": "00:10"}],
            "decisions": [{"text": "Close the pool on Mondays from next month.", "ref": "00:10"}],
            "actions": [{"owner": "Ms Han", "task": "Update the signs", "due": "by June 3", "ref": "00:15"}]}),
    "ko": ("[00:10] Speaker 1: 다음 달부터 월요일에는 수영장을 닫기로 했습니다.\n"
           "[00:15] Speaker 2: 한 주무관이 6월 3일까지 안내문을 바꿔 주세요.",
           {"summary": [{"text": "수영장 운영일을 논의했다.", "ref": "00:10"}],
            "decisions": [{"text": "다음 달부터 월요일 수영장 휴관", "ref": "00:10"}],
            "actions": [{"owner": "한 주무관", "task": "안내문 변경", "due": "6월 3일까지", "ref": "00:15"}]}),
}
LANGUAGE_NAMES = {"ko": "Korean", "en": "English"}


def transcript_lines(segments: Sequence[Segment], name_of=lambda s: s) -> str:
    return "\n".join(f"[{clock_ref(s.start)}] " + (f"{name_of(s.speaker)}: " if s.speaker else "") + s.text
                     for s in segments)


def messages(segments: Sequence[Segment], language: str, name_of=lambda s: s) -> list[dict]:
    example, answer = _EXAMPLE["ko" if language == "ko" else "en"]
    return [{"role": "system", "content": _SYSTEM.format(language=LANGUAGE_NAMES.get(language, "English"))},
            {"role": "user", "content": example},
            {"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)},
            {"role": "user", "content": transcript_lines(segments, name_of)}]


def schema(segments: Sequence[Segment]) -> dict:
    """The answer's JSON schema; ``ref`` is one of the chunk's line times."""
    refs = list(dict.fromkeys(clock_ref(s.start) for s in segments))
    text = {"type": "string", "maxLength": TEXT_CHARS}
    short = {"type": "string", "maxLength": 60}

    def items(properties: dict, limit: int, at_least: int = 0) -> dict:
        # the text first, then where it was said: the model cites the line after writing what it took from it
        return {"type": "array", "minItems": at_least, "maxItems": limit,
                "items": {"type": "object", "properties": {**properties, "ref": {"enum": refs}},
                          "required": [*properties, "ref"]}}

    return {"type": "object", "required": list(LIMITS), "properties": {
        "summary": items({"text": text}, LIMITS["summary"], at_least=1),
        "decisions": items({"text": text}, LIMITS["decisions"]),
        "actions": items({"owner": short, "task": text, "due": short}, LIMITS["actions"]),
    }}


def parse(raw: str) -> list[Proposal]:
    """The proposals in a model's answer; ValueError when it is not the JSON asked for."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the model's answer is not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError("the model's answer is not a JSON object")
    out: list[Proposal] = []
    for key, kind in (("summary", "summary"), ("decisions", "decision"), ("actions", "action")):
        rows = data.get(key) or []
        if not isinstance(rows, list):
            raise ValueError(f"{key} is not a list")
        for row in rows:
            if not isinstance(row, dict):
                raise ValueError(f"an item of {key} is not an object")
            text = row.get("task" if kind == "action" else "text")
            out.append(Proposal(kind, str(text or ""), str(row.get("ref") or ""), str(row.get("owner") or ""),
                                str(row.get("due") or "")))
    return out
