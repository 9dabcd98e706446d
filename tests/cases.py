"""The fixture-driven translator tables: ``fixtures/translate/<call>.json``, one row per quirk.

A row::

    {"id": "...", "quirk": "why this row exists",
     "call": "track", "args": [...], "kwargs": {...},   # a CompatClient method, or
     "http": {"method", "url", "json"/"form"/"body"},   # a raw legacy HTTP request
     "options": {...},                  # client options; private_key is set unless null
     "tz": "America/New_York",          # optional: local zone for naive datetimes
     "expect": {"requests": [...], "warnings": ["substring", ...], "warning_count": 0},
     "error": {"type": "MissingIdentifierError", "field": "...", "rule": "substring"}}

A row with ``"replies": [{"status", "body"}, ...]`` runs live instead, against a
transport answering those replies in order (then each operation's documented success), and
may expect a ``"result"`` and the ``"warnings"`` the call logs (its notices, at INFO and
above); an ``"error"`` may then check ``undelivered`` and ``accepted``.

Each expected request gives ``method``, ``path`` (after the host), ``operation`` and any of
``params`` (exact), ``json`` (exact), ``json_at`` (dotted path → exact value),
``json_len`` (dotted path → length of the array there), ``depends_on``, ``note``
(substring).

Tagged values in ``args``/``kwargs``: ``{"$datetime": "2024-05-01T12:00:00"}`` (naive when
no offset), ``{"$profiles": {"count": N, "each": {...}, "start": 0}}`` (a list; ``{i}`` in
strings is the index, and tags inside ``each`` are expanded), ``{"$stream": {...}}`` (the
same as a one-shot generator), ``{"$repeat": [text, n]}`` (a long string) and ``{"$keys":
{"count", "key", "value"}}`` (an object of n keys).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from klaviyo_legacy_compat import CompatClient, Plan, PreparedRequest, RawResponse, exceptions
from klaviyo_legacy_compat._core.wire import parse_legacy_request
from klaviyo_legacy_compat.cli import request_from_json
from klaviyo_legacy_compat.testing import RecordingTransport, default_answer, json_response
from tests.conftest import NOW, PRIVATE_KEY

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "translate"


def tables() -> list[str]:
    """The name of every table in fixtures/translate/."""
    return sorted(path.stem for path in FIXTURES.glob("*.json"))


def load(table: str) -> list[Any]:
    """The rows of one table, as pytest params named by their ids."""
    rows = json.loads((FIXTURES / f"{table}.json").read_text(encoding="utf-8"))
    return [pytest.param(row, id=row["id"]) for row in rows]


def all_rows() -> list[Any]:
    return [param for table in tables() for param in load(table)]


def invoke(client: CompatClient, row: dict[str, Any], **options: Any) -> Any:
    """Run a row's call: a client method with arguments, or a raw legacy HTTP request."""
    if "http" in row:
        request = request_from_json(expand(row["http"]))
        strict = client.settings(**options).options.strict
        return client.run(parse_legacy_request(request, strict=strict), **options)
    method = getattr(client, row["call"])
    return method(*expand(row.get("args", [])), **expand(row.get("kwargs", {})), **options)


def _fill(template: Any, index: int) -> Any:
    if isinstance(template, str):
        return template.replace("{i}", str(index))
    if isinstance(template, dict):
        return {k: _fill(v, index) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, index) for v in template]
    return template


def _stream(count: int, each: Any) -> Iterator[Any]:
    for index in range(count):
        yield _fill(each, index)


def expand(value: Any) -> Any:
    """Replace tagged values by the Python values they stand for."""
    if isinstance(value, dict):
        if set(value) == {"$datetime"}:
            return datetime.fromisoformat(value["$datetime"])
        if set(value) == {"$profiles"}:
            spec = value["$profiles"]
            start = spec.get("start", 0)
            return [expand(_fill(spec["each"], i)) for i in range(start, start + spec["count"])]
        if set(value) == {"$stream"}:
            return _stream(value["$stream"]["count"], value["$stream"]["each"])
        if set(value) == {"$repeat"}:
            text, times = value["$repeat"]
            return text * times
        if set(value) == {"$keys"}:
            spec = value["$keys"]
            item = expand(spec["value"])
            return {_fill(spec["key"], i): item for i in range(spec["count"])}
        return {k: expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v) for v in value]
    return value


