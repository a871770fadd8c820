"""Is a message a follow-up of the previous question ("what about for seniors?", "그럼 주말은요?", "is it free?"),
to be searched together with it, or a question of its own ("주민등록등본 떼려면?" after a bulky-waste answer)?

A message is read with the conversation only when it is elliptic: it names no topic of its own (no noun that is
neither in the previous question nor an aspect word such as a time, a group of people, a price or a channel),
and either it says it continues (a cue such as "what about", "그럼", "…은요?", an anaphor such as "it", "거기"), or
it is too short to stand alone.
"""

from __future__ import annotations

import re
from functools import lru_cache

from retrieval_index.text import analyze, nouns

_CUE_START = re.compile(
    r"^\s*(what about|how about|and |and,|also|what if|then |in case of|same for|is it|is that|does it|does that|"
    r"can i|do i|is there|are there|and for|but )|"
    r"^\s*(그럼|그러면|그건|그거는|그거|그때|그리고|또|근데|그런데|만약|그래도|아 그럼)",
    re.IGNORECASE,
)
_CUE_END = re.compile(r"(은요|는요|이요|요\?|도요|도 되나요|도 돼요|도 가능해요|도 되죠)\s*\??\s*$")
_ANAPHOR = re.compile(r"\b(it|that|this|there|those|them|these|this one|that one)\b|"
                      r"(그거|그것|그건|그게|거기|이거|이것|저거|그곳|그 서비스|그 카드|그 제도|그 앱|그 사이트|그런 거)",
                      re.IGNORECASE)
# spoken Korean that wraps a noun in a follow-up ending: "여권은요?" is about 여권
_ENDING = re.compile(r"(은요|는요|이요|도요|요)\s*\??\s*$")
_OPENING = re.compile(r"^\s*(그럼|그러면|그리고|또|근데|그런데|아|what about|how about|and|also|then)\s*,?\s*",
                      re.IGNORECASE)

# words that narrow a question rather than name one: times, people, prices, channels, places, generic nouns
ASPECTS = (
    "주말 평일 휴일 공휴일 명절 밤 야간 심야 새벽 아침 점심 저녁 오늘 내일 모레 주중 월요일 화요일 수요일 목요일 "
    "금요일 토요일 일요일 방학 겨울 여름 어르신 노인 아이 어린이 청소년 학생 대학생 외국인 장애인 임산부 여성 남성 "
    "가족 부모 엄마 아빠 아기 신혼부부 저소득층 1인 혼자 본인 대리인 요금 비용 가격 얼마 무료 유료 할인 감면 "
    "온라인 인터넷 앱 전화 문자 현장 방문 직접 대리 서류 준비물 기간 기한 시간 언제 어디 방법 조건 자격 대상 금액 "
    "수수료 경우 다른 구 동네 우리 근처 서울 서울시 영어 외국어 한국어 위치 장소 곳 번호 연락처 사람 것 거 때 "
    "weekend weekday holiday night evening morning today tomorrow monday tuesday wednesday thursday friday "
    "saturday sunday winter summer senior elderly old child kid teen teenager student foreigner foreign disabled "
    "pregnant woman women man men family parent mother father baby newlywed low income alone myself someone "
    "fee cost price much free discount online internet app phone call text person proxy document paper deadline "
    "time when where way condition eligible amount case district neighborhood neighbourhood seoul city english "
    "korean language location place number contact people thing card 카드 "
    # what one does about a topic, not a topic: issuing, applying, paying, booking, refunds, help
    "발급 재발급 신청 신고 접수 예약 취소 변경 환불 납부 결제 이용 사용 확인 조회 문의 상담 처리 지원 혜택 "
    "refund support help benefit service "
    # English has no tagger here: the verbs a follow-up asks with
    "pay apply use buy take go come need register get make book reserve renew change cancel open close find check "
    "call report ask work live stay visit bring send receive see happen cost charge allow able possible okay ok "
    "same also too still again instead"
)


@lru_cache(maxsize=1)
def _aspect_terms() -> frozenset[str]:
    return frozenset(term for word in ASPECTS.split() for term in analyze(word))


def topic_terms(message: str) -> set[str]:
    """The terms of ``message`` that could name a topic (its nouns less the aspect words)."""
    core = _ENDING.sub("", _OPENING.sub("", message.strip()))
    return set(nouns(core or message)) - _aspect_terms()


def continues(message: str) -> bool:
    """Whether the message says it continues the conversation (a cue or an anaphor)."""
    text = message.strip()
    return bool(_CUE_START.search(text) or _CUE_END.search(text) or _ANAPHOR.search(text))


def is_elliptic(message: str, previous: str, max_short_terms: int = 2) -> bool:
    """Whether ``message`` should be searched together with ``previous`` (see the module docstring)."""
    own = topic_terms(message) - set(analyze(previous)) - set(nouns(previous))
    if own:
        return False
    return continues(message) or len(analyze(message)) <= max_short_terms
