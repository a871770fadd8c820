"""The 120 call-center assistant: knowledge base, dialogue state, grounded answers with citations, hand-off to
a human agent, and tool calls into the civic services. (The chatbot issue fills this package.)"""
