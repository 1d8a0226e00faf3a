"""The hardening counts the test run prints (tests/conftest.py): a module of its own, so any test can
add to it without importing a conftest (tests/simhost has its own)."""

from __future__ import annotations

from collections import Counter

COUNTS: Counter = Counter()
