"""Minutes scored against reference minutes a person wrote for a recording: decision and action recall and
precision, and how much of the reference summary the minutes cover.

A reference file is JSON Lines, one recording per line::

    {"audio": "meeting-ami-excerpts/audio/dev00.wav", "language": "en", "kind": "real conversation",
     "summary": [{"text": "...", "from": 1.4, "to": 13.3}, ...],
     "decisions": [{"text": "...", "from": ..., "to": ...}], "actions": [{"text": "...", "from": ..., "to": ...}]}

(``audio`` a recording to transcribe, or ``transcript`` a JSON file of timed segments instead).

``from``/``to`` are the seconds of the recording where the point is said. A composed decision or action matches a
reference point of the same part when the transcript moment it cites lies within the point's span (with
``collar`` seconds either side) and the two share at least one content word (so an item that cites the right
moment for something else does not count); each item matches at most one point. A summary point is covered when
some summary or agenda item shares two of its content words (all of them when it has fewer), wherever the item
cites: one summary sentence may condense several points ("the team discussed the bike lanes and the night bus").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from minutes.document import Minutes

STOPWORDS = {"that", "this", "with", "have", "will", "what", "which", "there", "their", "they", "them", "then",
             "from", "were", "been", "about", "would", "could", "should", "just", "like", "yeah", "okay", "some",
             "because", "into", "also", "than", "only", "very", "really", "it's", "that's", "we're", "don't"}
WORD = re.compile(r"[\w']+")


@dataclass(frozen=True)
class Point:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Reference:
    source: str  # the recording, or the transcript file
    is_audio: bool
    language: str
    kind: str
    summary: tuple[Point, ...]
    decisions: tuple[Point, ...]
    actions: tuple[Point, ...]


def read_references(path: str | Path) -> list[Reference]:
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            parts = {key: tuple(Point(p["text"], float(p["from"]), float(p["to"])) for p in row.get(key, []))
                     for key in ("summary", "decisions", "actions")}
            if ("audio" in row) == ("transcript" in row):
                raise KeyError("give either 'audio' or 'transcript'")
            out.append(Reference(row.get("audio") or row["transcript"], "audio" in row, row.get("language", "en"),
                                 row.get("kind", ""), **parts))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not a reference line ({exc})") from None
    return out


def content_words(text: str) -> set[str]:
    """Lower-case words of 4 letters or more, stop words left out, a plural -s dropped; of a Korean word of 2
    syllables or more its first two (a stem without its particle: 도로를 -> 도로)."""
    words = set()
    for word in WORD.findall(text.lower()):
        if re.match(r"[가-힣]", word):
            if len(word) >= 2:
                words.add(word[:2])
            continue
        if word in STOPWORDS or len(word) < 4:
            continue
        words.add(word[:-1] if word.endswith("s") and not word.endswith("ss") else word)
    return words


def _matches(points: tuple[Point, ...], items: list[tuple[str, float]], collar: float) -> tuple[int, int]:
    """(reference points matched, composed items matched), one item to one point, in order of closeness."""
    pairs = []
    for i, (text, at) in enumerate(items):
        words = content_words(text)
        for j, point in enumerate(points):
            if point.start - collar <= at <= point.end + collar and words & content_words(point.text):
                pairs.append((abs(at - (point.start + point.end) / 2), i, j))
    used_items, used_points = set(), set()
    for _, i, j in sorted(pairs):
        if i not in used_items and j not in used_points:
            used_items.add(i)
            used_points.add(j)
    return len(used_points), len(used_items)


def _covered(points: tuple[Point, ...], items: list[tuple[str, float]]) -> tuple[int, int]:
    """(summary points covered, items covering at least one point)."""
    words = [content_words(text) for text, _ in items]
    covering: set[int] = set()
    covered = 0
    for point in points:
        needed = content_words(point.text)
        hits = [i for i, w in enumerate(words) if len(w & needed) >= min(2, len(needed))]
        covered += bool(hits and needed)
        covering.update(hits if needed else ())
    return covered, len(covering)


def score(reference: Reference, minutes: Minutes, collar: float = 1.5) -> dict:
    """Counts for one recording: for each part the reference points, those matched, the composed items and those
    matched."""
    composed = {
        "summary": [(i.text, i.at) for i in (*minutes.summary, *minutes.agenda)],
        "decisions": [(i.text, i.at) for i in minutes.decisions],
        "actions": [(a.task + (f" {a.owner}" if a.owner else ""), a.at) for a in minutes.actions],
    }
    out = {}
    for part in ("summary", "decisions", "actions"):
        points = getattr(reference, part)
        if part == "summary":
            hit_points, hit_items = _covered(points, composed[part])
        else:
            hit_points, hit_items = _matches(points, composed[part], collar)
        out[part] = {"reference": len(points), "recalled": hit_points, "items": len(composed[part]),
                     "items_matched": hit_items}
    return out


def pooled(scores: list[dict]) -> dict:
    """Recall (decisions, actions), precision, and summary coverage over recordings, from :func:`score`'s counts."""
    out = {}
    for part in ("summary", "decisions", "actions"):
        ref = sum(s[part]["reference"] for s in scores)
        recalled = sum(s[part]["recalled"] for s in scores)
        items = sum(s[part]["items"] for s in scores)
        matched = sum(s[part]["items_matched"] for s in scores)
        name = "coverage" if part == "summary" else "recall"
        out[part] = {name: round(recalled / ref, 3) if ref else None,
                     "precision": round(matched / items, 3) if items else None,
                     "reference": ref, "items": items}
    return out
