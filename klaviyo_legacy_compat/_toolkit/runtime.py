"""The runtime audit report: the lines of an ``audit_log`` (``_surfaces/audit_log``)
summarised by call site, for ``klaviyo-legacy-compat audit --runtime LOG``.

Pure: lines in, a :class:`RuntimeReport` out, rendered as text or JSON. For each call site
(file, line, function; or none, for a call that ran on a thread of its own): how many calls,
which legacy methods, which new-API operations (each with how often it was sent), which
outcomes, and the first and last time. A line that is not a log record is counted as
malformed, with its number, and skipped: a log cut short by a crash still reports.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Optional

import attrs

__all__ = ["RuntimeReport", "SiteSummary", "render_json", "render_text", "summarise"]

#: Malformed line numbers a report keeps (the count is always complete).
MALFORMED_SHOWN = 20


@attrs.frozen
class SiteSummary:
    """What the log says of one call site."""

    file: Optional[str]
    line: Optional[int]
    function: Optional[str]
    calls: int
    legacy: Mapping[str, int]
    operations: Mapping[str, int]
    outcomes: Mapping[str, int]
    first: str
    last: str

    @property
    def where(self) -> str:
        """``file:line (function)``, or a note that no frame outside the library was found."""
        if self.file is None:
            return "(no call site: the call ran on a thread of its own)"
        return f"{self.file}:{self.line} ({self.function})"


@attrs.frozen
class RuntimeReport:
    """The call sites, busiest first (then by file and line), the calls and the malformed
    lines (their count, and the numbers of the first :data:`MALFORMED_SHOWN`)."""

    sites: tuple[SiteSummary, ...]
    calls: int
    malformed: int
    malformed_lines: tuple[int, ...]


@attrs.define
class _Site:
    calls: int = 0
    legacy: Counter[str] = attrs.field(factory=Counter)
    operations: Counter[str] = attrs.field(factory=Counter)
    outcomes: Counter[str] = attrs.field(factory=Counter)
    first: str = ""
    last: str = ""


def _record(text: str) -> Optional[dict[str, Any]]:
    """The record of a log line, or ``None`` when it is not one."""
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    site = record.get("site")
    valid = (
        isinstance(record.get("time"), str)
        and isinstance(record.get("legacy"), str)
        and isinstance(record.get("outcome"), str)
        and isinstance(record.get("operations"), list)
        and all(isinstance(op, str) for op in record["operations"])
        and (
            site is None
            or (
                isinstance(site, dict)
                and isinstance(site.get("file"), str)
                and isinstance(site.get("line"), int)
                and isinstance(site.get("function"), str)
            )
        )
    )
    return record if valid else None


def summarise(lines: Iterable[str]) -> RuntimeReport:
    """The report of the log ``lines`` (blank lines are skipped)."""
    sites: dict[tuple[Optional[str], Optional[int], Optional[str]], _Site] = {}
    calls = malformed = 0
    shown: list[int] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        record = _record(text)
        if record is None:
            malformed += 1
            if len(shown) < MALFORMED_SHOWN:
                shown.append(number)
            continue
        site = record["site"]
        key = (None, None, None) if site is None else (site["file"], site["line"], site["function"])
        summary = sites.setdefault(key, _Site())
        calls += 1
        summary.calls += 1
        summary.legacy[record["legacy"]] += 1
        summary.operations.update(record["operations"])
        summary.outcomes[record["outcome"]] += 1
        time = record["time"]
        # ISO 8601 times in one zone (UTC) order as text.
        summary.first = time if not summary.first or time < summary.first else summary.first
        summary.last = max(summary.last, time)
    ordered = sorted(
        sites.items(), key=lambda item: (-item[1].calls, item[0][0] or "", item[0][1] or 0)
    )
    return RuntimeReport(
        tuple(
            SiteSummary(
                file,
                line,
                function,
                site.calls,
                dict(site.legacy.most_common()),
                dict(site.operations.most_common()),
                dict(site.outcomes.most_common()),
                site.first,
                site.last,
            )
            for (file, line, function), site in ordered
        ),
        calls,
        malformed,
        tuple(shown),
    )


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} x{count}" for name, count in counts.items()) or "none"


def render_text(report: RuntimeReport) -> str:
    """The report for a reader: one block per call site."""
    out = [f"{report.calls} legacy call(s) from {len(report.sites)} call site(s)"]
    for site in report.sites:
        out += [
            "",
            site.where,
            f"  calls:      {site.calls} ({site.first} .. {site.last})",
            f"  legacy:     {_counts(site.legacy)}",
            f"  operations: {_counts(site.operations)}",
            f"  outcomes:   {_counts(site.outcomes)}",
        ]
    if report.malformed:
        numbers = ", ".join(str(n) for n in report.malformed_lines)
        more = ", ..." if report.malformed > len(report.malformed_lines) else ""
        out += ["", f"{report.malformed} malformed line(s) skipped: line {numbers}{more}"]
    return "\n".join(out) + "\n"


def render_json(report: RuntimeReport) -> str:
    """The report as one JSON object (``sites``, ``calls``, ``malformed``,
    ``malformed_lines``)."""
    return json.dumps(attrs.asdict(report), indent=2) + "\n"
