"""The storefront (``/shop/``) in a real browser at phone width, against a live ``mallkit demo``.

Each test sets up what it needs through the merchant's REST API (coupons, activities), then
acts as a buyer would: only through the pages. Screenshots for docs/storefront/ are taken on
the way (look at them after a change)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from pathlib import Path

import pytest

from tests.browser.conftest import OWNER

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "storefront"
STORE = 1


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def window(days: int = 7) -> tuple[str, str]:
    now = dt.datetime.now(dt.UTC)
    return (now - dt.timedelta(minutes=5)).isoformat(), (now + dt.timedelta(days=days)).isoformat()


@pytest.fixture(scope="module")
def owner(api) -> str:
    return api.login(*OWNER)


def register(page, base: str, name: str, handle: str) -> tuple[str, str]:
    """Register a new buyer through the storefront; answers (e-mail, password)."""
    email = f"{handle}-{secrets.token_hex(4)}@example.com"
    password = "Shop-pass-" + secrets.token_hex(6)
    page.goto(base + "/shop/me")
    page.get_by_role("link", name="登录 / 注册").click()
    page.get_by_role("link", name="没有账号？注册").click()
    page.fill("input[name=name]", name)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="注册并登录").click()
    page.wait_for_selector(f".me-name:has-text('{name}')")
    return email, password


def add_address(page) -> None:
    page.fill("input[name=recipient]", "李四")
    page.fill("input[name=phone]", "13900000000")
    page.fill("input[name=province]", "浙江省")
    page.fill("input[name=city]", "杭州市")
    page.fill("input[name=district]", "西湖区")
    page.fill("input[name=detail]", "文三路 1 号")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector(".address:has-text('李四')")


def test_a_buyer_registers_searches_buys_two_skus_with_the_best_coupon_and_pays_with_wechat(
    mobile_page, live_server, api, owner
):
    page = mobile_page
    # the store offers two coupons: the checkout should pick the bigger saving
    start, end = window()
    for name, threshold, amount in (("满100减10", 10000, 1000), ("满200减30", 20000, 3000)):
        api.call(
            "POST",
            f"/api/v1/merchants/{STORE}/coupon-templates",
            {
                "name": name,
                "type": "full_reduction",
                "threshold": threshold,
                "amount": amount,
                "total": 1000,
                "starts_at": start,
                "ends_at": end,
            },
            token=owner,
        )

    page.goto(live_server + "/shop/")
    page.wait_for_selector(".product-card")
    assert page.locator(".product-card").count() >= 3
    shot(page, "home")
    email, _ = register(page, live_server, "小明", "xiaoming")

    # search with suggestions
    page.goto(live_server + "/shop/")
    page.locator(".search-box").click()
    page.fill("input[name=q]", "保温")
    page.locator(".suggestions li", has_text="保温杯").first.click()
    page.wait_for_selector(".product-card:has-text('保温杯')")
    shot(page, "search")
    page.locator(".product-card", has_text="保温杯").first.click()

    # product page: claim both coupons, add one SKU
    page.wait_for_selector(".product-name:has-text('保温杯')")
    for chip in ("满¥100.00减¥10.00", "满¥200.00减¥30.00"):
        page.locator(".coupon-chip", has_text=chip).click()
        page.wait_for_selector(".toast:has-text('已领取')")
    page.get_by_role("button", name="加入购物车").click()
    page.wait_for_selector(".toast:has-text('已加入购物车')")

    # a second product, another SKU of it (black, L)
    page.goto(live_server + "/shop/search?q=T恤")
    page.locator(".product-card", has_text="纯棉T恤").first.click()
    page.wait_for_selector(".product-name:has-text('纯棉T恤')")
    page.get_by_role("radio", name="黑").click()
    page.get_by_role("radio", name="L").click()
    page.get_by_role("button", name="+").click()
    shot(page, "product")
    page.get_by_role("button", name="加入购物车").click()
    page.wait_for_selector(".toast:has-text('已加入购物车')")

    # the cart: both lines, selected
    page.goto(live_server + "/shop/cart")
    page.wait_for_selector(".cart-line")
    assert page.locator(".cart-line").count() == 2
    assert "L / 黑" in page.locator(".cart-line", has_text="纯棉T恤").inner_text()
    shot(page, "cart")
    page.get_by_role("button", name=re.compile("去结算")).click()

    # checkout: a new buyer adds an address; the best coupon (30 off) is chosen
    page.wait_for_selector("input[name=recipient]")
    add_address(page)
    coupon = page.locator(".coupon-cell")
    coupon.wait_for()
    assert "满200减30" in coupon.inner_text() and "已选最优" in coupon.inner_text()
    page.get_by_role("radio", name="微信支付").check()
    shot(page, "checkout")
    total_text = page.locator(".action-bar .price").inner_text()
    # 129.00 + 2 × 79.00 = 287.00, less 30.00
    assert total_text == "¥257.00"
    page.get_by_role("button", name="提交订单").click()

    # the WeChat Pay simulator's cashier, then back to the shop
    page.wait_for_url(re.compile(r"/_sim/wechat/cashier/"))
    assert "¥257.00" in page.content()
    shot(page, "wechat-cashier")
    page.get_by_role("button", name="确认支付 / Pay").click()
    page.wait_for_url(re.compile(r"/shop/pay/result"))
    page.wait_for_selector(".result-title[data-status=paid]", timeout=20000)
    shot(page, "paid")

    buyer = api.login(email, _)
    (order,) = api.call("GET", "/api/v1/orders", token=buyer)
    assert order["status"] == "paid" and order["total"] == 25700
    assert order["payment_channel"] == "wechat"
    assert (
        sorted(line["sku_name"] for line in order["lines"]) == ["L / 黑", "M / 白"]
        or len(order["lines"]) == 2
    )
    applied = [a for a in order["pricing"]["applied"] if a.get("kind") == "coupon"]
    assert [a["amount"] for a in applied] == [-3000]

    # the order list shows it paid
    page.goto(live_server + "/shop/orders")
    card = page.locator(f".order-card[data-order='{order['id']}']")
    assert card.locator(".status").inner_text() == "待发货"
    shot(page, "orders")
