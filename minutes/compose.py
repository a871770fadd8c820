"""Minutes composed by the local LLM, grounded in the transcript, with the extractive minutes as the fallback.

Map: the transcript is cut into chunks of about ``chunk_tokens``; for each, the model writes a short summary,
decisions and action items (owner, task, due), each citing the time of the line it comes from, as JSON
constrained by a schema (:mod:`minutes.compose_prompt`). Verify: every proposed item is checked against the
transcript around the segment it cites (:mod:`minutes.compose_verify`); failing items are dropped. Reduce: the
chunks' items are merged in meeting order and the summary is thinned to ``summary_items``. A chunk whose call
fails, answers something unparseable or comes after the time budget is spent gets the extractive items of its
time span instead; an extractive decision or action at a segment no composed item of its kind cites is added
too (verbatim, so grounded; a small model misses some). The agenda is always the extractive one (cue phrases).
Each item says what wrote it (``by``); ``Minutes.composed_by`` says it for the document (``llm``, or
``llm+extractive`` when any item is extractive, or ``extractive``) and ``Minutes.composition`` gives the details.
"""

from __future__ import annotations

import bisect
import importlib.util
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from minutes import compose_prompt
from minutes.compose_verify import Proposal, Verifier, clock_ref
from minutes.document import ActionItem, Item, Meeting, Minutes, extract_minutes
from speech.events import Segment
from retrieval_index.text import detect_language

log = logging.getLogger("minutes.compose")

METHODS = ("auto", "llm", "extractive")


class LLMUnavailable(RuntimeError):
    """The LLM was asked for by name and cannot be used here."""


@dataclass(frozen=True)
class ComposeOptions:
    chunk_tokens: int = 600  # transcript tokens per map call (estimated), small enough for a 1.5B model's attention
    max_tokens: int = 400  # the model's answer per chunk
    # Chunks not started within the budget fall back to extractive items: ``budget_s`` seconds, or by default
    # 60 s plus ``budget_s_per_minute`` per minute of meeting (about 3x what 2 busy cores need, see the bench).
    budget_s: float | None = None
    budget_s_per_minute: float = 20.0
    summary_items: int = 6  # the merged summary's length at most


def estimate_tokens(text: str) -> int:
    """Rough Qwen token count: about one per Hangul syllable, one per four other characters."""
    hangul = sum(1 for c in text if "가" <= c <= "힣")
    return hangul + (len(text) - hangul) // 4 + 1


def chunk_segments(segments: Sequence[Segment], budget: int) -> list[list[Segment]]:
    """Consecutive segments in chunks of at most ``budget`` estimated tokens (a longer segment is a chunk alone)."""
    chunks: list[list[Segment]] = []
    size = 0
    for segment in segments:
        tokens = estimate_tokens(segment.text) + 6  # the time and speaker of the line
        if chunks and size + tokens <= budget:
            chunks[-1].append(segment)
            size += tokens
        else:
            chunks.append([segment])
            size = tokens
    return chunks


def meeting_language(meeting: Meeting) -> str:
    if meeting.language in ("ko", "en"):
        return meeting.language
    return detect_language(meeting.text) if meeting.text.strip() else "en"


def _spread(items: list, k: int) -> list:
    """At most ``k`` of ``items``, evenly spread over the meeting."""
    if len(items) <= k:
        return items
    return [items[round(i * (len(items) - 1) / (k - 1))] for i in range(k)] if k > 1 else items[:1]


