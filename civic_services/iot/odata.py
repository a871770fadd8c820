"""The OData query options SensorThings uses ($filter, $orderby, $top, $skip, $count, $select, $expand),
parsed into plain values, and $filter compiled into a SQLAlchemy expression over an allowlist of properties.

$filter supports comparisons (eq ne lt le gt ge) of a property with a literal (number, 'string', ISO 8601
time, true/false/null), joined by and/or/not and parentheses: enough for value thresholds and time ranges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import and_, not_, or_

from civic_services.iot.errors import IoTError

TOP_DEFAULT = 100
TOP_MAX = 10_000

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<lp>\() | (?P<rp>\)) |
      (?P<string>'(?:[^']|'')*') |
      (?P<time>\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})) |
      (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?) |
      (?P<word>[A-Za-z_@][A-Za-z0-9_./@]*)
    )""", re.VERBOSE)
OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge")


@dataclass(frozen=True)
class Query:
    filter: str | None = None
    orderby: tuple[tuple[str, bool], ...] = ()  # (property, descending)
    top: int = TOP_DEFAULT
    skip: int = 0
    count: bool = False
    select: tuple[str, ...] = ()
    expand: tuple[str, ...] = ()


def parse_query(params: dict[str, str]) -> Query:
    unknown = [k for k in params if k.startswith("$") and k not in
               ("$filter", "$orderby", "$top", "$skip", "$count", "$select", "$expand", "$resultFormat")]
    if unknown:
        raise IoTError(f"unsupported query option(s) {', '.join(unknown)}; supported: $filter, $orderby, $top, "
                       "$skip, $count, $select, $expand")

    def integer(name: str, default: int, most: int) -> int:
        raw = params.get(name)
        if raw is None or raw == "":
            return default
        if not raw.isdecimal() or len(raw) > 12:  # isdigit() takes '¹', which int() cannot read
            raise IoTError(f"{name} must be a non-negative integer, not {raw!r}")
        value = int(raw)
        if value > most:
            raise IoTError(f"{name} is at most {most:,}")
        return value

    count = params.get("$count", "false").lower()
    if count not in ("true", "false"):
        raise IoTError(f"$count must be true or false, not {params.get('$count')!r}")
    orderby = []
    for part in _split(params.get("$orderby", "")):
        words = part.split()
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise IoTError(f"$orderby item {part!r} must be 'property [asc|desc]'")
        orderby.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    expand = tuple(_split(params.get("$expand", "")))
    for item in expand:
        if "/" in item or "(" in item:
            raise IoTError(f"$expand={item!r}: only one level without nested options is supported")
    return Query(filter=params.get("$filter") or None, orderby=tuple(orderby),
                 top=integer("$top", TOP_DEFAULT, TOP_MAX), skip=integer("$skip", 0, 10**9), count=count == "true",
                 select=tuple(_split(params.get("$select", ""))), expand=expand)


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def parse_time(text: str, what: str = "time") -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise IoTError(f"{what} {text!r} is not an ISO 8601 time like 2026-05-01T09:00:00+09:00") from None
    if moment.tzinfo is None:
        raise IoTError(f"{what} {text!r} needs a time zone (Z or +09:00)")
    return moment.astimezone(timezone.utc)


class FilterCompiler:
    """Compiles a $filter string against ``columns`` (SensorThings property name -> SQLAlchemy column)."""

    def __init__(self, columns: dict, time_properties: frozenset[str] = frozenset()):
        self.columns = columns
        self.time_properties = time_properties

    def compile(self, text: str):
        self.tokens = self._tokenize(text)
        self.pos = 0
        expression = self._or()
        if self.pos != len(self.tokens):
            raise IoTError(f"$filter: unexpected {self.tokens[self.pos][1]!r}")
        return expression

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        if len(text) > 2000:
            raise IoTError("$filter is longer than 2,000 characters")
        tokens, at = [], 0
        while at < len(text):
            if text[at:].strip() == "":
                break
            match = _TOKEN.match(text, at)
            if not match or match.end() == at:
                raise IoTError(f"$filter: cannot read {text[at:at + 20].strip()!r}")
            kind = match.lastgroup
            tokens.append((kind, match.group(kind)))
            at = match.end()
        return tokens

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise IoTError("$filter ends too early")
        self.pos += 1
        return token

    def _word(self, word: str) -> bool:
        token = self._peek()
        if token and token[0] == "word" and token[1].lower() == word:
            self.pos += 1
            return True
        return False

    def _or(self):
        terms = [self._and()]
        while self._word("or"):
            terms.append(self._and())
        return terms[0] if len(terms) == 1 else or_(*terms)

    def _and(self):
        terms = [self._not()]
        while self._word("and"):
            terms.append(self._not())
        return terms[0] if len(terms) == 1 else and_(*terms)

    def _not(self):
        if self._word("not"):
            return not_(self._not())
        token = self._peek()
        if token and token[0] == "lp":
            self.pos += 1
            inner = self._or()
            if self._take()[0] != "rp":
                raise IoTError("$filter: missing ')'")
            return inner
        return self._comparison()

    def _comparison(self):
        kind, name = self._take()
        if kind != "word":
            raise IoTError(f"$filter: expected a property name, got {name!r}")
        if name not in self.columns:
            raise IoTError(f"$filter: unknown property {name!r}; filterable: {', '.join(sorted(self.columns))}")
        kind, op = self._take()
        if kind != "word" or op.lower() not in OPERATORS:
            raise IoTError(f"$filter: expected one of {' '.join(OPERATORS)} after {name}, got {op!r}")
        value = self._literal(name)
        column = self.columns[name]
        op = op.lower()
        if value is None:
            if op not in ("eq", "ne"):
                raise IoTError("$filter: null compares only with eq or ne")
            return column.is_(None) if op == "eq" else column.is_not(None)
        return {"eq": column == value, "ne": column != value, "lt": column < value, "le": column <= value,
                "gt": column > value, "ge": column >= value}[op]

    def _literal(self, name: str):
        kind, text = self._take()
        if name in self.time_properties:
            if kind not in ("time", "string"):
                raise IoTError(f"$filter: {name} compares with a time like 2026-05-01T00:00:00Z, not {text!r}")
            return parse_time(text.strip("'"), name)
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            value = float(text) if any(c in text for c in ".eE") else int(text)
            if isinstance(value, int) and abs(value) > 2**62:
                raise IoTError(f"$filter: number {text} is out of range")
            return value
        if kind == "word" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if kind == "word" and text.lower() == "null":
            return None
        if kind == "time":
            return parse_time(text, name)
        raise IoTError(f"$filter: expected a literal after the operator, got {text!r}")
