"""When a message is read together with the previous question (chatbot.followups), without the index."""

import pytest

from chatbot.followups import continues, is_elliptic, topic_terms


@pytest.mark.parametrize("previous, message", [
    ("대형 폐기물 어떻게 버려요?", "주민등록등본 떼려면?"),
    ("대형 폐기물 어떻게 버려요?", "여권은요?"),
    ("대형 폐기물 어떻게 버려요?", "냉장고는요?"),
    ("How do I dispose of a large sofa?", "How do I get a passport?"),
    ("How do I pay a parking fine?", "what about a fridge?"),
    ("How much is the bus fare?", "where do I renew my passport"),
])
def test_a_message_with_a_topic_of_its_own_stands_alone(previous, message):
    assert not is_elliptic(message, previous)


@pytest.mark.parametrize("previous, message", [
    ("지하철 요금 얼마예요", "그럼 어르신은요?"),
    ("대형 폐기물 어떻게 버려요?", "주말에도 돼요?"),
    ("기초연금 신청 방법 알려주세요", "그럼 외국인은요?"),
    ("따릉이 어떻게 빌려요", "요금은 얼마예요?"),
    ("How do I dispose of a large sofa?", "what about on weekends?"),
    ("How do I dispose of a large sofa?", "is it free?"),
    ("How do I pay a parking fine?", "can I pay online?"),
    ("How much is the bus fare?", "and for children?"),
])
def test_an_elliptic_message_continues_the_conversation(previous, message):
    assert is_elliptic(message, previous)


def test_cues_anaphors_and_topics():
    assert continues("그럼 주말은요?") and continues("what about seniors?") and continues("is it open now")
    assert not continues("여권 발급 방법")
    assert topic_terms("그럼 여권은요?") == {"여권"}
    assert topic_terms("what about on weekends?") == set()
