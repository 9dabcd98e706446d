"""``klaviyo-legacy-compat audit PATH...``: where a codebase still speaks the legacy API.

A static scan; nothing is run or sent. Python is read by its syntax tree (comments are not in
it): imports of ``klaviyo``, ``klaviyo_sdk`` and ``swagger_client`` under any alias, the calls
made through the names they bind (``k = klaviyo.Klaviyo(...)``, ``self.client = Client(...)``,
``ListsSegmentsApi(api_client)``: a simple dataflow inside one file), any ``.Public.track(`` /
``.Lists.get_lists(`` chain in a file that imports a legacy package, and legacy URLs in string
literals, f-strings and ``base + path`` concatenations of module constants. Other languages
(JavaScript/TypeScript, PHP, Ruby, Go, Java, shell) are read as text with their comments
blanked out first: legacy v1/v2 URLs (string concatenation and interpolation read as one path)
and the retired clients' import/require lines. A ``pk_`` private key in a literal is a finding
too, shown only as ``pk_…`` and its last four characters.

A legacy URL is one whose path (from ``/api/``) is a row of the catalogue
(``_core.catalogue.CATALOGUE``, the ``.pattern`` of each :class:`LegacyEndpoint`): new-API
paths (``/api/profiles/``, ``/client/...``) and Klaviyo's onsite ``klaviyo.js`` are not rows,
so are never findings. Each finding names the new operations its row becomes, found as
MIGRATION.md finds them: by translating the row's example in dry-run (once per row).
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Optional, Union
from urllib.parse import urlencode

import attrs

from klaviyo_legacy_compat._core.catalogue import CATALOGUE, KLAVIYO_ENDPOINTS, SDK_ENDPOINTS
from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.errors import UnsupportedLegacyFeatureError
from klaviyo_legacy_compat._core.legacy_endpoint import LegacyEndpoint
from klaviyo_legacy_compat._core.plan import Plan
from klaviyo_legacy_compat._core.wire import LegacyHTTPRequest, parse_legacy_request
from klaviyo_legacy_compat._surfaces.client import CompatClient

__all__ = ["Finding", "Problem", "Report", "audit", "scan_text"]

#: The kinds of finding (SARIF rule ids), with what each means.
RULES: Mapping[str, str] = {
    "legacy-import": "imports a retired Klaviyo client",
    "legacy-call": "calls a legacy Klaviyo v1/v2 method",
    "legacy-url": "sends to a legacy Klaviyo v1/v2 URL",
    "private-key": "hard-coded Klaviyo private key",
}

#: How each kind of site moves onto this library without other changes (README "Three ways
#: in", contract §2).
WAY_IN: Mapping[str, str] = {
    "klaviyo": "import swap: `import klaviyo_legacy_compat as klaviyo` "
    "(or `klaviyo_legacy_compat.install()` at start-up)",
    "klaviyo_sdk": "import swap: `from klaviyo_legacy_compat.sdk import Client` "
    "(or `klaviyo_legacy_compat.install()` at start-up)",
    "swagger_client": "`klaviyo_legacy_compat.install()` at start-up "
    "(swagger_client then resolves to klaviyo_legacy_compat.sdk.swagger)",
    "python-url": "`klaviyo_legacy_compat.legacy_http.mount(session)` on the requests "
    "session that sends it",
    "other-url": "gateway: run `klaviyo-legacy-compat serve` and point the base URL "
    "https://a.klaviyo.com/api at http://HOST:PORT/api",
    "key": "read the key from the environment (KLAVIYO_PRIVATE_API_KEY) and revoke this one",
}

#: Directories never walked.
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".hg", ".tox"})

#: File suffix → language; other files are not scanned.
LANGUAGES: Mapping[str, str] = {
    ".py": "python",
    ".pyw": "python",
    ".js": "c",
    ".mjs": "c",
    ".cjs": "c",
    ".jsx": "c",
    ".ts": "c",
    ".tsx": "c",
    ".go": "c",
    ".java": "c",
    ".kt": "c",
    ".php": "php",
    ".rb": "hash",
    ".sh": "hash",
    ".bash": "hash",
    ".zsh": "hash",
}

#: The retired packages of Python, and the way in for each.
PYTHON_PACKAGES = ("klaviyo", "klaviyo_sdk", "swagger_client")

#: The ``klaviyo`` 2.x flat methods (``legacy/flat.py``) → the 3.1.7 name of the endpoint
#: each sends to by default.
FLAT_METHODS: Mapping[str, str] = {
    "track": "Public.track",
    "track_once": "Public.track_once",
    "identify": "Public.identify",
    "metrics": "Metrics.get_metrics",
    "metric_timeline": "Metrics.get_metric_timeline_by_id",
    "metric_export": "Metrics.get_metric_export",
    "lists": "Lists.get_lists",
    "list": "Lists.get_list_by_id",
    "list_subscription": "Lists.add_subscribers_to_list",
    "unsubscribe_from_list": "Lists.delete_subscribers_from_list",
    "list_exclusions": "Lists.get_list_exclusions",
    "all_members": "Lists.get_all_members",
    "get_profile": "Profiles.get_profile",
    "get_profile_metrics_timeline": "Profiles.get_profile_metrics_timeline",
    "get_profile_metric_timeline": "Profiles.get_profile_metrics_timeline_by_id",
}

#: ``swagger_client`` API classes → the ``klaviyo-sdk`` namespace of the same methods.
SWAGGER_APIS: Mapping[str, str] = {
    f"{namespace}Api": namespace for namespace in {name.split(".")[0] for name in SDK_ENDPOINTS}
}

#: The retired clients of other languages, by their import/require lines (the new SDKs,
#: ``klaviyo-api``, ``KlaviyoAPI``, ``klaviyo-api-sdk``, are not among them).
OTHER_IMPORTS: Mapping[str, tuple[re.Pattern[str], ...]] = {
    "c": (
        re.compile(r"""\brequire\(\s*['"](klaviyo-node|node-klaviyo)['"]\s*\)"""),
        re.compile(r"""\bfrom\s+['"](klaviyo-node|node-klaviyo)['"]"""),
    ),
    "php": (re.compile(r"\buse\s+(Klaviyo\\Klaviyo)\b"), re.compile(r"\bnew\s+(Klaviyo)\s*\(")),
    "hash": (
        re.compile(r"""\brequire\s*\(?\s*['"](klaviyo)['"]"""),
        re.compile(r"\b(Klaviyo::(?:Client|People|Lists|Metrics|Campaigns))\b"),
    ),
}


