"""The dry-run demo: real legacy calls, made in dry-run and shown as the requests they become.

Run it with ``./scripts/demo`` or ``python -m klaviyo_legacy_compat.demo``. Each example is a
function below whose body is the legacy code itself, made with ``dry_run=True`` (no key is
needed, nothing is sent). The demo prints that body as it stands in this file, so the call
shown is the call made, then the plan it returned, summarised: one screen per call (each
request's method, path, operation and key body fields; the behaviour differences).
``--full`` prints every request in full; ``--json`` prints each plan in the contract's dry-run
format (``Plan.to_dict()``, contract §3), one JSON line per call.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Iterator, Sequence
from typing import Any, Callable, Optional, TextIO

import attrs

# The demo runs legacy code as it was written: klaviyo 3.1.7 calls through the one-import
# swap, and raw v1 HTTP through a requests session with the legacy adapter mounted.
import requests

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat.legacy_http import mount

__all__ = ["EXAMPLES", "Example", "main", "plan_of", "source_of"]


# --- the examples: each body is the legacy code, shown as written -----------------------------
# The private key is a placeholder: dry-run needs none, and shows it redacted (``pk_…_key``).


def _track() -> object:
    client = klaviyo.Klaviyo(public_token="AbC123", private_token="pk_your_api_key", dry_run=True)
    return client.Public.track(
        "Placed Order",
        email="ann@example.com",
        properties={"$event_id": "1001", "$value": 42.5, "items": ["Boots"]},
        customer_properties={"$first_name": "Ann", "$city": "Paris"},
        timestamp=1714564800,
    )


def _identify() -> object:
    client = klaviyo.Klaviyo(public_token="AbC123", private_token="pk_your_api_key", dry_run=True)
    return client.Public.identify(
        email="ann@example.com", properties={"$phone_number": "+15005550006", "plan": "gold"}
    )


def _subscribe() -> object:
    profiles: list[dict[str, Any]] = [{"email": f"customer{i}@example.com"} for i in range(248)]
    profiles.append({"email": "ann@example.com", "$first_name": "Ann", "plan": "gold"})
    profiles.append({"phone_number": "+15005550006", "sms_consent": True})
    client = klaviyo.Klaviyo(public_token="AbC123", private_token="pk_your_api_key", dry_run=True)
    return client.Lists.add_subscribers_to_list("XyZ123", profiles)


def _unsubscribe() -> object:
    client = klaviyo.Klaviyo(public_token="AbC123", private_token="pk_your_api_key", dry_run=True)
    return client.Lists.delete_subscribers_from_list(
        "XyZ123", ["ann@example.com", "bob@example.com"]
    )


def _exclude_email() -> object:
    with requests.Session() as session:
        mount(session, dry_run=True)  # klaviyo_legacy_compat.legacy_http: the only new line
        return session.post(
            "https://a.klaviyo.com/api/v1/people/exclusions",
            params={"api_key": "pk_your_api_key"},
            data={"email": "bob@example.com"},
        )


def _bulk_mode() -> object:
    backlog = [(f"customer{i % 400}@example.com", f"order-{i}", 10 + i % 90) for i in range(1500)]
    client = klaviyo.Klaviyo(public_token="AbC123", private_token="pk_your_api_key", dry_run=True)
    with klaviyo.batching(dry_run=True) as batch:
        for email, order, total in backlog:
            client.Public.track(
                "Placed Order",
                email=email,
                properties={"$event_id": order, "$value": total},
                timestamp=1714564800,
            )
        for i in range(3):
            client.Public.identify(
                email=f"customer{i}@example.com", properties={"loyalty_tier": "gold"}
            )
        return batch.plan()


@attrs.frozen
class Example:
    """One legacy call: ``code``'s body is the legacy code; it returns what the last call
    answered in dry-run (a :class:`~klaviyo_legacy_compat.Plan`, or for raw HTTP the
    ``requests.Response`` whose JSON body is the plan)."""

    title: str
    surface: str
    code: Callable[[], object]

    def source(self) -> str:
        """The body of ``code`` as written in this file, its last ``return`` shown as the bare
        expression it returns (the legacy call)."""
        return source_of(self.code)

    def plan(self) -> dict[str, Any]:
        """Run the code and return its plan as ``to_dict()`` gives it (contract §3)."""
        return plan_of(self.code())


def plan_of(answer: object) -> dict[str, Any]:
    """What a legacy call answered in dry-run, as ``Plan.to_dict()``: a
    :class:`~klaviyo_legacy_compat.Plan`, or the ``requests.Response`` the legacy adapter
    answers with the plan as its JSON body."""
    if isinstance(answer, requests.Response):
        answer.raise_for_status()
        plan: dict[str, Any] = answer.json()
        return plan
    if isinstance(answer, klaviyo.Plan):
        return answer.to_dict()
    raise TypeError(f"dry-run answered {type(answer).__name__}, not a plan")


EXAMPLES: tuple[Example, ...] = (
    Example("track", "klaviyo 3.1.7", _track),
    Example("identify", "klaviyo 3.1.7", _identify),
    Example("subscribe_to_list (250 profiles)", "klaviyo 3.1.7", _subscribe),
    Example("unsubscribe", "klaviyo 3.1.7", _unsubscribe),
    Example("exclude_email", "raw v1 HTTP through requests", _exclude_email),
    Example("bulk mode (1,500 track and 3 identify calls)", "klaviyo 3.1.7", _bulk_mode),
)


def source_of(function: Callable[..., object]) -> str:
    """``function``'s body as written (docstring left out, dedented), with ``return `` taken
    off its last statement."""
    text = textwrap.dedent(inspect.getsource(function))
    (definition,) = ast.parse(text).body
    if not isinstance(definition, ast.FunctionDef):
        raise TypeError(f"{function!r} is not a function written with def")
    body = definition.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    lines = text.splitlines()
    last = body[-1]
    while isinstance(last, (ast.With, ast.For, ast.If)):  # the return inside a block
        last = last.body[-1]
    if isinstance(last, ast.Return):
        line = lines[last.lineno - 1]
        start = last.col_offset
        lines[last.lineno - 1] = line[:start] + line[start + len("return ") :]
    end = body[-1].end_lineno or body[-1].lineno
    return textwrap.dedent("\n".join(lines[body[0].lineno - 1 : end]))


# --- the summary: one screen per call ---------------------------------------------------------

#: Fields shown per request in the summary (``--full`` shows them all).
SHOWN_FIELDS = 16
#: Items of a list shown in the summary.
SHOWN_ITEMS = 3
#: Longest value shown in the summary.
SHOWN_CHARS = 60


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _fields(value: Any, prefix: str = "", depth: int = 0) -> Iterator[tuple[int, str]]:
    """A JSON:API body as ``(depth, "path=value")`` fields, the ``data``/``attributes``
    wrapping left out; a list of objects as its length and, one level deeper, its first item:
    what a reader checks first."""
    if isinstance(value, dict) and set(value) == {"data"}:
        yield from _fields(value["data"], prefix, depth)
    elif isinstance(value, dict) and "type" in value and ("attributes" in value or "id" in value):
        if "id" in value:
            yield depth, f"{prefix or value['type'] + '.'}id={_short(value['id'])}"
        yield from _fields(value.get("attributes", {}), prefix, depth)
        for name, related in value.get("relationships", {}).items():
            yield from _fields(related, f"{prefix}{name}.", depth)
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _fields(item, f"{prefix}{name}.", depth)
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        kind = value[0].get("type", "item")
        yield depth, f"{prefix.rstrip('.')}: {len(value)} {kind} items, the first:"
        yield from _fields(value[0], "", depth + 1)
    elif isinstance(value, list) and len(value) > SHOWN_ITEMS:
        shown = ", ".join(_short(item) for item in value[:SHOWN_ITEMS])
        yield depth, f"{prefix.rstrip('.')}=[{shown}, … {len(value) - SHOWN_ITEMS} more]"
    else:
        yield depth, f"{prefix.rstrip('.')}={_short(value)}"


def _pack(fields: Sequence[tuple[int, str]], width: int, indent: int) -> Iterator[str]:
    """Fields side by side, two spaces apart, in lines of at most ``width``; a list's heading
    on a line of its own, its first item's fields indented under it."""
    line, line_depth = "", 0
    for depth, field in fields:
        heading = field.endswith(":")
        if line and (heading or depth != line_depth or len(line) + 2 + len(field) > width):
            yield line
            line = ""
        if line:
            line += "  " + field
        else:
            line, line_depth = " " * (indent + 2 * depth) + field, depth
        if heading:
            yield line
            line = ""
    if line:
        yield line


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3] if url.count("/") >= 3 else url


