"""The minutes on the form Korean public offices file them on (회의록 서식), as a DOCX an official can print, sign
and file: the approval boxes (결재란), the meeting overview (회의 개요: 회의명, 일시, 장소, 참석자 and their
positions, 안건), then 논의 내용, 결정 사항 and 조치 사항 (a table of task, owner and due date), with the
transcript attached (붙임).

What the recording cannot know is left blank to be written in: the place, and a position the speaker's name does
not carry ("김민수 과장" gives 과장; "Speaker 2" gives nothing). English meetings get the same form with English
headings.
"""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from minutes.document import Meeting, minutes_to_dict
from minutes.exports import actions_table, clock, method_line

# Positions of Korean public offices, longest first so that "부시장" is not read as "시장".
POSITIONS_KO = ("행정부시장", "정무부시장", "부시장", "시장", "부구청장", "구청장", "본부장", "실장", "국장", "단장",
                "과장", "팀장", "계장", "반장", "서기관", "사무관", "주무관", "주사", "위원장", "부위원장", "위원",
                "의원", "센터장", "소장", "관장", "담당관", "담당")
POSITIONS_EN = ("Deputy Mayor", "Mayor", "Director General", "Director", "Deputy Director", "Head", "Chief",
                "Manager", "Team Leader", "Officer", "Councillor", "Councilor", "Chair", "Commissioner", "Inspector")
APPROVAL_LINE = ("담당", "팀장", "과장", "국장")  # who signs, left to right (a city changes it per department)
WEEKDAYS_KO = "월화수목금토일"

LABELS = {
    "ko": {"title": "회 의 록", "approval": "결재", "overview": "회의 개요", "name": "회의명", "when": "일시",
           "place": "장소", "attendees": "참석자", "position": "직위", "person": "성명", "agenda": "안건",
           "discussion": "논의 내용", "decisions": "결정 사항", "actions": "조치 사항", "task": "조치 내용",
           "owner": "담당", "due": "기한", "none": "없음", "method": "작성 방법", "attachment": "붙임",
           "transcript": "회의록 전문 1부.", "transcript_title": "붙임  회의록 전문", "end": "끝.",
           "unknown": "미확인 화자"},
    "en": {"title": "MINUTES OF MEETING", "approval": "Approval", "overview": "Meeting overview", "name": "Meeting",
           "when": "Date and time", "place": "Place", "attendees": "Attendees", "position": "Position",
           "person": "Name", "agenda": "Agenda", "discussion": "Discussion", "decisions": "Decisions",
           "actions": "Action items", "task": "Action", "owner": "Owner", "due": "Due", "none": "none",
           "method": "Written by", "attachment": "Attachment", "transcript": "the transcript (1 copy).",
           "transcript_title": "Attachment: transcript", "end": "End.", "unknown": "unknown speaker"},
}


def split_position(name: str) -> tuple[str, str]:
    """(name, position) from an attendee's name as the speakers were named: "김민수 과장" -> ("김민수", "과장"),
    "Director Kim" -> ("Kim", "Director"); no position known -> (name, "")."""
    name = name.strip()
    for position in POSITIONS_KO:
        if name.endswith(position) and len(name) > len(position):
            return name[: -len(position)].strip(), position
    for position in POSITIONS_EN:
        if name.lower().startswith(position.lower() + " "):
            return name[len(position):].strip(), position
    return name, ""


def when(meeting: Meeting, zone: str, language: str = "ko") -> str:
    """The meeting's date and time span in ``zone``: "2026. 12. 3.(목) 14:00~14:45 (KST)" in Korean style."""
    start = meeting.created.astimezone(ZoneInfo(zone))
    end = start + timedelta(seconds=meeting.duration)
    span = f"{start:%H:%M}~{end:%H:%M}" + ("" if end.date() == start.date() else f" ({end:%m-%d})")
    if language == "ko":
        return f"{start.year}. {start.month}. {start.day}.({WEEKDAYS_KO[start.weekday()]}) {span} ({start.tzname()})"
    return f"{start:%A %d %B %Y}, {span} ({start.tzname()})"


