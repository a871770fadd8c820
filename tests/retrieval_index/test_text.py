"""Search terms: Korean morphemes without particles, English stems, run-together Korean."""

from retrieval_index.text import analyze, detect_language, repair_spacing


def test_korean_particles_do_not_stick_to_nouns():
    terms = analyze("버스요금이 얼마인가요")
    assert "버스" in terms and "요금" in terms
    assert not any(t.endswith("이") and t != "이" for t in terms)
    assert analyze("지하철을 타요")[0] == "지하철"


def test_run_together_korean_is_split_and_can_be_spaced():
    assert analyze("환승할인조건몇분이내")[:3] == ["환승", "할인", "조건"]
    assert repair_spacing("버스요금얼마예요").count(" ") >= 2


def test_english_is_lowercased_stemmed_and_stopwords_dropped():
    assert analyze("How do I claim Unemployment Benefits?") == ["claim", "unemploy", "benefit"]


def test_language_detection():
    assert detect_language("버스 요금 얼마예요") == "ko"
    assert detect_language("How much is the T-money card?") == "en"
    assert detect_language("T-money 카드 충전") == "ko"
    assert detect_language("1234") == "en"


def test_short_and_colloquial_forms_are_written_out():
    from retrieval_index.text import normalize

    assert analyze("음쓰 버리기")[:2] == ["음식물", "쓰레기"]
    assert "카카오톡" in analyze("120 카톡 상담") and "콜택시" in analyze("장콜 예약")
    assert normalize("How do I get rid of an old sofa?") == "How do I dispose of an old sofa?"
    assert "운영" in analyze("120 몇시까지해요")  # a question about opening hours keeps its topic
    for text in ("음쓰 버리기", "경복궁 몇 시까지 해요", "what time does it open", "기동카 충전"):
        assert normalize(normalize(text)) == normalize(text)


def test_synonyms_map_to_one_term_and_items_meet_their_category():
    assert analyze("old couch") == analyze("old sofa")
    assert "fridg" in analyze("refrigerator") and "applianc" in analyze("refrigerator")
    assert "furnitur" in analyze("mattress") and "가구" in analyze("침대")
    assert analyze("cab driver") == analyze("taxi driver")
