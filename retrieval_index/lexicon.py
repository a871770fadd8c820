"""How citizens write what the knowledge base writes in full: abbreviations and colloquial Korean, English
synonyms and a few broader words, applied by :func:`retrieval_index.text.analyze` to queries and documents alike.

- ``SPELLINGS`` rewrite the text before analysis (and the query before it is embedded): clipped Korean words
  (음쓰, 기동카, 등본 stays as is because Kiwi already splits 주민등록등본), English phrases that mean one thing
  ("get rid of", "throw away"), spellings of one word ("wi-fi").
- ``SYNONYMS`` map a search term to the one the knowledge base uses (couch -> sofa, cab -> taxi).
- ``BROADER`` add the category word a specific item belongs to (sofa, mattress -> furniture; fridge, washer ->
  appliance), so a question about an item the knowledge base does not name still meets its entry.

Every rule gives the same text when applied twice. The lists hold general Seoul civic vocabulary, not the wording of any evaluation set. Changing them changes the
terms an index stores, so :data:`retrieval_index.text.ANALYSIS_VERSION` (recorded in each index) changes too and
an older index is refused until it is rebuilt.
"""

from __future__ import annotations

import re

# (pattern, replacement) on NFKC-normalised text; Korean patterns match a word start (a clipped form inside a
# longer word is left alone), English ones are case-insensitive
_KO_SPELLINGS = {
    "음쓰": "음식물 쓰레기", "음식물쓰레기": "음식물 쓰레기", "쓰봉": "쓰레기봉투", "쓰레기 봉투": "쓰레기봉투",
    "기동카": "기후동행카드", "기후카드": "기후동행카드", "장콜": "장애인 콜택시", "카톡": "카카오톡",
    "경단녀": "경력단절 여성", "민증": "주민등록증", "주민증": "주민등록증", "스쿨존": "어린이보호구역",
    "알바": "아르바이트", "길냥이": "길고양이", "건보료": "건강보험료", "건보": "건강보험", "핸드폰": "휴대전화",
    "휴대폰": "휴대전화", "노숙자": "노숙인",
    "공항 철도": "공항철도", "택시비": "택시 요금", "버스비": "버스 요금", "지하철비": "지하철 요금",
    "전철": "지하철", "애기": "아기", "신생아": "아기", "등초본": "등본 초본",
    "동사무소": "주민센터", "행정복지센터": "주민센터", "영업시간": "운영 시간", "주정차": "주차 정차",
    "운영시간": "운영 시간",
}
_EN_SPELLINGS = {
    r"get rid of": "dispose of", r"throw (?:away|out)": "dispose of", r"chuck (?:away|out)": "dispose of",
    r"wi-?fi": "wifi", r"e-?scooters?": "scooter", r"kick ?scooters?": "scooter", r"t-?money": "tmoney",
    r"k-?pass": "kpass", r"lost and found": "lost property", r"opening times?": "opening hours",
    r"open late": "open at night", r"after hours": "at night", r"id card": "resident registration card",
    r"arc": "residence card", r"alien registration card": "residence card", r"parking ticket": "parking fine",
    r"bus pass": "transit card", r"travel card": "transit card", r"paycheck": "wage",
    # British spellings and one-word compounds, written as the knowledge base writes them
    r"centre(s?)": r"center\1", r"neighbour(s?|hood)": r"neighbor\1", r"licence(s?)": r"license\1",
    r"programme(s?)": r"program\1", r"colour(s?)": r"color\1", r"cancelled": "canceled",
    r"travell(ing|ed|er)": r"travel\1", r"heatwaves?": "heat wave", r"cold ?snap": "cold wave",
    r"e-?mail": "email", r"check-?up": "checkup", r"day ?care": "childcare", r"baby-?sitt(ing|er)": "childcare",
}
# words added when a phrase asks about opening hours, which analysis would otherwise drop ("몇 시까지 해요")
_HOURS = re.compile(r"몇 ?시(까지|부터|에 (열|닫|문))|언제까지 (해|하|열)|\bwhat time (does|do|is|are)\b.*\b(open|close|run)|"
                    r"\bhow late\b|\buntil when\b|\bhours\b", re.IGNORECASE)
SPELLINGS: tuple[tuple[re.Pattern, str], ...] = tuple(
    # the polite 요 after a topic particle at the end ("여권은요?") carries nothing and misleads Kiwi ("여/권")
    [(re.compile(r"(?<=[가-힣])(은|는)요(?=\s*[?.!]*\s*$)"), r"\1")]
    + [(re.compile(r"(?<![가-힣])" + re.escape(short)), full) for short, full in _KO_SPELLINGS.items()]
    + [(re.compile(r"\b" + pattern + r"\b" if pattern[0].isalpha() else pattern, re.IGNORECASE), full)
       for pattern, full in _EN_SPELLINGS.items()]
)

