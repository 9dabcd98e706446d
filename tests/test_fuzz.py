"""Fuzz: legacy payloads become either a plan valid against the spec or a documented
exception (``TranslationError``, ``ConfigurationError``), never anything else.

Each strategy is built around a *valid core* (a non-empty event name, a well-formed email or
E.164 phone, a time in the allowed range, custom properties that are JSON data), which is
then either left alone or spoiled with random noise. A clean example must become a plan
whose every request validates against the spec; a spoiled one may become either a plan
(which must validate) or a documented error, raised before anything is sent. Every fuzz
test also counts its plans, so a strategy that drifts into producing only errors fails.
"""

from __future__ import annotations

import os
import string
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klaviyo_legacy_compat import CompatClient, Plan
from klaviyo_legacy_compat._core.legacy_keys import PROFILE_KEYS
from klaviyo_legacy_compat.exceptions import ConfigurationError, TranslationError
from klaviyo_legacy_compat.testing import RecordingTransport
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

# --- noise: anything at all -------------------------------------------------------------

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

# --- the valid core ---------------------------------------------------------------------

LETTERS = string.ascii_letters + string.digits
emails = st.one_of(
    st.sampled_from(["a@example.com", "ann.lee+tag@example.co.uk", " padded@example.com "]),
    st.builds(
        "{}@{}.{}".format,
        st.text(LETTERS, min_size=1, max_size=12),
        st.text(string.ascii_lowercase, min_size=1, max_size=12),
        st.sampled_from(["com", "org", "co.uk", "io"]),
    ),
)
phones = st.one_of(
    st.sampled_from(["+15005550006", "+1 500 555 0006", "+44 (20) 7946-0958"]),
    st.builds(
        "+{}{}".format,
        st.integers(min_value=1, max_value=99),
        st.text(string.digits, min_size=6, max_size=10),
    ),
)
external_ids = st.one_of(
    st.text(LETTERS, min_size=1, max_size=16), st.integers(min_value=0, max_value=2**53)
)
#: Custom property names: never a ``$``-key or a legacy alias, so they stay plain properties.
custom_keys = st.text(LETTERS + "_ ", min_size=1, max_size=12).map("p_{}".format)
custom_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**53), max_value=2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=30),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(custom_keys, children, max_size=4)
    ),
    max_leaves=8,
)
custom_properties = st.dictionaries(custom_keys, custom_values, max_size=5)

EARLIEST = datetime(1990, 1, 2, tzinfo=timezone.utc)
valid_times = st.one_of(
    st.none(),
    st.integers(min_value=int(EARLIEST.timestamp()), max_value=int(NOW.timestamp())),
    st.floats(min_value=EARLIEST.timestamp(), max_value=NOW.timestamp()),
    st.datetimes(
        min_value=EARLIEST.replace(tzinfo=None),
        max_value=(NOW + timedelta(days=300)).replace(tzinfo=None),
        timezones=st.just(timezone.utc),
    ).flatmap(lambda moment: st.sampled_from([moment, moment.isoformat()])),
)


@st.composite
def customers(draw: st.DrawFn) -> dict[str, Any]:
    """A legacy profile dict that names at least one identifier, plus custom properties."""
    profile: dict[str, Any] = dict(draw(custom_properties))
    chosen = draw(st.sets(st.sampled_from(["$email", "$phone_number", "$id"]), min_size=1))
    if "$email" in chosen:
        profile["$email"] = draw(emails)
    if "$phone_number" in chosen:
        profile["$phone_number"] = draw(phones)
    if "$id" in chosen:
        profile["$id"] = draw(external_ids)
    if draw(st.booleans()):
        profile["$first_name"] = draw(st.text(max_size=20))
    return profile


@st.composite
def event_properties(draw: st.DrawFn) -> dict[str, Any]:
    properties: dict[str, Any] = dict(draw(custom_properties))
    if draw(st.booleans()):
        properties["$value"] = draw(
            st.one_of(st.integers(-(10**6), 10**6), st.floats(-1e6, 1e6, allow_nan=False))
        )
    if draw(st.booleans()):
        properties["$event_id"] = draw(st.text(LETTERS, min_size=1, max_size=20))
    return properties


event_names = st.builds(
    "{}{}".format,
    st.sampled_from(["Viewed", "Placed Order", "Ordered Product", "Started Checkout"]),
    st.text(max_size=40),
)
list_ids = st.text(LETTERS, min_size=1, max_size=8)
v2_profiles = st.one_of(
    st.fixed_dictionaries({"email": emails}),
    st.fixed_dictionaries({"phone_number": phones}),
    st.fixed_dictionaries({"email": emails, "phone_number": phones}),
).flatmap(lambda ids: custom_properties.map(lambda custom: {**custom, **ids}))

