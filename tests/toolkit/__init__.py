"""Tests of the migration toolkit (issue 12)."""