def _same(one: dict[str, Any], other: dict[str, Any]) -> bool:
    return (one["method"], one["url"], one["operation"], one["depends_on"]) == (
        other["method"],
        other["url"],
        other["operation"],
        other["depends_on"],
    )


def _wrap(text: str, width: int, first: str, rest: str) -> str:
    return textwrap.fill(
        text, width, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False
    )


def summarise(plan: dict[str, Any], out: TextIO, width: int) -> None:
    """A plan as a reader wants it first: each request's method, path, operation and key
    fields (repeats of one request folded into a count), then the behaviour differences."""
    sent = plan["requests"]
    out.write(f"\nwould send {len(sent)} request{'s' if len(sent) != 1 else ''}:\n")
    index = 0
    while index < len(sent):
        request = sent[index]
        count = 1
        while index + count < len(sent) and _same(request, sent[index + count]):
            count += 1
        numbers = f"[{index}]" if count == 1 else f"[{index}-{index + count - 1}]"
        first = "" if count == 1 else ", the first:"
        heading = f"{numbers} {request['method']} {_path(request['url'])}  ({request['operation']})"
        out.write(_wrap(heading + first, width, "  ", "      ") + "\n")
        if request["note"]:
            out.write(_wrap(request["note"], width, "      note: ", "        ") + "\n")
        fields = [(0, f"{name}={_short(value)}") for name, value in request["params"].items()]
        if request["json"] is not None:
            fields += list(_fields(request["json"]))
        if len(fields) > SHOWN_FIELDS:
            hidden = len(fields) - SHOWN_FIELDS
            fields = [*fields[:SHOWN_FIELDS], (0, f"… {hidden} more (--full shows them)")]
        for line in _pack(fields, width, 6):
            out.write(line + "\n")
        index += count
    if plan["warnings"]:
        out.write("behaviour differences:\n")
    for warning in plan["warnings"]:
        out.write(_wrap(warning, width, "  ! ", "    ") + "\n")


