"""The civic tools' registry and its servers: :mod:`~civic_services.tools.registry` (tools, roles, validation,
calls), the schema pieces several services' tools share (:mod:`~civic_services.tools.schemas`), and the registry
served to the assistant, as OpenAI-style tools, over MCP and as a Rasa action server. The tools themselves are
declared beside the services they call (``civic_services/<service>/tools.py``)."""
