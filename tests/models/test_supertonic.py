"""The Supertonic engine (issue 19) on a tiny release these tests build: four ONNX graphs with the inputs and outputs
of Supertonic's models (names, dtypes and ranks as Supertone's release has them; a few arithmetic nodes inside),
its tts.json, a unicode indexer and two voice styles. The real loading, text-to-ids, duration, flow-matching and
vocoder code runs on them through onnxruntime, and ``dasan voices import`` takes the release. Nothing is
downloaded; the audio is not speech (no real weights here), but its length and the steps taken are checked.

What the graphs compute, so that the tests can check the engine's arithmetic:
- duration_predictor: duration = 0.02 s per text id + 0.05 * mean(style_dp);
- text_encoder: text_emb [1, 6, T] = ids * weights * text_mask (+ mean(style_ttl));
- vector_estimator: denoised = noisy + (current_step + 1) * total_step, on the latent mask; after N calls with
  current_step 0..N-1 and total_step N the latent has gained N * N(N+1)/2;
- vocoder: wav [1, L * frame] = 0.001 * the channels' mean of each latent frame, repeated frame times.
"""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from models.store import ModelError, ModelStore
from models.supertonic import SupertonicTTS, prepare_text, split_long
from models.tts import load_tts
from models.voices import VoiceImportError, detect, import_voice, list_voices
from tests.models.test_voice_engines import cli, directory_digest_by_shell, leftovers  # noqa: F401 (cli: fixture)

RATE, CHUNK, COMPRESS, LATENT_DIM = 16000, 32, 3, 4  # a frame of 96 samples, 12 latent channels
FRAME, CHANNELS = CHUNK * COMPRESS, LATENT_DIM * COMPRESS
PER_ID, PER_STYLE = 0.02, 0.05
KOREAN = "안녕하세요. 도서관은 아홉 시에 엽니다."


def _indexer() -> list[int]:
    """ASCII keeps its code point as its id, Hangul jamo (what NFKD makes of syllables) get 200 + their offset; all
    else has no id (-1)."""
    table = [-1] * 0x1200
    for point in range(32, 127):
        table[point] = point
    for point in range(0x1100, 0x1200):
        table[point] = 200 + point - 0x1100
    return table


