"""``eject --site FILE:LINE[:COLUMN]``: the plan of the legacy call at a site ``audit`` found.

``audit`` names each legacy call site ``FILE:LINE:COLUMN``; :func:`plan_site` finds the same
finding again (the same scan, :func:`~klaviyo_legacy_compat._toolkit.audit.scan_text`) and
plans the call made there, in dry-run, through the surface that call was written for:

- a ``klaviyo`` 3.1.7 or 2.x method (``client.Public.track(...)``, ``client.track(...)``) on
  :class:`~klaviyo_legacy_compat.legacy.api.Klaviyo`, a ``klaviyo-sdk`` method
  (``client.TrackIdentify.track_post(...)``) on its :class:`~klaviyo_legacy_compat.sdk.Client`,
  a ``swagger_client`` one (``ListsSegmentsApi(api).add_members(...)``) on its API class:
  the call's own arguments, so the plan is the shim's for that very call;
- a legacy URL sent with ``requests`` (``requests.post(URL, json=...)``, ``.get(URL,
  params=...)``, ``.request("POST", URL, data=...)``): the method, the URL and the body of
  the call, as the raw-HTTP surface reads them.

An argument is read only when it is a literal, or a name bound once in the file to a literal
(``LIST_ID = "XyZ123"``); a key (``api_key``, ``token``) need not be one: the plan never
holds it, a stand-in takes its place. When a value is not known (``email=user.email``), or
the site is not Python (a URL in JavaScript, PHP, ...), the plan is of the catalogue's
example for the site's legacy endpoint (MIGRATION.md's), with the path's own values where
the site's URL spells them, and the notes say which values stand in. A call the legacy SDK
itself refused (``Public.track`` with no email or id) is refused here with its message.

Reading the file is the only I/O; nothing is sent (the client is a dry-run one).
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Optional
from urllib.parse import urlencode, urlsplit

import attrs

from klaviyo_legacy_compat._core.catalogue import CATALOGUE
from klaviyo_legacy_compat._core.credentials import redact
from klaviyo_legacy_compat._core.errors import KlaviyoCompatError
from klaviyo_legacy_compat._core.legacy_endpoint import LegacyEndpoint
from klaviyo_legacy_compat._core.plan import Plan
from klaviyo_legacy_compat._core.wire import LegacyHTTPRequest, parse_legacy_request
from klaviyo_legacy_compat._surfaces.client import CompatClient
from klaviyo_legacy_compat._toolkit.audit import WAY_IN, Finding, example_request, scan_text
from klaviyo_legacy_compat.legacy.api import Klaviyo
from klaviyo_legacy_compat.sdk import Client, swagger

__all__ = ["Site", "SiteCall", "SiteError", "parse_site", "plan_site"]

#: What stands in for the keys the plan is made with (never written into the code).
STANDIN_KEY = "pk_eject"
STANDIN_PUBLIC = "PUBLIC"

#: Keys of a legacy body or payload that hold a credential: not needed to plan the call.
CREDENTIAL_FIELDS = frozenset({"api_key", "token"})

#: The rules of the findings that are calls (imports and keys are not).
CALL_RULES = ("legacy-call", "legacy-url")

#: ``WAY_IN`` text → the kind of site (``klaviyo``, ``klaviyo_sdk``, ``swagger_client``,
#: ``python-url``, ``other-url``): the one table audit tells the way in by.
_SURFACE = {text: kind for kind, text in WAY_IN.items()}

_SPEC = re.compile(r"(?P<path>.+?):(?P<line>[0-9]+)(?::(?P<column>[0-9]+))?:?")
_KEY = re.compile(r"\bpk_[A-Za-z0-9]{4,}")
_LEGACY_HOST = "https://a.klaviyo.com"


class SiteError(ValueError):
    """A site that names no legacy call, or one that cannot be planned (with the reason)."""


@attrs.frozen
class Site:
    """``FILE:LINE`` or ``FILE:LINE:COLUMN``, as ``audit`` prints its findings."""

    path: str
    line: int
    column: Optional[int] = None

    def __str__(self) -> str:
        column = f":{self.column}" if self.column is not None else ""
        return f"{self.path}:{self.line}{column}"


@attrs.frozen
class SiteCall:
    """The finding at a site, the plan of its call, and what the code should say about it."""

    finding: Finding
    plan: Plan
    notes: tuple[str, ...]


def parse_site(text: str) -> Site:
    """``app.py:12`` or ``app.py:12:5`` (a trailing ``:``, as audit's text output has, is
    allowed)."""
    found = _SPEC.fullmatch(text.strip())
    if found is None:
        raise SiteError(f"--site: FILE:LINE or FILE:LINE:COLUMN, got {text!r}")
    column = found.group("column")
    return Site(found.group("path"), int(found.group("line")), int(column) if column else None)


def plan_site(site: Site, options: Mapping[str, Any]) -> SiteCall:
    """The dry-run plan of the legacy call at ``site``, under the client ``options`` (the
    leniency options); :class:`SiteError` when there is no legacy call there, or when the
    legacy SDK refused the call; ``OSError`` when the file cannot be read."""
    with open(site.path, "rb") as handle:
        try:
            text = handle.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise SiteError(f"{site.path}: not UTF-8 (byte {error.start})") from None
    finding = _finding(site, text)
    client = CompatClient(private_key=STANDIN_KEY, environment_keys=False, dry_run=True, **options)
    where = f"{finding.path}:{finding.line}:{finding.column}"
    notes = [f"{where}: {finding.legacy}"]
    surface = _SURFACE[finding.way_in]
    call = _python_call(text, finding) if surface != "other-url" else None
    if call is None:
        reason = "it is not a call this scan reads" if surface != "other-url" else ""
        return _example(finding, client, text, notes, reason)
    values = _Values(call.tree)
    args, kwargs = values.arguments(call.node)
    if values.unknown:
        shown = ", ".join(f"`{piece}`" for piece in values.unknown)
        verb = "is not a literal" if len(values.unknown) == 1 else "are not literals"
        return _example(finding, client, text, notes, f"{shown} {verb} there")
    try:
        if surface == "python-url":
            plan = _http_plan(finding, call, args, kwargs, client)
        else:
            plan = _method_plan(finding, surface, args, kwargs, client)
    except (KlaviyoCompatError, TypeError) as error:
        raise SiteError(
            f"{where}: {finding.legacy} is refused as it is written, as the legacy SDK "
            f"refused it: {error}"
        ) from None
    return SiteCall(finding, plan, tuple(notes))


# --- the finding -------------------------------------------------------------------------------


def _finding(site: Site, text: str) -> Finding:
    findings, _ = scan_text(site.path.replace("\\", "/"), text)
    calls = [f for f in findings if f.rule in CALL_RULES]
    here = [
        f for f in calls if f.line == site.line and (site.column is None or f.column == site.column)
    ]
    if len(here) == 1:
        return here[0]
    listed = "; ".join(f"{f.line}:{f.column} {f.legacy}" for f in calls) or "none"
    if not here:
        raise SiteError(f"{site}: no legacy call audit finds there (in this file: {listed})")
    raise SiteError(
        f"{site}: {len(here)} legacy calls on that line; give the column: "
        + "; ".join(f"{site.path}:{f.line}:{f.column} {f.legacy}" for f in here)
    )


# --- the call, by its syntax tree --------------------------------------------------------------


@attrs.frozen
class _Call:
    tree: ast.Module
    node: ast.Call


def _python_call(text: str, finding: Finding) -> Optional[_Call]:
    """The ``ast.Call`` of the finding: for a method, the call at its place whose method is
    the finding's; for a URL, the call the URL is an argument of."""
    with warnings.catch_warnings():
        # The file's own warnings (an invalid escape sequence, ...) are not ours to report.
        warnings.simplefilter("ignore")
        tree = ast.parse(text)
    lines = text.splitlines()
    if finding.rule == "legacy-call":
        method = finding.legacy.partition("(")[0].rsplit(".", 1)[-1]
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == method
                and _place(lines, node) == (finding.line, finding.column)
            ):
                return _Call(tree, node)
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for argument in [*node.args, *(k.value for k in node.keywords)]:
                if any(
                    _place(lines, inner) == (finding.line, finding.column)
                    for inner in ast.walk(argument)
                    if isinstance(inner, ast.expr)
                ):
                    return _Call(tree, node)
    return None


