"""The assistant over a phone call: telephony adapters, turn-taking, barge-in, speech out, transfer.
(The voicebot issue fills this package.)"""
