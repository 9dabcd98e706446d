"""The dry-run demo: real legacy calls, translated and printed, nothing sent, no key needed.

Run it with ``python -m klaviyo_legacy_compat.demo`` (``--json`` prints the full plans).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from typing import Any, Callable, Optional, TextIO

from ._client import CompatClient
from ._facade import batching
from ._plan import Plan

__all__ = ["CALLS", "main"]

#: Shown arrays are shortened to this many items in the readable output (``--json`` never
#: shortens).
SHOWN_ITEMS = 3


def _profiles(count: int) -> Iterator[dict[str, Any]]:
    """A legacy v2 subscribe batch: emails, a few phones with SMS consent, some properties."""
    for i in range(count):
        profile: dict[str, Any] = {"email": f"customer{i}@example.com"}
        if i % 50 == 0:
            profile.update({"phone_number": f"+1500555{i:04d}", "sms_consent": True})
        if i % 25 == 0:
            profile.update({"$first_name": "Pat", "loyalty_tier": "gold"})
        yield profile


def _backfill(client: CompatClient) -> Plan:
    """Bulk mode: a backlog of legacy track and identify calls, as the bulk requests a flush
    would send."""
    with batching(client) as batch:
        for i in range(1500):
            client.track(
                "Placed Order",
                {"$email": f"customer{i % 400}@example.com"},
                {"$event_id": f"order-{i}", "$value": 10 + i % 90},
                1714564800 + i,
            )
        for i in range(3):
            client.identify({"$email": f"customer{i}@example.com", "loyalty_tier": "gold"})
        return batch.plan()


#: (title, the legacy code it stands for, the call).
CALLS: tuple[tuple[str, str, Callable[[CompatClient], Any]], ...] = (
    (
        "track",
        'klaviyo.Public.track("Placed Order", email="ann@example.com", '
        'properties={"$event_id": "1001", "$value": 42.5}, '
        'customer_properties={"$first_name": "Ann", "$city": "Paris"}, timestamp=1714564800)',
        lambda c: c.track(
            "Placed Order",
            {"$email": "ann@example.com", "$first_name": "Ann", "$city": "Paris"},
            {"$event_id": "1001", "$value": 42.5, "items": ["Boots"]},
            1714564800,
        ),
    ),
    (
        "identify",
        'klaviyo.Public.identify(email="ann@example.com", '
        'properties={"$phone_number": "+15005550006", "plan": "gold"})',
        lambda c: c.identify(
            {"email": "ann@example.com", "$phone_number": "+15005550006", "plan": "gold"}
        ),
    ),
    (
        "subscribe_to_list (250 profiles)",
        'klaviyo.Lists.add_subscribers_to_list("XyZ123", profiles)  # 250 v2 profile dicts',
        lambda c: c.subscribe_to_list("XyZ123", list(_profiles(250))),
    ),
    (
        "unsubscribe",
        "klaviyo.Lists.delete_subscribers_from_list("
        '"XyZ123", ["ann@example.com", "bob@example.com"])',
        lambda c: c.unsubscribe("XyZ123", ["ann@example.com", "bob@example.com"]),
    ),
    (
        "exclude_email",
        'requests.post(".../api/v1/people/exclusions?api_key=...", '
        'data={"email": "bob@example.com"})',
        lambda c: c.exclude_email("bob@example.com"),
    ),
    (
        "bulk mode (1,500 track and 3 identify calls)",
        "with klaviyo_legacy_compat.batching():\n"
        '      for order in backlog: klaviyo.Public.track("Placed Order", email=..., ...)',
        _backfill,
    ),
)


def _shorten(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        shown = [_shorten(v) for v in value[:SHOWN_ITEMS]]
        if len(value) > SHOWN_ITEMS:
            shown.append(f"... {len(value) - SHOWN_ITEMS} more")
        return shown
    return value


def render(plan: Plan, out: TextIO) -> None:
    """A plan as a reader wants it: one block per request, then the warnings."""
    data = plan.to_dict()
    for index, request in enumerate(data["requests"]):
        out.write(f"  [{index}] {request['method']} {request['url']}  ({request['operation']})\n")
        if request["params"]:
            out.write(f"      params: {json.dumps(request['params'], ensure_ascii=False)}\n")
        if request["depends_on"] is not None:
            out.write(f"      depends on [{request['depends_on']}]: {request['note']}\n")
        elif request["note"]:
            out.write(f"      note: {request['note']}\n")
        headers = {k: v for k, v in request["headers"].items() if k != "User-Agent"}
        out.write(f"      headers: {json.dumps(headers)}\n")
        if request["json"] is not None:
            body = json.dumps(_shorten(request["json"]), indent=2, ensure_ascii=False)
            out.write("      json: " + body.replace("\n", "\n      ") + "\n")
    for warning in data["warnings"]:
        out.write(f"  ! {warning}\n")


def main(argv: Optional[Sequence[str]] = None, out: Optional[TextIO] = None) -> int:
    """Translate the demo calls in dry-run and print them."""
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m klaviyo_legacy_compat.demo",
        description="Translate real legacy Klaviyo calls in dry-run and print the new requests.",
    )
    parser.add_argument("--json", action="store_true", help="print each plan as one JSON line")
    args = parser.parse_args(argv)
    stream = out or sys.stdout
    client = CompatClient(dry_run=True)
    for title, legacy, call in CALLS:
        plan = call(client)
        if args.json:
            stream.write(json.dumps({"call": title, **plan.to_dict()}, ensure_ascii=False) + "\n")
            continue
        stream.write(f"\n=== {title}\n  legacy: {legacy}\n")
        render(plan, stream)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