def _place(lines: Sequence[str], node: ast.expr) -> tuple[int, int]:
    """``(line, column)`` as audit counts them: the column in characters, from 1."""
    text = lines[node.lineno - 1] if 0 < node.lineno <= len(lines) else ""
    return node.lineno, len(text.encode("utf-8")[: node.col_offset].decode("utf-8", "ignore")) + 1


class _NotLiteral(Exception):
    pass


class _Values:
    """The values of a call's arguments: literals, and names bound once in the file to one.
    What is not known is collected in ``unknown`` (its source, keys redacted: ``pk_…abcd``)."""

    def __init__(self, tree: ast.Module) -> None:
        counts: dict[str, int] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                counts[node.id] = counts.get(node.id, 0) + 1
        self.constants: dict[str, ast.expr] = {}
        for statement in tree.body:
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and counts[statement.targets[0].id] == 1
            ):
                self.constants[statement.targets[0].id] = statement.value
        self.unknown: list[str] = []

    def arguments(self, call: ast.Call) -> tuple[list[Any], dict[str, Any]]:
        args = [self.value(a) for a in call.args]
        kwargs: dict[str, Any] = {}
        for keyword in call.keywords:
            if keyword.arg is None:
                self._unknown(keyword.value, "**")
            else:
                kwargs[keyword.arg] = self.value(keyword.value)
        return args, kwargs

    def value(self, node: ast.expr, field: Optional[str] = None) -> Any:
        try:
            return self._value(node, set())
        except _NotLiteral:
            if field in CREDENTIAL_FIELDS:
                return STANDIN_KEY if field == "api_key" else STANDIN_PUBLIC
            self._unknown(node)
            return None

    def _unknown(self, node: ast.expr, prefix: str = "") -> None:
        source = " ".join(ast.unparse(node).split())
        source = source if len(source) <= 60 else source[:57] + "..."
        self.unknown.append(_KEY.sub(lambda key: redact(key.group()), prefix + source))

    def _value(self, node: ast.expr, seen: set[str]) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                raise _NotLiteral
            items = [self._value(e, seen) for e in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Dict):
            out: dict[Any, Any] = {}
            for key, item in zip(node.keys, node.values):
                if key is None:
                    raise _NotLiteral
                name = self._value(key, seen)
                if name in CREDENTIAL_FIELDS:
                    out[name] = self.value(item, name)  # a key need not be known
                else:
                    out[name] = self._value(item, seen)
            return out
        if isinstance(node, ast.Name) and node.id in self.constants and node.id not in seen:
            return self._value(self.constants[node.id], seen | {node.id})
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self._value(node.operand, seen)
            if isinstance(operand, (int, float)) and not isinstance(operand, bool):
                return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._value(node.left, seen), self._value(node.right, seen)
            if isinstance(left, str) and isinstance(right, str):
                return left + right
        if isinstance(node, ast.JoinedStr):
            return "".join(self._part(v, seen) for v in node.values)
        raise _NotLiteral

    def _part(self, node: ast.expr, seen: set[str]) -> str:
        """A part of an f-string: its text, or a known value put in plainly (``{LIST_ID}``;
        not ``{x!r}`` or ``{x:>8}``)."""
        if isinstance(node, ast.Constant):
            return str(node.value)
        if (
            isinstance(node, ast.FormattedValue)
            and node.conversion == -1
            and node.format_spec is None
        ):
            value = self._value(node.value, seen)
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                return str(value)
        raise _NotLiteral


