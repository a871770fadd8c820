"""The minutes on the Korean government minutes form (form.docx), read back with python-docx: the approval boxes,
the overview with the Seoul-time date span and positions taken from the speakers' names, the decisions, and the
action table with owner and due date; then the same form from the server and from `dasan minutes export --form`."""

import io
from datetime import datetime, timezone

from docx import Document

from minutes.document import Meeting, extract_minutes
from minutes.exports import export
from minutes.form import split_position
from speech.events import Segment
from speech.streaming import StreamWord

LINES = [
    ("Speaker 1", "오늘 첫 번째 안건은 마포구 자전거 도로 확장입니다."),
    ("Speaker 2", "하루 이용자가 800명에서 1200명으로 늘었습니다."),
    ("Speaker 2", "검토 결과 합정역까지 확장하기로 결정했습니다."),
    ("Speaker 1", "김 과장이 다음 주 금요일까지 예산안을 제출해 주세요."),
]


def korean_meeting() -> Meeting:
    segments = [Segment(n, n * 5.0, n * 5.0 + 4.5, text, (StreamWord(n * 5.0, n * 5.0 + 0.4, text.split()[0]),),
                        speaker, "ko") for n, (speaker, text) in enumerate(LINES)]
    m = Meeting(title="교통팀 주간 회의", segments=segments, language="ko", duration=2700.0)
    m.created = datetime(2026, 12, 3, 5, 0, tzinfo=timezone.utc)  # 14:00 in Seoul, a Thursday
    m.speaker_names = {"Speaker 1": "이영희 팀장", "Speaker 2": "박민수 주무관"}
    m.minutes = extract_minutes(m)
    return m


def cells(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_positions_come_from_the_speakers_names():
    assert split_position("김민수 과장") == ("김민수", "과장")
    assert split_position("박 부시장") == ("박", "부시장")  # not read as 시장
    assert split_position("Director Kim") == ("Kim", "Director")
    assert split_position("Speaker 2") == ("Speaker 2", "")
    assert split_position("과장") == ("과장", "")  # a bare title is a name, not a position of nobody


def test_the_form_has_approval_boxes_overview_decisions_and_actions():
    doc = Document(io.BytesIO(export(korean_meeting(), "form.docx")))
    approval, overview, people, actions = doc.tables
    assert cells(approval)[0] == ["결재", "담당", "팀장", "과장", "국장"]
    assert cells(approval)[1][1:] == ["", "", "", ""]  # left to be signed
    rows = dict((label, value) for label, value in cells(overview))
    assert rows["회의명"] == "교통팀 주간 회의"
    assert rows["일시"] == "2026. 12. 3.(목) 14:00~14:45 (KST)"
    assert rows["장소"] == ""  # the recording cannot know it: written in by hand
    assert rows["참석자"] == "2" and "마포구 자전거 도로" in rows["안건"]
    assert cells(people)[1:] == [["1", "팀장", "이영희"], ["2", "주무관", "박민수"]]
    text = "\n".join(p.text for p in doc.paragraphs)
    for heading in ("회 의 록", "1. 회의 개요", "2. 논의 내용", "3. 결정 사항", "4. 조치 사항", "붙임  회의록 전문"):
        assert heading in text
    assert "○ 검토 결과 합정역까지 확장하기로 결정했습니다. [00:00:10]" in text
    header, first = cells(actions)[:2]
    assert header == ["#", "조치 내용", "담당", "기한"]
    assert first[2] == "김 과장" and "금요일" in first[3] and "예산안" in first[1]
    assert "박민수 주무관 [00:00:05] 하루 이용자가" in text  # the transcript is attached


def test_an_english_meeting_gets_the_form_with_english_headings_and_none_for_empty_parts():
    m = Meeting(title="Weekly", segments=[Segment(0, 0.0, 3.0, "Good morning.", (), "Speaker 1", "en")],
                language="en", duration=3.0)
    m.minutes = extract_minutes(m)
    doc = Document(io.BytesIO(export(m, "form.docx")))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "MINUTES OF MEETING" in text and "3. Decisions" in text and "○ none" in text
    assert dict(cells(doc.tables[1]))["Agenda"] == "none"


def test_the_server_and_the_command_give_the_form(live_server, live_server_dir, live_auth, tmp_path):
    """Through the real HTTP route (an official of the meeting's department) and `dasan minutes export --form`."""
    import httpx

    from tests.minutes.test_cli import dasan

    meeting = korean_meeting()
    meeting.department = "도시교통실"
    live_auth.runtime.minutes.store.save(meeting)  # in the live server's database
    with httpx.Client(base_url=live_server, timeout=30, headers=live_auth("official", "도시교통실")) as http:
        reply = http.get(f"/minutes/meetings/{meeting.id}/export.form.docx")
        assert reply.status_code == 200, reply.text
        assert reply.headers["content-disposition"] == f'attachment; filename="minutes-{meeting.id}-form.docx"'
        assert cells(Document(io.BytesIO(reply.content)).tables[0])[0][0] == "결재"
        other = http.get(f"/minutes/meetings/{meeting.id}/export.form.docx",
                         headers=live_auth("official", "기획조정실"))
        assert other.status_code in (403, 404)  # another department's official does not get it
    out = tmp_path / "회의록.docx"
    done = dasan("minutes", "export", meeting.id, "-o", str(out), "--form", data_dir=live_server_dir)
    assert done.returncode == 0, done.stderr
    assert "2. 논의 내용" in "\n".join(p.text for p in Document(str(out)).paragraphs)
    refused = dasan("minutes", "export", meeting.id, "-o", str(tmp_path / "x.md"), "--form", data_dir=live_server_dir)
    assert refused.returncode == 2 and "--form writes a DOCX" in refused.stderr
