"""Catalog test fixtures (helpers live in ``helpers.py``)."""

from __future__ import annotations

import pytest


@pytest.fixture
def staff(owner):
    """Headers of the merchant's owner."""
    return owner.headers