# --- planning ----------------------------------------------------------------------------------


def _method_plan(
    finding: Finding, surface: str, args: list[Any], kwargs: dict[str, Any], client: CompatClient
) -> Plan:
    """The plan of a legacy SDK method, called on the shim's class for that SDK."""
    owner, method = finding.legacy.partition("(")[0].split(".")
    target: Any
    if surface == "klaviyo":
        legacy = Klaviyo(public_token=STANDIN_PUBLIC, private_token=STANDIN_KEY, client=client)
        target = legacy if owner == "Klaviyo" else getattr(legacy, owner)
    elif surface == "klaviyo_sdk":
        target = getattr(Client(STANDIN_KEY, client=client), owner)
    else:
        target = getattr(swagger, owner)(swagger.ApiClient(client=client))
    plan = getattr(target, method)(*args, **kwargs)
    if not isinstance(plan, Plan):
        raise SiteError(f"{finding.legacy}: sends nothing to plan")
    return plan


#: The ``requests`` functions and the argument each takes second, positionally.
_SECOND = {"get": "params", "post": "data", "put": "data", "patch": "data", "delete": None}


def _http_plan(
    finding: Finding, call: _Call, args: list[Any], kwargs: dict[str, Any], client: CompatClient
) -> Plan:
    """The plan of a legacy URL sent through ``requests``: its method, URL and body."""
    func = call.node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name == "request" and len(args) >= 2:
        method, args = str(args[0]).upper(), args[1:]
    else:
        method = name.upper() if name in _SECOND else _entry(finding, None).method
        second = _SECOND.get(name)
        if second and len(args) >= 2:
            kwargs.setdefault(second, args[1])
    url = args[0] if args else kwargs.get("url")
    if not isinstance(url, str):
        raise SiteError(f"{finding.legacy}: the URL is not the first argument")
    if url.startswith("/"):
        url = _LEGACY_HOST + url
    params = kwargs.get("params")
    if params:
        url += ("&" if "?" in url else "?") + urlencode(params, doseq=True)
    headers: dict[str, str] = {}
    body = b""
    if kwargs.get("json") is not None:
        body = json.dumps(kwargs["json"]).encode("utf-8")
        headers["Content-Type"] = "application/json"
    elif isinstance(kwargs.get("data"), (dict, list, tuple)):
        body = urlencode(kwargs["data"], doseq=True).encode("utf-8")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif isinstance(kwargs.get("data"), (str, bytes)):
        data = kwargs["data"]
        body = data.encode("utf-8") if isinstance(data, str) else data
    request = LegacyHTTPRequest(method, url, headers, body)
    strict = client.settings().options.strict
    plan = client.run(parse_legacy_request(request, strict=strict))
    assert isinstance(plan, Plan)
    return plan


