"""``klaviyo-legacy-compat spool PATH``: what a bulk-mode spool holds, and what to do with it.

A spool keeps items until Klaviyo accepts them, and only the process holding the key of their
account can send them. When that key will never be configured again (an account closed, a
key rotated away), its items would wait forever. This command, given the spool's path:

- lists what it holds by account label and kind (events, profiles): how many are pending and
  failed (rejected by Klaviyo), the oldest and the newest, with their ages;
- ``--export``: prints every item as JSON Lines (account label, kind, state, when it was
  added, Klaviyo's reason for a failed one, payload), for inspection or another tool;
- ``--discard-account LABEL``: deletes that account's items, after saying how many;
- ``--drain``: sends the pending items of the account whose private key it is given (in
  ``KLAVIYO_PRIVATE_API_KEY``, or ``--private-key``) through bulk mode's own sender, paced
  and retried; what Klaviyo rejects is reported, and kept in the spool as failed.

It takes the spool's lock as any owner does, so it refuses a spool another process is using;
it never creates a spool that does not exist, and refuses a corrupt or foreign file as the
spool does (:class:`~._spool.SpoolError`). Only an account label, an opaque digest of the key,
is in the file; no key is ever printed.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Callable, Optional, TextIO

import attrs

from klaviyo_legacy_compat._bulk.batching import Batcher
from klaviyo_legacy_compat._bulk.send import kind_of
from klaviyo_legacy_compat._bulk.spool import Spool, SpoolError
from klaviyo_legacy_compat._core.credentials import account_label
from klaviyo_legacy_compat._core.errors import ConfigurationError
from klaviyo_legacy_compat._surfaces.client import CompatClient

__all__ = ["spool_command"]

PROG = "klaviyo-legacy-compat spool"

#: How the listing names each item kind (``_translate.batches``).
_PLURAL = {"event": "events", "profile": "profiles"}


@attrs.define
class _Row:
    """What one account holds of one kind."""

    pending: int = 0
    failed: int = 0
    oldest: str = ""
    newest: str = ""

    def add(self, state: str, count: int, oldest: str, newest: str) -> None:
        if state == "failed":
            self.failed += count
        else:
            self.pending += count  # an owner's open puts what was in flight back to pending
        self.oldest = min(self.oldest or oldest, oldest)
        self.newest = max(self.newest, newest)


def spool_command(
    path: str,
    *,
    export: bool = False,
    discard_account: Optional[str] = None,
    drain: bool = False,
    private_key: Optional[str] = None,
    environ: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> int:
    """Run the command: 0 when done, 1 when a drain left items undelivered, 2 when refused
    (with the reason on ``err``)."""
    try:
        spool = Spool(path, create=False)
    except SpoolError as exc:
        err.write(f"{PROG}: {exc}\n")
        return 2
    try:
        held = _held(spool)
        if export:
            return _export(spool, out, err)
        if discard_account is not None:
            return _discard(spool, held, discard_account, out, err)
        if drain:
            return _drain(spool, held, private_key, environ, out, err)
        _list(spool, held, environ, out, now())
        return 0
    except SpoolError as exc:
        err.write(f"{PROG}: {exc}\n")
        return 2
    finally:
        spool.close()


def _held(spool: Spool) -> dict[str, dict[str, _Row]]:
    """What the spool holds, by account label, then item kind."""
    held: dict[str, dict[str, _Row]] = {}
    for spool_kind, state, count, oldest, newest in spool.summary():
        kind, label = kind_of(spool_kind)
        held.setdefault(label, {}).setdefault(kind, _Row()).add(state, count, oldest, newest)
    return held


def _list(
    spool: Spool,
    held: dict[str, dict[str, _Row]],
    environ: Mapping[str, str],
    out: TextIO,
    now: datetime,
) -> None:
    total = sum(row.pending + row.failed for kinds in held.values() for row in kinds.values())
    if not total:
        out.write(f"spool {spool.path} holds no items\n")
        return
    out.write(
        f"spool {spool.path} holds {total:,} items of {len(held)} "
        f"account{'s' if len(held) != 1 else ''}\n\n"
    )
    header = ("account", "kind", "pending", "failed", "oldest", "newest")
    lines = [header]
    for label in sorted(held, key=lambda la: min(r.oldest for r in held[la].values())):
        for kind, row in sorted(held[label].items()):
            lines.append(
                (
                    label,
                    _PLURAL.get(kind, kind),
                    f"{row.pending:,}",
                    f"{row.failed:,}",
                    _when(row.oldest, now),
                    _when(row.newest, now),
                )
            )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        cells = [
            cell.rjust(width) if i in (2, 3) else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(line, widths))
        ]
        out.write("  ".join(cells).rstrip() + "\n")
    key = environ.get("KLAVIYO_PRIVATE_API_KEY", "").strip()
    if key:
        label = account_label(key)
        where = "--drain sends its items" if label in held else "the spool holds none of its"
        out.write(f"\nthe key in KLAVIYO_PRIVATE_API_KEY is account {label}: {where}\n")


def _export(spool: Spool, out: TextIO, err: TextIO) -> int:
    count = 0
    try:
        for _, spool_kind, state, item, reason, created in spool.dump():
            kind, label = kind_of(spool_kind)
            line = {
                "account": label,
                "kind": kind,
                "state": "failed" if state == "failed" else "pending",
                "created": created,
                "reason": reason,
                "payload": item,
            }
            out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
        out.flush()
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as Unix tools do, and keep the
        # interpreter's last flush of standard output from failing again.
        with contextlib.suppress(AttributeError, OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
        return 1
    err.write(f"{PROG}: exported {count:,} items from {spool.path}\n")
    return 0


def _discard(
    spool: Spool, held: dict[str, dict[str, _Row]], label: str, out: TextIO, err: TextIO
) -> int:
    kinds = held.get(label)
    if kinds is None:
        err.write(f"{PROG}: {_no_items_of(spool, held, label)}; nothing was discarded\n")
        return 2
    count = sum(row.pending + row.failed for row in kinds.values())
    failed = sum(row.failed for row in kinds.values())
    parts = ", ".join(_count(row.pending + row.failed, kind) for kind, row in kinds.items())
    out.write(
        f"discarding {count:,} items of account {label} from {spool.path} ({parts}; "
        f"{f'{failed:,}' if failed else 'none'} of them rejected by Klaviyo earlier)\n"
    )
    removed = spool.discard(f"{kind}@{label}" for kind in kinds)
    out.write(f"discarded {removed:,} items\n")
    return 0


def _drain(
    spool: Spool,
    held: dict[str, dict[str, _Row]],
    private_key: Optional[str],
    environ: Mapping[str, str],
    out: TextIO,
    err: TextIO,
) -> int:
    key = (private_key or environ.get("KLAVIYO_PRIVATE_API_KEY", "")).strip()
    if not key:
        err.write(
            f"{PROG}: --drain needs the private key of the account whose items to send: set "
            "KLAVIYO_PRIVATE_API_KEY (or pass --private-key)\n"
        )
        return 2
    label = account_label(key)
    kinds = held.get(label)
    if kinds is None:
        err.write(
            f"{PROG}: the key given is account {label}, and {_no_items_of(spool, held, label)}\n"
        )
        return 2
    try:
        client = CompatClient(private_key=key, batching=True, batch_max_age=3600)
        settings = client.settings()
    except ConfigurationError as exc:
        err.write(f"{PROG}: {exc}\n")
        return 2
    if settings.dry_run:
        err.write(
            f"{PROG}: KLAVIYO_LEGACY_COMPAT_DRY_RUN is on, and --drain would send: unset it "
            "to drain (the listing shows what is held)\n"
        )
        return 2
    pending = sum(row.pending for row in kinds.values())
    failed = sum(row.failed for row in kinds.values())
    kept = f" ({failed:,} rejected earlier stay as they are)" if failed else ""
    out.write(f"sending {pending:,} items of account {label} to {settings.base_url}{kept}\n")
    # The spool goes to bulk mode's own sender, lock and all: paced and retried, as a
    # process that holds the key would send them.
    batcher = Batcher(
        client.carrier, settings=client.settings, spool_path=str(spool.path), store=spool
    )
    try:
        batcher.account(settings, client.context(settings))
        report = batcher.flush(raise_errors=False)
        left = sum(row.pending for row in _held(spool).get(label, {}).values())
    finally:
        batcher.close(flush=False)
        client.close()
    out.write(f"delivered {report.delivered:,} items in {report.requests:,} bulk requests\n")
    for item in report.rejected:
        out.write(f"rejected {item.kind}: {item.reason}\n")
    if report.rejected:
        out.write(
            f"{len(report.rejected):,} items rejected by Klaviyo stay in the spool, as failed "
            "(--export shows them with the reasons; --discard-account drops them)\n"
        )
    if left:
        out.write(f"{left:,} items are still pending ({report.error}): run --drain again later\n")
    return 1 if report.rejected or left else 0


def _count(count: int, kind: str) -> str:
    return f"{count:,} {kind if count == 1 else _PLURAL.get(kind, kind)}"


def _no_items_of(spool: Spool, held: dict[str, dict[str, _Row]], label: str) -> str:
    holds = ", ".join(sorted(held)) or "none"
    return f"spool {spool.path} holds no items of account {label} (its accounts: {holds})"


def _when(stamp: str, now: datetime) -> str:
    """``2024-05-01T12:00:00Z (3 h ago)``, from the spool's ``created`` time."""
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%SZ')} ({_age((now - moment).total_seconds())})"


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{max(0.0, seconds):.0f} s ago"
