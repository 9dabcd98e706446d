"""``klaviyo-legacy-compat eject --site``: from a call site ``audit`` found to native code.

The program below is legacy code as a shop wrote it: the five mission calls and a few more,
through ``klaviyo`` 3.1.7 and 2.x, ``klaviyo-sdk``, ``swagger_client`` and raw ``requests``.
For each site, the code ejected from it leaves a LocalKlaviyo as the program's own call,
run under the shim (``install(http=True)``), leaves an identically seeded one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Optional

import pytest

from klaviyo_legacy_compat import cli
from klaviyo_legacy_compat._toolkit.audit import audit
from klaviyo_legacy_compat._toolkit.site import Site, SiteError, parse_site, plan_site
from klaviyo_legacy_compat.testing import LocalKlaviyo
from klaviyo_legacy_compat.testing._store_messages import Account
from tests.test_import_swap import run
from tests.toolkit.test_eject import (
    seed_list,
    seed_members,
    seed_nothing,
    seed_profile,
    seed_suppressed,
    snapshot,
)

LIST = "XyZ123"

#: A legacy program: each function one call, its first line marked `# site: NAME`. Keys and
#: the host come from the environment (not literals: the sites need not know them).
PROGRAM = '''\
"""A shop's legacy Klaviyo calls."""
import os

import klaviyo
import requests
import swagger_client
from klaviyo_sdk import Client

LIST_ID = "XyZ123"
API = "https://a.klaviyo.com/api"
client = klaviyo.Klaviyo(public_token=os.environ["PUBLIC"], private_token=os.environ["PRIVATE"])
sdk = Client(os.environ["PRIVATE"])
config = swagger_client.Configuration()
config.api_key["api_key"] = os.environ["PRIVATE"]
lists_api = swagger_client.ListsSegmentsApi(swagger_client.ApiClient(config))


def track():
    client.Public.track(  # site: track
        "Placed Order",
        email="a@example.com",
        customer_properties={"$first_name": "Ann"},
        properties={"$value": 42, "$event_id": "order-1", "item": "Hat"},
        timestamp=1700000000,
    )


def track_flat():
    client.track(  # site: track_flat
        "Viewed Product", email="a@example.com", properties={"sku": "H-1"}
    )


def identify():
    client.Public.identify(  # site: identify
        email="a@example.com", properties={"plan": "gold", "$city": "Oslo"}
    )


def subscribe():
    client.Lists.add_subscribers_to_list(  # site: subscribe
        LIST_ID, [{"email": "a@example.com"}, {"phone_number": "+15005550006", "sms_consent": True}]
    )


def unsubscribe():
    sdk.ListsSegments.unsubscribe(LIST_ID, body={"emails": ["a@example.com"]})  # site: unsubscribe


def exclusion():
    requests.post(
        API + "/v1/people/exclusions",  # site: exclusion
        data={"api_key": os.environ["PRIVATE"], "email": "a@example.com"},
    )


def subscribe_raw():
    requests.post(
        f"https://a.klaviyo.com/api/v2/list/{LIST_ID}/subscribe",  # site: subscribe_raw
        json={
            "api_key": os.environ["PRIVATE"],
            "profiles": [{"email": "b@example.com", "plan": "gold"}],
        },
    )


def members_swagger():
    lists_api.add_members(  # site: members_swagger
        LIST_ID, body={"profiles": [{"email": "c@example.com"}]}
    )