def compose_with_llm(meeting: Meeting, llm, options: ComposeOptions = ComposeOptions(),
                     progress: Callable[[int, int], None] | None = None) -> Minutes:
    """The meeting's minutes composed by ``llm`` (a :class:`models.llm.LocalLLM`), verified, with fallbacks."""
    started = time.monotonic()
    extractive = extract_minutes(meeting)
    if not any(s.text.strip() for s in meeting.segments):
        return replace(extractive, composition={"method": "extractive", "reason": "empty transcript"})
    language = meeting_language(meeting)
    chunks = chunk_segments([s for s in meeting.segments if s.text.strip()], options.chunk_tokens)
    budget = options.budget_s if options.budget_s is not None else \
        60.0 + options.budget_s_per_minute * max(meeting.duration, chunks[-1][-1].end) / 60
    proposals: list[Proposal] = []
    scopes: list[str] = []
    fallback: list[tuple[float, float]] = []  # time spans whose items come from the extractive minutes
    errors: list[str] = []
    for n, chunk in enumerate(chunks):
        span = (chunk[0].start if n else float("-inf"), chunks[n + 1][0].start if n + 1 < len(chunks) else float("inf"))
        if time.monotonic() - started > budget:
            fallback.append(span)
            errors.append(f"chunk {n + 1}: the time budget of {budget:.0f} s was spent")
        else:
            try:
                raw = llm.chat(compose_prompt.messages(chunk, language, meeting.name_of), options.max_tokens,
                               json_schema=compose_prompt.schema(chunk))
                got = compose_prompt.parse(raw)
                proposals += got
                scopes += [" ".join(s.text for s in chunk)] * len(got)
            except Exception as exc:  # a failing model costs this chunk its composed items, nothing more
                log.warning("composing chunk %d of meeting %s failed: %s", n + 1, meeting.id, exc)
                fallback.append(span)
                errors.append(f"chunk {n + 1}: {type(exc).__name__}: {exc}"[:300])
        if progress:
            progress(n + 1, len(chunks))
    kept, dropped = Verifier(meeting.segments, language, meeting.speaker_names).verify(proposals, scopes)
    if len(fallback) == len(chunks):
        return replace(extractive, composition={"method": "extractive", "model": getattr(llm, "identity", None),
                                                "chunks": len(chunks), "errors": errors[:5],
                                                "seconds": round(time.monotonic() - started, 1)})

    def in_fallback(at: float) -> bool:
        return any(lo <= at < hi for lo, hi in fallback)

    summary = [Item(v.proposal.text, v.segment.start, v.segment.speaker, "llm")
               for v in kept if v.proposal.kind == "summary"]
    decisions = [Item(v.proposal.text, v.segment.start, v.segment.speaker, "llm")
                 for v in kept if v.proposal.kind == "decision"]
    actions = [ActionItem(v.proposal.text, v.segment.start, v.proposal.owner.strip() or None,
                          v.proposal.due.strip() or None, "llm") for v in kept if v.proposal.kind == "action"]
    summary += [i for i in extractive.summary if in_fallback(i.at)]
    # Extractive decisions and actions stand in where the model failed, and where it missed one: a segment the
    # cue phrases found that no verified item of the same kind cites (the model's recall is the weak side).
    starts = [s.start for s in meeting.segments]
    line_of = lambda at: bisect.bisect_right(starts, at + 1e-6) - 1  # noqa: E731
    cited = {(kind, line_of(i.at)) for kind, items in (("d", decisions), ("a", actions)) for i in items}
    added = [i for i in extractive.decisions if ("d", line_of(i.at)) not in cited]
    decisions += added
    added_actions = [a for a in extractive.actions if ("a", line_of(a.at)) not in cited]
    actions += added_actions
    # A thin summary (a small model gives one vague line on real conversation: "the meeting discussed the stuff")
    # is filled up to as many sentences as the extractive summary has, with its central sentences on other lines.
    summary_lines = {line_of(i.at) for i in summary}
    fill = [i for i in extractive.summary if line_of(i.at) not in summary_lines]
    added_summary = fill[:max(0, len(extractive.summary) - len(summary))]
    summary += added_summary
    by_time = lambda item: item.at  # noqa: E731
    summary = _spread(sorted(summary, key=by_time), options.summary_items)
    method = "llm+extractive" if fallback or any(i.by != "llm" for i in (*summary, *decisions, *actions)) else "llm"
    return Minutes(
        summary=tuple(summary),
        agenda=extractive.agenda,
        decisions=tuple(sorted(decisions, key=by_time)),
        actions=tuple(sorted(actions, key=by_time)),
        composed_by=method,
        composition={
            "method": method, "model": getattr(llm, "identity", None), "language": language,
            "chunks": len(chunks), "fallback_chunks": len(fallback), "proposed": len(proposals),
            "kept": len(kept), "added_extractive": len(added) + len(added_actions) + len(added_summary),
            "seconds": round(time.monotonic() - started, 1), "errors": errors[:5],
            "dropped": [{"kind": p.kind, "ref": p.ref, "text": p.text[:200], "reason": reason}
                        for p, reason in dropped[:50]],
        },
    )


