"""GET /tools in OpenAI's function-calling format, and `dasan rasa export` run as the real command."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import yaml

from dasan.runtime import gather_tools

REGISTRY = gather_tools()


def test_tools_in_openai_format(http):
    tools = http.get("/tools").json()
    assert [t["function"]["name"] for t in tools] == REGISTRY.names() and len(tools) == 13
    for tool in tools:
        assert tool["type"] == "function"
        assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", tool["function"]["name"])
        assert tool["function"]["parameters"] == REGISTRY.get(tool["function"]["name"]).parameters
        assert tool["function"]["description"] == REGISTRY.get(tool["function"]["name"]).description_en


def test_tools_in_korean_for_a_role(http):
    tools = http.get("/tools", params={"lang": "ko", "role": "citizen"}).json()
    names = [t["function"]["name"] for t in tools]
    assert "cast_vote" not in names and "complaint_statistics" not in names and len(names) == 11
    assert all(re.search(r"[\uac00-\ud7a3]", t["function"]["description"]) for t in tools)
    voter = [t["function"]["name"] for t in http.get("/tools", params={"role": "verified_voter"}).json()]
    assert "cast_vote" in voter
    staff = [t["function"]["name"] for t in http.get("/tools", params={"role": "staff"}).json()]
    assert "complaint_statistics" in staff and "cast_vote" not in staff
    assert http.get("/tools", params={"lang": "fr"}).status_code == 422
    assert http.get("/tools", params={"role": "mayor"}).status_code == 422


def _dasan(*args, tmp_path):
    env = {**os.environ, "DASAN_DATA_DIR": str(tmp_path / "var"), "DASAN_PORT": "8120"}
    return subprocess.run([sys.executable, "-m", "dasan.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_rasa_export(tmp_path):
    done = _dasan("rasa", "export", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    domain = yaml.safe_load(done.stdout)
    assert domain["actions"] == [f"action_{name}" for name in REGISTRY.names()]
    arguments = {a for t in REGISTRY.tools.values() for a in t.parameters["properties"]}
    assert arguments | {"lang", "last_tool_result", "last_tool_error"} == set(domain["slots"])
    slots = domain["slots"]
    assert slots["category"]["type"] == "categorical" and "pothole" in slots["category"]["values"]
    assert slots["metric"]["type"] == "categorical" and "noise" in slots["metric"]["values"]
    assert slots["media_count"] == {"type": "float", "min_value": 0, "max_value": 10, "influence_conversation": False,
                                    "mappings": [{"type": "from_entity", "entity": "media_count"}]}
    assert slots["location"]["type"] == "any" and slots["location"]["mappings"] == [{"type": "custom"}]
    assert slots["ticket_id"]["type"] == "text" and "ticket_id" in domain["entities"]
    for slot in slots.values():
        assert slot["mappings"] and slot["influence_conversation"] is False
    assert "#   url: http://127.0.0.1:8120/webhook" in done.stdout


def test_rasa_export_to_files(tmp_path):
    out, endpoints = tmp_path / "rasa" / "domain_dasan.yml", tmp_path / "rasa" / "endpoints.yml"
    done = _dasan("rasa", "export", "--out", str(out), "--url", "http://dasan.internal:8000/webhook",
                  "--endpoints", str(endpoints), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert len(yaml.safe_load(out.read_text(encoding="utf-8"))["actions"]) == 13
    assert yaml.safe_load(endpoints.read_text()) == {"action_endpoint": {"url": "http://dasan.internal:8000/webhook"}}
