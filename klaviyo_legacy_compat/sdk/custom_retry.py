"""``klaviyo_sdk.custom_retry`` of ``klaviyo-sdk`` 1.0.9: ``retry_if_qualifies(statuses)``,
the tenacity ``retry=`` predicate its ``Client`` used (legacy-surface.md B.1, B.2).

tenacity calls a ``retry=`` predicate with its ``RetryCallState`` after each attempt and
retries while it answers true; ``retry_state.outcome`` is the attempt's future (a
``concurrent.futures.Future``), whose ``exception()`` is what the attempt raised, or
``None`` when it returned (jd/tenacity ``tenacity/retry.py``, ``retry_if_exception``).
The predicate is written against that protocol alone, so tenacity stays an optional
dependency of the code that uses it. Like tenacity's own predicates it combines with
``|`` and ``&``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable

__all__ = ["retry_if_qualifies"]

Predicate = Callable[[Any], bool]


class _Combined:
    """``a | b`` (any) or ``a & b`` (all) of two ``retry=`` predicates."""

    def __init__(self, combine: Callable[[Iterable[bool]], bool], *parts: Predicate) -> None:
        self._combine = combine
        self._parts = parts

    def __call__(self, retry_state: Any) -> bool:
        return self._combine(part(retry_state) for part in self._parts)


class retry_if_qualifies:  # lower case: the legacy (and tenacity) spelling
    """``retry_if_qualifies(statuses)``: retry when the attempt raised an exception whose
    ``status`` is in ``statuses`` (``ApiException.status``); a returned value or any other
    exception does not qualify."""

    def __init__(self, statuses: Iterable[int]) -> None:
        self.statuses = frozenset(statuses)

    def __call__(self, retry_state: Any) -> bool:
        outcome = getattr(retry_state, "outcome", None)
        if outcome is None:  # tenacity sets it before asking; nothing happened yet
            return False
        error = outcome.exception()
        return error is not None and getattr(error, "status", None) in self.statuses

    # tenacity's ``retry_base.__or__`` builds ``retry_any(self, other)``, which takes any
    # callable; the reflected forms cover a left operand without ``__or__`` (a function).
    def __or__(self, other: Predicate) -> _Combined:
        return _Combined(any, self, other)

    def __ror__(self, other: Predicate) -> _Combined:
        return _Combined(any, other, self)

    def __and__(self, other: Predicate) -> _Combined:
        return _Combined(all, self, other)

    def __rand__(self, other: Predicate) -> _Combined:
        return _Combined(all, other, self)

    def __repr__(self) -> str:
        return f"retry_if_qualifies({sorted(self.statuses)!r})"
