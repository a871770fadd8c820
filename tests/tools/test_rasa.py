"""The Rasa action server over real HTTP: payloads in the shape Rasa 3.x sends (a recorded-style tracker in
data/rasa_webhook_call.json, varied per test), answers in the shape rasa_sdk gives."""

from __future__ import annotations

import copy
import json
import zlib
from pathlib import Path

import pytest

from civic_services.tools.rasa_actions import arguments_from_tracker, coerce, tracker_lang
from dasan.runtime import gather_tools
from tests.tools.conftest import SEEDED

CALL = json.loads((Path(__file__).parent / "data" / "rasa_webhook_call.json").read_text(encoding="utf-8"))
REGISTRY = gather_tools()


def rasa_call(action: str, text: str = "", slots: dict | None = None, entities: list | None = None) -> dict:
    """The recorded call with another action, user text, slots and NLU entities."""
    call = copy.deepcopy(CALL)
    call["next_action"] = action
    tracker = call["tracker"]
    tracker["slots"].update(slots or {})
    message = tracker["latest_message"]
    message["text"] = tracker["events"][3]["text"] = text or message["text"]
    message["entities"] = tracker["events"][3]["parse_data"]["entities"] = [
        {"entity": name, "start": 0, "end": len(str(value)), "confidence_entity": 0.99, "value": value,
         "extractor": "DIETClassifier", "processors": ["EntitySynonymMapper"]} for name, value in entities or []]
    return call


def slot_events(body: dict) -> dict:
    assert all(e["event"] == "slot" for e in body["events"])
    return {e["name"]: e["value"] for e in body["events"]}


def test_unknown_ticket_from_a_slot_is_a_sentence(http):
    response = http.post("/webhook", json=rasa_call("action_complaint_status", slots={"ticket_id": "SR-2026-999999"}))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"events", "responses"}
    [reply] = body["responses"]
    assert "SR-2026-999999" in reply["text"]
    slots = slot_events(body)
    assert slots["last_tool_error"] == reply["text"] and slots["last_tool_result"] is None


def test_search_from_an_entity_in_korean(http):
    call = rasa_call("action_search_datasets", text="주차장 데이터 있어요?", entities=[("query", "주차")])
    body = http.post("/webhook", json=call).json()
    [reply] = body["responses"]
    assert reply["text"].startswith("1개 데이터셋을 찾았습니다") and SEEDED in reply["text"]
    result = slot_events(body)["last_tool_result"]
    assert result["tool"] == "search_datasets" and result["table"][0]["id"] == SEEDED
    assert reply["custom"]["table"] == result["table"]


def test_query_with_object_slots_as_json_text_and_dict(http):
    """Objects arrive as Rasa keeps them in `any` slots: a dict, or JSON text; the bare tool name works too."""
    call = rasa_call("query_dataset", text="which districts have the most parking spaces?",
                     slots={"dataset": SEEDED, "aggregate": json.dumps({"op": "sum", "field": "capacity",
                                                                         "group_by": "district", "top": 5}),
                            "lang": "en"})
    body = http.post("/webhook", json=call).json()
    result = slot_events(body)["last_tool_result"]
    assert len(result["table"]) == 5 and result["series"] == result["table"]
    # the answer is a sentence (it was "public_parking_lots sum by district (5 rows)", the tool's internal names)
    first = result["table"][0]
    assert body["responses"][0]["text"].startswith("Public parking lots, total spaces by district: "
                                                   f"{first['district']} {first['sum']:,.0f}")

    district = result["table"][0]["district"]
    call = rasa_call("action_query_dataset", slots={"dataset": SEEDED, "filters": {"district": district},
                                                    "aggregate": {"op": "count"}})
    body = http.post("/webhook", json=call).json()
    assert "count" in body["responses"][0]["text"]
    assert slot_events(body)["last_tool_result"]["data"]["rows_read"] > 0


def test_missing_required_slot_rejects_execution(http):
    response = http.post("/webhook", json=rasa_call("action_complaint_status"))
    assert response.status_code == 400
    body = response.json()
    assert body["action_name"] == "action_complaint_status"
    assert "ticket_id" in body["error"]


def test_invalid_value_and_missing_service_are_sentences(http):
    bad = http.post("/webhook", json=rasa_call("action_complaint_status", slots={"ticket_id": "12345"})).json()
    assert bad["responses"][0]["text"].startswith("invalid arguments for complaint_status")
    polls = http.post("/webhook", json=rasa_call("action_list_polls", entities=[("status", "open")]))
    assert polls.status_code == 200 and polls.json()["responses"][0]["text"]
    vote = http.post("/webhook", json=rasa_call("action_cast_vote", slots={"poll_id": "MV-1187", "choice": "2"}))
    assert vote.status_code == 200 and "verified_voter" in vote.json()["responses"][0]["text"]


def test_a_service_the_server_does_not_run(services):
    from civic_services.tools.rasa_actions import run_action

    answer = run_action(REGISTRY, {**services, "voting": None}, rasa_call("action_list_polls", slots={"status": "all"}))
    assert answer.status == 200
    assert "not available on this server" in answer.body["responses"][0]["text"]


def test_unknown_action_is_404_in_rasa_sdk_shape(http):
    response = http.post("/webhook", json=rasa_call("action_order_pizza"))
    assert response.status_code == 404
    assert response.json() == {"error": "No registered action found for name 'action_order_pizza'.",
                               "action_name": "action_order_pizza"}


def test_not_an_action_call(http):
    assert http.post("/webhook", content=b"{not json").status_code == 400
    response = http.post("/webhook", json={"sender_id": "x"})
    assert response.status_code == 400 and response.json()["action_name"] is None


