"""The revision rule: only the revisions the translators are tested against are accepted, and
each one's support window follows Klaviyo's lifecycle (new-api.md §1: stable for 1 year after
release, deprecated for 1 more, retired 2 years after release); a deprecated or retired
revision warns once per process."""

from __future__ import annotations

import warnings
from datetime import date

import pytest

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import REVISION
from klaviyo_legacy_compat._core import revision
from klaviyo_legacy_compat._core.config import resolve_settings
from klaviyo_legacy_compat._surfaces import lifecycle
from klaviyo_legacy_compat.exceptions import ConfigurationError, RevisionWarning
from tests.conftest import PRIVATE_KEY

#: revision, today -> status. The pinned revision was released on 2026-07-15.
STATUS = [
    ("2026-07-15", date(2026, 7, 15), revision.STABLE),  # the day of release
    ("2026-07-15", date(2026, 12, 5), revision.STABLE),  # one behind the newest: still stable
    ("2026-07-15", date(2027, 7, 14), revision.STABLE),  # the stable year's last day
    ("2026-07-15", date(2027, 7, 15), revision.DEPRECATED),  # one year after release
    ("2026-07-15", date(2028, 7, 14), revision.DEPRECATED),  # the deprecated year's last day
    ("2026-07-15", date(2028, 7, 15), revision.RETIRED),  # two years after release
    ("2026-07-15", date(2030, 1, 1), revision.RETIRED),
]


@pytest.mark.parametrize(("name", "today", "expected"), STATUS)
def test_status(name: str, today: date, expected: str) -> None:
    assert revision.status(name, today) == expected


def test_the_pinned_revision_is_tested_and_its_window_follows_the_policy() -> None:
    assert revision.tested(REVISION)
    window = revision.support_window(REVISION)
    assert (window.released, window.deprecated_on, window.retired_on) == (
        date(2026, 7, 15),
        date(2027, 7, 15),
        date(2028, 7, 15),
    )
    assert window.days_left(date(2028, 7, 14)) == 1
    assert window.days_left(date(2028, 7, 16)) == -1


def test_a_leap_day_release_has_an_anniversary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(revision, "TESTED", {"2028-02-29": date(2028, 2, 29)})
    window = revision.support_window("2028-02-29")
    assert (window.deprecated_on, window.retired_on) == (date(2029, 2, 28), date(2030, 2, 28))


@pytest.mark.parametrize("value", ["2026-10-15", "2024-10-15", "2026-07-15.pre"])
def test_an_untested_revision_is_refused_listing_the_accepted_ones(value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_settings({"revision": value}, environ={})
    assert str(caught.value).startswith(f"revision: {value!r} is not a revision")
    assert "accepted: 2026-07-15" in str(caught.value)
    with pytest.raises(ConfigurationError, match=r"^KLAVIYO_API_REVISION: .*accepted: 2026-07-15"):
        resolve_settings(environ={"KLAVIYO_API_REVISION": value})


def test_every_way_in_refuses_it_before_anything_is_sent() -> None:
    with pytest.raises(ConfigurationError, match="accepted: 2026-07-15"):
        klaviyo.CompatClient(revision="2026-10-15").track("Viewed", {"$email": "a@example.com"})
    client = klaviyo.CompatClient(private_key=PRIVATE_KEY)
    with pytest.raises(ConfigurationError, match="accepted: 2026-07-15"):
        client.configure(revision="2026-10-15")
    assert client.settings().revision == REVISION


def test_accepted_revisions_are_the_table(another_revision: str) -> None:
    assert resolve_settings({"revision": another_revision}, environ={}).revision == another_revision


def _track() -> None:
    client = klaviyo.CompatClient(private_key=PRIVATE_KEY, dry_run=True)
    client.track("Viewed", {"$email": "a@example.com"})


def test_a_stable_revision_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _track()


@pytest.mark.parametrize(
    ("today", "message"),
    [
        (
            date(2027, 8, 1),
            "Klaviyo API revision 2026-07-15 is deprecated since 2027-07-15 and will be retired "
            "on 2028-07-15 (349 days left)",
        ),
        (date(2028, 8, 1), "Klaviyo API revision 2026-07-15 was retired on 2028-07-15"),
    ],
)
def test_a_deprecated_or_retired_revision_warns_once_per_process(
    monkeypatch: pytest.MonkeyPatch, today: date, message: str
) -> None:
    monkeypatch.setattr(lifecycle, "today", lambda: today)
    with pytest.warns(RevisionWarning) as caught:
        _track()
    assert len(caught) == 1
    assert str(caught[0].message).startswith(message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _track()  # once per process
        monkeypatch.setattr(lifecycle, "today", lambda: date(2028, 9, 1))
        _track()  # judged again on a new day, but already warned about


def test_a_deprecation_falling_while_the_process_runs_is_heard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _track()  # stable on the suite's day: judged, no warning
    monkeypatch.setattr(lifecycle, "today", lambda: date(2027, 7, 15))
    with pytest.warns(RevisionWarning, match="deprecated since 2027-07-15"):
        _track()
