"""Is a message something the 120 knowledge base should answer, a case for a human agent, or out of the city's
remit? Lexical rules over morphemes and words, kept in lists a city can extend.

- handoff: the citizen asks for a person, or about their own case (an application's status, advice on their
  own legal or personal situation), which only an agent with access to records can handle;
- decline: another city, a private business or trivia, a request that would violate someone's privacy, abuse,
  or nonsense.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from civic_services.districts import OTHER_CITIES_EN, OTHER_CITIES_KO
from retrieval_index.text import has_hangul, kiwi

OTHER_CITIES_KO = frozenset(OTHER_CITIES_KO)
_OTHER_CITY_EN = re.compile(r"\b(" + "|".join(re.escape(c) for c in OTHER_CITIES_EN) + r")\b")
# A city word only counts when the message is about that city's own services, not e.g. the airport.
_CITY_CONTEXT_KO = ("시", "시청", "지하철", "버스", "구청", "시민", "광역시", "도청", "민원실", "시의")
_CITY_ALLOWED_CONTEXT = ("공항", "airport")

_HUMAN_REQUEST = re.compile(
    r"(real|live|actual) (person|human)|speak (to|with) (a |an )?(person|human|agent|operator|someone)|"
    r"talk (to|with) (a |an )?(person|human|agent|operator|someone)|human agent|customer service agent|"
    r"transfer me|connect me (to|with)|상담원|상담사|사람(이랑|하고|과|한테|을|를)? ?(연결|통화|얘기|이야기)|"
    r"직원(이랑|하고|과|한테)? ?(연결|통화)|담당자 ?(연결|바꿔)|사람 바꿔",
    re.IGNORECASE,
)
_OWN_CASE = re.compile(
    r"\bmy (application|case|claim|appeal|request|file|benefit|payment|status|situation)\b|"
    r"\bin my (case|situation)\b|\bi applied\b|\bi (was|got) (told|rejected|denied|refused)\b|"
    r"\bwas my\b|\bhas my\b|\bwhy (was|did) my\b|\blook into my\b|\bcheck (on )?my\b|\bmy landlord\b|"
    r"\bis (that|this|it) legal\b|\bcan i sue\b|\bshould i sue\b|"
    r"제가 ?(지난|작년|얼마 ?전|며칠 ?전|어제|신청|낸|접수)|(제|내|저희) ?(경우|상황|사건|건|신청|서류|순번|처리)|"
    r"(승인|처리|접수|지급|선정|탈락)(이 )?(됐|되었|된 ?건지|됐는지|안 ?됐)|몇 ?번(째)?인지|순번|"
    r"소송|고소|변호|복직|양육권|이의신청서.*(써|작성)|같이 써|대신 (써|작성|신청)",
    re.IGNORECASE,
)
_PRIVACY = re.compile(
    r"\bhack|\bspy on\b|\btrack (my|his|her|someone)|\b(his|her|their|my ex'?s?) (address|phone|location|account)|"
    r"\bwhere (does|do) (he|she|they) live\b|\bfind (out )?where .* lives\b|"
    r"해킹|몰래|위치 ?추적|(전|옛) ?(여자 ?친구|남자 ?친구|애인|남편|아내)|남의|다른 사람(의)? ?(주소|번호|전화|정보)|"
    r"(주소|전화번호|연락처|주민등록).*(조회|알려|찾아) ?(주세요|줘|달라)",
    re.IGNORECASE,
)
_PRIVATE_OR_TRIVIA = re.compile(
    r"\bstock|\bshare price|\blottery\b|\b(best|good|nice|tasty|famous) (\w+ )?restaurants?\b|"
    r"\brestaurants? (near|around|in)\b|\brecommend (a|me|some)\b|\bconcert\b|\bticket(s)? for\b|"
    r"\bmovie\b|\bbitcoin|\bcrypto|\bhoroscope|\bwho won\b|\bsalary calculat|\bnet pay\b|\bjoke\b|"
    r"주가|주식|코인|비트코인|로또|맛집|음식점 ?추천|추천해 ?(줘|주세요)|콘서트|티켓|영화 ?추천|연예인|운세|"
    r"월급 ?계산|세후 ?월급|연봉 ?계산|농담|게임 ?추천|주식 ?전망|오를까요|내릴까요",
    re.IGNORECASE,
)
_ABUSE = re.compile(
    r"\b(fuck|shit|bitch|asshole|bastard|idiot|stupid bot|moron|retard)\w*|"
    r"씨발|시발|ㅅㅂ|ㅆㅂ|개새|병신|ㅂㅅ|좆|존나|미친놈|미친년|꺼져|닥쳐|멍청",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ScopeVerdict:
    kind: str  # "answer", "handoff" or "decline"
    reason: str = ""


def _other_city(text: str) -> str | None:
    lowered = text.lower()
    if any(word in lowered for word in _CITY_ALLOWED_CONTEXT) or "seoul" in lowered or "서울" in text:
        return None  # about Seoul, even if another place is named ("calling 120 from Busan")
    if has_hangul(text):
        tokens = kiwi().tokenize(text)
        for index, token in enumerate(tokens):
            form = token.form[:-1] if token.form.endswith("시") and len(token.form) > 2 else token.form
            if form in OTHER_CITIES_KO and token.tag.startswith("NN"):
                if form != token.form:
                    return form
                following = tokens[index + 1].form if index + 1 < len(tokens) else ""
                if token.form.endswith("도") or following in _CITY_CONTEXT_KO or following.startswith(
                        _CITY_CONTEXT_KO):
                    return token.form
                if token.tag == "NNP":
                    return token.form
    match = _OTHER_CITY_EN.search(lowered)
    return match.group(0) if match else None


def classify_scope(text: str) -> ScopeVerdict:
    """What kind of request this is, before any retrieval."""
    if _ABUSE.search(text):
        return ScopeVerdict("decline", "abuse")
    if _PRIVACY.search(text):
        return ScopeVerdict("decline", "privacy")
    if _HUMAN_REQUEST.search(text):
        return ScopeVerdict("handoff", "asked for a person")
    city = _other_city(text)
    if city:
        return ScopeVerdict("decline", f"another city ({city})")
    if _PRIVATE_OR_TRIVIA.search(text):
        return ScopeVerdict("decline", "private business or trivia")
    if _OWN_CASE.search(text):
        return ScopeVerdict("handoff", "about the citizen's own case")
    return ScopeVerdict("answer")
