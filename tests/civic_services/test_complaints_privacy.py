"""Complaints over real HTTP on SQLite and PostgreSQL: personal data typed into free text is masked in every
public copy (a direct Open311 POST, a report filed through the chat's submit_complaint tool, staff notes; the
report, the list and the token views, JSON and XML) while staff see the original; text is normalised as it comes
in (decomposed Hangul, full-width letters and digits); Open311 dates are ISO 8601 only."""

from __future__ import annotations

import re
import unicodedata
from xml.etree import ElementTree

import pytest

PII = "제 번호는 010-2222-3333 이고 900101-1234567 입니다"
SECRETS = ("010-2222-3333", "900101-1234567", "01022223333", "1234567")


def post(http, data, fmt="json"):
    return http.post(f"/open311/v2/requests.{fmt}", data=data)


def _public_bodies(http, ticket: str, token: str | None = None) -> list[str]:
    bodies = [http.get(f"/open311/v2/requests/{ticket}.{fmt}").text for fmt in ("json", "xml")]
    bodies += [http.get(f"/open311/v2/requests.{fmt}", params={"service_request_id": ticket}).text
               for fmt in ("json", "xml")]
    bodies += [http.get("/open311/v2/requests.json").text,
               http.get("/open311/v2/requests.xml", params={"district": "Mapo-gu"}).text]
    if token:
        bodies += [http.get(f"/open311/v2/tokens/{token}.{fmt}").text for fmt in ("json", "xml")]
    return bodies


def _assert_masked(bodies: list[str], ticket: str) -> None:
    for body in bodies:
        assert ticket in body
        for secret in SECRETS:
            assert secret not in body, body[:300]


def test_personal_data_in_a_posted_report_is_masked_in_every_public_copy(http, server):
    created = post(http, {"service_code": "pothole", "description": f"마포구 월드컵북로 396 앞 포트홀. {PII}",
                          "address_string": "서울 마포구 월드컵북로 396 (연락 010-2222-3333)"})
    assert created.status_code == 201, created.text
    [answer] = created.json()
    assert "hidden in the public copy" in answer["service_notice"]
    ticket, token = answer["service_request_id"], answer["token"]
    [record] = http.get(f"/open311/v2/requests/{ticket}.json").json()
    assert "[phone]" in record["description"] and "[주민번호]" in record["description"]
    assert record["description"].startswith("마포구 월드컵북로 396 앞 포트홀.")
    assert "[phone]" in record["address"] and record["district"] == "Mapo-gu"
    _assert_masked(_public_bodies(http, ticket, token), ticket)
    staff = http.get(f"/open311/v2/staff/requests/{ticket}", headers=server.staff_token("complaints:read"))
    assert staff.status_code == 200
    assert PII in staff.json()["description"] and "010-2222-3333" in staff.json()["address"]


def test_personal_data_in_staff_notes_is_masked_in_public_updates(http, server):
    ticket = post(http, {"service_code": "streetlight", "description": "Lamp out",
                         "address_string": "서울 마포구 월드컵북로 400"}).json()[0]
    writer = server.staff_token("complaints:write")
    note = "현장 확인, 담당자 010-2222-3333 으로 연락 주세요"
    url = f"/open311/v2/staff/requests/{ticket['service_request_id']}/status"
    assert http.post(url, json={"status": "acknowledged", "note": note}, headers=writer).status_code == 200
    assert http.post(url, json={"status": "closed", "note": f"처리 완료. {PII}"}, headers=writer).status_code == 200
    _assert_masked(_public_bodies(http, ticket["service_request_id"], ticket["token"]), ticket["service_request_id"])
    [public] = http.get(f"/open311/v2/requests/{ticket['service_request_id']}.json").json()
    assert public["status_notes"].startswith("처리 완료.") and "[phone]" in public["status_notes"]
    assert "[phone]" in public["updates"][1]["note"]
    staff = http.get(f"/open311/v2/staff/requests/{ticket['service_request_id']}",
                     headers=server.staff_token("complaints:read")).json()
    assert staff["status_notes"] == f"처리 완료. {PII}" and staff["history"][1]["note"] == note


class _Session:
    pending_call = None


