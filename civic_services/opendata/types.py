"""Datastore column types: inferring them from text values, parsing values, and their SQL types.

Types are CKAN's: ``int`` (64-bit), ``numeric`` (double), ``bool``, ``date``, ``timestamp``, ``text``.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, Text

TYPES = ("int", "numeric", "bool", "date", "timestamp", "text")
SQL_TYPES = {"int": BigInteger, "numeric": Float, "bool": Boolean, "date": Date, "timestamp": DateTime,
             "text": Text}
_INT = re.compile(r"[+-]?\d{1,18}")
_NUM = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TS = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")
TRUE, FALSE = {"true", "t", "yes", "y", "1"}, {"false", "f", "no", "n", "0"}
NULLS = {"", "null", "none", "n/a", "na"}


def parse(kind: str, raw):
    """A value of a column type from text (or a JSON value); None for empty; ValueError if it does not fit."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        if kind == "bool":
            return raw
        if kind == "text":
            return "true" if raw else "false"
        raise ValueError(f"expects {kind}, got a boolean")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if kind == "int" and math.isfinite(raw) and float(raw).is_integer() and -2**63 <= int(raw) < 2**63:
            return int(raw)
        if kind == "numeric" and math.isfinite(raw):
            return float(raw)
        if kind == "text":
            return str(raw)
        raw = str(raw)
    if not isinstance(raw, str):
        if kind == "text":
            return str(raw)
        raise ValueError(f"expects {kind}, got {type(raw).__name__}")
    text = raw.strip()
    if text.lower() in NULLS:
        return None
    if kind == "text":
        if "\x00" in raw:
            raise ValueError("holds a NUL character")
        return raw
    if kind == "int":
        if _INT.fullmatch(text) and -2**63 <= int(text) < 2**63:
            return int(text)
    elif kind == "numeric":
        if _NUM.fullmatch(text):
            return float(text)
    elif kind == "bool":
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
    elif kind == "date":
        if _DATE.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
    elif kind == "timestamp":
        if _TS.fullmatch(text) or _DATE.fullmatch(text):
            try:
                return datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=None)
            except ValueError:
                pass
    else:
        raise ValueError(f"unknown column type {kind!r}")
    raise ValueError(f"expects {kind}, got {raw[:40]!r}")


def fits(kind: str, value) -> bool:
    try:
        parse(kind, value)
        return True
    except (ValueError, OverflowError):
        return False


def infer(values: list) -> str:
    """The narrowest type every non-empty sample value fits (text if none is narrower)."""
    present = [v for v in values if v is not None and not (isinstance(v, str) and v.strip().lower() in NULLS)]
    if not present:
        return "text"
    for kind in ("bool", "int", "numeric", "date", "timestamp"):
        if kind == "bool" and all(isinstance(v, str) and v.strip() in ("0", "1") for v in present):
            continue  # 0/1 columns are numbers
        if all(fits(kind, v) for v in present):
            return kind
    return "text"


def to_json(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
