"""The events and metrics of the in-memory account behind
:class:`~klaviyo_legacy_compat.testing.LocalKlaviyo`: which event is a duplicate (the
profile, the metric and the ``unique_id``, the event time to the second when none is given),
which metric an event makes (one per name and integration), and the all-or-nothing rule of a
bulk create (new-api.md §3.1).

:class:`EventStore` extends ``_store_profiles.ProfileStore``: an event resolves or creates its
profile first, under the same lock.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from klaviyo_legacy_compat.testing._store_profiles import ProfileStore
from klaviyo_legacy_compat.testing._store_records import (
    IDENTIFIERS,
    Event,
    EventEntry,
    Invalid,
    Metric,
    NewEvent,
    NotFound,
    Profile,
    ProfileRef,
    index_key,
    iso,
    new_id,
    new_list_id,
)

__all__ = ["EventStore"]


class EventStore(ProfileStore):
    """:class:`ProfileStore` plus events and their metrics."""

    def __init__(self) -> None:
        super().__init__()
        self._events: list[Event] = []
        self._event_keys: set[tuple[str, str, str]] = set()
        self._repeated_events = 0
        self._metrics: dict[str, Metric] = {}
        self._metric_ids: dict[tuple[str, str], str] = {}
        self._integrations: dict[str, dict[str, Any]] = {}

    # --- readers and helpers for tests --------------------------------------------------------

    @property
    def events(self) -> list[Event]:
        """Every stored event, oldest first (a copy)."""
        with self._lock:
            return list(self._events)

    @property
    def repeated_events(self) -> int:
        """Events received again and dropped, their (profile, metric, ``unique_id``) being
        stored already: what a test counts to see that a client re-sent a delivered event
        (Klaviyo would never show it, since it keeps the first)."""
        with self._lock:
            return self._repeated_events

    def events_for(self, email: str) -> list[Event]:
        """The stored events of the profile with this email address."""
        with self._lock:
            owner = self._index.get(index_key("email", email))
            return [e for e in self._events if e.profile_id == owner]

    def events_where(self, predicate: Callable[[Event], bool]) -> list[Event]:
        """The events ``predicate`` accepts, oldest first (events are frozen: no copies)."""
        with self._lock:
            return [e for e in self._events if predicate(e)]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            super().clear()
            self._events.clear()
            self._event_keys.clear()
            self._repeated_events = 0
            self._metrics.clear()
            self._metric_ids.clear()
            self._integrations.clear()

    # --- events -------------------------------------------------------------------------------

    @staticmethod
    def _event_time(event: NewEvent, received: datetime) -> datetime:
        # "By default, the time the request was received ... truncated to the second" (spec).
        return (event.time or received).astimezone(timezone.utc).replace(microsecond=0)

    def _store_event(
        self,
        profile: Profile,
        event: NewEvent,
        received: datetime,
        operation: str,
        metric_id: Optional[str] = None,
    ) -> bool:
        moment = self._event_time(event, received)
        unique_id = event.unique_id if event.unique_id is not None else moment.isoformat()
        key = (profile.id, event.metric, unique_id)
        profile.last_event_date = iso(received)
        if key in self._event_keys:
            self._repeated_events += 1
            return False  # "only the first processed event will be recorded" (spec)
        self._event_keys.add(key)
        self._events.append(
            Event(
                id=new_id(),
                metric=event.metric,
                profile_id=profile.id,
                properties=dict(event.properties),
                time=moment.isoformat(),
                unique_id=unique_id,
                value=event.value,
                value_currency=event.value_currency,
                received=iso(received),
                operation=operation,
                metric_id=metric_id or self._metric(event.metric).id,
            )
        )
        return True

    def record_event(
        self, ref: ProfileRef, event: NewEvent, *, client: bool, operation: str = ""
    ) -> bool:
        """``POST /api/events`` / ``/client/events``: resolve or create the profile, update
        it, and store the event unless (profile, metric, unique_id) is already stored.
        Returns whether the event was stored."""
        with self._lock:
            received = self._now()
            profile = self._touch(ref, client=client, pointer="/data/attributes/profile/data")
            return self._store_event(profile, event, received, operation)

    def _profile_key(self, ref: ProfileRef) -> tuple[str, ...]:
        """Which profile an entry names, before any profile is created: the existing one, or
        the first identifier given (two entries naming a new profile the same way match)."""
        if ref.id is not None:
            return ("id", ref.id)
        owners = self._owners(ref.attributes)
        if owners:
            return ("id", owners[0][1])
        for identifier in IDENTIFIERS:
            value = ref.attributes.get(identifier)
            if isinstance(value, str):
                return index_key(identifier, value)
        return ("none",)

    def record_events(
        self, entries: Sequence[EventEntry], *, client: bool = False, operation: str = ""
    ) -> int:
        """``POST /api/event-bulk-create-jobs``: all or nothing. A unique_id repeated for the
        same profile and metric *within the request* fails the whole request (spec,
        bulk ``unique_id`` description; new-api.md §3.1); events already stored are dropped
        one by one as for a single create. Returns the number stored."""
        with self._lock:
            received = self._now()
            seen: set[tuple[tuple[str, ...], str, str]] = set()
            for i, entry in enumerate(entries):
                self._resolve(entry.profile, f"/data/attributes/events-bulk-create/data/{i}")
                who = self._profile_key(entry.profile)
                for j, event in enumerate(entry.events):
                    moment = self._event_time(event, received)
                    unique_id = (
                        event.unique_id if event.unique_id is not None else moment.isoformat()
                    )
                    if (who, event.metric, unique_id) in seen:
                        raise Invalid(
                            f"unique_id {unique_id!r} is repeated for the same profile and "
                            f"metric {event.metric!r}; no events were processed.",
                            pointer=f"/data/attributes/events-bulk-create/data/{i}"
                            f"/attributes/events/data/{j}/attributes/unique_id",
                        )
                    seen.add((who, event.metric, unique_id))
            stored = 0
            for entry in entries:
                profile = self._touch(entry.profile, client=client, pointer="/data")
                for event in entry.events:
                    stored += self._store_event(profile, event, received, operation)
            return stored

    # --- metrics ------------------------------------------------------------------------------

    def _metric(self, name: str, integration: str = "API", category: str = "API") -> Metric:
        """The metric of ``name`` from ``integration``, made at its first event. Events
        created through the API belong to the "API" integration (legacy ``track`` calls
        showed up under it too)."""
        key = (name, integration)
        found = self._metric_ids.get(key)
        if found is not None:
            return self._metrics[found]
        owner = self._integrations.setdefault(
            integration,
            {
                "object": "integration",
                "id": new_list_id(),
                "name": integration,
                "category": category,
            },
        )
        metric_id = new_list_id()
        while metric_id in self._metrics:
            metric_id = new_list_id()
        now = iso(self._now())
        metric = Metric(metric_id, name, now, now, dict(owner))
        self._metrics[metric_id] = metric
        self._metric_ids[key] = metric_id
        return metric

    def add_metric(self, name: str, integration: str = "API", category: str = "API") -> str:
        """The id of the metric ``name`` of ``integration`` (made when missing): Klaviyo's own
        metrics ("Received Email", integration "Klaviyo") for a test to record events of."""
        with self._lock:
            return self._metric(name, integration, category).id

    @property
    def metrics(self) -> list[Metric]:
        """Every metric, in the order they were made (copies)."""
        with self._lock:
            return copy.deepcopy(list(self._metrics.values()))

    def metric(self, metric_id: str) -> Metric:
        """The metric (a copy); 404 for an unknown id."""
        with self._lock:
            found = self._metrics.get(metric_id)
            if found is None:
                raise NotFound(f"A metric with id {metric_id} does not exist.")
            return copy.deepcopy(found)

    def add_event(
        self,
        metric_id: str,
        profile_id: str,
        properties: Optional[Mapping[str, Any]] = None,
        *,
        time: Optional[datetime] = None,
        value: Optional[float] = None,
        unique_id: Optional[str] = None,
    ) -> bool:
        """Record an event of an existing metric for an existing profile, as Klaviyo records
        its own (a "Received Email" of a campaign); deduplicated like any event. Returns
        whether it was stored."""
        with self._lock:
            metric = self.metric(metric_id)
            profile = self._get(profile_id)
            event = NewEvent(metric.name, dict(properties or {}), time, value, None, unique_id)
            # The metric named, not the API's metric of the same name.
            return self._store_event(profile, event, self._now(), "", metric_id)
