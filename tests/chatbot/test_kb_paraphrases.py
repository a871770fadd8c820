"""Paraphrases stored with the knowledge base and indexed with their entry (chatbot.kb, chatbot.retrieval)."""

from chatbot.kb import KnowledgeBase, load_entries
from chatbot.retrieval import entry_documents


def test_every_bundled_entry_has_paraphrases_in_both_languages():
    kb = KnowledgeBase.from_file()
    assert all(e.paraphrases_ko and e.paraphrases_en for e in kb.entries)
    questions = {e.question_ko for e in kb.entries} | {e.question_en for e in kb.entries}
    assert not any(p in questions for e in kb.entries for p in (*e.paraphrases_ko, *e.paraphrases_en))


def test_each_paraphrase_is_a_document_of_its_entry():
    entry = KnowledgeBase.from_file().get("faq-0037")
    documents = entry_documents(entry)
    paraphrases = [d for d in documents if d.meta["field"] in ("p_ko", "p_en")]
    assert len(paraphrases) == len(entry.paraphrases_ko) + len(entry.paraphrases_en)
    assert all(d.meta["entry"] == "faq-0037" for d in documents)
    assert {d.meta["lang"] for d in paraphrases} == {"ko", "en"}


def test_csv_paraphrases_are_split_on_semicolons_only(tmp_path):
    path = tmp_path / "kb.csv"
    path.write_text("id,category,question_en,answer_en,paraphrases_en\n"
                    'c-1,waste,Sofa?,Book a pickup.,"old couch, how to get rid of it; sofa disposal"\n', encoding="utf-8")
    entry = load_entries(path).entries[0]
    assert entry.paraphrases_en == ("old couch, how to get rid of it", "sofa disposal")
