"""The language of a call (Korean or English), chosen per call and switchable during it.

A call starts in ``en``, ``ko`` or ``auto``. Two things switch it, and the bot's phrases, its voice and the
assistant's answers follow at once:

- the caller asks for a language: "English, please", "in Korean", "한국어로 해 주세요", "영어로요" ...
  (:func:`requested_language`; a request alone is answered with a short confirmation in the new language);
- the caller simply speaks the other language: on each turn of an ``auto`` call, and on a turn of a fixed call
  whose transcript looks wrong (empty, or a low average log-probability), Whisper's language identification runs
  on the utterance (:func:`detect_language`), and a different supported language detected with probability
  ``switch_probability`` or more becomes the call's language (the utterance is transcribed again in it).

An ``auto`` call speaks English until the caller's language is known (Seoul's 120 greets in Korean; a city sets
``lang=ko`` or ``auto`` per line).
"""

from __future__ import annotations

import re

import numpy as np

LANGUAGES = ("en", "ko", "auto")
SPOKEN = ("en", "ko")
SWITCH_PROBABILITY = 0.8
SUSPECT_LOGPROB = -0.9  # a fixed-language transcript this unsure is checked for another language

PHRASES = {
    "en": {"greeting": "Hello, this is the Seoul 120 Dasan call center assistant. How can I help you?",
           "reprompt": "Are you still there? Please tell me your question.",
           "goodbye": "I did not hear anything, so I will end the call now. Goodbye.",
           "transfer": "Please hold, I am connecting you to an agent.",
           "interpretation": "Please hold, I am connecting you to the 120 interpretation service.",
           "switched": "Sure, I will speak English. How can I help you?",
           "not_heard": "Sorry, I did not catch that. Could you say it again?",
           "texted": "I have sent you the details by text message. Is there anything else I can help you with?",
           "not_texted": "All right. Is there anything else I can help you with?"},
    "ko": {"greeting": "안녕하세요, 서울시 120 다산콜센터 상담봇입니다. 무엇을 도와드릴까요?",
           "reprompt": "듣고 계신가요? 궁금하신 점을 말씀해 주세요.",
           "goodbye": "말씀이 없으셔서 통화를 종료하겠습니다. 안녕히 계세요.",
           "transfer": "상담원에게 연결해 드리겠습니다. 잠시만 기다려 주세요.",
           "interpretation": "120 외국어 통역 상담으로 연결해 드리겠습니다. 잠시만 기다려 주세요.",
           "switched": "네, 한국어로 안내해 드리겠습니다. 무엇을 도와드릴까요?",
           "not_heard": "죄송합니다, 잘 듣지 못했습니다. 다시 말씀해 주시겠어요?",
           "texted": "자세한 내용을 문자로 보내드렸습니다. 더 궁금하신 점이 있으신가요?",
           "not_texted": "알겠습니다. 더 궁금하신 점이 있으신가요?",
           # a Korean call without a Korean voice (espeak-ng only): said once, slowly; answers go by text
           "no_voice": "죄송합니다. 지금은 한국어 음성 답변을 드릴 수 없습니다. 답변은 문자나 카카오톡으로 보내드리겠습니다. "
                       "상담원과 통화하시려면 0번을 눌러 주세요.",
           "greeting_no_voice": "안녕하세요, 서울시 120 다산콜센터입니다.",
           "ask": "궁금하신 점을 말씀해 주세요.",
           "sent_by_text": "답변을 문자로 보내드렸습니다. 상담원 연결은 0번을 눌러 주세요."},
}

_REQUESTS = {
    "en": re.compile(r"\b(in|speak|speaking|use|switch to|change to)\s+english\b|\benglish,?\s+please\b|"
                     r"^\W*english\W*$|영어로|영어\s*(로|해|말|안내|상담)|잉글리(시|쉬)", re.IGNORECASE),
    "ko": re.compile(r"\b(in|speak|speaking|use|switch to|change to)\s+korean\b|\bkorean,?\s+please\b|"
                     r"^\W*korean\W*$|한국어|한국말|한국 말|"
                     # Whisper often hears the spoken request as "speak in Korea": with speak/talk it is the request
                     r"\b(speak|speaking|talk|talking)\s+(in\s+)?korea\b", re.IGNORECASE),
}
_ONLY_A_REQUEST_WORDS = 7  # a request this short carries no question of its own ("Can you speak Korean?")


_MENTIONS = {"en": re.compile(r"english|영어|잉글리", re.IGNORECASE),
             "ko": re.compile(r"korean|한국어|한국말|한국 말", re.IGNORECASE)}


def requested_language(text: str) -> str | None:
    """The language the caller asks for in ``text``, if any (none when both languages are named)."""
    asked = [lang for lang, pattern in _REQUESTS.items() if pattern.search(text)]
    if len(asked) != 1 or all(pattern.search(text) for pattern in _MENTIONS.values()):
        return None
    return asked[0]


def only_a_request(text: str) -> bool:
    """A short utterance that asks for a language and nothing else ("Korean, please")."""
    words = re.findall(r"[\w']+", text)
    return requested_language(text) is not None and len(words) <= _ONLY_A_REQUEST_WORDS


def detect_language(decoder, audio: np.ndarray) -> tuple[str | None, float]:
    """Whisper's language identification on an utterance: (language, probability), or (None, 0.0) where the
    decoder cannot tell (a backend without language identification)."""
    model = getattr(decoder, "model", None)
    if model is None or not getattr(getattr(model, "model", None), "is_multilingual", False):
        return None, 0.0
    import ctranslate2

    # a short encoder context (whole seconds, at least 5), as the minutes window decoder uses: fast on 2 cores
    audio = np.asarray(audio, dtype=np.float32)[: 29 * 16_000]
    seconds = max(5, int(np.ceil(len(audio) / 16_000 + 1)))
    padded = np.zeros(seconds * 16_000, dtype=np.float32)
    padded[: len(audio)] = audio
    features = model.feature_extractor(padded)[:, : seconds * 100]
    encoded = model.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None])))
    token, probability = model.model.detect_language(encoded)[0][0]
    return token[2:-2], float(probability)