# --- clean or spoiled -------------------------------------------------------------------

Args = dict[str, Any]
Junk = Mapping[str, Callable[[Any], st.SearchStrategy[Any]]]


def noisy(valid: st.SearchStrategy[Args], junk: Junk) -> st.SearchStrategy[tuple[bool, Args]]:
    """``(True, args)`` for valid arguments left alone, or ``(False, args)`` where any of them
    may have been replaced by (or mixed with) random noise."""

    def spoil(args: Args) -> st.SearchStrategy[tuple[bool, Args]]:
        spoiled = st.fixed_dictionaries(
            {name: st.one_of(st.just(value), junk[name](value)) for name, value in args.items()}
        )
        return spoiled.map(lambda changed: (False, changed))

    return st.one_of(valid.map(lambda args: (True, args)), valid.flatmap(spoil))


def replaced_by(noise: st.SearchStrategy[Any]) -> Callable[[Any], st.SearchStrategy[Any]]:
    return lambda _: noise


def mixed_with(noise: st.SearchStrategy[dict[Any, Any]]) -> Callable[[Any], st.SearchStrategy[Any]]:
    """A dict with random (possibly special, possibly bad) keys merged in, or plain noise."""
    return lambda value: st.one_of(
        noise.map(lambda extra: {**value, **extra}) if isinstance(value, dict) else st.nothing(),
        anything,
    )


# --- running ----------------------------------------------------------------------------

DOCUMENTED = (TranslationError, ConfigurationError)
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
#: The share of examples of each fuzz test that must become a valid plan. Clean examples
#: are about half of all, so this fails only if the strategies stop producing them.
MIN_PLAN_SHARE = 0.25
PLANS: Counter[str] = Counter()
RUNS: Counter[str] = Counter()


def client(public_only: bool, transport: Any = None) -> CompatClient:
    keys: dict[str, Any] = (
        {"public_key": PUBLIC_KEY} if public_only else {"private_key": PRIVATE_KEY}
    )
    if transport is not None:
        return CompatClient(clock=lambda: NOW, transport=transport, max_attempts=1, **keys)
    return CompatClient(clock=lambda: NOW, dry_run=True, **keys)


def check(
    spec: SpecValidator,
    name: str,
    clean: bool,
    call: Callable[[CompatClient], Any],
    public_only: bool = False,
) -> None:
    """Dry-run ``call``: a clean input must give a plan valid against the spec; any other
    input gives such a plan or a documented error, and then sends nothing when live."""
    RUNS[name] += 1
    try:
        plan = call(client(public_only))
    except DOCUMENTED as error:
        assert not clean, f"valid input refused: {error!r}"
        message = str(error)
        assert message, "a documented error must say what is wrong"
        if isinstance(error, TranslationError):
            assert message.startswith(f"{error.field}: "), message
        # Live, the same input is refused the same way before anything is sent.
        transport = RecordingTransport()
        try:
            call(client(public_only, transport))
        except DOCUMENTED as live:
            assert type(live) is type(error), (live, error)
        else:
            raise AssertionError(f"dry-run refused {error!r} but the live call went through")
        assert transport.count == 0, transport.operations()
        return
    assert isinstance(plan, Plan)
    requests = plan.to_dict()["requests"]
    if clean:
        assert requests, "a valid call must plan at least one request"
    for request in requests:
        spec.assert_valid(request)
    PLANS[name] += 1


def run(name: str, fuzz: Callable[..., None], spec: SpecValidator) -> None:
    """Run a hypothesis fuzz function and require that enough of its examples became plans."""
    PLANS[name] = RUNS[name] = 0
    fuzz(spec=spec)
    assert RUNS[name] > 0
    assert PLANS[name] >= max(1, int(RUNS[name] * MIN_PLAN_SHARE)), (
        f"{name}: only {PLANS[name]} of {RUNS[name]} examples became a valid plan"
    )


# --- the fuzz tests ---------------------------------------------------------------------


