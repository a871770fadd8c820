"""The router without a language model: which tool, from lexical cues and (with an embedder) the nearest labelled
examples; its arguments from the gazetteers and normalisers of :mod:`chatbot.routing.lexicon`.

Two steps, kept apart so each can be measured and improved on its own:

1. *Intent.* Every tool gets a lexical score from cue words (a ticket id, a poll id with a result word, a metric
   with a period, ...) and, when the composition gives the router an embedder, the similarity of the request to
   each tool's labelled examples (:mod:`chatbot.routing.examples`; the knowledge base's own questions stand for
   "not a tool"). The tool with the best sum wins; "none" can win too.
2. *Arguments.* The chosen tool's slots are read off the text; a slot the lexicons cannot read (a complaint's
   category, a dataset) falls back to the nearest catalogue entry in the embedding space; what is still missing
   is asked for by the dialogue.

Without an embedder the lexical scores decide alone (fast, predictable; the tests' default). Either way the router
takes well under a millisecond of its own work plus one embedding of the request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from chatbot.routing import lexicon as lx
from chatbot.routing.base import ToolCall
from chatbot.routing.examples import EXAMPLES
from chatbot.routing.intent import ExampleIndex

_POLL_WORDS = ("투표", "엠보팅", "mvoting", "m-voting", "poll", "vote", "참여예산", "ballot", "설문", "안건")
_RESULT_WORDS = ("결과", "집계", "개표", "득표", "몇 표", "이겼", "result", "tally", "how did", "end", "outcome", "winner", "won",
                 "final count", "votes did", "choose in", "chose")
_CAST_WORDS = ("찬성", "반대", "투표할게", "투표할께", "투표하고 싶", "투표하겠", "투표해 주", "한 표", "표를", "선택할게", "할게요",
               "i vote", "vote for", "vote yes", "vote no", "cast my", "cast a", "my vote", "my ballot", "put my vote",
               "put me down", "count me", "i choose", "선택지로 투표", "에 투표", "로 투표")
_LIST_WORDS = ("목록", "리스트", "진행 중", "진행중", "뭐 있어", "뭐가 있", "뭐 있나", "어떤 투표", "어떤 거", "올라온", "list", "open",
               "show me", "which polls", "what polls", "전체", "전부", "모든", "any polls", "going on", "running",
               "currently", "can i vote in", "take part", "참여할 수 있는")
_STATUS_WORDS = ("처리", "확인", "어떻게 됐", "진행 상황", "진행상황", "아직", "조회", "현황", "status", "what's happening",
                 "what is happening", "update on", "update", "progress", "fixed yet", "고쳐졌", "handled", "closed yet",
                 "track", "what happened")
_ALERT_WORDS = ("경보", "주의보", "alert", "warning", "advisory")
# questions about the portal itself (keys, sign-up, how to use it) are for the knowledge base, not a search
_PORTAL_WORDS = ("api", "인증키", "키 발급", " 키", "회원가입", "이용 방법", "이용방법", "사용법", "api key", "sign up",
                 "register", "how to use")
_DATA_WORDS = ("데이터", "data", "dataset", "열린데이터", "open data", "파일", "csv", "공공데이터", "자료", "download", "다운로드",
               "오픈데이터", "카탈로그", "catalogue", "catalog")
_ALL_DATASETS = re.compile(r"어떤\s*(?:공공)?데이터(?:셋)?(?:가|들이|이)?\s*있|데이터(?:셋)?\s*(?:전체|전부|목록|카탈로그)|"
                           r"(?:전체|모든)\s*(?:공공)?데이터|카탈로그|\b(?:which|what)\s+(?:kinds?\s+of\s+)?(?:open\s+)?"
                           r"(?:data\s*sets?|datasets|data)\b(?!\s+(?:on|about|for))|\b(?:list|show|all|every)\b.*\b"
                           r"(?:data\s*sets?|datasets)\b|\bdatasets?\s+(?:are\s+)?available\b", re.IGNORECASE)
_SEARCH_FILLER = re.compile(
    r"열린\s*데이터\s*광장에서|열린\s*데이터\s*광장에|열린데이터광장|공공데이터|오픈데이터|데이터\s*(?:셋들?|검색|찾아|있나요|있어요|있어)?|"
    r"자료|관련|파일로\s*받을\s*수\s*있는|받을\s*수\s*있는|다운로드\s*받고\s*싶어요|다운로드|있나요|있어요|검색해?\s*(?:줘|주세요)?|"
    r"찾아\s*(?:줘|주세요)|알려\s*줘|서울시|\bis there (?:any )?(?:open )?data(?:set)? (?:on|about|for)\b|"
    r"\b(?:do you have|looking for|search|find(?: me)?|show me|i need|is there|are there|any|what|which|the|a|an|of|"
    r"on|about|for|open|portal|plaza|csv|download|file|please|there|is)\b|\b(?:open )?data(?:set)?s?\b|"
    r"\b(?:for seoul districts|in seoul|for seoul)\b|[?.!,]",
    re.IGNORECASE)
_INFO_QUESTION = re.compile(
    r"뭐예요|뭔가요|무엇인가요|뭐야|이란|란\?|기준|방법|어떻게\s*(?:하|해|신청|받|내|써|사|버|이용)|어디(?:서|로|에)|얼마예요|얼마인가요|"
    r"언제예요|누가|가능한가요|되나요|행동요령|요령|어떤 앱|\bwhat (?:is|are|does)\b|\bhow (?:do|can|to|does|much|long)\b|"
    r"\bwhere (?:do|can|is)\b|\bwho can\b|\bcriteria\b|\bis there an app\b|\bcan i (?:appeal|get|apply)\b|"
    r"어디다|어디에\s*(?:연락|신고|문의|전화)|할 수 있어요|수 있나요|궁금|상담|문의|\bwho (?:do|should) i\b|"
    r"\b(?:which|what) (?:website|site|app|number)\b|\bwhere can i\b|\bwhat (?:can|should) i do\b",
    re.IGNORECASE)
_HERE = ("센서", "sensor", "우리 동네", "my area", "my neighborhood", "my neighbourhood")
_ORDER = ("complaint_status", "complaint_statistics", "poll_results", "cast_vote", "list_polls", "air_quality_alerts",
          "submit_complaint", "sensor_history", "sensor_latest", "query_dataset", "search_datasets", "none")

# how much a lexical cue counts beside the examples' similarity (chosen on the tuning split of the dev requests,
# docs/tools.md), and how far ahead of "none" a tool must be
LEXICAL_WEIGHT = 0.2
EVIDENCE_PENALTY = 0.1  # a tool whose key evidence the text lacks (missing_evidence)

_any = lx.mentions


def lexical_scores(text: str) -> dict[str, float]:
    """Each tool's lexical evidence in [0, 1]: how surely the cue words alone name it."""
    lowered = text.lower()
    out: dict[str, float] = {}

    def put(tool: str, score: float) -> None:
        out[tool] = max(out.get(tool, 0.0), score)

    if lx.find_ticket_id(text):
        put("complaint_status", 1.0)
    elif lx.asks_statistics(text):
        put("complaint_statistics", 0.85)
    elif _any(lowered, ("신고", "민원", "report", "ticket", "complaint")) and _any(lowered, _STATUS_WORDS):
        put("complaint_status", 0.6 if _any(lowered, ("번호", "number", "ticket", "내가 한", "제가 한", "my ", "내 ")) else 0.3)

    poll_id = lx.find_poll_id(text) if _any(lowered, _POLL_WORDS) or re.search(r"\bmv\s*-?\s*\d", lowered) else None
    if _any(lowered, _POLL_WORDS) or poll_id:
        casting = lx.find_choice(text) is not None or _any(lowered, _CAST_WORDS)
        if _any(lowered, _RESULT_WORDS) and not _any(lowered, ("할게", "주세요", "i vote")):
            put("poll_results", 0.9)
        if casting:
            put("cast_vote", 0.85 if poll_id else 0.6)
        listing = _any(lowered, _LIST_WORDS) or _poll_status(lowered) != "open"
        if listing or not poll_id:
            put("list_polls", (0.8 if listing else 0.45) if not poll_id else 0.4)
        if poll_id and not casting:
            put("poll_results", 0.5)

    if _any(lowered, _ALERT_WORDS) and _any(lowered, ("미세먼지", "먼지", "dust", "air", "pm", "대기", "공기")):
        put("air_quality_alerts", 0.9)

    asking = bool(_INFO_QUESTION.search(text))
    if lx.find_complaint_category(text):
        located = lx.find_lat_lon(text) or lx.find_address(text, _first(lx.find_districts(text)))
        reporting = _any(lowered, ("신고", "접수", "제보", "report", "file a", "첨부", "attached", "log a", "complain"))
        put("submit_complaint", 0.85 if located or (reporting and not asking) else 0.4 if reporting else 0.3)

    metric = lx.find_metric(text)
    if metric is not None:
        here = bool(lx.find_districts(text)) or _any(lowered, _HERE + lx.LATEST_WORDS)
        score = 0.85 if here else 0.45 if not _any(lowered, _DATA_WORDS) else 0.3
        history = lx.find_period(text) or (_any(lowered, lx.HISTORY_WORDS) and not _any(lowered, lx.LATEST_WORDS))
        put("sensor_history" if history else "sensor_latest", score)

    dataset = lx.find_dataset(text)
    counting = _any(lowered, lx.COUNT_WORDS) or lx.find_top(text) is not None or (
        dataset is not None and lx.find_group_by(text, dataset) is not None and not _any(lowered, _DATA_WORDS))
    if dataset and (counting or (lx.find_districts(text) and not _any(lowered, _DATA_WORDS))):
        put("query_dataset", 0.85)
    if (_any(lowered, _DATA_WORDS) or _ALL_DATASETS.search(text)) and not _any(lowered, _PORTAL_WORDS):
        put("search_datasets", 0.8)

    if asking and not lx.find_ticket_id(text) and not poll_id:
        put("none", 0.5)
    return out


