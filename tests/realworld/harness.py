"""Runs one row of the real-world table live against a fresh LocalKlaviyo.

A row's ``call`` receives a :class:`Ctx` and makes the legacy call the way its project wrote
it, on one of the ways in:

- ``ctx.k3`` — ``klaviyo`` 3.1.7 (``Klaviyo(public_token=, private_token=)``), and
  ``ctx.klaviyo(...)`` for a ``Klaviyo`` built the way the project built it (2.x code calls
  the flat methods on it: ``client.metric_timeline(...)``);
- ``ctx.sdk()`` — ``klaviyo-sdk`` 1.0.9 (``Client(api_key)``);
- ``ctx.session`` — raw HTTP on a ``requests.Session`` with the legacy adapter mounted;
  ``ctx.module_requests()`` — module-level ``requests`` calls, routed by
  ``klaviyo_legacy_compat.install(http=True)``;
- ``ctx.fetch(...)`` — raw HTTP over a socket through the gateway (code in other languages).

Then the harness checks what the call returned against the legacy return value the row
expects (:func:`match`), and the account's state against the row's store checks. When a row
expects the shim to warn about a normalisation, the same call is first run in dry-run and the
plan's warnings are searched for the expected words.
"""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Callable, Optional

import attrs
import requests
import requests.adapters
import requests.api

import klaviyo_legacy_compat
from klaviyo_legacy_compat import CompatClient, KlaviyoAPIResponse, Plan
from klaviyo_legacy_compat.legacy_http import mount, serve
from klaviyo_legacy_compat.sdk import Client as SdkClient
from klaviyo_legacy_compat.testing import LocalKlaviyo
from klaviyo_legacy_compat.testing._store import Store
from klaviyo_legacy_compat.testing._store_records import Profile

#: The legacy base URL the projects' code used.
LEGACY = "https://a.klaviyo.com/api"

#: What a dry-run stands in for an id only the live account knows.
DRY_ID = "DrYrUn"

#: Options every row's client runs with: a row must fail fast, not wait out a retry budget.
_QUICK: dict[str, Any] = {"retry_budget": 5.0, "max_attempts": 2}

#: Module-level ``requests`` attributes ``install(http=True)`` may replace; restored after.
_REQUESTS_NAMES = ("request", "get", "post", "put", "patch", "delete", "head", "options")


# --- the ways in ---------------------------------------------------------------------------


@attrs.frozen
class Answer:
    """What the gateway answered over the socket."""

    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


@attrs.define
class Seed:
    """Puts what a row needs into the account before the call (never through the shim's
    legacy surfaces, except ``event``, which records an event as the core ``track`` does)."""

    server: LocalKlaviyo

    @property
    def store(self) -> Store:
        return self.server.store

    def list(self, name: str = "Newsletter", opt_in: str = "single_opt_in") -> str:
        return self.store.create_list(name, opt_in)

    def profile(self, **attributes: Any) -> str:
        return self.store.add_profile(**attributes)

    def member(self, list_id: str, email: str, **attributes: Any) -> str:
        profile_id = self.profile(email=email, **attributes)
        self.store.add_member(list_id, profile_id)
        return profile_id

    def event(
        self,
        email: str,
        metric: str,
        properties: Mapping[str, Any],
        time: int,
    ) -> None:
        client = CompatClient(
            base_url=self.server.base_url,
            private_key=self.server.private_key,
            environment_keys=False,
            **_QUICK,
        )
        try:
            client.track(metric, {"$email": email}, dict(properties), time=time)
        finally:
            client.close()


class _Gateway:
    """The WSGI gateway on a free port, in a thread, for one context."""

    def __init__(self, client: CompatClient) -> None:
        self._server = serve(port=0, client=client)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}/api"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@attrs.define
