"""One legacy members add (``POST /v2/list/{id}/members``) of many new profiles: one by one
(upserts, lookups, relationship calls: what every add did before issue 10, and what a call
below ``bulk_import_threshold`` still does) against profile import jobs with the list
relationship, against the local Klaviyo with the spec's rate limits enforced (time-scaled).
Prints figures; asserts nothing.

    .venv/bin/python benchmarks/add_members.py [--members 20000] [--time-scale 0.05]

For each way: the requests sent by operation, 429s received, the wall time, and whether
every member is on the list with the id the answer gives. The bulk way runs at Klaviyo's
real limits (it takes seconds); the one-by-one way at ``--time-scale``, its time at the
real limits estimated as wall time / scale (an upper bound: the CPU time of the client and
of the local Klaviyo, in this same process, does not grow with the scale).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from typing import Any

from klaviyo_legacy_compat import CompatClient, Klaviyo
from klaviyo_legacy_compat.testing import LocalKlaviyo


def _profiles(n: int) -> list[dict[str, Any]]:
    """New profiles: two bare emails in three, one with properties (each costs an upsert one
    by one: the bare ones once the lookup did not find them)."""
    return [
        {"email": f"user{i}@example.com", **({"plan": "gold"} if i % 3 == 2 else {})}
        for i in range(n)
    ]


def run(members: int, scale: float, threshold: int) -> dict[str, Any]:
    with LocalKlaviyo(time_scale=scale) as server:
        list_id = server.store.create_list("Customers")
        client = CompatClient(
            private_key=server.private_key,
            base_url=server.base_url,
            time_scale=scale,
            bulk_import_threshold=threshold,
        )
        profiles = _profiles(members)
        started = time.perf_counter()
        try:
            answer = Klaviyo(private_token=server.private_key, client=client).Lists
            added = answer.add_members_to_list(list_id, profiles).data
        finally:
            client.close()
        took = time.perf_counter() - started
        served = server.requests
        on_list = set(server.store.list_members(list_id))
        ids_match = all(
            member["id"] is not None
            and member["id"] in on_list
            and (found := server.store.profile_by("email", member["email"])) is not None
            and found.id == member["id"]
            for member in added
        )
    return {
        "requests": len(served),
        "operations": dict(Counter(r.operation for r in served)),
        "429s": sum(r.status == 429 for r in served),
        "seconds": took,
        "at_real_limits": took / scale,
        "on_list": len(on_list),
        "ids_match": ids_match,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--time-scale", type=float, default=0.05)
    args = parser.parse_args()
    print(f"{args.members} new members, rate limits enforced")
    for name, threshold, scale in (
        ("one by one", args.members + 1, args.time_scale),
        ("bulk", 10, 1.0),
    ):
        found = run(args.members, scale, threshold)
        at_real = (
            f"{found['seconds']:.1f} s at the real limits"
            if scale == 1
            else f"{found['seconds']:.1f} s at time scale {scale}, so ≤ "
            f"{found['at_real_limits']:.0f} s at the real limits"
        )
        print(
            f"{name:>10}: {found['requests']} requests {found['operations']}, "
            f"{found['429s']} 429s, {at_real}; {found['on_list']} on the list, ids match: "
            f"{found['ids_match']}"
        )


if __name__ == "__main__":
    main()
