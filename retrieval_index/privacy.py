"""Masking personal data (resident registration numbers, phone numbers, e-mail addresses, card numbers) before
text reaches a log, a summary, a public copy or any other place where it would be kept (a text rule shared by the
assistant, the civic services and the minutes)."""

from __future__ import annotations

import re

_PATTERNS = (
    # resident registration number: YYMMDD-GNNNNNN (the 7th digit encodes century and sex)
    (re.compile(r"(?<!\d)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\s?-?\s?[1-8]\d{6}(?!\d)"), "[주민번호]"),
    (re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<!\d)(?:\d{4}[ -]?){3}\d{4}(?!\d)"), "[card]"),
    # Korean mobile and landline numbers, with or without separators, and +82 forms
    (re.compile(r"(?<![\d+])(?:\+82[ -]?|0)(?:1[016789]|2|[3-6][1-5]|70)[ -.)]?\d{3,4}[ -.]?\d{4}(?!\d)"), "[phone]"),
)


def mask_pii(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def pii_spans(text: str) -> list[tuple[int, int, str]]:
    """Where in ``text`` :func:`mask_pii` finds personal data: ``(start, end, label)``, in order, overlaps merged
    (the speech dataset silences the audio of these characters' words)."""
    found = sorted((m.start(), m.end(), label) for pattern, label in _PATTERNS for m in pattern.finditer(text))
    merged: list[tuple[int, int, str]] = []
    for start, end, label in found:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]), merged[-1][2])
        else:
            merged.append((start, end, label))
    return merged