class Ctx:
    """What a row's call runs with. ``dry_run`` contexts build every client in dry-run."""

    server: LocalKlaviyo
    client: CompatClient
    ids: Mapping[str, str]
    options: Mapping[str, Any]
    dry_run: bool
    _session: Optional[requests.Session] = None
    _gateway: Optional[_Gateway] = None

    @property
    def private_key(self) -> str:
        return self.server.private_key

    @property
    def public_key(self) -> str:
        return self.server.public_key

    def id(self, name: str) -> str:
        """An id the row's setup made (a list, a profile)."""
        return self.ids[name]

    # klaviyo 3.1.7 / 2.x
    @property
    def k3(self) -> Any:
        return klaviyo_legacy_compat.Klaviyo(
            public_token=self.public_key, private_token=self.private_key, client=self.client
        )

    def klaviyo(self, **tokens: Any) -> Any:
        """``Klaviyo(...)`` built as the project built it (``private_token=`` only, ...)."""
        return klaviyo_legacy_compat.Klaviyo(client=self.client, **tokens)

    # klaviyo-sdk 1.0.9
    def sdk(self, **kwargs: Any) -> Any:
        return SdkClient(self.private_key, client=self.client, **kwargs)

    # raw HTTP, Python
    @property
    def session(self) -> Any:
        # Any: rows pass what the projects passed (a ``None`` param, bytes), not what the
        # type stubs allow.
        if self._session is None:
            self._session = requests.Session()
            mount(self._session, self.client)
        return self._session

    @contextlib.contextmanager
    def module_requests(self) -> Iterator[None]:
        """Module-level ``requests.get(...)`` calls, routed by ``install(http=True)`` to the
        default client (configured here with this row's base URL and options)."""
        saved = {name: getattr(requests, name) for name in _REQUESTS_NAMES}
        saved_api = {name: getattr(requests.api, name) for name in _REQUESTS_NAMES}
        saved_send = requests.Session.send
        configured = {"base_url": self.server.base_url, **_QUICK, **self.options}
        klaviyo_legacy_compat.configure(**configured)
        try:
            install: Any = klaviyo_legacy_compat.install
            install(http=True)
            try:
                yield
            finally:
                klaviyo_legacy_compat.uninstall()
        finally:
            for name, value in saved.items():
                setattr(requests, name, value)
            for name, value in saved_api.items():
                setattr(requests.api, name, value)
            requests.Session.send = saved_send  # type: ignore[method-assign]
            klaviyo_legacy_compat.configure(**dict.fromkeys(configured))

    # raw HTTP, any language: the gateway over a socket
    def fetch(
        self,
        method: str,
        target: str,
        body: bytes = b"",
        headers: Optional[Mapping[str, str]] = None,
    ) -> Answer:
        """Send ``method target`` (a path under ``/api`` with its query, as written) to the
        gateway; the raw URL is passed as is, so unescaped ``+``, ``/`` and ``=`` arrive
        unescaped."""
        if self._gateway is None:
            self._gateway = _Gateway(self.client)
        request = urllib.request.Request(
            self._gateway.url + target,
            data=body or None,
            method=method,
            headers=dict(headers or {}),
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Answer(
                    response.status, response.headers.get("Content-Type", ""), response.read()
                )
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.headers.get("Content-Type", ""), error.read())

    def metric_id(self, name: str) -> str:
        """The id of the metric called ``name``, as the projects found it: from the legacy
        metrics list (``GET /api/v1/metrics``). In dry-run, a stand-in."""
        if self.dry_run:
            return DRY_ID
        answer = self.session.get(f"{LEGACY}/v1/metrics", params={"api_key": self.private_key})
        if answer.status_code != 200:
            raise AssertionError(
                f"GET /api/v1/metrics answered {answer.status_code}: {answer.text[:200]}"
            )
        for metric in answer.json().get("data", []):
            if metric.get("name") == name:
                return str(metric["id"])
        raise AssertionError(f"GET /api/v1/metrics lists no metric {name!r}: {answer.text[:200]}")

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
        if self._gateway is not None:
            self._gateway.close()
        self.client.close()


# --- expected return values ----------------------------------------------------------------


class Matcher:
    """An expectation that is not a plain value."""

    def problems(self, actual: Any, path: str) -> list[str]:
        raise NotImplementedError


