"""The composition's own routes, which belong to no domain: health and readiness, the web pages, the model
registry, Dasan's voices over the OpenAI-style speech API, and the tools over MCP."""
