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
# places abroad, for questions about another country's cities, weather or services (the Korean places outside
# Seoul are civic_services.districts' one list)
ABROAD_KO = frozenset((
    "뉴욕", "도쿄", "오사카", "후쿠오카", "교토", "베이징", "북경", "상하이", "홍콩", "타이베이", "방콕", "싱가포르",
    "하노이", "다낭", "마닐라", "파리", "런던", "베를린", "로마", "마드리드", "바르셀로나", "뉴델리", "시드니",
    "멜버른", "토론토", "밴쿠버", "LA", "로스앤젤레스", "샌프란시스코", "시애틀", "하와이", "괌", "두바이", "모스크바",
    "미국", "일본", "중국", "영국", "프랑스", "독일", "호주", "캐나다", "베트남", "태국", "필리핀", "대만",
))
ABROAD_EN = (
    "new york", "los angeles", "san francisco", "chicago", "seattle", "boston", "hawaii", "kyoto", "fukuoka",
    "hong kong", "taipei", "bangkok", "singapore", "hanoi", "manila", "berlin", "rome", "madrid", "barcelona",
    "sydney", "melbourne", "toronto", "vancouver", "dubai", "moscow", "japan", "china", "america", "usa", "england",
    "france", "germany", "australia", "canada", "vietnam", "thailand", "taiwan", "pyongyang",
)
_OTHER_CITY_EN = re.compile(r"\b(" + "|".join(re.escape(c) for c in (*OTHER_CITIES_EN, *ABROAD_EN)) + r")\b")
# A city word only counts when the message is about that city's own services, not e.g. the airport, or calling
# Seoul's 120 from there.
_CITY_CONTEXT_KO = ("시", "시청", "지하철", "버스", "구청", "시민", "광역시", "도청", "민원실", "시의")
_CITY_ALLOWED_CONTEXT = ("공항", "airport", "120", "다산")

