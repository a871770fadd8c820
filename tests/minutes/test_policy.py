"""The commit policy, the hallucination filters and the scoring functions, in pure Python (no model)."""

from speech.filters import HallucinationFilter, collapse_repeats, drop_squeezed_repeats
from minutes.metrics import Score, der, edit_distance, normalise_korean, score, sino_korean
from speech.streaming import HypothesisBuffer, StreamWord


def words(*items):
    return [StreamWord(start, start + 0.3, text) for text, start in items]


def test_local_agreement_commits_only_what_two_hypotheses_share():
    buffer = HypothesisBuffer(agreement=2)
    buffer.insert(words((" the", 0.0), (" city", 0.4), (" hall", 0.8)))
    assert buffer.flush(now=1.0) == []  # one hypothesis: nothing is final yet
    buffer.insert(words((" the", 0.0), (" city", 0.4), (" council", 0.8), (" met", 1.2)))
    committed = buffer.flush(now=2.0)
    assert [w.text for w in committed] == [" the", " city"]
    assert all(w.committed_at == 2.0 for w in committed)
    assert [w.text for w in buffer.tentative] == [" council", " met"]
    # the next hypothesis repeats the committed words: they are not committed twice
    buffer.insert(words((" the", 0.0), (" city", 0.4), (" council", 0.8), (" met", 1.2), (" today", 1.6)))
    assert [w.text for w in buffer.flush(now=3.0)] == [" council", " met"]
    assert [w.text for w in buffer.commit_all(now=3.5)] == [" today"]


def test_agreement_ignores_case_and_punctuation():
    buffer = HypothesisBuffer(agreement=2)
    buffer.insert(words((" Budget", 0.0), (" approved", 0.4)))
    buffer.flush(1.0)
    buffer.insert(words((" budget", 0.0), (" approved.", 0.4)))
    assert [w.text for w in buffer.flush(2.0)] == [" budget", " approved."]


def test_local_agreement_3_waits_for_three():
    buffer = HypothesisBuffer(agreement=3)
    for now in (1.0, 2.0):
        buffer.insert(words((" hello", 0.0)))
        assert buffer.flush(now) == []
    buffer.insert(words((" hello", 0.0)))
    assert [w.text for w in buffer.flush(3.0)] == [" hello"]


def test_repeated_phrases_collapse_and_lone_stock_phrases_go():
    loop = words(*[(t, i * 0.5) for i, t in enumerate([" thank", " you", " thank", " you", " thank", " you",
                                                       " okay"])])
    assert [w.text for w in collapse_repeats(loop)] == [" thank", " you", " okay"]
    twice = words((" very", 0.0), (" very", 0.3), (" good", 0.6))
    assert len(collapse_repeats(twice)) == 3  # said twice is speech, not a loop
    unsure = [StreamWord(0, 1, " Thank you for watching!", 0.3)]
    assert HallucinationFilter().segment_words(unsure) == []
    sure = [StreamWord(0, 1, " Thank you.", 0.95)]
    assert HallucinationFilter().segment_words(sure) == sure


def timed(spec: str):
    """Words as Whisper timed them: "text@start-end ..."."""
    out = []
    for item in spec.split():
        text, _, span = item.rpartition("@")
        start, end = span.split("-")
        out.append(StreamWord(float(start), float(end), " " + text))
    return out