@attrs.frozen
class Finding:
    """One legacy site: where (``column`` counts from 1), which rule, the legacy method or
    path, the new operations and behaviour differences of its catalogue rows, the way in."""

    path: str
    line: int
    column: int
    rule: str
    legacy: str
    endpoints: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()
    differences: tuple[str, ...] = ()
    way_in: str = ""


@attrs.frozen
class Problem:
    """A file that could not be read (or parsed) as it should; the scan went on."""

    path: str
    reason: str


@attrs.frozen
class Report:
    """What a scan found, the files it could not read, and how many files it scanned."""

    findings: tuple[Finding, ...]
    problems: tuple[Problem, ...]
    files: int


# --- the catalogue, as the scan needs it -------------------------------------------------

#: A private key configured beside the example's own keys, to show the server-side route.
_SERVER_KEY = "pk_audit_0123456789abcdef0123456789ab"


@functools.cache
def _operations(index: int) -> tuple[str, ...]:
    """The new operations row ``index`` of the catalogue becomes, as MIGRATION.md lists them
    (``scripts/generate_migration.py``): its example translated in dry-run."""
    entry = CATALOGUE[index]
    client = CompatClient(
        dry_run=True, return_members=True, private_key=_SERVER_KEY, environment_keys=False
    )
    try:
        plan = client.run(parse_legacy_request(example_request(entry.example)))
    except UnsupportedLegacyFeatureError as error:
        return (f"no equivalent: {error.instead}",)
    assert isinstance(plan, Plan)
    seen: list[str] = []
    for request in plan.requests:
        row = endpoint(request.operation)
        text = f"{row.method} {row.path} ({request.operation})"
        if text not in seen:
            seen.append(text)
    return tuple(seen)


def example_request(example: Mapping[str, Any]) -> LegacyHTTPRequest:
    """A catalogue example (the ``translate`` command's input form) as a request."""
    headers: dict[str, str] = {}
    body = b""
    if "json" in example:
        body, headers = json.dumps(example["json"]).encode(), {"Content-Type": "application/json"}
    elif "form" in example:
        body = urlencode(example["form"], doseq=True).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return LegacyHTTPRequest(example["method"], example["url"], headers, body)


