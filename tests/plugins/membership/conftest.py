"""Membership fixtures: a store with membership on and a priced product."""

from __future__ import annotations

import pytest

from mallkit.core.testing import make_product, skus_of

# Levels small enough for tests: 0 / 100 / 500 growth.
LEVELS = [
    {"name": "普通", "threshold": 0},
    {"name": "银卡", "threshold": 100, "discount_percent": 5, "points_multiplier": 150},
    {
        "name": "金卡",
        "threshold": 500,
        "discount_percent": 10,
        "points_multiplier": 200,
        "free_shipping": True,
        "early_access_minutes": 30,
        "service_queue": "vip",
    },
]
CONFIG = {"levels": LEVELS, "points_per_yuan_redeemed": 100, "redeem_cap_percent": 50}


@pytest.fixture
def membership(merchant, enable_plugin):
    """Membership on for ``merchant`` with the test levels."""
    with enable_plugin("membership", merchant, CONFIG) as plugin:
        yield plugin


@pytest.fixture
def sku(merchant):
    """A ¥100.00 SKU with plenty of stock."""
    (sku,) = skus_of(make_product(merchant, prices=(10000,), stocks=(1000,)))
    return sku
