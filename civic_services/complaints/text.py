"""The complaint service's text rules, in one place: how text is normalised as it comes in, and how free text
is masked in every public copy.

- Coming in (:func:`clean_report`, :func:`clean`, :func:`clean_free`): free text (a description, a name, a
  staff note) is Unicode NFC, so decomposed Hangul (NFD, as some keyboards and macOS file names send it) is
  stored composed; what is matched against lists or parsed (an address, attribute codes and values, a phone,
  an e-mail, ids, a district, a ticket id) is NFKC, so full-width ``Ｍａｐｏ－ｇｕ`` or ``１２`` read as
  ``Mapo-gu`` and ``12``. NFKC is not applied to free text: it would turn Hangul compatibility jamo (``ㅋㅋ``)
  into conjoining jamo that no longer display as typed.
- Going out (:func:`public_text`): personal data typed into free text (phone numbers, resident registration
  numbers, e-mail addresses, card numbers) is masked with the masking the assistant applies to its logs
  (:func:`retrieval_index.privacy.mask_pii`). Staff views keep the original.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from typing import TYPE_CHECKING

from retrieval_index.privacy import mask_pii

if TYPE_CHECKING:
    from civic_services.complaints.intake import NewReport

# Free text: composed, not compatibility-folded.
FREE_TEXT_FIELDS = ("description", "first_name", "last_name")


def clean(value: str | None) -> str | None:
    """Text that is matched or parsed, in NFKC."""
    return unicodedata.normalize("NFKC", value) if isinstance(value, str) else value


def clean_free(value: str | None) -> str | None:
    """Free text, in NFC."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def clean_report(report: NewReport) -> NewReport:
    """A citizen's report with every text field normalised (free text NFC, the rest NFKC)."""
    changes = {f.name: (clean_free if f.name in FREE_TEXT_FIELDS else clean)(getattr(report, f.name))
               for f in dataclasses.fields(report) if isinstance(getattr(report, f.name), str)}
    changes["attributes"] = {clean(k): clean(v) if isinstance(v, str) else v for k, v in report.attributes.items()}
    return dataclasses.replace(report, **changes)


def public_text(value: str | None) -> str | None:
    """Free text as it may be published: personal data masked (also when typed in full-width digits or dashes,
    which are then folded to ASCII)."""
    if not value:
        return value
    masked = mask_pii(value)
    folded = unicodedata.normalize("NFKC", masked)
    refolded = mask_pii(folded)
    return refolded if refolded != folded else masked
