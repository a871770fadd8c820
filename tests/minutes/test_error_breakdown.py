"""Where streaming errors come from (minutes/error_breakdown.py) and the text-density check, in pure Python."""

from minutes.error_breakdown import alignment, breakdown, pooled
from minutes.metrics import edit_distance, korean_pair
from speech.backends import TimedWord, WindowResult
from speech.filters import HallucinationFilter, spoken_syllables

REFERENCE = "한잔의커피가소비자에게전해지기위해선여러차례의공정을거쳐야한다"


def test_the_alignment_has_as_many_edits_as_the_distance():
    for ref, hyp in [("abcdef", "abxdefgh"), ("", "abc"), ("abc", ""), ("kitten", "sitting"),
                     (REFERENCE, "한잔의커피가소위자에게전해지기위해서는여러차례의공정을")]:
        edits = alignment(ref, hyp)
        assert len(edits) == edit_distance(ref, hyp)
        assert sum(e.op != "ins" for e in edits) <= len(ref)


def test_each_streaming_edit_gets_one_category():
    offline = "한 잔의 커피가 소위자에게 전해지기 위해선 여러 차례의 공정을 거쳐야 한다"  # 비 -> 위, offline too
    invented = "이 장관은 이 장관의 동작을 통해 " + offline  # text the reference never had
    parts = breakdown("x", REFERENCE, [invented], offline, offline, "ko")
    assert parts.errors["shared"] == 1 and parts.errors["inserted"] == len(korean_pair("", "이장관은이장관의동작을통해")[1])
    repeated = breakdown("x", REFERENCE, ["한 잔의 커피가 한 잔의 커피가 소비자에게 전해지기 위해선 여러 차례의 공정을 거쳐야 한다"],
                         REFERENCE, REFERENCE, "ko")
    assert repeated.errors["repeat"] == 6 and repeated.total == 6
    dropped = breakdown("x", REFERENCE, ["한잔의 커피가", "여러 차례의 공정을 거쳐야 한다"], REFERENCE, REFERENCE, "ko")
    assert dropped.errors["dropped"] == len("소비자에게전해지기위해선") and dropped.segments == 2
    beam = breakdown("x", REFERENCE, [offline], REFERENCE, offline, "ko")
    assert beam.errors["beam"] == 1 and beam.total == 1
    cut = breakdown("x", REFERENCE, ["한잔의 커피가 소", "미자에게 전해지기 위해선 여러 차례의 공정을 거쳐야 한다"],
                    REFERENCE, REFERENCE, "ko")
    assert cut.errors["join"] == 1 and cut.total == 1  # 비 -> 미 where the segments meet
    english = breakdown("y", "ask not what your country can do for you", ["and so", "is not what your country can do"],
                        "ask not what your country can do for you", "ask not what your country can do for you", "en")
    assert english.total == edit_distance("ask not what your country can do for you".split(),
                                          "and so is not what your country can do".split())
    summary = pooled([parts, repeated, english])
    assert summary["streaming_edits"] == parts.total + repeated.total + english.total
    assert abs(sum(summary["share"].values()) - 1) < 0.01


def window(text: str) -> WindowResult:
    return WindowResult(tuple(TimedWord(0.0, 0.5, " " + w, 0.9) for w in text.split()), "ko", 0.3, -0.5, 1.2)


def test_text_too_dense_for_its_audio_is_not_speech():
    assert spoken_syllables("이 장관은 이 장관의") == 8
    assert round(spoken_syllables("the city hall"), 2) == round(11 / 3, 2)
    assert spoken_syllables("2018년 3%") == 1  # digits and signs count nothing
    guard = HallucinationFilter()
    invented = window("이 장관은 이 장관의 동작을 통해 공사에 공사하는 장관의 동작을 통해 공사")  # 29 syllables
    assert not guard.window_is_speech(invented, audio_s=0.86)
    assert guard.window_is_speech(invented, audio_s=4.0)  # the same words over 4 s are a plausible pace
    assert guard.window_is_speech(invented)  # no length given: no density check
    assert guard.window_is_speech(window("네"), audio_s=0.3)
