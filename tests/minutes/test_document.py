"""The minutes document (extractive, Korean and English) and its exports, read back by their own parsers."""

import io
import json

from minutes.document import Meeting, extract_minutes
from minutes.exports import export
from speech.streaming import StreamWord
from speech.events import Segment


def meeting(language, lines):
    segments = [Segment(n, n * 5.0, n * 5.0 + 4.5, text, (StreamWord(n * 5.0, n * 5.0 + 0.4, text.split()[0]),),
                        speaker, language) for n, (speaker, text) in enumerate(lines)]
    return Meeting(title="Test", segments=segments, language=language, duration=len(lines) * 5.0)


def test_english_minutes_find_agenda_decisions_and_actions():
    m = meeting("en", [
        ("Speaker 1", "Good morning everyone, the first item on the agenda is the Mapo-gu bike lanes."),
        ("Speaker 2", "The traffic counts on the new lanes went up by twenty percent since March."),
        ("Speaker 1", "After discussion we decided to extend the bike lanes to Hapjeong station."),
        ("Speaker 2", "Director Kim will send the revised budget to the council by Friday."),
        ("Speaker 1", "I will draft the public notice before next week."),
        ("Speaker 2", "We will see how the weather goes."),
    ])
    m.minutes = extract_minutes(m)
    assert [i.at for i in m.minutes.agenda] == [0.0]
    assert "decided to extend" in m.minutes.decisions[0].text
    actions = {a.task: a for a in m.minutes.actions}
    kim = next(a for a in actions.values() if "revised budget" in a.task)
    assert kim.owner == "Director Kim" and kim.due == "by Friday"
    mine = next(a for a in actions.values() if "public notice" in a.task)
    assert mine.owner == "Speaker 1" and "next week" in mine.due
    assert not any("weather" in a for a in actions)  # no owner, no date: not an action item
    assert m.minutes.summary


def test_korean_minutes_and_renamed_speakers_carry_into_every_export():
    m = meeting("ko", [
        ("Speaker 1", "오늘 첫 번째 안건은 마포구 자전거 도로 확장입니다."),
        ("Speaker 2", "검토 결과 합정역까지 확장하기로 결정했습니다."),
        ("Speaker 1", "김 과장이 다음 주 금요일까지 예산안을 제출해 주세요."),
    ])
    m.minutes = extract_minutes(m)
    assert m.minutes.agenda and m.minutes.decisions
    action = m.minutes.actions[0]
    assert action.owner == "김 과장" and "금요일" in action.due
    m.rename_speaker("Speaker 2", "Director Kim")
    markdown = export(m, "md").decode()
    assert "## 결정 사항" in markdown and "**Director Kim** [00:00:05]" in markdown
    srt = export(m, "srt").decode()
    assert srt.startswith("1\n00:00:00,000 --> 00:00:04,500\nSpeaker 1: 오늘")
    assert "Director Kim: 검토 결과" in srt
    vtt = export(m, "vtt").decode()
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:04.500\n<v Speaker 1>오늘")
    data = json.loads(export(m, "json"))
    assert data["segments"][1]["speaker_name"] == "Director Kim" and data["minutes"]["decisions"]
    from docx import Document

    doc = Document(io.BytesIO(export(m, "docx")))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Test" in text and "Director Kim" in text and "합정역" in text
    assert doc.tables[0].rows[1].cells[2].text == "김 과장"


def test_corrections_and_bad_renames():
    m = meeting("en", [("Speaker 1", "The meating starts now.")])
    m.correct(0, "The meeting starts now.")
    assert m.segments[0].text == "The meeting starts now." and m.segments[0].words == ()
    for bad in ("", "x" * 81):
        try:
            m.rename_speaker("Speaker 1", bad)
            raise AssertionError("accepted a bad name")
        except ValueError:
            pass
    try:
        m.rename_speaker("Speaker 9", "Nobody")
        raise AssertionError("renamed an unknown speaker")
    except KeyError:
        pass


def test_empty_meeting_exports():
    m = Meeting(title="Nothing said", language=None)
    m.minutes = extract_minutes(m)
    assert "none recorded" in export(m, "md").decode()
    assert export(m, "srt") == b"" and export(m, "vtt").decode().startswith("WEBVTT")
    assert json.loads(export(m, "json"))["segments"] == []


def test_the_minutes_date_is_written_in_the_city_time_zone():
    from datetime import datetime, timezone

    import pytest

    from dasan.settings import Settings

    m = meeting("ko", [("Speaker 1", "오늘 첫 번째 안건은 마포구 자전거 도로 확장입니다.")])
    m.created = datetime(2026, 12, 3, 15, 30, tzinfo=timezone.utc)  # past midnight in Seoul
    m.minutes = extract_minutes(m)
    assert "- 일시: 2026-12-04 00:30 KST" in export(m, "md").decode()
    from docx import Document

    doc = Document(io.BytesIO(export(m, "docx")))
    assert "일시: 2026-12-04 00:30 KST" in "\n".join(p.text for p in doc.paragraphs)
    assert "- 일시: 2026-12-03 15:30 UTC" in export(m, "md", "UTC").decode()
    assert json.loads(export(m, "json"))["created"] == "2026-12-03T15:30:00+00:00"  # the stored instant
    with pytest.raises(ValueError, match="unknown time zone 'Seoul'"):
        Settings(time_zone="Seoul")


def test_korean_decisions_and_tasks_in_any_verb_and_meeting_procedure_is_not_a_task():
    """"V-기로 했습니다" is a decision whatever the verb; "V-겠습니다" with an owner or a date is a task; saying one
    will explain or close the meeting is not."""
    m = meeting("ko", [
        ("Speaker 1", "제가 먼저 지난주 결과를 말씀드리겠습니다."),
        ("Speaker 2", "다음 달부터 주말 배차 간격을 20분으로 되돌리기로 했습니다."),
        ("Speaker 1", "이 팀장이 이달 말까지 새 시간표를 구청 누리집에 올리겠습니다."),
        ("Speaker 2", "회의를 마치겠습니다."),
    ])
    minutes = extract_minutes(m)
    assert [d.text for d in minutes.decisions] == ["다음 달부터 주말 배차 간격을 20분으로 되돌리기로 했습니다."]
    assert [(a.owner, a.due) for a in minutes.actions] == [("이 팀장", "이달 말까지")]
