"""The README's main job: the dry-run demo translates the legacy calls without a key."""

from __future__ import annotations

import io
import json

from klaviyo_legacy_compat import demo
from tests.spec import SpecValidator


def test_the_demo_prints_every_call() -> None:
    out = io.StringIO()
    assert demo.main([], out) == 0
    text = out.getvalue()
    for title, _, _ in demo.CALLS:
        assert f"=== {title}" in text
    assert "POST https://a.klaviyo.com/api/profile-subscription-bulk-create-jobs" in text
    assert "... 97 more" in text  # 100-profile jobs, shortened for reading


def test_the_demo_plans_are_valid_and_chunked(spec: SpecValidator) -> None:
    out = io.StringIO()
    demo.main(["--json"], out)
    plans = {line["call"]: line for line in map(json.loads, out.getvalue().splitlines())}
    assert len(plans) == 6
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
    for plan in plans.values():
        for request in plan["requests"]:
            spec.assert_valid(request)
