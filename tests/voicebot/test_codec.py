import numpy as np

from voicebot.codec import FRAME_BYTES, Upsampler, pcm_to_ulaw_frames, ulaw_decode, ulaw_encode, ulaw_to_pcm16k


def test_mulaw_matches_g711_and_round_trips():
    x = np.arange(-32768, 32768, 7).astype(np.int16)
    decoded = ulaw_decode(ulaw_encode(x)).astype(np.int32)
    # G.711 mu-law error is at most half a quantisation step (under 5% of the magnitude; one step near zero)
    assert np.all(np.abs(decoded - x) <= np.maximum(16, np.abs(x.astype(np.int32)) * 0.05))
    codes = np.arange(256, dtype=np.uint8).tobytes()
    assert np.array_equal(ulaw_decode(ulaw_encode(ulaw_decode(codes))), ulaw_decode(codes))


def test_frames_and_8k_to_16k_keep_a_tone():
    rate = 16_000
    t = np.arange(rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    frames = pcm_to_ulaw_frames(tone, rate)
    assert len(frames) == 50 and all(len(f) == FRAME_BYTES for f in frames)
    up = Upsampler()
    back = np.concatenate([ulaw_to_pcm16k(f, up) for f in frames])
    assert len(back) == rate
    delay = 15  # the filter's group delay in samples
    error = back[delay + 400:] - tone[400:rate - delay]
    assert np.sqrt(np.mean(error ** 2)) < 0.02
