"""``klaviyo.metrics.Metrics`` of ``klaviyo`` 3.1.7: metrics, timelines, exports (v1).

Each method sends its v1 request as 3.1.7 did (legacy-surface.md A.6), answered by
``_translate/metrics.py``: ``get_metrics`` pages emulated over cursors with a
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

    EXPORT = "export"
    METRIC_ID = "metric_id"
    START_DATE = "start_date"
    END_DATE = "end_date"
    UNIT = "unit"
    MEASUREMENT = "measurement"
    BY = "by"
    WHERE = "where"

    STARTING_PAGE = 0
    DEFAULT_BATCH_SIZE = 50
    TIMELINE_BATCH_SIZE = DEFAULT_BATCH_SIZE + DEFAULT_BATCH_SIZE

    def get_metrics(self, page: int = 0, count: int = 50) -> Any:
        """One page of metrics: ``{"data", "page", "total", ...}``."""
        params = {self.PAGE: page, self.COUNT: count}
        return self._endpoint_request(Metrics.get_metrics, {}, params)

    def get_metrics_timeline(self, since: Any = None, count: int = 100, sort: str = "desc") -> Any:
        """Events of every metric: ``{"data", "next"}`` (a ``None`` ``since`` is left out)."""
        params = self._filter_params({self.COUNT: count, self.SORT: sort, self.SINCE: since})
        return self._endpoint_request(Metrics.get_metrics_timeline, {}, params)

    def get_metric_timeline_by_id(
        self, metric_id: str, since: Any = None, count: int = 100, sort: str = "desc"
    ) -> Any:
        """Events of one metric: ``{"data", "next"}``."""
        params = self._filter_params({self.COUNT: count, self.SORT: sort, self.SINCE: since})
        path = {"metric_id": metric_id}
        return self._endpoint_request(Metrics.get_metric_timeline_by_id, path, params)

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
            self.METRIC_ID: metric_id,
            self.START_DATE: start_date,
            self.END_DATE: end_date,
            self.UNIT: unit,
            self.MEASUREMENT: measurement,
            self.WHERE: where,
            self.BY: by,
            self.COUNT: count,
        }
        path = {"metric_id": metric_id}
        return self._endpoint_request(Metrics.get_metric_export, path, self._filter_params(params))
