"""Loading a CSV or JSON file into the datastore: column types inferred (and recorded), bad rows reported by
line and skipped, indexes chosen from what the data looks like, all in one transaction.

Two passes over the file: the first infers each column's type from every value (a column takes the
narrowest type that nearly all its values fit; the few that do not are the bad rows), the second loads.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from civic_services.opendata import types
from civic_services.opendata.datastore import choose_indexes  # noqa: F401  (the service calls it from here)
from civic_services.opendata.errors import ValidationError

BATCH = 5000
MAX_BAD_ROWS_LISTED = 100
DISTINCT_CAP = 5000
RESOURCE_ID = re.compile(r"[a-z0-9_\-]{2,100}")
Progress = Callable[[int, int], None]  # (bytes read, total bytes)


@dataclass
class BadRow:
    line: int
    message: str


@dataclass
class IngestReport:
    resource_id: str
    table_name: str
    fields: list[dict]
    rows: int
    bad_rows: list[BadRow] = field(default_factory=list)
    bad_row_count: int = 0
    indexes: list[list[str]] = field(default_factory=list)
    encoding: str = "utf-8"

    def as_dict(self) -> dict:
        return {"resource_id": self.resource_id, "rows": self.rows, "fields": self.fields,
                "indexes": self.indexes, "encoding": self.encoding, "bad_row_count": self.bad_row_count,
                "bad_rows": [{"line": b.line, "message": b.message} for b in self.bad_rows]}


def detect_format(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith(".csv") or lowered.endswith(".tsv") or lowered.endswith(".txt"):
        return "csv"
    if lowered.endswith(".json"):
        return "json"
    if lowered.endswith(".jsonl") or lowered.endswith(".ndjson"):
        return "jsonl"
    raise ValidationError(f"cannot tell the format of {name!r}: use a .csv, .json or .jsonl file", field="upload")


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM), else CP949 (what many Korean public-data files use)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # cut inside a character at the end of the sample
            return "utf-8"
    try:
        head.decode("cp949")
        return "cp949"
    except UnicodeDecodeError:
        raise ValidationError("the file is neither UTF-8 nor CP949 text", field="upload") from None


class _Counting(io.RawIOBase):
    def __init__(self, raw, progress: Progress | None, total: int):
        self.raw, self.progress, self.total, self.done = raw, progress, total, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.done += n
        if self.progress and n:
            self.progress(self.done, self.total)
        return n


def _check_header(names: list) -> list[str]:
    clean = []
    for position, name in enumerate(names, start=1):
        name = str(name).strip() if name is not None else ""
        if not name:
            raise ValidationError(f"column {position} of the header has no name", field="upload")
        if name.startswith("_"):
            raise ValidationError(f"column name {name!r} starts with '_', which is reserved", field="upload")
        if len(name) > 63 or '"' in name or any(ord(ch) < 32 for ch in name):
            raise ValidationError(f"column name {name[:70]!r} is too long (63 max) or has quotes or control "
                                  "characters", field="upload")
        if name in clean:
            raise ValidationError(f"column name {name!r} appears twice in the header", field="upload")
        clean.append(name)
    if not clean:
        raise ValidationError("the file has no columns", field="upload")
    return clean


def _records(opener: Callable[[], io.BufferedIOBase], fmt: str, encoding: str
             ) -> tuple[list[str], Iterator[tuple[int, list | None, str | None]]]:
    """The header and an iterator of (line, values in header order or None, problem)."""
    if fmt == "csv":
        stream = io.TextIOWrapper(opener(), encoding=encoding, newline="")
        first = stream.readline()
        dialect = "excel-tab" if first.count("\t") > first.count(",") else "excel"
        header = _check_header(next(csv.reader([first], dialect=dialect), []))

        def rows():
            reader = csv.reader(stream, dialect=dialect)
            consumed = 0  # physical lines the reader has used after the header
            try:
                for values in reader:
                    line, consumed = consumed + 2, reader.line_num
                    if not values or (len(values) == 1 and not values[0].strip()):
                        continue
                    if len(values) != len(header):
                        yield line, None, f"{len(values)} values, but the header has {len(header)} columns"
                    else:
                        yield line, values, None
            except csv.Error as exc:
                yield consumed + 2, None, f"unreadable CSV ({exc}); the rest of the file was not read"
        return header, rows()

    if fmt == "jsonl":
        stream = io.TextIOWrapper(opener(), encoding=encoding)
        objects = []
        for line_number, line in enumerate(stream, start=1):
            if line.strip():
                try:
                    objects.append((line_number, json.loads(line)))
                except json.JSONDecodeError as exc:
                    objects.append((line_number, exc))
    else:
        try:
            data = json.load(io.TextIOWrapper(opener(), encoding=encoding))
        except json.JSONDecodeError as exc:
            raise ValidationError(f"the JSON is malformed at line {exc.lineno}: {exc.msg}", field="upload") from None
        if isinstance(data, dict):
            data = data.get("records", data.get("data"))
        if not isinstance(data, list):
            raise ValidationError("a JSON file must hold a list of objects, or {\"records\": [...]}", field="upload")
        objects = list(enumerate(data, start=1))
    names: dict[str, None] = {}
    for _, item in objects:
        if isinstance(item, dict):
            names.update(dict.fromkeys(str(k) for k in item))
    header = _check_header(list(names))
    unit = "line" if fmt == "jsonl" else "record"

    def items():
        for number, item in objects:
            if isinstance(item, Exception):
                yield number, None, f"not JSON ({item.msg})"
            elif not isinstance(item, dict):
                yield number, None, f"{unit} {number} is not an object"
            else:
                nested = [k for k, v in item.items() if isinstance(v, (dict, list))]
                if nested:
                    yield number, None, f"field {nested[0]!r} holds a nested value; only flat records load"
                else:
                    yield number, [item.get(name) for name in header], None
    return header, items()


def infer_fields(opener, fmt: str, encoding: str, forced: dict[str, str]) -> tuple[list[dict], dict[str, int]]:
    header, rows = _records(opener, fmt, encoding)
    unknown = set(forced) - set(header)
    if unknown:
        raise ValidationError(f"types given for unknown column(s): {', '.join(sorted(unknown))}", field="types")
    bad_type = {k: v for k, v in forced.items() if v not in types.TYPES}
    if bad_type:
        raise ValidationError(f"unknown type(s) {bad_type}; use {', '.join(types.TYPES)}", field="types")
    candidates = [["bool", "int", "numeric", "date", "timestamp"] for _ in header]
    misfits = [dict.fromkeys(("bool", "int", "numeric", "date", "timestamp"), 0) for _ in header]
    present = [0] * len(header)
    only01 = [True] * len(header)
    distinct: list[set] = [set() for _ in header]
    for _, values, problem in rows:
        if problem:
            continue
        for i, value in enumerate(values):
            if value is None or (isinstance(value, str) and value.strip().lower() in types.NULLS):
                continue
            present[i] += 1
            if len(distinct[i]) <= DISTINCT_CAP:
                distinct[i].add(value)
            if only01[i] and not (isinstance(value, str) and value.strip() in ("0", "1")):
                only01[i] = False
            for kind in candidates[i]:
                if not types.fits(kind, value):
                    misfits[i][kind] += 1
    fields = []
    for i, name in enumerate(header):
        if name in forced:
            kind = forced[name]
        else:
            allowed = max(2, present[i] // 100)  # a few stray values are bad rows, not a text column
            kind = "text"
            order = [c for c in ("bool", "int", "numeric", "date", "timestamp") if not (c == "bool" and only01[i])]
            # The type most values fit (the narrowest among equals): 61.5 makes a column numeric, not int.
            best = min(order, key=lambda c: (misfits[i][c], order.index(c)))
            wrong = misfits[i][best]
            if present[i] and wrong <= allowed and wrong * 2 < present[i]:
                kind = best
        fields.append({"id": name, "type": kind})
    return fields, {name: len(distinct[i]) for i, name in enumerate(header)}


def read_rows(opener, fmt: str, encoding: str, fields: list[dict], report: IngestReport) -> Iterator[dict]:
    header, rows = _records(opener, fmt, encoding)
    kinds = [f["type"] for f in fields]
    for line, values, problem in rows:
        if problem is None:
            row = {}
            for name, kind, value in zip(header, kinds, values):
                try:
                    row[name] = types.parse(kind, value)
                except (ValueError, OverflowError) as exc:
                    problem = f"column {name!r} {exc}"
                    break
            else:
                yield row
                continue
        report.bad_row_count += 1
        if len(report.bad_rows) < MAX_BAD_ROWS_LISTED:
            report.bad_rows.append(BadRow(line, problem))


def opener_for(path: Path | None = None, data: bytes | None = None, progress: Progress | None = None):
    if path is not None:
        total = Path(path).stat().st_size
        return lambda: io.BufferedReader(_Counting(open(path, "rb"), progress, total), 1 << 16)
    return lambda: io.BytesIO(data)

