"""The assistant's side of tool calls: decide whether a message is a tool request, ask for what is missing,
confirm before a write, call the tool through the registry, and put the result into words, a table and a chart."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from chatbot.charts import chart_svg
from chatbot.routing.base import ToolCall

_INFO_QUESTION = re.compile(
    r"뭐예요|뭔가요|무엇인가요|뭐야|이란|란\?|기준|방법|어떻게 (?:하|해|신청|받)|어디(?:서|로|에)|"
    r"\bwhat (?:is|are|does)\b|\bhow (?:do|can|to)\b|\bwhere (?:do|can|is)\b|\bcriteria\b|\bis there an app\b",
    re.IGNORECASE)
_YES = re.compile(r"^\s*(예|네|넵|응|좋아요|좋아|맞아요|맞습니다|접수해|해 ?주세요|yes|yeah|yep|y|ok|okay|sure|"
                  r"confirm|go ahead|please do)\b", re.IGNORECASE)
_NO = re.compile(r"^\s*(아니|아니요|아뇨|취소|됐어요|no|nope|cancel|stop|don't)\b", re.IGNORECASE)
_IDS = ("ticket_id", "poll_id")
_EXPLICIT_REQUEST = re.compile(r"file (?:a|the) report|report (?:it|this)|can you (?:file|report|log)|please (?:file|"
                               r"report)|신고해 ?(?:주|줘)|접수해 ?(?:주|줘)|신고 ?접수|접수 ?부탁|신고할게", re.IGNORECASE)

QUESTIONS = {
    "ko": {"location": "어디인지 알려 주세요. 주소(자치구 포함)나 위치를 말씀해 주시겠어요?",
           "district": "어느 자치구를 알려 드릴까요?", "period": "어느 기간을 볼까요? (예: 어제, 지난주, 최근 일주일)",
           "ticket_id": "접수번호(SR-2025-123456 같은 형식)를 알려 주세요.", "poll_id": "어느 투표인가요? 투표 번호(MV-1234)를 알려 주세요.",
           "choice": "어느 선택지에 투표하시겠어요?", "query": "어떤 데이터를 찾으세요?", "metric": "어떤 측정값을 볼까요?",
           "category": "어떤 문제인가요? (예: 포트홀, 가로등 고장, 불법주차)", "description": "무엇이 문제인지 한 문장으로 알려 주세요."},
    "en": {"location": "Where is it? Please give the address with its district, or the coordinates.",
           "district": "Which district?", "period": "For which period? (e.g. yesterday, last week, the past 7 days)",
           "ticket_id": "What is the ticket number (like SR-2025-123456)?", "poll_id": "Which poll? Please give its "
           "number (MV-1234).", "choice": "Which option do you vote for?", "query": "What data are you looking for?",
           "metric": "Which measurement?", "category": "What is the problem (pothole, broken streetlight, illegal "
           "parking, ...)?", "description": "Please describe the problem in a sentence."},
}
CONFIRM = {"ko": "{question} 네/아니요로 답해 주세요.", "en": "{question} Please answer yes or no."}
GO_AHEAD = {"ko": "이대로 진행할까요?", "en": "Shall I go ahead?"}
CANCELLED = {"ko": "요청을 취소했습니다.", "en": "Cancelled; nothing was filed."}
NEEDS_VOTER = {"ko": "투표는 본인 확인을 마친 분만 할 수 있습니다. 엠보팅 앱에서 본인 인증 후 다시 시도해 주세요.",
               "en": "Voting needs a verified voter. Please verify your identity in the mVoting app and try again."}


@dataclass
class PendingCall:
    tool: str
    arguments: dict
    awaiting: str  # "slot" or "confirm"
    text: str  # the request so far
    asked: int = 0


@dataclass(frozen=True)
class ToolTurn:
    answer: str
    tool: str
    arguments: dict = field(default_factory=dict)
    awaiting: str | None = None  # "slot" or "confirm" while the call waits for the citizen
    table: list[dict] | None = None
    chart_svg: str | None = None
    error: bool = False
    series: list[dict] | None = None  # the data behind the chart, as the tool gave it (stored labels)
    chart: dict | None = None  # how the series reads: title, x, y, the axes' names, shown labels
    columns: dict[str, str] | None = None  # the table's column keys, in order -> their names in the citizen's language


class ToolDialogue:
    def __init__(self, registry, router, services: Callable[[], Mapping] | Mapping, answer_threshold: float = 0.3):
        self.registry = registry
        self.router = router
        self._services = services
        self.answer_threshold = answer_threshold

    def services(self) -> Mapping:
        return self._services() if callable(self._services) else self._services

    def wants_tool(self, call: ToolCall, message: str, faq_confidence: float) -> bool:
        """A tool request, rather than a question the knowledge base answers?"""
        if call.tool is None or call.tool == "search_faq":
            return False
        has_id = any(call.arguments.get(key) for key in _IDS)
        if _INFO_QUESTION.search(message) and not has_id and faq_confidence >= self.answer_threshold:
            return False
        if call.missing and faq_confidence >= self.answer_threshold and not _EXPLICIT_REQUEST.search(message):
            return False
        return True

    def handle(self, session, message: str, lang: str, faq_confidence: float, role: str = "citizen",
               voter_key: str | None = None) -> ToolTurn | None:
        """The tool turn for this message, or None when the knowledge base should answer it."""
        pending: PendingCall | None = getattr(session, "pending_call", None)
        if pending is not None:
            session.pending_call = None
            if pending.awaiting == "confirm":
                if _YES.search(message):
                    return self._execute(session, pending.tool, pending.arguments, lang, role, voter_key)
                if _NO.search(message):
                    return ToolTurn(CANCELLED[_lang(lang)], pending.tool, pending.arguments)
            else:
                combined = f"{pending.text} {message}"
                call = self.router.route(combined, lang)
                if call.tool == pending.tool:
                    return self._proceed(session, call, combined, lang, role, voter_key, asked=pending.asked)
        call = self.router.route(message, lang)
        if not self.wants_tool(call, message, faq_confidence) or self._staff_only(call, role):
            return None
        return self._proceed(session, call, message, lang, role, voter_key)

    def _staff_only(self, call: ToolCall, role: str) -> bool:
        """A staff tool routed for someone else: the knowledge base answers instead (a citizen's "how many days
        does a complaint take?" is a question, not a request for the city's figures)."""
        return self.registry.get(call.tool).role == "staff" and role != "staff"

    def _proceed(self, session, call: ToolCall, text: str, lang: str, role: str, voter_key: str | None,
                 asked: int = 0) -> ToolTurn:
        tool = self.registry.get(call.tool)
        if not self.registry.allowed(tool, role):
            message = NEEDS_VOTER[_lang(lang)] if tool.role == "verified_voter" else (
                "이 기능은 담당 공무원만 쓸 수 있습니다." if lang == "ko" else "Only city staff can use this.")
            return ToolTurn(message, call.tool, call.arguments, error=True)
        if call.missing and asked < 2:
            session.pending_call = PendingCall(call.tool, call.arguments, "slot", text, asked + 1)
            return ToolTurn(QUESTIONS[_lang(lang)].get(call.missing[0], QUESTIONS[_lang(lang)]["description"]),
                            call.tool, call.arguments, awaiting="slot")
        if tool.writes:
            session.pending_call = PendingCall(call.tool, call.arguments, "confirm", text)
            question = tool.confirm(call.arguments, _lang(lang)) if tool.confirm else GO_AHEAD[_lang(lang)]
            return ToolTurn(CONFIRM[_lang(lang)].format(question=question), call.tool, call.arguments,
                            awaiting="confirm")
        return self._execute(session, call.tool, call.arguments, lang, role, voter_key)

    def _execute(self, session, name: str, arguments: dict, lang: str, role: str, voter_key: str | None) -> ToolTurn:
        from civic_services.tools.registry import ToolContext, ToolError

        context = ToolContext(self.services(), role=role, lang=_lang(lang), voter_key=voter_key)
        try:
            result = self.registry.call(name, arguments, context)
        except ToolError as exc:
            return ToolTurn(str(exc), name, arguments, error=True)
        chart, spec = None, None
        if result.series and result.chart is not None:
            spec = result.chart
            chart = chart_svg(result.series, spec.x, spec.y, title=spec.title, x_label=spec.x_label,
                              y_label=spec.y_label, names=spec.names, lang=_lang(lang))
        names = {result.chart.x: result.chart.names} if result.chart is not None and result.chart.names else {}
        table = readable_table(result.table, _lang(lang), names) if result.table else result.table
        columns = table_columns(table, _lang(lang)) if table else None
        described = None if spec is None else {"title": spec.title, "x": spec.x, "y": spec.y, "x_label": spec.x_label,
                                               "y_label": spec.y_label, "names": dict(spec.names)}
        return ToolTurn(result.text, name, arguments, table=table, chart_svg=chart,
                        series=result.series if spec is not None else None, chart=described, columns=columns)


def table_columns(rows: list[dict], lang: str) -> dict[str, str]:
    """Every column key of the rows, in order of first appearance, with its name in the citizen's language (the one
    source of column names: ``civic_services.tools.wording.COLUMNS``; pages show these, they keep no copy)."""
    from civic_services.tools import wording as w

    return {k: w.column(k, lang) for k in dict.fromkeys(k for row in rows for k in row)}


def readable_table(rows: list[dict], lang: str, names: Mapping[str, Mapping] | None = None) -> list[dict]:
    """The rows as a person reads them, under the same column keys: times in Seoul time as people write them,
    districts, statuses and grades in the citizen's language, a group's stored label as it reads (``names``:
    column -> stored value -> shown value), nested values flattened, numbers left as numbers."""
    from civic_services.tools import wording as w

    names = names or {}
    out = []
    for row in rows:
        shown = {}
        for key, value in row.items():
            if isinstance(value, dict):
                value = value.get("value", ", ".join(f"{k} {v}" for k, v in value.items()))
            elif isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            if key in names and value in names[key]:
                value = names[key][value]
            elif key == "group" and value == "all":
                value = "전체" if lang == "ko" else "all"
            elif key == "district" and isinstance(value, str):
                value = w.district(value, lang)
            elif key in ("status", "grade") and isinstance(value, str):
                value = w.value_name(value, lang)
            elif isinstance(value, str) and w.parse_time(value) is not None:
                value = w.seoul_time(value, lang)
            elif isinstance(value, bool):
                value = w.number(value, lang)
            shown[key] = value
        out.append(shown)
    return out


def _lang(lang: str) -> str:
    return "ko" if lang == "ko" else "en"
