"""``klaviyo.campaigns.Campaigns`` of ``klaviyo`` 3.1.7 (v1): campaign pages and recipients.
Each sends its v1 request as 3.1.7 did, answered by ``_translate/campaigns.py`` (see
MIGRATION.md for what each becomes)."""

from __future__ import annotations

from typing import Any

from klaviyo_legacy_compat.legacy.api_helper import KlaviyoAPI

__all__ = ["Campaigns"]


class Campaigns(KlaviyoAPI):
    """The v1 campaigns API (private token)."""

    CAMPAIGNS = "campaigns"
    CAMPAIGN = "campaign"
    RECIPIENTS = "recipients"
    OFFSET = "offset"

    def get_campaigns(self, page: int = 0, count: int = 50) -> Any:
        """One page of (email) campaigns: ``{"data", "page", "total", ...}``."""
        params = {self.PAGE: page, self.COUNT: count}
        return self._endpoint_request(Campaigns.get_campaigns, {}, params)

    def get_campaign_recipients(
        self, campaign_id: str, count: int = 5000, offset: Any = "", sort: str = "asc"
    ) -> Any:
        """One page of a campaign's recipients: ``{"data", "next_offset"}``."""
        # 3.1.7 sent the empty offset too (legacy-surface.md A.6).
        params = {self.COUNT: count, self.SORT: sort, self.OFFSET: offset}
        path = {"campaign_id": campaign_id}
        return self._endpoint_request(Campaigns.get_campaign_recipients, path, params)