_INDEX = {id(entry): index for index, entry in enumerate(CATALOGUE)}


def _joined(rule: str, legacy: str, entries: Sequence[LegacyEndpoint], way: str) -> Finding:
    """A finding without its place, carrying what its rows say."""
    operations: list[str] = []
    differences: list[str] = []
    for entry in entries:
        operations += [o for o in _operations(_INDEX[id(entry)]) if o not in operations]
        differences += [d for d in entry.differences if d not in differences]
    return Finding(
        path="",
        line=0,
        column=0,
        rule=rule,
        legacy=legacy,
        endpoints=tuple(f"{e.method} {e.path}" for e in entries),
        operations=tuple(operations),
        differences=tuple(differences),
        way_in=WAY_IN[way],
    )


_PATTERNS = tuple((re.compile(entry.pattern), entry) for entry in CATALOGUE)

#: Interpolations and format holes inside a URL, read as one path segment.
_HOLE = re.compile(r"\$\{[^}]*\}|#\{[^}]*\}|\{[^}/]*\}|%[sdvq]|\$[A-Za-z_]\w*(?:->\w+)*|\x00")

#: Where a legacy path can start in a string.
_API = re.compile(r"klaviyo\.com(/api/[^\s\"'`<>)\\]*)|(/api/v[12]/[^\s\"'`<>)\\]*)")


#: A path after a base not known here (``f"{settings.base}/v2/lists"``).
_AFTER_HOLE = re.compile(r"\x00(/v[12]/[^\s\"'`<>)\\]*)")


def match_url(
    text: str, method: Optional[str] = None, *, loose: bool = False
) -> list[LegacyEndpoint]:
    """The catalogue rows whose path is in ``text`` (a URL, a path, a string with holes,
    ``\\x00`` for an unknown part); ``method``, when known, picks among rows of the same path.
    ``loose`` (in a file that names Klaviyo) reads ``/v2/...`` after an unknown base as
    ``/api/v2/...``."""
    found: list[LegacyEndpoint] = []
    paths = [hit.group(1) or hit.group(2) for hit in _API.finditer(text)]
    if loose and not paths:
        paths = ["/api" + hit.group(1) for hit in _AFTER_HOLE.finditer(text)]
    for path in paths:
        path = _HOLE.sub("X", path)
        path = re.split(r"[?#]", path, maxsplit=1)[0].rstrip("/")
        found += [entry for pattern, entry in _PATTERNS if pattern.fullmatch(path)]
    if method and any(e.method == method.upper() for e in found):
        found = [e for e in found if e.method == method.upper()]
    return found


def _url_finding(
    text: str, way: str, method: Optional[str] = None, loose: bool = False
) -> Optional[Finding]:
    entries = match_url(text, method, loose=loose)
    if not entries:
        return None
    paths = sorted({e.path for e in entries})
    methods = "|".join(sorted({e.method for e in entries}))
    return _joined("legacy-url", f"{methods} {', '.join(paths)}", entries, way)


_KEY = re.compile(r"\bpk_[A-Za-z0-9]{20,}\b")


def _keys(text: str) -> Iterator[tuple[int, Finding]]:
    """Each private key in ``text``: its offset and a finding showing ``pk_…`` and the last
    four characters only."""
    for hit in _KEY.finditer(text):
        shown = f"pk_…{hit.group()[-4:]}"
        yield hit.start(), Finding("", 0, 0, "private-key", shown, way_in=WAY_IN["key"])


# --- Python, by its syntax tree -------------------------------------------------------------

_Kind = Union[str, tuple[str, str]]

#: What a name bound by any other import is: never a legacy client (``klaviyo_legacy_compat
#: as klaviyo_new`` then ``klaviyo_new.Klaviyo(...).Lists.get_lists()`` is the shim).
_FOREIGN = "<other import>"


