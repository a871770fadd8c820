"""Minutes composed by the real local LLM (Qwen2.5-Coder 1.5B, llama.cpp) from a real transcript: the committed
ASR transcript of a short district meeting (tests/minutes/meeting_script.py), cut into two chunks so that the map
and the merge both run. The verifier is then fed a deliberately fabricated answer for the same meeting."""

from __future__ import annotations

import json
import re
import time

import pytest

from minutes.compose import ComposeOptions, compose_with_llm
from minutes.compose_prompt import parse
from minutes.compose_verify import Verifier
from retrieval_index.text import has_hangul
from tests.minutes.meeting_script import load_meeting

pytestmark = [pytest.mark.slow, pytest.mark.llm]


@pytest.fixture(scope="module")
def llm(model_set, llm_available):
    return model_set.llm()


@pytest.fixture(scope="module")
def composed(llm):
    meeting = load_meeting()
    started = time.monotonic()
    minutes = compose_with_llm(meeting, llm, ComposeOptions(chunk_tokens=250))
    info = minutes.composition
    print(f"\ncomposed in {time.monotonic() - started:.1f} s: {info['kept']} of {info['proposed']} proposed items "
          f"kept, {info['chunks']} chunks; dropped: {json.dumps(info['dropped'], ensure_ascii=False)}")
    return meeting, minutes


def test_llm_minutes_cite_real_segments_in_the_meetings_language(composed):
    meeting, minutes = composed
    assert minutes.composed_by in ("llm", "llm+extractive"), minutes.composition
    assert minutes.composition["chunks"] == 2 and minutes.composition["fallback_chunks"] == 0
    starts = {s.start for s in meeting.segments}
    written = [i for i in (*minutes.summary, *minutes.decisions, *minutes.actions) if i.by == "llm"]
    assert len(written) == minutes.composition["kept"] >= 5
    assert all(item.at in starts for item in written)  # the references point at real segments
    assert all(not has_hangul(getattr(i, "text", None) or i.task) for i in written)
    assert {"summary", "decision", "action"} == {kind for kind, items in (
        ("summary", minutes.summary), ("decision", minutes.decisions), ("action", minutes.actions))
        if any(i.by == "llm" for i in items)}
    said = " ".join(s.text for s in meeting.segments).lower()
    for action in minutes.actions:
        assert action.owner is None or action.owner.lower() in said
    assert minutes.agenda  # the agenda stays extractive: "the first item on the agenda ..."


def test_the_verifier_drops_a_fabricated_answer_for_this_meeting(composed):
    meeting, _ = composed
    by_text = {s.text: s for s in meeting.segments}
    kim = next(s for text, s in by_text.items() if "revised budget" in text)
    director = re.search(r"Director \w+", kim.text).group(0)  # "Director Kim", as the ASR heard it
    bus = next(s for text, s in by_text.items() if "N62" in text or "night bus" in text.lower())
    ref = lambda s: f"{int(s.start) // 60:02d}:{int(s.start) % 60:02d}"  # noqa: E731
    bad = json.dumps({
        "summary": [{"ref": "59:59", "text": "The team discussed the night bus route."},  # no such line
                    {"ref": ref(bus), "text": "Night bus ridership fell by 40 percent."}],  # a number not said
        "decisions": [{"ref": ref(kim), "text": "The council approved a new football stadium downtown."}],
        "actions": [{"ref": ref(kim), "owner": "Mayor Oh", "task": "Send the revised budget to the council",
                     "due": "by Friday"},  # an owner nobody named
                    {"ref": ref(kim), "owner": director, "task": "Send the revised budget to the council",
                     "due": "by Christmas"},  # a due date never said
                    {"ref": ref(meeting.segments[-1]), "owner": director, "due": "by Friday",
                     "task": "Send the revised budget to the council"},  # cites a line far from where it was said
                    {"ref": ref(kim), "owner": director, "task": "Send the revised budget to the council",
                     "due": "by Friday"}],  # the one true item
    })
    kept, dropped = Verifier(meeting.segments, "en").verify(parse(bad))
    assert [(v.proposal.owner, v.proposal.due, v.segment.id) for v in kept] == [(director, "by Friday", kim.id)]
    assert len(dropped) == 6, dropped


def test_a_truncated_answer_falls_back_to_the_extractive_minutes(llm):
    meeting = load_meeting()
    minutes = compose_with_llm(meeting, llm, ComposeOptions(max_tokens=6))  # the JSON cannot be finished
    assert minutes.composed_by == "extractive" and "not JSON" in minutes.composition["errors"][0]
    assert minutes.decisions  # the extractive items stand in


def test_a_thin_summary_of_real_conversation_is_filled_with_central_sentences(llm):
    """On real talk (the streaming transcript of the AMI excerpt tst00 of the shared speech data) the small model
    writes one vague summary line; the minutes still say as much as the extractive summary would."""
    from minutes.document import Meeting, extract_minutes
    from speech.events import Segment

    lines = [(0.4, "Speaker 1", "From I want to go to the meetings and talk about the stuff with the meetings."),
             (7.7, "Speaker 2", "Okay. Okay."), (11.7, "Speaker 2", "Right. So, shall we need to talk about it?"),
             (15.0, "Speaker 2", "So we just go around and everyone says what they've been doing."),
             (19.1, "Speaker 3", "Has it been done anything?"), (19.8, "Speaker 2", "Not that bad. Why I'm saying."),
             (25.9, "Speaker 2", "Yeah. Okay. Sounds like you've done something.")]
    segments = [Segment(n, at, at + 3.0, text, (), who, "en") for n, (at, who, text) in enumerate(lines)]
    meeting = Meeting(title="tst00", segments=segments, language="en", duration=30.0)
    minutes = compose_with_llm(meeting, llm, ComposeOptions(budget_s=float("inf")))
    extractive = extract_minutes(meeting)
    assert len(minutes.summary) >= len(extractive.summary) >= 2, minutes
    assert len({i.at for i in minutes.summary}) == len(minutes.summary)  # no line summarised twice
