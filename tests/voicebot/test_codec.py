import numpy as np
import pytest

from voicebot.codec import (CALL_FRAME, FRAME_BYTES, Downsampler, Upsampler, alaw_decode, alaw_encode, pcm16k_to_ulaw,
                            pcm_frames, ulaw_decode, ulaw_encode, ulaw_to_pcm16k)


def test_mulaw_matches_g711_and_round_trips():
    x = np.arange(-32768, 32768, 7).astype(np.int16)
    decoded = ulaw_decode(ulaw_encode(x)).astype(np.int32)
    # G.711 mu-law error is at most half a quantisation step (under 5% of the magnitude; one step near zero)
    assert np.all(np.abs(decoded - x) <= np.maximum(16, np.abs(x.astype(np.int32)) * 0.05))
    codes = np.arange(256, dtype=np.uint8).tobytes()
    assert np.array_equal(ulaw_decode(ulaw_encode(ulaw_decode(codes))), ulaw_decode(codes))


def test_alaw_matches_g711_and_round_trips():
    # known G.711 values: A-law 0xD5 and 0x55 are the smallest steps either side of zero, 0xAA and 0x2A the largest
    assert alaw_decode(bytes([0xD5, 0x55, 0xAA, 0x2A])).tolist() == [8, -8, 32256, -32256]
    assert ulaw_decode(bytes([0xFF, 0x7F])).tolist() == [0, 0]
    assert alaw_encode(np.array([0, -1, 32767, -32768], dtype=np.int16)) == bytes([0xD5, 0x55, 0xAA, 0x2A])
    x = np.arange(-32768, 32768, 7).astype(np.int16)
    decoded = alaw_decode(alaw_encode(x)).astype(np.int32)
    # A-law's steps: 16 up to 512 (the two first segments), then under 1/16 of the magnitude
    assert np.all(np.abs(decoded - x) <= np.maximum(16, np.abs(x.astype(np.int32)) / 16))
    codes = np.arange(256, dtype=np.uint8).tobytes()
    assert alaw_encode(alaw_decode(codes)) == codes  # every code decodes to a value that encodes back to it


def test_alaw_is_bit_exact_with_audioop():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")  # in the standard library until Python 3.13
    x = np.arange(-32768, 32768, dtype=np.int16)
    assert alaw_encode(x) == audioop.lin2alaw(x.tobytes(), 2)
    codes = np.arange(256, dtype=np.uint8).tobytes()
    assert alaw_decode(codes).tobytes() == audioop.alaw2lin(codes, 2)


def test_call_frames_to_telephony_and_back_keep_a_tone():
    rate = 22_050  # Piper's rate: the call resamples to 16 kHz frames, the Twilio edge to 8 kHz mu-law
    t = np.arange(rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    frames = pcm_frames(tone, rate)
    assert len(frames) == 50 and all(f.dtype == np.int16 and len(f) == CALL_FRAME for f in frames)
    down, up = Downsampler(), Upsampler()
    wire = [pcm16k_to_ulaw(f, down) for f in frames]
    assert all(len(w) == FRAME_BYTES for w in wire)
    back = np.concatenate([ulaw_to_pcm16k(w, up) for w in wire])
    reference = (0.5 * np.sin(2 * np.pi * 440 * np.arange(16_000) / 16_000)).astype(np.float32)
    delay = 30  # both filters' group delay in samples
    error = back[delay + 400:] - reference[400:16_000 - delay]
    assert np.sqrt(np.mean(error ** 2)) < 0.03


def test_downsampler_refuses_odd_frames():
    import pytest

    with pytest.raises(ValueError, match="even number"):
        Downsampler()(np.zeros(3, dtype=np.float32))


def test_audio_over_the_phone_keeps_the_voice_band_and_loses_what_is_above_it():
    from voicebot.simulated_caller import over_the_phone

    t = np.arange(16_000) / 16_000
    voice, hiss = 0.3 * np.sin(2 * np.pi * 1_000 * t), 0.3 * np.sin(2 * np.pi * 6_000 * t)
    for tone, kept in ((voice, True), (hiss, False)):
        heard = over_the_phone(tone.astype(np.float32))
        assert len(heard) == 16_000  # 50 frames of 20 ms, back at 16 kHz
        rms = float(np.sqrt(np.mean(heard[800:] ** 2)))  # past the filters' start
        assert (abs(rms - 0.3 / np.sqrt(2)) < 0.02) if kept else rms < 0.01
