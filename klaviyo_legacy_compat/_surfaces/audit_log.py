"""The runtime audit log (``audit_log=PATH``, ``KLAVIYO_LEGACY_COMPAT_AUDIT_LOG``): one JSON
line per legacy call, written by :func:`~._execute.execute`, which every call passes.

A line says where the call came from and what it did, never with what::

    {"time": "2026-12-05T18:03:16.123456+00:00", "pid": 4242,
     "site": {"file": "/app/shop.py", "line": 12, "function": "checkout"},
     "legacy": "Public.track", "call": "TrackCall",
     "operations": ["create_event"], "outcome": "ok", "ms": 0.41}

- ``site``: the call site, the first frame outside this package, the stdlib's
  ``threading``/``concurrent``/``multiprocessing`` and ``requests``/``urllib3`` (raw HTTP
  through a mounted session passes through ``requests``); ``null`` when the call runs on a
  thread of its own (``async_req`` of ``klaviyo-sdk``).
- ``legacy``: the legacy method as the program named it: ``Public.track`` (``klaviyo``
  3.1.7), ``TrackIdentify.track_post`` (``klaviyo-sdk``, set by its wrapper),
  ``POST /api/track`` (raw HTTP, the request's method and path without its query), or the
  function of this library it called (``klaviyo_legacy_compat.track``,
  ``CompatClient.track``). ``call``: the typed call it became.
- ``operations``: the new-API operations sent (held, in bulk mode; planned, in dry-run).
- ``outcome``: ``ok``, ``dry-run``, ``held`` (bulk mode took it) or ``error:<class>``.

Never a key, a payload, a path's query or an error's message: only names and counts.

Each line is one ``os.write`` to a descriptor opened with ``O_APPEND``: threads and
processes writing the same file interleave whole lines (POSIX appends each write at the
end, atomically for a regular file). A write that fails is logged once per path at WARNING
and never reaches the call.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import logging
import multiprocessing
import os
import sys
import threading
import time
import types
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii as _text
from typing import Any, Optional

# concurrent, multiprocessing, requests and urllib3 are imported for their locations only
# (_passed_through): no request is made here.
import requests  # noqa: TID251
import urllib3

__all__ = [
    "HTTP_ENDPOINT",
    "LEGACY_METHOD",
    "CallSite",
    "call_site",
    "line_of",
    "name_requests_by_endpoint",
    "write_line",
]

logger = logging.getLogger("klaviyo_legacy_compat")

#: The legacy method a surface that knows it better than a frame does is running
#: (``klaviyo-sdk``'s namespace methods are built from a table); the outermost wins.
LEGACY_METHOD: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar(
    "klaviyo_legacy_compat_legacy_method", default=None
)
#: ``METHOD /path`` of the raw legacy HTTP request being answered (no query: it may hold a
#: key); the innermost wins.
HTTP_ENDPOINT: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar(
    "klaviyo_legacy_compat_http_endpoint", default=None
)

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_PACKAGE_NAME = __name__.split(".")[0]


def _directory_of(module: types.ModuleType) -> str:
    return os.path.dirname(os.path.abspath(str(module.__file__))) + os.sep


def _passed_through() -> tuple[str, ...]:
    """Files a legacy call passes through on its way in that are nobody's call site."""
    return (
        os.path.abspath(str(threading.__file__)),
        _directory_of(concurrent.futures),
        _directory_of(multiprocessing),
        _directory_of(requests),
        _directory_of(urllib3),
    )


_SKIPPED = _passed_through()
#: Code object → whether its frames are passed through (``None``) or this package's own
#: (``True``), else a call site (``False``): one lookup per frame after the first call.
_KIND: dict[types.CodeType, Optional[bool]] = {}


def _kind(code: types.CodeType) -> Optional[bool]:
    try:
        return _KIND[code]
    except KeyError:
        pass
    name = os.path.abspath(code.co_filename)
    kind: Optional[bool] = False
    if name.startswith(_PACKAGE):
        kind = True
    elif name.startswith(_SKIPPED):
        kind = None
    _KIND[code] = kind
    return kind


class CallSite:
    """Where a legacy call came from (``file``, ``line``, ``function``; ``None``s when no
    frame outside this package is on the stack) and the legacy method it was (``legacy``)."""

    __slots__ = ("file", "function", "legacy", "line")

    def __init__(
        self, file: Optional[str], line: Optional[int], function: Optional[str], legacy: str
    ) -> None:
        self.file = file
        self.line = line
        self.function = function
        self.legacy = legacy


def call_site(depth: int = 1) -> CallSite:
    """The call site of the legacy call running now, ``depth`` frames above the caller."""
    frame: Optional[types.FrameType] = sys._getframe(depth + 1)
    entry: Optional[types.FrameType] = None  # the outermost frame of this package
    while frame is not None:
        kind = _kind(frame.f_code)
        if kind is False:
            break
        if kind:
            entry = frame
        frame = frame.f_back
    legacy = LEGACY_METHOD.get() or _entry_name(entry)
    if frame is None:
        return CallSite(None, None, None, legacy)
    return CallSite(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name, legacy)


