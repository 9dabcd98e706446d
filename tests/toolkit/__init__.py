"""Tests of the migration toolkit (``klaviyo_legacy_compat._toolkit``)."""
