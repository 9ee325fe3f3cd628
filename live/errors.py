"""Why a socket is closed: one exception per refusal, each with its close code.

Close codes 4000-4999 are the application's own (RFC 6455 §7.4.2); they mirror HTTP so a
client (or a person reading a log) knows what happened: 4400 bad frame, 4401 not logged in,
4403 not allowed, 4404 no such workspace or object (indistinguishable, like pages' 404).
1009 is the protocol's own "message too big".
"""

from __future__ import annotations

BAD_FRAME = 4400
NOT_AUTHENTICATED = 4401
FORBIDDEN = 4403
NOT_FOUND = 4404
TOO_BIG = 1009


class SocketRefused(Exception):
    """Close the socket with `code`; `reason` is sent in the close frame (max 123 bytes)."""

    code = BAD_FRAME

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:120]


class BadFrame(SocketRefused):
    code = BAD_FRAME


class FrameTooBig(SocketRefused):
    code = TOO_BIG


class NotAuthenticated(SocketRefused):
    code = NOT_AUTHENTICATED


class Forbidden(SocketRefused):
    code = FORBIDDEN


class NotFound(SocketRefused):
    code = NOT_FOUND