'''

CASES: dict[str, Callable[[Account], None]] = {
    "track": seed_nothing,
    "track_flat": seed_profile,
    "identify": seed_profile,
    "subscribe": seed_list,
    "unsubscribe": seed_members,
    "exclusion": seed_suppressed,
    "subscribe_raw": seed_list,
    "members_swagger": seed_list,
}


def write_program(directory: Path, store: Account, text: str = PROGRAM) -> Path:
    """The program, aimed at the store's list (its id is the store's own)."""
    directory.mkdir(exist_ok=True)
    path = directory / "shop.py"
    ids = list(store.lists)
    path.write_text(text.replace(LIST, ids[0]) if ids else text, encoding="utf-8")
    return path


def site_of(path: Path, name: str) -> str:
    """``FILE:LINE:COLUMN`` of the site marked ``name``, as audit names it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.endswith(f"# site: {name}"))
    (finding,) = [
        f
        for f in audit([str(path)]).findings
        if f.line == line and f.rule in ("legacy-call", "legacy-url")
    ]
    return f"{finding.path}:{finding.line}:{finding.column}"


def eject(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    status = cli.main(["eject", *argv])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    return out


def unwrapped(code: str) -> str:
    """The code with its wrapped comments joined back into one line each."""
    return code.replace("\n#   ", " ")


def run_as_legacy(path: Path, name: str, server: LocalKlaviyo) -> None:
    """The program's own call, run under the shim (``install(http=True)``), against
    ``server``."""
    source = path.read_text(encoding="utf-8") + f"\n{name}()\nprint('{{}}')\n"
    prelude = "import klaviyo_legacy_compat; klaviyo_legacy_compat.install(http=True)"
    assert run(source, server, "", prelude) == {}


@pytest.mark.parametrize("style", ["requests", "sdk"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_code_ejected_from_a_site_leaves_the_store_the_site_s_own_call_leaves(
    case: str,
    style: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with (
        LocalKlaviyo(enforce_rate_limits=False) as shim,
        LocalKlaviyo(enforce_rate_limits=False) as native,
    ):
        seed = CASES[case]
        seed(shim.store)
        seed(native.store)
        before = snapshot(shim.store)
        assert snapshot(native.store) == before

        run_as_legacy(write_program(tmp_path / "shim", shim.store), case, shim)

        program = write_program(tmp_path / "native", native.store)
        code = eject(["--site", site_of(program, case), "--style", style], capsys)
        assert "# The legacy call this replaces:" in code
        assert "stand in" not in code  # every value of these sites is known
        monkeypatch.setenv("KLAVIYO_BASE_URL", native.base_url)
        monkeypatch.setenv("KLAVIYO_PRIVATE_API_KEY", native.private_key)
        exec(compile(code, f"<eject {case} {style}>", "exec"), {"__name__": "ejected"})

        after = snapshot(shim.store)
        assert snapshot(native.store) == after
        if case != "exclusion":  # already suppressed: legacy and native change nothing
            assert after != before

        def writes(server: LocalKlaviyo) -> list[tuple[Optional[str], Optional[int]]]:
            return [(r.operation, r.status) for r in server.requests if r.method != "GET"]

        assert writes(native) == writes(shim)


def test_the_site_is_audit_s_place_and_the_code_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = tmp_path / "shop.py"
    program.write_text(PROGRAM, encoding="utf-8")
    site = site_of(program, "subscribe")
    code = eject(["--site", site], capsys)
    assert f"# - {site}: Lists.add_subscribers_to_list\n" in unwrapped(code)
    assert '"""Native Klaviyo API code for the legacy call Lists.add_subscribers_to_list.' in code
    # audit's text output puts a colon after the column; pasted as it is, it is the same site
    assert eject(["--site", site + ":"], capsys) == code
    # without the column: the only call on the line
    assert eject(["--site", site.rsplit(":", 1)[0]], capsys) == code


def test_values_a_site_does_not_spell_are_the_example_s_and_the_code_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (
        "import klaviyo, requests\n"
        "k = klaviyo.Klaviyo(public_token='AbC123', private_token=KEY)\n"
        "k.Public.track('Placed Order', email=user.email, properties={'sku': sku, **more})\n"
        "requests.post(f'https://a.klaviyo.com/api/v2/list/{list_id}/subscribe', json=body)\n"
        "requests.delete('https://a.klaviyo.com/api/v2/list/QrS789/subscribe', json=body)\n"
    )
    path = tmp_path / "app.py"
    path.write_text(source, encoding="utf-8")
    track = eject(["--site", f"{path}:3"], capsys)
    assert (
        "# - `user.email`, `{'sku': sku, **more}` are not literals there: this code is "
        "generated from the catalogue's example of GET /api/track (MIGRATION.md), whose "
        "values stand in for the call's own: put the call's values in their place.\n"
    ) in unwrapped(track)
    subscribe = eject(["--site", f"{path}:4"], capsys)
    assert (
        "`f'https://a.klaviyo.com/api/v2/list/{list_id}/subscribe'`, `body` are not literals"
    ) in unwrapped(subscribe)
    assert "(and for the path's list_id=XyZ123)" in unwrapped(subscribe)  # the f-string's hole
    assert '"/api/lists/XyZ123"' in subscribe
    unsubscribe = unwrapped(eject(["--site", f"{path}:5"], capsys))
    assert "`body` is not a literal there" in unsubscribe
    assert '"QrS789"' in unsubscribe and "(and for the path" not in unsubscribe
    for code in (track, subscribe, unsubscribe):
        compile(code, "<eject>", "exec")


def test_a_site_in_another_language_is_its_endpoint_s_example_with_its_own_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "subscribe.js"
    path.write_text(
        "// the newsletter form\n"
        "await axios.post('https://a.klaviyo.com/api/v2/list/LmN456/subscribe', form);\n"
        "await fetch(`https://a.klaviyo.com/api/v2/list/${id}/subscribe`, {method: 'POST'});\n",
        encoding="utf-8",
    )
    code = unwrapped(eject(["--site", f"{path}:2"], capsys))
    assert f"# - {path}:2:19: POST /api/v2/list/{{list_id}}/subscribe\n" in code
    assert '"/api/lists/LmN456"' in code and "(and for the path" not in code
    assert "the catalogue's example of POST /api/v2/list/{list_id}/subscribe" in code
    # fetch's method is in its options, which a text scan does not read: POST is taken, and
    # the code says so; the path's id is a hole, the example's stands in
    code = unwrapped(eject(["--site", f"{path}:3"], capsys))
    assert f"# - {path}:3:14: DELETE|GET|POST /api/v2/list/{{list_id}}/subscribe\n" in code
    assert "the method is not known there: the code is for POST" in code
    assert "(and for the path's list_id=XyZ123)" in code


def test_a_key_in_a_site_is_never_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "pk_0123456789abcdef0123456789abcd99"
    source = (
        "import requests\n"
        f"requests.post('https://a.klaviyo.com/api/v1/people/exclusions', data={{'api_key': "
        f"'{key}', 'email': 'a@example.com'}})\n"
        f"requests.post('https://a.klaviyo.com/api/v1/people/exclusions', json=sign('{key}'))\n"
    )
    path = tmp_path / "keys.py"
    path.write_text(source, encoding="utf-8")
    for line in (2, 3):
        code = eject(["--site", f"{path}:{line}"], capsys)
        assert key not in code and key[3:] not in code
    assert "`sign('pk_…cd99')` is not a literal there" in code  # as audit shows a key


def test_a_call_the_legacy_sdk_refused_is_refused_with_its_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "app.py"
    path.write_text(
        "import klaviyo\nk = klaviyo.Klaviyo('AbC123', 'pk_x')\nk.Public.track('Placed Order')\n",
        encoding="utf-8",
    )
    assert cli.main(["eject", "--site", f"{path}:3"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"klaviyo-legacy-compat eject: {path}:3:1: Public.track is refused as it is written, "
        "as the legacy SDK refused it: You must identify a user by email or ID.\n"
    )


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--site", "{path}:1"], "{path}:1: no legacy call audit finds there (in this file: "),
        (["--site", "{path}:9"], "3:1 Public.track; 4:1 Public.identify; 4:43 Public.track)"),
        (["--site", "{path}:4"], "2 legacy calls on that line; give the column: {path}:4:1"),
        (["--site", "{path}:4:43"], None),
        (["--site", "{path}"], "--site: FILE:LINE or FILE:LINE:COLUMN"),
        (["--site", "{path}.missing:3"], "No such file or directory: {path}.missing"),
        (["--site", "{path}:3", "--call", "{{}}"], "--site takes no request"),
    ],
)
def test_a_site_that_names_no_call_exits_2_with_a_reason(
    argv: list[str], reason: Optional[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "app.py"
    path.write_text(
        "import klaviyo\nk = klaviyo.Klaviyo('AbC123', 'pk_x')\n"
        "k.Public.track('A', email='a@example.com')\n"
        "k.Public.identify(email='a@example.com'); k.Public.track('B', email='b@example.com')\n",
        encoding="utf-8",
    )
    status = cli.main(["eject", *(a.format(path=path) for a in argv)])
    out, err = capsys.readouterr()
    if reason is None:
        assert status == 0 and "legacy call Public.track" in out
        return
    assert (status, out) == (2, "")
    assert err.startswith("klaviyo-legacy-compat eject: ") and reason.format(path=path) in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("app.py:12", Site("app.py", 12)),
        ("app.py:12:5", Site("app.py", 12, 5)),
        ("app.py:12:5:", Site("app.py", 12, 5)),
        ("C:/shop/app.py:3:1", Site("C:/shop/app.py", 3, 1)),
        ("dir:with:colons/app.py:7", Site("dir:with:colons/app.py", 7)),
    ],
)
def test_parse_site(text: str, expected: Site) -> None:
    assert parse_site(text) == expected


@pytest.mark.parametrize("text", ["app.py", "app.py:", ":3", "app.py:3:x"])
def test_parse_site_refuses_what_is_not_a_site(text: str) -> None:
    with pytest.raises(SiteError, match="FILE:LINE"):
        parse_site(text)


def test_plan_site_reads_only_the_file(tmp_path: Path) -> None:
    # Pure but for the read: a dry-run plan, nothing sent (no server exists here).
    path = tmp_path / "app.py"
    path.write_text(
        "import klaviyo\nLIST = 'Ab1'\nklaviyo.Klaviyo().Lists.get_list_by_id(LIST)\n",
        encoding="utf-8",
    )
    call = plan_site(Site(str(path), 3), {})
    assert [(r.method, r.path) for r in call.plan.requests] == [("GET", "/api/lists/Ab1")]
    assert json.dumps(call.plan.to_dict())  # a plan like any other
    assert call.notes == (f"{path}:3:1: Lists.get_list_by_id",)
