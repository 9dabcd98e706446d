"""``eject``: native code for the new API, generated from the plan of a legacy call.

The shim's dry-run :class:`~klaviyo_legacy_compat._core.plan.Plan` says which requests a
legacy call becomes; :func:`eject_code` writes them out as a standalone Python script using
``requests`` (``style="requests"``) or the official ``klaviyo-api`` SDK (``style="sdk"``),
with the plan's behaviour differences and warnings as comments. Requests whose content a
lookup decides (the unsubscribe job holds only list members, the suppression job only
emails not yet suppressed) become the lookup, the extraction and the filtered request as
code, not the dry-run's values. The key is read from ``KLAVIYO_PRIVATE_API_KEY`` and the
host from ``KLAVIYO_BASE_URL``: no key ever appears in the generated code.

Pure: no I/O, the plan in, source text out.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any, Optional

import attrs

from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.models import PlannedRequest
from klaviyo_legacy_compat._core.plan import Plan

__all__ = ["SDK_GROUPS", "STYLES", "eject_code"]

#: The output styles: plain ``requests``, or the official ``klaviyo-api`` SDK.
STYLES = ("requests", "sdk")

#: operationId → the ``KlaviyoAPI`` attribute that carries it (the SDK names its methods
#: by the spec's operationIds and groups them by the spec's first tag). Only server-side
#: operations: the SDK's ``KlaviyoAPI`` has no client (``/client/...``) endpoints.
SDK_GROUPS: Mapping[str, str] = {
    "create_event": "Events",
    "create_or_update_profile": "Profiles",
    "create_profile": "Profiles",
    "update_profile": "Profiles",
    "get_profiles": "Profiles",
    "bulk_subscribe_profiles": "Profiles",
    "bulk_unsubscribe_profiles": "Profiles",
    "bulk_suppress_profiles": "Profiles",
    "bulk_import_profiles": "Profiles",
    "get_list": "Lists",
    "get_profiles_for_list": "Lists",
    "add_profiles_to_list": "Lists",
    "remove_profiles_from_list": "Lists",
}

#: The SDK's keyword for a query parameter (its generator's snake_case of the name).
_SDK_PARAMS: Mapping[str, str] = {
    "filter": "filter",
    "fields[profile]": "fields_profile",
    "fields[list]": "fields_list",
    "additional-fields[profile]": "additional_fields_profile",
    "page[size]": "page_size",
}

#: Lookups whose answer a later request of the same plan depends on: operation → (the
#: variable the generated code collects into, what it collects).
_LOOKUPS: Mapping[str, tuple[str, str]] = {
    # subscriptions.py, _members_of: which identifiers are on the list.
    "get_profiles_for_list": ("on_list", "identifiers"),
}

#: The width of the generated code: ruff format's and black's default.
_WIDTH = 88

#: What every use of an operation differs in from the legacy call it replaces, written above
#: the request (the plan's own warnings are written at the top). new-api.md and
#: legacy-surface.md are the sources.
_DIFFERENCES: Mapping[str, str] = {
    "create_event": (
        "legacy track answered 1 (0 for a payload it could not read) and accepted anything; "
        "POST /api/events validates the payload and answers 202 with an empty body, so a bad "
        "event is a 4xx here. Klaviyo drops a second event with the same unique_id: keep it "
        "stable across retries of one event."
    ),
    "create_client_event": (
        "legacy track answered 1; POST /client/events answers 202 and never changes the "
        "identifiers of an existing profile (a public key only)."
    ),
    "create_or_update_profile": (
        "the legacy call merged the properties into the profile (identify answered 1); "
        "POST /api/profile-import upserts by identifier and answers 200 or 201 with the "
        "profile. An email and a phone_number that belong to two different profiles answer "
        "409 (legacy merged them silently)."
    ),
    "create_client_profile": (
        "legacy identify answered 1; POST /client/profiles answers 202 and never changes the "
        "identifiers of an existing profile (a public key only)."
    ),
    "bulk_subscribe_profiles": (
        "legacy subscribe answered the members at once; the job is asynchronous (202, no "
        "body), at most 1000 profiles a job, and it records marketing consent on the "
        "profile, not only list membership."
    ),
    "bulk_unsubscribe_profiles": (
        "the job records an UNSUBSCRIBED marketing consent on each profile (all lists), "
        "where legacy only removed them from this list: so it is sent only for the profiles "
        "found on the list."
    ),
    "bulk_suppress_profiles": (
        "legacy answered {already_excluded, num_excluded} at once; the suppression job is "
        "asynchronous (202, no body), at most 100 emails a job."
    ),
}


@attrs.frozen
class _Style:
    name: str

    def call(
        self, request: PlannedRequest, body: Optional[str], indent: str, extra: Sequence[str] = ()
    ) -> list[str]:
        """The statements sending ``request`` (its body given as the source of an expression),
        leaving the answer in ``response``."""
        if self.name == "sdk":
            group = SDK_GROUPS[request.operation]
            args = [_flat(_path_id(request))] if "{id}" in _template(request) else []
            if body is not None:
                args.append(body)
            for key, value in _params(request).items():
                kwarg = _SDK_PARAMS[key]
                shown: Any = value
                if kwarg.startswith(("fields_", "additional_")):
                    shown = value.split(",")
                elif kwarg == "page_size":
                    shown = int(value)
                args.append(
                    f"{kwarg}={_literal(shown, len(indent) + 4, len(indent) + 5 + len(kwarg))}"
                )
            args.extend(extra)
            line = f"response = klaviyo.{group}.{request.operation}("
            return _wrap_call(line, args, indent)
        args = [_flat(request.method), f"BASE_URL + {_flat(request.path)}"]
        params = _params(request)
        if params:
            args.append(f"params={_literal(params, len(indent) + 4, len(indent) + 11)}")
        if body is not None:
            args.append(f"json={body}")
        args += ["headers=HEADERS", "timeout=TIMEOUT"]
        return [*_wrap_call("response = requests.request(", args, indent)]

    def check(self, indent: str) -> list[str]:
        # The SDK raises on a 4xx/5xx itself (after its retries of 429 and 5xx).
        return [] if self.name == "sdk" else [f"{indent}response.raise_for_status()"]

    def answer(self) -> str:
        return "_as_dict(response)" if self.name == "sdk" else "response.json()"


def _template(request: PlannedRequest) -> str:
    return endpoint(request.operation).path


def _path_id(request: PlannedRequest) -> str:
    # The one {id} of the operation's path template, read back from the concrete path.
    template = _template(request)
    head, _, tail = template.partition("{id}")
    return request.path[len(head) : len(request.path) - len(tail)]


def _params(request: PlannedRequest) -> dict[str, str]:
    return dict(request.params)


def _flat(value: Any) -> str:
    """``value`` (JSON data) as a one-line Python literal."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_flat(k)}: {_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    if isinstance(value, str):
        if '"' in value and "'" not in value and value.isprintable():
            return repr(value)  # single-quoted, as ruff format writes it
        # A JSON string literal is a valid Python one (json.dumps never writes a "\/").
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _literal(value: Any, indent: int, start: Optional[int] = None) -> str:
    """``value`` as a Python literal written from column ``start`` (``indent`` unless given)
    on a line indented by ``indent``: on one line when it fits the width, else one item a
    line (as ruff format lays data out)."""
    flat = _flat(value)
    if (
        (indent if start is None else start) + len(flat) + 1 <= _WIDTH
        or not isinstance(value, (Mapping, list, tuple))
        or not value
    ):
        return flat
    pad = " " * (indent + 4)
    if isinstance(value, Mapping):
        items = [
            f"{_flat(k)}: {_literal(v, indent + 4, indent + 6 + len(_flat(k)))}"
            for k, v in value.items()
        ]
        opening, closing = "{", "}"
    else:
        items = [_literal(v, indent + 4) for v in value]
        opening, closing = "[", "]"
    inner = "".join(f"\n{pad}{item}," for item in items)
    return f"{opening}{inner}\n{' ' * indent}{closing}"