def _dotted(node: ast.expr) -> Optional[str]:
    """``a.b.c`` of a chain of names; ``None`` for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


class _PythonScan(ast.NodeVisitor):
    """One pass over a module: bindings first come first (a simple forward dataflow)."""

    def __init__(self, lines: Sequence[str], loose: bool) -> None:
        self.lines = lines
        self.loose = loose
        self.found: list[Finding] = []
        #: Dotted name → what it is: "klaviyo" (the module), "klaviyo.Klaviyo" (the class),
        #: "klaviyo-client", ... and ("swagger-api", namespace).
        self.names: dict[str, _Kind] = {}
        self.imported: set[str] = set()
        self.strings: dict[str, str] = {}

    # places
    def _add(self, node: ast.AST, finding: Finding) -> None:
        line = getattr(node, "lineno", 1)
        offset = getattr(node, "col_offset", 0)
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        column = len(text.encode("utf-8")[:offset].decode("utf-8", "ignore")) + 1
        self.found.append(attrs.evolve(finding, line=line, column=column))

    # imports
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            top = alias.name.split(".")[0]
            if top not in PYTHON_PACKAGES:
                self.names[alias.asname or top] = _FOREIGN
            else:
                self.imported.add(top)
                self.names[alias.asname or top] = alias.name if alias.asname else top
                self._add(node, Finding("", 0, 0, "legacy-import", f"import {alias.name}"))
                self.found[-1] = attrs.evolve(self.found[-1], way_in=WAY_IN[top])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        top = (node.module or "").split(".")[0]
        if node.level or top not in PYTHON_PACKAGES:
            for alias in node.names:
                self.names[alias.asname or alias.name] = _FOREIGN
            return
        self.imported.add(top)
        for alias in node.names:
            self.names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        names = ", ".join(alias.name for alias in node.names)
        legacy = f"from {node.module} import {names}"
        self._add(node, Finding("", 0, 0, "legacy-import", legacy, way_in=WAY_IN[top]))

    # what an expression is
    def _kind(self, node: ast.expr) -> Optional[_Kind]:
        if isinstance(node, ast.Call):
            made = self._kind(node.func)
            if made == _FOREIGN:
                return _FOREIGN
            if not isinstance(made, str):
                return None
            if made in ("klaviyo.Klaviyo", "klaviyo.api.Klaviyo"):
                return "klaviyo-client"
            if made in ("klaviyo_sdk.Client", "klaviyo_sdk.wrapper.Client"):
                return "sdk-client"
            last = made.rsplit(".", 1)[-1]
            if made.startswith("swagger_client") and last in SWAGGER_APIS:
                return ("swagger-api", SWAGGER_APIS[last])
            return None
        dotted = _dotted(node)
        if dotted is None:
            return None
        if dotted in self.names:
            return self.names[dotted]
        head, _, rest = dotted.partition(".")
        base = self.names.get(head)
        if base == _FOREIGN:
            return _FOREIGN
        if isinstance(base, str) and base.split(".")[0] in PYTHON_PACKAGES and rest:
            return f"{base}.{rest}"
        return None

    # bindings
    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        self._bind(node.targets, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._bind([node.target], node.value)

    def _bind(self, targets: Iterable[ast.expr], value: ast.expr) -> None:
        kind = self._kind(value)
        text = self._string(value)
        for target in targets:
            dotted = _dotted(target)
            if dotted is None:
                continue
            if kind is not None:
                self.names[dotted] = kind
            if text is not None:
                self.strings[dotted] = text

    # calls
    def visit_Call(self, node: ast.Call) -> None:
        finding = self._call(node)
        if finding is not None:
            self._add(node, finding)
        method = None
        if isinstance(node.func, ast.Attribute) and node.func.attr in _HTTP_METHODS:
            method = node.func.attr.upper()
        if method == "REQUEST" and node.args:
            first = node.args[0]
            text = first.value if isinstance(first, ast.Constant) else None
            method = text.upper() if isinstance(text, str) else None
        self.visit(node.func)
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            self._strings_in(argument, method)

    def _call(self, node: ast.Call) -> Optional[Finding]:
        func = node.func
        if not isinstance(func, ast.Attribute):
            return None
        receiver = self._kind(func.value)
        if receiver == "klaviyo-client" and func.attr in FLAT_METHODS:
            name = FLAT_METHODS[func.attr]
            return self._named(f"Klaviyo.{func.attr}", KLAVIYO_ENDPOINTS[name], "klaviyo")
        if isinstance(receiver, tuple):
            name = f"{receiver[1]}.{func.attr}"
            if name in SDK_ENDPOINTS:
                return self._named(
                    f"{receiver[1]}Api.{func.attr}", SDK_ENDPOINTS[name], "swagger_client"
                )
            return None
        if not isinstance(func.value, ast.Attribute):
            return None
        namespace = func.value.attr
        owner = self._kind(func.value.value)
        name = f"{namespace}.{func.attr}"
        if owner == "klaviyo-client" or (owner is None and "klaviyo" in self.imported):
            posted = any(
                k.arg == "method"
                and isinstance(k.value, ast.Constant)
                and str(k.value.value).lower() == "post"
                for k in node.keywords
            )
            full = f"{name}(method='post')" if posted else name
            entry = KLAVIYO_ENDPOINTS.get(full) or KLAVIYO_ENDPOINTS.get(name)
            if entry is not None:
                return self._named(full if full in KLAVIYO_ENDPOINTS else name, entry, "klaviyo")
        sdk = owner == "sdk-client" or (owner is None and "klaviyo_sdk" in self.imported)
        if sdk and name in SDK_ENDPOINTS:
            return self._named(name, SDK_ENDPOINTS[name], "klaviyo_sdk")
        return None

    @staticmethod
    def _named(legacy: str, entry: LegacyEndpoint, way: str) -> Finding:
        return _joined("legacy-call", legacy, [entry], way)

    # strings
    def visit_Expr(self, node: ast.Expr) -> None:
        # A bare string statement is a docstring or a note, never a request.
        if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            self.visit(node.value)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self._report(node, node.value, None)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._strings_in(node, None)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        text = self._string(node)
        if text is None:
            self.generic_visit(node)
        else:
            self._report(node, text, None)

    def _strings_in(self, node: ast.expr, method: Optional[str]) -> None:
        text = self._string(node)
        if text is None:
            self.visit(node)
        else:
            self._report(node, text, method)

    def _report(self, node: ast.expr, text: str, method: Optional[str]) -> None:
        finding = _url_finding(text, "python-url", method, self.loose)
        if finding is not None:
            self._add(node, finding)
        for _, key in _keys(text):
            self._add(node, key)

    def _string(self, node: ast.expr) -> Optional[str]:
        """The text of a string expression, each part not known here a hole (``\\x00``);
        ``None`` when no part of it is a string literal."""
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            return "".join(
                v.value
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
                else self._known(v.value)
                if isinstance(v, ast.FormattedValue)
                else "\x00"
                for v in node.values
            )
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._string(node.left), self._string(node.right)
            if left is None and right is None:
                return None
            return (left if left is not None else self._known(node.left)) + (
                right if right is not None else self._known(node.right)
            )
        return None

    def _known(self, node: ast.expr) -> str:
        dotted = _dotted(node)
        return self.strings.get(dotted, "\x00") if dotted else "\x00"


_HTTP_METHODS = frozenset({"get", "post", "put", "delete", "patch", "request"})


def _scan_python(text: str) -> tuple[list[Finding], Optional[str]]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError) as error:
        where = getattr(error, "lineno", None)
        reason = f"not parsed as Python ({type(error).__name__}"
        reason += f" at line {where}" if where else ""
        return _scan_other(text, "hash"), reason + "): scanned as text"
    scan = _PythonScan(text.splitlines(), "klaviyo" in text.lower())
    scan.visit(tree)
    return scan.found, None


# --- other languages, as text ---------------------------------------------------------------

_STRINGS = r"\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`"
_COMMENTS: Mapping[str, re.Pattern[str]] = {
    "c": re.compile(rf"({_STRINGS})|(//[^\n]*|/\*.*?\*/)", re.S),
    "php": re.compile(rf"({_STRINGS})|(//[^\n]*|#[^\n]*|/\*.*?\*/)", re.S),
    "hash": re.compile(rf"({_STRINGS})|((?:(?<=\s)|(?<=^))#[^\n]*)", re.S | re.M),
}


def strip_comments(text: str, language: str) -> str:
    """``text`` with its comments blanked (newlines kept, so lines and columns stay)."""

    def blank(hit: re.Match[str]) -> str:
        if hit.group(1) is not None:
            return hit.group(1)
        return re.sub(r"[^\n]", " ", hit.group(2))

    return _COMMENTS[language].sub(blank, text)


#: A legacy URL or path as text, with a concatenation that carries on after its string:
#: ``"…/list/" + listId + "/subscribe"`` (``+``, PHP's ``.``), or ends in an expression.
_TEXT_URL = re.compile(
    r"(?:https?://)?(?:a\.)?klaviyo\.com/api/[^\s\"'`<>)\\]*|/api/v[12]/[^\s\"'`<>)\\]*"
)
_CARRY = re.compile(r"[\"'`]\s*[+.]\s*[^\"'`;\n]{1,80}?\s*[+.]\s*[\"'`]([^\s\"'`<>)\\]*)")
_TAIL = re.compile(r"[\"'`]\s*[+.]\s*[\w$.\[\]()>-]+")
_CALLED = re.compile(r"\.(get|post|put|delete)\s*\(\s*[\"'`]$", re.I)
_SHELL_METHOD = re.compile(r"(?:-X|--request)\s*['\"]?([A-Za-z]+)")


def _scan_other(text: str, language: str) -> list[Finding]:
    code = strip_comments(text, language)
    way = "other-url"
    found: list[tuple[int, Finding]] = []
    for hit in _TEXT_URL.finditer(code):
        url, end = hit.group(), hit.end()
        while carry := _CARRY.match(code, end):
            url, end = url + "\x00" + carry.group(1), carry.end()
        if _TAIL.match(code, end):
            url += "\x00"
        line_start = code.rfind("\n", 0, hit.start()) + 1
        line_end = code.find("\n", hit.start())
        line = code[line_start : line_end if line_end >= 0 else None]
        method = _SHELL_METHOD.search(line) or _CALLED.search(code, line_start, hit.start())
        finding = _url_finding(url, way, method.group(1) if method else None)
        if finding is not None:
            found.append((hit.start(), finding))
    for pattern in OTHER_IMPORTS.get(language, ()):
        for hit in pattern.finditer(code):
            legacy = f"retired client {hit.group(1)}"
            found.append(
                (hit.start(), Finding("", 0, 0, "legacy-import", legacy, way_in=WAY_IN[way]))
            )
    found += _keys(code)
    return [_placed(code, offset, finding) for offset, finding in found]


def _placed(text: str, offset: int, finding: Finding) -> Finding:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return attrs.evolve(finding, line=line, column=column)


# --- files ----------------------------------------------------------------------------------

#: A file holds nothing to find unless it says one of these.
_MARKERS = re.compile(r"klaviyo|/api/v[12]/|pk_|swagger_client", re.I)


def scan_text(path: str, text: str) -> tuple[list[Finding], Optional[str]]:
    """The findings of one file's text (its language by its suffix), each with ``path``, and
    why the file was not read as its language (a syntax error), if it was not. Pure."""
    language = LANGUAGES.get(os.path.splitext(path)[1].lower())
    if language is None or not _MARKERS.search(text):
        return [], None
    if language == "python":
        found, reason = _scan_python(text)
    else:
        found, reason = _scan_other(text, language), None
    found = sorted({attrs.evolve(f, path=path) for f in found}, key=_order)
    return found, reason


def _order(finding: Finding) -> tuple[str, int, int, str, str]:
    return (finding.path, finding.line, finding.column, finding.rule, finding.legacy)


def _files(paths: Sequence[str], problems: list[Problem]) -> Iterator[str]:
    for top in paths:
        if os.path.isfile(top):
            yield top
            continue
        if not os.path.isdir(top):
            problems.append(Problem(top, "no such file or directory"))
            continue
        for folder, dirs, names in os.walk(
            top, onerror=lambda e: problems.append(Problem(str(e.filename), e.strerror or str(e)))
        ):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(names):
                if os.path.splitext(name)[1].lower() in LANGUAGES:
                    yield os.path.join(folder, name)


def audit(paths: Sequence[str]) -> Report:
    """Scan files and directories (walked, skipping :data:`SKIP_DIRS`; only the suffixes of
    :data:`LANGUAGES`). A file that cannot be read or decoded is a :class:`Problem`, as is a
    path that does not exist; a binary file is skipped."""
    problems: list[Problem] = []
    findings: list[Finding] = []
    count = 0
    for path in _files(paths, problems):
        shown = path.replace(os.sep, "/")
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            problems.append(Problem(shown, f"unreadable: {error.strerror or error}"))
            continue
        if b"\0" in data[:8192]:
            continue
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            problems.append(Problem(shown, f"unreadable: not UTF-8 (byte {error.start})"))
            continue
        count += 1
        found, reason = scan_text(shown, text)
        findings += found
        if reason is not None:
            problems.append(Problem(shown, reason))
    return Report(tuple(sorted(findings, key=_order)), tuple(problems), count)
