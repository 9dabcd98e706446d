"""The legacy endpoint records (``_catalogue.CATALOGUE``) and the surfaces derived from them.

Every record is routable and is the route its own path finds; no two records of one method
can match the same path (so the route table's order decides nothing); every method a record
names exists on its surface; every method of the ``klaviyo`` 3.1.7 classes and of
``klaviyo-sdk`` that sends a legacy request sends one a record names it for.
"""

from __future__ import annotations

import re
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest

from klaviyo_legacy_compat._core.catalogue import (
    CATALOGUE,
    KLAVIYO_ENDPOINTS,
    SDK_ENDPOINTS,
    _by_name,
)
from klaviyo_legacy_compat._core.legacy_endpoint import LegacyEndpoint
from klaviyo_legacy_compat._core.wire import _BUILDERS, ROUTES, _match
from klaviyo_legacy_compat.legacy.api import Klaviyo
from klaviyo_legacy_compat.legacy.api_helper import KlaviyoAPI
from klaviyo_legacy_compat.sdk._methods import METHODS
from klaviyo_legacy_compat.sdk.wrapper import Client
from tests.conftest import PRIVATE_KEY, PUBLIC_KEY
from tests.legacy.test_seams import SERVER, WIRE, _tokens

IDS = [f"{e.method} {e.path}" for e in CATALOGUE]


def _sample(endpoint: LegacyEndpoint) -> str:
    """The endpoint's path with a made-up value in each parameter."""
    return endpoint.fill({name: f"X{i}" for i, name in enumerate(endpoint.parameters)})


def _route_of(method: str, path: str) -> LegacyEndpoint:
    """The record whose route ``method path`` takes (the routes are the records, in order)."""
    handler, _ = _match(ROUTES, method, path)
    return CATALOGUE[[route[2] for route in ROUTES].index(handler)]


@pytest.mark.parametrize("endpoint", CATALOGUE, ids=IDS)
def test_every_record_is_routed_to_itself(endpoint: LegacyEndpoint) -> None:
    assert _route_of(endpoint.method, _sample(endpoint)) is endpoint
    _, groups = _match(ROUTES, endpoint.method, _sample(endpoint))
    assert groups == {name: f"X{i}" for i, name in enumerate(endpoint.parameters)}
    if endpoint.builder is not None:  # the typed calls' builders, for the SDK classes too
        builder, _ = _match(_BUILDERS, endpoint.method, _sample(endpoint))
        assert builder is endpoint.builder


def _segments_overlap(one: str, other: str) -> bool:
    """Whether one concrete path can match both templates: as many segments, each pair equal
    or one of them a parameter."""
    first, second = one.split("/"), other.split("/")
    return len(first) == len(second) and all(
        a == b or a.startswith("{") or b.startswith("{") for a, b in zip(first, second)
    )


def test_no_two_records_of_one_method_match_the_same_path() -> None:
    clashes = [
        (a.method, a.path, b.path)
        for i, a in enumerate(CATALOGUE)
        for b in CATALOGUE[i + 1 :]
        if a.method == b.method and _segments_overlap(a.path, b.path)
    ]
    assert not clashes
    assert _segments_overlap("/api/v2/list/{list_id}", "/api/v2/list/members")
    assert not _segments_overlap("/api/v2/list/{list_id}", "/api/v2/list/{list_id}/members")


def test_a_record_is_a_template_with_a_builder_or_a_payload() -> None:
    def build(params: Any, path: Any) -> None:
        return None

    row: tuple[Any, ...] = ("/api/v1/x/{x_id}", build, (), (), {}, ())
    assert LegacyEndpoint("GET", *row).pattern == "/api/v1/x/(?P<x_id>[^/]+)"
    assert re.fullmatch(LegacyEndpoint("GET", *row).pattern, "/api/v1/x/a-b_1")
    with pytest.raises(ValueError, match="exactly one of builder and payload"):
        LegacyEndpoint("GET", "/api/track", build, (), (), {}, (), payload="track")
    with pytest.raises(ValueError, match="exactly one of builder and payload"):
        LegacyEndpoint("GET", "/api/track", None, (), (), {}, ())
    for path in ("/v1/x", "/api/v1/x.json", "/api/v1/{x_id}y", "/api/v1/x/"):
        with pytest.raises(ValueError, match="not a legacy path template"):
            LegacyEndpoint("GET", path, build, (), (), {}, ())


def test_a_method_named_by_two_records_is_refused() -> None:
    one, other = CATALOGUE[0], CATALOGUE[1]
    with pytest.raises(ValueError, match=r"Lists\.x is named by GET /api/track and POST"):
        _by_name([("Lists.x", one), ("Lists.x", other)])


def _legacy_name(name: str) -> str:
    """``Public.track(method='post')`` → ``Public.track``."""
    return name.split("(")[0]


def test_every_klaviyo_method_a_record_names_exists() -> None:
    client = Klaviyo(public_token=PUBLIC_KEY, private_token=PRIVATE_KEY)
    for name in KLAVIYO_ENDPOINTS:
        namespace, method = _legacy_name(name).split(".")
        assert callable(getattr(getattr(client, namespace), method, None)), name


def test_every_sdk_method_a_record_names_exists_with_its_row() -> None:
    client = Client(PRIVATE_KEY)
    for name in SDK_ENDPOINTS:
        namespace, method = name.split(".")
        assert callable(getattr(getattr(client, namespace), method, None)), name
    rows = {f"{spec.namespace}.{spec.name}": spec for spec in METHODS}
    assert set(rows) == set(SDK_ENDPOINTS)
    for name, spec in rows.items():
        assert spec.endpoint is SDK_ENDPOINTS[name]


@pytest.mark.parametrize(
    ("cls", "name", "args", "kwargs"),
    [row[:4] for row in WIRE],
    ids=[f"{row[0].__name__}.{row[1]}-{i}" for i, row in enumerate(WIRE)],
)
def test_every_klaviyo_method_sends_the_record_that_names_it(
    cls: type[KlaviyoAPI], name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    # WIRE holds every public method of the six classes (tests/legacy/test_seams.py).
    with mock.patch.object(KlaviyoAPI, "_request", autospec=True) as seam:
        getattr(_tokens(cls), name)(*args, **kwargs)
    (call,) = seam.call_args_list
    method, url = call.args[1].upper(), urlsplit(call.args[2])
    assert f"{url.scheme}://{url.netloc}{url.path}".startswith(SERVER)
    endpoint = _route_of(method, "/api" + url.path[len(urlsplit(SERVER).path) :])
    assert f"{cls.__name__}.{name}" in {_legacy_name(n) for n in endpoint.klaviyo}


def test_every_sdk_method_sends_the_record_that_names_it() -> None:
    client = Client(PRIVATE_KEY)
    for spec in METHODS:
        values = {name: f"X{i}" for i, name in enumerate(spec.path_parameters)}
        endpoint = _route_of(spec.http, spec.legacy_path(values))
        assert f"{spec.namespace}.{spec.name}" in endpoint.sdk
    # The namespaces hold the table's methods (and their _with_http_info twins) only.
    for namespace in {spec.namespace for spec in METHODS}:
        public = {n for n in vars(type(getattr(client, namespace))) if not n.startswith("_")}
        named = {spec.name for spec in METHODS if spec.namespace == namespace}
        assert {n.removesuffix("_with_http_info") for n in public} == named
