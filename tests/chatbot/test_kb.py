"""Loading the bundled knowledge base and a user's own, with bad rows reported by line."""

import json

from chatbot.kb import KnowledgeBase, load_entries


def test_bundled_kb_loads_completely():
    kb = KnowledgeBase.from_file()
    assert len(kb) == 239 and not kb.load_errors
    entry = kb.get("faq-0001")
    assert entry.answer("ko") and entry.answer("en") and entry.department_ko


def test_jsonl_with_bad_rows_reports_lines_and_keeps_the_rest(tmp_path):
    good = {"id": "my-1", "category": "waste", "question_en": "When is trash collected?", "answer_en": "After 8 pm."}
    path = tmp_path / "kb.jsonl"
    path.write_text("\n".join([
        json.dumps(good),
        "{not json",
        json.dumps({"id": "my-2", "category": "waste"}),  # no question/answer
        json.dumps({**good}),  # duplicate id
        json.dumps({"id": "bad id!", "category": "x", "question_ko": "질문", "answer_ko": "답"}),
        json.dumps({"id": "my-3", "category": "parking", "question_ko": "주차", "answer_ko": "답변입니다."}),
    ]) + "\n")
    report = load_entries(path)
    assert [e.id for e in report.entries] == ["my-1", "my-3"]
    assert [e.line for e in report.errors] == [2, 3, 4, 5]
    assert "not valid JSON" in report.errors[0].message
    assert "question and an answer" in report.errors[1].message
    assert "duplicate" in report.errors[2].message
    assert "id" in report.errors[3].message


def test_csv_with_keywords_and_a_bad_row(tmp_path):
    path = tmp_path / "kb.csv"
    path.write_text(
        "id,category,question_ko,answer_ko,question_en,answer_en,keywords,contact\n"
        "c-1,transport,버스 요금?,1500원입니다.,Bus fare?,1500 won.,버스; bus fare,120\n"
        ",transport,질문,답,,,,\n",
        encoding="utf-8",
    )
    report = load_entries(path)
    assert [e.id for e in report.entries] == ["c-1"]
    assert report.entries[0].keywords == ("버스", "bus fare")
    assert report.errors[0].line == 3 and "id" in report.errors[0].message
