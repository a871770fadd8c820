"""Reading records from JSON Lines or CSV files, with the line number of each (for error messages)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path


def iter_rows(path: str | Path) -> Iterator[tuple[int, dict | str]]:
    """(line number, row dict or an error message) for each record of a JSONL or CSV file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        with open(path, encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, f"not valid JSON ({exc.msg})"
                    continue
                yield number, row if isinstance(row, dict) else "a row must be a JSON object"
    elif suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as stream:
            reader = csv.DictReader(stream)
            for row in reader:
                yield reader.line_num, row
    else:
        raise ValueError(f"{path.name}: expected a .jsonl or .csv file")
