"""The drop-in promise: a program written for ``klaviyo`` 3.1.7 runs with only its import
changed, and with ``install()`` and no change at all, against a local Klaviyo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from klaviyo_legacy_compat.testing import LocalKlaviyo

PROGRAM = Path(__file__).parent / "programs" / "klaviyo_readme.py"
SDK_PROGRAM = Path(__file__).parent / "programs" / "klaviyo_sdk_readme.py"


def run(source: str, server: LocalKlaviyo, list_id: str, prelude: str = "") -> dict[str, Any]:
    env = {
        **os.environ,
        "PUBLIC": server.public_key,
        "PRIVATE": server.private_key,
        "LIST_ID": list_id,
        "KLAVIYO_API_BASE_URL": server.base_url,
    }
    code = prelude + "\n" + "exec(compile(SOURCE, 'program.py', 'exec'))"
    done = subprocess.run(
        [sys.executable, "-c", f"SOURCE = {source!r}\n{code}"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def check(results: dict[str, Any], server: LocalKlaviyo, list_id: str) -> None:
    assert results["track"] == 1 and results["identify"] == 1
    assert results["subscribe_status"] == 200
    assert results["subscribed"] == ["george.washington@example.com", "john.adams@example.com"]
    assert results["unsubscribe"] == ""
    assert results["local_error"] == "You must identify a user by email or ID."
    assert results["api_error"] == 404
    events = server.store.events_for("someone@example.com")
    assert [e.metric for e in events] == ["Filled Out Profile"]
    profile = server.store.profile_by_email("thomas.jefferson@example.com")
    assert profile is not None and profile.properties["Plan"] == "Premium"
    members = {server.store.profile(pid).email for pid in server.store.list_members(list_id)}  # type: ignore[union-attr]
    assert members == {"george.washington@example.com"}


@pytest.fixture
def server() -> Any:
    with LocalKlaviyo(enforce_rate_limits=False) as running:
        yield running


def test_only_the_import_line_changes(server: LocalKlaviyo) -> None:
    source = PROGRAM.read_text(encoding="utf-8")
    swapped = source.replace("import klaviyo\n", "import klaviyo_legacy_compat as klaviyo\n", 1)
    swapped = swapped.replace("from klaviyo.exceptions", "from klaviyo_legacy_compat.exceptions", 1)
    assert swapped.count("klaviyo_legacy_compat") == 2  # exactly the import lines changed
    list_id = server.store.create_list("Newsletter")
    check(run(swapped, server, list_id), server, list_id)


def test_install_and_no_change_at_all(server: LocalKlaviyo) -> None:
    source = PROGRAM.read_text(encoding="utf-8")
    list_id = server.store.create_list("Newsletter")
    prelude = "import klaviyo_legacy_compat; klaviyo_legacy_compat.install()"
    check(run(source, server, list_id, prelude), server, list_id)


def check_sdk(results: dict[str, Any], server: LocalKlaviyo, list_id: str) -> None:
    assert results["track"] == "1"
    assert results["lists"] == [{"list_id": list_id, "list_name": "Newsletter"}]
    george = server.store.profile_by_email("george.washington@klaviyo.com")
    assert george is not None  # the id is the store's, looked up after the subscribe job
    assert results["subscribed"] == [{"id": george.id, "email": "george.washington@klaviyo.com"}]
    assert results["unsubscribe"] is None
    assert results["profile_id"] is True
    assert results["api_error"] == [404, 404]
    assert (
        results["missing"]
        == "Missing the required parameter `list_id` when calling `get_list_info`"
    )
    assert results["unknown"] == "Got an unexpected keyword argument 'page' to method get_lists"
    assert server.store.list_members(list_id) == []
    assert len(server.store.events_for("abraham.lincoln@klaviyo.com")) == 1


def test_the_sdk_program_with_only_its_imports_changed(server: LocalKlaviyo) -> None:
    source = SDK_PROGRAM.read_text(encoding="utf-8")
    swapped = source.replace(
        "from klaviyo_sdk import Client", "from klaviyo_legacy_compat.sdk import Client", 1
    ).replace(
        "from swagger_client.rest import ApiException",
        "from klaviyo_legacy_compat.sdk import ApiException",
        1,
    )
    assert swapped.count("klaviyo_legacy_compat") == 2
    list_id = server.store.create_list("Newsletter")
    check_sdk(run(swapped, server, list_id), server, list_id)


def test_the_sdk_program_with_install_and_no_change(server: LocalKlaviyo) -> None:
    list_id = server.store.create_list("Newsletter")
    prelude = "import klaviyo_legacy_compat; klaviyo_legacy_compat.install()"
    source = SDK_PROGRAM.read_text(encoding="utf-8")
    check_sdk(run(source, server, list_id, prelude), server, list_id)


def test_install_makes_the_swagger_client_imports_work_in_a_fresh_interpreter() -> None:
    """B.1's statements, run in a new interpreter (nothing cached from other tests)."""
    source = "\n".join(
        (
            "import klaviyo_legacy_compat; klaviyo_legacy_compat.install()",
            "import json, swagger_client, swagger_client.models, klaviyo_sdk.custom_retry",
            "from swagger_client import ApiClient, Configuration, ListsSegmentsApi",
            "from swagger_client.models import ListIdSubscribeBody",
            "from klaviyo_sdk.custom_retry import retry_if_qualifies",
            "config = Configuration(); config.api_key['api_key'] = 'pk_x'",
            "api = ListsSegmentsApi(ApiClient(config))",
            "body = swagger_client.ListIdSubscribeBody(profiles=[{'email': 'a@example.com'}])",
            "print(json.dumps([body.to_dict(), body is not None, callable(api.subscribe),",
            "    ListIdSubscribeBody is swagger_client.models.ListIdSubscribeBody,",
            "    callable(retry_if_qualifies([429]))]))",
        )
    )
    done = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"profiles": [{"email": "a@example.com"}]},
        True,
        True,
        True,
        True,
    ]
