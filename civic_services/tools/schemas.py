"""JSON Schema pieces the tools of more than one service share: a district, one or several districts, a period.
The enumerations come from the catalogues (:mod:`civic_services.districts`, :mod:`civic_services.periods`)."""

from __future__ import annotations

from civic_services.districts import districts
from civic_services.periods import PERIODS

DISTRICTS = tuple(d.name_en for d in districts())

DISTRICT = {"type": "string", "enum": list(DISTRICTS), "description": "English district name, e.g. Mapo-gu"}
ONE_OR_MORE_DISTRICTS = {"oneOf": [DISTRICT, {"type": "array", "items": DISTRICT, "minItems": 2, "maxItems": 25},
                                  {"const": "all", "description": "every district, side by side"}]}
PERIOD = {"type": "string", "enum": list(PERIODS)}
