"""Convert CTranslate2 Whisper weights into an openai-whisper checkpoint, offline.

CTranslate2 fuses the attention projections (query/key/value of self-attention, key/value of cross-attention)
and renames every tensor; openai-whisper wants them split and under its own names. The conversion is a pure
relabelling: no tensor is changed except for the split, so both backends run the same weights.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from models.ct2_format import CT2Model, read_ct2_model


def _layer_count(model: CT2Model, side: str) -> int:
    count = 0
    while f"{side}/layer_{count}/ffn/linear_0/weight" in model.variables:
        count += 1
    return count


def _scalar(model: CT2Model, name: str) -> int:
    return int(model.get(name).reshape(()))


def _ln(model: CT2Model, src: str, dst: str, out: dict[str, np.ndarray]) -> None:
    out[f"{dst}.weight"] = model.get(f"{src}/gamma")
    out[f"{dst}.bias"] = model.get(f"{src}/beta")


def _linear(model: CT2Model, src: str, dst: str, out: dict[str, np.ndarray], bias: bool = True) -> None:
    out[f"{dst}.weight"] = model.get(f"{src}/weight")
    if bias:
        out[f"{dst}.bias"] = model.get(f"{src}/bias")


def _split(model: CT2Model, src: str, names: list[str], dst: str, out: dict[str, np.ndarray]) -> None:
    """Split a fused projection into equal parts; openai-whisper's key projections have no bias."""
    weights = np.split(model.get(f"{src}/weight"), len(names), axis=0)
    biases = np.split(model.get(f"{src}/bias"), len(names), axis=0)
    for name, weight, bias in zip(names, weights, biases):
        out[f"{dst}.{name}.weight"] = weight
        if name == "key":
            if np.any(bias):
                raise ValueError(f"{src}: the key projection has a non-zero bias, which openai-whisper cannot hold")
        else:
            out[f"{dst}.{name}.bias"] = bias


def _block(model: CT2Model, side: str, index: int, out: dict[str, np.ndarray]) -> None:
    src, dst = f"{side}/layer_{index}", f"{side}.blocks.{index}"
    _split(model, f"{src}/self_attention/linear_0", ["query", "key", "value"], f"{dst}.attn", out)
    _linear(model, f"{src}/self_attention/linear_1", f"{dst}.attn.out", out)
    _ln(model, f"{src}/self_attention/layer_norm", f"{dst}.attn_ln", out)
    if side == "decoder":
        _linear(model, f"{src}/attention/linear_0", f"{dst}.cross_attn.query", out)
        _split(model, f"{src}/attention/linear_1", ["key", "value"], f"{dst}.cross_attn", out)
        _linear(model, f"{src}/attention/linear_2", f"{dst}.cross_attn.out", out)
        _ln(model, f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln", out)
    _linear(model, f"{src}/ffn/linear_0", f"{dst}.mlp.0", out)
    _linear(model, f"{src}/ffn/linear_1", f"{dst}.mlp.2", out)
    _ln(model, f"{src}/ffn/layer_norm", f"{dst}.mlp_ln", out)


def convert_state(model: CT2Model) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """Return openai-whisper's ``ModelDimensions`` fields and state dict (numpy arrays) for a CT2 Whisper."""
    if model.spec != "WhisperSpec":
        raise ValueError(f"expected a CTranslate2 WhisperSpec model, found {model.spec}")
    state: dict[str, np.ndarray] = {}
    _linear(model, "encoder/conv1", "encoder.conv1", state)
    _linear(model, "encoder/conv2", "encoder.conv2", state)
    state["encoder.positional_embedding"] = model.get("encoder/position_encodings/encodings")
    n_audio_layer = _layer_count(model, "encoder")
    for i in range(n_audio_layer):
        _block(model, "encoder", i, state)
    _ln(model, "encoder/layer_norm", "encoder.ln_post", state)

    state["decoder.token_embedding.weight"] = model.get("decoder/embeddings/weight")
    state["decoder.positional_embedding"] = model.get("decoder/position_encodings/encodings")
    n_text_layer = _layer_count(model, "decoder")
    for i in range(n_text_layer):
        _block(model, "decoder", i, state)
    _ln(model, "decoder/layer_norm", "decoder.ln", state)

    conv1 = model.get("encoder/conv1/weight")
    embeddings = model.get("decoder/embeddings/weight")
    dims = {
        "n_mels": int(conv1.shape[1]),
        "n_audio_ctx": int(state["encoder.positional_embedding"].shape[0]),
        "n_audio_state": int(conv1.shape[0]),
        "n_audio_head": _scalar(model, "encoder/num_heads"),
        "n_audio_layer": n_audio_layer,
        "n_vocab": int(embeddings.shape[0]),
        "n_text_ctx": int(state["decoder.positional_embedding"].shape[0]),
        "n_text_state": int(embeddings.shape[1]),
        "n_text_head": _scalar(model, "decoder/num_heads"),
        "n_text_layer": n_text_layer,
    }
    return dims, state


def convert_ct2_to_openai_whisper(ct2_dir: str | Path, output: str | Path) -> Path:
    """Write ``output`` (a ``torch.save`` checkpoint that ``whisper.load_model(path)`` reads).

    The alignment heads of the CTranslate2 ``config.json`` are stored too, under ``alignment_heads``, so the
    loader can restore word-level timestamps exactly.
    """
    import torch

    ct2_dir, output = Path(ct2_dir), Path(output)
    dims, state = convert_state(read_ct2_model(ct2_dir / "model.bin"))
    config_path = ct2_dir / "config.json"
    alignment_heads = json.loads(config_path.read_text())["alignment_heads"] if config_path.exists() else None
    checkpoint = {
        "dims": dims,
        "model_state_dict": {name: torch.from_numpy(np.ascontiguousarray(array)) for name, array in state.items()},
        "alignment_heads": alignment_heads,
    }
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(buffer.getvalue())
    return output