def _wrap_call(opening: str, args: Sequence[str], indent: str) -> list[str]:
    one_line = f"{indent}{opening}{', '.join(args)})"
    if len(one_line) <= _WIDTH and "\n" not in one_line:
        return [one_line]
    inner = indent + "    "
    lines = [f"{indent}{opening}"]
    for arg in args:
        lines.append(f"{inner}{arg},")
    lines.append(f"{indent})")
    return lines


def _comment(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        width=_WIDTH,
        initial_indent=f"{indent}# ",
        subsequent_indent=f"{indent}#   ",
        break_on_hyphens=False,
    ) or [f"{indent}#"]


def _profiles_of(request: PlannedRequest) -> list[Any]:
    body: Any = request.json
    return list(body["data"]["attributes"]["profiles"]["data"])


def _identifier(profile: Any) -> tuple[str, str]:
    attributes = profile["attributes"]
    for name in ("email", "phone_number"):
        if name in attributes:
            return name, str(attributes[name])
    raise ValueError("a profile of the job has neither email nor phone_number")


#: A value only an earlier answer supplies, as a plan shows it (``_jsonapi.placeholder``): a
#: whole value, ``{{`` and a word (a template's ``{{ first_name }}`` is content).
_PLACEHOLDER = re.compile(r"\{\{[^\s{}][^{}]*\}\}")

