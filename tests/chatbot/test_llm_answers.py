"""With the local LLM, answers are composed from the retrieved passages and never carry a number that the
passages do not; otherwise the curated text is used."""

from dataclasses import replace

import pytest

from chatbot.assistant import Assistant
from retrieval_index.text import grounded

pytestmark = [pytest.mark.slow, pytest.mark.llm]


@pytest.fixture(scope="module")
def llm_assistant(assistant, store, llm_available):
    from models.llm import load_llm

    return Assistant(assistant.kb, assistant.index, config=replace(assistant.config, compose_with_llm=True),
                     llm=load_llm("qwen2.5-coder-1.5b-q4km", store))


def test_composed_answer_is_grounded_in_the_cited_passages(llm_assistant):
    reply = llm_assistant.reply("How much is the adult bus fare with a transit card?")
    assert not reply.handoff and reply.citations
    passages = [llm_assistant.kb.get(i).answer("en") for i in reply.ranked_ids[:3]]
    assert grounded(reply.answer, passages)
    if reply.composed_by == "llm":
        assert reply.answer != llm_assistant.kb.get(reply.citations[0].entry_id).answer_en
    assert "1,500" in reply.answer or "1500" in reply.answer


def test_streamed_composition_arrives_in_pieces_and_matches_the_reply(llm_assistant):
    import time

    started = time.perf_counter()
    first_piece_s = None
    shown = ""
    for event in llm_assistant.stream("버스 요금이 얼마예요?"):
        if event["type"] == "delta":
            first_piece_s = first_piece_s or time.perf_counter() - started
            shown += event["text"]
        elif event["type"] == "replace":
            shown = event["text"]
        else:
            reply = event["reply"]
    assert first_piece_s is not None
    assert shown.strip() == reply["answer"].strip()
    passages = [llm_assistant.kb.get(i).answer("ko") for i in reply["ranked_ids"][:3]]
    assert grounded(reply["answer"], passages)


def test_llm_reranker_returns_every_candidate_once(llm_assistant):
    from retrieval_index.rerank import LlmReranker

    candidates = [(e.id, e.question("en")) for e in llm_assistant.kb.entries[:4]]
    order = LlmReranker(llm_assistant.llm).rerank(candidates[2][1], candidates)
    assert sorted(order) == sorted(c for c, _ in candidates)
    assert order[0] == candidates[2][0]  # the candidate whose text is the query itself wins
