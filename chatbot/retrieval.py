"""Retrieval over the knowledge base: each entry is indexed as several documents (its questions and answers in
both languages, its keywords, and each of its paraphrases) grouped by entry, so a query is matched against all of
them and entries come back."""

from __future__ import annotations

from chatbot.kb import Entry, KnowledgeBase
from retrieval_index import Document, HybridIndex

GROUP_KEY = "entry"


def entry_documents(entry: Entry) -> list[Document]:
    """The entry's documents. Dense similarity of an entry is that of its closest document, so each paraphrase is a
    document of its own (a question worded like the citizen's finds its entry); the sparse side scores the entry's
    text as a whole."""
    base = {GROUP_KEY: entry.id, "category": entry.category}
    texts = {
        "q_ko": (entry.question_ko, "ko"),
        "q_en": (entry.question_en, "en"),
        "qa_ko": (f"{entry.question_ko} {entry.answer_ko}".strip(), "ko"),
        "qa_en": (f"{entry.question_en} {entry.answer_en}".strip(), "en"),
        "kw": (" ".join(entry.keywords), "any"),
    }
    for lang, paraphrases in (("ko", entry.paraphrases_ko), ("en", entry.paraphrases_en)):
        for number, text in enumerate(paraphrases, start=1):
            texts[f"p_{lang}{number}"] = (text, lang)
    return [
        Document(f"{entry.id}#{field}", text, {**base, "field": field.rstrip("0123456789"), "lang": lang})
        for field, (text, lang) in texts.items()
        if text
    ]


def build_kb_index(kb: KnowledgeBase, embedder, progress=None, **index_options) -> HybridIndex:
    """The index of every entry's documents; ``progress(done, total)`` follows the embedding of documents."""
    index = HybridIndex(embedder, group_key=GROUP_KEY, **index_options)
    index.add([doc for entry in kb.entries for doc in entry_documents(entry)], progress=progress)
    return index
