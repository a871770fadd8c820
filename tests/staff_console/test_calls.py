"""Agents' calls in headless Chromium: a call recorded through the call records the way the voicebot records it
(added when it starts, written whole when it ends), handed off to an agent, shows in the list with its outcome;
the agent reads the hand-off summary and the transcript with the bot's sources, takes the call over (kept beside
its record, in the audit log), and a second agent cannot take it again."""

from __future__ import annotations

import time

import pytest

from tests.portal.test_portal_pages import _ready, _until
from tests.staff_console.conftest import session_client
from voicebot.call import CallRecord

pytestmark = pytest.mark.slow

SUMMARY = ("[120 hand-off to agent] Voice call CA-console-1, spoken language ko. Reason: the caller pressed 0 for an "
           "agent. The caller asked: '여권 발급 어디서 해요?'. The voicebot answered from faq-passport.")


def _record_calls(calls) -> None:
    handed = CallRecord("CA-console-1", "ko", time.time() - 60, mode="ko")
    calls.add(handed.call_id, handed)
    handed.transcript.append({"role": "caller", "text": "여권 발급 어디서 해요?", "at": 1.0})
    handed.transcript.append({"role": "bot", "text": "구청 민원실에서 신청합니다.", "entry": "faq-passport", "at": 2.5})
    handed.turns.append({"text": "여권 발급 어디서 해요?", "entry": "faq-passport", "handoff": False})
    handed.transcript.append({"role": "caller", "dtmf": "0", "at": 4.0})
    handed.transfer_summary, handed.transfer_target, handed.outcome = SUMMARY, "agent", "transferred"
    handed.ended_at = time.time() - 30
    calls.finish(handed.call_id)
    answered = CallRecord("CA-console-2", "en", time.time() - 20, mode="en")
    calls.add(answered.call_id, answered)
    answered.transcript.append({"role": "bot", "text": "Bulky waste is collected on request.", "entry": "faq-waste"})
    answered.turns.append({"text": "bulky waste", "entry": "faq-waste"})
    answered.outcome = "completed"
    calls.finish(answered.call_id)


def test_an_agent_reads_the_hand_off_summary_and_takes_the_call(console_server, signed_in_page, staff_user):
    _record_calls(console_server.runtime.calls)
    page = signed_in_page("agent", target="/staff/calls")
    _ready(page)
    _until(page, "document.querySelectorAll('#calls tr[data-call]').length >= 2")
    assert page.locator("#calls tr[data-call='CA-console-1']").get_attribute("data-kind") == "handed_off"
    assert "Handed off" in page.locator("#calls tr[data-call='CA-console-1']").inner_text()
    assert "Answered" in page.locator("#calls tr[data-call='CA-console-2']").inner_text()
    page.get_by_role("button", name="Show call CA-console-1").click()
    _until(page, "document.querySelector('#summary').textContent.includes('hand-off to agent')")
    assert page.evaluate("document.activeElement.id") == "detail-h"
    assert page.locator("#summary").inner_text() == SUMMARY
    transcript = page.locator("#transcript").inner_text()
    assert "여권 발급 어디서 해요?" in transcript and "Source: faq-passport" in transcript
    page.get_by_role("button", name="Take over this call").click()
    page.get_by_text(f"Taken over by agent:{page.user_name}.").wait_for()
    assert page.get_by_role("button", name="Take over this call").is_hidden()
    assert console_server.runtime.calls.get("CA-console-1")["taken"]["by"] == f"agent:{page.user_name}"
    actions = [e["action"] for e in console_server.runtime.audit.recent(50) if e["actor"] == f"agent:{page.user_name}"]
    assert "POST /staff/calls/CA-console-1/take" in actions
    # another agent cannot take it again; an answered call cannot be taken over
    other = session_client(console_server.base, *staff_user("agent"))
    try:
        again = other.post("/staff/calls/CA-console-1/take", headers={"X-CSRF-Token": other.csrf})
        assert again.status_code == 409 and "already taken over" in again.json()["detail"]
        answered = other.post("/staff/calls/CA-console-2/take", headers={"X-CSRF-Token": other.csrf})
        assert answered.status_code == 409 and "not handed off" in answered.json()["detail"]
    finally:
        other.close()
    # the dashboard counts today's calls by outcome and topic
    summary = page.evaluate("fetch('/staff/dashboard/summary').then((r) => r.json())")
    assert summary["calls"]["handed_off"] >= 1 and summary["calls"]["answered_by_bot"] >= 1
    assert summary["calls"]["topics"].get("faq-passport") == 1
    assert page.errors == []
