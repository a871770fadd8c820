"""The spoken form of answers (voicebot/spoken.py): on the knowledge base's own answers and on chat-style text
with markdown, links, lists and tables."""

import json
import re

from chatbot.kb import default_kb_path
from voicebot.spoken import OFFER, readable, reply_to_offer, say_numbers, sentences_of, sino_korean, spoken_form


def _faq() -> list[dict]:
    """The knowledge base the project ships (chatbot/data/faq.jsonl)."""
    text = default_kb_path().read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_the_bus_fare_answer_keeps_its_key_fact_and_offers_the_details():
    answer = ("The adult fare on Seoul's blue (trunk) and green (branch) buses is commonly published as 1,500 won "
              "with a transit card, and paying cash costs a little more. Youth and children pay discounted fares, "
              "while red express buses and late-night buses have their own fares. Fares are revised from time to "
              "time, so please confirm the current amount with the Seoul Bus Policy Division or by calling 120.")
    spoken = spoken_form(answer, "en")
    assert spoken.text.startswith("The adult fare on Seoul's blue and green buses is commonly published as 1,500 won")
    assert spoken.text.endswith("Shall I text you the details?") and spoken.offered and spoken.shortened
    assert "(trunk)" not in spoken.text and "Youth" not in spoken.text
    assert len(spoken.text) < len(answer) / 2


def test_every_knowledge_base_answer_gets_short_in_both_languages():
    for row in _faq():
        for lang, limit in (("en", 260), ("ko", 160)):
            answer = row[f"answer_{lang}"]
            spoken = spoken_form(answer, lang)
            kept = spoken.text.removesuffix(OFFER[lang]).strip()
            assert kept and len(kept) <= max(limit, 0), (row["id"], lang, spoken.text)
            assert len(sentences_of(kept)) <= 2, (row["id"], lang, kept)
            assert spoken.offered == spoken.shortened
            assert not re.search(r"https?://|www\.|\(|\)|\*\*", spoken.text), (row["id"], spoken.text)
            assert not re.search(r"\d{3,4}-\d{4}", spoken.text), (row["id"], spoken.text)  # phones as digits
            if lang == "ko":
                assert not re.search(r"\d", kept), (row["id"], kept)  # every number in words
                assert re.search(r"[다요까]\.?$|[.?!]$", kept), (row["id"], kept)  # ends as a sentence


def test_a_short_answer_is_said_whole_without_an_offer():
    spoken = spoken_form("Please hold, I am connecting you to an agent.", "en")
    assert spoken.text == "Please hold, I am connecting you to an agent." and not spoken.offered
    assert spoken_form("", "en").text == ""


def test_markdown_links_urls_lists_and_tables_are_made_sayable():
    answer = ("## Bulky waste\n"
              "**Book a pickup** on the [district website](https://example.org/bulky) or at https://gu.example/x.\n"
              "- Sofas: 5,000 won\n"
              "- Beds: 10,000 won\n\n"
              "| item | fee |\n|---|---|\n| desk | 3,000 won |\n"
              "Sources: faq-0050 [1]")
    text = readable(answer)
    assert "http" not in text and "**" not in text and "#" not in text and "|" not in text and "[" not in text
    assert "Sources" not in text and "faq-0050" not in text
    assert "Bulky waste." in text and "Book a pickup on the district website." in text
    assert "Sofas: 5,000 won." in text and "desk, 3,000 won." in text
    spoken = spoken_form(answer, "en")
    assert spoken.text == "Bulky waste. Book a pickup on the district website. Shall I text you the details?"


def test_abbreviations_do_not_end_a_sentence():
    text = ("In general the first trains start around 5:30 a.m. and the last trains run until about 1 a.m., "
            "with earlier last trains on holidays. For exact times, check the timetable.")
    assert sentences_of(text) == [
        "In general the first trains start around 5:30 a.m. and the last trains run until about 1 a.m., with "
        "earlier last trains on holidays.", "For exact times, check the timetable."]


def test_a_long_first_sentence_is_cut_at_a_clause():
    answer = ("Large appliances such as fridges, washing machines, air conditioners and TVs can be collected free "
              "of charge at your home by applying to the free waste-appliance pickup service, which you can call "
              "any weekday between nine and six, while small appliances are collected together with other items.")
    spoken = spoken_form(answer, "en")
    assert spoken.text == ("Large appliances such as fridges, washing machines, air conditioners and TVs can be "
                           "collected free of charge at your home by applying to the free waste-appliance pickup "
                           "service. Shall I text you the details?")


def test_korean_long_sentence_is_cut_where_its_clause_ending_can_end_a_sentence():
    answer = ("서울 간선(파랑)·지선(초록)버스의 성인 요금은 교통카드 기준 1,500원으로 안내되고 있으며, 현금으로 내시면 조금 더 "
              "비싸고, 청소년과 어린이는 할인 요금이 적용되며, 광역버스와 심야버스는 별도 요금이 적용됩니다. 요금은 조정될 수 "
              "있습니다.")
    spoken = spoken_form(answer, "ko")
    # the last clause within the budget whose ending can end a sentence: …적용되며 -> …적용됩니다
    assert spoken.text == ("서울 간선, 지선버스의 성인 요금은 교통카드 기준 천오백 원으로 안내되고 있으며, 현금으로 내시면 조금 "
                           "더 비싸고, 청소년과 어린이는 할인 요금이 적용됩니다. 더 자세한 내용은 문자로 보내드릴까요?")
    assert spoken_form(answer, "ko", budget=60).text.startswith(
        "서울 간선, 지선버스의 성인 요금은 교통카드 기준 천오백 원으로 안내되고 있습니다. ")


def test_numbers_are_read_for_the_ear():
    assert say_numbers("call Seoul Metro, 1577-1234, or 120.", "en") == (
        "call Seoul Metro, one five seven seven, one two three four, or one two zero.")
    assert say_numbers("a 10 km trip costs 1,550 won, 120 won more at 20%", "en") == (
        "a 10 kilometres trip costs 1,550 won, 120 won more at 20 percent")
    assert say_numbers("02-120-1234", "en") == "zero two, one two zero, one two three four"
    assert say_numbers("요금은 1,500원이고 문의는 120 또는 1577-1234", "ko") == (
        "요금은 천오백 원이고 문의는 일이공 또는 일오칠칠 일이삼사")
    assert say_numbers("오후 9시~다음 날 오전 7시, 11:30부터, 30분 이내, 2025년, 10km, 3.5%", "ko") == (
        "오후 아홉 시~다음 날 오전 일곱 시, 열한 시 삼십 분부터, 삼십 분 이내, 이천이십오 년, 십 킬로미터, 삼점오 퍼센트")
    assert [sino_korean(n) for n in (1, 10, 15, 100, 1550, 10000, 23000, 62000, 100000000)] == [
        "일", "십", "십오", "백", "천오백오십", "만", "이만 삼천", "육만 이천", "일억"]


def test_the_callers_answer_to_the_offer():
    for text in ("Yes, please.", "Yeah", "Sure.", "OK, send it.", "네", "네, 보내 주세요", "예."):
        assert reply_to_offer(text) == "yes", text
    for text in ("No, thanks.", "No thank you", "Not now.", "아니요", "괜찮아요", "아뇨 됐어요"):
        assert reply_to_offer(text) == "no", text
    for text in ("How much is the subway fare?", "Yes, and what time does the last subway leave tonight?",
                 "지하철 요금은 얼마예요?", ""):
        assert reply_to_offer(text) is None, text
