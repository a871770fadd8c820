"""The assistant over real HTTP: /chat, /chat/stream (server-sent events), /kb/{id}, and bad input."""

import json

import httpx
import pytest

pytestmark = pytest.mark.slow


def test_chat_answers_and_keeps_the_session(live_server):
    first = httpx.post(f"{live_server}/chat", json={"message": "따릉이 어떻게 빌려요?"}, timeout=30)
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) >= {"session_id", "answer", "citations", "handoff", "decline", "confidence"}
    assert body["citations"] and body["citations"][0]["entry_id"].startswith("faq-")
    assert not body["handoff"] and not body["decline"] and body["lang"] == "ko"
    again = httpx.post(f"{live_server}/chat", json={"message": "그럼 요금은요?", "session_id": body["session_id"]},
                       timeout=30).json()
    assert again["session_id"] == body["session_id"]


def test_chat_hands_off_and_declines(live_server):
    handoff = httpx.post(f"{live_server}/chat", json={"message": "I want to speak to a real person"}).json()
    assert handoff["handoff"] and handoff["handoff_summary"] and not handoff["citations"]
    decline = httpx.post(f"{live_server}/chat", json={"message": "대구 시청 몇 시까지 해요?", "lang": "ko"}).json()
    assert decline["decline"] and not decline["handoff"]


def test_stream_sends_deltas_then_the_reply(live_server):
    with httpx.stream("POST", f"{live_server}/chat/stream", json={"message": "How do I get a passport?"},
                      timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]
    assert events[0]["type"] == "delta" and events[-1]["type"] == "reply"
    assert events[-1]["citations"] and events[-1]["answer"].startswith(events[0]["text"].strip()[:10])


def test_kb_entry_and_unknown_entry(live_server):
    entry = httpx.get(f"{live_server}/kb/faq-0001")
    assert entry.status_code == 200 and entry.json()["question_ko"] and entry.json()["answer_en"]
    missing = httpx.get(f"{live_server}/kb/faq-9999")
    assert missing.status_code == 404 and "faq-9999" in missing.json()["detail"]


@pytest.mark.parametrize("payload", [
    {}, {"message": ""}, {"message": "x" * 2001}, {"message": "hi", "lang": "fr"},
    {"message": "hi", "session_id": "../../etc"}, {"message": 42},
])
def test_bad_requests_are_4xx_with_a_message(live_server, payload):
    response = httpx.post(f"{live_server}/chat", json=payload)
    assert response.status_code == 422 and response.json()["detail"]


def test_malformed_json_is_a_4xx(live_server):
    response = httpx.post(f"{live_server}/chat", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_chat_files_a_complaint_after_confirmation(live_server):
    first = httpx.post(f"{live_server}/chat", json={
        "message": "강북구 도봉로 89 앞 보행자 신호등 버튼이 고장 났어요"}, timeout=30).json()
    assert first["tool"] == "submit_complaint" and first["awaiting"] == "confirm"
    done = httpx.post(f"{live_server}/chat", json={"message": "네", "session_id": first["session_id"]},
                      timeout=30).json()
    assert done["tool"] == "submit_complaint" and done["awaiting"] is None
    ticket = done["answer"].split("접수번호는 ")[1][:14]
    public = httpx.get(f"{live_server}/open311/v2/requests/{ticket}.json")
    assert public.status_code == 200 and public.json()[0]["service_code"] == "traffic_signal"
