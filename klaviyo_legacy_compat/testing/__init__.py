"""Test helpers for this project and for users' own integration tests.

- :class:`RecordingTransport`: stands in for HTTP; records requests, answers from a handler.
"""

from __future__ import annotations

from klaviyo_legacy_compat.testing._recording import (
    RecordingTransport,
    default_answer,
    json_response,
)

__all__ = ["RecordingTransport", "default_answer", "json_response"]
