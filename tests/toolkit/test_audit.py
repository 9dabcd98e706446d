"""``klaviyo-legacy-compat audit``: the fixture trees of tests/fixtures/audit, one per
language, give exactly the findings of :data:`EXPECTED` (so every decoy in them, a new-API
URL, a comment, a docstring, Klaviyo's onsite ``klaviyo.js``, the shim imported as
``klaviyo``, is not found), in every output format, with the exit status of a CI gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from klaviyo_legacy_compat import cli
from klaviyo_legacy_compat._core.catalogue import KLAVIYO_ENDPOINTS
from klaviyo_legacy_compat._toolkit.audit import audit, match_url, scan_text, strip_comments
from klaviyo_legacy_compat._toolkit.audit_format import render_sarif

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "audit"

#: Every finding of the fixture trees: file, line, column, rule, legacy method or path.
#: Decoys (lines that must give nothing) are named in the fixtures' own comments and strings.
EXPECTED = {
    ("go/legacy.go", 7, 22, "legacy-url", "GET /api/v2/list/{list_id}/exclusions/all"),
    ("go/legacy.go", 10, 12, "legacy-url", "GET|POST /api/identify"),
    ("java/Legacy.java", 5, 33, "legacy-url", "POST /api/v1/campaign/{campaign_id}/send"),
    ("javascript/client.ts", 1, 16, "legacy-import", "retired client node-klaviyo"),
    ("javascript/client.ts", 3, 26, "legacy-url", "GET /api/v1/metrics"),
    ("javascript/client.ts", 4, 42, "legacy-url", "GET /api/v1/metric/{metric_id}/timeline"),
    ("javascript/legacy.js", 1, 17, "legacy-import", "retired client klaviyo-node"),
    ("javascript/legacy.js", 8, 22, "legacy-url", "POST /api/v2/list/{list_id}/subscribe"),
    ("javascript/legacy.js", 10, 32, "legacy-url", "GET /api/v2/group/{group_id}/members/all"),
    ("php/legacy.php", 2, 1, "legacy-import", "retired client Klaviyo\\Klaviyo"),
    ("php/legacy.php", 5, 11, "legacy-import", "retired client Klaviyo"),
    ("php/legacy.php", 5, 24, "private-key", "pk_…0123"),
    ("php/legacy.php", 7, 9, "legacy-url", "GET|PUT /api/v1/person/{person_id}"),
    ("php/legacy.php", 8, 10, "legacy-url", "DELETE|GET|POST /api/v2/list/{list_id}/members"),
    ("python/broken.py", 2, 12, "legacy-url", "GET /api/v1/metrics"),
    ("python/flat_v2.py", 1, 1, "legacy-import", "from klaviyo import Klaviyo"),
    ("python/flat_v2.py", 4, 1, "legacy-call", "Klaviyo.track"),
    ("python/flat_v2.py", 5, 1, "legacy-call", "Klaviyo.lists"),
    ("python/legacy_v3.py", 3, 1, "legacy-import", "import klaviyo"),
    ("python/legacy_v3.py", 7, 1, "legacy-call", "Public.track"),
    ("python/legacy_v3.py", 8, 1, "legacy-call", "Lists.get_lists"),
    ("python/legacy_v3.py", 18, 9, "legacy-call", "Profiles.get_profile"),
    ("python/legacy_v3.py", 19, 9, "legacy-call", "Public.identify(method='post')"),
    ("python/legacy_v3.py", 20, 9, "legacy-call", "Public.track(method='post')"),
    ("python/raw_http.py", 4, 7, "private-key", "pk_…cdef"),
    ("python/raw_http.py", 10, 9, "legacy-url", "POST /api/v2/list/{list_id}/subscribe"),
    ("python/raw_http.py", 16, 25, "legacy-url", "GET /api/v2/lists"),
    ("python/raw_http.py", 20, 25, "legacy-url", "GET /api/v1/person/{person_id}"),
    ("python/sdk_client.py", 1, 1, "legacy-import", "from klaviyo_sdk import Client"),
    ("python/sdk_client.py", 4, 1, "legacy-call", "Profiles.get_profile"),
    ("python/sdk_client.py", 5, 1, "legacy-call", "ListsSegments.add_members"),
    ("python/sdk_client.py", 6, 1, "legacy-call", "Metrics.get_metrics"),
    ("python/swagger.py", 1, 1, "legacy-import", "import swagger_client"),
    ("python/swagger.py", 2, 1, "legacy-import", "from swagger_client import ListsSegmentsApi"),
    ("python/swagger.py", 6, 1, "legacy-call", "ListsSegmentsApi.get_lists"),
    ("python/swagger.py", 8, 1, "legacy-call", "MetricsApi.metric_export"),
    ("ruby/legacy.rb", 1, 1, "legacy-import", "retired client klaviyo"),
    ("ruby/legacy.rb", 5, 1, "legacy-import", "retired client Klaviyo::People"),
    ("ruby/legacy.rb", 6, 12, "legacy-url", "DELETE|GET|POST /api/v2/list/{list_id}/subscribe"),
    ("shell/sync.sh", 3, 17, "legacy-url", "DELETE /api/v2/list/{list_id}/subscribe"),
    ("shell/sync.sh", 4, 7, "legacy-url", "GET|POST /api/track"),
}

#: The keys written in the fixtures, never to be printed whole.
KEYS = ("pk_1234567890abcdef1234567890abcdef", "pk_abcdef0123456789abcdef0123")


def found(path: Path = FIXTURES) -> set[tuple[str, int, int, str, str]]:
    return {
        (Path(f.path).relative_to(FIXTURES).as_posix(), f.line, f.column, f.rule, f.legacy)
        for f in audit([str(path)]).findings
    }


def test_the_fixture_trees_give_exactly_the_expected_findings() -> None:
    assert found() == EXPECTED


@pytest.mark.parametrize("language", sorted({row[0].split("/")[0] for row in EXPECTED}))
def test_each_language_alone(language: str) -> None:
    assert found(FIXTURES / language) == {
        row for row in EXPECTED if row[0].startswith(language + "/")
    }


def test_files_with_only_decoys_give_nothing() -> None:
    # the shim imported as klaviyo, new-API URLs, klaviyo.js and _learnq, in whole files
    for name in ("python/clean.py", "javascript/onsite.html.js"):
        assert audit([str(FIXTURES / name)]).findings == ()


def test_a_finding_carries_its_catalogue_row() -> None:
    report = audit([str(FIXTURES / "python" / "legacy_v3.py")])
    lists = next(f for f in report.findings if f.legacy == "Lists.get_lists")
    entry = KLAVIYO_ENDPOINTS["Lists.get_lists"]
    assert lists.endpoints == (f"{entry.method} {entry.path}",)
    assert lists.operations == ("GET /api/lists (get_lists)",)
    assert lists.differences == entry.differences
    assert "import klaviyo_legacy_compat as klaviyo" in lists.way_in
    # what MIGRATION.md says the row becomes, found the same way
    migration = (ROOT / "MIGRATION.md").read_text(encoding="utf-8")
    assert "`GET /api/lists` (get_lists)" in migration


def test_the_way_in_of_each_kind_of_site() -> None:
    report = audit([str(FIXTURES)])
    ways = {(f.path.rsplit("/", 1)[-1], f.rule): f.way_in for f in report.findings}
    assert "klaviyo_legacy_compat.sdk import Client" in ways[("sdk_client.py", "legacy-call")]
    assert "install()" in ways[("swagger.py", "legacy-call")]
    assert "mount(session)" in ways[("raw_http.py", "legacy-url")]
    assert "klaviyo-legacy-compat serve" in ways[("legacy.js", "legacy-url")]
    assert "KLAVIYO_PRIVATE_API_KEY" in ways[("raw_http.py", "private-key")]


def test_a_python_file_that_does_not_parse_is_scanned_as_text_and_reported() -> None:
    report = audit([str(FIXTURES / "python")])
    (problem,) = report.problems
    assert problem.path.endswith("broken.py")
    assert "SyntaxError at line 1" in problem.reason and "scanned as text" in problem.reason


def test_unreadable_binary_and_skipped_files(tmp_path: Path) -> None:
    url = '"https://a.klaviyo.com/api/v2/lists"\n'
    (tmp_path / "latin1.js").write_bytes("// caf\xe9\n".encode("latin-1") + url.encode())
    (tmp_path / "blob.js").write_bytes(b"\0\1" + url.encode())
    for folder in ("node_modules", ".git", ".venv", "venv", "__pycache__"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "dep.js").write_text(url, encoding="utf-8")
    (tmp_path / "notes.txt").write_text(url, encoding="utf-8")
    (tmp_path / "app.js").write_text("fetch(" + url + ")", encoding="utf-8")
    report = audit([str(tmp_path)])
    assert [(Path(f.path).name, f.line) for f in report.findings] == [("app.js", 1)]
    (problem,) = report.problems
    assert problem.path.endswith("latin1.js") and "not UTF-8" in problem.reason
    assert report.files == 1


def test_python_dataflow_and_its_limits() -> None:
    source = (
        "from klaviyo_sdk import Client\n"
        "import klaviyo_legacy_compat as klaviyo\n"
        "class A:\n"
        "    def __init__(self):\n"
        "        self.api: Client = Client('k')\n"
        "    def go(self):\n"
        "        self.api.DataPrivacy.request_deletion(body={})\n"
        "        klaviyo.Klaviyo().Lists.get_lists()\n"
        "        self.api.Lists.get_lists()\n"
    )
    findings, reason = scan_text("a.py", source)
    assert reason is None
    assert [(f.line, f.legacy) for f in findings] == [
        (1, "from klaviyo_sdk import Client"),
        (7, "DataPrivacy.request_deletion"),
    ]


def test_python_urls_by_parts() -> None:
    source = (
        "import os\n"
        "base = os.environ['KLAVIYO_BASE']\n"
        "def f(x):\n"
        "    '''GET https://a.klaviyo.com/api/v1/metrics'''\n"
        "    get(f'{base}/v1/metric/{x}/export')\n"
        "    get('https://a.klaviyo.com/api/v2/list/{}/exclusions/all'.format(x))\n"
        "    get('https://a.klaviyo.com/api/v2/list/%s' % x)\n"
    )
    findings, _ = scan_text("a.py", source)
    assert [(f.line, f.legacy) for f in findings] == [
        (5, "GET /api/v1/metric/{metric_id}/export"),
        (6, "GET /api/v2/list/{list_id}/exclusions/all"),
        (7, "DELETE|GET|PUT /api/v2/list/{list_id}"),
    ]
    # a bare /v1/ path after an unknown base counts only in a file that names Klaviyo
    assert scan_text("b.py", "get(f'{base}/v1/metrics')\n") == ([], None)


def test_match_url_reads_the_catalogue() -> None:
    assert [e.path for e in match_url("https://a.klaviyo.com/api/v2/lists?api_key=x")] == [
        "/api/v2/lists",
        "/api/v2/lists",
    ]
    assert [e.method for e in match_url("https://a.klaviyo.com/api/v2/lists", "post")] == ["POST"]
    for new in (
        "https://a.klaviyo.com/api/lists/",
        "https://a.klaviyo.com/client/events/",
        "https://static.klaviyo.com/onsite/js/klaviyo.js",
        "https://example.com/api/track",
    ):
        assert match_url(new) == []


def test_comments_are_blanked_in_place() -> None:
    text = "a = \"// not a comment\"; // gone\n/* gone\n */ b = '#'\n"
    stripped = strip_comments(text, "c")
    assert stripped.splitlines() == ['a = "// not a comment";        ', "       ", "    b = '#'"]
    assert strip_comments("x # gone\necho ${#A} '#kept'\n", "hash") == (
        "x       \necho ${#A} '#kept'\n"
    )


def run(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = cli.main(["audit", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_exit_status_is_a_ci_gate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(str(FIXTURES / "shell"), capsys=capsys)[0] == 1
    (tmp_path / "ok.py").write_text("import requests\n", encoding="utf-8")
    status, out, _ = run(str(tmp_path), capsys=capsys)
    assert status == 0 and out.startswith("0 legacy site(s)")
    status, out, err = run(str(tmp_path / "missing"), capsys=capsys)
    assert status == 2 and out == "" and "no such file or directory" in err
    status, out, err = run(capsys=capsys)
    assert status == 2 and out == "" and "at least one PATH" in err
    (tmp_path / "bad.js").write_bytes(b"\xff\xfe")
    status, out, _ = run(str(tmp_path), capsys=capsys)
    assert status == 0 and "bad.js: unreadable: not UTF-8 (byte 0)\n" in out


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_no_format_prints_a_whole_key(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run("--format", fmt, str(FIXTURES), capsys=capsys)
    assert status == 1
    assert "pk_…cdef" in out and "pk_…0123" in out
    assert not any(key in out for key in KEYS)


def test_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run("--format", "json", str(FIXTURES), capsys=capsys)
    document = json.loads(out)
    assert document["files_scanned"] == 15
    assert len(document["findings"]) == len(EXPECTED)
    assert [p["path"].rsplit("/", 1)[-1] for p in document["unreadable"]] == ["broken.py"]
    first = document["findings"][0]
    assert set(first) == {
        "path", "line", "column", "rule", "legacy", "endpoints", "operations", "differences",
        "way_in",
    }  # fmt: skip


def test_sarif_has_the_fields_code_scanning_reads(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run("--format", "sarif", str(FIXTURES), capsys=capsys)
    log: dict[str, Any] = json.loads(out)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (sarif_run,) = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "klaviyo-legacy-compat audit"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(sarif_run["results"]) == len(EXPECTED)
    seen = set()
    for result in sarif_run["results"]:
        assert result["ruleId"] in rule_ids
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("warning", "error") and result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert not uri.startswith("/") or uri.startswith(str(FIXTURES))
        region = physical["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        seen.add(
            (
                Path(uri).relative_to(FIXTURES).as_posix(),
                region["startLine"],
                region["startColumn"],
                result["ruleId"],
                result["properties"]["legacy"],
            )
        )
    assert seen == EXPECTED
    (notification,) = sarif_run["invocations"][0]["toolExecutionNotifications"]
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "broken.py"
    )


def test_sarif_uris_are_escaped() -> None:
    findings, _ = scan_text("dir with space/a b.sh", "curl https://a.klaviyo.com/api/v1/metrics\n")
    from klaviyo_legacy_compat._toolkit.audit import Report

    log = json.loads(render_sarif(Report(tuple(findings), (), 1)))
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "dir%20with%20space/a%20b.sh"


def test_text_format_says_what_each_finding_becomes(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(str(FIXTURES / "python" / "legacy_v3.py"), capsys=capsys)
    assert f"{FIXTURES / 'python' / 'legacy_v3.py'}:8:1: legacy-call: Lists.get_lists" in out
    assert "    becomes: GET /api/lists (get_lists)" in out
    assert "    differs: " in out and "    way in: import swap" in out
    assert out.endswith("6 legacy site(s) in 1 file(s); 1 file(s) scanned, 0 unreadable\n")


def test_text_urls_by_parts() -> None:
    source = (
        'get("https://a.klaviyo.com/api/v1/person/" + personId);\n'
        'get("https://a.klaviyo.com/api/v1/person/");\n'
        'http.delete("https://a.klaviyo.com/api/v2/list/" + id + "/members", body);\n'
    )
    findings, _ = scan_text("a.js", source)
    assert [(f.line, f.column, f.legacy) for f in findings] == [
        (1, 6, "GET|PUT /api/v1/person/{person_id}"),
        (3, 14, "DELETE /api/v2/list/{list_id}/members"),
    ]
