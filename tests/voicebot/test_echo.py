"""The echo gate on real speech through the real telephone path (16 kHz -> 8 kHz mu-law -> 16 kHz): the bot's
voice coming back delayed and attenuated is recognised as echo; the caller talking over it is not."""

import numpy as np
import pytest

from voicebot.codec import (CALL_FRAME, Downsampler, Upsampler, pcm16k_to_ulaw, pcm_frames, ulaw_decode, ulaw_encode,
                            ulaw_to_pcm16k)
from voicebot.echo import EchoGate

VAD_FRAME = 512


@pytest.fixture(scope="module")
def voices():
    from models.audio import load_audio
    from tests.speech_data import JFK, KO_CLIP

    return load_audio(JFK), load_audio(KO_CLIP)


def _line(bot: np.ndarray, caller: np.ndarray | None, delay_s: float, gain: float):
    """Run a call's clock: the bot plays 20 ms frames (sent one frame ahead), the caller's line carries the echo
    (through mu-law both ways) plus the caller's own voice; returns the gate's verdict for each VAD frame and
    each frame's caller-speech level."""
    gate = EchoGate()
    frames = pcm_frames(bot, 16_000)
    down, up = Downsampler(), Upsampler()
    echo_8k = np.concatenate([ulaw_decode(pcm16k_to_ulaw(f, down)) for f in frames]).astype(np.float32) * gain
    shift = int(delay_s * 8_000)
    echo_8k = np.concatenate([np.zeros(shift, np.float32), echo_8k])
    total = len(echo_8k) // 160 * 160
    near = np.zeros(total // 160 * CALL_FRAME, dtype=np.float32)
    if caller is not None:
        start = int(1.5 * 16_000)
        near[start:start + len(caller)] = caller[: len(near) - start]
    verdicts, levels, carry = [], [], np.zeros(0, np.float32)
    for i in range(total // 160):
        if i < len(frames):
            gate.played(frames[i])  # the call sends a frame as the caller's line delivers one
        line = np.clip(echo_8k[i * 160:(i + 1) * 160] + near[i * CALL_FRAME:(i + 1) * CALL_FRAME][::2] * 32767,
                       -32768, 32767).astype(np.int16)
        heard = ulaw_to_pcm16k(ulaw_encode(line), up)
        gate.heard(heard)
        data = np.concatenate([carry, heard])
        n = len(data) // VAD_FRAME
        carry = data[n * VAD_FRAME:]
        end = gate.samples - len(carry)
        for k in range(n):
            frame_end = end - (n - 1 - k) * VAD_FRAME
            frame = data[k * VAD_FRAME:(k + 1) * VAD_FRAME]
            if np.sqrt(np.mean(frame ** 2)) > 0.01:  # only frames with sound on the line matter
                verdicts.append(gate.explains(frame_end, VAD_FRAME))
                near_frame = near[frame_end - VAD_FRAME:frame_end]
                levels.append(float(np.sqrt(np.mean(near_frame ** 2))) if len(near_frame) else 0.0)
    return np.array(verdicts), np.array(levels), gate


@pytest.mark.parametrize("delay_s,gain", [(0.08, 0.5), (0.25, 0.3), (0.45, 0.7)])
def test_the_bots_own_voice_coming_back_is_echo(voices, delay_s, gain):
    bot, _ = voices
    verdicts, _, gate = _line(bot[: 16_000 * 6], None, delay_s, gain)
    assert gate.path is not None and abs(gate.path.delay / 16_000 - delay_s) < 0.04
    assert verdicts.mean() > 0.9  # nearly every frame with sound is explained by what the bot played


def test_the_caller_talking_over_the_echo_is_not_echo(voices):
    bot, caller = voices
    verdicts, levels, _ = _line(bot[: 16_000 * 6], caller * 0.8, 0.15, 0.5)
    talking = levels > 0.03
    assert talking.sum() > 20
    assert verdicts[talking].mean() < 0.2  # the caller's speech gets through (it can barge in)
    assert verdicts[~talking].mean() > 0.8
