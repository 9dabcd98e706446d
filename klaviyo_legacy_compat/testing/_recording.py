"""Helpers for tests, ours and users' (httpx ``MockTransport`` analogue).

``RecordingTransport`` stands in for HTTP: it records every prepared request and answers
from a handler, or with the operation's documented success status.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Optional

from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.models import PreparedRequest, RawResponse

__all__ = ["RecordingTransport", "default_answer", "json_response"]

Handler = Callable[[PreparedRequest], RawResponse]


def json_response(
    status: int, body: Any = None, headers: tuple[tuple[str, str], ...] = ()
) -> RawResponse:
    """A response with a JSON:API body (``None`` for no body)."""
    content = b"" if body is None else json.dumps(body).encode()
    return RawResponse(status, (("content-type", "application/vnd.api+json"), *headers), content)


def default_answer(request: PreparedRequest) -> RawResponse:
    """The operation's first documented success; reads answer an empty page."""
    status = endpoint(request.operation).success[0]
    if request.method == "GET":
        return json_response(status, {"data": [], "links": {}})
    return RawResponse(status)


class RecordingTransport:
    """A transport that sends nothing. ``requests`` lists what would have been sent, unless
    ``keep=False`` (for memory benchmarks). ``handler`` answers each request."""

    def __init__(self, handler: Optional[Handler] = None, *, keep: bool = True) -> None:
        self.handler = handler or default_answer
        self.keep = keep
        self.requests: list[PreparedRequest] = []
        self.count = 0
        self.closed = False
        self._lock = threading.Lock()

    def send(self, request: PreparedRequest) -> RawResponse:
        with self._lock:
            self.count += 1
            if self.keep:
                self.requests.append(request)
        return self.handler(request)

    def close(self) -> None:
        self.closed = True

    def operations(self) -> list[str]:
        """The operationIds sent, in order."""
        return [r.operation for r in self.requests]