#: The placeholder of a member's profile id, resolved by an identifier lookup.
_MEMBER = re.compile(r"\{\{profile id of (email|phone_number) (.+)\}\}")


def _placeholders(request: PlannedRequest) -> list[str]:
    """The placeholders of ``request``: whole values of its body, query or path segments."""
    found: list[str] = []

    def visit(value: Any) -> None:
        if isinstance(value, str) and _PLACEHOLDER.fullmatch(value):
            found.append(value)
        elif isinstance(value, Mapping):
            for item in value.values():
                visit(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)

    visit(request.json)
    visit(list(_params(request).values()))
    visit(request.path.split("/"))
    return found


def _looked_up(request: PlannedRequest) -> str:
    """The identifier a profile lookup filters on (``any(phone_number,[...])``), which its
    answers are matched by; else the first field it asks for."""
    params = _params(request)
    found = re.match(r"(?:any|equals)\((\w+),", params.get("filter", ""))
    return found.group(1) if found else params.get("fields[profile]", "email").split(",")[0]


def _is_suppression_lookup(request: PlannedRequest) -> bool:
    # exclusions.py, plan_exclude_email: the lookup of each email's suppression state.
    return request.operation == "get_profiles" and "subscriptions" in _params(request).get(
        "additional-fields[profile]", ""
    )


