"""The README's main job: the dry-run demo makes real legacy calls without a key, shows each
call exactly as made, and what it would send: summarised, in full (--full) or as the
contract's dry-run JSON (--json)."""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
from typing import Any, Optional

import pytest

from klaviyo_legacy_compat import demo
from tests.spec import SpecValidator

#: The calls the demo makes, by title.
TITLES = [example.title for example in demo.EXAMPLES]


def output(*argv: str) -> str:
    out = io.StringIO()
    assert demo.main(list(argv), out, width=100) == 0
    return out.getvalue()


def sections(text: str) -> dict[str, str]:
    """The default output cut at each call's heading, by title."""
    found: dict[str, str] = {}
    for part in text.split("\n=== ")[1:]:
        heading = part.splitlines()[0]
        (title,) = [title for title in TITLES if f" {title} · " in heading]
        found[title] = part
    return found


def run_shown(code: str, namespace: Optional[dict[str, Any]] = None) -> Any:
    """Run the code the demo shows, as shown, in the demo module's namespace; return the
    value of its last expression (the legacy call's answer)."""
    tree = ast.parse(code)
    block: list[ast.stmt] = tree.body
    while isinstance(block[-1], (ast.With, ast.For)):
        block = block[-1].body
    last = block[-1]
    assert isinstance(last, ast.Expr), "the code shown ends with the legacy call"
    block[-1] = ast.fix_missing_locations(
        ast.copy_location(
            ast.Assign(targets=[ast.Name("shown_answer", ast.Store())], value=last.value), last
        )
    )
    namespace = dict(vars(demo) if namespace is None else namespace)
    exec(compile(tree, "<shown>", "exec"), namespace)
    return namespace["shown_answer"]


def test_the_demo_prints_every_call_with_its_requests_and_differences() -> None:
    text = output()
    assert "no key is needed and nothing is sent" in " ".join(text.split())
    shown = sections(text)
    assert list(shown) == TITLES
    for example in demo.EXAMPLES:
        part = shown[example.title]
        plan = example.plan()
        count = len(plan["requests"])
        assert f"would send {count} request{'s' if count != 1 else ''}:" in part
        for warning in plan["warnings"]:
            assert warning.split()[0] in part
        assert ("behaviour differences:" in part) == bool(plan["warnings"])
    assert "  [0] POST /api/events  (create_event)\n" in shown["track"]


def test_each_call_is_shown_as_python_source_exactly_as_made(spec: SpecValidator) -> None:
    text = output()
    for example in demo.EXAMPLES:
        code = example.source()
        assert "return" not in code  # the body as written, the legacy call bare
        # The listing under the heading is the source, verbatim.
        indented = "\n".join("    " + line if line else "" for line in code.splitlines())
        assert indented in sections(text)[example.title]
        # Running what is shown gives the same plan as the demo's own run.
        assert demo.plan_of(run_shown(code)) == example.plan()
    track = demo.EXAMPLES[0].source()
    assert track.startswith(
        'client = klaviyo.Klaviyo(public_token="AbC123", private_token="pk_your_api_key", '
        "dry_run=True)\nclient.Public.track(\n"
        '    "Placed Order",\n    email="ann@example.com",\n'
    )


def test_the_shown_code_is_what_runs() -> None:
    """The source is read from the function itself: a change to the call changes what is
    shown (no second copy of it to drift)."""

    def example() -> str:
        """Left out of the listing."""
        words = ["legacy", "call"]
        with io.StringIO(" ".join(words)) as legacy:
            return legacy.read().upper()

    code = demo.source_of(example)
    assert code == (
        'words = ["legacy", "call"]\n'
        'with io.StringIO(" ".join(words)) as legacy:\n'
        "    legacy.read().upper()"
    )
    assert run_shown(code, {"io": io}) == example() == "LEGACY CALL"


def test_the_summary_names_method_path_operation_and_key_fields() -> None:
    shown = sections(output())
    track = shown["track"]
    for field in (
        'metric.name="Placed Order"',
        'profile.email="ann@example.com"',
        'profile.location.city="Paris"',
        'time="2024-05-01T12:00:00+00:00"',
        "value=42.5",
        'unique_id="1001"',
    ):
        assert field in track
    subscribe = shown["subscribe_to_list (250 profiles)"]
    # Three jobs of 100, 100 and 50 profiles: one line, the first shown.
    assert (
        "  [2-4] POST /api/profile-subscription-bulk-create-jobs  (bulk_subscribe_profiles), "
        "the first:\n      profiles: 100 profile items, the first:\n"
    ) in subscribe
    assert 'list.id="XyZ123"' in subscribe
    identify = shown["identify"]
    assert "note: sent only if request 0 answers 409" in identify
    exclusions = shown["exclude_email"]
    assert "  [0] GET /api/profiles  (get_profiles)\n" in exclusions
    assert 'filter="any(email,[\\"bob@example.com\\"])"' in exclusions


def test_each_call_fits_one_screen() -> None:
    for title, part in sections(output()).items():
        lines = part.splitlines()
        assert len(lines) <= 45, f"{title}: {len(lines)} lines"
        # Summary lines fit the width; only the code listing keeps its own (source) lines.
        summary = part[part.index("\nwould send") :].splitlines()
        assert max(map(len, summary)) <= 100, title


def test_full_prints_every_request_in_full() -> None:
    text = output("--full")
    shown = sections(text)
    assert list(shown) == TITLES
    subscribe = shown["subscribe_to_list (250 profiles)"]
    assert subscribe.count("POST https://a.klaviyo.com/api/profile-subscription-bulk") == 3
    for i in range(248):  # every profile of every job, nothing shortened
        assert f'"email": "customer{i}@example.com"' in subscribe
    assert '"Authorization": "Klaviyo-API-Key pk_…_key"' in subscribe  # redacted
    assert "more" not in subscribe
    bulk = shown["bulk mode (1,500 track and 3 identify calls)"]
    assert '"unique_id": "order-1499"' in bulk


def test_json_prints_the_plans_in_the_dry_run_format(spec: SpecValidator) -> None:
    lines = [json.loads(line) for line in output("--json").splitlines()]
    assert [line["call"] for line in lines] == TITLES
    for line, example in zip(lines, demo.EXAMPLES):
        assert set(line) == {"call", "code", "requests", "warnings"}
        assert line["code"] == example.source()
        assert {key: line[key] for key in ("requests", "warnings")} == example.plan()
        for request in line["requests"]:
            assert {"method", "url", "params", "headers", "json", "operation", "depends_on"} <= set(
                request
            )
            spec.assert_valid(request)
    plans = {line["call"]: line for line in lines}
    bulk = plans["bulk mode (1,500 track and 3 identify calls)"]["requests"]
    assert [r["operation"] for r in bulk] == [
        "bulk_create_events",
        "bulk_create_events",
        "bulk_import_profiles",
    ]
    jobs = [
        r
        for r in plans["subscribe_to_list (250 profiles)"]["requests"]
        if r["operation"] == "bulk_subscribe_profiles"
    ]
    assert [len(r["json"]["data"]["attributes"]["profiles"]["data"]) for r in jobs] == [
        100,
        100,
        50,
    ]


def test_full_and_json_exclude_each_other() -> None:
    with pytest.raises(SystemExit) as refused:
        demo.main(["--full", "--json"], io.StringIO())
    assert refused.value.code == 2


def test_a_reader_that_stops_early_gets_no_traceback() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "klaviyo_legacy_compat.demo", "--full"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # as `| head -1` does
    errors = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=60) == 1
    assert errors == ""