@attrs.frozen
class _Present(Matcher):
    def problems(self, actual: Any, path: str) -> list[str]:
        return []

    def __repr__(self) -> str:
        return "ANY"


#: Any value (the key must be there).
ANY = _Present()


class _Absent(Matcher):
    """Marks a key that must not be in a dict (checked by the dict rule)."""

    def problems(self, actual: Any, path: str) -> list[str]:
        return [f"{path}: must be absent, got {actual!r}"]

    def __repr__(self) -> str:
        return "ABSENT"


#: The key must not be present.
ABSENT = _Absent()


@attrs.frozen
class OneOf(Matcher):
    """One of the given expectations."""

    options: tuple[Any, ...]

    def problems(self, actual: Any, path: str) -> list[str]:
        if any(not match(actual, option, path) for option in self.options):
            return []
        return [f"{path}: expected one of {self.options!r}, got {actual!r}"]


@attrs.frozen
class Text(Matcher):
    """A string containing ``part``."""

    part: str

    def problems(self, actual: Any, path: str) -> list[str]:
        if isinstance(actual, str) and self.part in actual:
            return []
        return [f"{path}: expected a string containing {self.part!r}, got {actual!r}"]


@attrs.frozen
class Includes(Matcher):
    """A list with at least one element matching ``item``."""

    item: Any

    def problems(self, actual: Any, path: str) -> list[str]:
        if not isinstance(actual, (list, tuple)):
            return [f"{path}: expected a list, got {actual!r}"]
        if any(not match(element, self.item, path) for element in actual):
            return []
        return [f"{path}: no element matches {self.item!r}; got {_short(actual)}"]


@attrs.frozen
class Each(Matcher):
    """A non-empty list whose elements all match ``item``."""

    item: Any

    def problems(self, actual: Any, path: str) -> list[str]:
        if not isinstance(actual, (list, tuple)) or not actual:
            return [f"{path}: expected a non-empty list, got {_short(actual)}"]
        out: list[str] = []
        for i, element in enumerate(actual):
            out += match(element, self.item, f"{path}[{i}]")
        return out


@attrs.frozen
class K3(Matcher):
    """A ``klaviyo`` 3.1.7 ``KlaviyoAPIResponse(status_code, data)``."""

    status_code: int
    data: Any

    def problems(self, actual: Any, path: str) -> list[str]:
        if not isinstance(actual, KlaviyoAPIResponse):
            return [f"{path}: expected a KlaviyoAPIResponse, got {_short(actual)}"]
        return match(actual.status_code, self.status_code, f"{path}.status_code") + match(
            actual.data, self.data, f"{path}.data"
        )


@attrs.frozen
class HTTP(Matcher):
    """A raw legacy HTTP answer (a ``requests.Response`` or a gateway :class:`Answer`):
    its status and its JSON body, or its text."""

    status: int
    json: Any = attrs.field(default=ABSENT)
    text: Any = attrs.field(default=ABSENT)

    def problems(self, actual: Any, path: str) -> list[str]:
        if isinstance(actual, requests.Response):
            status, body = actual.status_code, actual.content
        elif isinstance(actual, Answer):
            status, body = actual.status, actual.body
        else:
            return [f"{path}: expected an HTTP answer, got {_short(actual)}"]
        text = body.decode("utf-8", "replace")
        if status != self.status:
            return [f"{path}: HTTP {status} (expected {self.status}): {text[:300]}"]
        out: list[str] = []
        if self.text is not ABSENT:
            out += match(text, self.text, f"{path}.text")
        if self.json is not ABSENT:
            try:
                parsed = json.loads(body)
            except ValueError:
                return [f"{path}: expected a JSON body, got {text[:300]!r}"]
            out += match(parsed, self.json, f"{path}.json")
        return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 300 else text[:300] + "…"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def match(actual: Any, expected: Any, path: str = "result") -> list[str]:
    """The ways ``actual`` differs from ``expected`` (empty when it matches). A dict matches
    the keys it names (others may be there too); a list matches element by element; a number
    matches an equal int or float; anything else must be equal and of the same type."""
    if isinstance(expected, Matcher):
        return expected.problems(actual, path)
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{path}: expected an object, got {_short(actual)}"]
        out: list[str] = []
        for key, want in expected.items():
            if want is ABSENT:
                if key in actual:
                    out.append(f"{path}[{key!r}]: must be absent, got {_short(actual[key])}")
            elif key not in actual:
                out.append(f"{path}: no key {key!r} in {_short(actual)}")
            else:
                out += match(actual[key], want, f"{path}[{key!r}]")
        return out
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, (list, tuple)) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} element(s), got {_short(actual)}"]
        out = []
        for i, (got, want) in enumerate(zip(actual, expected)):
            out += match(got, want, f"{path}[{i}]")
        return out
    if _number(expected) and _number(actual):
        return [] if actual == expected else [f"{path}: expected {expected!r}, got {actual!r}"]
    if type(actual) is type(expected) and actual == expected:
        return []
    return [f"{path}: expected {expected!r}, got {_short(actual)}"]


