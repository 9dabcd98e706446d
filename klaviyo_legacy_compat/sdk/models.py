"""``swagger_client.models`` of ``klaviyo-sdk`` 1.0.9: the generated model classes.

The generated models were plain data holders: ``swagger_types`` and ``attribute_map``
(attribute → JSON key), a keyword constructor and ``to_dict()``; code built request bodies
with them, e.g. ``ListIdSubscribeBody(profiles=[...])`` (legacy-surface.md B.1, B.7). Here
every model is a :class:`Model`: its attributes are the keywords it was built with (or set
later), each serialised under its own name, nested models and lists or dicts of models
converted recursively. The typed setters' checks are not reproduced (the legacy server, now
the translation, judges the values).

Known names: :data:`KNOWN` (the 95 classes ``swagger_client/models/__init__.py`` of
1.0.9 imported, klaviyo/klaviyo-python-sdk). They are created eagerly, so they are listed by
``dir()`` and ``from swagger_client.models import *``. ``InlineResponse2001`` is the one
model with behaviour of its own (``Profiles.get_profile_id`` returns it, B.5): ``.id``, not
subscriptable.

Unknown names: any other CamelCase name (``[A-Z][A-Za-z0-9]*``) gives a generic
:class:`Model` subclass of that name, created on first access and then always the same
class, because other releases generated other names (``InlineResponse20011Data``,
``InlineResponse2007Records`` exist in other commits of that repository) and code
written against them only builds bodies from them. Any other name raises
``AttributeError``.
"""

from __future__ import annotations

import pprint
import re
from collections.abc import Mapping
from typing import Any, Optional

__all__ = ["KNOWN", "InlineResponse2001", "Model", "model_class", "serialize"]

#: The model names of klaviyo-sdk 1.0.9 (``swagger_client/models/__init__.py``).
KNOWN: tuple[str, ...] = (
    "Ascending",
    "Campaign",
    "CampaignCampaignIdBody",
    "CampaignIdCloneBody",
    "CampaignIdScheduleBody",
    "CampaignTemplate",
    "CheckMembershipRequest",
    "CheckMembershipResponse",
    "CheckMembershipResponseInner",
    "DeleteEmail",
    "DeletePerson",
    "DeletePhone",
    "DeprecatedGetListResponse",
    "DeprecatedGetListResponseData",
    "Descending",
    "EmailtemplateTemplateIdBody",
    "GlobalExclusionResponseData",
    "GlobalExclusionResponseDataData",
    "IdentifyPayload",
    "IdentifyPayloadPost",
    "IdentifyPayloadProperties",
    "InlineResponse200",
    "InlineResponse2001",
    "InlineResponse20010",
    "InlineResponse20011",
    "InlineResponse20012",
    "InlineResponse20012Data",
    "InlineResponse20013",
    "InlineResponse20014",
    "InlineResponse2002",
    "InlineResponse2003",
    "InlineResponse2004",
    "InlineResponse2005",
    "InlineResponse2006",
    "InlineResponse2007",
    "InlineResponse2008",
    "InlineResponse2008Records",
    "InlineResponse2009",
    "InlineResponse2009Records",
    "ListIdMembersBody",
    "ListIdMembersBody1",
    "ListIdSubscribeBody",
    "ListIdSubscribeBody1",
    "ListListIdBody",
    "ListSubscribePostResponseData",
    "ListSubscribePostResponseDataInner",
    "MeasurementCount",
    "MeasurementSum",
    "MeasurementUnique",
    "MeasurementValue",
    "Metric",
    "MetricExport",
    "MetricExportData",
    "MetricExportMetric",
    "MetricExportResults",
    "MetricIntegration",
    "MetricTimeline",
    "MetricTimelineData",
    "MetricTimelineEventProperties",
    "MetricTimelinePerson",
    "Model200ok",
    "OneOfidentifyPayloadPropertiesYourCustomField",
    "OneOfinlineResponse2006",
    "OneOftrackPayloadPropertiesYourCustomField",
    "OneOftrackPayloadTime",
    "PeopleExchangeBody",
    "PeopleExclusionsBody",
    "Person",
    "PrivacyEmail",
    "PrivacyId",
    "PrivacyPhone",
    "ReasonBounced",
    "ReasonInvalidEmail",
    "ReasonManuallyExcluded",
    "ReasonReportedSpam",
    "ReasonUnsubscribed",
    "RenderedTemplate",
    "RenderedtemplateData",
    "SinceInteger",
    "SinceString",
    "StringArray",
    "Template",
    "TemplateIdCloneBody",
    "TemplateIdRenderBody",
    "TemplateIdSendBody",
    "TrackPayload",
    "TrackPayloadCustomerProperties",
    "TrackPayloadPost",
    "TrackPayloadProperties",
    "UnitDay",
    "UnitMonth",
    "UnitWeek",
    "V1CampaignsBody",
    "V1EmailtemplatesBody",
    "V2ListsBody",
)

