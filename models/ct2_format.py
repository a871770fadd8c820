"""Read the tensors of a CTranslate2 ``model.bin`` without CTranslate2.

The layout (binary version 5 and earlier, little-endian): ``u32 version``, ``string spec_name``, ``u32 revision``,
``u32 n_variables``, then per variable ``string name``, ``u8 rank``, ``u32 dims[rank]``, ``u8 dtype``,
``u32 n_bytes``, raw data; then ``u32 n_aliases`` and per alias ``string alias``, ``string target``. A string is
``u16 length`` (including a trailing NUL) and its UTF-8 bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

# Order of CTranslate2's DataType enum. bfloat16 has no numpy type and is kept as raw uint16.
_DTYPES = (np.float32, np.int8, np.int16, np.int32, np.float16, np.uint16)
_SUPPORTED_VERSIONS = range(1, 7)


class CT2FormatError(ValueError):
    """The file is not a CTranslate2 model this reader understands."""


@dataclass(frozen=True)
class CT2Model:
    spec: str
    revision: int
    variables: dict[str, np.ndarray]
    aliases: dict[str, str]

    def get(self, name: str) -> np.ndarray:
        return self.variables[self.aliases.get(name, name)]


def _read(stream: BinaryIO, fmt: str) -> tuple:
    size = struct.calcsize(fmt)
    raw = stream.read(size)
    if len(raw) != size:
        raise CT2FormatError("unexpected end of file")
    return struct.unpack("<" + fmt, raw)


def _read_string(stream: BinaryIO) -> str:
    (length,) = _read(stream, "H")
    raw = stream.read(length)
    if len(raw) != length:
        raise CT2FormatError("unexpected end of file in a string")
    return raw.rstrip(b"\0").decode("utf-8")


def read_ct2_model(path: str | Path) -> CT2Model:
    with open(path, "rb") as stream:
        (version,) = _read(stream, "I")
        if version not in _SUPPORTED_VERSIONS:
            raise CT2FormatError(f"{path}: unsupported CTranslate2 binary version {version}")
        spec = _read_string(stream)
        (revision,) = _read(stream, "I")
        (count,) = _read(stream, "I")
        variables: dict[str, np.ndarray] = {}
        for _ in range(count):
            name = _read_string(stream)
            (rank,) = _read(stream, "B")
            shape = _read(stream, "I" * rank) if rank else ()
            (dtype_id,) = _read(stream, "B")
            (n_bytes,) = _read(stream, "I")
            if dtype_id >= len(_DTYPES):
                raise CT2FormatError(f"{path}: variable {name} has unknown dtype id {dtype_id}")
            raw = stream.read(n_bytes)
            if len(raw) != n_bytes:
                raise CT2FormatError(f"{path}: variable {name} is truncated")
            variables[name] = np.frombuffer(raw, dtype=_DTYPES[dtype_id]).reshape(shape)
        aliases: dict[str, str] = {}
        tail = stream.read(4)
        if len(tail) == 4:
            (n_aliases,) = struct.unpack("<I", tail)
            for _ in range(n_aliases):
                alias = _read_string(stream)
                aliases[alias] = _read_string(stream)
    return CT2Model(spec=spec, revision=revision, variables=variables, aliases=aliases)