def test_a_repeat_squeezed_into_no_time_is_dropped_but_a_phrase_said_twice_is_kept():
    # one window of the AMI meeting ES2003 excerpt (tests/data/ami_dev00.wav) as Whisper decoded it at its end:
    # the sentence again, ten words at 29.92 s
    loop = timed("I@25.96-26.46 am@26.46-26.62 the@26.62-26.90 marketing@26.90-27.54 expert@27.54-28.10 "
                 "you're@28.10-28.70 the@28.70-28.74 marketing@28.74-29.06 expert,@29.06-29.48 okay?@29.48-29.92 "
                 "I@29.92-29.92 am@29.92-29.92 the@29.92-29.92 marketing@29.92-29.92 expert@29.92-29.92 "
                 "you're@29.92-29.92 the@29.92-29.92 marketing@29.92-29.92 expert,@29.92-29.92 okay?@29.92-29.92")
    kept = drop_squeezed_repeats(loop)
    assert "".join(w.text for w in kept) == " I am the marketing expert you're the marketing expert, okay?"
    # a 1.3 s utterance decoded as four copies, the later ones in 0.2 s or less
    four = timed("Great,@5.02-5.36 think@5.48-5.48 it.@5.48-5.48 Great,@5.48-5.48 think@5.48-5.54 it.@5.54-5.66 "
                 "Great,@5.66-5.66 think@5.66-5.66 it.@5.66-5.68 Great,@5.70-5.70 think@5.70-5.70 it@5.70-5.70")
    assert "".join(w.text for w in drop_squeezed_repeats(four)) == " Great, think it."
    said = timed("no@1.0-1.3 no@1.4-1.7 okay,@2.0-2.3 the@2.3-2.5 price.@2.5-3.0 okay,@3.2-3.5 the@3.5-3.7 "
                 "price.@3.7-4.2")
    assert drop_squeezed_repeats(said) == said  # said twice at a speaking pace: speech
    assert HallucinationFilter().window_words(loop) == kept


def test_a_sentence_decoded_again_after_it_was_committed_is_not_committed_twice():
    buffer = HypothesisBuffer(agreement=2)
    sentence = [" My", " name's", " Adam", " Duggard,", " we're", " here", " because", " of", " the", " project."]
    first = [StreamWord(6.0 + 0.3 * i, 6.25 + 0.3 * i, t) for i, t in enumerate(sentence)]
    buffer.insert(first)
    buffer.flush(7.0)
    buffer.insert(first)
    assert len(buffer.flush(8.0)) == len(sentence)
    # the next window hears the whole sentence again, timed a little later, then new words
    again = [StreamWord(w.start + 3.1, w.end + 3.1, w.text) for w in first]
    buffer.insert(again + [StreamWord(12.2, 12.5, " Okay.")])
    assert [w.text for w in buffer.tentative] == [" Okay."]


def test_korean_numbers_and_english_normalisation():
    assert sino_korean(2018) == "이천십팔"
    assert sino_korean(10) == "십" and sino_korean(3) == "삼" and sino_korean(10_000) == "만"
    assert normalise_korean("지난해 3월, 10대 자녀!") == "지난해삼월십대자녀"
    assert score("지난해 삼 월", "지난해 3월", "ko").errors == 0
    assert score("IN EIGHTEEN THIRTEEN", "In 1813.", "en").errors == 0
    assert score("the cat sat", "the cat sat down", "en").rate == 1 / 3


