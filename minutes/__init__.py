"""AI minutes: streaming Whisper transcription of meetings, speakers, and the minutes document with its exports.
(The minutes issue fills this package.)"""
