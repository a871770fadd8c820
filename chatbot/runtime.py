"""Putting the assistant together: the knowledge base, its index (loaded, or built when missing), the assistant."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from chatbot.assistant import Assistant, AssistantConfig
from chatbot.kb import KnowledgeBase
from chatbot.retrieval import build_kb_index
from retrieval_index import HybridIndex, IndexCorruptError, IndexMismatchError

log = logging.getLogger("dasan.chatbot")


def kb_fingerprint(kb: KnowledgeBase) -> str:
    digest = hashlib.sha256()
    for entry in kb.entries:
        digest.update(json.dumps(entry.model_dump(), ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def build_and_save(kb: KnowledgeBase, embedder, path: Path, progress=None) -> HybridIndex:
    index = build_kb_index(kb, embedder, progress=progress)
    index.save(path, extra={"kb_sha256": kb_fingerprint(kb), "kb_source": kb.source, "kb_entries": len(kb)})
    return index


def load_index(kb: KnowledgeBase, embedder, path: Path) -> HybridIndex:
    """Load the saved index of ``kb``; refuse one built from another knowledge base or embedder."""
    index = HybridIndex.load(path, embedder)
    built_from = HybridIndex.read_meta(path).get("extra", {}).get("kb_sha256")
    if built_from != kb_fingerprint(kb):
        raise IndexMismatchError(f"the index at {path} was built from a different knowledge base "
                                 f"({HybridIndex.read_meta(path).get('extra', {}).get('kb_source')}); rebuild it "
                                 "with `dasan index build`")
    return index


def open_index(kb: KnowledgeBase, embedder, path: Path, rebuild: bool = False,
               rebuild_if_stale: bool = False, progress=None) -> HybridIndex:
    """The index of ``kb`` at ``path``: built when missing (or asked), loaded otherwise.

    A stale or corrupt index raises with a message naming the command that rebuilds it, unless
    ``rebuild_if_stale`` is set. ``progress(done, total)`` follows a build's embedding of documents."""
    path = Path(path)
    if rebuild or not (path / "meta.json").exists():
        log.info("building the knowledge-base index at %s (%d entries)", path, len(kb))
        return build_and_save(kb, embedder, path, progress)
    try:
        return load_index(kb, embedder, path)
    except (IndexMismatchError, IndexCorruptError) as exc:
        if not rebuild_if_stale:
            raise
        log.warning("%s; rebuilding", exc)
        return build_and_save(kb, embedder, path, progress)


def open_assistant(kb_path: str | Path | None, index_dir: Path, embedder, config: AssistantConfig = AssistantConfig(),
                   llm=None, rebuild: bool = False, rebuild_if_stale: bool = False, tools=None,
                   progress=None, sessions=None) -> Assistant:
    """The assistant over the knowledge base at ``kb_path`` (the bundled one when None) and its index at
    ``index_dir``; ``tools`` is its :class:`chatbot.tool_dialogue.ToolDialogue` (None: knowledge-base answers
    only)."""
    kb = KnowledgeBase.from_file(kb_path)
    index = open_index(kb, embedder, index_dir, rebuild=rebuild, rebuild_if_stale=rebuild_if_stale,
                       progress=progress)
    return Assistant(kb, index, sessions=sessions, config=config, llm=llm, tools=tools)
