"""A meeting's minutes as Markdown, DOCX (python-docx), SRT, WebVTT, JSON or plain text, in its language, and on
the Korean government minutes form (``form.docx``, :mod:`minutes.form`).

Dates are written in the city's time zone (``DASAN_TIME_ZONE``, Seoul by default) with its abbreviation
("2026-12-03 19:46 KST"); the JSON export keeps the stored UTC instant.
"""

from __future__ import annotations

import io
import json
from zoneinfo import ZoneInfo

from minutes.document import Meeting, minutes_to_dict

LABELS = {
    "en": {"date": "Date", "duration": "Duration", "attendees": "Attendees", "agenda": "Agenda",
           "summary": "Summary", "decisions": "Decisions", "actions": "Action items", "transcript": "Transcript",
           "owner": "owner", "due": "due", "none": "none recorded", "unknown": "unknown speaker",
           "method": "Minutes", "extractive": "extracted from the transcript (cue phrases, central sentences)",
           "llm": "composed by the local LLM ({model}) from the transcript; each item checked against the lines "
                  "it cites ({kept} of {proposed} proposed items kept)",
           "mixed": "; items it missed or could not write are extracted"},
    "ko": {"date": "일시", "duration": "길이", "attendees": "참석자", "agenda": "안건", "summary": "요약",
           "decisions": "결정 사항", "actions": "조치 사항", "transcript": "회의록 전문", "owner": "담당",
           "due": "기한", "none": "없음", "unknown": "미확인 화자",
           "method": "작성", "extractive": "회의록 전문에서 발췌 (단서 표현, 중심 문장)",
           "llm": "로컬 LLM({model})이 회의록 전문을 바탕으로 작성, 항목마다 인용한 발언과 대조 "
                  "(제안 {proposed}건 중 {kept}건 채택)",
           "mixed": "; 모델이 놓치거나 쓰지 못한 항목은 발췌"},
}
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8", "txt": "text/plain; charset=utf-8", "srt": "application/x-subrip",
    "vtt": "text/vtt; charset=utf-8", "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "form.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _labels(meeting: Meeting) -> dict:
    return LABELS["ko" if meeting.language == "ko" else "en"]


def clock(seconds: float, millis: bool = False, sep: str = ".") -> str:
    seconds = max(0.0, seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if millis:
        return f"{int(h):02d}:{int(m):02d}:{int(s):02d}{sep}{int(round((s - int(s)) * 1000)) % 1000:03d}"
    return f"{int(h):02d}:{int(m):02d}:{int(s):02d}"


def meeting_date(meeting: Meeting, zone: str = "Asia/Seoul") -> str:
    """When the meeting was held, in ``zone``: "2026-12-03 19:46 KST"."""
    local = meeting.created.astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _ref(at: float) -> str:
    return f"[{clock(at)}]"


def method_line(meeting: Meeting) -> str:
    """How the minutes were written, in the meeting's language."""
    L = _labels(meeting)
    minutes = meeting.minutes
    if minutes.composed_by == "extractive":
        return L["extractive"]
    info = minutes.composition
    text = L["llm"].format(model=info.get("model") or "?", kept=info.get("kept", "?"),
                           proposed=info.get("proposed", "?"))
    return text + (L["mixed"] if minutes.composed_by == "llm+extractive" else "")


def markdown(meeting: Meeting, zone: str = "Asia/Seoul") -> str:
    L = _labels(meeting)
    m = minutes_to_dict(meeting.minutes, meeting)
    lines = [f"# {meeting.title}", "",
             f"- {L['date']}: {meeting_date(meeting, zone)}",
             f"- {L['duration']}: {clock(meeting.duration)}",
             f"- {L['attendees']}: {', '.join(meeting.attendees) or L['none']}",
             f"- {L['method']}: {method_line(meeting)}", ""]
    for key in ("agenda", "summary", "decisions"):
        lines += [f"## {L[key]}", ""]
        lines += [f"- {item['text']} {_ref(item['at'])}" for item in m[key]] or [f"- {L['none']}"]
        lines.append("")
    lines += [f"## {L['actions']}", ""]
    for action in m["actions"]:
        extra = [f"{L['owner']}: {action['owner']}" if action["owner"] else "",
                 f"{L['due']}: {action['due']}" if action["due"] else ""]
        extra_text = "; ".join(e for e in extra if e)
        lines.append(f"- [ ] {action['task']}" + (f" ({extra_text})" if extra_text else "") + f" {_ref(action['at'])}")
    if not m["actions"]:
        lines.append(f"- {L['none']}")
    lines += ["", f"## {L['transcript']}", ""]
    for segment in meeting.segments:
        who = meeting.name_of(segment.speaker) or L["unknown"]
        lines.append(f"**{who}** {_ref(segment.start)} {segment.text}  ")
    return "\n".join(lines).rstrip() + "\n"


def text(meeting: Meeting) -> str:
    out = []
    for segment in meeting.segments:
        who = meeting.name_of(segment.speaker)
        out.append(f"[{clock(segment.start)}] " + (f"{who}: " if who else "") + segment.text)
    return "\n".join(out) + ("\n" if out else "")


def _cue_text(meeting: Meeting, segment) -> str:
    who = meeting.name_of(segment.speaker)
    return (f"{who}: " if who else "") + segment.text


def srt(meeting: Meeting) -> str:
    blocks = []
    for n, segment in enumerate(meeting.segments, start=1):
        end = max(segment.end, segment.start + 0.3)
        blocks.append(f"{n}\n{clock(segment.start, True, ',')} --> {clock(end, True, ',')}\n"
                      f"{_cue_text(meeting, segment)}\n")
    return "\n".join(blocks)


def webvtt(meeting: Meeting) -> str:
    blocks = ["WEBVTT", ""]
    for segment in meeting.segments:
        end = max(segment.end, segment.start + 0.3)
        who = meeting.name_of(segment.speaker)
        body = (f"<v {who}>" if who else "") + segment.text.replace("-->", "->")
        blocks += [f"{clock(segment.start, True)} --> {clock(end, True)}", body, ""]
    return "\n".join(blocks)


def actions_table(doc, actions: list[dict], headings: tuple[str, str, str]) -> None:
    """The action items as a DOCX table: number, task with its transcript reference, owner, due date."""
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, ("#", *headings)):
        cell.text = title
    for n, action in enumerate(actions, start=1):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = str(n), f"{action['task']} {_ref(action['at'])}"
        cells[2].text, cells[3].text = action["owner"] or "", action["due"] or ""


