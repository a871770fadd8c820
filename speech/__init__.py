"""The streaming speech engine, below minutes and the voicebot: audio conversion (:mod:`speech.audio`), the
preallocated sample buffers (:mod:`speech.samples`), the Whisper window decoders (:mod:`speech.backends`), the
rolling-buffer commit policy (:mod:`speech.streaming`), the hallucination filters (:mod:`speech.filters`) and the
streaming transcriber with its VAD gate (:mod:`speech.transcriber`). It knows models/ and nothing above it."""
