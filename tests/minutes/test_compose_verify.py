"""The verifier of composed minutes, the prompt's schema and parsing, chunking, and the method choice: fast checks
without the model (the model itself is exercised in test_compose_llm.py)."""

import json

import pytest

from minutes.compose import ComposeOptions, check_method, chunk_segments, compose_minutes, reverify
from minutes.compose_prompt import parse, schema
from minutes.compose_verify import Proposal, Verifier, clock_ref, parse_ref
from minutes.document import Meeting
from speech.events import Segment

EN = [
    ("Speaker 1", "Good morning. The first item on the agenda is the bike lanes in Mapo-gu."),
    ("Speaker 2", "Traffic counts on the new lanes went up by twenty percent since March, about 1,200 riders a day."),
    ("Speaker 1", "After discussion we decided to extend the bike lanes to Hapjeong station."),
    ("Speaker 2", "Director Kim will send the revised budget to the council by Friday."),
    ("Speaker 1", "I will draft the public notice before next week."),
]
KO = [
    ("Speaker 1", "오늘 첫 번째 안건은 마포구 자전거 도로 확장입니다."),
    ("Speaker 2", "검토 결과 합정역까지 확장하기로 결정했습니다."),
    ("Speaker 1", "김 과장이 다음 주 금요일까지 예산안을 제출해 주세요."),
]


def meeting(language, lines, step=37.0):
    segments = [Segment(n, n * step, n * step + 6.0, text, (), speaker, language)
                for n, (speaker, text) in enumerate(lines)]
    return Meeting(title="t", segments=segments, language=language, duration=len(lines) * step)


def test_references_round_trip_and_bad_ones_are_refused():
    assert clock_ref(74.9) == "01:14" and clock_ref(4502) == "75:02"
    assert parse_ref("01:14") == parse_ref("[01:14]") == parse_ref("0:01:14") == 74
    assert parse_ref("75:02") == 4502 and parse_ref("1:15:02") == 4502
    for bad in ("", "12", "12:75", "ab:cd", "12:34:56:78", None):
        assert parse_ref(bad) is None


def test_grounded_english_items_survive():
    m = meeting("en", EN)
    kept, dropped = Verifier(m.segments, "en").verify([
        Proposal("decision", "Extend the bike lanes to Hapjeong station.", "01:14"),
        Proposal("action", "Send the revised budget to the council", "01:51", "Director Kim", "by Friday"),
        Proposal("action", "Draft the public notice", "[02:28]", "Speaker 1", "next week"),
        Proposal("summary", "Bike lane traffic rose twenty percent, about 1,200 riders a day.", "00:37"),
    ])
    assert dropped == [] and [v.segment.id for v in kept] == [2, 3, 4, 1]


def test_fabricated_items_are_dropped_with_their_reason():
    m = meeting("en", EN)
    fabricated = [
        Proposal("decision", "Extend the bike lanes to Hapjeong station.", "03:33"),  # no segment starts there
        Proposal("action", "Send the revised budget to the council", "01:51", "Mayor Park", "by Friday"),
        Proposal("action", "Send the revised budget to the council", "01:51", "Director Kim", "by March 3"),
        Proposal("summary", "Traffic rose by 45 percent.", "00:37"),  # a number never said
        Proposal("decision", "The council approved a new football stadium downtown.", "01:14"),  # not said at all
        Proposal("summary", "자전거 도로를 확장했다.", "00:00"),  # not the meeting's language
        Proposal("decision", "Traffic counts on the new lanes went up.", "00:37"),  # said, but no decision
    ]
    kept, dropped = Verifier(m.segments, "en").verify(fabricated)
    assert kept == []
    reasons = [reason for _, reason in dropped]
    assert "no segment starts at" in reasons[0]
    assert "owner 'Mayor Park'" in reasons[1]
    assert "number" in reasons[2] or "due" in reasons[2]
    assert "number" in reasons[3]
    assert "too few of its words" in reasons[4]
    assert "language" in reasons[5]
    assert "records no decision" in reasons[6]