def form_docx(meeting: Meeting, zone: str = "Asia/Seoul", approval_line: tuple[str, ...] = APPROVAL_LINE) -> bytes:
    """The meeting's minutes on the government minutes form, as DOCX bytes."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Cm, Pt

    language = "ko" if meeting.language == "ko" else "en"
    L = LABELS[language]
    m = minutes_to_dict(meeting.minutes, meeting)
    doc = Document()
    doc.core_properties.title = f"{L['title'].replace(' ', '')} - {meeting.title}"
    style = doc.styles["Normal"]
    style.font.size = Pt(11)

    approval = doc.add_table(rows=2, cols=len(approval_line) + 1)
    approval.style = "Table Grid"
    approval.alignment = WD_TABLE_ALIGNMENT.RIGHT
    approval.cell(0, 0).merge(approval.cell(1, 0)).text = L["approval"]
    for n, signer in enumerate(approval_line, start=1):
        approval.cell(0, n).text = signer
        approval.cell(1, n).text = ""
        approval.cell(0, n).width = approval.cell(1, n).width = Cm(2.2)
    approval.rows[1].height = Cm(1.6)

    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(L["title"])
    run.bold, run.font.size = True, Pt(20)

    doc.add_heading(f"1. {L['overview']}", level=1)
    overview = doc.add_table(rows=0, cols=2)
    overview.style = "Table Grid"
    attendees = [split_position(name) for name in meeting.attendees]
    agenda = "\n".join(f"{n}. {item['text']}" for n, item in enumerate(m["agenda"], start=1)) or L["none"]
    for label, value in ((L["name"], meeting.title), (L["when"], when(meeting, zone, language)), (L["place"], ""),
                         (L["attendees"], f"{len(attendees)}"), (L["agenda"], agenda)):
        cells = overview.add_row().cells
        cells[0].text, cells[1].text = label, value
        cells[0].width, cells[1].width = Cm(3), Cm(13)
    if attendees:
        people = doc.add_table(rows=1, cols=3)
        people.style = "Table Grid"
        for cell, title in zip(people.rows[0].cells, ("#", L["position"], L["person"])):
            cell.text = title
        for n, (name, position) in enumerate(attendees, start=1):
            cells = people.add_row().cells
            cells[0].text, cells[1].text, cells[2].text = str(n), position, name

    doc.add_heading(f"2. {L['discussion']}", level=1)
    for item in m["summary"] or [{"text": L["none"], "at": None, "speaker": None}]:
        who = f"{item['speaker']}: " if item.get("speaker") else ""
        at = f" [{clock(item['at'])}]" if item["at"] is not None else ""
        doc.add_paragraph(f"○ {who}{item['text']}{at}")

    doc.add_heading(f"3. {L['decisions']}", level=1)
    for item in m["decisions"] or [{"text": L["none"], "at": None}]:
        doc.add_paragraph(f"○ {item['text']}" + (f" [{clock(item['at'])}]" if item["at"] is not None else ""))

    doc.add_heading(f"4. {L['actions']}", level=1)
    if m["actions"]:
        actions_table(doc, m["actions"], (L["task"], L["owner"], L["due"]))
    else:
        doc.add_paragraph(f"○ {L['none']}")

    doc.add_paragraph(f"{L['method']}: {method_line(meeting)}").runs[0].font.size = Pt(9)
    doc.add_paragraph(f"{L['attachment']}  {L['transcript']}  {L['end']}")

    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_heading(L["transcript_title"], level=1)
    for segment in meeting.segments:
        paragraph = doc.add_paragraph()
        paragraph.add_run(f"{meeting.name_of(segment.speaker) or L['unknown']} [{clock(segment.start)}] ").bold = True
        paragraph.add_run(segment.text)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