class _Writer:
    def __init__(self, plan: Plan, style: _Style) -> None:
        self.plan = plan
        self.style = style
        self.lines: list[str] = []
        self.retried = {
            r.depends_on
            for r in plan.requests
            if r.depends_on is not None and "answers 409" in (r.note or "")
        }
        #: Whether a request holds member ids the lookups find (``members``).
        self.resolves = any(
            _MEMBER.fullmatch(value) for r in plan.requests for value in _placeholders(r)
        )

    def emit(self, *lines: str) -> None:
        self.lines.extend(lines)

    def request(self, index: int, request: PlannedRequest) -> None:
        self.emit("")
        shown = f"{request.method} {request.path}"
        self.emit(*_comment(f"Request {index}: {request.operation} ({shown})."))
        if request.note:
            self.emit(*_comment(f"The shim: {request.note}."))
        if request.operation in _DIFFERENCES:
            self.emit(*_comment(f"Differs from legacy: {_DIFFERENCES[request.operation]}"))
        if request.operation in _LOOKUPS:
            self.lookup(request)
        elif _is_suppression_lookup(request):
            self.lookup(request, suppression=True)
        elif request.depends_on is not None and "answers 409" in (request.note or ""):
            self.retry(request)
        elif request.operation == "bulk_unsubscribe_profiles" and request.depends_on is not None:
            self.filtered_job(request, "on_list", keep_found=True)
        elif request.operation == "bulk_suppress_profiles" and request.depends_on is not None:
            self.filtered_job(request, "suppressed", keep_found=False)
        elif _placeholders(request):
            self.members(index, request)
        else:
            self.plain(index, request)

    def plain(self, index: int, request: PlannedRequest) -> None:
        if index in self.retried and self.style.name == "sdk":
            # The SDK raises ApiException for the 409 the retry below handles.
            body = None if request.json is None else _literal(request.json, 8, 13)
            self.emit("try:", *self.style.call(request, body, "    "))
            return
        body = None if request.json is None else _literal(request.json, 4, 9)
        self.emit(*self.style.call(request, body, ""))
        if index in self.retried:
            return  # checked after the conditional retry below
        self.emit(*self.style.check(""))
        if request.operation == "get_list":
            self.emit(
                f'opt_in_process = {self.style.answer()}["data"]["attributes"]'
                '.get("opt_in_process")',
                *_comment(
                    "double_opt_in: the profiles stay pending until they confirm by email; "
                    "the legacy answer then listed no members."
                ),
            )
        elif request.operation == "get_profiles":
            attribute = _looked_up(request)
            if not any(line.startswith("member_ids = {}") for line in self.lines):
                self.emit("member_ids = {}")
            self.emit(
                *_comment("The ids the legacy answer listed (a job accepted later may add more)."),
                "member_ids.update(",
                f'    (profile["attributes"]["{attribute}"], profile["id"])',
                f'    for profile in {self.style.answer()}["data"]',
                ")",
            )

    def members(self, index: int, request: PlannedRequest) -> None:
        """A list membership change whose profile ids the lookups before it found: each
        member's id from ``member_ids``; to add, a profile Klaviyo does not know yet is
        created first (as the shim does), to remove, it is not on the list and is left."""
        adding = request.operation == "add_profiles_to_list"
        body: Any = request.json
        items = body.get("data") if isinstance(body, Mapping) else None
        wanted: list[tuple[str, str]] = []
        for item in items if isinstance(items, list) else []:
            profile_id = item.get("id") if isinstance(item, Mapping) else None
            member = _MEMBER.fullmatch(profile_id) if isinstance(profile_id, str) else None
            if member is not None:
                wanted.append((member.group(1), member.group(2)))
            elif isinstance(profile_id, str) and not _PLACEHOLDER.fullmatch(profile_id):
                wanted.append(("id", profile_id))
        held = len(wanted) == len(items) if isinstance(items, list) else False
        if (
            request.operation not in ("add_profiles_to_list", "remove_profiles_from_list")
            or not held
            or not any(line.startswith("member_ids = {}") for line in self.lines)
        ):
            raise ValueError(
                f"request {index} ({request.operation}) needs "
                f"{', '.join(_placeholders(request))} from Klaviyo's answers, which this code "
                "cannot compute yet: keep this call on the shim"
            )
        self.emit(
            f"members = {_literal(wanted, 0, 10)}",
            "found = {key.casefold(): value for key, value in member_ids.items()}",
            "profile_ids = []",
            "for attribute, value in members:",
            '    if attribute == "id":',
            "        profile_ids.append(value)",
            "    elif value.casefold() in found:",
            "        profile_ids.append(found[value.casefold()])",
        )
        if adding:
            create = PlannedRequest(
                "POST", "/api/profile-import", "create_or_update_profile", json={}
            )
            created = '{"data": {"type": "profile", "attributes": {attribute: value}}}'
            self.emit(
                "    else:  # not in Klaviyo yet: created, then added",
                *self.style.call(create, created, "        "),
                *self.style.check("        "),
                f'        profile_ids.append({self.style.answer()}["data"]["id"])',
            )
        else:
            self.emit("    # else: not a profile Klaviyo knows, so not on the list")
        data = '{"data": [{"type": "profile", "id": profile_id} for profile_id in profile_ids]}'
        self.emit("if profile_ids:")
        self.emit(*self.style.call(request, data, "    "))
        self.emit(*self.style.check("    "))

    def retry(self, request: PlannedRequest) -> None:
        body = None if request.json is None else _literal(request.json, 8, 13)
        if self.style.name == "sdk":
            self.emit("except ApiException as error:", "    if error.status != 409:")
            self.emit("        raise")
        else:
            self.emit("if response.status_code == 409:")
        self.emit(*self.style.call(request, body, "    "))
        self.emit(*self.style.check(""))

    def lookup(self, request: PlannedRequest, *, suppression: bool = False) -> None:
        """Every page of a profile lookup, collecting what the dependent request needs."""
        name = "suppressed" if suppression else _LOOKUPS[request.operation][0]
        attribute = _looked_up(request)
        first = self.style.call(request, None, "")
        self.emit(f"{name} = set()" if not self._defined(name) else f"# (adds to {name})")
        ids = self.resolves and not suppression
        if ids and not any(line.startswith("member_ids = {}") for line in self.lines):
            self.emit("member_ids = {}")
        if self.style.name == "sdk":
            self.emit(*first, "while True:")
            self.emit("    page = _as_dict(response)")
        else:
            self.emit(*first, "while True:")
            self.emit("    response.raise_for_status()", "    page = response.json()")
        self.emit('    for profile in page["data"]:')
        self.emit(f'        value = profile["attributes"].get("{attribute}")')
        if suppression:
            self.emit(
                '        marketing = profile["attributes"]["subscriptions"]["email"]["marketing"]',
                '        if value and marketing.get("suppression"):',
                "            suppressed.add(value.lower())",
            )
        else:
            key = "value.lower()" if attribute == "email" else "value"
            self.emit("        if value:", f'            {name}.add(("{attribute}", {key}))')
            if ids:
                self.emit('            member_ids[value] = profile["id"]')
        self.emit('    next_page = (page.get("links") or {}).get("next")', "    if not next_page:")
        self.emit("        break")
        if self.style.name == "sdk":
            # The SDK takes the whole next link as page_cursor.
            self.emit(*self.style.call(request, None, "    ", ["page_cursor=next_page"]))
        else:
            self.emit(
                "    response = requests.get(next_page, headers=HEADERS, timeout=TIMEOUT)",
            )

    def _defined(self, name: str) -> bool:
        return any(line.startswith(f"{name} = set()") for line in self.lines)

    def filtered_job(self, request: PlannedRequest, found: str, *, keep_found: bool) -> None:
        """The job, holding only the profiles the lookups allow, sent when any are left."""
        profiles = _profiles_of(request)
        self.emit(f"candidates = {_literal(profiles, 0, 13)}")
        if keep_found:
            test = f'if (attribute, value.lower() if attribute == "email" else value) in {found}'
            self.emit(
                "profiles = [",
                "    profile",
                "    for profile in candidates",
                '    for attribute, value in profile["attributes"].items()',
                '    if attribute in ("email", "phone_number")',
                f"    {test}",
                "]",
            )
        else:
            self.emit(
                "profiles = [",
                "    profile",
                "    for profile in candidates",
                f'    if profile["attributes"]["email"].lower() not in {found}',
                "]",
            )
        body: Any = request.json
        shell = {
            "data": {
                **body["data"],
                "attributes": {**body["data"]["attributes"], "profiles": {"data": "PROFILES"}},
            }
        }
        literal = _literal(shell, 8, 13).replace('"PROFILES"', "profiles")
        self.emit("if profiles:")
        self.emit(*self.style.call(request, literal, "    "))
        self.emit(*self.style.check("    "))


