"""The router without a language model: the tool comes from cue words, its arguments from the lexicons.

It is fast (well under a millisecond of its own work per request) and predictable; the LLM router handles
phrasings these rules do not foresee.
"""

from __future__ import annotations

import re

from chatbot.routing import lexicon as lx
from chatbot.routing.base import ToolCall

_POLL_WORDS = ("투표", "엠보팅", "mvoting", "m-voting", "poll", "vote", "참여예산", "ballot")
_RESULT_WORDS = ("결과", "집계", "result", "tally", "how did", "end", "outcome", "winner", "won")
_CAST_WORDS = ("찬성", "반대", "투표할게", "투표할께", "투표하고 싶", "한 표", "표를", "선택할게", "i vote", "vote for",
               "vote yes", "vote no", "cast my", "my vote", "선택지로 투표", "에 투표", "로 투표")
_LIST_WORDS = ("목록", "진행 중", "진행중", "뭐 있어", "뭐가 있", "어떤 투표", "list", "open", "show me", "which polls",
               "what polls", "전체")
_STATUS_WORDS = ("처리", "확인", "어떻게 됐", "진행 상황", "아직", "status", "what's happening", "what is happening",
                 "update on", "progress", "fixed yet", "고쳐졌")
_ALERT_WORDS = ("경보", "주의보", "alert", "warning", "advisory")
# questions about the portal itself (keys, sign-up, how to use it) are for the knowledge base, not a search
_PORTAL_WORDS = ("api", "인증키", "키 발급", " 키", "회원가입", "이용 방법", "이용방법", "사용법", "api key", "sign up",
                 "register", "how to use")
_DATA_WORDS = ("데이터", "data", "dataset", "열린데이터", "open data", "파일", "csv", "공공데이터")
_SEARCH_FILLER = re.compile(
    r"열린\s*데이터\s*광장에서|열린데이터광장|공공데이터|데이터\s*(?:검색|찾아|있나요|있어요|있어|셋)?|파일로\s*받을\s*수\s*있는|"
    r"받을\s*수\s*있는|있나요|있어요|검색해?\s*줘?|찾아\s*줘|알려\s*줘|\bis there (?:any )?(?:open )?data(?:set)? (?:on|about|for)\b|"
    r"\b(?:open )?data(?:set)?s?\b|\b(?:for seoul districts|in seoul|for seoul)\b|\bsearch\b|\bfind\b|\bshow me\b|[?.!]",
    re.IGNORECASE)


_any = lx.mentions