# --- the account's state afterwards --------------------------------------------------------


class Check:
    """A statement about the account after the call."""

    def problems(self, store: Store, ids: Mapping[str, str]) -> list[str]:
        raise NotImplementedError


def _profile(store: Store, email: str) -> Optional[Profile]:
    return store.profile_by_email(email)


def _dig(attributes: Mapping[str, Any], dotted: str) -> Any:
    value: Any = attributes
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return ABSENT
        value = value[part]
    return value


@attrs.frozen
class EventStored(Check):
    """``count`` event(s) of ``metric`` for ``email``; the first has ``value``,
    ``unique_id``, ``time`` (ISO, UTC) and the ``properties`` given (when given)."""

    email: str
    metric: str
    value: Any = ABSENT
    unique_id: Any = ABSENT
    time: Any = ABSENT
    properties: Mapping[str, Any] = attrs.field(factory=dict)
    count: int = 1

    def problems(self, store: Store, ids: Mapping[str, str]) -> list[str]:
        events = [e for e in store.events_for(self.email) if e.metric == self.metric]
        where = f"events {self.metric!r} of {self.email}"
        if len(events) != self.count:
            stored = [(e.metric, _profile_email(store, e.profile_id)) for e in store.events]
            return [f"{where}: {len(events)} stored (expected {self.count}); all: {stored}"]
        if not events:
            return []
        event = events[0]
        out: list[str] = []
        if self.value is not ABSENT:
            out += match(event.value, self.value, f"{where}.value")
        if self.unique_id is not ABSENT:
            out += match(event.unique_id, self.unique_id, f"{where}.unique_id")
        if self.time is not ABSENT:
            out += match(event.time, self.time, f"{where}.time")
        out += match(event.properties, dict(self.properties), f"{where}.properties")
        return out


def _profile_email(store: Store, profile_id: str) -> Optional[str]:
    found = store.profile(profile_id)
    return found.email if found is not None else None


@attrs.frozen
class ProfileHas(Check):
    """The profile of ``email`` has these ``attributes`` (dotted paths into the attribute
    block, ``location.city``) and custom ``properties``; ``absent`` attributes are unset."""

    email: str
    attributes: Mapping[str, Any] = attrs.field(factory=dict)
    properties: Mapping[str, Any] = attrs.field(factory=dict)
    absent: tuple[str, ...] = ()

    def problems(self, store: Store, ids: Mapping[str, str]) -> list[str]:
        profile = _profile(store, self.email)
        if profile is None:
            return [f"no profile for {self.email}"]
        out: list[str] = []
        for dotted, want in self.attributes.items():
            got = _dig(profile.attributes, dotted)
            if got is ABSENT:
                out.append(f"profile {self.email}: no {dotted} in {_short(profile.attributes)}")
            else:
                out += match(got, want, f"profile {self.email}.{dotted}")
        out += match(profile.properties, dict(self.properties), f"profile {self.email}.properties")
        for dotted in self.absent:
            got = _dig(profile.attributes, dotted)
            if got is not ABSENT and got is not None:
                out.append(f"profile {self.email}: {dotted} should be unset, got {got!r}")
        return out


