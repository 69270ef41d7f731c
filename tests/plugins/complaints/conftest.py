"""Complaint fixtures: a store with the manual channel, aftersales and complaints on."""

from __future__ import annotations

import pytest


@pytest.fixture
def store(app, merchant, enable_plugin):
    with enable_plugin("payment_manual", merchant, {"bank_account": "TEST 0000"}):
        with enable_plugin("aftersales", merchant, {}):
            with enable_plugin("complaints", merchant, {}):
                yield merchant
