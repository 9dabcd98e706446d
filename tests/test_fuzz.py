"""Fuzz: random legacy payloads become either a plan valid against the spec or a documented
exception (``TranslationError``, ``ConfigurationError``), never anything else."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klaviyo_legacy_compat import CompatClient, Plan
from klaviyo_legacy_compat._legacy_keys import PROFILE_KEYS
from klaviyo_legacy_compat.exceptions import ConfigurationError, TranslationError
from tests.conftest import NOW, PRIVATE_KEY, PUBLIC_KEY
from tests.spec import SpecValidator

SPECIAL_KEYS = [key for _, keys in PROFILE_KEYS for key in keys] + [
    "$consent",
    "$source",
    "sms_consent",
    "$event_id",
    "$value",
    "__track_once__",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        ["a@example.com", "a+b@exämple.co", "+15005550006", "+1 500 555 0006", "", "1700000000"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
keys = st.one_of(st.sampled_from(SPECIAL_KEYS), st.text(max_size=12))
legacy_dicts = st.dictionaries(keys, json_values, max_size=8)
anything = st.one_of(json_values, legacy_dicts, st.lists(legacy_dicts, max_size=3))
times = st.one_of(
    st.none(),
    st.integers(min_value=-(10**12), max_value=10**13),
    st.floats(allow_nan=True),
    st.text(max_size=25),
    st.sampled_from(["1700000000", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00"]),
)

DOCUMENTED = (TranslationError, ConfigurationError)
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def client(public_only: bool) -> CompatClient:
    keys: dict[str, Any] = (
        {"public_key": PUBLIC_KEY} if public_only else {"private_key": PRIVATE_KEY}
    )
    return CompatClient(clock=lambda: NOW, dry_run=True, **keys)


def check(spec: SpecValidator, call: Any) -> None:
    try:
        plan = call()
    except DOCUMENTED:
        return
    assert isinstance(plan, Plan)
    for request in plan.to_dict()["requests"]:
        spec.assert_valid(request)


@FUZZ
@given(
    event=st.one_of(st.text(max_size=140), anything),
    customer=anything,
    properties=anything,
    time=times,
    public=st.booleans(),
)
def test_track(
    spec: SpecValidator, event: Any, customer: Any, properties: Any, time: Any, public: bool
) -> None:
    check(spec, lambda: client(public).track(event, customer, properties, time))


@FUZZ
@given(
    payload=st.fixed_dictionaries(
        {},
        optional={
            "token": st.text(max_size=8),
            "event": st.text(max_size=20),
            "customer_properties": anything,
            "properties": anything,
            "time": times,
        },
    )
)
def test_track_payload(spec: SpecValidator, payload: dict[str, Any]) -> None:
    check(spec, lambda: client(False).track(payload))


@FUZZ
@given(properties=anything, public=st.booleans(), mode=st.sampled_from(["upsert", "split"]))
def test_identify(spec: SpecValidator, properties: Any, public: bool, mode: str) -> None:
    check(spec, lambda: client(public).identify(properties, identify_mode=mode))


@FUZZ
@given(
    list_id=st.one_of(st.text(max_size=8), json_values),
    profiles=st.one_of(st.lists(legacy_dicts, max_size=5), anything),
)
def test_subscribe(spec: SpecValidator, list_id: Any, profiles: Any) -> None:
    check(spec, lambda: client(False).subscribe_to_list(list_id, profiles, subscribe_chunk_size=2))


@FUZZ
@given(list_id=st.text(max_size=8), emails=anything, phones=anything)
def test_unsubscribe(spec: SpecValidator, list_id: Any, emails: Any, phones: Any) -> None:
    check(spec, lambda: client(False).unsubscribe(list_id, emails, phones))


@FUZZ
@given(email=anything)
def test_exclude(spec: SpecValidator, email: Any) -> None:
    check(spec, lambda: client(False).exclude_email(email))
