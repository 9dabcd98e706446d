"""``klaviyo.campaigns.Campaigns`` of ``klaviyo`` 3.1.7 (v1): campaign pages and recipients,
through ``_translate/campaigns.py`` (see MIGRATION.md for what each becomes)."""

from __future__ import annotations

from typing import Any

from klaviyo_legacy_compat.legacy.api_helper import KlaviyoAPI

__all__ = ["Campaigns"]


class Campaigns(KlaviyoAPI):
    """The v1 campaigns API (private token)."""

    CAMPAIGN = "campaign"
    CAMPAIGNS = "campaigns"
    RECIPIENTS = "recipients"

    def get_campaigns(self, page: int = 0, count: int = 50) -> Any:
        """One page of (email) campaigns: ``{"data", "page", "total", ...}``."""
        return self._v1_request("campaigns", self.HTTP_GET, {"page": page, "count": count})

    def get_campaign_recipients(
        self, campaign_id: str, count: int = 5000, offset: Any = "", sort: str = "asc"
    ) -> Any:
        """One page of a campaign's recipients: ``{"data", "next_offset"}``."""
        # 3.1.7 sent the empty offset too (legacy-surface.md A.6).
        params = {"count": count, "sort": sort, "offset": offset}
        return self._v1_request(f"campaign/{campaign_id}/recipients", self.HTTP_GET, params)
