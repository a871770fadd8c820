"""Optional re-ranking of the best few results by a language model: the model reads the query and the candidates'
texts and picks the one that answers it (JSON constrained to the candidates' numbers), which moves to the top."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

log = logging.getLogger("dasan.retrieval")


class LlmReranker:
    def __init__(self, llm, top: int = 4):
        self.llm = llm
        self.top = top

    def rerank(self, query: str, candidates: Sequence[tuple[str, str]]) -> list[str]:
        """Candidate ids, the model's choice first, the rest in their original order."""
        ids = [cid for cid, _ in candidates]
        if len(candidates) < 2:
            return ids
        shown = candidates[: self.top]
        listing = "\n".join(f"{n}. {text}" for n, (_, text) in enumerate(shown, start=1))
        schema = {"type": "object", "properties": {"best": {"type": "integer", "enum": list(range(1, len(shown) + 1))}},
                  "required": ["best"]}
        messages = [{"role": "system", "content": "Pick the numbered question that asks the same thing as the "
                                                  "citizen's message. Reply with JSON {\"best\": number}."},
                    {"role": "user", "content": f"Message: {query}\nQuestions:\n{listing}"}]
        try:
            best = json.loads(self.llm.chat(messages, max_tokens=12, json_schema=schema))["best"]
        except Exception as exc:  # the retrieval order stands when the model fails
            log.warning("re-ranking failed: %s", exc)
            return ids
        chosen = shown[best - 1][0]
        return [chosen] + [cid for cid in ids if cid != chosen]
