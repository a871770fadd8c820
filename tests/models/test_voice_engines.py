"""The engines of the voices a city brings (issue 19), on tiny models these tests build and save: a randomly
initialised VITS of one layer in transformers' format (with its tokenizer), and a Piper-shaped ONNX graph (Piper's
inputs and outputs, a few arithmetic nodes inside). Real loading and synthesis code runs on them: transformers'
VitsModel and VitsTokenizer, uroman, Piper's espeak-ng phonemiser and onnxruntime; and ``dasan voices import``
through the CLI. Nothing is downloaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from models.store import ModelError, ModelStore, sha256_file
from models.tts import PiperTTS, VitsTTS, load_tts
from models.voices import VoiceImportError, find_voice, import_voice, list_voices, remove_voice

KOREAN = "안녕하세요. 도서관은 아홉 시에 엽니다."
LETTERS = list("_ abcdefghijklmnopqrstuvwxyz'-")


def build_vits(directory: Path, *, uroman: bool, sampling_rate: int = 8000) -> Path:
    """A VITS model of one small layer per part, random weights, with a character tokenizer as MMS-TTS has."""
    import torch
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    directory.mkdir(parents=True, exist_ok=True)
    vocab = directory / "vocab.json"
    vocab.write_text(json.dumps({c: i for i, c in enumerate(LETTERS)}), encoding="utf-8")
    tokenizer = VitsTokenizer(str(vocab), pad_token="_", unk_token="_", language="kor" if uroman else "eng",
                              add_blank=True, normalize=True, phonemize=False, is_uroman=uroman)
    config = VitsConfig(
        vocab_size=len(LETTERS), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, ffn_dim=32,
        flow_size=16, spectrogram_bins=33, upsample_initial_channel=16, upsample_rates=[4, 4],
        upsample_kernel_sizes=[8, 8], resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1]],
        duration_predictor_filter_channels=16, duration_predictor_num_flows=1, prior_encoder_num_flows=1,
        prior_encoder_num_wavenet_layers=1, posterior_encoder_num_wavenet_layers=1, depth_separable_num_layers=1,
        sampling_rate=sampling_rate,
    )
    torch.manual_seed(19)
    VitsModel(config).eval().save_pretrained(str(directory))
    tokenizer.save_pretrained(str(directory))
    return directory


def build_piper(directory: Path, name: str = "ko_KR-tiny-low", hop: int = 64, rate: int = 16000) -> Path:
    """An ONNX graph with a Piper voice's interface (input, input_lengths, scales -> audio [1, 1, samples]): each
    phoneme id becomes ``hop`` samples of a sine whose frequency follows the id. Its config is a Piper config for
    espeak-ng's Korean."""
    import onnx
    from onnx import TensorProto, helper
    from piper.phoneme_ids import DEFAULT_PHONEME_ID_MAP

    ramp = np.arange(hop, dtype=np.float32) * 0.01
    nodes = [
        helper.make_node("Cast", ["input"], ["ids"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["ids", "axis2"], ["ids3"]),
        helper.make_node("Expand", ["ids3", "frame"], ["grid"]),
        helper.make_node("Mul", ["grid", "ramp"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wave"]),
        helper.make_node("Gather", ["scales", "zero"], ["noise"], axis=0),
        helper.make_node("Mul", ["wave", "noise"], ["scaled"]),
        helper.make_node("Reshape", ["scaled", "out_shape"], ["output"]),
    ]
    constants = [
        helper.make_tensor("axis2", TensorProto.INT64, [1], [2]),
        helper.make_tensor("frame", TensorProto.INT64, [3], [1, 1, hop]),
        helper.make_tensor("ramp", TensorProto.FLOAT, [hop], ramp.tolist()),
        helper.make_tensor("zero", TensorProto.INT64, [], [0]),
        helper.make_tensor("out_shape", TensorProto.INT64, [3], [1, 1, -1]),
    ]
    graph = helper.make_graph(
        nodes, "piper-shaped",
        [helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
         helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
         helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, "samples"])],
        initializer=constants,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.onnx"
    onnx.save(model, str(path))
    config = {"audio": {"sample_rate": rate}, "espeak": {"voice": "ko"}, "phoneme_type": "espeak",
              "num_symbols": 256, "num_speakers": 1, "inference": {"noise_scale": 0.667, "length_scale": 1,
                                                                    "noise_w": 0.8},
              "phoneme_id_map": DEFAULT_PHONEME_ID_MAP, "hop_length": hop}
    path.with_name(path.name + ".json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return path


def assert_speech(speech, rate: int) -> None:
    assert speech.sample_rate == rate
    assert speech.audio.dtype == np.float32 and speech.audio.ndim == 1 and len(speech.audio) > 0
    assert np.isfinite(speech.audio).all() and np.abs(speech.audio).max() > 0


def leftovers(models_dir: Path) -> list[str]:
    """What an import may have left in the voices directory besides finished voices and the manifest."""
    root = models_dir / "voices"
    return sorted(p.name for p in root.iterdir() if p.name.startswith((".import-", ".old-", ".manifest-"))) \
        if root.exists() else []


@pytest.fixture(scope="module")
def vits_en(tmp_path_factory) -> Path:
    return build_vits(tmp_path_factory.mktemp("vits") / "tiny-vits-en", uroman=False)


@pytest.fixture(scope="module")
def vits_ko(tmp_path_factory) -> Path:
    return build_vits(tmp_path_factory.mktemp("vits") / "tiny-mms-kor", uroman=True, sampling_rate=16000)


@pytest.fixture()
def piper_voice(tmp_path) -> Path:
    return build_piper(tmp_path / "piper")


# ----------------------------------------------------------------------------------------------- VITS


@pytest.mark.slow
def test_vits_directory_loads_locally_and_speaks_sentence_by_sentence(vits_en, tmp_path):
    engine = load_tts(str(vits_en), ModelStore(tmp_path / "models"))
    assert isinstance(engine, VitsTTS)
    chunks = list(engine.stream("Hello there. The library opens at nine!"))
    assert len(chunks) == 2
    for chunk in chunks:
        assert_speech(chunk, 8000)
    assert_speech(engine.synthesize("hello"), 8000)
    with pytest.raises(ValueError, match="empty"):
        engine.synthesize("  ")


@pytest.mark.slow
def test_mms_style_voice_romanises_korean_with_uroman(vits_ko, tmp_path):
    engine = load_tts(str(vits_ko), ModelStore(tmp_path / "models"), language="ko")
    # Every character of KOREAN is outside the voice's alphabet: audio comes out only because uroman romanised it.
    speech = engine.synthesize(KOREAN)
    assert_speech(speech, 16000)
    assert speech.duration > 0.05


@pytest.mark.slow
def test_a_romanising_voice_without_uroman_names_the_package(vits_ko, monkeypatch):
    import models.tts

    monkeypatch.setitem(sys.modules, "uroman", None)  # not installed
    monkeypatch.setattr(models.tts, "_UROMAN", None)
    with pytest.raises(ModelError, match=r"`uroman` package is not installed: pip install uroman"):
        VitsTTS(vits_ko).warm_up()


@pytest.mark.slow
def test_a_vits_directory_without_weights_or_a_hub_name_is_refused(vits_en, tmp_path):
    broken = tmp_path / "no-weights"
    broken.mkdir()
    for name in ("config.json", "vocab.json", "tokenizer_config.json"):
        (broken / name).write_bytes((vits_en / name).read_bytes())
    with pytest.raises(ModelError, match="cannot load the VITS voice"):
        VitsTTS(broken).warm_up()
    with pytest.raises(ModelError, match="cannot use 'facebook/mms-tts-kor' as a voice"):
        load_tts("facebook/mms-tts-kor", ModelStore(tmp_path / "models"))  # never fetched from the hub


# ----------------------------------------------------------------------------------------------- Piper


def test_piper_shaped_onnx_voice_speaks_korean_through_piper(piper_voice, tmp_path):
    store = ModelStore(tmp_path / "models")
    for ref in (str(piper_voice), str(piper_voice.parent)):  # the .onnx file, or the directory holding it
        engine = load_tts(ref, store, language="ko")
        assert isinstance(engine, PiperTTS)
        chunks = list(engine.stream(KOREAN))
        assert len(chunks) == 2  # Piper synthesises sentence by sentence
        for chunk in chunks:
            assert_speech(chunk, 16000)
            assert len(chunk.audio) % 64 == 0  # hop samples per phoneme id


def test_import_a_piper_voice_checks_its_sha256(piper_voice, tmp_path):
    models_dir = tmp_path / "models"
    digest = sha256_file(piper_voice)
    with pytest.raises(VoiceImportError, match=f"sha256 mismatch: expected {'0' * 64}, but .* hashes to {digest}"):
        import_voice(piper_voice, "tts-ko", models_dir, sha256="0" * 64)
    assert list_voices(models_dir) == [] and leftovers(models_dir) == []

    voice = import_voice(piper_voice, "tts-ko", models_dir, sha256=digest.upper())
    assert (voice.name, voice.engine, voice.role, voice.sha256) == ("ko_kr-tiny-low", "piper", "tts-ko", digest)
    assert set(voice.files) == {piper_voice.name, piper_voice.name + ".json"}
    assert (models_dir / "voices" / voice.name / piper_voice.name).is_file()
    engine = load_tts(voice.name, ModelStore(models_dir), language="ko")
    assert isinstance(engine, PiperTTS)
    assert_speech(engine.synthesize("안녕하세요."), 16000)
    from models.refs import resolve  # what readiness checks a required role's reference with

    resolved = resolve(voice.name, ModelStore(models_dir))
    assert resolved.kind == "path" and resolved.location == str(models_dir / "voices" / voice.name / piper_voice.name)

    with pytest.raises(VoiceImportError, match="already imported"):
        import_voice(piper_voice, "tts-ko", models_dir)
    again = import_voice(piper_voice.with_name(piper_voice.name + ".json"), "tts-ko", models_dir, replace=True)
    assert again.sha256 == digest and [v.name for v in list_voices(models_dir)] == [voice.name]
    assert leftovers(models_dir) == []


def test_an_imported_voice_whose_files_went_missing_says_so_and_can_be_removed(piper_voice, tmp_path):
    models_dir = tmp_path / "models"
    voice = import_voice(piper_voice, "tts-ko", models_dir, name="seoul-ko")
    (models_dir / "voices" / "seoul-ko" / piper_voice.name).unlink()
    with pytest.raises(ModelError, match="its files are missing"):
        load_tts(voice.name, ModelStore(models_dir))
    remove_voice("seoul-ko", models_dir)
    assert list_voices(models_dir) == [] and not (models_dir / "voices" / "seoul-ko").exists()
    assert find_voice("seoul-ko", models_dir) is None
    with pytest.raises(ModelError, match="no imported voice"):
        remove_voice("seoul-ko", models_dir)


def test_what_is_not_a_voice_is_refused_with_a_sentence(piper_voice, tmp_path):
    models_dir = tmp_path / "models"
    piper_voice.with_name(piper_voice.name + ".json").unlink()
    with pytest.raises(VoiceImportError, match="without its Piper config"):
        import_voice(piper_voice, "tts-ko", models_dir)
    (tmp_path / "empty").mkdir()
    with pytest.raises(VoiceImportError, match="not a voice Dasan can load"):
        import_voice(tmp_path / "empty", "tts-ko", models_dir)
    with pytest.raises(VoiceImportError, match="unknown role"):
        import_voice(piper_voice, "tts-fr", models_dir)


def test_a_piper_graph_that_cannot_speak_is_not_imported(tmp_path):
    """An ONNX file that onnxruntime cannot open (truncated) fails the import, and nothing stays."""
    voice = build_piper(tmp_path / "piper")
    voice.write_bytes(voice.read_bytes()[:40])
    models_dir = tmp_path / "models"
    with pytest.raises(VoiceImportError, match="cannot be loaded as a piper voice"):
        import_voice(voice, "tts-ko", models_dir)
    assert list_voices(models_dir) == [] and leftovers(models_dir) == []
    assert not (models_dir / "voices" / voice.stem.lower()).exists()


# ----------------------------------------------------------------------------------------------- the CLI


@pytest.fixture()
def cli(tmp_path, monkeypatch):
    """``dasan ...`` in this process, with settings from a clean environment and this models directory."""
    from dasan.cli import app
    from dasan.settings import get_settings

    for name in [n for n in os.environ if n.startswith("DASAN_") or n == "DATABASE_URL"]:
        if name not in ("DASAN_SKIP_LLM", "DASAN_TEST_POSTGRES"):
            monkeypatch.delenv(name)
    models_dir = tmp_path / "models"
    monkeypatch.setenv("DASAN_MODELS_DIR", str(models_dir))
    monkeypatch.chdir(tmp_path)  # no dasan.toml here
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args), terminal_width=240)

    run.models_dir = models_dir
    yield run
    get_settings.cache_clear()


def directory_digest_by_shell(directory: Path) -> str:
    """The directory hash as docs/voicebot.md tells a city to compute it with coreutils."""
    script = ("find . -type f ! -path '*/.*' -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum "
              "| sha256sum")
    out = subprocess.run(["bash", "-c", script], cwd=directory, capture_output=True, text=True, check=True)
    return out.stdout.split()[0]


@pytest.mark.slow
def test_dasan_voices_import_and_list_a_vits_voice(vits_ko, cli, tmp_path):
    digest = directory_digest_by_shell(vits_ko)

    malformed = cli("voices", "import", str(vits_ko), "--role", "tts-ko", "--sha256", "00")
    assert malformed.exit_code == 2 and "64 hexadecimal digits" in malformed.output, malformed.output
    wrong = cli("voices", "import", str(vits_ko), "--role", "tts-ko", "--sha256", "ab" * 32)
    assert wrong.exit_code == 2, wrong.output
    assert "sha256 mismatch" in wrong.output and digest in wrong.output
    assert "no imported voices" in cli("voices", "list").output

    broken = tmp_path / "broken-vits"
    broken.mkdir()
    for item in vits_ko.iterdir():
        (broken / item.name).write_bytes(item.read_bytes())
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    refused = cli("voices", "import", str(broken), "--role", "tts-ko")
    assert refused.exit_code == 1, refused.output
    assert "cannot be loaded as a vits voice" in refused.output
    assert leftovers(cli.models_dir) == [] and not (cli.models_dir / "voices" / "broken-vits").exists()

    done = cli("voices", "import", str(vits_ko), "--role", "tts-ko", "--sha256", digest, "--name", "mms-kor")
    assert done.exit_code == 0, done.output
    assert f"sha256 {digest}" in done.output
    assert "DASAN_TTS_VOICE_KO=mms-kor" in done.output
    twice = cli("voices", "import", str(vits_ko), "--role", "tts-ko", "--name", "mms-kor")
    assert twice.exit_code == 2 and "already imported" in twice.output, twice.output

    listed = cli("voices", "list")
    assert listed.exit_code == 0, listed.output
    assert "mms-kor" in listed.output and "tts-ko" in listed.output and "vits" in listed.output
    (listed,) = json.loads(cli("voices", "list", "--json").output)
    assert (listed["name"], listed["sha256"], listed["source"]) == ("mms-kor", digest, str(vits_ko))

    manifest = json.loads((cli.models_dir / "voices" / "voices.json").read_text(encoding="utf-8"))
    (entry,) = manifest["voices"]
    assert {k: entry[k] for k in ("name", "role", "engine", "sha256", "source")} == {
        "name": "mms-kor", "role": "tts-ko", "engine": "vits", "sha256": digest, "source": str(vits_ko)}
    assert entry["imported_at"].endswith("+00:00")

    # the name is now a voice reference, as DASAN_TTS_VOICE_KO=mms-kor would give it
    store = ModelStore(cli.models_dir)
    assert find_voice("mms-kor", store.root) is not None
    engine = load_tts("mms-kor", store, language="ko")
    assert isinstance(engine, VitsTTS) and engine.name == "mms-kor"
    assert_speech(engine.synthesize(KOREAN), 16000)


def test_dasan_voices_import_list_and_remove_a_piper_voice(piper_voice, cli):
    digest = sha256_file(piper_voice)
    done = cli("voices", "import", str(piper_voice), "--role", "tts-ko", "--sha256", digest)
    assert done.exit_code == 0, done.output
    assert "DASAN_TTS_VOICE_KO=ko_kr-tiny-low" in done.output
    (listed,) = json.loads(cli("voices", "list", "--json").output)
    assert (listed["name"], listed["engine"], listed["sha256"]) == ("ko_kr-tiny-low", "piper", digest)
    removed = cli("voices", "remove", "ko_kr-tiny-low")
    assert removed.exit_code == 0 and "removed ko_kr-tiny-low" in removed.output, removed.output
    assert json.loads(cli("voices", "list", "--json").output) == []
    again = cli("voices", "remove", "ko_kr-tiny-low")
    assert again.exit_code == 2 and "no imported voice" in again.output