def render_full(plan: dict[str, Any], out: TextIO) -> None:
    """Every request in full: method, URL, params, headers (the key redacted) and body."""
    for index, request in enumerate(plan["requests"]):
        out.write(f"  [{index}] {request['method']} {request['url']}  ({request['operation']})\n")
        if request["params"]:
            out.write(f"      params: {json.dumps(request['params'], ensure_ascii=False)}\n")
        if request["depends_on"] is not None:
            out.write(f"      depends on [{request['depends_on']}]: {request['note']}\n")
        elif request["note"]:
            out.write(f"      note: {request['note']}\n")
        out.write(f"      headers: {json.dumps(request['headers'], ensure_ascii=False)}\n")
        if request["json"] is not None:
            body = json.dumps(request["json"], indent=2, ensure_ascii=False)
            out.write("      json: " + body.replace("\n", "\n      ") + "\n")
    for warning in plan["warnings"]:
        out.write(f"  ! {warning}\n")


INTRO = (
    "Each legacy call below is made exactly as shown, with dry_run=True: no key is needed and "
    "nothing is sent; what it would send follows it. --full prints every request in full, "
    "--json the plans as JSON."
)


def main(
    argv: Optional[Sequence[str]] = None,
    out: Optional[TextIO] = None,
    width: Optional[int] = None,
) -> int:
    """Make the example calls in dry-run and print them (``--full``, ``--json``)."""
    parser = argparse.ArgumentParser(
        prog="python -m klaviyo_legacy_compat.demo",
        description="Make real legacy Klaviyo calls in dry-run and print the requests they "
        "become (nothing is sent, no key is needed).",
    )
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--full", action="store_true", help="print every request in full")
    shown.add_argument(
        "--json",
        action="store_true",
        help='print one JSON line per call: {"call", "code", "requests", "warnings"}, the '
        "plan as Plan.to_dict() gives it",
    )
    args = parser.parse_args(argv)
    stream = out or sys.stdout
    columns = width or min(max(shutil.get_terminal_size((100, 24)).columns, 60), 120)
    if not args.json:
        stream.write(_wrap(INTRO, columns, "", "") + "\n")
    for number, example in enumerate(EXAMPLES, 1):
        plan = example.plan()
        if args.json:
            line = {"call": example.title, "code": example.source(), **plan}
            stream.write(json.dumps(line, ensure_ascii=False) + "\n")
            continue
        heading = f"=== {number}/{len(EXAMPLES)} {example.title} · {example.surface} "
        stream.write(f"\n{heading}{'=' * max(columns - len(heading), 3)}\n")
        stream.write(textwrap.indent(example.source(), "    ") + "\n")
        if args.full:
            stream.write("\n")
            render_full(plan, stream)
        else:
            summarise(plan, stream, columns)
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BrokenPipeError:
        # The reader stopped reading (``| head``): not an error. Python's advice: point
        # stdout at devnull so the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None