def test_an_item_citing_the_line_beside_its_own_is_moved_there_and_a_distant_one_dropped():
    m = meeting("en", EN)
    task = ("action", "Send the revised budget to the council")
    kept, dropped = Verifier(m.segments, "en").verify([
        Proposal(*task, clock_ref(m.segments[4].start), "Director Kim", "by Friday"),  # one line late
        Proposal(*task, clock_ref(m.segments[0].start), "Director Kim", "by Friday"),  # three lines off
    ])
    assert [v.segment.id for v in kept] == [3] and len(dropped) == 1


def test_korean_items_are_checked_with_spacing_and_particles_ignored():
    m = meeting("ko", KO)
    verifier = Verifier(m.segments, "ko", {"Speaker 2": "박 팀장"})
    kept, dropped = verifier.verify([
        Proposal("decision", "합정역까지 자전거 도로를 확장하기로 결정", "00:37"),
        Proposal("action", "예산안 제출", "01:14", "김과장님", "다음 주 금요일까지"),
        Proposal("action", "예산안 제출", "01:14", "이 국장", "다음 주 금요일"),  # nobody named 이 국장
        Proposal("action", "예산안 제출", "01:14", "김 과장", "3월 5일까지"),  # a date never said
        Proposal("decision", "Extend the lanes", "00:37"),  # English in a Korean meeting
        Proposal("action", "합정역까지 확장 검토", "00:37", "박 팀장", ""),  # a speaker's name counts as an owner
    ])
    assert [v.proposal.owner for v in kept if v.proposal.kind == "action"] == ["김과장님", "박 팀장"]
    assert len(kept) == 3 and len(dropped) == 3


def test_schema_limits_refs_to_the_chunks_lines_and_parse_reads_it():
    m = meeting("en", EN)
    s = schema(m.segments[:2])
    assert s["properties"]["actions"]["items"]["properties"]["ref"]["enum"] == ["00:00", "00:37"]
    raw = json.dumps({"summary": [{"ref": "00:00", "text": "Bike lanes."}], "decisions": [],
                      "actions": [{"ref": "00:37", "owner": "", "task": "Count riders", "due": ""}]})
    assert parse(raw) == [Proposal("summary", "Bike lanes.", "00:00"), Proposal("action", "Count riders", "00:37")]
    for bad in ("{not json", "[1, 2]", '{"summary": 3}', '{"actions": [5]}'):
        with pytest.raises(ValueError):
            parse(bad)


def test_chunks_follow_the_token_budget():
    segments = meeting("en", EN * 20).segments
    chunks = chunk_segments(segments, 120)
    assert [s for chunk in chunks for s in chunk] == segments
    assert len(chunks) > 10 and all(len(c) >= 1 for c in chunks)


def test_a_spent_time_budget_leaves_the_extractive_minutes_with_the_reason():
    from minutes.compose import compose_with_llm

    m = meeting("en", EN)
    minutes = compose_with_llm(m, None, ComposeOptions(budget_s=-1))  # no chunk may start: the model is not called
    assert minutes.composed_by == "extractive" and minutes.decisions
    assert "time budget" in minutes.composition["errors"][0]


def test_method_choice_and_unknown_methods(model_set):
    with pytest.raises(ValueError):
        check_method("gpt", model_set)
    m = meeting("en", EN)
    minutes = compose_minutes(m, "auto", model_set, llm_enabled=False)
    assert minutes.composed_by == "extractive" and "disabled" in minutes.composition["reason"]
    from minutes.compose import LLMUnavailable

    with pytest.raises(LLMUnavailable):
        compose_minutes(m, "llm", model_set, llm_enabled=False)
    assert compose_minutes(m, "extractive", model_set).composition == {"method": "extractive",
                                                                       "reason": "requested"}


def test_a_correction_reverifies_composed_items():
    from minutes.document import ActionItem, Item, Minutes

    m = meeting("en", EN)

    m.minutes = Minutes(summary=(Item("Bike lane traffic rose twenty percent.", 37.0),),
                        decisions=(Item("Extend the bike lanes to Hapjeong station.", 74.0),),
                        actions=(ActionItem("Send the revised budget to the council", 111.0, "Director Kim",
                                            "by Friday"),), composed_by="llm")
    m.correct(3, "Someone should look at the budget at some point.")
    after = reverify(m)
    assert after.composed_by == "llm" and after.actions == ()
    assert after.decisions == m.minutes.decisions and after.summary == m.minutes.summary
