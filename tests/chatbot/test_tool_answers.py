"""Tool answers a person can read, in the citizen's language only: each defect a person saw, on the real services
(SQLite) through the chat's tool dialogue with the lexical router (no model is loaded)."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from chatbot.routing.nlu import NluRouter
from chatbot.tool_dialogue import ToolDialogue, readable_table

LATIN_WORD = re.compile(r"[A-Za-z_]{3,}")


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    from civic_services.opendata import samples
    from dasan.runtime import Runtime
    from tests.harness import clean_settings

    civic = Runtime.open(clean_settings(data_dir=tmp_path_factory.mktemp("answers")))
    samples.seed(civic.opendata, only=["street_trees", "public_toilets"])
    now = datetime.now(timezone.utc)
    for name, district, lat, lon, value in (("g1", "Gangnam-gu", 37.50, 127.05, 12.0),
                                            ("s1", "Seocho-gu", 37.48, 127.03, 40.0)):
        streams = civic.iot.provision_station(name, district, lat, lon, ("pm2_5", "temperature"))
        for minutes in range(5, 60 * 30, 50):
            stamp = (now - timedelta(minutes=minutes)).isoformat()
            civic.iot.create_observation({"phenomenonTime": stamp, "result": value}, streams["pm2_5"])
            civic.iot.create_observation({"phenomenonTime": stamp, "result": 3.3}, streams["temperature"])
    found = {"complaints": civic.complaints, "opendata": civic.opendata, "iot": civic.iot, "voting": civic.voting}
    yield found
    civic.close()


@pytest.fixture()
def dialogue(services):
    from dasan.runtime import gather_tools

    return ToolDialogue(gather_tools(), NluRouter(), {k: v for k, v in services.items() if not k.startswith("_")})


class Session:
    pending_call = None


def _turn(dialogue, message, lang, session=None):
    turn = dialogue.handle(session or Session(), message, lang, faq_confidence=0.0)
    assert turn is not None, message
    return turn


def _korean_only(text: str) -> list[str]:
    """Latin words in a Korean answer other than ids, units and names people write in Latin letters."""
    allowed = {"SR", "MV", "Open", "CCTV", "lx", "dB", "kW"}
    ids = re.sub(r"(SR|MV)-[\d-]+|\([a-z_]+\)", "", text)
    return [w for w in LATIN_WORD.findall(ids) if w not in allowed]


def test_the_confirmation_is_a_sentence_with_the_address_whole(dialogue):
    ko = _turn(dialogue, "마포구 월드컵북로 396 앞 도로에 큰 포트홀이 생겼어요 사진 2장 첨부합니다", "ko")
    assert ko.awaiting == "confirm"
    assert "{" not in ko.answer and "'address'" not in ko.answer and "category" not in ko.answer
    assert "서울 마포구 월드컵북로 396 앞" in ko.answer and "포트홀" in ko.answer and "사진 2장" in ko.answer
    assert not _korean_only(ko.answer), ko.answer
    en = _turn(dialogue, "There's a pothole outside 396 World Cup-buk-ro, Mapo-gu, two photos attached", "en")
    assert en.awaiting == "confirm" and "{" not in en.answer
    assert "396 World Cup-buk-ro" in en.arguments["location"]["address"]  # the house number stays
    assert "396 World Cup-buk-ro" in en.answer and "pothole" in en.answer and "2 photos" in en.answer


def test_a_filed_report_and_its_status_read_in_korean(dialogue, services):
    session = Session()
    _turn(dialogue, "송파구 올림픽로 300 앞 가로등이 꺼져 있어요", "ko", session)
    filed = _turn(dialogue, "네", "ko", session)
    assert "송파구" in filed.answer and "가로등" in filed.answer and "Songpa" not in filed.answer
    ticket = re.search(r"SR-\d{4}-\d{6}", filed.answer).group(0)
    services["complaints"].change_status(ticket, "in_progress", actor="test")
    status = _turn(dialogue, f"{ticket} 처리 어떻게 됐어요?", "ko")
    assert status.tool == "complaint_status" and ticket in status.answer
    assert "'처리 중'" in status.answer and "in_progress" not in status.answer
    assert not _korean_only(status.answer), status.answer


def test_sensor_answers_name_metric_district_and_unit_in_korean(dialogue):
    now = _turn(dialogue, "강남구랑 서초구 지금 초미세먼지 비교해 줘", "ko")
    assert now.tool == "sensor_latest"
    assert "초미세먼지" in now.answer and "강남구" in now.answer and "㎍/㎥" in now.answer
    assert "pm2_5" not in now.answer and "now:" not in now.answer and not _korean_only(now.answer), now.answer
    history = _turn(dialogue, "최근 24시간 강남구 기온 추이", "ko")
    assert history.tool == "sensor_history" and "3.3℃" in history.answer and "Cel" not in history.answer
    assert "최근 24시간" in history.answer and not _korean_only(history.answer), history.answer


def test_a_grouped_count_reads_in_korean_with_a_chart_that_says_what_it_shows(dialogue):
    grouped = _turn(dialogue, "은평구 가로수 수종별 그루 수", "ko")
    assert grouped.tool == "query_dataset" and "species" in grouped.table[0]
    assert "가로수" in grouped.answer and "수종별" in grouped.answer and "은행나무" in grouped.answer
    assert "street_trees" not in grouped.answer and "count" not in grouped.answer
    assert not _korean_only(grouped.answer), grouped.answer
    assert {row["species"] for row in grouped.table} >= {"은행나무", "양버즘나무"}  # the table in Korean too
    svg = grouped.chart_svg
    assert "query_dataset" not in svg and "(max" not in svg
    assert "은평구 가로수 현황, 수종별 개수" in svg and ">수종<" in svg and ">개수<" in svg
    assert "양버즘나무" in svg  # whole, not cut to eight characters


def test_english_chart_labels_are_never_cut(dialogue):
    grouped = _turn(dialogue, "number of street trees in Eunpyeong-gu by species", "en")
    assert grouped.tool == "query_dataset"
    svg = grouped.chart_svg
    labels = " ".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>|<text[^>]*>([^<]+)</text>", svg) and
                      [a or b for a, b in re.findall(r"<tspan[^>]*>([^<]*)</tspan>|<text[^>]*>([^<]+)</text>", svg)])
    for name in ("Plane tree", "Dawn redwood", "Fringe tree"):
        assert name in labels, (name, labels)  # whole, on one line or wrapped onto two
    assert ">Plane tr<" not in svg and "Species" in svg and "Count" in svg
    assert 'viewBox="0 0 ' in svg  # scales to a phone's width


def test_tables_show_seoul_time_as_people_write_it():
    rows = [{"start": "2025-10-19T05:00:00+00:00", "avg": 12.5}, {"start": "2025-10-19T06:00:00+00:00", "avg": 13}]
    ko = readable_table(rows, "ko")
    en = readable_table(rows, "en")
    assert ko[0]["start"].endswith("10월 19일 14:00") and "T" not in ko[0]["start"] and ko[0]["avg"] == 12.5
    assert en[1]["start"].startswith("19 Oct") and en[1]["start"].endswith("15:00")
    dated = readable_table([{"date": "2025-10-19", "district": "Mapo-gu", "status": "in_progress"}], "ko")[0]
    assert dated == {"date": "2025년 10월 19일", "district": "마포구", "status": "처리 중"}


def test_a_dataset_listing_names_titles(dialogue):
    listed = _turn(dialogue, "Which open datasets do you have?", "en")
    assert listed.tool == "search_datasets" and listed.arguments == {"query": "*"}
    assert "Street trees" in listed.answer and "Public toilets" in listed.answer
    korean = _turn(dialogue, "어떤 데이터셋들이 있는지 목록 보여 줘", "ko")
    assert korean.tool == "search_datasets" and "가로수 현황" in korean.answer


def test_many_bars_lie_on_their_side_with_every_label_whole():
    from chatbot.charts import HORIZONTAL_FROM, chart_svg

    rows = [{"species": f"Species number {i} with a long name", "count": 100 - i} for i in range(HORIZONTAL_FROM + 5)]
    svg = chart_svg(rows, "species", "count", title="Trees by species", x_label="Species", y_label="Count")
    for row in rows:  # one row a bar: each label whole on its own line
        assert f'text-anchor="end">{row["species"]}</text>' in svg
    assert svg.count("<rect ") == len(rows) and "Trees by species" in svg and 'viewBox="0 0 ' in svg
    few = chart_svg(rows[:3], "species", "count", title="Trees by species")
    assert f'text-anchor="end">{rows[0]["species"]}</text>' not in few and few.count("<rect ") == 3  # upright
