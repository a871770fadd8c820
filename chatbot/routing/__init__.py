"""Turning a citizen's or an official's request into a call of one of the civic tools: two routers behind one
interface, one with no language model (lexicons, gazetteers, normalisers) and one with the local LLM."""

from chatbot.routing.base import Router, ToolCall

__all__ = ["Router", "ToolCall"]
