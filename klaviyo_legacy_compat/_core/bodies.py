"""The JSON:API request bodies as frozen values, named after the ``type`` they produce.

They carry no serialisation logic: ``_convert.unstructure`` turns them into the dicts the
spec describes (``None`` fields omitted, ``kx`` sent as ``_kx``). Field order is the order
Klaviyo documents, so dry-run output reads like the reference.
"""

from __future__ import annotations

from typing import Any, Optional, Union

import attrs

__all__ = [
    "Document",
    "EventAttributes",
    "Location",
    "MetricAttributes",
    "ProfileAttributes",
    "Resource",
    "relationship",
]


@attrs.frozen
class Location:
    """Profile ``location`` (spec ``ProfileLocation``)."""

    address1: Optional[str] = None
    address2: Optional[str] = None
    city: Optional[str] = None
    country: Optional[str] = None
    region: Optional[str] = None
    zip: Optional[str] = None
    timezone: Optional[str] = None
    ip: Optional[str] = None
    latitude: Optional[Union[str, float]] = None
    longitude: Optional[Union[str, float]] = None


@attrs.frozen
class ProfileAttributes:
    """The profile attribute block shared by events, upserts and client profiles.

    ``kx`` is the exchange id, sent as ``_kx``. ``properties`` holds custom properties.
    ``anonymous_id`` is set only for events (spec ``EventProfileCreateQueryResourceObject``):
    the leniency policy's profile for an event whose identifiers were all invalid.
    """

    email: Optional[str] = None
    phone_number: Optional[str] = None
    external_id: Optional[str] = None
    anonymous_id: Optional[str] = None
    kx: Optional[str] = None
    first_name: Optional[str] = None
    last_name: Optional[str] = None
    organization: Optional[str] = None
    locale: Optional[str] = None
    title: Optional[str] = None
    image: Optional[str] = None
    location: Optional[Location] = None
    properties: Optional[dict[str, Any]] = None

    @property
    def has_identifier(self) -> bool:
        """At least one identifier the API resolves a profile by (spec create_event text)."""
        return any((self.email, self.phone_number, self.external_id, self.kx, self.anonymous_id))

    @property
    def carries_data(self) -> bool:
        """Anything beyond email and phone (what a subscribe job cannot carry)."""
        return any(
            (
                self.external_id,
                self.kx,
                self.first_name,
                self.last_name,
                self.organization,
                self.locale,
                self.title,
                self.image,
                self.location,
                self.properties,
            )
        )


@attrs.frozen
class MetricAttributes:
    """``metric.data.attributes`` of an event: the legacy event name."""

    name: str


@attrs.frozen
class Resource:
    """A JSON:API resource object: ``{"type", "id"?, "attributes"?, "relationships"?}``."""

    type: str
    id: Optional[str] = None
    attributes: Any = None
    relationships: Optional[dict[str, Any]] = None
    meta: Optional[dict[str, Any]] = None


@attrs.frozen
class Document:
    """``{"data": ...}``: a resource, a list of them, or a relationship target."""

    data: Any


@attrs.frozen
class EventAttributes:
    """``data.attributes`` of create_event / create_client_event (spec EventCreateQueryV2)."""

    properties: dict[str, Any]
    metric: Document
    profile: Document
    time: Optional[str] = None
    value: Optional[float] = None
    unique_id: Optional[str] = None


def relationship(type_: str, id_: str) -> Document:
    """A to-one relationship: ``{"data": {"type": type_, "id": id_}}``."""
    return Document(Resource(type_, id=id_))
