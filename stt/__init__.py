"""Offline speech-to-text for voicemail transcripts (engines: PocketSphinx, Vosk).

Independent of `pbx`, which calls it through a port; the engines arrive with the
voicemail issue.
"""