def _entry(finding: Finding, method: Optional[str]) -> LegacyEndpoint:
    """The catalogue row of the finding: of ``method`` when the path has several, else its
    ``POST`` (what code sending to a path of several methods most often did), else the
    first."""
    rows = [e for e in CATALOGUE if f"{e.method} {e.path}" in finding.endpoints]
    chosen = [e for e in rows if e.method == (method or "POST")] or rows
    return chosen[0]


#: A legacy path in a site's source text (``/api/...`` up to a quote, a space or a hole).
_PATH_TEXT = re.compile(r"/api/[^\s\"'`<>)\\?#]*")


def _example(
    finding: Finding, client: CompatClient, text: str, notes: list[str], reason: str
) -> SiteCall:
    """The plan of the catalogue's example for the site's endpoint, with the path values the
    site's own URL spells; the notes say what stands in."""
    method = finding.legacy.split(" ")[0] if finding.rule == "legacy-url" else None
    if method is not None and "|" in method:
        method = None
    entry = _entry(finding, method)
    if len(finding.endpoints) > 1 and method is None:
        notes.append(f"the method is not known there: the code is for {entry.method}")
    example = dict(entry.example)
    values = _path_values(entry, example["url"])
    spelled = _spelled(entry, text, finding) if finding.rule == "legacy-url" else {}
    values.update(spelled)
    parts = urlsplit(example["url"])
    query = f"?{parts.query}" if parts.query else ""
    example["url"] = f"{parts.scheme}://{parts.netloc}{entry.fill(values)}{query}"
    request = example_request(example)
    strict = client.settings().options.strict
    plan = client.run(parse_legacy_request(request, strict=strict))
    assert isinstance(plan, Plan)
    stand_in = [f"{k}={v}" for k, v in values.items() if k not in spelled]
    why = f"{reason}: " if reason else ""
    notes.append(
        f"{why}this code is generated from the catalogue's example of {entry.method} "
        f"{entry.path} (MIGRATION.md), whose values stand in for the call's own"
        + (f" (and for the path's {', '.join(stand_in)})" if stand_in else "")
        + ": put the call's values in their place."
    )
    return SiteCall(finding, plan, tuple(notes))


def _path_values(entry: LegacyEndpoint, url: str) -> dict[str, str]:
    found = re.fullmatch(entry.pattern, urlsplit(url).path)
    return dict(found.groupdict()) if found else {}


def _spelled(entry: LegacyEndpoint, text: str, finding: Finding) -> dict[str, str]:
    """The path values the site's source spells out (a segment holding an interpolation or
    the end of a string is not one)."""
    lines = text.splitlines()
    line = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
    hit = _PATH_TEXT.search(line, max(finding.column - 1, 0))
    if hit is None:
        return {}
    path = hit.group().rstrip("/")
    found = re.fullmatch(entry.pattern, path)
    if found is None:
        return {}
    return {
        name: value for name, value in found.groupdict().items() if re.fullmatch(r"[\w-]+", value)
    }
