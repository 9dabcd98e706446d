"""``klaviyo.middleware`` on a real Django: the snippet before ``</body`` of HTML pages,
through Django's test client (``MIDDLEWARE`` naming ``klaviyo.middleware`` after
``install()``) and the old ``process_response``; what is left alone; no Django needed to
import it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import django
import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import path

import klaviyo_legacy_compat
from klaviyo_legacy_compat import exceptions
from klaviyo_legacy_compat._surfaces.install import ALIASES
from klaviyo_legacy_compat.legacy import middleware
from tests.conftest import PUBLIC_KEY

PAGE = "<html><head><title>Shop</title></head><body><p>Hello</p></body></html>"
SNIPPET = (
    '<script type="text/javascript" async '
    f'src="https://static.klaviyo.com/onsite/js/klaviyo.js?company_id={PUBLIC_KEY}"></script>'
)
WITH_SNIPPET = PAGE.replace("</body>", SNIPPET + "</body>")


def _page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE)


def _json(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"body": "</body>"})


def _stream(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(iter([b"<html><body>", b"</body></html>"]))


urlpatterns = [path("page/", _page), path("json/", _json), path("stream/", _stream)]


@pytest.fixture(scope="module", autouse=True)
def site() -> Iterator[None]:
    """A minimal Django site whose MIDDLEWARE names the legacy module path, as 3.1.7's
    README told users to; ``install()`` for the module, ``sys.modules`` restored after."""
    saved = {name: sys.modules.get(name) for name in ALIASES}
    klaviyo_legacy_compat.install()
    if not settings.configured:
        settings.configure(
            SECRET_KEY="tests-only",
            ALLOWED_HOSTS=["testserver"],
            ROOT_URLCONF=__name__,
            MIDDLEWARE=["klaviyo.middleware.KlaviyoSnippetMiddleware"],
            INSTALLED_APPS=[],
            USE_TZ=True,
            KLAVIYO_API_TOKEN=PUBLIC_KEY,
        )
        django.setup()
    yield
    klaviyo_legacy_compat.uninstall()
    for name, module in saved.items():
        if module is not None:
            sys.modules[name] = module


def test_the_legacy_import_is_this_module() -> None:
    from klaviyo.middleware import KlaviyoSnippetMiddleware  # type: ignore[import-not-found]

    assert KlaviyoSnippetMiddleware is middleware.KlaviyoSnippetMiddleware


def test_an_html_page_gets_the_snippet_before_the_closing_body_tag() -> None:
    response = Client().get("/page/")
    assert response.content.decode() == WITH_SNIPPET
    assert response["Content-Length"] == str(len(response.content))


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("/page/", {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}),  # request.is_ajax() in 3.1.7
        ("/json/", {}),  # not HTML, though it holds "</body>"
    ],
    ids=["ajax", "not_html"],
)
def test_ajax_and_other_responses_are_left_alone(url: str, headers: dict[str, str]) -> None:
    response = Client().get(url, **headers)
    assert SNIPPET.encode() not in response.content


def test_a_streaming_response_is_left_alone() -> None:
    response = Client().get("/stream/")
    assert b"".join(response.streaming_content) == b"<html><body></body></html>"


def test_the_token_is_read_on_every_response() -> None:
    with override_settings(KLAVIYO_API_TOKEN="XyZ789"):
        assert b"company_id=XyZ789" in Client().get("/page/").content
    with override_settings(KLAVIYO_API_TOKEN=""):
        assert Client().get("/page/").content == PAGE.encode()
    with override_settings():
        del settings.KLAVIYO_API_TOKEN  # not set at all: pages pass unchanged, as in 3.1.7
        assert Client().get("/page/").content == PAGE.encode()


def test_a_private_key_as_the_token_is_never_put_in_a_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    private = "pk_MiddlewareCanary0123456789abcdef"
    with override_settings(KLAVIYO_API_TOKEN=private):
        assert Client().get("/page/").content == PAGE.encode()
    (record,) = [r for r in caplog.records if "KLAVIYO_API_TOKEN" in r.getMessage()]
    assert record.levelname == "ERROR" and private not in record.getMessage()


def test_the_old_style_process_response() -> None:
    request = RequestFactory().get("/page/")
    response = middleware.KlaviyoSnippetMiddleware().process_response(request, HttpResponse(PAGE))
    assert response.content.decode() == WITH_SNIPPET
    with pytest.raises(TypeError, match="get_response"):
        middleware.KlaviyoSnippetMiddleware()(request)


def _processed(response: HttpResponse) -> Any:
    request = RequestFactory().get("/")
    return middleware.KlaviyoSnippetMiddleware(lambda _: response)(request)


def test_bytes_in_the_pages_charset_and_the_last_closing_tag_in_any_case() -> None:
    # 3.1.7 joined a str snippet to bytes content (a TypeError on Python 3) and used the
    # first "</body", which may sit in a script before the page's own closing tag.
    page = '<BODY>Café<script>var end = "</body>";</script></BODY>'
    response = _processed(
        HttpResponse(page.encode("latin-1"), content_type="text/html; charset=iso-8859-1")
    )
    expected = page.replace("</BODY>", SNIPPET + "</BODY>")
    assert response.content == expected.encode("latin-1")
    assert response["Content-Length"] == str(len(expected))


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(lambda: HttpResponse("<p>a fragment</p>"), id="no_closing_body"),
        pytest.param(
            lambda: HttpResponse(PAGE, headers={"Content-Encoding": "gzip"}), id="encoded"
        ),
    ],
)
def test_pages_without_a_closing_tag_to_find_are_left_alone(response: Any) -> None:
    original = response()
    before = original.content
    assert _processed(original).content == before
    assert "Content-Length" not in original


def test_render_script_and_the_predicates_of_3_1_7() -> None:
    assert middleware.render_script(PUBLIC_KEY) == SNIPPET
    assert 'company_id=a%22b"' in middleware.render_script('a"b')  # never breaks the tag
    request = RequestFactory().get("/")
    ajax = RequestFactory().get("/", HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    html = HttpResponse(PAGE)
    assert middleware.is_html_response(html)
    assert not middleware.is_html_response(JsonResponse({}))
    assert middleware.is_trackable_response(request, html)
    assert not middleware.is_trackable_response(ajax, html)


def test_without_django_the_middleware_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "django.conf", None)
    with pytest.raises(exceptions.ConfigurationError, match="needs Django"):
        middleware.KlaviyoSnippetMiddleware()


def test_importing_it_needs_no_django() -> None:
    script = (
        "import sys; sys.modules['django'] = None\n"
        "import klaviyo_legacy_compat; klaviyo_legacy_compat.install()\n"
        "import klaviyo.middleware\n"
        "try:\n"
        "    klaviyo.middleware.KlaviyoSnippetMiddleware()\n"
        "except klaviyo_legacy_compat.ConfigurationError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "needs Django (pip install django)" in done.stdout
