"""``swagger_client.Configuration`` of ``klaviyo-sdk`` 1.0.9: where the generated API
objects found their host and key (legacy-surface.md B.2).

Legacy code set it up as ``c = Configuration(); c.api_key['api_key'] = KEY`` (optionally
``c.host = ...``) and handed it to ``ApiClient(c)``. Only what reaches the request is kept:
``host`` (a non-default host becomes the new API's base URL, ``.../api`` dropped, as
``Client(test_host=...)`` does), ``api_key['api_key']`` (the private key) and
``refresh_api_key_hook`` (called with the configuration before each request, as the
generated ``get_api_key_with_prefix`` did). The generated logging, SSL and proxy settings
belonged to its urllib3 pool and have no counterpart here, so they are not accepted
(setting one raises ``AttributeError``).
"""

from __future__ import annotations

import copy
from typing import Callable, ClassVar, Optional

from klaviyo_legacy_compat.legacy.api_helper import base_url_of

__all__ = ["DEFAULT_HOST", "Configuration"]

#: The generated ``Configuration().host`` (legacy-surface.md B.2).
DEFAULT_HOST = "https://a.klaviyo.com/api"


class Configuration:
    """``Configuration()``: ``host``, ``api_key`` (``{'api_key': KEY}``) and
    ``refresh_api_key_hook``. ``Configuration.set_default(c)`` makes later
    ``Configuration()`` calls start as copies of ``c``, as the generated metaclass did."""

    # Slots: setting one of the generated settings this has no counterpart for (``proxy``,
    # ``verify_ssl`` …) fails loudly instead of being silently ignored.
    __slots__ = ("api_key", "host", "refresh_api_key_hook")

    _default: ClassVar[Optional[Configuration]] = None

    def __init__(self) -> None:
        default = type(self)._default
        self.host: str = DEFAULT_HOST if default is None else default.host
        # Copied, not shared: the generated shallow copy shared this dict, which made one
        # configuration's key leak into every later one (the README's "api_key is global"
        # warning, B.2); separate clients keeping separate keys is what code relied on.
        self.api_key: dict[str, str] = {} if default is None else dict(default.api_key)
        self.refresh_api_key_hook: Optional[Callable[[Configuration], None]] = (
            None if default is None else default.refresh_api_key_hook
        )

    @classmethod
    def set_default(cls, default: Optional[Configuration]) -> None:
        """Later ``Configuration()`` calls start from a copy of ``default``."""
        cls._default = copy.copy(default)

    def private_key(self) -> Optional[str]:
        """``api_key['api_key']`` after the refresh hook ran; ``None`` when unset (then the
        configured ``KLAVIYO_PRIVATE_API_KEY`` applies, if any)."""
        if self.refresh_api_key_hook is not None:
            self.refresh_api_key_hook(self)
        return self.api_key.get("api_key") or None

    def client_host(self) -> Optional[str]:
        """``host`` as ``Client(test_host=...)`` takes it: ``None`` for the default host."""
        return None if base_url_of(self.host) is None else self.host

    def __repr__(self) -> str:
        return f"Configuration(host={self.host!r}, api_key=<redacted>)"
