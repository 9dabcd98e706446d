"""Test helpers for this project and for users' own integration tests.

- :class:`RecordingTransport`: stands in for HTTP; records requests, answers from a handler.
- :class:`LocalKlaviyo`: a local Klaviyo, a real HTTP server on 127.0.0.1 speaking the part
  of the new API this library uses, with an in-memory store (``server.store``), the spec's
  rate limits on a time scale, and faults injected on request (``server.faults``).
"""

from __future__ import annotations

from klaviyo_legacy_compat.testing._recording import (
    RecordingTransport,
    default_answer,
    json_response,
)
from klaviyo_legacy_compat.testing._server import LocalKlaviyo

__all__ = ["LocalKlaviyo", "RecordingTransport", "default_answer", "json_response"]