def _describe(legacy: str) -> list[str]:
    return [f'"""Native Klaviyo API code for the legacy call {legacy}.', ""]


def eject_code(
    plan: Plan, *, legacy: str, style: str = "requests", notes: Sequence[str] = ()
) -> str:
    """Python source doing what ``plan`` does, natively. ``legacy`` names the legacy call
    (``"POST /api/v2/list/XyZ/subscribe"``) for the docstring; ``notes`` say where it was
    and what stands in for values the call's site does not spell (``eject --site``). The
    notes and the plan's warnings become comments; nothing from the plan's credentials is
    written."""
    if style not in STYLES:
        raise ValueError(f"style: one of {', '.join(STYLES)}, got {style!r}")
    if style == "sdk":
        client = [r.operation for r in plan.requests if r.operation not in SDK_GROUPS]
        if client:
            raise ValueError(
                f"style sdk: the klaviyo-api SDK has no method for {', '.join(client)} (client "
                "endpoints take a public key); use --style requests, or give a private key"
            )
    revision = plan.context.revision
    timeout = plan.context.timeout
    writer = _Writer(plan, _Style(style))
    writer.emit(*_describe(legacy))
    writer.emit(
        "Generated by `klaviyo-legacy-compat eject` from the shim's plan of that call. Set",
        "KLAVIYO_PRIVATE_API_KEY (and KLAVIYO_BASE_URL to test against another host).",
        '"""',
        "",
        "import os",
        "",
    )
    if style == "sdk":
        writer.emit(
            "from klaviyo_api import KlaviyoAPI",
            *(["from openapi_client.exceptions import ApiException"] if writer.retried else []),
            "",
            "# The SDK retries 429 and 5xx answers itself, up to max_retries times, and sends",
            f"# the API revision it was built for (the shim's plan was made for {revision}).",
            "klaviyo = KlaviyoAPI(",
            '    os.environ["KLAVIYO_PRIVATE_API_KEY"],',
            "    max_delay=60,",
            "    max_retries=3,",
            '    test_host=os.environ.get("KLAVIYO_BASE_URL", ""),',
            ")",
            "",
            "",
            "def _as_dict(answer):",
            "    return answer if isinstance(answer, dict) else answer.to_dict()",
            "",
        )
    else:
        writer.emit(
            "import requests",
            "",
            'BASE_URL = os.environ.get("KLAVIYO_BASE_URL", "https://a.klaviyo.com")',
            "HEADERS = {",
            '    "Authorization": "Klaviyo-API-Key " + os.environ["KLAVIYO_PRIVATE_API_KEY"],',
            f'    "revision": {_flat(revision)},',
            '    "Accept": "application/vnd.api+json",',
            '    "Content-Type": "application/vnd.api+json",',
            "}",
            f"TIMEOUT = {timeout if timeout is not None else 30.0!r}",
        )
    if notes:
        writer.emit("")
        writer.emit("# The legacy call this replaces:")
        for note in notes:
            writer.emit(*_comment(f"- {note}"))
    if plan.warnings:
        writer.emit("")
        writer.emit("# Behaviour differences from the legacy call:")
        for warning in plan.warnings:
            writer.emit(*_comment(f"- {warning}"))
    for index, request in enumerate(plan.requests):
        writer.request(index, request)
    source = "\n".join(writer.lines) + "\n"
    compile(source, "<eject>", "exec")  # a bug here must never print broken code
    return source
