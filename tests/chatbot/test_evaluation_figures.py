"""The figures of `dasan eval chatbot` on a scripted assistant: wrong answers and hand-offs are counted apart."""

from types import SimpleNamespace

from chatbot.evaluation import evaluate


class _Scripted:
    """Answers from a table: query -> (entry id or "handoff" / "decline" / "tool")."""

    def __init__(self, table):
        self.table = table

    def reply(self, query, session_id=None, lang=None):
        got = self.table[query]
        citations = () if got in ("handoff", "decline", "tool") else (SimpleNamespace(entry_id=got),)
        ranked = (got,) if citations else ()
        return SimpleNamespace(ranked_ids=ranked, handoff=got == "handoff", decline=got == "decline",
                               citations=citations)


def test_wrong_answers_and_hand_offs_are_reported():
    assistant = _Scripted({"a": "faq-1", "b": "faq-9", "c": "handoff", "d": "tool", "e": "decline",
                           "x": "faq-3", "y": "handoff"})
    rows = [{"query": q, "lang": "en", "expected_id": f"faq-{n}"} for n, q in enumerate("abcde", start=1)]
    oos = [{"query": "x", "lang": "en", "expected": "decline"}, {"query": "y", "lang": "en", "expected": "handoff"}]
    result = evaluate(assistant, rows, oos, with_failures=True)
    assert result["answer_accuracy"] == 0.2
    assert result["wrong_answer_rate"] == 0.4  # b answered with another entry, d by a tool
    assert result["handoff_rate"] == 0.2 and result["false_handoff"] == 0.4
    assert result["oos_correct"] == 0.5
    assert {f["query"] for f in result["failures"]} == {"b", "c", "d", "e", "x"}
    assert "failures" not in evaluate(assistant, rows, oos)