def missing_evidence(text: str) -> set[str]:
    """The tools whose key evidence the text lacks: a sensor tool without a metric, a dataset count without a
    dataset and a number asked for, a poll tool without a poll, a report without a problem or a place. Nearness to
    examples alone does not make such a call (a how-to question near the complaint examples stays a question)."""
    lowered = text.lower()
    missing = set()
    if lx.find_metric(text) is None:
        missing |= {"sensor_latest", "sensor_history", "air_quality_alerts"}
    if not _any(lowered, _ALERT_WORDS):
        missing.add("air_quality_alerts")
    dataset = lx.find_dataset(text)
    if dataset is None or not (_any(lowered, lx.COUNT_WORDS) or lx.find_top(text) is not None or
                               lx.find_districts(text) or lx.find_group_by(text, dataset)):
        missing.add("query_dataset")
    if not (_any(lowered, _DATA_WORDS) or _ALL_DATASETS.search(text)):
        missing.add("search_datasets")
    if not (_any(lowered, _POLL_WORDS) or re.search(r"\bmv\s*-?\s*\d", lowered)):
        missing |= {"list_polls", "cast_vote", "poll_results"}
    if not (lx.find_ticket_id(text) or _any(lowered, ("신고", "민원", "report", "ticket", "complaint"))):
        missing.add("complaint_status")
    if not lx.asks_statistics(text):
        missing.add("complaint_statistics")
    located = lx.find_lat_lon(text) or lx.has_road(text) or lx.find_address(text, _first(lx.find_districts(text)))
    if not (lx.find_complaint_category(text) or located):
        missing.add("submit_complaint")
    return missing