class NluRouter:
    name = "nlu"

    def route(self, text: str, lang: str | None = None) -> ToolCall:
        lowered = text.lower()
        for attempt in (self._complaint_status, self._polls, self._air_alerts, self._complaint, self._sensors,
                        self._datasets):
            call = attempt(text, lowered)
            if call is not None:
                return call
        return ToolCall(None, {}, 0.0)

    # ------------------------------------------------------------------ one method per family of tools
    def _complaint_status(self, text: str, lowered: str) -> ToolCall | None:
        ticket = lx.find_ticket_id(text)
        if ticket:
            return ToolCall("complaint_status", {"ticket_id": ticket}, 0.95)
        if _any(lowered, ("신고", "민원", "report", "ticket", "complaint")) and _any(lowered, _STATUS_WORDS) and \
                _any(lowered, ("번호", "number", "ticket", "내가 한", "제가 한", "my ")):
            return ToolCall("complaint_status", {}, 0.6, missing=("ticket_id",))
        return None

    def _polls(self, text: str, lowered: str) -> ToolCall | None:
        poll_id = lx.find_poll_id(text) if _any(lowered, _POLL_WORDS) or re.search(r"\bmv\s*-?\s*\d", lowered) else None
        if not (_any(lowered, _POLL_WORDS) or poll_id):
            return None
        if _any(lowered, _RESULT_WORDS) and not _any(lowered, ("할게", "주세요", "i vote")):
            return ToolCall("poll_results", {"poll_id": poll_id} if poll_id else {}, 0.9,
                            missing=() if poll_id else ("poll_id",))
        choice = self._choice(text, lowered)
        if choice is not None or _any(lowered, _CAST_WORDS):
            args = {k: v for k, v in (("poll_id", poll_id), ("choice", choice)) if v is not None}
            missing = tuple(k for k in ("poll_id", "choice") if k not in args)
            return ToolCall("cast_vote", args, 0.85, missing=missing)
        if _any(lowered, _LIST_WORDS) or not poll_id:
            if _any(lowered, ("전체", "모든", "all ", " all", "every")):
                status = "all"
            elif _any(lowered, ("종료", "마감", "끝난", "closed", "ended", "finished", "past")):
                status = "closed"
            else:
                status = "open"
            return ToolCall("list_polls", {"status": status}, 0.85)
        return ToolCall("poll_results", {"poll_id": poll_id}, 0.5)

    @staticmethod
    def _choice(text: str, lowered: str) -> str | None:
        quoted = re.search(r"['\"‘“「『](.+?)['\"’”」』]", text)
        if quoted:
            return quoted.group(1).strip()
        number = re.search(r"(\d+)\s*번\s*(?:선택지|항목|안|으로|로)|option\s*(\d+)|choice\s*(\d+)|number\s*(\d+)",
                           lowered)
        if number:
            return next(g for g in number.groups() if g)
        for word, label in (("찬성", "찬성"), ("반대", "반대"), ("vote yes", "yes"), ("vote no", "no"),
                            ("in favor", "yes"), ("against", "no")):
            if word in lowered:
                return label
        return None

    def _air_alerts(self, text: str, lowered: str) -> ToolCall | None:
        if not (_any(lowered, _ALERT_WORDS) and _any(lowered, ("미세먼지", "먼지", "dust", "air", "pm", "대기", "공기"))):
            return None
        found = lx.find_districts(text)
        return ToolCall("air_quality_alerts", {"district": found[0] if found else "all"}, 0.9)

    def _sensors(self, text: str, lowered: str) -> ToolCall | None:
        metric = lx.find_metric(text)
        found = lx.find_districts(text)
        here = _any(lowered, ("센서", "sensor", "우리 동네", "my area", "my neighborhood") + lx.LATEST_WORDS)
        if metric is None or (_any(lowered, _DATA_WORDS) and not (found or here)):
            return None
        period = lx.find_period(text)
        district: str | list[str] | None = found if len(found) > 1 else (found[0] if found else None)
        if period or (_any(lowered, lx.HISTORY_WORDS) and not _any(lowered, lx.LATEST_WORDS)):
            args = {"metric": metric, "district": district, "period": period}
            missing = tuple(k for k, v in args.items() if v is None)
            return ToolCall("sensor_history", {k: v for k, v in args.items() if v is not None}, 0.85, missing)
        args = {"metric": metric, "district": district}
        return ToolCall("sensor_latest", {k: v for k, v in args.items() if v is not None}, 0.85,
                        tuple(k for k, v in args.items() if v is None))

    def _datasets(self, text: str, lowered: str) -> ToolCall | None:
        dataset = lx.find_dataset(text)
        counting = _any(lowered, lx.COUNT_WORDS) or lx.find_top(text) is not None or \
            any(_any(lowered, words) for words in lx.GROUP_BY_WORDS.values())
        if dataset and (counting or (lx.find_districts(text) and not _any(lowered, _DATA_WORDS))):
            return self._query_dataset(text, lowered, dataset)
        if _any(lowered, _DATA_WORDS) and not _any(lowered, _PORTAL_WORDS):
            query = re.sub(r"\s+", " ", _SEARCH_FILLER.sub(" ", text)).strip(" ,")
            return ToolCall("search_datasets", {"query": query} if query else {}, 0.8,
                            missing=() if query else ("query",))
        return None

    def _query_dataset(self, text: str, lowered: str, dataset: str) -> ToolCall:
        filters: dict = {}
        found = lx.find_districts(text)
        if found:
            filters["district"] = found[0]
        line = lx.find_subway_line(text)
        if line and dataset == "subway_ridership":
            filters["line"] = line
        period = lx.find_period(text)
        if period:
            filters["period"] = period
        top = lx.find_top(text)
        group_by = next((field for field, words in lx.GROUP_BY_WORDS.items() if _any(lowered, words)), None)
        if top is not None and group_by is None and dataset == "subway_ridership":
            group_by = "station"
        if top is not None or (group_by and dataset in lx.SUM_FIELDS and not _any(lowered, lx.COUNT_WORDS)):
            aggregate = {"op": "sum", "field": lx.SUM_FIELDS.get(dataset, "count")}
        else:
            aggregate = {"op": "count"}
        if group_by:
            aggregate["group_by"] = group_by
        if top is not None:
            aggregate["top"] = top
        return ToolCall("query_dataset", {"dataset": dataset, "filters": filters, "aggregate": aggregate}, 0.85)

    def _complaint(self, text: str, lowered: str) -> ToolCall | None:
        category = lx.find_complaint_category(text)
        if category is None:
            return None
        found = lx.find_districts(text)
        district = found[0] if found else None
        location = lx.find_lat_lon(text) or (
            {"address": address} if (address := lx.find_address(text, district)) else None)
        if not (location or _any(lowered, ("신고", "접수", "제보", "report", "file a", "첨부", "attached"))):
            return None
        args = {"category": category, "description": _description(text), "media_count": lx.find_media_count(text)}
        if location:
            args["location"] = location
        return ToolCall("submit_complaint", args, 0.85, missing=() if location else ("location",))


def _description(text: str) -> str:
    """The report in the citizen's words, without the attachment note."""
    cleaned = re.sub(r"(사진|동영상)\s*\S*\s*(장|개)?\s*(첨부\S*|보내\S*|이요|요)?|\b(one|two|three|four|\d+)\s+"
                     r"(photos?|pics?|pictures?)\s*(attached)?|sending \d+ photos?|(can you )?file a report|"
                     r"신고\s*접수해\s*주세요|접수\s*부탁드려요", " ", text, flags=re.IGNORECASE)
    return re.sub(r"\s+", " ", cleaned).strip(" .,")
