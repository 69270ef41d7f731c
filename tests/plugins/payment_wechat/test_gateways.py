"""Server-side request forgery: a merchant cannot point a payment plugin's gateway at an
address of their choosing, and gateway error text never reaches the buyer."""

from __future__ import annotations

import pytest

from mallkit.core.plugin_store import MerchantPlugin
from tests.plugins.payment_wechat.conftest import pay, place, wechat_config

BAD = [
    "http://169.254.169.254/latest/meta-data",
    "http://127.0.0.1:6379",
    "https://api.mch.weixin.qq.com.evil.example",
    "https://evil.example/api.mch.weixin.qq.com",
    "https://user@api.mch.weixin.qq.com",
]


@pytest.mark.parametrize("url", BAD)
def test_a_merchant_cannot_set_an_arbitrary_wechat_gateway(client, owner, merchant, wechat, url):
    before = MerchantPlugin.get(merchant=merchant.id, plugin="payment_wechat").config
    r = client.put(
        f"/api/v1/merchants/{merchant.id}/plugins/payment_wechat/config",
        json={"config": wechat_config(wechat, gateway_url=url)},
        headers=owner.headers,
    )
    assert r.status_code == 422, r.json
    assert "gateway_url" in str(r.json["errors"])
    assert MerchantPlugin.get(merchant=merchant.id, plugin="payment_wechat").config == before


def test_the_official_gateway_is_accepted(app, merchant, wechat):
    from mallkit.core import plugin_settings

    for url in ("https://api.mch.weixin.qq.com", "https://api2.mch.weixin.qq.com/"):
        config = wechat_config(wechat, gateway_url=url)
        plugin_settings.configure(merchant, "payment_wechat", config)


def test_a_stored_gateway_that_is_no_longer_allowed_is_never_called(
    app, client, buyer, merchant, shop, wechat
):
    row = MerchantPlugin.get(merchant=merchant.id, plugin="payment_wechat")
    row.config = {**row.config, "gateway_url": "http://169.254.169.254"}
    MerchantPlugin.update(config=row.config).where(MerchantPlugin.id == row.id).execute()
    from mallkit.core import plugin_store

    plugin_store.bump_settings_version(merchant.id)
    order = place(buyer, shop)
    r = pay(client, buyer, order)
    assert r.status_code >= 400 and r.json["code"] == "gateway_not_allowed"
    assert "169.254" not in str(r.json)
    assert not wechat.transactions


def test_gateway_error_text_is_not_shown_to_the_buyer(client, buyer, shop, wechat):
    order = place(buyer, shop)
    wechat.fail_next(status=500)  # the gateway answers SYSTEM_ERROR "injected fault"
    r = pay(client, buyer, order)
    assert r.status_code == 502 and r.json["code"] == "gateway_refused"
    assert r.json["errors"] == {"gateway": ["SYSTEM_ERROR"]}
    assert "injected fault" not in str(r.json)
