"""Who a voter is: the one normal form of a person's identifier, taken before the registry's keyed hash, so that
the spellings of one identifier are one person.

:func:`person_key` is that form: Unicode NFKC (full-width ``ＫＩＭ１`` is ``kim1``; decomposed Hangul is composed,
so NFC and NFD ``김철수`` agree), case folded, every dash as ``-``, no whitespace and no invisible characters; an
identifier that is a phone number keeps its digits only (``010-1234-5678``, ``010 1234 5678``, ``+82 10-1234-5678``
and ``01012345678`` are one number).

Registries written before this normal form hashed the identifier with its whitespace collapsed and its case
folded, nothing more; the raw identifiers are not kept, so those rows cannot be rehashed in bulk.
:func:`legacy_spellings` gives the forms under which such a row may have been hashed for a given identifier (the
identifier as given, and the usual spellings of its normal form), so a lookup still finds the person and the
registry rewrites the row's hash to the normal form as it finds it.
"""

from __future__ import annotations

import re
import unicodedata

from civic_services.voting.errors import VotingError

MAX_CHARS = 200
# Phone numbers as people write them: digits, an optional leading +, and separators.
_PHONE = re.compile(r"\+?[\d\s().\-]+")
_DASHES = re.compile(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")


def _phone_digits(text: str) -> str | None:
    """The digits of a phone number (``+82 10`` as ``010``), or None if ``text`` is not one."""
    if not _PHONE.fullmatch(text):
        return None
    digits = re.sub(r"\D", "", text)
    if text.startswith("+82") or text.startswith("0082"):
        digits = "0" + digits[(2 if text.startswith("+") else 4):].lstrip("0")
    return digits if 8 <= len(digits) <= 15 else None


def person_key(identifier: object) -> str:
    """The normal form of a person's identifier (see the module's docstring); :class:`VotingError` if it is empty
    or longer than 200 characters."""
    text = unicodedata.normalize("NFKC", str(identifier))
    text = _DASHES.sub("-", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Zs", "Zl", "Zp")
                   and not ch.isspace())
    phone = _phone_digits(text)
    key = phone if phone is not None else text.casefold()
    if not key or len(key) > MAX_CHARS:
        raise VotingError(f"a person identifier is 1 to {MAX_CHARS} characters")
    return key


def _legacy(text: str) -> str:
    """How registries before the normal form keyed an identifier: whitespace collapsed, case folded."""
    return " ".join(text.split()).casefold()


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def _phone_spellings(digits: str) -> set[str]:
    """The usual ways of writing a Korean phone number: 3-4-4, 3-3-4, 2-4-4 or 2-3-4 groups with -, space, . or
    nothing between them, and the +82 forms."""
    spellings = {digits}
    for first in (2, 3):
        middle = len(digits) - first - 4
        if middle not in (3, 4):
            continue
        groups = (digits[:first], digits[first:first + middle], digits[first + middle:])
        spellings |= {separator.join(groups) for separator in ("-", " ", ".")}
        if digits.startswith("0"):
            spellings |= {f"+82 {groups[0][1:]}-{groups[1]}-{groups[2]}", f"+82-{groups[0][1:]}-{groups[1]}-{groups[2]}",
                          f"+82{digits[1:]}"}
    return spellings


def legacy_spellings(identifier: object) -> set[str]:
    """The forms under which a registry before the normal form may have hashed this person: the identifier as
    given and, for its normal form, its NFC and NFD spellings, its full-width spelling and, for a phone number,
    its usual groupings."""
    raw = str(identifier)
    key = person_key(raw)
    forms = {raw, key, unicodedata.normalize("NFC", raw), unicodedata.normalize("NFD", raw),
             unicodedata.normalize("NFD", key), _fullwidth(key)}
    if key.isdigit():
        forms |= _phone_spellings(key)
    return {_legacy(form) for form in forms if _legacy(form)}
