"""Minutes scored against reference minutes (minutes/reference_score.py, used by bench/minutes_reference.py): an
decision or action counts only at the moment the point was said and when it shares a content word with it, once;
a summary sentence covers every point whose words it carries."""

import json

import pytest

from minutes.document import ActionItem, Item, Minutes
from minutes.reference_score import content_words, pooled, read_references, score


def references(tmp_path, *rows):
    path = tmp_path / "refs.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return read_references(path)


def test_an_item_matches_a_point_said_then_and_sharing_a_word(tmp_path):
    [ref] = references(tmp_path, {
        "transcript": "x.json", "language": "en",
        "summary": [{"text": "Bike lane riders went up", "from": 5, "to": 15},
                    {"text": "Night bus ridership fell", "from": 33, "to": 42}],
        "decisions": [{"text": "Extend the bike lanes to Hapjeong", "from": 21.8, "to": 27}],
        "actions": [{"text": "Director Kim sends the budget by Friday", "from": 28, "to": 32}]})
    minutes = Minutes(
        summary=(Item("Daily riders went up to 1200.", 9.6), Item("The weather was discussed.", 10.0)),
        decisions=(Item("We agreed to extend the lanes.", 21.8), Item("Extend the lanes.", 50.0)),  # 2nd: wrong time
        actions=(ActionItem("Send the budget", 27.9, owner="Director Cam"),))
    counts = score(ref, minutes)
    assert counts["summary"] == {"reference": 2, "recalled": 1, "items": 2, "items_matched": 1}
    condensed = score(ref, Minutes(summary=(Item("Bike lane riders went up and night bus ridership fell.", 60.0),)))
    assert condensed["summary"] == {"reference": 2, "recalled": 2, "items": 1, "items_matched": 1}
    assert counts["decisions"] == {"reference": 1, "recalled": 1, "items": 2, "items_matched": 1}
    assert counts["actions"]["recalled"] == 1  # within the 1.5 s collar, "budget" shared
    figures = pooled([counts])
    assert figures["summary"]["coverage"] == 0.5 and figures["decisions"] == {
        "recall": 1.0, "precision": 0.5, "reference": 1, "items": 2}


def test_korean_words_are_compared_without_their_particles():
    assert content_words("자전거 도로를 연장") & content_words("자전거 도로 연장하기로")
    assert "도로" in content_words("도로를")


def test_a_bad_reference_line_is_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"audio": "a.wav", "transcript": "b.json"}\n')
    with pytest.raises(ValueError, match="bad.jsonl:1: not a reference line"):
        read_references(path)
