"""Version, the pinned API revision and the User-Agent: the three facts every request carries."""

from __future__ import annotations

__all__ = ["REVISION", "USER_AGENT", "__version__"]

__version__ = "0.1.0"

# The revision of the OpenAPI spec every translation is validated against
# (../shared/klaviyo-openapi/stable.json, info.version). Klaviyo keeps a revision stable for a
# year and retires it two years after release (new-api.md §1), so re-pin by mid-2028.
REVISION = "2026-07-15"

USER_AGENT = f"klaviyo-legacy-compat/{__version__}"
