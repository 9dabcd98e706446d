"""``klaviyo.metrics.Metrics`` of ``klaviyo`` 3.1.7: metrics, timelines, exports (v1).

Each method builds the call its legacy request stood for (legacy-surface.md A.6) and runs it
through ``_translate/metrics.py``: ``get_metrics`` pages emulated over cursors with a
``total`` that is computed or ``None``, never guessed; timelines hand out ``next`` tokens
that ``since`` accepts back; exports become metric aggregates, and what aggregates cannot
express raises ``UnsupportedLegacyFeatureError``.
"""

from __future__ import annotations

from typing import Any

from klaviyo_legacy_compat.legacy.api_helper import KlaviyoAPI

__all__ = ["Metrics"]


class Metrics(KlaviyoAPI):
    """The v1 metrics API (private token)."""

    METRIC = "metric"
    METRICS = "metrics"
    TIMELINE = "timeline"
    EXPORT = "export"

    def get_metrics(self, page: int = 0, count: int = 50) -> Any:
        """One page of metrics: ``{"data", "page", "total", ...}``."""
        return self._v1_request("metrics", self.HTTP_GET, {"page": page, "count": count})

    def get_metrics_timeline(self, since: Any = None, count: int = 100, sort: str = "desc") -> Any:
        """Events of every metric: ``{"data", "next"}``."""
        return self._timeline("metrics/timeline", since, count, sort)

    def get_metric_timeline_by_id(
        self, metric_id: str, since: Any = None, count: int = 100, sort: str = "desc"
    ) -> Any:
        """Events of one metric: ``{"data", "next"}``."""
        return self._timeline(f"metric/{metric_id}/timeline", since, count, sort)

    def get_metric_export(
        self,
        metric_id: str,
        start_date: Any = None,
        end_date: Any = None,
        unit: Any = None,
        measurement: Any = None,
        where: Any = None,
        by: Any = None,
        count: Any = None,
    ) -> Any:
        """A metric's values over time (``measurement`` and ``where`` as JSON text, as the
        legacy API took them)."""
        params = {
            "metric_id": metric_id,
            "start_date": start_date,
            "end_date": end_date,
            "unit": unit,
            "measurement": measurement,
            "where": where,
            "by": by,
            "count": count,
        }
        return self._v1_request(f"metric/{metric_id}/export", self.HTTP_GET, params)