def _save(graph, path: Path) -> None:
    import onnx
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def _graphs(directory: Path, ttl_dims=(4, 5), dp_dims=(2, 3), rename: dict[str, str] | None = None) -> None:
    """The four models, with Supertonic's input and output names, dtypes and ranks (``rename``: a broken one)."""
    from onnx import TensorProto, helper

    rename = rename or {}
    f, i64 = TensorProto.FLOAT, TensorProto.INT64

    def value(name, kind, shape):
        return helper.make_tensor_value_info(rename.get(name, name), kind, shape)

    def node(op, inputs, outputs, **attrs):
        return helper.make_node(op, [rename.get(n, n) for n in inputs], outputs, **attrs)

    def const(name, values, kind=f, shape=None):
        values = list(np.asarray(values).reshape(-1))
        return helper.make_tensor(name, kind, shape if shape is not None else [len(values)], values)

    text_ids, text_mask = value("text_ids", i64, [1, "T"]), value("text_mask", f, [1, 1, "T"])
    style_ttl, style_dp = value("style_ttl", f, [1, *ttl_dims]), value("style_dp", f, [1, *dp_dims])

    _save(helper.make_graph([
        node("ReduceSum", ["text_mask", "axes12"], ["count"], keepdims=0),
        node("Mul", ["count", "per_id"], ["speaking"]),
        node("ReduceMean", ["style_dp"], ["style_mean"], keepdims=0),
        node("Mul", ["style_mean", "per_style"], ["style_seconds"]),
        node("Add", ["speaking", "style_seconds"], ["with_style"]),
        node("Cast", ["text_ids"], ["ids_f"], to=f),
        node("ReduceSum", ["ids_f"], ["ids_sum"], keepdims=0),
        node("Mul", ["ids_sum", "zero"], ["nothing"]),
        node("Add", ["with_style", "nothing"], ["duration"]),
    ], "duration_predictor", [text_ids, style_dp, text_mask], [value("duration", f, [1])],
        initializer=[const("axes12", [1, 2], i64), const("per_id", [PER_ID]), const("per_style", PER_STYLE, f, []),
                     const("zero", 0.0, f, [])]), directory / "duration_predictor.onnx")

    weights = np.linspace(0.5, 1.5, 6, dtype=np.float32).reshape(1, 6, 1)
    _save(helper.make_graph([
        node("Cast", ["text_ids"], ["ids_f"], to=f),
        node("Unsqueeze", ["ids_f", "axis1"], ["ids3"]),
        node("Mul", ["ids3", "text_mask"], ["masked"]),
        node("Mul", ["masked", "weights"], ["projected"]),
        node("ReduceMean", ["style_ttl"], ["style_mean"], keepdims=0),
        node("Add", ["projected", "style_mean"], ["text_emb"]),
    ], "text_encoder", [text_ids, style_ttl, text_mask], [value("text_emb", f, [1, 6, "T"])],
        initializer=[const("axis1", [1], i64), const("weights", weights, f, [1, 6, 1])]),
        directory / "text_encoder.onnx")

    unused = ["text_emb", "style_ttl", "text_mask"]  # summed times zero: inputs the graph takes and ignores
    _save(helper.make_graph([
        node("Add", ["current_step", "one"], ["step1"]),
        node("Mul", ["step1", "total_step"], ["gain"]),
        node("Mul", ["latent_mask", "gain"], ["masked_gain"]),
        node("Add", ["noisy_latent", "masked_gain"], ["moved"]),
        *[node("ReduceSum", [name], [f"{name}_sum"], keepdims=0) for name in unused],
        node("Sum", [f"{name}_sum" for name in unused], ["ignored"]),
        node("Mul", ["ignored", "zero"], ["nothing"]),
        node("Add", ["moved", "nothing"], ["denoised_latent"]),
    ], "vector_estimator", [
        value("noisy_latent", f, [1, CHANNELS, "L"]), value("text_emb", f, [1, 6, "T"]), style_ttl,
        value("latent_mask", f, [1, 1, "L"]), text_mask, value("current_step", f, [1]),
        value("total_step", f, [1])],
        [value("denoised_latent", f, [1, CHANNELS, "L"])],
        initializer=[const("one", 1.0, f, []), const("zero", 0.0, f, [])]), directory / "vector_estimator.onnx")

    _save(helper.make_graph([
        node("ReduceMean", ["latent", "axis1"], ["mean"], keepdims=0),
        node("Unsqueeze", ["mean", "axis2"], ["column"]),
        node("Expand", ["column", "frame"], ["frames"]),
        node("Reshape", ["frames", "flat"], ["samples"]),
        node("Mul", ["samples", "scale"], ["wav_tts"]),
    ], "vocoder", [value("latent", f, [1, CHANNELS, "L"])], [value("wav_tts", f, [1, "samples"])],
        initializer=[const("axis1", [1], i64), const("axis2", [2], i64), const("frame", [1, 1, FRAME], i64),
                     const("flat", [1, -1], i64), const("scale", 0.001, f, [])]), directory / "vocoder.onnx")


def _style(path: Path, ttl: float, dp: float, ttl_dims=(4, 5), dp_dims=(2, 3)) -> None:
    def tensor(dims, fill):
        return {"data": np.full((1, *dims), fill, dtype=np.float32).tolist(), "dims": [1, *dims], "type": "float32"}

    path.write_text(json.dumps({"style_ttl": tensor(ttl_dims, ttl), "style_dp": tensor(dp_dims, dp)}),
                    encoding="utf-8")


def build_release(directory: Path) -> Path:
    """A Supertonic release laid out as Supertone publishes it: onnx/ and voice_styles/ (M1 and F1)."""
    models = directory / "onnx"
    models.mkdir(parents=True)
    _graphs(models)
    (models / "tts.json").write_text(json.dumps({
        "ae": {"sample_rate": RATE, "base_chunk_size": CHUNK},
        "ttl": {"latent_dim": LATENT_DIM, "chunk_compress_factor": COMPRESS}}), encoding="utf-8")
    (models / "unicode_indexer.json").write_text(json.dumps(_indexer()), encoding="utf-8")
    styles = directory / "voice_styles"
    styles.mkdir()
    _style(styles / "M1.json", ttl=0.1, dp=1.0)
    _style(styles / "F1.json", ttl=0.2, dp=3.0)
    (directory / "LICENSE").write_text("OpenRAIL-M (a stand-in)\n", encoding="utf-8")
    return directory


def expected_samples(text: str, style_dp: float, speed: float = 1.05) -> int:
    """The samples the engine must give for one sentence: the graphs' duration over the speed, in samples."""
    ids = sum(1 for c in prepare_text(text, "ko") if ord(c) < 0x1200 and _indexer()[ord(c)] >= 0)
    seconds = float(np.float32(ids) * np.float32(PER_ID) + np.float32(PER_STYLE) * np.float32(style_dp)) / speed
    return int(seconds * RATE)


