"""``klaviyo.middleware`` of ``klaviyo`` 3.1.7 (and 2.x): a Django middleware that puts
Klaviyo's onsite snippet into every HTML page.

Set ``KLAVIYO_API_TOKEN`` (the public key, the 6-character site id) in the Django settings
and add ``'klaviyo.middleware.KlaviyoSnippetMiddleware'`` to ``MIDDLEWARE`` (after
:func:`klaviyo_legacy_compat.install`; or the path of this module). The snippet
(:func:`render_script`, 3.1.7's: ``https://static.klaviyo.com/onsite/js/klaviyo.js?company_id=...``)
goes before the closing ``</body`` tag of HTML responses that are not AJAX. The setting is
read on every response; without it responses pass unchanged, as in 3.1.7. A private key
(``pk_…``) there is never put in a page: the snippet is left out and an error logged.

Unlike 3.1.7, which broke on Python 3 and current Django (legacy-surface.md A.1):

- both middleware styles: ``MIDDLEWARE`` (``__init__(get_response)`` and ``__call__``, Django
  1.10 and later) and the old ``MIDDLEWARE_CLASSES`` (``process_response``);
- the content is bytes, and the snippet is encoded in the response's charset (3.1.7 joined a
  ``str`` snippet to ``bytes`` content, a ``TypeError`` on Python 3);
- AJAX is told by the ``X-Requested-With: XMLHttpRequest`` header, which is what
  ``request.is_ajax()`` read before Django 4.0 removed it;
- streaming responses (no ``content`` to search) and already encoded ones (gzip: the text is
  not there to find) are left alone; ``Content-Length`` is set to the new length;
- the snippet goes before the *last* ``</body`` (any case): the closing tag of the page, not
  one quoted in an earlier script or comment.

Django is imported only when the middleware is used, so importing this module (as
``install()`` does) does not need Django; without Django, the middleware raises
``ConfigurationError`` when it is built or used.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional
from urllib.parse import quote

from klaviyo_legacy_compat._core.credentials import PRIVATE, PUBLIC, placement
from klaviyo_legacy_compat._core.errors import ConfigurationError

__all__ = [
    "KlaviyoSnippetMiddleware",
    "is_html_response",
    "is_trackable_response",
    "render_script",
]

#: Klaviyo's onsite JavaScript, as ``klaviyo`` 3.1.7 inserted it.
SNIPPET = (
    '<script type="text/javascript" async '
    'src="https://static.klaviyo.com/onsite/js/klaviyo.js?company_id={}"></script>'
)

_CLOSING_BODY = b"</body"

logger = logging.getLogger("klaviyo_legacy_compat")


def _settings() -> Any:
    """Django's settings; a clear error when Django is not installed."""
    try:
        from django.conf import settings
    except ImportError as error:
        raise ConfigurationError(
            "klaviyo.middleware.KlaviyoSnippetMiddleware needs Django (pip install django)"
        ) from error
    return settings


def render_script(api_token: Any) -> str:
    """The onsite snippet for the public key ``api_token``. The key is URL-quoted (a site id
    is letters and digits, which stay as they are), so a setting can never break the tag."""
    return SNIPPET.format(quote(str(api_token), safe=""))


def is_html_response(response: Any) -> bool:
    """Whether the response's ``Content-Type`` is HTML."""
    return "text/html" in (response.get("Content-Type", "") or "")


def _is_ajax(request: Any) -> bool:
    # What request.is_ajax() tested until Django 4.0 removed it.
    meta = getattr(request, "META", None) or {}
    return bool(meta.get("HTTP_X_REQUESTED_WITH") == "XMLHttpRequest")


def is_trackable_response(request: Any, response: Any) -> bool:
    """An HTML response to a request that is not AJAX."""
    return is_html_response(response) and not _is_ajax(request)


class KlaviyoSnippetMiddleware:
    """Inserts :func:`render_script` of ``settings.KLAVIYO_API_TOKEN`` before ``</body`` of
    trackable responses (:func:`is_trackable_response`)."""

    def __init__(self, get_response: Optional[Callable[[Any], Any]] = None) -> None:
        _settings()  # without Django, say so now rather than on the first page
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if self.get_response is None:
            raise TypeError(
                "KlaviyoSnippetMiddleware was built without get_response: list it in "
                "MIDDLEWARE (or call process_response)"
            )
        return self.process_response(request, self.get_response(request))

    def process_response(self, request: Any, response: Any) -> Any:
        """The response, with the snippet when it is trackable and the token is set."""
        api_token = getattr(_settings(), "KLAVIYO_API_TOKEN", None)
        if not api_token or not is_trackable_response(request, response):
            return response
        if isinstance(api_token, str) and placement(PUBLIC, api_token.strip()) == PRIVATE:
            # The snippet's URL is in every page a visitor loads: a private key there would
            # be published (_credentials.KEY_SHAPES). The page is served without it.
            logger.error(
                "settings.KLAVIYO_API_TOKEN holds a private key (pk_…), not the public site "
                "id: the Klaviyo snippet is left out of the page so the key is not published"
            )
            return response
        if getattr(response, "streaming", False) or response.get("Content-Encoding"):
            return response
        content: bytes = response.content
        at = content.lower().rfind(_CLOSING_BODY)
        if at == -1:
            return response
        charset = getattr(response, "charset", None) or "utf-8"
        response.content = content[:at] + render_script(api_token).encode(charset) + content[at:]
        response["Content-Length"] = str(len(response.content))
        return response
