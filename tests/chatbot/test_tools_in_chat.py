"""Tool calling inside the assistant: real routers, the real registry, real services on SQLite — a complaint is
filed only after confirmation, a missing detail is asked for, results come back as words, a table and a chart,
and questions for the knowledge base stay with the knowledge base."""

import json

import pytest

from tests.speech_data import DATA

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    from civic_services.opendata import samples
    from dasan.runtime import Runtime
    from tests.harness import clean_settings

    civic = Runtime.open(clean_settings(data_dir=tmp_path_factory.mktemp("civic")))
    samples.seed(civic.opendata, only=["public_toilets", "street_trees"])
    return {"complaints": civic.complaints, "opendata": civic.opendata}


@pytest.fixture(scope="module")
def chat(assistant, services):
    from chatbot.assistant import Assistant
    from chatbot.routing.nlu import NluRouter
    from chatbot.tool_dialogue import ToolDialogue
    from dasan.runtime import gather_tools

    bot = Assistant(assistant.kb, assistant.index, config=assistant.config)
    all_services = {**services, "assistant": bot}
    bot.tools = ToolDialogue(gather_tools(), NluRouter(), all_services)
    return bot


def test_complaint_is_confirmed_then_filed(chat, services):
    first = chat.reply("마포구 월드컵북로 396 앞 도로에 큰 포트홀이 생겼어요 사진 2장 첨부합니다")
    assert first.tool == "submit_complaint" and first.awaiting == "confirm"
    assert first.tool_arguments["category"] == "pothole" and first.tool_arguments["media_count"] == 2
    assert "마포구" in first.tool_arguments["location"]["address"]
    done = chat.reply("네", session_id=first.session_id)
    assert done.tool == "submit_complaint" and done.awaiting is None
    ticket = done.answer.split("접수번호는 ")[1][:14]
    assert ticket.startswith("SR-")
    record = services["complaints"].get_public(ticket, media_url=lambda m: m)
    assert record["service_code"] == "pothole"


def test_declining_the_confirmation_files_nothing(chat):
    first = chat.reply("graffiti all over the underpass wall at 37.4836, 127.0326 in seocho, 3 pics")
    assert first.awaiting == "confirm"
    cancelled = chat.reply("no", session_id=first.session_id)
    assert "nothing was filed" in cancelled.answer.lower()


def test_missing_location_is_asked_for(chat):
    first = chat.reply("There's a streetlight that keeps flickering, can you file a report?")
    assert first.tool == "submit_complaint" and first.awaiting == "slot"
    assert "address" in first.answer.lower()
    second = chat.reply("Olympic-ro 300, Songpa-gu", session_id=first.session_id)
    assert second.awaiting == "confirm"
    assert "Songpa-gu" in second.tool_arguments["location"]["address"]


def test_dataset_query_answers_with_a_table_and_a_chart(chat):
    count = chat.reply("용산구 공중화장실 몇 개 있어")
    assert count.tool == "query_dataset" and count.table and count.table[0]["count"] > 0
    grouped = chat.reply("은평구 가로수 수종별 그루 수")
    assert grouped.table and "species" in grouped.table[0]
    assert grouped.columns == {"species": "수종", "count": "개수"}  # named once, in wording.py, for every page
    assert grouped.chart_svg and grouped.chart_svg.startswith("<svg") and "<rect" in grouped.chart_svg


def test_service_errors_come_back_as_sentences(chat):
    reply = chat.reply("what's happening with my pothole report SR 2025 101902")
    assert reply.tool == "complaint_status" and "SR-2025-101902" in reply.answer
    voting = chat.reply("엠보팅 1187번 투표에 찬성할게요")
    assert voting.tool == "cast_vote" and "본인 확인" in voting.answer  # citizens are not verified voters


def test_knowledge_base_questions_stay_with_the_knowledge_base(chat):
    for question in ("엠보팅이 뭐예요", "서울 열린데이터 API 키", "is there an app to report broken streetlights with photos",
                     "미세먼지 경보 기준"):
        reply = chat.reply(question)
        assert reply.tool is None and reply.citations, question


def test_the_lexical_router_on_the_development_requests():
    from chatbot.routing.evaluation import evaluate_router
    from chatbot.routing.nlu import NluRouter

    rows = [json.loads(line) for line in open(DATA / "kb" / "eval_tools.jsonl", encoding="utf-8")]
    result = evaluate_router(NluRouter(), rows)
    assert result["tool_accuracy"] >= 0.9 and result["args_accuracy"] >= 0.8, result["failures"]


def test_registry_validation_and_roles():
    from civic_services.tools.registry import ToolContext, ToolError
    from dasan.runtime import gather_tools

    registry = gather_tools()
    assert registry.errors("complaint_status", {"ticket_id": "SR-2025-1"})
    assert registry.errors("sensor_latest", {"metric": "pm10", "district": "Busan"})
    assert not registry.errors("sensor_history", {"metric": "pm2_5", "district": ["Mapo-gu", "Jung-gu"],
                                                  "period": "last_week"})
    with pytest.raises(ToolError, match="verified_voter"):
        registry.call("cast_vote", {"poll_id": "MV-1187", "choice": "찬성"}, ToolContext({}, role="citizen"))
    with pytest.raises(ToolError, match="invalid arguments"):
        registry.call("list_polls", {"status": "maybe"}, ToolContext({}))


def test_lexicon_normalisers():
    from chatbot.routing import lexicon as lx
    from dasan.runtime import gather_tools

    registry = gather_tools()
    METRICS = registry.get("sensor_latest").parameters["properties"]["metric"]["enum"]
    PERIODS = registry.get("sensor_history").parameters["properties"]["period"]["enum"]
    COMPLAINT_CATEGORIES = registry.get("submit_complaint").parameters["properties"]["category"]["enum"]
    # the lexicons name exactly the values the tools' schemas accept
    assert set(lx.METRICS) == set(METRICS) and {p for p, _ in lx.PERIODS} == set(PERIODS)
    assert set(lx.COMPLAINT_CATEGORIES) == set(COMPLAINT_CATEGORIES)

    assert lx.find_ticket_id("sr 2025 117730 인데요") == "SR-2025-117730"
    assert lx.find_ticket_id("ticket s r two zero two five one zero one nine zero two") == "SR-2025-101902"
    assert lx.find_poll_id("poll 1168 results") == "MV-1168" and lx.find_poll_id("mv-42 결과") == "MV-0042"
    assert lx.find_districts("강남이랑 서초 비교") == ["Gangnam-gu", "Seocho-gu"]
    assert lx.find_period("최근 일주일") == "last_7d" and lx.find_period("지난주") == "last_week"
    assert lx.find_metric("초미세먼지 농도") == "pm2_5" and lx.find_metric("one photo attached") is None
    assert lx.find_media_count("사진 두 장 보냅니다") == 2 and lx.find_media_count("3 pics") == 3
