"""The coupon tests' catalog fixtures, shared (a product in two categories, an address)."""

from tests.plugins.coupons.conftest import address, categories, coupons_on, mug, shirt  # noqa: F401