def _entry_name(entry: Optional[types.FrameType]) -> str:
    """The legacy method of the frame through which the program entered this package:
    ``Class.method`` for a method, ``klaviyo_legacy_compat.function`` for a function of a
    module, the request's ``METHOD /path`` for raw HTTP."""
    if entry is None:
        return "unknown"
    code = entry.f_code
    if code in _ADAPTER_CODE:
        endpoint = HTTP_ENDPOINT.get()
        if endpoint is not None:
            return endpoint  # a requests adapter: what the program called is the request
    name = _NAMES.get(code)
    if name is None:
        name = _NAMES[code] = _name_of(entry)
    return name


#: The code objects of the raw-HTTP adapter's ``send`` (set by ``legacy_http``): a call
#: that entered there is named by its request.
_ADAPTER_CODE: set[types.CodeType] = set()
#: Entry code object → its name (a function's name never changes).
_NAMES: dict[types.CodeType, str] = {}


def name_requests_by_endpoint(code: types.CodeType) -> None:
    """Calls entering this package through ``code`` (a ``requests`` adapter's ``send``) are
    named by the legacy request's method and path (:data:`HTTP_ENDPOINT`)."""
    _ADAPTER_CODE.add(code)


def _name_of(entry: types.FrameType) -> str:
    code = entry.f_code
    qualified: str = getattr(code, "co_qualname", "")  # Python 3.11+
    if qualified and "<locals>" not in qualified:
        if "." in qualified:
            return qualified  # Class.method, as defined: Public.track
    elif code.co_argcount and code.co_varnames[0] == "self" and "self" in entry.f_locals:
        return f"{type(entry.f_locals['self']).__name__}.{code.co_name}"
    public: list[str] = []
    for part in str(entry.f_globals.get("__name__", "")).split("."):
        if part.startswith("_"):
            break  # a private module's function is the public one of the package above it
        public.append(part)
    return f"{'.'.join(public) or _PACKAGE_NAME}.{code.co_name}"


def line_of(
    site: CallSite,
    call: Any,
    operations: Sequence[str],
    outcome: str,
    seconds: float,
) -> bytes:
    """One log line (see the module docstring), newline included. Written out by hand, each
    string escaped as JSON: a quarter of what ``json.dumps`` of the record costs."""
    where = "null"
    if site.file is not None:
        function = _text(str(site.function))
        where = f'{{"file":{_text(site.file)},"line":{site.line},"function":{function}}}'
    endpoint = HTTP_ENDPOINT.get()
    http = "" if endpoint is None or endpoint == site.legacy else f',"http":{_text(endpoint)}'
    return (
        f'{{"time":"{_now()}","pid":{os.getpid()},"site":{where},'
        f'"legacy":{_text(site.legacy)},"call":{_text(type(call).__name__)},'
        f'"operations":[{",".join(map(_text, operations))}],"outcome":{_text(outcome)},'
        f'"ms":{seconds * 1000:.3f}{http}}}\n'
    ).encode()


#: The current second, and its text in ISO 8601 (UTC): one tuple, replaced whole, so a
#: thread reads a second and its own text.
_SECOND: tuple[int, str] = (-1, "")


def _now() -> str:
    """The time as ``datetime.now(timezone.utc).isoformat()`` writes it, at a third of the
    cost: the second's text is kept until the next second."""
    global _SECOND  # a cache replaced whole (see _SECOND)
    now = time.time()
    second, text = _SECOND
    if second != int(now):
        second = int(now)
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _SECOND = (second, text)
    return f"{text}.{int((now - second) * 1e6):06d}+00:00"


_DESCRIPTORS: dict[str, int] = {}
_FAILED: set[str] = set()
_LOCK = threading.Lock()


def _descriptor(path: str) -> int:
    fd = _DESCRIPTORS.get(path)
    if fd is None:
        with _LOCK:
            fd = _DESCRIPTORS.get(path)
            if fd is None:
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
                fd = _DESCRIPTORS[path] = os.open(path, flags, 0o600)
    return fd


def write_line(path: str, line: bytes) -> None:
    """Append ``line`` to the log at ``path`` in one write; a failure is logged (once per
    path, at WARNING) and swallowed: the audit never breaks the call it records."""
    try:
        os.write(_descriptor(path), line)
    except Exception as error:  # nothing may reach the legacy call
        with _LOCK:
            first = path not in _FAILED
            _FAILED.add(path)
        if first:
            logger.warning(
                "audit_log: cannot write to %s (%s); calls go on without their audit lines",
                path,
                type(error).__name__,
            )
