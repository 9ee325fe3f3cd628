"""Live pages: websockets (Django Channels) that push committed domain events to open pages.

docs/realtime.md describes the protocol; `live.topics` is the registry other apps extend.
"""
