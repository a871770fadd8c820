"""What the assistant says when it does not answer from the knowledge base, in Korean and English."""

from __future__ import annotations

HANDOFF = {
    "ko": "이 문의는 120다산콜센터 상담사가 직접 확인해 드리는 것이 좋겠습니다. 상담사에게 연결해 드릴게요. "
          "전화로는 국번 없이 120번(휴일 포함 24시간)으로 문의하실 수 있습니다.",
    "en": "A 120 Dasan Call Center agent is the right person to look into this, so I am passing your question to "
          "an agent. You can also call 120 (open 24 hours, including holidays).",
}

DECLINES = {
    "another city": {
        "ko": "죄송하지만 저는 서울시 행정 서비스만 안내해 드릴 수 있습니다. 다른 지역의 일은 해당 시·군의 "
              "콜센터나 누리집에 문의해 주세요.",
        "en": "Sorry, I can only help with Seoul city services. For another city, please contact that city's own "
              "call center or website.",
    },
    "private business or trivia": {
        "ko": "죄송하지만 그 질문은 서울시 120 상담 범위 밖이라 도와드리기 어렵습니다. 서울시 행정이나 생활 "
              "정보에 대해 물어봐 주세요.",
        "en": "Sorry, that is outside what the Seoul 120 service can help with. Please ask me about Seoul city "
              "services or everyday city information.",
    },
    "privacy": {
        "ko": "다른 사람의 개인정보를 찾거나 열람하는 일은 도와드릴 수 없습니다. 위험한 상황이라면 112에 "
              "신고해 주세요.",
        "en": "I cannot help find or access another person's private information. If someone is in danger, "
              "please call 112.",
    },
    "abuse": {
        "ko": "서울시 생활 정보를 안내해 드리는 120 도우미입니다. 서로 존중하는 대화를 부탁드립니다.",
        "en": "I am the Seoul 120 assistant for city services. Let's keep the conversation respectful.",
    },
    "not understood": {
        "ko": "죄송합니다, 질문을 이해하지 못했습니다. 서울시 서비스에 관해 다시 말씀해 주시겠어요?",
        "en": "Sorry, I did not understand that. Could you rephrase your question about Seoul city services?",
    },
}


def decline_message(reason: str, lang: str) -> str:
    key = next((k for k in DECLINES if reason.startswith(k)), "not understood")
    return DECLINES[key]["ko" if lang == "ko" else "en"]


def handoff_message(lang: str) -> str:
    return HANDOFF["ko" if lang == "ko" else "en"]
