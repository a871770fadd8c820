"""Hearing one utterance (voicebot.asr.hear) with the bundled models: Whisper base and the Piper voice."""

import pytest

from voicebot.asr import hear

pytestmark = pytest.mark.slow


def test_a_question_that_ends_abruptly_is_heard_once(model_set, speak):
    """The caller's audio stops at the question's last sound (the eval's voice is trimmed there, and a turn can end
    as early). Whisper then often writes the question again into the silence the decoder appends, timed into the
    audio's last instant: before the fix, 2 of 3 syntheses were heard twice and 1 not at all (three copies failed
    the density check)."""
    for _ in range(3):  # Piper's voice varies from one synthesis to the next
        heard = hear(model_set, speak("Where can I renew my passport?"), "en", False)
        assert _words(heard.text) == ["where", "can", "i", "renew", "my", "passport"]


def _words(text: str) -> list[str]:
    return "".join(c for c in text.lower() if c.isalpha() or c.isspace()).split()
