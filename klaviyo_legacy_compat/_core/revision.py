"""The revisions this library is tested against, and each one's support window.

Klaviyo's lifecycle (new-api.md §1, "Revision header rules", from Klaviyo's 2024 community
announcement): a revision is stable for 1 year after its release, then deprecated for 1 more
year, then retired (access removed 2 years after release). A revision is named by its release
date (``YYYY-MM-DD``), but the table states the date on its own, so a suffixed revision
(``.pre``) would say when it came out too.

Pure: the date to judge by is given (the surfaces read the clock).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import attrs

__all__ = [
    "DEPRECATED",
    "RETIRED",
    "RETIRED_YEARS",
    "STABLE",
    "STABLE_YEARS",
    "TESTED",
    "Window",
    "status",
    "support_window",
    "tested",
]

#: The revisions the translators are tested against, with their release dates: the revision of
#: the OpenAPI spec every planned request is validated against (tests/test_contract.py,
#: ``info.version`` of klaviyo-openapi/stable.json). A newer revision may reject the bodies the
#: translators build, so moving to one is a row here, added with the spec it was tested on.
TESTED: Mapping[str, date] = {
    "2026-07-15": date(2026, 7, 15),
}

#: The lifecycle (new-api.md §1): years after release a revision is deprecated, and retired.
STABLE_YEARS = 1
RETIRED_YEARS = 2

STABLE = "stable"
DEPRECATED = "deprecated"
RETIRED = "retired"


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February: the anniversary is the 28th
        return day.replace(year=day.year + years, day=28)


@attrs.frozen
class Window:
    """When a revision came out, is deprecated (its stable year over) and is retired."""

    revision: str
    released: date
    deprecated_on: date
    retired_on: date

    def status(self, today: date) -> str:
        """:data:`STABLE`, :data:`DEPRECATED` or :data:`RETIRED` on ``today``."""
        if today >= self.retired_on:
            return RETIRED
        if today >= self.deprecated_on:
            return DEPRECATED
        return STABLE

    def days_left(self, today: date) -> int:
        """Days until retirement (negative: retired that many days ago)."""
        return (self.retired_on - today).days


def tested(revision: str) -> bool:
    """Whether the translators are tested against ``revision``."""
    return revision in TESTED


def support_window(revision: str) -> Window:
    """The support window of a tested revision (``KeyError`` for another)."""
    released = TESTED[revision]
    return Window(
        revision=revision,
        released=released,
        deprecated_on=_years_after(released, STABLE_YEARS),
        retired_on=_years_after(released, RETIRED_YEARS),
    )


def status(revision: str, today: date) -> str:
    """:data:`STABLE`, :data:`DEPRECATED` or :data:`RETIRED`: ``revision`` on ``today``."""
    return support_window(revision).status(today)
