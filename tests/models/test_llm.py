"""The local LLM loads and answers, free text and schema-constrained JSON."""

import json

import pytest

from models.llm import load_llm

pytestmark = [pytest.mark.slow, pytest.mark.llm]


@pytest.fixture(scope="module")
def llm(store, llm_available):
    return load_llm("qwen2.5-coder-1.5b-q4km", store)


def test_answers_from_context(llm):
    reply = llm.chat([
        {"role": "system", "content": "Answer only from the context. Context: The Mapo-gu office is open "
                                      "from 9:00 to 18:00 on weekdays."},
        {"role": "user", "content": "When does the Mapo-gu office close on weekdays?"},
    ], max_tokens=40)
    assert "18" in reply or "6" in reply


def test_json_schema_constrains_the_output(llm):
    schema = {
        "type": "object",
        "properties": {"tool": {"type": "string", "enum": ["submit_complaint", "sensor_latest", "search_faq"]},
                       "district": {"type": "string"}},
        "required": ["tool", "district"],
    }
    reply = llm.chat([
        {"role": "system", "content": "Choose the tool for the request and the district it names."},
        {"role": "user", "content": "What is the fine dust level in Gangnam-gu right now?"},
    ], max_tokens=60, json_schema=schema)
    data = json.loads(reply)
    assert data["tool"] in schema["properties"]["tool"]["enum"]
    assert "gangnam" in data["district"].lower()


def test_streaming_yields_text(llm):
    pieces = list(llm.stream_chat([{"role": "user", "content": "Say hello in Korean."}], max_tokens=12))
    assert len(pieces) > 1 and "".join(pieces).strip()
