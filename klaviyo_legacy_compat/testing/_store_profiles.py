"""The profiles of the in-memory account behind
:class:`~klaviyo_legacy_compat.testing.LocalKlaviyo`, the base of its store: the one lock,
the profiles and their identifier index, and the rules a client can observe (new-api.md §3):
how a profile is resolved from its id or identifiers, when an identifier clashes (409
``duplicate_profile``), how an attribute block is written (omitted fields kept, ``null``
clears, ``location`` and ``properties`` merged, ``meta.patch_properties``).

:class:`ProfileStore` is extended by ``_store_events.EventStore`` (events and metrics), then
``_store.Store`` (lists, segments, consent, jobs, deletions), then
``_store_messages.Account``. Every method takes the lock, so a request's effect is atomic;
every reader returns a copy.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Callable, Optional

from klaviyo_legacy_compat.testing._store_records import (
    IDENTIFIERS,
    DuplicateProfile,
    NotFound,
    Profile,
    ProfileRef,
    index_key,
    iso,
    new_id,
    utc_now,
)

__all__ = ["ProfileStore"]

#: How each write treats identifiers: "set" (a clash with another profile is a 409),
#: "fill" (identifiers held by another profile are skipped: server-side events), "keep"
#: (never changed on an existing profile: client endpoints, spec create_client_profile).
_IDENTIFIER_MODES = frozenset({"set", "fill", "keep"})


class ProfileStore:
    """Profiles and their identifiers. Safe to use from any thread; readers return copies."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._profiles: dict[str, Profile] = {}
        self._index: dict[tuple[str, str], str] = {}

    def _now(self) -> datetime:
        """The store's clock, for every time it records (one seam: a test that needs set
        times patches this module's ``utc_now``)."""
        return utc_now()

    # --- readers and helpers for tests --------------------------------------------------------

    @property
    def profiles(self) -> dict[str, Profile]:
        """Profile id → profile, in creation order (a deep copy)."""
        with self._lock:
            return copy.deepcopy(self._profiles)

    def profiles_where(self, predicate: Callable[[Profile], bool]) -> list[Profile]:
        """Copies of the profiles ``predicate`` accepts, in creation order (only those are
        copied, so a filtered read stays cheap in a large store)."""
        with self._lock:
            return [copy.deepcopy(p) for p in self._profiles.values() if predicate(p)]

    def profile(self, profile_id: str) -> Optional[Profile]:
        """The profile with ``profile_id`` (a copy), or ``None``."""
        with self._lock:
            found = self._profiles.get(profile_id)
            return copy.deepcopy(found) if found is not None else None

    def profile_by(self, identifier: str, value: str) -> Optional[Profile]:
        """The profile holding ``identifier`` = ``value`` (email without regard to case)."""
        with self._lock:
            owner = self._index.get(index_key(identifier, value))
            return self.profile(owner) if owner is not None else None

    def profile_by_email(self, email: str) -> Optional[Profile]:
        """The profile with this email address (a copy), or ``None``."""
        return self.profile_by("email", email)

    def add_profile(self, **attributes: Any) -> str:
        """Create a profile from attributes (``email=..., first_name=..., properties={...}``);
        returns its id. Raises :class:`DuplicateProfile` if an identifier is taken."""
        with self._lock:
            return self.create_profile(ProfileRef(None, attributes)).id

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._profiles.clear()
            self._index.clear()

    # --- profiles -----------------------------------------------------------------------------

    def _get(self, profile_id: str, pointer: Optional[str] = None) -> Profile:
        found = self._profiles.get(profile_id)
        if found is None:
            raise NotFound(f"A profile with id {profile_id} does not exist.", pointer=pointer)
        return found

    def _owners(self, attributes: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(identifier, owning profile id) for each identifier given that some profile holds,
        in resolution order."""
        out = []
        for identifier in IDENTIFIERS:
            value = attributes.get(identifier)
            if isinstance(value, str):
                owner = self._index.get(index_key(identifier, value))
                if owner is not None:
                    out.append((identifier, owner))
        return out

    def _clash(self, profile_id: Optional[str], attributes: Mapping[str, Any]) -> None:
        """Raise :class:`DuplicateProfile` if an identifier given belongs to another profile."""
        for identifier, owner in self._owners(attributes):
            if owner != profile_id:
                raise DuplicateProfile(owner, identifier)

    def _new_profile(self) -> Profile:
        now = iso(self._now())
        profile = Profile(new_id(), now, now)
        self._profiles[profile.id] = profile
        return profile

    def _set_identifier(self, profile: Profile, identifier: str, value: Optional[str]) -> None:
        current = profile.attributes.get(identifier)
        if isinstance(current, str):
            self._index.pop(index_key(identifier, current), None)
        if value is None:
            profile.attributes.pop(identifier, None)
        else:
            profile.attributes[identifier] = value
            self._index[index_key(identifier, value)] = profile.id

    def _apply(
        self,
        profile: Profile,
        attributes: Mapping[str, Any],
        meta: Optional[Mapping[str, Any]],
        *,
        identifiers: str,
    ) -> None:
        """Write an attribute block onto a profile: omitted fields are unchanged, ``null``
        clears (spec, create_or_update_profile description); ``location`` and
        ``properties`` merge key by key."""
        assert identifiers in _IDENTIFIER_MODES
        for name, value in attributes.items():
            if name in IDENTIFIERS:
                if identifiers == "keep":
                    continue
                if isinstance(value, str):
                    owner = self._index.get(index_key(name, value))
                    if owner is not None and owner != profile.id:
                        if identifiers == "set":
                            raise DuplicateProfile(owner, name)
                        continue
                self._set_identifier(profile, name, value if isinstance(value, str) else None)
            elif name in ("location", "properties"):
                if value is None:
                    profile.attributes.pop(name, None)
                else:
                    merged = dict(profile.attributes.get(name) or {})
                    merged.update(value)
                    if name == "location":
                        merged = {k: v for k, v in merged.items() if v is not None}
                    profile.attributes[name] = merged
            elif value is None:
                profile.attributes.pop(name, None)
            else:
                profile.attributes[name] = value
        if meta:
            self._patch_properties(profile, meta.get("patch_properties") or {})
        profile.updated = iso(self._now())

    @staticmethod
    def _patch_properties(profile: Profile, patch: Mapping[str, Any]) -> None:
        """``meta.patch_properties``: ``append``/``unappend`` list values, ``unset`` keys
        (new-api.md §3, profile ``meta``)."""
        properties = dict(profile.properties)
        for name, value in (patch.get("append") or {}).items():
            current = properties.get(name)
            items = (
                list(current) if isinstance(current, list) else [] if current is None else [current]
            )
            items.extend(value if isinstance(value, list) else [value])
            properties[name] = items
        for name, value in (patch.get("unappend") or {}).items():
            current = properties.get(name)
            if isinstance(current, list):
                drop = value if isinstance(value, list) else [value]
                properties[name] = [v for v in current if v not in drop]
        unset = patch.get("unset")
        for name in [unset] if isinstance(unset, str) else unset or []:
            properties.pop(name, None)
        if properties:
            profile.attributes["properties"] = properties
        else:
            profile.attributes.pop("properties", None)

    def create_profile(self, ref: ProfileRef) -> Profile:
        """``POST /api/profiles``: a new profile; 409 if any identifier exists (a copy)."""
        with self._lock:
            self._clash(None, ref.attributes)
            profile = self._new_profile()
            self._apply(profile, ref.attributes, ref.meta, identifiers="set")
            return copy.deepcopy(profile)

    def update_profile(self, ref: ProfileRef) -> Profile:
        """``PATCH /api/profiles/{id}``: 404 for an unknown id, 409 if a new identifier
        belongs to another profile (a copy)."""
        with self._lock:
            assert ref.id is not None
            profile = self._get(ref.id)
            self._clash(profile.id, ref.attributes)
            self._apply(profile, ref.attributes, ref.meta, identifiers="set")
            return copy.deepcopy(profile)

    def import_profile(self, ref: ProfileRef) -> tuple[Profile, bool]:
        """``POST /api/profile-import``: update the profile the identifiers (or the id) name,
        else create one; returns (a copy of the profile, created). When the identifiers
        name two different profiles: 409 naming the second (klaviyo-api-php#63)."""
        with self._lock:
            if ref.id is not None:
                profile: Optional[Profile] = self._get(ref.id, pointer="/data/id")
            else:
                owners: list[str] = []
                for identifier, owner in self._owners(ref.attributes):
                    if owners and owner != owners[0]:
                        raise DuplicateProfile(owner, identifier)
                    owners.append(owner)
                profile = self._profiles[owners[0]] if owners else None
            created = profile is None
            if profile is None:
                self._clash(None, ref.attributes)
                profile = self._new_profile()
            else:
                self._clash(profile.id, ref.attributes)
            self._apply(profile, ref.attributes, ref.meta, identifiers="set")
            return copy.deepcopy(profile), created

    def _resolve(self, ref: ProfileRef, pointer: str) -> Optional[Profile]:
        if ref.id is not None:
            return self._get(ref.id, pointer=f"{pointer}/id")
        owners = self._owners(ref.attributes)
        return self._profiles[owners[0][1]] if owners else None

    def _touch(self, ref: ProfileRef, *, client: bool, pointer: str) -> Profile:
        profile = self._resolve(ref, pointer)
        if profile is None:
            profile = self._new_profile()
            self._apply(profile, ref.attributes, ref.meta, identifiers="fill")
        else:
            self._apply(profile, ref.attributes, ref.meta, identifiers="keep" if client else "fill")
        return profile

    def touch_profile(self, ref: ProfileRef, *, client: bool, pointer: str = "/data") -> Profile:
        """The profile of an event or a client profile write: resolved by id, else by the
        first identifier some profile holds, else created; then updated. Server-side writes
        add identifiers no other profile holds; client-side writes never change the
        identifiers of an existing profile (spec, create_client_profile description).
        Returns a copy."""
        with self._lock:
            return copy.deepcopy(self._touch(ref, client=client, pointer=pointer))

    def _find_or_create(self, profile_id: Optional[str], attributes: Mapping[str, Any]) -> Profile:
        ref = ProfileRef(profile_id, attributes)
        profile = self._resolve(ref, "/data")
        if profile is None:
            profile = self._new_profile()
        self._apply(profile, attributes, None, identifiers="fill")
        return profile