_HUMAN_REQUEST = re.compile(
    r"(real|live|actual) (person|human)|(speak|talk) (to|with) (a |an |the )?(person|human|agent|operator|someone|"
    r"somebody|representative|staff)|human agent|customer service agent|\boperator\b|representative please|"
    r"transfer me|put me through|connect me (to|with)|(someone|somebody) i can (actually )?(speak|talk) to|"
    r"상담(원|사)(?!\S{0,3} ?(칭찬|불만|친절|불친절|평가|태도|욕|녹음))|사람(이랑|하고|과|한테|을|를)? ?"
    r"(연결|통화|얘기|이야기)|(직원|사람|담당자|가능한 분|다른 분)(이랑|하고|과|한테|으로|로)? ?(연결|통화|바꿔)|사람 바꿔",
    re.IGNORECASE,
)
# someone who is lonely or low and "wants to talk to someone" is answered with the lines that listen (the knowledge
# base has them), not put in the agents' queue
_FEELINGS = re.compile(r"lonely|alone|sad|depress|anxious|외로|쓸쓸|우울|힘들어|불안", re.IGNORECASE)
_OWN_CASE = re.compile(
    r"\bmy (application|case|claim|appeal|request|file|benefit|payment|status(?! of stay)|situation|refund|allowance|pension|"
    r"tax bill|result|approval)\b|\bin my (case|situation)\b|\bi applied\b|"
    r"\bi (was|got|have been) (told|rejected|denied|refused|fired|dismissed|laid off)\b|\bwas my\b|\bhas my\b|"
    r"\bwhy (was|did|is|has|hasn't|didn't) my\b|\blook into my\b|\bcheck (on |whether |if )my\b|"
    r"\bmy (employer|boss) (fired|dismissed)|\bcancel (it|my \w+) for me\b|\bis (that|this|it) legal\b|"
    r"\bcan i sue\b|\bshould i sue\b|\bmy job back\b|"
    r"제가 ?(지난|작년|얼마 ?전|며칠 ?전|어제|신청|낸|접수|받은)|(?<![가-힣])(제|내|저희) ?(경우|상황|사건|건|신청|서류|순번|처리|심사|"
    r"결과|고지서|기초연금|연금|수당|청년수당|급여|환급|세금|재산세|자동차세)|"
    r"(승인|처리|접수|지급|선정|탈락|심사)(이 |가 |는 )?(됐|되었|된 ?건지|됐는지|안 ?됐|어떻게 됐)|몇 ?번(째)?인지|순번|"
    r"(우리|저희) (엄마|아빠|어머니|아버지|할머니|할아버지|남편|아내|아이)(의)? .*(심사|신청|결과|처리).*(알아봐|확인|조회)|"
    r"(얼마|몇 ?번|언제) (냈|받았|신청했)는지 (조회|확인)|"
    r"소송|고소|변호|복직|양육권|합의금|이의신청서.*(써|작성)|같이 써|대신 (써|작성|신청)|법적으로 (괜찮|문제)",
    re.IGNORECASE,
)
_PRIVACY = re.compile(
    r"\bhack|\bspy on\b|\btrack (my|his|her|someone)|\b(his|her|their|my ex'?s?) (address|phone|location|account)|"
    r"\bwhere (does|do) (he|she|they) live\b|\bfind (out )?where .* lives\b|\bwhere my \w+ lives\b|"
    r"\b(phone number|address) of (the|a|my|that) (woman|man|girl|guy|person|neighbou?r)|"
    r"\bwithout (her|him|them) knowing\b|\bread (my |his |her )?(wife|husband|girlfriend|boyfriend|partner)'?s? "
    r"(messages|texts|chats|e-?mails)|해킹|몰래 ?(보|봐|읽|확인|녹음|촬영|찍|따라|추적|들어가|열어)|위치 ?추적|(전|옛) ?(여자 ?친구|남자 ?친구|애인|남편|아내)|남의|"
    r"다른 사람(의)? ?(주소|번호|전화|정보)|(옆집|이웃|윗집|아랫집|동료|직장 동료) (사람)? ?(의 )?(전화번호|번호|주소|연락처)|"
    r"(주소|전화번호|연락처|주민등록).*(조회|알려|찾아) ?(주세요|줘|달라)",
    re.IGNORECASE,
)
_PRIVATE_OR_TRIVIA = re.compile(
    # shopping, brands and prices of goods; restaurants, cafes, hotels; money markets
    r"\bstock|\bshare price|\blottery\b|\b(best|good|nice|tasty|famous|cheap) (\w+ )?(restaurants?|hotels?|cafes?|"
    r"laptops?|phones?|bars?|places? to eat)\b|\b(restaurants?|hotels?|cafes?) (near|around|in)\b|"
    r"\brecommend (a|me|some)\b|\bbook me\b|\bconcert\b|\bticket(s)? for\b|\bmovie\b|\bnetflix\b|\bbitcoin|\bcrypto|"
    r"\bhoroscope|\bwho won\b|\bsalary calculat|\bnet pay\b|\bjoke\b|\biphone|\bgalaxy s\d|\bamazon\b|\bcoupang\b|"
    r"\bstarbucks\b|\bmcdonald|\binstagram\b|\btiktok\b|\byoutube\b|\bviral\b|\brecipe|\bcalories?\b|\bdiet\b|"
    r"\bk-?pop\b|\bidol\b|\bbaseball score|\bprice prediction\b|\bcover letter\b|\bresume\b|"
    # the tournament, not Seoul's World Cup Stadium, Park, Bridge or the roads named after it (World Cup buk-ro)
    r"\bworld cup\b(?![\s-]*(?:buk-?ro|bug-?ro|ro\b|road|stadium|park|bridge|station|market))|"
    # general knowledge, chit-chat, personal advice
    r"\bcapital of\b|\btallest\b|\bmeaning of life\b|\bwho invented\b|\bhow old are you\b|\bdo you love\b|"
    r"\bare you (a )?(human|real|married|single)\b|\b(i'?m|i am) bored\b|\bshould i (quit|break up|marry|date)\b|"
    r"\btravel the world\b|\btranslate\b|"
    # programming
    r"\b(python|java|javascript|c\+\+|sql|html|css|regex)\b|\bnullpointer|\bfunction to\b|\bwrite (a |some )?code\b|"
    r"\bdebug\b|"
    r"주가|주식|코인|비트코인|로또|맛집|음식점 ?추천|추천해 ?(줘|주세요)|추천 ?좀|콘서트|티켓|영화 ?추천|연예인|운세|"
    r"월급 ?계산|세후 ?월급|연봉 ?계산|농담|게임 ?추천|주식 ?전망|오를까요|내릴까요|시세|아이폰|갤럭시|쿠팡|배민|"
    r"배달의민족|스타벅스|넷플릭스|드라마|유튜브|인스타|레시피|요리법|다이어트|살 ?빼|칼로리|헤어질까|사귈까|연애|"
    r"심심해|몇 ?살이야|사랑해|노래 ?(뭐|추천)|유행하는|아이돌(?!봄|보미)|프로야구|축구 ?경기|경기 결과|연봉 ?얼마|"
    r"(삼성|현대|엘지|LG|SK|롯데|신한|국민|KB|우리|하나)(카드|은행|전자)|연회비|데이트(하기|코스|장소)|학원 ?(추천|어디)|입시|"
    r"(코드|프로그램) ?(짜|작성)|파이썬|자바스크립트|코딩|번역해|이름 ?(지어|추천)|더하기|곱하기|제일 높은|왜 파래",
    re.IGNORECASE,
)
_ABUSE = re.compile(
    r"\b(fuck|shit|bitch|asshole|bastard|idiot|stupid|moron|retard|dumb)\w*|\buseless (bot|chatbot|machine|thing|"
    r"assistant)\b|\bpiece of (junk|crap|garbage)\b|"
    r"씨발|시발|ㅅㅂ|ㅆㅂ|개새|병신|ㅂㅅ|좆|존나|미친놈|미친년|꺼져|닥쳐|멍청|바보",
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
            if token.form in ABROAD_KO and token.tag.startswith("NN"):
                return token.form
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
    if _HUMAN_REQUEST.search(text) and not _FEELINGS.search(text):
        return ScopeVerdict("handoff", "asked for a person")
    city = _other_city(text)
    if city:
        return ScopeVerdict("decline", f"another city ({city})")
    if _PRIVATE_OR_TRIVIA.search(text):
        return ScopeVerdict("decline", "private business or trivia")
    if _OWN_CASE.search(text):
        return ScopeVerdict("handoff", "about the citizen's own case")
    return ScopeVerdict("answer")


# A way between two places ("강남역에서 서울역 가는 버스", "from Gangnam to Seoul Station"): the knowledge base
# answers it only when an entry is about those places (the airport, the zoo); other routes are for a map or an agent.
_ROUTE_KO = re.compile(r"(?P<origin>[\w가-힣]+?)(?:에서|부터)\s+(?P<destination>[\w가-힣]+?)(?:까지|으로|로)?\s*"
                       r"(?:가는|가려면|갈 ?때|가요|가나요|어떻게 가|가는 ?법|가는 ?길|버스|지하철|몇 번)")
_ROUTE_EN = re.compile(r"\bfrom (?P<origin>[\w' ]+?) to (?P<destination>[\w' ]+?)(?= by\b| on\b| using\b|[?.!,]|$)|"
                       r"\b(?:bus|train|subway|metro|route|way|directions?) (?:that goes |going |goes |runs )?to (?P<dest2>[\w' ]+?)"
                       r"(?= from\b|[?.!,]|$)", re.IGNORECASE)
_PLACE_WORDS = frozenset(("역", "station", "stop", "정류장", "the", "a", "an", "my", "here", "there", "home", "집"))
ROUTE_PLACE_TERMS = frozenset(("역", "station", "stop", "정류장", "terminal", "터미널", "입구", "entranc"))


def route_ends(text: str) -> tuple[str, ...]:
    """The places a route question names (origin and destination, or only the destination), or () when the message
    does not ask for a way between places."""
    match = _ROUTE_KO.search(text) if has_hangul(text) else _ROUTE_EN.search(text)
    if not match:
        return ()
    places = [match.groupdict().get(name) for name in ("origin", "destination", "dest2")]
    return tuple(p.strip() for p in places if p and p.strip().lower() not in _PLACE_WORDS)