@pytest.fixture()
def release(tmp_path) -> Path:
    return build_release(tmp_path / "supertonic-2")


def test_text_becomes_indexer_ids_of_nfkd_jamo_in_language_tags(release):
    engine = SupertonicTTS(release)
    assert prepare_text("안녕", "ko") == "<ko>" + unicodedata.normalize("NFKD", "안녕") + ".</ko>"
    jamo = [0x110B, 0x1161, 0x11AB, 0x1102, 0x1167, 0x11BC]  # 안 = ㅇ ㅏ ㄴ, 녕 = ㄴ ㅕ ㅇ
    tags = [ord(c) for c in "<ko>"], [ord(c) for c in "</ko>"]
    assert engine.text_ids("안녕").tolist() == [[*tags[0], *(200 + j - 0x1100 for j in jamo), ord("."), *tags[1]]]
    # symbols as Supertone normalises them; a character the indexer lacks (™ becomes TM by NFKD; é's accent) goes
    assert prepare_text("“Hi” — [a]|b @ c ,", "en") == '<en>"Hi" - a b at c,</en>'
    assert engine.text_ids("café").tolist() == [[*map(ord, "<ko>cafe.</ko>")]]
    assert engine.sample_rate == RATE and engine.style == "M1"


def test_a_release_speaks_a_sentence_of_the_length_its_durations_give(release, tmp_path):
    engine = load_tts(str(release), ModelStore(tmp_path / "models"), language="ko")
    assert isinstance(engine, SupertonicTTS) and engine.language == "ko"
    speech = engine.synthesize("안녕하세요.")
    assert speech.sample_rate == RATE
    assert speech.audio.dtype == np.float32 and speech.audio.ndim == 1
    assert abs(len(speech.audio) - expected_samples("안녕하세요.", style_dp=1.0)) <= 1
    assert np.isfinite(speech.audio).all() and np.abs(speech.audio).max() > 0


@pytest.mark.parametrize("steps", [1, 2, 5])
def test_the_flow_matching_loop_calls_the_estimator_steps_times_with_its_timesteps(release, steps):
    engine = SupertonicTTS(release, steps=steps, seed=3)
    audio = engine.synthesize("Hello.").audio
    # noise (mean 0 over the 12 channels and the frames) plus sum over step of (step + 1) * steps, times 0.001
    gained = float(audio.mean()) / 0.001
    assert abs(gained - steps * steps * (steps + 1) / 2) < 0.5, gained
    assert audio.std() > 0  # the noise came through: the latent was fed back each step, not made anew


def test_speed_and_style_change_the_length_and_a_style_can_be_chosen(release):
    m1 = SupertonicTTS(release)
    f1 = SupertonicTTS(release, style="F1")
    fast = SupertonicTTS(release / "voice_styles" / "F1.json", speed=2.0)  # a style file selects it too
    text = "Hello there."
    assert abs(len(m1.synthesize(text).audio) - expected_samples(text, 1.0)) <= 1
    assert abs(len(f1.synthesize(text).audio) - expected_samples(text, 3.0)) <= 1
    assert abs(len(fast.synthesize(text).audio) - expected_samples(text, 3.0, speed=2.0)) <= 1
    assert (m1.style, f1.style, fast.style) == ("M1", "F1", "F1")
    with pytest.raises(ModelError, match=r"has no voice style 'W9' \(it has F1, M1\)"):
        SupertonicTTS(release, style="W9").warm_up()


def test_sentences_stream_one_by_one_with_a_pause_and_long_ones_are_cut(release):
    engine = SupertonicTTS(release)
    chunks = list(engine.stream(KOREAN + " ... !"))
    assert len(chunks) == 2  # punctuation alone says nothing
    pause = int(0.3 * RATE)
    assert abs(len(chunks[0].audio) - expected_samples("안녕하세요.", 1.0)) <= 1
    assert np.all(chunks[1].audio[:pause] == 0)
    assert abs(len(chunks[1].audio) - pause - expected_samples("도서관은 아홉 시에 엽니다.", 1.0)) <= 1

    long = ", ".join(["도서관은 아홉 시에 엽니다"] * 12) + "."
    pieces = split_long(long, 120)
    assert len(pieces) > 1 and all(len(p) <= 120 for p in pieces) and " ".join(pieces) == long
    assert len(list(engine.stream(long))) == len(pieces)
    assert split_long("a" * 130, 120) == ["a" * 130]  # a word is never cut


