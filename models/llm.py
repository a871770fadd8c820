"""The local language model (llama.cpp through llama-cpp-python), optional.

The assistant works without it; with it, answers can be composed from retrieved passages and tool calls chosen
with JSON constrained by a schema. ``llama-cpp-python`` is the ``llm`` extra.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from models.store import ModelError, ModelStore


class LocalLLM:
    def __init__(self, model_path: str, n_ctx: int = 4096, threads: int = 2, identity: str | None = None):
        self._model_path = model_path
        self._n_ctx = n_ctx
        self._threads = threads
        self.identity = identity or model_path
        self._llama = None
        self._lock = threading.Lock()  # llama.cpp contexts are not thread-safe

    def warm_up(self) -> None:
        if self._llama is not None:
            return
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ModelError("the local LLM needs llama-cpp-python: `pip install dasan[llm]` "
                             "(or `make` without DASAN_SKIP_LLM=1)") from exc
        with self._lock:
            if self._llama is None:
                self._llama = Llama(model_path=self._model_path, n_ctx=self._n_ctx, n_threads=self._threads,
                                    n_threads_batch=self._threads, verbose=False)

    def chat(self, messages: list[dict], max_tokens: int = 256, temperature: float = 0.0,
             json_schema: dict | None = None) -> str:
        """One reply; with ``json_schema`` the output is grammar-constrained JSON matching the schema."""
        self.warm_up()
        response_format = {"type": "json_object", "schema": json_schema} if json_schema else None
        with self._lock:
            result = self._llama.create_chat_completion(messages=messages, max_tokens=max_tokens,
                                                        temperature=temperature, response_format=response_format)
        return result["choices"][0]["message"]["content"] or ""

    def stream_chat(self, messages: list[dict], max_tokens: int = 256, temperature: float = 0.0) -> Iterator[str]:
        self.warm_up()
        with self._lock:
            for chunk in self._llama.create_chat_completion(messages=messages, max_tokens=max_tokens,
                                                            temperature=temperature, stream=True):
                delta = chunk["choices"][0]["delta"].get("content")
                if delta:
                    yield delta


def load_llm(ref: str, store: ModelStore, threads: int = 2, n_ctx: int = 4096) -> LocalLLM:
    from models.refs import resolve

    resolved = resolve(ref, store)
    path = resolved.location
    if resolved.spec is not None:
        path = str(store.file_path(resolved.spec.name))
    elif resolved.kind == "hub":
        raise ModelError(f"the local LLM needs a GGUF file path or a registry name, not {ref!r}")
    return LocalLLM(path, n_ctx=n_ctx, threads=threads, identity=resolved.identity)