# ------------------------------------------------------------------------------------------ choosing a method
def llm_problem(models, llm_enabled: bool = True) -> str | None:
    """Why the local LLM cannot compose minutes here, or None when it can (nothing is loaded to find out)."""
    from models.refs import resolve
    from models.store import ModelError

    if not llm_enabled:
        return "the local LLM is disabled (DASAN_LLM_ENABLED=false)"
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed (`pip install dasan[llm]`)"
    ref = models.refs.get("llm")
    try:
        resolve(ref, models.store)
    except ModelError as exc:
        return str(exc)
    return None


def check_method(method: str | None, models, llm_enabled: bool = True) -> str:
    """The method a request asked for, validated: ValueError for an unknown one, LLMUnavailable when ``llm`` was
    asked for and cannot be had."""
    method = (method or "auto").strip().lower()
    if method not in METHODS:
        raise ValueError(f"compose must be one of {', '.join(METHODS)}, not {method!r}")
    if method == "llm":
        problem = llm_problem(models, llm_enabled)
        if problem:
            raise LLMUnavailable(f"minutes cannot be composed by the LLM: {problem}")
    return method


def compose_minutes(meeting: Meeting, method: str, models, llm_enabled: bool = True,
                    options: ComposeOptions = ComposeOptions(),
                    progress: Callable[[int, int], None] | None = None) -> Minutes:
    """The meeting's minutes by ``method``: ``extractive``, ``llm`` (LLMUnavailable when it cannot be had) or
    ``auto`` (the LLM when it is configured and installed, extractive otherwise, with the reason recorded)."""
    from models.store import ModelError

    method = check_method(method, models, llm_enabled)
    if method == "extractive":
        return replace(extract_minutes(meeting), composition={"method": "extractive", "reason": "requested"})
    problem = llm_problem(models, llm_enabled)
    if problem is None:
        try:
            llm = models.llm()
        except (ModelError, OSError, ValueError) as exc:
            problem = str(exc)
    if problem is not None:
        if method == "llm":
            raise LLMUnavailable(f"minutes cannot be composed by the LLM: {problem}")
        return replace(extract_minutes(meeting), composition={"method": "extractive", "reason": problem})
    return compose_with_llm(meeting, llm, options, progress)


def reverify(meeting: Meeting) -> Minutes:
    """After a correction: composed items are checked again against the corrected transcript (no model call);
    extractive minutes are extracted again."""
    minutes = meeting.minutes
    if minutes.composed_by == "extractive":
        return replace(extract_minutes(meeting), composition=dict(minutes.composition))
    language = meeting_language(meeting)
    verifier = Verifier(meeting.segments, language, meeting.speaker_names)
    ref = clock_ref

    def holds(kind: str, text: str, at: float, owner: str | None = None, due: str | None = None) -> bool:
        return verifier.problem(Proposal(kind, text, ref(at), owner or "", due or ""), meeting.text) is None

    return replace(
        minutes, agenda=extract_minutes(meeting).agenda,
        summary=tuple(i for i in minutes.summary if holds("summary", i.text, i.at)),
        decisions=tuple(i for i in minutes.decisions if holds("decision", i.text, i.at)),
        actions=tuple(a for a in minutes.actions if holds("action", a.task, a.at, a.owner, a.due)))


__all__ = ["ComposeOptions", "LLMUnavailable", "METHODS", "check_method", "compose_minutes", "compose_with_llm",
           "llm_problem", "reverify"]