@FUZZ
@given(
    case=noisy(
        st.fixed_dictionaries(
            {
                "event": event_names,
                "customer": customers(),
                "properties": event_properties(),
                "time": valid_times,
            }
        ),
        {
            "event": replaced_by(st.one_of(st.text(max_size=140), anything)),
            "customer": mixed_with(legacy_dicts),
            "properties": mixed_with(legacy_dicts),
            "time": replaced_by(times),
        },
    ),
    public=st.booleans(),
)
def fuzz_track(spec: SpecValidator, case: tuple[bool, Args], public: bool) -> None:
    clean, args = case
    check(
        spec,
        "track",
        clean,
        lambda c: c.track(args["event"], args["customer"], args["properties"], args["time"]),
        public,
    )


def test_track(spec: SpecValidator) -> None:
    run("track", fuzz_track, spec)


@FUZZ
@given(
    case=noisy(
        st.fixed_dictionaries(
            {
                "event": event_names,
                "customer_properties": customers(),
                "properties": event_properties(),
                "time": valid_times.filter(lambda t: not isinstance(t, datetime)),
            },
            optional={"token": st.just(PUBLIC_KEY)},
        ),
        {
            "token": replaced_by(st.one_of(st.text(max_size=8), json_values)),
            "event": replaced_by(st.one_of(st.text(max_size=20), anything)),
            "customer_properties": mixed_with(legacy_dicts),
            "properties": mixed_with(legacy_dicts),
            "time": replaced_by(times),
        },
    )
)
def fuzz_track_payload(spec: SpecValidator, case: tuple[bool, Args]) -> None:
    clean, payload = case
    check(spec, "track_payload", clean, lambda c: c.track(payload))


def test_track_payload(spec: SpecValidator) -> None:
    run("track_payload", fuzz_track_payload, spec)


@FUZZ
@given(
    case=noisy(
        st.fixed_dictionaries({"properties": customers()}),
        {"properties": mixed_with(legacy_dicts)},
    ),
    public=st.booleans(),
    mode=st.sampled_from(["upsert", "split"]),
)
def fuzz_identify(spec: SpecValidator, case: tuple[bool, Args], public: bool, mode: str) -> None:
    clean, args = case
    check(
        spec,
        "identify",
        clean,
        lambda c: c.identify(args["properties"], identify_mode=mode),
        public,
    )


def test_identify(spec: SpecValidator) -> None:
    run("identify", fuzz_identify, spec)


@FUZZ
@given(
    case=noisy(
        st.fixed_dictionaries(
            {"list_id": list_ids, "profiles": st.lists(v2_profiles, min_size=1, max_size=5)}
        ),
        {
            "list_id": replaced_by(st.one_of(st.text(max_size=8), json_values)),
            "profiles": replaced_by(st.one_of(st.lists(legacy_dicts, max_size=5), anything)),
        },
    )
)
def fuzz_subscribe(spec: SpecValidator, case: tuple[bool, Args]) -> None:
    clean, args = case
    check(
        spec,
        "subscribe",
        clean,
        lambda c: c.subscribe_to_list(args["list_id"], args["profiles"], subscribe_chunk_size=2),
    )


def test_subscribe(spec: SpecValidator) -> None:
    run("subscribe", fuzz_subscribe, spec)


@FUZZ
@given(
    case=noisy(
        st.one_of(
            st.fixed_dictionaries(
                {
                    "list_id": list_ids,
                    "emails": st.lists(emails, min_size=1, max_size=4),
                    "phones": st.lists(phones, max_size=3),
                }
            ),
            st.fixed_dictionaries(
                {
                    "list_id": list_ids,
                    "emails": st.lists(emails, max_size=3),
                    "phones": st.lists(phones, min_size=1, max_size=4),
                }
            ),
        ),
        {
            "list_id": replaced_by(st.text(max_size=8)),
            "emails": replaced_by(anything),
            "phones": replaced_by(anything),
        },
    )
)
def fuzz_unsubscribe(spec: SpecValidator, case: tuple[bool, Args]) -> None:
    clean, args = case
    check(
        spec,
        "unsubscribe",
        clean,
        lambda c: c.unsubscribe(args["list_id"], args["emails"], args["phones"]),
    )


def test_unsubscribe(spec: SpecValidator) -> None:
    run("unsubscribe", fuzz_unsubscribe, spec)


@FUZZ
@given(
    case=noisy(
        st.fixed_dictionaries({"email": st.one_of(emails, st.lists(emails, min_size=1))}),
        {"email": replaced_by(anything)},
    )
)
def fuzz_exclude(spec: SpecValidator, case: tuple[bool, Args]) -> None:
    clean, args = case
    check(spec, "exclude", clean, lambda c: c.exclude_email(args["email"]))


def test_exclude(spec: SpecValidator) -> None:
    run("exclude", fuzz_exclude, spec)