def has_tool_evidence(text: str, cues: dict) -> bool:
    """Anything that points to a tool: a cue, a district, an address or coordinates, an id, a report word."""
    if any(tool != "none" for tool in cues):
        return True
    if lx.find_districts(text) or lx.find_lat_lon(text) or lx.has_road(text):
        return True
    lowered = text.lower()
    return bool(re.search(r"\b(?:mv|sr)\s*-?\s*\d", lowered)) or _any(lowered, lx.REPORT_WORDS)


def is_question(text: str) -> bool:
    """Does the text ask how, where, what or whether (a question for the knowledge base, unless it names what to
    act on)?"""
    return bool(_INFO_QUESTION.search(text))


def _names_an_id(call: ToolCall) -> bool:
    return any(call.arguments.get(key) for key in ("ticket_id", "poll_id"))


def _first(items):
    return items[0] if items else None


def _poll_status(lowered: str) -> str:
    if _any(lowered, ("전체", "모든", "전부", "all ", " all", "every", "including")):
        return "all"
    if _any(lowered, ("종료", "마감", "끝난", "지난", "closed", "ended", "finished", "past", "already")):
        return "closed"
    return "open"


def _category_examples() -> dict[str, tuple[str, ...]]:
    from civic_services.complaints.catalogue import SERVICES

    return {code: (s.name, s.name_ko, s.description, *s.phrases) for code, s in SERVICES.items()}