@attrs.frozen
class Kept(Check):
    """An identifier value the shim could not normalise is kept on the profile of ``email``
    as a custom property (under any name), not as the identifier."""

    email: str
    value: str
    identifier: str = "phone_number"

    def problems(self, store: Store, ids: Mapping[str, str]) -> list[str]:
        profile = _profile(store, self.email)
        if profile is None:
            return [f"no profile for {self.email}"]
        out: list[str] = []
        if profile.attributes.get(self.identifier) == self.value:
            out.append(f"profile {self.email}: {self.identifier} is the raw {self.value!r}")
        if self.value not in profile.properties.values():
            out.append(
                f"profile {self.email}: {self.value!r} is not kept as a custom property; "
                f"properties {_short(profile.properties)}"
            )
        return out


@attrs.frozen
class Member(Check):
    """``email`` is (``member=True``) or is not on the list the setup named ``list_key``."""

    list_key: str
    email: str
    member: bool = True

    def problems(self, store: Store, ids: Mapping[str, str]) -> list[str]:
        profile = _profile(store, self.email)
        members = store.list_members(ids[self.list_key])
        on = profile is not None and profile.id in members
        if on == self.member:
            return []
        return [f"{self.email} {'is not' if self.member else 'is'} on list {self.list_key!r}"]


@attrs.frozen
class PendingOptIn(Check):
    """``email`` awaits a double opt-in confirmation for the list ``list_key``."""

    list_key: str
    email: str

    def problems(self, store: Store, ids: Mapping[str, str]) -> list[str]:
        profile = _profile(store, self.email)
        pending = store.pending_double_opt_in(ids[self.list_key])
        if profile is not None and profile.id in pending:
            return []
        return [f"{self.email} is not awaiting a double opt-in on {self.list_key!r}"]


@attrs.frozen
class Consent(Check):
    """The marketing consent of ``email`` on ``channel`` (``email`` or ``sms``)."""

    email: str
    channel: str
    state: str

    def problems(self, store: Store, ids: Mapping[str, str]) -> list[str]:
        profile = _profile(store, self.email)
        if profile is None:
            return [f"no profile for {self.email}"]
        got = profile.email_consent if self.channel == "email" else profile.sms_consent
        if got == self.state:
            return []
        return [f"{self.email}: {self.channel} consent {got}, expected {self.state}"]


@attrs.frozen
class Holds(Check):
    """The account holds an object named ``name`` in its ``collection`` (``templates``,
    ``campaigns``): for the kinds of object the local Klaviyo may not model yet."""

    collection: str
    name: str

    def problems(self, store: Store, ids: Mapping[str, str]) -> list[str]:
        found = getattr(store, self.collection, None)
        if found is None:
            return [f"the local Klaviyo's store keeps no {self.collection}"]
        items = found.values() if isinstance(found, Mapping) else found
        names = [_name_of(item) for item in items]
        if self.name in names:
            return []
        return [f"no {self.collection[:-1]} named {self.name!r} in the account: {names}"]


def _name_of(item: Any) -> Any:
    if isinstance(item, Mapping):
        return item.get("name", _dig(item, "attributes.name"))
    name = getattr(item, "name", None)
    if name is None and isinstance(getattr(item, "attributes", None), Mapping):
        name = item.attributes.get("name")
    return name


# --- a row, and running it -----------------------------------------------------------------


