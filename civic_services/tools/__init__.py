"""The civic tools: one registry (schemas, roles, handlers) served to the assistant, as OpenAI-style tools, over
MCP and as a Rasa action server."""
