"""Server-side request forgery: Alipay's gateway is the official one or one the platform
allows, never any address a merchant types."""

from __future__ import annotations

import pytest

from mallkit.core import plugin_settings
from mallkit.core.errors import MallkitError
from tests.plugins.payment_alipay.conftest import alipay_config


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "https://openapi.alipay.com.evil.example/gateway.do",
        "https://openapi.alipay.com/gateway.do.evil",
    ],
)
def test_an_alipay_gateway_outside_the_list_is_refused(app, merchant, alipay, url):
    with pytest.raises(MallkitError) as refused:
        plugin_settings.configure(
            merchant, "payment_alipay", alipay_config(alipay, gateway_url=url)
        )
    assert "gateway_url" in str(refused.value.errors)


def test_the_official_gateways_are_accepted(app, merchant, alipay):
    for url in (
        "https://openapi.alipay.com/gateway.do",
        "https://openapi-sandbox.dl.alipaydev.com/gateway.do",
    ):
        plugin_settings.configure(
            merchant, "payment_alipay", alipay_config(alipay, gateway_url=url)
        )