@attrs.frozen
class Row:
    """One legacy call shape, as a real project wrote it.

    ``source`` cites where (``owner/repo path:line``, or an issue thread); ``quirk`` says in
    one line what is loose about the call; ``call`` makes it; ``returns`` is the legacy return
    value; ``store`` the checks on the account afterwards; ``warns`` words the plan's
    warnings must contain (one warning per entry, case-insensitive) where the shim had to
    normalise something; ``setup`` seeds the account and names ids for the call; ``options``
    are the client options the row runs with (``default_phone_region``)."""

    id: str
    source: str
    surface: str
    quirk: str
    call: Callable[[Ctx], Any]
    returns: Any
    store: tuple[Check, ...] = ()
    warns: tuple[str, ...] = ()
    setup: Optional[Callable[[Seed], Mapping[str, str]]] = None
    options: Mapping[str, Any] = attrs.field(factory=dict)


@contextlib.contextmanager
def _context(
    server: LocalKlaviyo, row: Row, ids: Mapping[str, str], *, dry_run: bool
) -> Iterator[Ctx]:
    client = CompatClient(
        base_url=server.base_url,
        environment_keys=False,
        dry_run=dry_run,
        **_QUICK,
        **row.options,
    )
    ctx = Ctx(server, client, ids, row.options, dry_run)
    try:
        yield ctx
    finally:
        ctx.close()


def warnings_of(result: Any) -> Optional[list[str]]:
    """The plan warnings in what a dry-run call returned (a ``Plan``, or a raw HTTP answer
    carrying the plan as JSON); several results (a tuple) are searched together. ``None``
    when nothing returned is a plan."""
    results = result if isinstance(result, (tuple, list)) else (result,)
    found: Optional[list[str]] = None
    for item in results:
        warnings: Optional[Sequence[str]] = None
        if isinstance(item, Plan):
            warnings = item.warnings
        elif isinstance(item, (requests.Response, Answer)):
            try:
                body = item.json()
            except ValueError:
                body = None
            if isinstance(body, Mapping) and isinstance(body.get("warnings"), list):
                warnings = body["warnings"]
        if warnings is not None:
            found = [*(found or []), *warnings]
    return found


def _raised(error: BaseException, during: str) -> str:
    return f"{during} raised {type(error).__name__}: {error}"


@contextlib.contextmanager
def _loopback_only() -> Iterator[None]:
    """Tests never reach the internet: any request a row lets through to a host other than
    this machine (a module-level ``requests`` call that nothing routed, say) fails instead."""
    original = requests.adapters.HTTPAdapter.send

    def send(self: Any, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        host = urllib.parse.urlsplit(request.url or "").hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise AssertionError(f"{request.method} {request.url} would leave this machine")
        return original(self, request, *args, **kwargs)

    requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        requests.adapters.HTTPAdapter.send = original  # type: ignore[method-assign]


def run(row: Row) -> list[str]:
    """Run ``row`` on a fresh local Klaviyo; the problems found (empty: the row passes)."""
    with _loopback_only(), LocalKlaviyo(enforce_rate_limits=False) as server:
        ids = dict(row.setup(Seed(server))) if row.setup is not None else {}
        problems: list[str] = []
        if row.warns:
            problems += _check_warnings(server, row, ids)
        try:
            with _context(server, row, ids, dry_run=False) as ctx:
                result = row.call(ctx)
        except Exception as error:  # the row's failure, reported, not raised
            return [*problems, _raised(error, "the call")]
        expected = row.returns(ids) if callable(row.returns) else row.returns
        problems += match(result, expected)
        for check in row.store:
            problems += check.problems(server.store, ids)
        return problems


def _check_warnings(server: LocalKlaviyo, row: Row, ids: Mapping[str, str]) -> list[str]:
    try:
        # Nothing is sent in dry-run: the ids the setup made serve as they are.
        with _context(server, row, ids, dry_run=True) as ctx:
            result = row.call(ctx)
    except Exception as error:
        return [_raised(error, "the dry-run")]
    warnings = warnings_of(result)
    if warnings is None:
        return [f"the dry-run returned no plan: {_short(result)}"]
    lowered = [warning.lower() for warning in warnings]
    return [
        f"no plan warning mentions {word!r}; warnings: {warnings}"
        for word in row.warns
        if not any(word.lower() in warning for warning in lowered)
    ]
