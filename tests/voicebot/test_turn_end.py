"""Whether the words so far sound finished, and the per-utterance decision built on it."""

import pytest

from voicebot.turn_end import TurnEnd, TurnEndOptions, judge, sounds_finished


@pytest.mark.parametrize("text", [
    "What time does the last subway leave?",
    "How do I contest a parking ticket.",
    "Where is it?",
    "Who do I talk to?",
    "Do I have to?",
    "What do I need it for?",
    "Can you tell me where the nearest office is?",
    "Do you know what time it is?",
    "What day is it?",
    "I want to report a broken streetlight",
    "대형 폐기물 스티커 어디서 사요?",
    "버스 요금이 얼마예요",
    "여권 발급은 어디서 합니까",
    "주차 위반 과태료를 내고 싶습니다.",
])
def test_finished_sentences_and_questions(text):
    assert sounds_finished(text)


@pytest.mark.parametrize("text", [
    "",
    "I want to ask about the",
    "Where can I pay my parking fine and",
    "My neighbour is, um",
    "I was wondering if",
    "How do I get to",
    "So the thing is,",
    "Well...",
    "Can you tell me about the.",
    "How much is?",  # the caller paused before "the bus fare in Seoul"
    "Where do?",
    "Hi, what is?",
    "Where am I supposed to?",  # Whisper's question mark where the caller paused before "throw away old batteries"
    "What documents do I need to?",
    "버스를 타려고 하는데",
    "지하철 요금이 그리고",
    "여권을 발급받으려면",
    "제가 어제 민원을 넣었는데요 그",
    "주민센터에서",
])
def test_unfinished_utterances(text):
    assert not sounds_finished(text)


def test_the_turn_ends_early_only_when_a_finished_partial_covers_all_the_speech():
    options = TurnEndOptions(first_pause_s=0.25, max_pause_s=1.0)
    turn = TurnEnd(options, "en")
    assert not turn.partial_wanted(speech_frames=20, silence_s=0.1)
    assert turn.partial_wanted(speech_frames=20, silence_s=0.26)
    turn.partial_started()
    assert not turn.partial_wanted(speech_frames=20, silence_s=0.3)  # one at a time
    assert not turn.over(20, 0.4)  # waiting for the partial
    turn.partial_ready("Where do I pay a parking fine?", 20, partial="heard")
    assert turn.over(20, 0.4) and turn.reusable(20) == "heard"
    assert not turn.over(23, 0.1) and turn.reusable(23) is None  # the caller went on speaking


def test_a_transcript_still_being_made_at_the_long_pause_is_awaited_not_made_again():
    turn = TurnEnd(TurnEndOptions(first_pause_s=0.25, max_pause_s=1.0), "en")
    turn.partial_started(15, "transcribing")
    assert turn.over(15, 1.0)  # the long pause ends the turn whatever the partial
    assert turn.reusable(15) is None and turn.in_flight(15) == "transcribing"  # the call waits for that one
    assert turn.in_flight(18) is None  # it covers less than was said: a new decode
    turn.partial_ready("Where do I pay a parking fine?", 15, partial="heard")
    assert turn.in_flight(15) is None and turn.reusable(15) == "heard"


def test_an_unfinished_partial_waits_for_the_long_pause():
    turn = TurnEnd(TurnEndOptions(first_pause_s=0.25, max_pause_s=1.0), "en")
    turn.partial_started()
    turn.partial_ready("I would like to ask about the", 15, partial="heard")
    assert not turn.over(15, 0.6)
    assert turn.over(15, 1.0) and turn.reusable(15) == "heard"


def test_with_the_model_both_the_voice_and_the_words_must_sound_finished():
    assert judge(0.9, True, 0.5) and not judge(0.4, True, 0.5) and not judge(0.9, False, 0.5)
    assert judge(None, True, 0.7) and not judge(None, False, 0.7)  # no model: the words alone
    options = TurnEndOptions(first_pause_s=0.25, max_pause_s=1.0, model_threshold=0.5)
    done = TurnEnd(options, "en")
    done.partial_started()
    done.partial_ready("Where do I pay a parking fine?", 20, partial="heard", probability=0.97)
    assert done.over(20, 0.3)
    assert done.summary(20) == {"by": "model+words", "probability": 0.97, "words_finished": True}
    going_on = TurnEnd(options, "en")  # "I want to report a broken streetlight" said with more to come
    going_on.partial_started()
    going_on.partial_ready("I want to report a broken streetlight.", 20, partial="heard", probability=0.05)
    assert not going_on.over(20, 0.6) and going_on.over(20, 1.0)
    assert going_on.summary(20) == {"by": "pause", "probability": 0.05, "words_finished": True}
    words_only = TurnEnd(options, "en")
    words_only.partial_started()
    words_only.partial_ready("Where do I pay a parking fine?", 20, partial="heard")
    assert words_only.over(20, 0.3) and words_only.summary(20)["by"] == "words"


def test_a_call_without_a_working_end_of_turn_model_judges_by_the_words(store, tmp_path):
    import numpy as np

    from models.loaded import ModelSet
    from voicebot.call import Call

    def call(turn_ref: str) -> Call:
        return Call(None, None, ModelSet(store=store, refs={"vad": "silero-vad", "turn": turn_ref}))

    audio = np.zeros(16_000, dtype=np.float32)
    assert 0.0 <= call("smart-turn-v3.2")._turn_probability(audio) <= 1.0
    assert call("")._turn_probability(audio) is None  # DASAN_TURN_MODEL= : deliberately off
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an ONNX graph")
    for ref in (str(tmp_path / "missing.onnx"), str(broken)):
        failing = call(ref)
        assert failing._turn_probability(audio) is None and failing._turn_model_off  # and the call goes on


def test_a_partial_that_had_a_restart_left_out_waits_for_the_long_pause():
    """"Where can I find cheap? Where" (the caller paused before "public parking lots"; Whisper wrote the question's
    first word again): the restart is left out of the text, and the turn is not ended early on it."""
    turn = TurnEnd(TurnEndOptions(first_pause_s=0.25, max_pause_s=1.0), "en")
    turn.partial_started()
    turn.partial_ready("Where can I find cheap?", 15, partial="heard", probability=0.95, restarted=True)
    assert not turn.words_finished and not turn.over(15, 0.5) and turn.over(15, 1.0)
    assert turn.reusable(15) == "heard"  # at the long pause the partial (without its restart) is the transcript