_MODEL_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")

#: Instance attributes that are the model's bookkeeping, not its data.
_BOOKKEEPING = frozenset({"swagger_types", "attribute_map", "discriminator"})


def _plain(value: Any) -> Any:
    """``value`` with models turned into dicts, as the generated ``to_dict()`` did."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else value


def serialize(value: Any) -> Any:
    """``value`` as the generated ``ApiClient.sanitize_for_serialization`` sent it: models
    become dicts keyed by ``attribute_map`` with ``None`` attributes left out, recursively
    through lists, tuples and dicts (anything else is returned as is)."""
    if isinstance(value, (list, tuple)):
        return [serialize(item) for item in value]
    if isinstance(value, Mapping):
        return {key: serialize(item) for key, item in value.items()}
    types = getattr(value, "swagger_types", None)
    names = getattr(value, "attribute_map", None)
    if isinstance(types, Mapping) and isinstance(names, Mapping):
        return {
            names[attr]: serialize(getattr(value, attr))
            for attr in types
            if getattr(value, attr, None) is not None
        }
    return value


class Model:
    """A generated model: ``Model(**attributes)``, ``to_dict()``, ``swagger_types`` and
    ``attribute_map`` (here one entry per attribute, the JSON key being its name)."""

    swagger_types: dict[str, str]
    attribute_map: dict[str, str]

    def __init__(self, **attributes: Any) -> None:
        object.__setattr__(self, "swagger_types", {})
        object.__setattr__(self, "attribute_map", {})
        object.__setattr__(self, "discriminator", None)
        for name, value in attributes.items():
            setattr(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        # The generated setters wrote declared attributes only; here an attribute set later
        # (``body.profiles = [...]``) is data too, so it is serialised like the others.
        if name not in _BOOKKEEPING and not name.startswith("_"):
            self.swagger_types.setdefault(name, "object")
            self.attribute_map.setdefault(name, name)
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only reached for an attribute never set: the same error as without this method,
        # which is here so type checkers accept the attributes a model was built with.
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def to_dict(self) -> dict[str, Any]:
        """The attributes by name, ``None`` ones included (the generated ``to_dict()``)."""
        return {name: _plain(getattr(self, name)) for name in self.swagger_types}

    def to_str(self) -> str:
        return pprint.pformat(self.to_dict())

    def __repr__(self) -> str:
        return self.to_str()

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Model)
            and type(other) is type(self)
            and other.to_dict() == self.to_dict()
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, like the generated models


class InlineResponse2001(Model):
    """What ``Profiles.get_profile_id`` returned: an object with ``.id`` (not subscriptable),
    and ``to_dict()`` (legacy-surface.md B.5)."""

    id: Optional[str]

    def __init__(self, id: Optional[str] = None) -> None:
        super().__init__(id=id)


_CLASSES: dict[str, type[Model]] = {"InlineResponse2001": InlineResponse2001}


def model_class(name: str) -> type[Model]:
    """The model class called ``name`` (created once; see the module docstring)."""
    cls = _CLASSES.get(name)
    if cls is None:
        if not _MODEL_NAME.fullmatch(name):
            raise AttributeError(f"module 'swagger_client.models' has no attribute {name!r}")
        doc = f"``swagger_client.models.{name}`` of klaviyo-sdk 1.0.9: a generic model."
        cls = type(name, (Model,), {"__doc__": doc, "__module__": __name__})
        _CLASSES[name] = cls
    return cls


def __getattr__(name: str) -> type[Model]:
    return model_class(name)


def __dir__() -> list[str]:
    return sorted({*globals(), *KNOWN})


for _name in KNOWN:
    globals()[_name] = model_class(_name)
del _name
__all__ += [name for name in KNOWN if name != "InlineResponse2001"]
