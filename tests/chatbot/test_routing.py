"""Tool routing on requests a person tried, and on the held-out requests written in other wording than the dev
set: the lexical cues alone (no model), and the cues with the nearest labelled examples (the real embedder)."""

import json
from pathlib import Path

import pytest

from chatbot.routing import lexicon as lx
from chatbot.routing.evaluation import evaluate_router
from chatbot.routing.nlu import NluRouter

DATA = Path(__file__).resolve().parents[1] / "data" / "kb"
SEEN = [  # what a person saw go wrong, and what it should be
    ("Which open datasets do you have?", "en", "search_datasets", {"query": "*"}),
    ("list the open datasets", "en", "search_datasets", {"query": "*"}),
    ("How many EV chargers in each district?", "en", "query_dataset",
     {"dataset": "ev_chargers", "filters": {}, "aggregate": {"op": "count", "group_by": "district"}}),
    ("vote 1 in MV-0001", "en", "cast_vote", {"poll_id": "MV-0001", "choice": "1"}),
]


def _rows(name):
    return [json.loads(line) for line in open(DATA / name, encoding="utf-8")]


@pytest.mark.parametrize("query,lang,tool,args", SEEN)
def test_what_a_person_saw_by_cue_words(query, lang, tool, args):
    call = NluRouter().route(query, lang)
    assert (call.tool, call.arguments) == (tool, args)


def test_inflections_periods_and_choices():
    assert lx.contains("any air quality alerts today", "alert") >= 0  # plurals match the word
    assert lx.contains("photographs", "photo") < 0  # but not another word
    assert lx.find_period("어제 하루 동안 소음") == "yesterday" and lx.find_period("지난 24시간 소음") == "last_24h"
    assert lx.find_choice("엠보팅 1288번 안건에 반대합니다") == "반대"  # the poll's number is not the choice
    assert lx.find_choice("MV-1301 투표에서 2번 선택지로 할게요") == "2"
    assert lx.find_aggregate("total Ttareungyi rentals last month", "ttareungyi_rentals") == \
        {"op": "sum", "field": "rentals"}
    assert lx.find_aggregate("작년 교통사고 건수", "traffic_accidents") == {"op": "count"}
    assert lx.find_aggregate("강남구 가로수 종류별로 몇 그루", "street_trees") == {"op": "count", "group_by": "species"}
    assert lx.find_top("which 3 stations on line 7 had the most passengers") == 3
    assert lx.find_address("pothole at 396 World Cup-buk-ro, Mapo-gu", "Mapo-gu") == \
        "396 World Cup-buk-ro, Mapo-gu, Seoul"
    assert lx.find_address("There is a pothole at 396 World Cup buk-ro, Mapo-gu", "Mapo-gu") == \
        "396 World Cup buk-ro, Mapo-gu, Seoul"  # two words before the last part, the house number kept
    assert lx.find_address("the lamp post on Mapo-daero 120 is dark", None) == "Mapo-daero 120, Seoul"  # not "on ..."
    assert lx.find_address("Please report Olympic-ro 300", None) == "Olympic-ro 300, Seoul"


def test_questions_for_the_knowledge_base_are_not_tool_calls():
    router = NluRouter()
    for question in ("what is mVoting?", "불법주차 신고는 어떤 앱으로 하나요?", "미세먼지 심한 날 행동요령 알려 주세요",
                     "How do I get an open data API key?", "대형 폐기물 스티커는 어디서 사요?",
                     "How do I vote in mVoting?"):  # a question about voting, with no poll to act on
        assert router.route(question).tool is None, question


def test_cue_words_on_the_held_out_requests():
    """The lexical router alone, on the held-out requests (measured when they were written: 0.88 / 0.82)."""
    result = evaluate_router(NluRouter(), _rows("eval_tools_heldout.jsonl"))
    assert result["tool_accuracy"] >= 0.95 and result["args_accuracy"] >= 0.9, result["failures"]


@pytest.mark.slow
def test_nearest_examples_with_the_real_embedder(embedder):
    from chatbot.kb import default_kb_path
    from dasan.assistant import knowledge_base_questions

    router = NluRouter(embedder, knowledge_base_questions(default_kb_path()))
    for query, lang, tool, args in SEEN:
        call = router.route(query, lang)
        assert (call.tool, call.arguments) == (tool, args), query
    for name, tool_floor, args_floor in (("eval_tools_heldout.jsonl", 0.95, 0.9), ("eval_tools_blind.jsonl", 0.9, 0.85),
                                         ("eval_tools.jsonl", 0.95, 0.95)):
        result = evaluate_router(router, _rows(name))
        assert result["tool_accuracy"] >= tool_floor and result["args_accuracy"] >= args_floor, (name, result)
