"""The one home of the legacy input parsers (``_parse``): parameters given once or repeated,
ids, text, flags, integers, the v1 ``page``/``count``, dates and times, lists, identifiers,
profile lists and the pagination tokens this library hands out."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

import pytest

from klaviyo_legacy_compat._core.errors import TranslationError
from klaviyo_legacy_compat._core.legacy_keys import IDENTIFIER_KINDS
from klaviyo_legacy_compat._core.parse import (
    IDENTIFIER_CHECKS,
    PAGE_LIMIT,
    decode_token,
    encode_token,
    joined_list,
    optional_id,
    parse_choice,
    parse_date,
    parse_flag,
    parse_id,
    parse_identifiers,
    parse_int,
    parse_list_id,
    parse_moment,
    parse_name,
    parse_page,
    parse_profiles,
    parse_text,
    parse_token,
    parse_utc_time,
    required,
    single,
    string_list,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("x", "x"), (["x"], "x"), (("x",), "x"), ([], None), (None, None), ({"a": 1}, {"a": 1})],
)
def test_a_parameter_given_once_is_unwrapped(given: Any, expected: Any) -> None:
    assert single(given, "field") == expected


def test_a_parameter_given_several_times_is_refused_not_picked() -> None:
    with pytest.raises(TranslationError, match="given once, got 2 values") as caught:
        single(["a", "b"], "list_id")
    assert caught.value.field == "list_id"
    with pytest.raises(TranslationError, match="given once"):
        parse_text(["Hello", "Bye"], "subject")


@pytest.mark.parametrize(("given", "expected"), [("01H", "01H"), (" 01H ", "01H"), (42, "42")])
def test_ids(given: Any, expected: str) -> None:
    assert parse_id(given, "id") == expected


@pytest.mark.parametrize("given", [None, "", "  ", "a/b", True, 1.5])
def test_ids_that_cannot_stand_in_a_path_are_refused(given: Any) -> None:
    with pytest.raises(TranslationError, match="non-empty id"):
        parse_id(given, "id")


@pytest.mark.parametrize(
    ("given", "expected"), [("True", True), ("false", False), ("1", True), (None, None)]
)
def test_flags(given: Any, expected: Optional[bool]) -> None:
    assert parse_flag(given, "flag") == expected


@pytest.mark.parametrize(
    ("given", "expected"), [(None, 7), ("", 7), ([], 7), ("5", 5), (" 5 ", 5), ("+5", 5), (5, 5)]
)
def test_integers(given: Any, expected: int) -> None:
    assert parse_int(given, "count", 7, 1, 10) == expected


@pytest.mark.parametrize("given", ["five", "5.0", 5.0, True, "--5", "5", 0, 11])
def test_integers_out_of_range_or_not_integers_are_refused(given: Any) -> None:
    with pytest.raises(TranslationError, match=r"between 1 and 4 \(from 1 to 4 inclusive\)"):
        parse_int(given, "count", 2, 1, 4)


def test_an_integer_without_a_maximum() -> None:
    assert parse_int("100000", "count", 500, 1) == 100000
    with pytest.raises(TranslationError, match="at least 1"):
        parse_int("0", "count", 500, 1)


def test_the_legacy_page_and_count() -> None:
    assert parse_page({}) == (0, 50)
    assert parse_page({"page": "2", "count": "100"}) == (2, 100)
    assert parse_page({}, default_count=500) == (0, 500)
    # The maximum is the translator's (COUNT_LIMITS, leniency row count_clamped).
    assert parse_page({"count": "101"}) == (0, 101)
    with pytest.raises(TranslationError, match="at least 1"):
        parse_page({"count": "0"})
    with pytest.raises(TranslationError, match="page"):
        parse_page({"page": str(PAGE_LIMIT + 1)})


# (attribute, given value, checked value, or None when the check must refuse it)
CHECKS: list[tuple[str, Any, Any]] = [
    ("email", " Ann@Example.com ", "Ann@Example.com"),
    ("email", "not-an-email", None),
    ("phone_number", "+1 (500) 555-0006", "+15005550006"),
    ("phone_number", 15005550006, None),
    ("phone_number", "5005550006", None),
    ("external_id", 123, "123"),
    ("external_id", " ", None),
    ("push_token", " abc ", "abc"),
    ("push_token", "  ", None),
]


@pytest.mark.parametrize(("attribute", "given", "checked"), CHECKS)
def test_identifier_checks(attribute: str, given: Any, checked: Any) -> None:
    check = IDENTIFIER_CHECKS[attribute]
    if checked is None:
        with pytest.raises(TranslationError):
            check(given, attribute)
    else:
        assert check(given, attribute) == checked


def test_every_identifier_kind_has_a_checker() -> None:
    assert {attribute for _, attribute, _ in IDENTIFIER_KINDS} <= set(IDENTIFIER_CHECKS)


@pytest.mark.parametrize(
    ("given", "list_id", "id_"),
    [
        ("XyZ123", "XyZ123", "XyZ123"),
        (" XyZ123 ", "XyZ123", "XyZ123"),
        # The list calls never converted a number or unwrapped a repeated key: refused there.
        (123, None, "123"),
        (["XyZ123"], None, "XyZ123"),
        ("a/b", None, None),
        ("", None, None),
    ],
)
def test_list_ids_are_stricter_than_other_ids(
    given: Any, list_id: Optional[str], id_: Optional[str]
) -> None:
    for parse, expected, noun in ((parse_list_id, list_id, "list id"), (parse_id, id_, "id")):
        if expected is None:
            with pytest.raises(TranslationError, match=f"must be a non-empty {noun} without '/'"):
                parse(given, "list_id")
        else:
            assert parse(given, "list_id") == expected


def test_an_optional_id_is_none_when_absent() -> None:
    assert optional_id(None, "list_id") is None
    assert optional_id([""], "list_id") is None
    assert optional_id(["L1"], "list_id") == "L1"


@pytest.mark.parametrize(
    ("given", "expected"), [(" VIP ", "VIP"), ("", None), ("  ", None), (None, None), (7, None)]
)
def test_names(given: Any, expected: Optional[str]) -> None:
    if expected is None:
        with pytest.raises(TranslationError, match="non-empty string"):
            parse_name(given, "list_name")
    else:
        assert parse_name(given, "list_name") == expected


def test_a_required_parameter() -> None:
    assert required({"profiles": [1]}, "profiles", "is required") == [1]
    for params in ({}, {"profiles": None}, {"profiles": ""}, {"profiles": b""}):
        with pytest.raises(TranslationError, match="is required") as caught:
            required(params, "profiles", "is required")
        assert caught.value.field == "profiles"


@pytest.mark.parametrize(
    ("given", "expected"),
    [(None, "desc"), ("", "desc"), ("ASC", "asc"), (["asc"], "asc"), ("up", None), (1, None)],
)
def test_choices(given: Any, expected: Optional[str]) -> None:
    allowed = {"asc": 1, "desc": 2}
    if expected is None:
        with pytest.raises(TranslationError, match="must be one of asc, desc"):
            parse_choice(given, "sort", allowed, "desc")
    else:
        assert parse_choice(given, "sort", allowed, "desc") == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2024-04-01", date(2024, 4, 1)),
        (" 2024-04-01 ", date(2024, 4, 1)),
        ("1711929600", date(2024, 4, 1)),
        (1711929600, date(2024, 4, 1)),
        (date(2024, 4, 1), date(2024, 4, 1)),
        (datetime.fromisoformat("2024-04-01T23:00"), date(2024, 4, 1)),  # naive
        (datetime(2024, 4, 1, 23, 0, tzinfo=timezone.utc), date(2024, 4, 1)),
        ("01/04/2024", None),
        (True, None),
    ],
)
def test_dates(given: Any, expected: Optional[date]) -> None:
    if expected is None:
        with pytest.raises(TranslationError, match="must be a date YYYY-MM-DD"):
            parse_date(given, "start_date")
    else:
        assert parse_date(given, "start_date") == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2024-06-01 09:30:00", datetime(2024, 6, 1, 9, 30, tzinfo=timezone.utc)),
        ("2024-06-01T11:30:00+02:00", datetime(2024, 6, 1, 9, 30, tzinfo=timezone.utc)),
        ("2024-06-01T09:30:00Z", datetime(2024, 6, 1, 9, 30, tzinfo=timezone.utc)),
        (
            datetime.fromisoformat("2024-06-01T09:30"),  # naive: UTC, as the legacy call read it
            datetime(2024, 6, 1, 9, 30, tzinfo=timezone.utc),
        ),
        ("tomorrow", None),
        (None, None),
    ],
)
def test_utc_times(given: Any, expected: Optional[datetime]) -> None:
    if expected is None:
        with pytest.raises(TranslationError, match="must be a UTC time"):
            parse_utc_time(given, "send_time")
    else:
        assert parse_utc_time(given, "send_time") == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2024-06-01T09:30:00+00:00", datetime(2024, 6, 1, 9, 30, tzinfo=timezone.utc)),
        ("2024-06-01T09:30:00", datetime(2024, 6, 1, 9, 30, tzinfo=timezone.utc)),
        ("{{send_time of campaign C}}", None),
        (None, None),
        (1717234200, None),
    ],
)
def test_moments_of_the_new_api(given: Any, expected: Optional[datetime]) -> None:
    assert parse_moment(given) == expected


@pytest.mark.parametrize(
    ("given", "joined", "listed"),
    [
        (None, [], ()),
        ("a@example.com", ["a@example.com"], ("a@example.com",)),
        ("a@example.com, b@example.com,", ["a@example.com", "b@example.com"], None),
        (["a", "b"], ["a", "b"], ("a", "b")),
        (("a",), ["a"], ("a",)),
    ],
)
def test_string_lists(given: Any, joined: list[str], listed: Optional[tuple[str, ...]]) -> None:
    assert joined_list(given, "emails") == joined
    if listed is not None:
        assert string_list(given, "emails") == listed


@pytest.mark.parametrize(
    ("given", "field", "rule"),
    [
        (5, "emails", "must be a list of strings, got int"),
        ({"a": 1}, "emails", "must be a list of strings, got dict"),
        (["a", 5], "emails[1]", "must be a string, got int"),
    ],
)
def test_string_lists_refuse_what_is_not_strings(given: Any, field: str, rule: str) -> None:
    for parse in (joined_list, string_list):
        with pytest.raises(TranslationError, match=rule) as caught:
            parse(given, "emails")
        assert caught.value.field == field


def test_identifiers_of_a_lookup_are_checked_and_one_is_required() -> None:
    assert parse_identifiers({"emails": "a@example.com", "phone_numbers": ["+1 500 555 0006"]}) == {
        "emails": ("a@example.com",),
        "phone_numbers": ("+15005550006",),
        "push_tokens": (),
    }
    assert parse_identifiers({"email": "a@example.com,b@example.com"}, "email")["emails"] == (
        "a@example.com",
        "b@example.com",
    )
    with pytest.raises(TranslationError, match="valid email") as bad:
        parse_identifiers({"emails": ["a@example.com", "nope"]})
    assert bad.value.field == "emails[1]"
    with pytest.raises(TranslationError, match="give at least one") as none:
        parse_identifiers({}, "email")
    assert none.value.field == "email"


def test_profile_lists() -> None:
    seen: list[str] = []

    def check(profile: Any, field: str) -> None:
        seen.append(field)

    one = {"email": "a@example.com"}
    assert parse_profiles([one, one], check) == (one, one)
    assert parse_profiles('[{"email": "a@example.com"}]', check) == (one,)
    assert parse_profiles(one, check) is one  # one object: the translator applies the policy
    assert seen == ["profiles[0]", "profiles[1]", "profiles[0]", "profiles[0]"]
    for given, rule in (
        ("[not json", "must be a JSON list of profile objects"),
        (None, "is required: a list of profile objects"),
        ([], "must contain at least one profile"),
    ):
        with pytest.raises(TranslationError, match=rule):
            parse_profiles(given, check)


def test_tokens_come_back_as_they_were_handed_out() -> None:
    token = encode_token("group_members", {"id": "L1", "c": "cursor"})
    assert decode_token(token, "group_members", "marker") == {"id": "L1", "c": "cursor"}
    assert parse_token(token, "group_members", "marker") == token
    assert parse_token("", "group_members", "marker") is None
    assert parse_token(None, "group_members", "marker") is None
    with pytest.raises(TranslationError, match="another kind of listing"):
        parse_token(token, "list_exclusions", "marker")
    with pytest.raises(TranslationError, match="must be a marker this library handed out"):
        parse_token(100, "group_members", "marker")
