"""One legacy v1/v2 endpoint, as every part of the library knows it: one record.

Each resource module of ``_translate`` declares its endpoints, ``ENDPOINTS``, a tuple of
:class:`LegacyEndpoint`; ``_catalogue`` imports them all, and everything that knows a legacy
endpoint is derived from that one list: the raw-HTTP route table (``_wire.ROUTES``), the
``klaviyo-sdk`` method table (``sdk/_methods.py``), the requests of the ``klaviyo`` 3.1.7
classes (``legacy``) and MIGRATION.md (``scripts/generate_migration.py``). This module
imports nothing of the package, so each of them can import it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Callable, Optional

import attrs

__all__ = ["EXAMPLE_KEY", "Builder", "LegacyEndpoint"]

#: The private key shown in the endpoints' examples (never a real key).
EXAMPLE_KEY = "pk_0123456789abcdef0123456789abcdef"

#: Turns a request's legacy parameters (``_wire.legacy_params``: the query, form and JSON
#: body merged, ``api_key`` left out) and its path parameters into the typed legacy call.
Builder = Callable[[Mapping[str, Any], Mapping[str, str]], Any]

#: A path parameter of a template: ``{name}``, one whole segment.
_PARAMETER = re.compile(r"\{(\w+)\}")

#: A legacy path: ``/api`` and segments of letters, digits, ``_`` and ``-`` (none of them
#: special in a regular expression), or parameters.
_PATH = re.compile(r"/api(/([\w-]+|\{\w+\}))+")


@attrs.frozen
class LegacyEndpoint:
    """One legacy method and path, and everything known about it.

    ``path`` is the legacy path under ``/api``, with ``{name}`` for each path parameter.
    ``builder`` makes the typed call of a request (:data:`Builder`); for track and identify,
    whose payload travels in wire forms of its own (``data=`` base64 or form field), ``payload``
    names the client method that takes it instead (``_wire`` reads the payload), and
    ``builder`` is ``None``. ``klaviyo`` and ``sdk`` name the ``klaviyo`` 3.1.7 and
    ``klaviyo-sdk`` 1.0.9 methods that sent it, as ``Namespace.method`` (a 3.1.7 method that
    sends to two endpoints says which argument picks this one, ``Public.track(method='post')``);
    ``example`` is a request in the ``translate`` command's input form; each entry of
    ``differences`` is one behaviour difference (MIGRATION.md renders them).
    """

    method: str
    path: str
    builder: Optional[Builder]
    klaviyo: tuple[str, ...]
    sdk: tuple[str, ...]
    example: Mapping[str, Any]
    differences: tuple[str, ...]
    payload: Optional[str] = None

    def __attrs_post_init__(self) -> None:
        if (self.builder is None) == (self.payload is None):
            raise ValueError(f"{self.method} {self.path}: exactly one of builder and payload")
        if not _PATH.fullmatch(self.path):
            raise ValueError(f"{self.method} {self.path}: not a legacy path template")

    @property
    def parameters(self) -> tuple[str, ...]:
        """The path parameters, in the order of the path."""
        return tuple(_PARAMETER.findall(self.path))

    @property
    def pattern(self) -> str:
        """The path as a regular expression for ``fullmatch``: each parameter a named group of
        one segment (``{list_id}`` → ``(?P<list_id>[^/]+)``); the rest matches itself."""
        return _PARAMETER.sub(r"(?P<\1>[^/]+)", self.path)

    def fill(self, values: Mapping[str, Any]) -> str:
        """The path with each parameter replaced by ``str()`` of its value in ``values``."""
        return _PARAMETER.sub(lambda found: str(values[found.group(1)]), self.path)
