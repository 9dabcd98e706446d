"""``klaviyo.api.Klaviyo`` of ``klaviyo`` 3.1.7: the client with one attribute per resource,
and the flat methods of ``klaviyo`` 2.x (``client.track``, ``client.metrics``, ...;
``legacy/flat.py``).

``Klaviyo(public_token=None, private_token=None, api_server=...)`` never raises; each
resource attribute (``client.Public``, ``client.Lists``, ...) builds a fresh resource object,
which raises ``KlaviyoConfigurationException`` when no token is set (legacy-surface.md A.2).
``api_server`` is 2.x's third argument (3.1.7 had it on the resource classes only): like
theirs, it becomes the new API's base URL (``api_helper.base_url_of``), for the 2.x methods
and the namespaces alike. The legacy ``__getattr__`` wrapper is replaced by plain typed
properties; unknown attributes still raise ``AttributeError``.
"""

from __future__ import annotations

from typing import Any, Optional

from klaviyo_legacy_compat._surfaces.client import CompatClient
from klaviyo_legacy_compat.legacy.api_helper import LEGACY_API_SERVER, base_url_of
from klaviyo_legacy_compat.legacy.campaigns import Campaigns
from klaviyo_legacy_compat.legacy.data_privacy import DataPrivacy
from klaviyo_legacy_compat.legacy.flat import FlatAPI
from klaviyo_legacy_compat.legacy.lists import Lists
from klaviyo_legacy_compat.legacy.metrics import Metrics
from klaviyo_legacy_compat.legacy.profiles import Profiles
from klaviyo_legacy_compat.legacy.public import Public

__all__ = ["Klaviyo"]


class Klaviyo(FlatAPI):
    """``Klaviyo(public_token=None, private_token=None, api_server=...)`` of ``klaviyo``
    3.1.7, with the 2.x methods of :class:`~klaviyo_legacy_compat.legacy.flat.FlatAPI`.

    Beyond the legacy signature: ``client`` (a :class:`CompatClient` to run on; by default
    the module-level one) and keyword options of :func:`klaviyo_legacy_compat.configure`
    (``dry_run=True`` makes every method return the plan instead of sending).
    """

    def __init__(
        self,
        public_token: Optional[str] = None,
        private_token: Optional[str] = None,
        api_server: str = LEGACY_API_SERVER,
        *,
        client: Optional[CompatClient] = None,
        **options: Any,
    ) -> None:
        self.public_token = public_token
        self.private_token = private_token
        self.api_server = api_server
        self._client = client
        self._options = options
        base_url = base_url_of(api_server)
        if base_url is not None:
            self._options.setdefault("base_url", base_url)

    def __repr__(self) -> str:
        return "Klaviyo(public_token=<redacted>, private_token=<redacted>)"

    def _make(self, cls: Any) -> Any:
        return cls(
            public_token=self.public_token,
            private_token=self.private_token,
            client=self._client,
            **self._options,
        )

    @property
    def Public(self) -> Public:
        return self._make(Public)  # type: ignore[no-any-return]

    @property
    def Lists(self) -> Lists:
        return self._make(Lists)  # type: ignore[no-any-return]

    @property
    def Profiles(self) -> Profiles:
        return self._make(Profiles)  # type: ignore[no-any-return]

    @property
    def Metrics(self) -> Metrics:
        return self._make(Metrics)  # type: ignore[no-any-return]

    @property
    def Campaigns(self) -> Campaigns:
        return self._make(Campaigns)  # type: ignore[no-any-return]

    @property
    def DataPrivacy(self) -> DataPrivacy:
        return self._make(DataPrivacy)  # type: ignore[no-any-return]