def test_deflate_compressed_call(http):
    raw = json.dumps(rasa_call("action_complaint_status", slots={"ticket_id": "SR-2026-999999"})).encode()
    response = http.post("/webhook", content=zlib.compress(raw),
                         headers={"Content-Type": "application/json", "Content-Encoding": "deflate"})
    assert response.status_code == 200 and "SR-2026-999999" in response.json()["responses"][0]["text"]


def test_actions_and_health(http):
    actions = http.get("/actions")
    assert actions.status_code == 200
    assert actions.json() == [{"name": f"action_{name}"} for name in REGISTRY.names()]
    assert len(actions.json()) == 13
    health = http.get("/health")
    assert health.status_code == 200 and health.json() == {"status": "ok"}


# --- argument extraction (no HTTP: the rules the webhook applies)

def test_coercion_rules():
    location = REGISTRY.get("submit_complaint").parameters["properties"]["location"]
    assert coerce("마포구청 앞", location) == {"address": "마포구청 앞"}
    assert coerce('{"lat": 37.56, "lon": 126.9}', location) == {"lat": 37.56, "lon": 126.9}
    media = REGISTRY.get("submit_complaint").parameters["properties"]["media_count"]
    assert coerce(2.0, media) == 2 and coerce("3", media) == 3
    districts = REGISTRY.get("sensor_latest").parameters["properties"]["district"]
    assert coerce(["Mapo-gu"], districts) == "Mapo-gu"
    assert coerce(["Gangnam-gu", "Seocho-gu"], districts) == ["Gangnam-gu", "Seocho-gu"]
    assert coerce('["Gangnam-gu", "Seocho-gu"]', districts) == ["Gangnam-gu", "Seocho-gu"]
    ticket = REGISTRY.get("complaint_status").parameters["properties"]["ticket_id"]
    assert coerce(["SR-2026-000001", "SR-2026-000002"], ticket) == "SR-2026-000002"


def test_arguments_from_slots_and_entities():
    tool = REGISTRY.get("sensor_history")
    tracker = rasa_call("action_sensor_history", text="평균 소음 지난주 강남구 대비 서초구",
                        slots={"metric": "noise"},
                        entities=[("district", "Gangnam-gu"), ("district", "Seocho-gu"), ("period", "last_week"),
                                  ("metric", "pm10")])["tracker"]
    assert arguments_from_tracker(tool, tracker) == {"metric": "noise", "district": ["Gangnam-gu", "Seocho-gu"],
                                                     "period": "last_week"}
    assert REGISTRY.errors("sensor_history", arguments_from_tracker(tool, tracker)) == []
    assert tracker_lang(tracker) == "ko"
    tracker["slots"]["lang"] = "en"
    assert tracker_lang(tracker) == "en"


@pytest.mark.parametrize("action", ["action_submit_complaint", "submit_complaint"])
def test_submit_complaint_arguments(action):
    tool = REGISTRY.get("submit_complaint")
    tracker = rasa_call(action, text="there's a pothole in front of Mapo-gu office, two photos attached",
                        slots={"category": "pothole", "media_count": 2.0},
                        entities=[("location", "in front of Mapo-gu office"),
                                  ("description", "pothole in front of Mapo-gu office")])["tracker"]
    arguments = arguments_from_tracker(tool, tracker)
    assert arguments == {"category": "pothole", "description": "pothole in front of Mapo-gu office",
                         "location": {"address": "in front of Mapo-gu office"}, "media_count": 2}
    assert REGISTRY.errors("submit_complaint", arguments) == []


MALFORMED = [
    {"next_action": "action_complaint_status", "tracker": "not an object"},
    {"next_action": "action_complaint_status", "tracker": {"slots": ["ticket_id"], "latest_message": "hi"}},
    {"next_action": "action_complaint_status", "tracker": {"slots": None, "latest_message": {"entities": "x"}}},
    {"next_action": "action_search_datasets", "tracker": {"latest_message": {"entities": [None, 3, {"entity": 1}]}}},
    {"next_action": "action_query_dataset", "tracker": {"slots": {"dataset": SEEDED, "aggregate": "{broken json",
                                                                  "filters": [1, 2]}}},
    {"next_action": ["action_search_datasets"], "tracker": {}},
    [1, 2, 3],
    "action_search_datasets",
]


@pytest.mark.parametrize("payload", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_calls_never_fail_the_server(http, payload):
    response = http.post("/webhook", json=payload)
    assert response.status_code in (200, 400, 404), response.text
    body = response.json()
    assert set(body) in ({"events", "responses"}, {"error", "action_name"})


@pytest.mark.slow
def test_random_trackers_get_a_protocol_answer():
    """Any JSON in the tracker's slots and entities gets a 200, 400 or 404 answer, never an exception."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from civic_services.tools.rasa_actions import run_action

    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) |
                          st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)
    arguments = sorted({a for t in REGISTRY.tools.values() for a in t.parameters["properties"]})
    names = st.sampled_from(arguments + ["lang", "other"])
    actions = st.sampled_from([f"action_{n}" for n in REGISTRY.names()] + REGISTRY.names() + ["action_x", ""])

    @settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(action=actions, slots=st.dictionaries(names, values, max_size=5),
           entities=st.lists(st.fixed_dictionaries({"entity": names, "value": values}), max_size=4),
           text=st.text(max_size=30))
    def run(action, slots, entities, text):
        payload = {"next_action": action, "sender_id": "fuzz",
                   "tracker": {"slots": slots, "latest_message": {"text": text, "entities": entities}}}
        answer = run_action(REGISTRY, {}, payload)  # no services: every call that validates says so
        assert answer.status in (200, 400, 404)
        if answer.status == 200:
            assert answer.body["responses"][0]["text"]

    run()
