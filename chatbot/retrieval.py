"""Retrieval over the knowledge base: each entry is indexed as several documents (its questions and answers in
both languages, its keywords) grouped by entry, so a query is matched against all of them and entries come back."""

from __future__ import annotations

from chatbot.kb import Entry, KnowledgeBase
from retrieval_index import Document, HybridIndex

GROUP_KEY = "entry"


def entry_documents(entry: Entry) -> list[Document]:
    base = {GROUP_KEY: entry.id, "category": entry.category}
    texts = {
        "q_ko": (entry.question_ko, "ko"),
        "q_en": (entry.question_en, "en"),
        "qa_ko": (f"{entry.question_ko} {entry.answer_ko}".strip(), "ko"),
        "qa_en": (f"{entry.question_en} {entry.answer_en}".strip(), "en"),
        "kw": (" ".join(entry.keywords), "any"),
    }
    return [
        Document(f"{entry.id}#{field}", text, {**base, "field": field, "lang": lang})
        for field, (text, lang) in texts.items()
        if text
    ]


def build_kb_index(kb: KnowledgeBase, embedder, progress=None, **index_options) -> HybridIndex:
    """The index of every entry's documents; ``progress(done, total)`` follows the embedding of documents."""
    index = HybridIndex(embedder, group_key=GROUP_KEY, **index_options)
    index.add([doc for entry in kb.entries for doc in entry_documents(entry)], progress=progress)
    return index