def test_a_report_filed_through_the_chat_is_masked_in_public(http, server):
    from chatbot.routing.nlu import NluRouter
    from chatbot.tool_dialogue import ToolDialogue
    from dasan.runtime import gather_tools

    dialogue = ToolDialogue(gather_tools(), NluRouter(), {"complaints": server.runtime.complaints})
    session = _Session()
    first = dialogue.handle(session, f"마포구 월드컵북로 396 앞 도로에 큰 포트홀이 생겼어요 {PII}", "ko", faq_confidence=0.0)
    assert first is not None and first.tool == "submit_complaint" and first.awaiting == "confirm"
    done = dialogue.handle(session, "네", "ko", faq_confidence=0.0)
    assert done is not None and not done.error, done
    ticket = re.search(r"SR-\d{4}-\d{6}", done.answer).group(0)
    for secret in SECRETS:
        assert secret not in done.answer
    _assert_masked(_public_bodies(http, ticket), ticket)
    staff = http.get(f"/open311/v2/staff/requests/{ticket}", headers=server.staff_token("complaints:read")).json()
    assert "010-2222-3333" in staff["description"] and "900101-1234567" in staff["description"]
    status = dialogue.handle(_Session(), f"{ticket} 처리 어떻게 됐어요?", "ko", faq_confidence=0.0)
    assert status is not None and status.tool == "complaint_status"
    assert all(secret not in str(status.table or "") + status.answer for secret in SECRETS)


def test_decomposed_and_full_width_text_is_recognised(http, server):
    nfd = unicodedata.normalize("NFD", "서울 마포구 월드컵북로 396 앞")
    assert nfd != "서울 마포구 월드컵북로 396 앞"
    by_nfd = post(http, {"service_code": "road_ice", "description": unicodedata.normalize("NFD", "빙판길 주의"),
                         "address_string": nfd})
    assert by_nfd.status_code == 201, by_nfd.text
    assert by_nfd.json()[0]["district"] == "Mapo-gu"
    ticket = by_nfd.json()[0]["service_request_id"]
    [record] = http.get(f"/open311/v2/requests/{ticket}.json").json()
    assert record["description"] == "빙판길 주의" and record["address"] == "서울 마포구 월드컵북로 396 앞"  # NFC
    again = post(http, {"service_code": "road_ice", "description": "또 빙판", "address_string": "서울 마포구 월드컵북로 396 앞"})
    assert again.json()[0]["duplicate_of"] == ticket  # the same address, however it was typed
    wide = post(http, {"service_code": "pothole", "description": "Ｈｏｌｅ", "address_string": "Ｓｏｎｇｐａ－ｇｕ Ｏｌｙｍｐｉｃ－ｒｏ ３００",
                       "attribute[size]": "ｌａｒｇｅ"})
    assert wide.status_code == 201, wide.text
    assert wide.json()[0]["district"] == "Songpa-gu"
    staff = http.get(f"/open311/v2/staff/requests/{wide.json()[0]['service_request_id']}",
                     headers=server.staff_token("complaints:read")).json()
    assert staff["attributes"]["size"] == "large"
    listed = http.get("/open311/v2/requests.json", params={"district": unicodedata.normalize("NFD", "마포구"),
                                                          "service_code": "road_ice"})
    assert listed.status_code == 200 and ticket in {r["service_request_id"] for r in listed.json()}


@pytest.mark.parametrize("value", ["0.5", "1700000000", "20240101000000", "yesterday", "2025-13-01"])
@pytest.mark.parametrize("name", ["start_date", "end_date"])
def test_open311_dates_are_iso_8601_only(http, name, value):
    response = http.get("/open311/v2/requests.json", params={name: value})
    assert response.status_code == 400, response.text
    [error] = response.json()
    assert error["code"] == 400 and name in error["description"]
    xml = http.get("/open311/v2/requests.xml", params={name: value})
    assert xml.status_code == 400 and ElementTree.fromstring(xml.content).find("error/code").text == "400"


def test_open311_dates_in_iso_8601_forms_select_the_window(http):
    ticket = post(http, {"service_code": "graffiti", "description": "Tags", "lat": 37.55, "long": 126.99}).json()[0]
    mine = ticket["service_request_id"]
    for start in ("2020-01-01", "2020-01-01T00:00:00Z", "2020-01-01T09:00:00+09:00", "20200101"):
        found = http.get("/open311/v2/requests.json", params={"start_date": start, "service_code": "graffiti"})
        assert found.status_code == 200, (start, found.text)
        assert mine in {r["service_request_id"] for r in found.json()}
    past = http.get("/open311/v2/requests.json", params={"start_date": "2020-01-01", "end_date": "2020-12-31",
                                                        "service_code": "graffiti"})
    assert past.status_code == 200 and past.json() == []
    backwards = http.get("/open311/v2/requests.json", params={"start_date": "2025-02-01", "end_date": "2025-01-01"})
    assert backwards.status_code == 400 and "before" in backwards.json()[0]["description"]
