"""The streaming speech engine, below minutes and the voicebot: audio conversion (:mod:`speech.audio`), the
preallocated sample buffers (:mod:`speech.samples`), the Whisper window decoders (:mod:`speech.backends`), the
rolling-buffer commit policy (:mod:`speech.streaming`), the hallucination filters (:mod:`speech.filters`), the VAD
gate both domains share (:mod:`speech.vad_gate`), the typed segments and events (:mod:`speech.events`) and the
streaming transcriber (:mod:`speech.transcriber`). It knows models/ and nothing above it."""
