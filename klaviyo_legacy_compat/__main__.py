"""``python -m klaviyo_legacy_compat``."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