def _scripted(replies: list[dict[str, Any]]) -> Any:
    answers = iter(replies)

    def answer(request: PreparedRequest) -> RawResponse:
        reply = next(answers, None)
        if reply is None:
            return default_answer(request)
        return json_response(reply["status"], reply.get("body"))

    return answer


def run_row(row: dict[str, Any]) -> tuple[Any, list[dict[str, Any]], list[str]]:
    """Run a row: in dry-run, or live against scripted ``replies`` when the row has them.
    Returns the result, the requests (as ``Plan.to_dict()`` rows) and the warnings."""
    if "replies" not in row:
        plan = plan_for(row)
        got = plan.to_dict()
        return plan, got["requests"], got["warnings"]
    options = {"private_key": PRIVATE_KEY, **row.get("options", {})}
    transport = RecordingTransport(_scripted(row["replies"]))
    client = CompatClient(
        transport=transport,
        clock=lambda: NOW,
        **{k: v for k, v in options.items() if v is not None},
    )
    with _notices() as warnings:
        result = invoke(client, row)
    sent = [
        {
            "method": r.method,
            "url": r.url,
            "operation": r.operation,
            "params": dict(r.params),
            "json": r.json,
            "depends_on": None,
            "note": None,
        }
        for r in transport.requests
    ]
    return result, sent, warnings


@contextmanager
def _notices() -> Iterator[list[str]]:
    """The notices a live call logs (at INFO and above), as dry-run lists its warnings."""
    texts: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            texts.append(record.getMessage())

    handler = Keep(logging.INFO)
    logger = logging.getLogger("klaviyo_legacy_compat")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield texts
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def plan_for(row: dict[str, Any]) -> Plan:
    """Run a row in dry-run and return its plan (raises what the translation raises)."""
    options = {"private_key": PRIVATE_KEY, **row.get("options", {})}
    client = CompatClient(clock=lambda: NOW, **{k: v for k, v in options.items() if v is not None})
    zone = row.get("tz")
    previous = os.environ.get("TZ")
    if zone:
        os.environ["TZ"] = zone
        time.tzset()
    try:
        result = invoke(client, row, dry_run=True)
    finally:
        if zone:
            if previous is None:
                del os.environ["TZ"]
            else:
                os.environ["TZ"] = previous
            time.tzset()
    assert isinstance(result, Plan)
    return result


def _at(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def check(row: dict[str, Any]) -> None:
    """Assert a row: the error it expects, or its requests and warnings."""
    if "error" in row:
        expected = row["error"]
        error_type = getattr(exceptions, expected["type"])
        with pytest.raises(error_type) as caught:
            run_row(row)
        if "field" in expected:
            assert caught.value.field == expected["field"]
        assert expected["rule"] in str(caught.value)
        if "undelivered" in expected:
            assert caught.value.undelivered == expand(expected["undelivered"])
        if "accepted" in expected:
            assert list(caught.value.accepted) == expected["accepted"]
        return
    result, requests, warnings = run_row(row)
    wanted = row["expect"]
    if "result" in wanted:
        assert _plain(result) == wanted["result"]
    summary = [(r["method"], r["url"], r["operation"]) for r in requests]
    assert len(requests) == len(wanted["requests"]), summary
    for number, (actual, expected) in enumerate(zip(requests, wanted["requests"])):
        where = f"request {number}"
        path = "/" + actual["url"].split("://", 1)[1].split("/", 1)[1]
        assert (actual["method"], path, actual["operation"]) == (
            expected["method"],
            expected["path"],
            expected["operation"],
        ), where
        if "params" in expected:
            assert actual["params"] == expected["params"], where
        if "json" in expected:
            assert actual["json"] == expected["json"], where
        for dotted, value in expected.get("json_at", {}).items():
            assert _at(actual["json"], dotted) == value, f"{where} {dotted}"
        for dotted, length in expected.get("json_len", {}).items():
            assert len(_at(actual["json"], dotted)) == length, f"{where} {dotted}"
        assert actual["depends_on"] == expected.get("depends_on"), where
        if "note" in expected:
            assert expected["note"] in (actual["note"] or ""), where
    for text in wanted.get("warnings", []):
        assert any(text in w for w in warnings), (text, warnings)
    if "warning_count" in wanted:
        assert len(warnings) == wanted["warning_count"], warnings


def _plain(value: Any) -> Any:
    """A result as JSON data: attrs values become dicts, tuples lists."""
    if attrs.has(type(value)):
        return _plain(attrs.asdict(value, recurse=False))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