def _dataset_examples() -> dict[str, tuple[str, ...]]:
    from civic_services.opendata.samples import CATALOGUE

    titles = {meta[0]: (meta[1], meta[2], meta[3], meta[4]) for meta, _ in CATALOGUE}
    return {name: (*titles.get(name, ()), *words) for name, words in lx.DATASETS.items()}


class NluRouter:
    name = "nlu"

    def __init__(self, embedder=None, none_examples: Iterable[str] = (), lexical_weight: float = LEXICAL_WEIGHT,
                 cache_dir=None):
        """``embedder``: the model set's text embedder (None: lexical cues only); ``none_examples``: requests that
        are not for a tool (the knowledge base's questions), beside the examples' own; ``cache_dir``: where the
        examples' vectors are kept between runs."""
        self.embedder = embedder
        self.lexical_weight = lexical_weight
        self.intents = self.categories = self.datasets = None
        if embedder is not None:
            examples = dict(EXAMPLES)
            examples["none"] = (*examples.get("none", ()), *none_examples)
            self.intents = ExampleIndex(embedder, examples, name="intents", cache_dir=cache_dir)
            self.categories = ExampleIndex(embedder, _category_examples(), k=1, name="categories", cache_dir=cache_dir)
            self.datasets = ExampleIndex(embedder, _dataset_examples(), k=1, name="datasets", cache_dir=cache_dir)

    def warm_up(self) -> None:
        for index in (self.intents, self.categories, self.datasets):
            if index is not None:
                index.warm_up()

    # ------------------------------------------------------------------ intent
    def vector(self, text: str, cues: dict | None = None):
        """The request's embedding, or None: without an embedder, or when nothing in the text points to a tool
        (no cue, district, address, id or report word: most knowledge-base questions, which then cost no
        embedding)."""
        if self.intents is None:
            return None
        cues = lexical_scores(text) if cues is None else cues
        if not has_tool_evidence(text, cues):
            return None
        return self.intents.embed(text)

    def rank(self, text: str, vector=None, cues: dict | None = None) -> list[tuple[str, float]]:
        """Tools (and "none") by score, best first; with an embedder but no ``vector``, "none" leads."""
        cues = lexical_scores(text) if cues is None else cues
        if self.intents is not None and vector is None:
            return [("none", 1.0), *((tool, 0.0) for tool in _ORDER if tool != "none")]
        if self.intents is None:
            scores = {tool: cues.get(tool, 0.0) for tool in _ORDER}
            scores["none"] = max(scores["none"], 0.05)  # no cue at all: not a tool request
        else:
            similar = self.intents.scores(vector)
            missing = missing_evidence(text)
            scores = {tool: similar.get(tool, 0.0) + self.lexical_weight * cues.get(tool, 0.0)
                      - (EVIDENCE_PENALTY if tool in missing else 0.0) for tool in _ORDER}
        order = {tool: i for i, tool in enumerate(_ORDER)}
        return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))

    def route(self, text: str, lang: str | None = None) -> ToolCall:
        cues = lexical_scores(text)
        vector = self.vector(text, cues)
        ranked = self.rank(text, vector, cues)
        tool, score = ranked[0]
        margin = score - ranked[1][1]
        if tool == "none":
            return ToolCall(None, {}, 0.0)
        confidence = round(min(0.99, 0.5 + margin * (5 if self.intents is not None else 1)), 3)
        call = self.fill(tool, text, confidence, vector)
        if call.missing and _INFO_QUESTION.search(text) and not _names_an_id(call):
            return ToolCall(None, {}, 0.0)  # "where can I check ...", with nothing to act on: a question
        return call

    # ------------------------------------------------------------------ arguments
    def fill(self, tool: str, text: str, confidence: float = 0.85, vector=None) -> ToolCall:
        """The call of ``tool`` with the arguments the text gives, and the required ones it does not."""
        lowered = text.lower()
        args: dict = getattr(self, f"_{tool}")(text, lowered, vector)
        required = {"submit_complaint": ("category", "location"), "complaint_status": ("ticket_id",),
                    "complaint_statistics": ("group_by",),
                    "list_polls": (), "cast_vote": ("poll_id", "choice"), "poll_results": ("poll_id",),
                    "search_datasets": ("query",), "query_dataset": ("dataset",),
                    "sensor_latest": ("metric", "district"), "sensor_history": ("metric", "district", "period"),
                    "air_quality_alerts": ()}[tool]
        args = {k: v for k, v in args.items() if v is not None}
        return ToolCall(tool, args, confidence, tuple(k for k in required if k not in args))

    def _complaint_status(self, text, lowered, vector):
        return {"ticket_id": lx.find_ticket_id(text)}

    def _complaint_statistics(self, text, lowered, vector):
        district = _first(lx.find_districts(text))
        group = lx.find_statistics_group(text) or ("service" if district else "district")
        return {"group_by": group, "period": lx.find_period(text), "district": district,
                "category": lx.find_complaint_category(text), "time_of_day": lx.find_time_of_day(text),
                "open_only": True if _any(lowered, lx.OPEN_ONLY_WORDS) else None}

    def _list_polls(self, text, lowered, vector):
        return {"status": _poll_status(lowered)}

    def _cast_vote(self, text, lowered, vector):
        return {"poll_id": lx.find_poll_id(text), "choice": lx.find_choice(text)}

    def _poll_results(self, text, lowered, vector):
        return {"poll_id": lx.find_poll_id(text)}

    def _air_quality_alerts(self, text, lowered, vector):
        return {"district": _first(lx.find_districts(text)) or "all"}

    def _sensor_latest(self, text, lowered, vector):
        found = lx.find_districts(text)
        district = found if len(found) > 1 else _first(found)
        if district is None and lx.asks_all_districts(text):
            district = "all"  # "which districts had the worst PM2.5": every district side by side
        return {"metric": lx.find_metric(text), "district": district}

    def _sensor_history(self, text, lowered, vector):
        return {**self._sensor_latest(text, lowered, vector), "period": lx.find_period(text)}

    def _search_datasets(self, text, lowered, vector):
        if _ALL_DATASETS.search(text) and not lx.find_dataset(text):
            return {"query": "*"}  # the whole catalogue
        query = re.sub(r"\s+", " ", _SEARCH_FILLER.sub(" ", text)).strip(" ,")
        return {"query": query or None}

    def _query_dataset(self, text, lowered, vector):
        dataset = lx.find_dataset(text)
        if dataset is None and self.datasets is not None:
            dataset = self.datasets.nearest(vector if vector is not None else self.datasets.embed(text))[0]
        if dataset is None:
            return {}
        filters: dict = {}
        district = _first(lx.find_districts(text))
        if district:
            filters["district"] = district
        line = lx.find_subway_line(text)
        if line and dataset == "subway_ridership":
            filters["line"] = line
        period = lx.find_period(text)
        if period:
            filters["period"] = period
        return {"dataset": dataset, "filters": filters, "aggregate": lx.find_aggregate(text, dataset)}

    def _submit_complaint(self, text, lowered, vector):
        category = lx.find_complaint_category(text)
        if category is None and self.categories is not None:
            category = self.categories.nearest(vector if vector is not None else self.categories.embed(text))[0]
        district = _first(lx.find_districts(text))
        location = lx.find_lat_lon(text) or (
            {"address": address} if (address := lx.find_address(text, district)) else None)
        return {"category": category, "description": _description(text), "location": location,
                "media_count": lx.find_media_count(text)}


def _description(text: str) -> str:
    """The report in the citizen's words, without the attachment note."""
    cleaned = re.sub(r"(사진|동영상)\s*\S*\s*(장|개)?\s*(첨부\S*|보내\S*|이요|요)?|\b(one|two|three|four|\d+)\s+"
                     r"(photos?|pics?|pictures?)\s*(attached)?|sending \d+ photos?|(can you )?file a report|"
                     r"신고\s*접수해\s*주세요|접수\s*부탁드려요", " ", text, flags=re.IGNORECASE)
    return re.sub(r"\s+", " ", cleaned).strip(" .,")
