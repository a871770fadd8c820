"""Hybrid retrieval: dense (FAISS over the embedder of ``models``) and sparse (BM25 over Korean morphemes),
fused into one ranking; build, persist, load, add and delete. (The chatbot issue fills this package.)"""
