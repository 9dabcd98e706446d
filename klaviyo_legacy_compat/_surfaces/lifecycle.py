"""The revision's lifecycle, judged by today's date: a :class:`RevisionWarning` once per
process (per revision) when the configured revision is deprecated or retired.

The table and the dates are pure (``_core/revision.py``); this is where the clock is read.
Each revision is judged at most once a day, at the first call that uses it that day, so a
long-running process still hears of a deprecation that falls while it runs.
"""

from __future__ import annotations

import threading
import warnings
from datetime import date
from typing import Callable

from klaviyo_legacy_compat._core.errors import RevisionWarning
from klaviyo_legacy_compat._core.revision import DEPRECATED, RETIRED, support_window, tested

__all__ = ["check_revision", "revision_message"]

#: Today's date; tests replace it.
today: Callable[[], date] = date.today

#: The day each revision was last judged, and the revisions already warned about.
_JUDGED: dict[str, date] = {}
_WARNED: set[str] = set()
_LOCK = threading.Lock()


def revision_message(revision: str, on: date) -> str:
    """What a deprecated or retired ``revision`` means on ``on``; ``""`` while stable."""
    window = support_window(revision)
    state = window.status(on)
    if state == DEPRECATED:
        return (
            f"Klaviyo API revision {revision} is deprecated since {window.deprecated_on} and "
            f"will be retired on {window.retired_on} ({window.days_left(on)} days left): "
            "upgrade klaviyo-legacy-compat to a version tested against a newer revision"
        )
    if state == RETIRED:
        return (
            f"Klaviyo API revision {revision} was retired on {window.retired_on}: Klaviyo may "
            "refuse every request; upgrade klaviyo-legacy-compat to a version tested against a "
            "newer revision"
        )
    return ""


def check_revision(revision: str) -> None:
    """Warn once per process if ``revision`` is deprecated or retired today."""
    day = today()
    if _JUDGED.get(revision) == day:
        return
    with _LOCK:
        _JUDGED[revision] = day
        if revision in _WARNED or not tested(revision):
            return
        message = revision_message(revision, day)
        if not message:
            return
        _WARNED.add(revision)
    warnings.warn(message, RevisionWarning, stacklevel=2)