def test_korean_numbers_read_native_or_sino_whichever_side_has_digits():
    """Issue 18: digits in either side may be read the native Korean way before a counter (11시 = 열한 시)."""
    from minutes.metrics import korean_pair, native_korean

    assert native_korean(11) == ["열한"] and native_korean(20) == ["스무", "스물"] and native_korean(100) == []
    for reference, hypothesis in [("11시", "열한 시"), ("열한시 삼십분", "11시 30분"), ("스무 살", "20살"),
                                  ("세 개", "3개"), ("삼월", "3월"), ("지난해 삼 월", "지난해 3월"),
                                  ("3시 3개", "세 시 세 개"), ("한 잔 의 커피", "1잔의 커피"), ("석 달", "3달"),
                                  ("십 대 자녀", "10대 자녀"), ("아흔아홉 살", "99살"), ("3 시간", "세시간")]:
        assert score(reference, hypothesis, "ko").errors == 0, (reference, hypothesis)
        assert score(hypothesis, reference, "ko").errors == 0, (hypothesis, reference)
    assert korean_pair("11시", "열한 시") == ("열한시", "열한시")
    assert korean_pair("3월", "삼월") == ("삼월", "삼월")  # 월 takes Sino-Korean numbers only
    assert korean_pair("3월", "세 월") == ("삼월", "세월")
    assert korean_pair("3개월", "세 개월") == ("삼개월", "세개월")
    # a wrong number still costs edits, in both directions
    assert score("12시", "열한 시", "ko").errors == 1 and score("열한 시", "12시", "ko").errors == 1
    assert score("열한 시 반", "1시 반", "ko").errors == 1  # 한시반 against 열한시반
    assert score("30분", "서른 한 분", "ko").errors >= 1
    # without numbers (or with Sino-Korean ones only) the score is the old one: normalise_korean on both sides
    for reference, hypothesis in [("오늘 날씨가 좋다", "오늘 날씨 좋다"), ("한 사람 이 왔다", "한 사람이 왔다"),
                                  ("이천 십 팔 년 완공", "2018년 완공"), ("10% 인상", "십 퍼센트 인상")]:
        ref, hyp = normalise_korean(reference), normalise_korean(hypothesis)
        expected = edit_distance(ref, hyp)
        assert score(reference, hypothesis, "ko") == Score(expected, len(ref))


def test_chrf_scores_characters_with_recall_weighing_twice():
    from minutes.chrf import chrf

    assert chrf(["the city hall"], ["the city hall"]) == 100.0
    assert chrf(["abc"], ["xyz"]) == 0.0 and chrf(["abc"], [""]) == 0.0
    # orders 1-3 occur: precision = recall = (2/3 + 1/2 + 0) / 3
    assert abs(chrf(["abc"], ["abd"]) - 100 * (2 / 3 + 1 / 2) / 3) < 1e-9
    # a hypothesis that says half of the reference loses more than one that says it all and more
    assert chrf(["in march last year"], ["in march"]) < chrf(["in march last year"], ["in march last year too"])
    assert chrf(["a b"], ["ab"]) == 100.0  # spaces do not count


def test_diarization_error_rate():
    reference = [(0.0, 10.0, "A"), (10.0, 20.0, "B")]
    assert der(reference, [(0.0, 10.0, "s1"), (10.0, 20.0, "s2")]) == 0.0
    assert abs(der(reference, [(0.0, 20.0, "s1")]) - 0.5) < 0.02  # half the speech given to the wrong speaker
    assert der(reference, []) == 1.0  # everything missed
    # the collar forgives boundaries a little off
    assert der(reference, [(0.0, 10.2, "s1"), (10.2, 20.0, "s2")]) == 0.0


def test_diarization_error_components():
    from minutes.metrics import diarization_score

    reference = [(0.0, 10.0, "A"), (10.0, 20.0, "B")]
    result = diarization_score(reference, [(0.0, 10.0, "s1"), (10.0, 15.0, "s1"), (25.0, 27.0, "s2")])
    assert abs(result.speech - 19.0) < 0.05  # 20 s less the collars around 0, 10 (twice) and 20
    assert abs(result.missed - 4.75) < 0.05  # 15.25-20 has no hypothesis speaker
    assert abs(result.false_alarm - 2.0) < 0.05  # 25-27 is not reference speech
    assert abs(result.confusion - 4.75) < 0.05  # 10.25-15 goes to A's speaker
    assert abs(result.errors - (result.missed + result.false_alarm + result.confusion)) < 1e-9
    assert result.overlap == 0.0
    # two reference speakers at once for 2 s: one hypothesis speaker there misses the other, at best
    overlapped = [(0.0, 10.0, "A"), (8.0, 20.0, "B")]
    result = diarization_score(overlapped, [(0.0, 9.0, "s1"), (9.0, 20.0, "s2")])
    assert abs(result.overlap - 1.5) < 0.05 and abs(result.missed - result.overlap) < 0.05
