"""The scope rules (chatbot.scope) on their own: what they hand off or decline, and that no question the knowledge
base answers is caught by them."""

import pytest

from chatbot.kb import KnowledgeBase
from chatbot.scope import classify_scope, route_ends


def test_no_knowledge_base_question_or_paraphrase_is_caught_by_the_scope_rules():
    kb = KnowledgeBase.from_file()
    caught = [(text, classify_scope(text)) for entry in kb.entries
              for text in (entry.question_ko, entry.question_en, *entry.paraphrases_ko, *entry.paraphrases_en)
              if text and classify_scope(text).kind != "answer"]
    assert caught == []


@pytest.mark.parametrize("message", [
    "120 상담원 칭찬하고 싶어요", "데이트폭력 상담받을 곳", "아이돌봄 서비스 신청", "부산에서 120에 전화하면 어디로 연결돼요?",
    "쓰레기 몰래 버리면 과태료", "밤에 민원 접수하면 언제 처리돼요?", "I feel lonely and just want to talk to someone",
    "How do I check my unpaid parking fines?", "인천공항 가는 법",
    "There is a pothole at 396 World Cup buk-ro, Mapo-gu, please report it", "World Cup Stadium parking fee",
])
def test_questions_for_the_knowledge_base_are_answered(message):
    assert classify_scope(message).kind == "answer"


@pytest.mark.parametrize("message, kind, reason", [
    ("상담원 연결해 주세요", "handoff", "asked for a person"),
    ("put me through to an operator", "handoff", "asked for a person"),
    ("제 기초연금 왜 이번 달에 안 들어왔는지 확인 좀 해 주세요", "handoff", "about the citizen's own case"),
    ("오늘 뉴욕 날씨 어때요", "decline", "another city"),
    ("How much is the subway in Busan?", "decline", "another city"),
    ("write a python function to reverse a string", "decline", "private business or trivia"),
    ("넷플릭스 볼만한 드라마", "decline", "private business or trivia"),
    ("who will win the world cup", "decline", "private business or trivia"),
    ("Can you tell me where my coworker lives?", "decline", "privacy"),
    ("you useless piece of junk", "decline", "abuse"),
])
def test_out_of_scope_kinds(message, kind, reason):
    verdict = classify_scope(message)
    assert verdict.kind == kind and verdict.reason.startswith(reason)


def test_route_questions_name_their_ends():
    assert route_ends("강남역에서 서울역 가는 버스") == ("강남역", "서울역")
    assert route_ends("How do I get from Gangnam to Seoul Station?") == ("Gangnam", "Seoul Station")
    assert route_ends("which bus goes to Lotte World") == ("Lotte World",)
    assert route_ends("지하철 기본요금 얼마예요") == () and route_ends("부산에서 120 걸면 어디로 가요") == ()