# English terms are Snowball stems (see analyze): "refrigerator" is "refriger", "garbage" is "garbag"
SYNONYMS: dict[str, str] = {
    "couch": "sofa", "settee": "sofa", "refriger": "fridg", "freezer": "fridg", "washer": "wash",
    "metro": "subway", "underground": "subway", "tube": "subway", "cab": "taxi", "taxicab": "taxi",
    "trash": "garbag", "rubbish": "garbag", "litter": "garbag",
    "discard": "dispos", "toss": "dispos", "dump": "dispos", "chemist": "pharmaci", "drugstor": "pharmaci",
    "pill": "medicin", "med": "medicin", "medic": "medicin", "medicat": "medicin", "drug": "medicin",
    "kid": "child", "children": "child", "son": "child", "daughter": "child", "toddler": "child",
    "infant": "babi", "newborn": "babi", "elder": "senior", "pension": "pension", "retire": "senior",
    "bicycl": "bike", "apt": "apart", "condo": "apart",
    "salari": "wage", "pay": "pay", "doctor": "hospit", "clinic": "hospit", "puppi": "dog", "kitten": "cat",
    "fee": "fee", "fare": "fare", "jobless": "unemploy", "laid": "unemploy", "fire": "fire",
    "rent": "rent", "landlady": "landlord", "lessor": "landlord", "counsel": "counsel", "therapi": "counsel",
    "therapist": "counsel", "psychologist": "counsel", "smoke": "smoke", "cigarett": "smoke", "vape": "smoke",
    "tow": "tow", "impound": "tow", "nois": "nois", "loud": "nois", "racket": "nois", "odor": "smell",
    "odour": "smell", "stink": "smell", "stench": "smell", "tv": "televis",
    "telli": "televis", "microwav": "microwav", "mattress": "mattress",
    "노숙": "노숙인", "휴대": "휴대전화", "소아": "아이", "어린이": "아이", "애": "아이", "아들": "아이", "딸": "아이",
    "노인": "어르신", "고령자": "어르신", "할머니": "어르신", "할아버지": "어르신", "노부모": "어르신",
    "월급": "임금", "급여": "임금", "알바비": "임금", "임금": "임금", "벌금": "과태료", "딱지": "과태료",
    "주차장": "주차장", "전세금": "보증금", "셋집": "전세", "반려견": "강아지", "개": "강아지", "멍멍이": "강아지",
    "고양이": "고양이", "냥이": "고양이", "자전거": "자전거", "티비": "텔레비전", "테레비": "텔레비전",
}
SYNONYMS = {k: v for k, v in SYNONYMS.items() if k != v}

_FURNITURE = ("sofa", "mattress", "bed", "wardrob", "dresser", "desk", "chair", "bookshelf", "bookcas",
              "cabinet", "closet", "armchair", "futon", "소파", "장롱", "침대", "매트리스", "책상", "의자", "식탁",
              "옷장", "서랍장", "책장", "화장대", "쇼파")
_APPLIANCES = ("fridg", "wash", "dryer", "televis", "microwav", "dishwash", "냉장고", "세탁기", "건조기",
               "텔레비전", "전자레인지", "에어컨", "김치냉장고", "식기세척기", "정수기")
BROADER: dict[str, tuple[str, ...]] = {
    **{item: ("furnitur",) if item.isascii() else ("가구",) for item in _FURNITURE},
    **{item: ("applianc",) if item.isascii() else ("가전",) for item in _APPLIANCES},
}


def respell(text: str) -> str:
    """The text with citizens' short and colloquial forms written the way the knowledge base writes them (and, for a
    question about opening hours, the words the knowledge base uses for them)."""
    for pattern, full in SPELLINGS:
        text = pattern.sub(full, text)
    if _HOURS.search(text) and not text.endswith((" 운영 시간", " opening hours")):
        text += " 운영 시간" if re.search(r"[가-힣]", text) else " opening hours"
    return text


def canonical(terms: list[str]) -> list[str]:
    """Search terms with synonyms mapped to one term and broader words added after their items."""
    out = []
    for term in terms:
        term = SYNONYMS.get(term, term)
        out.append(term)
        out.extend(BROADER.get(term, ()))
    return out
