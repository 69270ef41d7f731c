"""The web console at /console/ in a real browser against the live demo (docs/console.md).

Screenshots of the main pages are written to docs/console/ (committed; look at them after a
change to the console)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.browser.conftest import ADMIN, BUYER, OWNER

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
AGENT = ("agent@demo.mallkit.dev", "demo-agent-1")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page, base: str, who: tuple[str, str]) -> None:
    page.goto(base + "/console/")
    page.fill("#login", who[0])
    page.fill("#password", who[1])
    page.click("form button[type=submit]")
    page.wait_for_selector("nav.menu")


def menu(page) -> list[str]:
    return page.locator("nav.menu a").evaluate_all("links => links.map(a => a.dataset.page)")


def no_horizontal_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page is {width}px wide in a {viewport}px window"


def place_order(api, sku_id: int, quantity: int = 1) -> dict:
    buyer = api.login(*BUYER)
    address = api.call("GET", "/api/v1/me/addresses", token=buyer)[0]
    placed = api.call(
        "POST",
        "/api/v1/checkout/place",
        {"items": [{"sku_id": sku_id, "quantity": quantity}], "address_id": address["id"]},
        token=buyer,
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    return placed[0] if isinstance(placed, list) else placed


def test_sign_in_is_required_and_wrong_passwords_are_refused(page, live_server):
    page.goto(live_server + "/console/m/1/orders")
    page.fill("#login", OWNER[0])
    page.fill("#password", "not-the-password")
    page.click("form button[type=submit]")
    assert page.locator("[role=alert]").inner_text()
    shot(page, "sign-in")
    page.fill("#password", OWNER[1])
    page.click("form button[type=submit]")
    page.wait_for_selector("nav.menu")
    assert page.locator("h1").first.inner_text() == "订单"


def test_orders_page_lists_an_order_placed_through_the_api_and_ships_it(page, live_server, api):
    owner = api.login(*OWNER)
    sku = api.call("GET", "/api/v1/merchants/1/skus?page_size=100", token=owner)[0]
    order = place_order(api, sku["id"])
    api.call(
        "POST",
        f"/api/v1/merchants/1/orders/{order['id']}/manual-payment",
        {"reference": "BANK-" + order["number"], "amount": order["total"]},
        token=owner,
    )
    sign_in(page, live_server, OWNER)
    page.goto(live_server + "/console/m/1/orders")
    row = page.locator("tr", has_text=order["number"])
    row.wait_for()
    total = order["total"]
    assert f"¥{total // 100:,}.{total % 100:02d}" in row.inner_text()  # fen shown as yuan
    shot(page, "orders")
    row.locator("a").click()
    page.wait_for_selector("[data-action=ship]")
    page.click("[data-action=ship]")
    page.fill("#order-carrier", "SF")
    page.fill("#order-tracking_number", "SF" + order["number"][-10:])
    page.click(".modal button[type=submit]")
    page.wait_for_selector(".shipment")
    assert (
        api.call("GET", f"/api/v1/merchants/1/orders/{order['id']}", token=owner)["status"]
        == "shipped"
    )
    shot(page, "order-detail")


def test_a_bad_tracking_number_is_shown_beside_its_field(page, live_server, api):
    owner = api.login(*OWNER)
    sku = api.call("GET", "/api/v1/merchants/1/skus?page_size=100", token=owner)[0]
    order = place_order(api, sku["id"])
    api.call(
        "POST",
        f"/api/v1/merchants/1/orders/{order['id']}/manual-payment",
        {"reference": "BANK-" + order["number"], "amount": order["total"]},
        token=owner,
    )
    sign_in(page, live_server, OWNER)
    page.goto(f"{live_server}/console/m/1/orders/{order['id']}")
    page.click("[data-action=ship]")
    page.fill("#order-carrier", "SF")
    page.fill("#order-tracking_number", "no spaces allowed!")
    page.click(".modal button[type=submit]")
    error = page.locator(".field.has-error .field-error")
    error.wait_for()
    assert page.locator(".field.has-error input").get_attribute("name") == "tracking_number"
    status = api.call("GET", f"/api/v1/merchants/1/orders/{order['id']}", token=owner)["status"]
    assert status == "paid"


def test_the_hello_plugin_page_renders_its_own_component(page, live_server):
    sign_in(page, live_server, OWNER)
    assert "hello/greeting" in menu(page)
    page.click("nav.menu a[data-page='hello/greeting']")
    greeting = page.locator(".hello-greeting")
    greeting.wait_for()
    assert greeting.inner_text() == "你好"
    shot(page, "plugin-hello")


@pytest.mark.parametrize("width", [768])
def test_the_console_fits_a_tablet(browser, live_server, width):
    context = browser.new_context(viewport={"width": width, "height": 1024}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server, OWNER)
        page.goto(live_server + "/console/m/1/orders")
        page.wait_for_selector("table")
        no_horizontal_overflow(page)
        page.click(".menu-toggle")
        page.click("nav.menu a[data-page=dashboard]")
        page.wait_for_selector("#stock-alerts")
        no_horizontal_overflow(page)
        shot(page, "tablet-dashboard")
    finally:
        context.close()


def test_an_agent_does_not_see_owner_only_pages(page, live_server, api):
    sign_in(page, live_server, AGENT)
    pages = menu(page)
    assert "orders" in pages
    for owner_only in ("plugins", "staff", "audit"):
        assert owner_only not in pages
    page.goto(live_server + "/console/m/1/plugins")
    page.wait_for_selector("[role=alert]")
    assert "无权访问" in page.locator("[role=alert]").inner_text()
    # and the API agrees: the page's call would be refused
    agent = api.login(*AGENT)
    api.call(
        "PUT", "/api/v1/merchants/1/plugins/hello/config", {"config": {}}, token=agent, expect=403
    )


def test_platform_admin_reaches_the_platform_console(page, live_server):
    sign_in(page, live_server, ADMIN)
    assert page.locator(".topbar select.scope option", has_text="平台管理").count() == 1


def test_a_plugin_config_form_rejects_a_bad_value_beside_the_field(page, live_server, api):
    sign_in(page, live_server, OWNER)
    page.click("nav.menu a[data-page=plugins]")
    page.click("[data-action=configure][data-plugin=hello]")
    greeting = page.locator("#cfg-hello-greeting")
    secret = page.locator("#cfg-hello-api_token")
    assert secret.get_attribute("type") == "password"
    shot(page, "plugin-config")
    greeting.fill("x" * 51)  # the schema allows 1 to 50 characters
    page.click(".modal button[type=submit]")
    error = page.locator(".field.has-error .field-error")
    error.wait_for()
    assert "50" in error.inner_text()
    assert page.locator(".field.has-error input").get_attribute("name") == "greeting"
    owner = api.login(*OWNER)
    saved = {p["name"]: p for p in api.call("GET", "/api/v1/merchants/1/plugins", token=owner)}
    assert saved["hello"]["config"]["greeting"] != "x" * 51
    # a good value is saved; the masked secret is sent back unchanged and kept
    greeting.fill("欢迎光临")
    page.click(".modal button[type=submit]")
    page.wait_for_selector(".modal", state="detached")
    saved = {p["name"]: p for p in api.call("GET", "/api/v1/merchants/1/plugins", token=owner)}
    assert saved["hello"]["config"]["greeting"] == "欢迎光临"
    page.click("nav.menu a[data-page='hello/greeting']")
    page.wait_for_selector(".hello-greeting")
    assert page.locator(".hello-greeting").inner_text() == "欢迎光临"
    api.call(
        "PUT",
        "/api/v1/merchants/1/plugins/hello/config",
        {"config": {"greeting": "你好", "api_token": "********"}},
        token=owner,
    )


def test_a_platform_admin_enables_coupons_and_the_coupons_page_appears(page, live_server, api):
    email = f"shop-{uuid.uuid4().hex[:8]}@example.com"
    password = "a-long-owner-password-1"
    api.call(
        "POST", "/api/v1/auth/register", {"email": email, "password": password, "name": "新店主"}
    )
    admin = api.login(*ADMIN)
    merchant = api.call(
        "POST", "/api/v1/admin/merchants", {"name": "新开的店", "owner_login": email}, token=admin
    )
    owner_page = page.context.browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="zh-CN"
    ).new_page()
    try:
        sign_in(owner_page, live_server, (email, password))
        assert "coupons/templates" not in menu(owner_page)
        # the owner cannot switch plugins on: only the platform can
        owner = api.login(email, password)
        api.call(
            "POST",
            f"/api/v1/admin/merchants/{merchant['id']}/plugins/coupons/enable",
            {"config": {}},
            token=owner,
            expect=403,
        )

        sign_in(page, live_server, ADMIN)
        page.goto(f"{live_server}/console/platform/merchants/{merchant['id']}/plugins")
        page.click("[data-action=enable][data-plugin=coupons]")
        page.click(".modal button[type=submit]")
        page.wait_for_selector("[data-action=disable][data-plugin=coupons]")
        shot(page, "platform-merchant-plugins")

        owner_page.reload()
        owner_page.wait_for_selector("nav.menu a[data-page='coupons/templates']")
        owner_page.click("nav.menu a[data-page='coupons/templates']")
        owner_page.click("[data-action=create]")
        owner_page.fill("#plugin-name", "满100减10")
        owner_page.select_option("#plugin-type", "full_reduction")
        owner_page.fill("#plugin-threshold", "100")
        owner_page.fill("#plugin-amount", "10")
        owner_page.fill("#plugin-total", "100")
        owner_page.select_option("#plugin-validity", "relative")
        owner_page.fill("#plugin-valid_days", "30")
        owner_page.click(".modal button[type=submit]")
        row = owner_page.locator("tr", has_text="满100减10")
        row.wait_for()
        assert "¥10.00" in row.inner_text() and "¥100.00" in row.inner_text()
        templates = api.call(
            "GET", f"/api/v1/merchants/{merchant['id']}/coupon-templates", token=owner
        )
        assert [(t["amount"], t["threshold"]) for t in templates] == [(1000, 10000)]
        shot(owner_page, "plugin-coupons")
    finally:
        owner_page.context.close()
