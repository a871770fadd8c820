"""How the speech dataset finds what to mask and silence in a segment (minutes.dataset.redact), from the words a
recogniser really writes for numbers said aloud."""

from __future__ import annotations

import pytest

from minutes.dataset import PAD_S, redact, speaker_pseudonym
from speech.events import Segment
from speech.streaming import StreamWord


def segment(*words: tuple[float, float, str], text: str | None = None) -> Segment:
    stream = tuple(StreamWord(*w) for w in words)
    return Segment(0, words[0][0] if words else 0.0, words[-1][1] if words else 1.0,
                   text if text is not None else "".join(w.text for w in stream).strip(), stream)


def test_a_number_written_in_pieces_is_masked_and_its_words_silenced():
    seg = segment((1.6, 1.8, " My"), (1.8, 2.0, " phone"), (2.0, 2.3, " number"), (2.3, 2.6, " is"),
                  (2.6, 2.8, " 0"), (2.9, 3.1, " 10,"), (3.1, 4.5, ",1234"), (4.5, 5.3, ",5"), (5.3, 7.0, ",678."))
    text, spans = redact(seg)
    assert text == "My phone number is [phone]."
    assert spans == [pytest.approx((2.6 - PAD_S, 7.0 + PAD_S))]


def test_a_number_in_one_word_and_an_email_are_masked():
    text, spans = redact(segment((0.0, 0.4, " Call"), (0.4, 2.0, " 010-1234-5678"), (2.0, 2.3, " or"),
                                 (2.3, 3.5, " kim@mapo.go.kr.")))
    assert text == "Call [phone] or [email]."
    assert len(spans) == 2 and spans[0] == pytest.approx((0.4 - PAD_S, 2.0 + PAD_S))


def test_ordinary_numbers_stay_and_nothing_is_silenced():
    assert redact(segment((0.0, 0.3, " We"), (0.3, 0.5, " have"), (0.5, 0.7, " 3"), (0.7, 1.0, " items,"),
                          (1.0, 1.3, " 12"), (1.3, 1.6, " votes"), (1.6, 2.0, " and"),
                          (2.0, 2.5, " 1,000,000"), (2.5, 2.8, " won."))) == \
        ("We have 3 items, 12 votes and 1,000,000 won.", [])


def test_personal_data_without_word_timings_is_left_out():
    assert redact(segment(text="제 번호는 010-1234-5678입니다")) is None  # a corrected segment: nowhere to silence
    assert redact(segment(text="예산 검토를 시작합니다")) == ("예산 검토를 시작합니다", [])
    assert redact(segment(text="번호는 0 10 1234 5678 입니다")) is None  # a number in pieces, corrected by hand


def test_speaker_pseudonyms_are_stable_per_meeting():
    assert speaker_pseudonym("m1", "Speaker 1") == speaker_pseudonym("m1", "Speaker 1")
    assert speaker_pseudonym("m1", "Speaker 1") != speaker_pseudonym("m2", "Speaker 1")
    assert speaker_pseudonym("m1", "Speaker 1").startswith("spk") and len(speaker_pseudonym("m1", None)) == 13


def test_a_number_said_partly_twice_by_the_streaming_recogniser_is_masked_whole():
    seg = segment((1.6, 1.8, " My"), (1.8, 2.0, " phone"), (2.0, 2.3, " number"), (2.3, 2.6, " is"),
                  (2.6, 2.8, " 0,"), (2.9, 3.1, " 10,"), (3.3, 4.5, " 1234,"), (5.0, 5.4, " 5"),
                  (2.56, 7.1, " 01012345678."))
    text, spans = redact(seg)
    assert text == "My phone number is [phone]."
    assert spans == [pytest.approx((2.56 - PAD_S, 7.1 + PAD_S))]


def test_a_phone_number_heard_with_a_doubled_piece_is_still_masked():
    seg = segment((2.3, 2.6, " is"), (2.6, 2.8, " 0,"), (2.9, 3.1, " 10,"), (3.3, 4.5, " 1234,"), (5.0, 5.4, " 5"),
                  (5.4, 7.0, " 5678."), (7.3, 7.6, " The"), (7.6, 7.9, " budget"), (7.9, 8.3, " review"))
    text, spans = redact(seg)
    assert text == "is [phone]. The budget review" and spans == [pytest.approx((2.6 - PAD_S, 7.0 + PAD_S))]
    amounts = segment((0.0, 0.3, " Total"), (0.3, 1.5, " 1,250,000,000,000"), (1.5, 1.8, " won"), (1.8, 2.0, " in"),
                      (2.0, 2.4, " 2026."))
    assert redact(amounts) == ("Total 1,250,000,000,000 won in 2026.", [])