def test_a_release_missing_a_file_or_with_another_interface_is_refused_by_name(release, tmp_path):
    (release / "onnx" / "vocoder.onnx").unlink()
    with pytest.raises(ModelError, match=r"Supertonic release .* is missing onnx/vocoder.onnx$"):
        SupertonicTTS(release).warm_up()
    with pytest.raises(VoiceImportError, match="is a Supertonic release missing onnx/vocoder.onnx"):
        import_voice(release, "tts-ko", tmp_path / "models")
    assert list_voices(tmp_path / "models") == [] and leftovers(tmp_path / "models") == []
    shutil.rmtree(release / "voice_styles")
    with pytest.raises(ModelError, match=r"missing onnx/vocoder.onnx, voice_styles/\*.json \(a voice style\)"):
        SupertonicTTS(release).warm_up()

    other = build_release(tmp_path / "other")
    _graphs(other / "onnx", rename={"current_step": "timestep"})
    with pytest.raises(ModelError, match=r"vector_estimator.onnx does not take Supertonic's inputs: it lacks "
                                         r"\['current_step'\] and has \['timestep'\] besides"):
        SupertonicTTS(other).warm_up()
    with pytest.raises(ModelError, match="no language 'xx'"):
        SupertonicTTS(other, language="xx")


def test_an_english_only_indexer_cannot_say_korean(release):
    ascii_only = [point if 32 <= point < 127 else -1 for point in range(128)]
    (release / "onnx" / "unicode_indexer.json").write_text(json.dumps(ascii_only), encoding="utf-8")
    engine = SupertonicTTS(release)
    with pytest.raises(ModelError, match="has none of the letters of '안녕하세요.'.*Korean needs Supertonic 2"):
        engine.synthesize("안녕하세요.")
    assert len(engine.synthesize("Hello.").audio) > 0


def test_import_pins_the_release_hash_and_a_style_file_picks_the_style(release, tmp_path):
    models_dir = tmp_path / "models"
    digest = directory_digest_by_shell(release)
    with pytest.raises(VoiceImportError, match=f"sha256 mismatch: expected {'0' * 64}, but {release} hashes to "
                                               f"{digest}"):
        import_voice(release, "tts-ko", models_dir, sha256="0" * 64)
    assert list_voices(models_dir) == [] and leftovers(models_dir) == []

    voice = import_voice(release, "tts-ko", models_dir, sha256=digest)
    assert (voice.name, voice.engine, voice.entry, voice.sha256) == ("supertonic-2", "supertonic", ".", digest)
    assert "onnx/vector_estimator.onnx" in voice.files and "voice_styles/F1.json" in voice.files
    engine = load_tts(voice.name, ModelStore(models_dir), language="ko")
    assert isinstance(engine, SupertonicTTS) and engine.name == "supertonic-2"
    assert len(engine.synthesize(KOREAN).audio) > 0 and engine.style == "M1"

    styled = import_voice(release / "voice_styles" / "F1.json", "tts-ko", models_dir, sha256=digest)
    assert (styled.name, styled.entry, styled.sha256) == ("supertonic-2-f1", "voice_styles/F1.json", digest)
    engine = load_tts(styled.name, ModelStore(models_dir), language="ko")
    engine.warm_up()
    assert engine.style == "F1"
    with pytest.raises(VoiceImportError, match="one of a Supertonic release's models: import the release"):
        detect(release / "onnx" / "vocoder.onnx")
    assert leftovers(models_dir) == []


def test_dasan_voices_import_takes_a_supertonic_release(release, cli):  # noqa: F811 (the imported fixture)
    digest = directory_digest_by_shell(release)
    wrong = cli("voices", "import", str(release), "--role", "tts-ko", "--sha256", "ab" * 32)
    assert wrong.exit_code == 2 and "sha256 mismatch" in wrong.output and digest in wrong.output, wrong.output
    done = cli("voices", "import", str(release), "--role", "tts-ko", "--sha256", digest, "--name", "supertonic-ko")
    assert done.exit_code == 0, done.output
    assert f"sha256 {digest}" in done.output and "DASAN_TTS_VOICE_KO=supertonic-ko" in done.output
    (listed,) = json.loads(cli("voices", "list", "--json").output)
    assert (listed["name"], listed["engine"], listed["sha256"]) == ("supertonic-ko", "supertonic", digest)
    engine = load_tts("supertonic-ko", ModelStore(cli.models_dir), language="ko")
    assert isinstance(engine, SupertonicTTS) and engine.synthesize("안녕하세요.").sample_rate == RATE
