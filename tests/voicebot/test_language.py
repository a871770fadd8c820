from voicebot.language import only_a_request, requested_language


def test_language_requests_in_either_language():
    assert requested_language("English, please.") == "en"
    assert requested_language("Can you speak English?") == "en"
    assert requested_language("영어로 해 주세요") == "en"
    assert requested_language("Korean, please") == "ko"
    assert requested_language("Could we do this in Korean?") == "ko"
    assert requested_language("한국어로 해주세요") == "ko"
    assert requested_language("How much is the bus fare?") is None
    assert requested_language("Is the Korean War Memorial open?") is None
    assert requested_language("Do you speak English or Korean?") is None  # both: no switch
    assert requested_language("Could we speak in Korea, please?") == "ko"  # how Whisper often hears the request
    assert requested_language("How do I get a driving licence in Korea?") is None


def test_a_request_alone_is_not_a_question():
    assert only_a_request("English, please.")
    assert only_a_request("한국어로 해 주세요")
    assert only_a_request("Could we speak in Korean, please?")
    assert not only_a_request("In English please, where can I buy a waste sticker for a sofa?")
    assert not only_a_request("How much is the bus fare?")
