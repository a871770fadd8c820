"""The knowledge base: curated question/answer entries in Korean and English, loaded and validated.

A user's own knowledge base (JSONL or CSV with the same fields) loads the same way; a bad row is reported with
its line number and the other rows still load. ``paraphrases_ko`` / ``paraphrases_en`` (optional) are other
wordings of the question that are indexed with the entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chatbot.records import iter_rows


class Entry(BaseModel):
    """One knowledge-base entry. Korean or English may be missing, not both."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    category: str = Field(min_length=1)
    department: str = ""
    department_ko: str = ""
    question_ko: str = ""
    question_en: str = ""
    answer_ko: str = ""
    answer_en: str = ""
    keywords: tuple[str, ...] = ()
    contact: str = ""
    updated: str = ""
    # other ways citizens ask this question, written once and reviewed, indexed with the entry (never generated at
    # query time); they widen what retrieval matches without changing what is answered
    paraphrases_ko: tuple[str, ...] = ()
    paraphrases_en: tuple[str, ...] = ()

    @field_validator("keywords", mode="before")
    @classmethod
    def _split_keywords(cls, value):
        if isinstance(value, str):  # CSV: "a; b; c" or "a, b"
            separator = ";" if ";" in value else ","
            return tuple(k.strip() for k in value.split(separator) if k.strip())
        return value

    @field_validator("paraphrases_ko", "paraphrases_en", mode="before")
    @classmethod
    def _split_paraphrases(cls, value):
        if isinstance(value, str):  # CSV: "one wording; another" (a wording may hold commas)
            return tuple(p.strip() for p in value.split(";") if p.strip())
        return value

    def model_post_init(self, _context) -> None:
        if not ((self.question_ko and self.answer_ko) or (self.question_en and self.answer_en)):
            raise ValueError("an entry needs a question and an answer in Korean or in English")

    def question(self, lang: str) -> str:
        return (self.question_ko or self.question_en) if lang == "ko" else (self.question_en or self.question_ko)

    def answer(self, lang: str) -> str:
        return (self.answer_ko or self.answer_en) if lang == "ko" else (self.answer_en or self.answer_ko)

    def has_language(self, lang: str) -> bool:
        return bool(self.answer_ko if lang == "ko" else self.answer_en)


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class LoadReport:
    entries: tuple[Entry, ...]
    errors: tuple[RowError, ...]


def _describe(error: ValidationError | ValueError) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg'].removeprefix('Value error, ')}"
            for e in error.errors()
        )
    return str(error)


def load_entries(path: str | Path) -> LoadReport:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no knowledge-base file at {path}")
    entries: list[Entry] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    for number, row in iter_rows(path):
        if isinstance(row, str):
            errors.append(RowError(number, row))
            continue
        try:
            entry = Entry.model_validate(row)
        except (ValidationError, ValueError) as exc:
            errors.append(RowError(number, _describe(exc)))
            continue
        if entry.id in seen:
            errors.append(RowError(number, f"duplicate id {entry.id}"))
            continue
        seen.add(entry.id)
        entries.append(entry)
    return LoadReport(tuple(entries), tuple(errors))


def default_kb_path() -> Path:
    return Path(str(resources.files("chatbot").joinpath("data/faq.jsonl")))


class KnowledgeBase:
    def __init__(self, entries: tuple[Entry, ...] | list[Entry], source: str = ""):
        self.entries = tuple(entries)
        self.source = source
        self._by_id = {e.id: e for e in self.entries}

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> "KnowledgeBase":
        path = Path(path) if path else default_kb_path()
        report = load_entries(path)
        if not report.entries:
            raise ValueError(f"{path}: no valid entries ({len(report.errors)} bad rows)")
        kb = cls(report.entries, str(path))
        kb.load_errors = report.errors
        return kb

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, entry_id: str) -> bool:
        return entry_id in self._by_id

    def get(self, entry_id: str) -> Entry:
        return self._by_id[entry_id]
