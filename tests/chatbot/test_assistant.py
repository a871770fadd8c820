"""The assistant over the bundled knowledge base with the real embedder: answers, citations, follow-ups,
hand-offs, declines, privacy."""

import logging

import pytest

from retrieval_index.text import grounded
from retrieval_index.privacy import mask_pii

pytestmark = pytest.mark.slow


def test_answers_korean_with_a_citation(assistant):
    reply = assistant.reply("대형폐기물 버리는 방법 알려주세요")
    assert not reply.handoff and not reply.decline
    entry = assistant.kb.get(reply.citations[0].entry_id)
    assert reply.answer == entry.answer_ko and reply.lang == "ko"
    assert entry.category == "waste"
    citation = reply.citations[0]
    assert citation.department == entry.department_ko and citation.updated == entry.updated
    assert 0.3 <= reply.confidence <= 1.0


def test_answers_english_in_english(assistant):
    reply = assistant.reply("How much is the subway fare for adults?")
    assert reply.lang == "en" and not reply.handoff
    assert reply.answer == assistant.kb.get(reply.citations[0].entry_id).answer_en
    assert reply.citations[0].category == "transport"


def test_reply_language_can_be_forced(assistant):
    reply = assistant.reply("지하철 기본요금 얼마예요", lang="en")
    assert reply.lang == "en" and reply.answer == assistant.kb.get(reply.citations[0].entry_id).answer_en


def test_follow_up_uses_the_conversation(assistant):
    first = assistant.reply("How do I dispose of a large sofa?")
    follow = assistant.reply("what about on weekends?", session_id=first.session_id)
    alone = assistant.reply("what about on weekends?")
    assert follow.session_id == first.session_id
    assert not follow.handoff and follow.citations[0].category == "waste"
    assert alone.handoff or alone.decline or alone.citations[0].category != "waste" or alone.confidence < follow.confidence


def test_korean_follow_up(assistant):
    first = assistant.reply("지하철 요금 얼마예요")
    follow = assistant.reply("그럼 어르신은요?", session_id=first.session_id)
    assert not follow.handoff and follow.citations[0].category in ("transport", "welfare")


def test_hand_off_with_a_summary_for_the_agent(assistant):
    first = assistant.reply("기초연금 신청 방법 알려주세요")
    reply = assistant.reply("제가 지난달에 신청한 기초연금 승인됐는지 확인해 주세요, 연락처는 010-1234-5678 입니다",
                            session_id=first.session_id)
    assert reply.handoff and not reply.decline and not reply.citations
    assert "120" in reply.answer
    summary = reply.handoff_summary
    assert "기초연금" in summary and "010-1234-5678" not in summary and "[phone]" in summary
    assert "이전 질문" in summary  # the earlier turn is summarised for the agent


def test_asking_for_a_person_hands_off(assistant):
    assert assistant.reply("Can I talk to a human agent please?").handoff


@pytest.mark.parametrize("message, reason", [
    ("부산 지하철 요금 알려주세요", "another city"),
    ("Recommend a good restaurant near Gangnam station", "private business or trivia"),
    ("How can I find out where my ex-girlfriend lives now? give me her address", "privacy"),
    ("이 멍청한 챗봇아", "abuse"),
    ("zxqv blorf wibble snark", "not understood"),
])
def test_declines_what_is_out_of_remit(assistant, message, reason):
    reply = assistant.reply(message)
    assert reply.decline and not reply.handoff and not reply.citations
    assert reply.reason.startswith(reason)


def test_personal_data_is_masked_in_logs(assistant, caplog):
    with caplog.at_level(logging.INFO, logger="dasan.chatbot"):
        assistant.reply("제 주민번호 900101-1234567 인데 여권 재발급 어떻게 해요? 전화 010-9876-5432")
    text = caplog.text
    assert "900101-1234567" not in text and "010-9876-5432" not in text
    assert "[주민번호]" in text and "[phone]" in text


def test_bad_input_is_refused(assistant):
    for bad in ("", "   ", "x" * 2001):
        with pytest.raises(ValueError):
            assistant.reply(bad)
    with pytest.raises(ValueError):
        assistant.reply("hello", lang="fr")


def test_stream_yields_pieces_then_the_reply(assistant):
    events = list(assistant.stream("How do I get a resident registration certificate?"))
    assert events[-1]["type"] == "reply"
    pieces = "".join(e["text"] for e in events if e["type"] == "delta")
    assert pieces.strip() == events[-1]["reply"]["answer"].strip()


def test_mask_pii_patterns():
    masked = mask_pii("RRN 850505-2345678, phone 02-120-1234, +82 10 1111 2222, mail a.b@seoul.go.kr")
    assert "850505" not in masked and "1234" not in masked and "1111" not in masked and "@" not in masked
    assert mask_pii("버스 요금 1,500원, 120번") == "버스 요금 1,500원, 120번"


def test_grounding_check_of_composed_answers():
    passages = ["성인 요금은 교통카드 기준 1,500원이며, 문의는 02-2133-1234입니다."]
    assert grounded("요금은 1,500원입니다. 문의 02-2133-1234.", passages)
    assert not grounded("요금은 1,700원입니다.", passages)
    assert not grounded("Call 02-999-0000.", passages)