def docx(meeting: Meeting, zone: str = "Asia/Seoul") -> bytes:
    from docx import Document
    from docx.shared import Pt

    L = _labels(meeting)
    m = minutes_to_dict(meeting.minutes, meeting)
    doc = Document()
    doc.core_properties.title = meeting.title
    doc.add_heading(meeting.title, level=0)
    doc.add_paragraph(f"{L['date']}: {meeting_date(meeting, zone)}\n"
                      f"{L['duration']}: {clock(meeting.duration)}\n"
                      f"{L['attendees']}: {', '.join(meeting.attendees) or L['none']}\n"
                      f"{L['method']}: {method_line(meeting)}")
    for key in ("agenda", "summary", "decisions"):
        doc.add_heading(L[key], level=1)
        for item in m[key] or [{"text": L["none"], "at": None}]:
            doc.add_paragraph(item["text"] + (f" {_ref(item['at'])}" if item["at"] is not None else ""),
                              style="List Bullet")
    doc.add_heading(L["actions"], level=1)
    if m["actions"]:
        actions_table(doc, m["actions"], (L["actions"], L["owner"], L["due"]))
    else:
        doc.add_paragraph(L["none"], style="List Bullet")
    doc.add_heading(L["transcript"], level=1)
    for segment in meeting.segments:
        paragraph = doc.add_paragraph()
        run = paragraph.add_run(f"{meeting.name_of(segment.speaker) or L['unknown']} {_ref(segment.start)} ")
        run.bold = True
        paragraph.add_run(segment.text).font.size = Pt(11)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def export(meeting: Meeting, fmt: str, zone: str = "Asia/Seoul") -> bytes:
    """The meeting in ``fmt`` (md, docx, form.docx, srt, vtt, json, txt) as bytes (UTF-8 for the text formats), its
    dates in the IANA time zone ``zone``."""
    if fmt == "docx":
        return docx(meeting, zone)
    if fmt == "form.docx":
        from minutes.form import form_docx

        return form_docx(meeting, zone)
    writers = {"md": lambda m: markdown(m, zone), "txt": text, "srt": srt, "vtt": webvtt,
               "json": lambda m: json.dumps(m.to_dict(), ensure_ascii=False, indent=1)}
    if fmt not in writers:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(MEDIA_TYPES)}")
    return writers[fmt](meeting).encode("utf-8")
