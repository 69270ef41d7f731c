"""The web console at /console/ in a real browser against the live demo (docs/console.md).

Screenshots of the main pages are written to docs/console/ (committed; look at them after a
change to the console)."""

from __future__ import annotations

import base64
import csv
import io
import re
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

from tests.browser.conftest import ADMIN, BUYER, OWNER

expect = pytest.importorskip("playwright.sync_api").expect
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
AGENT = ("agent@demo.mallkit.dev", "demo-agent-1")
# a 2×2 red PNG for the image upload
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg=="
)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar stays on top of the picture
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
    # plugins are listed by their Chinese titles and descriptions in the Chinese console
    coupons = page.locator("tr", has=page.locator("[data-plugin=coupons]"))
    expect(coupons).to_contain_text("优惠券")
    expect(coupons).to_contain_text("满减券、折扣券和无门槛券")
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
        # the field hints speak the console's language (the English walk checks English)
        expect(owner_page.locator(".field:has(#plugin-rate) .hint")).to_have_text(
            "折扣券的实付比例（85 即 8.5 折）"
        )
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


def test_merchant_creates_a_product_with_two_specs_sets_stock_sees_the_alert_and_ships(
    page, live_server, api
):
    name = f"测试卫衣 {uuid.uuid4().hex[:6]}"
    sign_in(page, live_server, OWNER)
    page.click("nav.menu a[data-page=products]")
    page.click("[data-action=new-product]")
    page.fill("#p-name", name)
    page.fill("[data-spec='0'] input >> nth=0", "颜色")
    page.fill("[data-spec='0'] input >> nth=1", "红, 蓝")
    page.click("[data-action=add-spec]")
    page.fill("[data-spec='1'] input >> nth=0", "尺码")
    page.fill("[data-spec='1'] input >> nth=1", "M，L")
    assert page.locator(".sku-table tbody tr").count() == 4
    page.fill("input[name=price-0]", "99.5")
    page.click("th button.link >> nth=0")  # the same price for every SKU
    for i in range(4):
        page.fill(f"input[name=stock-{i}]", "0")
        page.fill(f"input[name=threshold-{i}]", "5")
    page.set_input_files(
        ".upload input[type=file]",
        files=[{"name": "red.png", "mimeType": "image/png", "buffer": PNG}],
    )
    page.wait_for_selector(".thumb-box img")
    shot(page, "product-editor")
    page.click(".product-form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/m/1/products/\d+$"))

    owner = api.login(*OWNER)
    product = next(
        p
        for p in api.call("GET", "/api/v1/merchants/1/products?q=" + name.split()[1], token=owner)
        if p["name"] == name
    )
    detail = api.call("GET", f"/api/v1/merchants/1/products/{product['id']}", token=owner)
    assert [s["name"] for s in detail["specs"]] == ["颜色", "尺码"]
    assert sorted(
        ((s["specs"]["颜色"], s["specs"]["尺码"]), s["price"]) for s in detail["skus"]
    ) == [
        (("红", "L"), 9950),
        (("红", "M"), 9950),
        (("蓝", "L"), 9950),
        (("蓝", "M"), 9950),
    ]
    assert detail["images"] and detail["images"][0].startswith("/api/v1/media/")
    red_m = next(s for s in detail["skus"] if s["specs"] == {"颜色": "红", "尺码": "M"})

    # set the stock on the stock page
    page.click("[data-action=product-stock]")
    row = page.locator("tr", has_text=red_m["code"])
    row.locator("[data-action=adjust]").click()
    page.fill("#stock-delta", "6")
    page.click(".modal button[type=submit]")
    page.wait_for_selector(".modal", state="detached")
    expect(row.locator("[data-stock]")).to_have_attribute("data-stock", "6")

    # a buyer orders two through the API: 6 → 4, under the threshold of 5
    order = place_order(api, red_m["id"], 2)
    page.click("nav.menu a[data-page=dashboard]")
    alert = page.locator("#stock-alerts tr", has_text=name)
    alert.wait_for()
    assert "红" in alert.inner_text() and "M" in alert.inner_text()
    shot(page, "dashboard")

    api.call(
        "POST",
        f"/api/v1/merchants/1/orders/{order['id']}/manual-payment",
        {"reference": "BANK-" + order["number"], "amount": order["total"]},
        token=owner,
    )
    page.click("nav.menu a[data-page=orders]")
    page.click(f"text={order['number']}")
    page.click("[data-action=ship]")
    page.fill("#order-carrier", "顺丰")
    page.fill("#order-tracking_number", "SF" + order["number"][-10:])
    page.click(".modal button[type=submit]")
    page.wait_for_selector(".shipment")
    shipped = api.call("GET", f"/api/v1/merchants/1/orders/{order['id']}", token=owner)
    assert shipped["status"] == "shipped"
    assert shipped["shipments"][0]["carrier"] == "顺丰"

    page.click("nav.menu a[data-page=stock]")
    page.click("[data-tab=movements]")
    page.wait_for_selector("table")
    shot(page, "stock")


CSV_HEADER = "product_key,name,specs,sku_code,price_fen,stock\n"


def test_csv_import_shows_progress_and_the_bad_rows(page, live_server, tmp_path):
    key = uuid.uuid4().hex[:6]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        CSV_HEADER
        + f"I{key},导入杯子,颜色:白,CUP-{key}-W,3900,10\n"
        + f"J{key},,颜色:黑,CUP-{key}-B,12.5,1\n",  # line 3: no name, money not in fen
        encoding="utf-8",
    )
    sign_in(page, live_server, OWNER)
    page.click("nav.menu a[data-page=import]")
    page.set_input_files("#import-file", str(bad))
    page.click("form button[type=submit]")
    report = page.locator("#import-report")
    report.wait_for()
    assert page.locator("#import-progress [role=progressbar]").get_attribute("aria-valuenow")
    errors = report.locator("tbody tr")
    assert errors.count() >= 2
    assert all(row.startswith("3") for row in errors.all_inner_texts())
    assert "未导入" in report.locator(".alert").inner_text()
    shot(page, "import")
    page.check("text=跳过有错误的商品")
    page.click("form button[type=submit]")
    expect(report.locator(".alert.ok")).to_contain_text("导入完成：1 个商品")


def test_every_plugin_page_renders(page, live_server):
    sign_in(page, live_server, OWNER)
    plugin_pages = [p for p in menu(page) if "/" in p]
    assert len(plugin_pages) >= 15
    for key in plugin_pages:
        page.click(f"nav.menu a[data-page='{key}']")
        page.wait_for_selector(
            ".plugin-page table, .plugin-page .empty, .plugin-page .card", timeout=10000
        )
        assert not page.locator(".plugin-page [role=alert]").count(), key
    page.click("nav.menu a[data-page='aftersales/cases']")
    page.wait_for_selector(".plugin-page table")
    shot(page, "plugin-aftersales")


def test_an_ad_is_created_changed_switched_off_and_deleted_in_the_console(
    page, live_server, api, tmp_path
):
    owner = api.login(*OWNER)
    creatives = "/api/v1/merchants/1/ads/creatives"
    title = f"控制台广告 {uuid.uuid4().hex[:6]}"

    def saved() -> dict | None:
        return next(
            (a for a in api.call("GET", creatives, token=owner) if a["title"] == title), None
        )

    try:
        sign_in(page, live_server, OWNER)
        page.click("nav.menu a[data-page='ads/creatives']")
        page.wait_for_selector(".plugin-page table")
        expect(page.locator(".plugin-page tr", has_text="双11 爆款直降")).to_have_count(1)  # demo
        page.click("[data-action=create]")
        expect(page.locator(".field:has(#plugin-placement) .hint")).to_contain_text("首页轮播")
        page.select_option("#plugin-placement", "list_slot")
        page.fill("#plugin-title", title)
        page.fill("#plugin-image_url", "https://img.example.com/console-ad.jpg")
        page.select_option("#plugin-link_type", "product")
        page.fill("#plugin-link_target", "https://example.com/sale")  # not a product id
        page.fill("#plugin-priority", "7")
        page.fill("#plugin-regions", '["上海市"]')
        page.screenshot(path=str(tmp_path / "plugin-ads-create.png"))
        page.click(".modal button[type=submit]")
        error = page.locator(".field.has-error .field-error")
        error.wait_for()
        assert page.locator(".field.has-error [name]").get_attribute("name") == "link_target"
        assert saved() is None
        page.select_option("#plugin-link_type", "url")
        page.click(".modal button[type=submit]")
        page.wait_for_selector(".modal", state="detached")
        row = page.locator(".plugin-page tr", has_text=title)
        row.wait_for()
        assert "https://example.com/sale" in row.inner_text()
        expect(row.locator("td").nth(5)).to_have_text("✓")
        made = saved()
        assert made is not None
        assert (made["placement"], made["link_type"], made["priority"]) == ("list_slot", "url", 7)
        assert (made["regions"], made["enabled"]) == (["上海市"], True)

        # 修改: only what is typed is sent; the ad stays on
        row.locator("[data-action=edit]").click()
        assert page.locator(".modal #plugin-enabled").count() == 0
        page.fill("#plugin-priority", "3")
        page.click(".modal button[type=submit]")
        page.wait_for_selector(".modal", state="detached")
        expect(row.locator("td").nth(4)).to_have_text("3")
        assert (saved()["priority"], saved()["enabled"]) == (3, True)

        # 上线/下线: the box unticked switches it off
        row.locator("[data-action=switch]").click()
        page.click(".modal button[type=submit]")
        page.wait_for_selector(".modal", state="detached")
        expect(row.locator("td").nth(5)).to_have_text("—")  # 启用: ✓ before
        assert saved()["enabled"] is False
        page.screenshot(path=str(tmp_path / "plugin-ads.png"), full_page=True)

        page.once("dialog", lambda dialog: dialog.accept())
        row.locator("[data-action=delete]").click()
        expect(row).to_have_count(0)
        assert saved() is None
    finally:
        left = saved()
        if left is not None:
            api.call("DELETE", f"{creatives}/{left['id']}", token=owner)


def test_a_campaign_is_created_and_stopped_in_the_notifications_pages(
    page, live_server, api, tmp_path
):
    """The notifications plugin's pages are the generic ones: a campaign made with the create
    form appears in the table, scheduled, and its row's stop button stops it."""
    name = f"周末上新 {uuid.uuid4().hex[:6]}"
    sign_in(page, live_server, OWNER)
    page.click("nav.menu a[data-page='notifications/campaigns']")
    page.click("[data-action=create]")
    expect(page.locator(".field:has(#plugin-kind) .hint")).to_contain_text("生日关怀")
    page.fill("#plugin-name", name)
    page.fill("#plugin-body", "{{ buyer.name }}，周末上新，快来看看")
    page.fill("#plugin-channels", '["inbox", "sms"]')
    page.fill("#plugin-run_at", "2030-06-01T10:00")
    page.click(".modal button[type=submit]")
    page.wait_for_selector(".modal", state="detached")
    row = page.locator("tr", has_text=name)
    expect(row.locator(".badge")).to_have_text(["单次", "未开始"])
    page.screenshot(path=str(tmp_path / "notifications-campaigns.png"), full_page=True)
    owner = api.login(*OWNER)
    (made,) = [
        c
        for c in api.call("GET", "/api/v1/merchants/1/notifications/campaigns", token=owner)
        if c["name"] == name
    ]
    assert made["channels"] == ["inbox", "sms"] and made["status"] == "scheduled"
    assert made["run_at"].startswith("2030-06-01")
    page.once("dialog", lambda dialog: dialog.accept())  # "are you sure?"
    row.locator("[data-action=stop]").click()
    expect(row.locator(".badge").last).to_have_text("已停止")
    expect(row.locator("[data-action=stop]")).to_have_count(0)


def test_a_template_is_edited_in_the_notifications_pages(page, live_server, api, tmp_path):
    """A store's own wording is saved through the edit form and shows in the table; the form's
    refusal of a template that does not render appears beside the body."""
    sign_in(page, live_server, OWNER)
    page.click("nav.menu a[data-page='notifications/templates']")
    row = (
        page.locator("tr")
        .filter(has_text="发货通知")  # order_shipped, by its name
        .filter(has_text="站内信")
        .filter(has_text="简体中文")  # zh-CN
    )
    row.locator("[data-action=edit]").click()
    page.fill("#plugin-subject", "包裹出发啦 {{ order.number }}")
    page.fill("#plugin-body", "{{ nonsense.field }}")
    page.click(".modal button[type=submit]")
    page.locator(".field.has-error .field-error").wait_for()
    assert page.locator(".field.has-error [name]").get_attribute("name") == "body"
    page.fill("#plugin-body", "{{ buyer.name }}，您的订单 {{ order.number }} 已经发出")
    page.click(".modal button[type=submit]")
    page.wait_for_selector(".modal", state="detached")
    expect(row).to_contain_text("包裹出发啦 {{ order.number }}")
    expect(row.locator("td[data-label='店铺自定义']")).to_have_text("✓")
    page.screenshot(path=str(tmp_path / "notifications-templates.png"), full_page=True)
    owner = api.login(*OWNER)
    (mine,) = [
        t
        for t in api.call("GET", "/api/v1/merchants/1/notifications/templates", token=owner)
        if (t["event"], t["channel"], t["locale"]) == ("order_shipped", "inbox", "zh-CN")
    ]
    assert mine["custom"] and mine["body"].endswith("已经发出")
    # 预览: the row's wording rendered with the event's sample values, nothing saved
    row.locator("[data-action=preview]").click()
    expect(page.locator(".modal #plugin-event")).to_have_value("order_shipped")
    page.click(".modal button[type=submit]")
    rendered = page.locator(".modal #reveal-body")
    expect(rendered).to_have_value(re.compile(r"^.+，您的订单 \S+ 已经发出$"))
    assert "{{" not in rendered.input_value()
    page.screenshot(path=str(tmp_path / "notifications-preview.png"))
    page.click(".modal .reveal button")
    page.wait_for_selector(".modal", state="detached")
    # and back to the built-in wording from the same row
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("[data-action=reset]").click()
    expect(row.locator("td[data-label='店铺自定义']")).to_have_text("—")
    page.click("nav.menu a[data-page='notifications/messages']")
    page.wait_for_selector(".plugin-page table, .plugin-page .empty")
    page.screenshot(path=str(tmp_path / "notifications-messages.png"), full_page=True)


def test_an_owner_registers_a_webhook_endpoint_through_the_console(page, live_server, api):
    owner = api.login(*OWNER)
    endpoints = "/api/v1/merchants/1/webhooks/endpoints"
    (demo,) = api.call("GET", endpoints, token=owner)  # the demo's, to its own receiver
    skus = api.call("GET", "/api/v1/merchants/1/skus?page_size=100", token=owner)
    # order.placed, delivered by the demo's worker (the SKU with the most stock left)
    order = place_order(api, max(skus, key=lambda s: s["stock"])["id"])
    tag = uuid.uuid4().hex[:6]
    sign_in(page, live_server, OWNER)
    assert {"webhooks/endpoints", "webhooks/deliveries"} <= set(menu(page))
    page.click("nav.menu a[data-page='webhooks/endpoints']")
    expect(page.locator("tr", has_text=demo["url"])).to_be_visible()
    page.click("[data-action=create]")
    expect(page.locator(".field:has(#plugin-event_types) .hint")).to_contain_text("订阅的事件类型")
    # a private address is refused, the reason beside the address
    page.fill("#plugin-url", "https://10.0.0.1/hooks")
    page.fill("#plugin-event_types", '["stock.low"]')
    page.fill("#plugin-description", f"ERP 对接 {tag}")
    page.click(".modal button[type=submit]")
    page.locator(".field.has-error .field-error").wait_for()
    assert page.locator(".field.has-error [name]").get_attribute("name") == "url"
    page.fill("#plugin-url", f"{demo['url']}/erp-{tag}")  # under the demo's allowed prefix
    page.click(".modal button[type=submit]")
    # the signing secret, answered this once, is shown to copy until the dialog is closed
    shown = page.locator(".modal #reveal-secret")
    expect(shown).to_have_value(re.compile(r"^whsec_[A-Za-z0-9+/]{40,}={0,2}$"))
    first_secret = shown.input_value()
    page.click(".modal .reveal button")
    page.wait_for_selector(".modal", state="detached")
    row = page.locator("tr", has_text=f"ERP 对接 {tag}")
    expect(row).to_contain_text("库存不足")  # stock.low, named
    expect(row).to_contain_text(f"/erp-{tag}")
    (mine,) = [e for e in api.call("GET", endpoints, token=owner) if e["url"].endswith(tag)]
    assert mine["event_types"] == ["stock.low"] and mine["enabled"] is True
    page.screenshot(path="/tmp/webhooks-endpoints.png", full_page=True)
    # 修改 opens with the row's values and sends what changed
    row.locator("[data-action=edit]").click()
    expect(page.locator(".modal #plugin-event_types")).to_have_value('["stock.low"]')
    page.fill("#plugin-event_types", '["stock.low", "order.paid"]')
    page.click(".modal button[type=submit]")
    page.wait_for_selector(".modal", state="detached")
    expect(row).to_contain_text("付款")
    changed = api.call("GET", f"{endpoints}/{mine['id']}", token=owner)
    assert changed["event_types"] == ["order.paid", "stock.low"]
    assert (changed["url"], changed["enabled"]) == (mine["url"], True)
    # 启用/停用: the box opens ticked; unticked, the endpoint is switched off
    row.locator("[data-action=switch]").click()
    expect(page.locator(".modal #plugin-enabled")).to_be_checked()
    page.uncheck(".modal #plugin-enabled")
    page.click(".modal button[type=submit]")
    page.wait_for_selector(".modal", state="detached")
    expect(row.locator("td").nth(4)).to_have_text("—")
    assert api.call("GET", f"{endpoints}/{mine['id']}", token=owner)["enabled"] is False
    # 轮换密钥: confirmed, then the new secret is shown once
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("[data-action=rotate]").click()
    expect(shown).to_have_value(re.compile(r"^whsec_"))
    assert shown.input_value() != first_secret
    page.screenshot(path="/tmp/webhooks-rotated.png")
    page.click(".modal .reveal button")
    page.wait_for_selector(".modal", state="detached")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("[data-action=delete]").click()
    expect(row).to_have_count(0)
    api.call("GET", f"{endpoints}/{mine['id']}", token=owner, expect=404)
    # the order's delivery, in the log; sent again with a click
    deliveries = "/api/v1/merchants/1/webhooks/deliveries?status=succeeded"
    delivered = None
    for _ in range(60):
        delivered = next(
            (
                d
                for d in api.call("GET", deliveries, token=owner)
                if f'"number":"{order["number"]}"' in d["body"]
            ),
            None,
        )
        if delivered:
            break
        time.sleep(0.5)
    assert delivered, "the demo's worker did not deliver order.placed"
    page.click("nav.menu a[data-page='webhooks/deliveries']")
    delivery = page.locator("tr").filter(
        has=page.locator("td:first-child", has_text=re.compile(rf"^{delivered['id']}$"))
    )
    expect(delivery).to_contain_text("下单")  # order.placed
    expect(delivery.locator(".badge")).to_have_text("成功")
    assert not page.locator(".plugin-page [role=alert]").count()
    page.screenshot(path="/tmp/webhooks-deliveries.png", full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    delivery.locator("[data-action=redeliver]").click()
    for _ in range(60):
        again = api.call("GET", f"{deliveries}&endpoint_id={demo['id']}", token=owner)
        if any(d["id"] == delivered["id"] and d["attempts"] == 2 for d in again):
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the redelivery was not sent")


def test_platform_admin_pages(page, live_server, api):
    admin = api.login(*ADMIN)
    merchant = api.call(
        "POST", "/api/v1/admin/merchants", {"name": f"待停用 {uuid.uuid4().hex[:4]}"}, token=admin
    )
    sign_in(page, live_server, ADMIN)
    assert {"merchants", "tasks", "audit", "complaints/arbitration"} <= set(menu(page))
    row = page.locator("tr", has_text=merchant["name"])
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("[data-action=suspend]").click()
    expect(row.locator("[data-action=resume]")).to_be_visible()
    assert (
        api.call("GET", f"/api/v1/admin/merchants/{merchant['id']}", token=admin)["is_active"]
        is False
    )
    shot(page, "platform-merchants")
    page.click("nav.menu a[data-page=audit]")
    expect(page.locator("tr", has_text="merchant.suspend").first).to_be_visible()
    page.click("nav.menu a[data-page=tasks]")
    page.wait_for_selector(".tabs")
    page.click("nav.menu a[data-page='complaints/arbitration']")
    page.wait_for_selector(".plugin-page table, .plugin-page .empty")


def test_a_complaint_goes_from_the_store_console_to_platform_arbitration(page, live_server, api):
    owner, admin, buyer = api.login(*OWNER), api.login(*ADMIN), api.login(*BUYER)
    skus = api.call("GET", "/api/v1/merchants/1/skus?page_size=100", token=owner)
    order = place_order(api, max(skus, key=lambda s: s["stock"])["id"])
    api.call(
        "POST",
        f"/api/v1/merchants/1/orders/{order['id']}/manual-payment",
        {"reference": "BANK-" + order["number"], "amount": order["total"]},
        token=owner,
    )
    complaint = api.call(
        "POST",
        "/api/v1/merchants/1/complaints",
        {"order_id": order["id"], "type": "quality", "description": "杯子漏水"},
        token=buyer,
    )
    sign_in(page, live_server, ADMIN)
    page.click("nav.menu a[data-page='complaints/arbitration']")
    row = page.locator("tr", has_text=complaint["number"])
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("[data-action=forward]").click()
    expect(row).to_contain_text("待商家申诉")

    store = page.context.browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="zh-CN"
    )
    owner_page = store.new_page()
    try:
        sign_in(owner_page, live_server, OWNER)
        owner_page.click("nav.menu a[data-page='complaints/complaints']")
        owner_row = owner_page.locator("tr", has_text=complaint["number"])
        owner_row.locator("[data-action=appeal]").click()
        owner_page.fill("#plugin-text", "已联系买家，同意换货")
        owner_page.click(".modal button[type=submit]")
        expect(owner_row).to_contain_text("协商中")
    finally:
        store.close()

    api.call("POST", f"/api/v1/merchants/1/complaints/{complaint['id']}/escalate", token=buyer)
    page.reload()
    row = page.locator("tr", has_text=complaint["number"])
    expect(row).to_contain_text("待平台仲裁")
    shot(page, "platform-arbitration")
    row.locator("[data-action=decide]").click()
    page.select_option("#plugin-decision", "warning")
    page.fill("#plugin-note", "提醒商家注意品控")
    page.click(".modal button[type=submit]")
    page.wait_for_selector(".modal", state="detached")
    decided = api.call("GET", f"/api/v1/merchants/1/complaints/{complaint['id']}", token=admin)
    assert decided["status"] == "closed" and decided["decision"] == "warning"


def yuan(fen: int) -> str:
    return f"{'-' if fen < 0 else ''}¥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def chart_svg(page, name: str) -> str:
    """The SVG a chart shows (a data: image the page fetched with the token), once decoded."""
    img = page.locator(f"figure[data-chart={name}] img")
    img.wait_for()
    expect(img).to_have_js_property("complete", True)
    assert img.evaluate("i => i.naturalWidth") > 0, f"the {name} chart did not decode"
    src = img.get_attribute("src")
    assert src.startswith("data:image/svg+xml")
    return urllib.parse.unquote(src.split(",", 1)[1])


def y_labels(svg: str) -> list[str]:
    """The labels of a (vertical) pygal chart's value axis."""
    axis = svg[svg.index('<g class="axis y') : svg.index('<g class="axis x')]
    return re.findall(r"<text[^>]*>([^<]*)</text>", axis)


YUAN = re.compile(r"^¥\d{1,3}(,\d{3})*\.\d\d$")
WHOLE = re.compile(r"^\d{1,3}(,\d{3})*$")


def test_analytics_pages_show_the_dashboard_reports_charts_and_csv(page, live_server, api):
    owner = api.login(*OWNER)
    sign_in(page, live_server, OWNER)
    entries = [p for p in menu(page) if p.startswith("analytics/")]
    assert entries == [
        "analytics/dashboard",
        "analytics/sales",
        "analytics/traffic",
        "analytics/campaigns",
        "analytics/users",
        "analytics/products",
    ]
    page.click("nav.menu a[data-page='analytics/dashboard']")
    page.wait_for_selector("[data-report=dashboard] [data-stat=sales]")
    sales_svg = chart_svg(page, "sales")
    assert "销售额（按日，CNY）" in sales_svg and "实付金额" in sales_svg
    assert "<script" not in sales_svg
    # money and counts never share an axis: the sales in yuan, the funnel in whole numbers
    money = y_labels(sales_svg)
    assert len(money) >= 2 and all(YUAN.match(x) for x in money), money
    traffic_svg = chart_svg(page, "traffic")
    assert "各来源转化漏斗" in traffic_svg
    counts = y_labels(traffic_svg)
    assert len(counts) >= 2 and all(WHOLE.match(x) for x in counts), counts
    assert "¥" not in traffic_svg
    board = api.call("GET", "/api/v1/merchants/1/analytics/dashboard", token=owner)
    stat = page.locator("[data-stat=sales]")
    assert stat.locator(".value").inner_text() == yuan(board["today"]["sales"])
    assert yuan(board["yesterday"]["sales"]) in stat.locator(".sub").inner_text()
    assert page.locator("[data-stat=orders] .value").inner_text() == str(board["today"]["orders"])
    shot(page, "analytics-dashboard")

    # sales by month: the rows the API answers, and the same rows as CSV
    page.click("nav.menu a[data-page='analytics/sales']")
    page.wait_for_selector("[data-report=sales] [data-section=rows] tbody tr")
    page.select_option("select[name=period]", "month")
    page.click("[data-action=apply]")
    report = api.call("GET", "/api/v1/merchants/1/analytics/sales?period=month", token=owner)
    rows = page.locator("[data-section=rows] tbody tr")
    expect(rows).to_have_count(len(report["rows"]))
    for row, expected in zip(rows.all(), report["rows"], strict=True):
        text = row.inner_text()
        assert expected["period"] in text and yuan(expected["paid_amount"]) in text
    assert page.locator("[data-stat=paid_amount] .value").inner_text() == yuan(
        report["totals"]["paid_amount"]
    )
    assert "按月" in chart_svg(page, "sales")
    with page.expect_download() as download:
        page.click("[data-action=csv]")
    exported = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert download.value.suggested_filename == f"sales-{report['start']}-{report['end']}.csv"
    assert [(r["period"], int(r["paid_amount"])) for r in exported] == [
        (r["period"], r["paid_amount"]) for r in report["rows"]
    ]
    shot(page, "analytics-sales")

    # a customer's profile on the customers report
    buyer = api.call("GET", "/api/v1/me", token=api.login(*BUYER))
    profile = api.call("GET", f"/api/v1/merchants/1/analytics/customers/{buyer['id']}", token=owner)
    page.click("nav.menu a[data-page='analytics/users']")
    # the report drawn first: filling the form while it loads loses the click to a re-render
    page.wait_for_selector("[data-report=users] [data-section=rows]")
    page.fill(".customer-profile input[name=user_id]", str(buyer["id"]))
    page.click("[data-action=profile]")
    sums = page.locator(f".customer-profile dl[data-user='{buyer['id']}']")
    expect(sums).to_contain_text(yuan(profile["spend"]))

    # every report answers without an error, its charts drawn
    for key in ("traffic", "campaigns", "users", "products"):
        page.click(f"nav.menu a[data-page='analytics/{key}']")
        page.wait_for_selector(f"[data-report={key}] [data-section=rows]")
        assert not page.locator(".plugin-page [role=alert]").count(), key
    assert "畅销商品（按件数）" in chart_svg(page, "products")

    # an agent sees none of it: the reports are for the owner and managers
    agent_page = page.context.browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="zh-CN"
    ).new_page()
    try:
        sign_in(agent_page, live_server, AGENT)
        assert not [p for p in menu(agent_page) if p.startswith("analytics/")]
    finally:
        agent_page.context.close()


def test_the_platform_reads_analytics_over_every_store(page, live_server, api):
    admin = api.login(*ADMIN)
    sign_in(page, live_server, ADMIN)
    page.click("nav.menu a[data-page='analytics/platform']")
    page.wait_for_selector("[data-report=sales] [data-section=rows]")
    everyone = api.call("GET", "/api/v1/admin/analytics/sales", token=admin)
    expect(page.locator("[data-stat=paid_amount] .value")).to_have_text(
        yuan(everyone["totals"]["paid_amount"])
    )
    expect(page.locator("p.range")).to_contain_text("各店按自己的时区")
    # the report's chart over every store, in yuan
    sales_svg = chart_svg(page, "sales")
    assert "销售额（按日，CNY）" in sales_svg
    assert all(YUAN.match(x) for x in y_labels(sales_svg))
    page.click("[data-tab=traffic]")
    page.fill("input[name=merchant_id]", "1")
    page.click("[data-action=apply]")
    store = api.call("GET", "/api/v1/admin/analytics/traffic?merchant_id=1", token=admin)
    expect(page.locator("[data-stat=visitors] .value")).to_have_text(
        f"{store['totals']['visitors']:,}"
    )
    expect(page.locator("[data-section=rows] tbody tr")).to_have_count(len(store["rows"]))
    funnel = chart_svg(page, "traffic")  # the one store's funnel, in whole numbers
    assert "各来源转化漏斗" in funnel and all(WHOLE.match(x) for x in y_labels(funnel))
    src = page.locator("figure[data-chart=traffic] img").get_attribute("src")
    chart = api.call("GET", "/api/v1/admin/analytics/charts/traffic?merchant_id=1", token=admin)
    assert f'<desc class="value">{chart["series"][0]["values"][0]:,}</desc>' in (
        urllib.parse.unquote(src)
    )
    shot(page, "analytics-platform")


# Chinese characters and Chinese punctuation (not the full-width "＋" both languages use)
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff01\uff08\uff09\uff0c\uff1a\uff1b\uff1f]")
# The console's own words on a page: the menu, headings, buttons, labels, table headings,
# badges, notes, placeholders, enum choices, the tab title. Left out: what the store typed
# (table cells, the store selector, names in headings of a record) and, unless asked for,
# schema field hints: every hint has a Chinese twin (description_zh), but some English ones
# quote Chinese words (满减/满折, a tag such as 质量好), so hints are compared with their
# schema's text in each language instead (test_form_hints_speak_the_page_language).
OWN_WORDS = """(hints) => {
  const out = [];
  const seen = (text, where) => { if (text && text.trim()) out.push([where, text.trim()]); };
  const own = 'nav.menu, .topbar .brand, .topbar .role, .topbar button, .page-head h1, th,'
    + ' button, label, .stat .label, .badge, .tab, summary, .muted, .empty, .alert, h2, legend,'
    + ' dt, [role=status]';
  for (const el of document.querySelectorAll(own)) {
    if (el.closest('td') && !el.matches('button, .badge')) continue;
    if (el.closest('.hint')) continue;
    seen(el.innerText, el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
  }
  if (hints) for (const el of document.querySelectorAll('.hint')) seen(el.innerText, 'hint');
  for (const el of document.querySelectorAll('[placeholder], [aria-label]')) {
    if (el.closest('td') || el.closest('select.scope')) continue;
    seen(el.getAttribute('placeholder'), 'placeholder');
    seen(el.getAttribute('aria-label'), 'aria-label');
  }
  for (const el of document.querySelectorAll('option')) {
    if (!el.closest('select.scope') && !/^\\d*$/.test(el.value)) seen(el.textContent, 'option');
  }
  seen(document.title, 'title');
  return out;
}"""


def chinese_words(page, hints: bool = False) -> list[tuple[str, str]]:
    page.wait_for_load_state("networkidle")
    found = page.evaluate(OWN_WORDS, hints)
    # the one word that must stay Chinese: the switch back to Chinese
    return [(where, text) for where, text in found if CHINESE.search(text) and text != "中文"]


def test_the_console_in_english_has_no_chinese_of_its_own(page, live_server):
    page.goto(live_server + "/console/")
    page.click("button.lang")  # the sign-in card's language switch; the page reloads
    expect(page.locator(".signin-card h2")).to_have_text("Sign in to the console")
    assert chinese_words(page) == []
    page.fill("#login", OWNER[0])
    page.fill("#password", OWNER[1])
    page.click("form button[type=submit]")
    page.wait_for_selector("nav.menu")
    assert page.title() == "mallkit console"
    store_pages = [
        "dashboard",
        "orders",
        "products/new",
        "categories",
        "import",
        "stock",
        "plugins",
        "staff",
        "settings",
        "audit",
        "p/coupons/templates",
        "p/ads/creatives",
        "p/aftersales/cases",
        "p/warehouses/transfers",
        "p/notifications/templates",
        "p/notifications/messages",
        "p/notifications/campaigns",
        "p/analytics/dashboard",
        "p/analytics/sales",
        "p/analytics/users",
        "p/webhooks/endpoints",
        "p/webhooks/deliveries",
    ]
    for path in store_pages:
        page.goto(f"{live_server}/console/m/1/{path}")
        page.wait_for_selector(".page-head h1")
        assert chinese_words(page) == [], path
        if page.locator("details.filters-box").count():
            page.click("details.filters-box summary")
            assert chinese_words(page) == [], f"{path} filters"
        # the coupons plugin's field hints are in both languages: they are checked too
        hints = path.startswith("p/coupons/")
        if page.locator("[data-action=create]").count():
            page.click("[data-action=create]")
            page.wait_for_selector(".modal")
            assert chinese_words(page, hints) == [], f"{path} create form"
            if hints:
                expect(page.locator(".field:has(#plugin-rate) .hint")).to_contain_text("15% off")
            page.keyboard.press("Escape")
        if hints and page.locator("[data-action=issue]").count():
            page.locator("[data-action=issue]").first.click()
            page.wait_for_selector(".modal")
            assert chinese_words(page, hints) == [], f"{path} issue form"
            page.keyboard.press("Escape")
    page.goto(f"{live_server}/console/m/1/plugins")
    page.click("[data-action=configure][data-plugin=coupons]")
    page.wait_for_selector(".modal .hint")
    assert chinese_words(page, hints=True) == [], "coupons settings form"
    page.keyboard.press("Escape")
    page.goto(f"{live_server}/console/m/1/p/analytics/dashboard")
    assert "Sales by day" in chart_svg(page, "sales")  # the charts speak English too
    assert "Funnel by source" in chart_svg(page, "traffic")
    shot(page, "english")

    page.click("text=Sign out")
    page.fill("#login", ADMIN[0])
    page.fill("#password", ADMIN[1])
    page.click("form button[type=submit]")
    page.wait_for_selector("nav.menu")
    for path in (
        "merchants",
        "tasks",
        "audit",
        "p/analytics/platform",
        "p/complaints/arbitration",
        "p/webhooks/platform-endpoints",
        "p/webhooks/platform-deliveries",
    ):
        page.goto(f"{live_server}/console/platform/{path}")
        page.wait_for_selector(".page-head h1")
        assert chinese_words(page) == [], path


# A form's fields and the hint under each: {field name: hint}, in ``scope``.
FORM_HINTS = """(scope) => Object.fromEntries([...document.querySelectorAll(scope + ' .field')]
  .filter((f) => f.querySelector('.hint'))
  .map((f) => [f.querySelector('[name]').name, f.querySelector('.hint').innerText.trim()]))"""
SECRET_KEPT = {"zh": "留空或保持 •••• 则不修改", "en": "Leave •••• to keep the saved value"}


def schema_hints(schema: dict, lang: str, secrets: tuple[str, ...] = ()) -> dict[str, str]:
    """The hints a form of ``schema`` should show in ``lang``: each described field's
    ``x-description`` (a field with no Chinese twin fails here); a secret field's ends with
    the note about the mask."""
    out = {}
    for name, prop in schema["properties"].items():
        if prop.get("readOnly"):
            continue
        hint = ""
        if prop.get("description"):
            hint = prop.get("x-description", {}).get(lang, "(no Chinese twin)")
        if name in secrets:
            hint = " · ".join(filter(None, [hint, SECRET_KEPT[lang]]))
        if hint:
            out[name] = hint
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_form_hints_speak_the_page_language(browser, live_server, api, lang, tmp_path):
    """Every plugin's settings form and every plugin page's create and filter forms of the
    demo store show each field's hint in the page's language, as its schema gives it."""
    owner = api.login(*OWNER)
    console = api.call("GET", "/api/v1/merchants/1/console", token=owner)["pages"]
    plugins = api.call("GET", "/api/v1/merchants/1/plugins", token=owner)
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="zh-CN" if lang == "zh" else "en-US"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    checked = []
    try:
        sign_in(page, live_server, OWNER)
        for plugin in plugins:
            if not (plugin["enabled"] and plugin["level"] != "platform"):
                continue
            expected = schema_hints(
                plugin["config_schema"] or {"properties": {}}, lang, plugin["secret_fields"]
            )
            if not expected:
                continue
            page.goto(f"{live_server}/console/m/1/plugins")
            page.click(f"[data-action=configure][data-plugin={plugin['name']}]")
            page.wait_for_selector(".modal .field")
            assert page.evaluate(FORM_HINTS, ".modal") == expected, plugin["name"]
            checked.append((plugin["name"], "settings"))
            if plugin["name"] == "reviews":
                page.screenshot(path=str(tmp_path / f"reviews-settings-{lang}.png"))
            page.keyboard.press("Escape")
        for listed in console:
            forms = {"create": listed["create"], "filters": listed["filters"]}
            forms = {k: schema_hints(f["schema"], lang) for k, f in forms.items() if f}
            if not any(forms.values()):
                continue
            page.goto(f"{live_server}/console/m/1/p/{listed['id']}")
            page.wait_for_selector(".page-head h1")
            if forms.get("filters"):
                page.click("details.filters-box summary")
                hints = page.evaluate(FORM_HINTS, "details.filters-box")
                assert hints == forms["filters"], f"{listed['id']} filters"
                checked.append((listed["id"], "filters"))
            if forms.get("create"):
                page.click("[data-action=create]")
                page.wait_for_selector(".modal .field")
                assert page.evaluate(FORM_HINTS, ".modal") == forms["create"], listed["id"]
                checked.append((listed["id"], "create"))
                if listed["id"] == "promotions/promotions":
                    page.screenshot(path=str(tmp_path / f"promotions-create-{lang}.png"))
                page.keyboard.press("Escape")
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    # the walk saw the forms of these plugins, with hints in this language
    for form in [
        ("promotions", "settings"),
        ("promotions/promotions", "create"),
        ("reviews", "settings"),
        ("freight/templates", "create"),
        ("membership/members", "filters"),
        ("coupons/templates", "create"),
        ("payment_wechat", "settings"),  # a secret field's hint keeps the note about the mask
    ]:
        assert form in checked, form


def test_a_change_form_opens_with_the_row_and_sends_only_what_changed(page, live_server, api):
    """修改 opens with the row's values. A PATCH carries only the fields changed, so a box left
    alone (an FAQ entry's 已发布) keeps its value and an emptied field is cleared; a PUT form
    (a freight template) opens filled, and saving it untouched changes nothing."""
    owner = api.login(*OWNER)
    entries = "/api/v1/merchants/1/faq/entries"
    question = f"发票怎么开？{uuid.uuid4().hex[:6]}"
    entry = api.call(
        "POST",
        entries,
        {"question": question, "answer": "下单时填写抬头。", "position": 7},
        token=owner,
    )
    try:
        sign_in(page, live_server, OWNER)
        page.goto(f"{live_server}/console/m/1/p/faq/entries")
        page.locator("tr", has_text=question).locator("[data-action=edit]").click()
        expect(page.locator("#plugin-question")).to_have_value(question)
        expect(page.locator("#plugin-position")).to_have_value("7")
        expect(page.locator("#plugin-published")).to_be_checked()
        page.fill("#plugin-answer", "在订单详情里申请。")
        page.click(".modal button[type=submit]")
        page.locator("tr", has_text="在订单详情里申请。").wait_for()
        (after,) = api.call("GET", f"{entries}?q={urllib.parse.quote(question)}", token=owner)
        assert (after["question"], after["answer"], after["position"], after["published"]) == (
            question,
            "在订单详情里申请。",
            7,
            True,
        )

        templates = "/api/v1/merchants/1/freight/templates"
        before = api.call("GET", templates, token=owner)[0]
        page.goto(f"{live_server}/console/m/1/p/freight/templates")
        page.locator("tr", has_text=before["name"]).locator("[data-action=edit]").click()
        expect(page.locator("#plugin-name")).to_have_value(before["name"])
        # a nested field's error says where it is (not "[object Object]")
        page.fill("#plugin-rows", '[{"regions": []}]')
        page.click(".modal button[type=submit]")
        expect(page.locator(".field:has(#plugin-rows) .field-error")).to_contain_text("0.regions: ")
        page.keyboard.press("Escape")
        page.locator("tr", has_text=before["name"]).locator("[data-action=edit]").click()
        page.click(".modal button[type=submit]")
        expect(page.locator(".modal")).to_have_count(0)
        same = api.call("GET", f"{templates}/{before['id']}", token=owner)
        assert {k: v for k, v in same.items() if k != "updated_at"} == {
            k: v for k, v in before.items() if k != "updated_at"
        }
    finally:
        api.call("DELETE", f"{entries}/{entry['id']}", token=owner, expect=204)


# A form's fields and the label of each: {field name: label}, in ``scope`` (a required
# field's "*" left out; a checkbox's label wraps its input).
FORM_LABELS = """(scope) => Object.fromEntries([...document.querySelectorAll(scope + ' .field')]
  .map((f) => [f.querySelector('[name]').name,
    [...f.querySelector('label').childNodes]
      .filter((n) => !(n.classList && n.classList.contains('req')))
      .map((n) => n.textContent).join('').trim()]))"""


def schema_labels(schema: dict, lang: str) -> dict[str, str]:
    """The labels of a form of ``schema`` that its fields' ``x-label`` give, in ``lang``."""
    return {
        name: prop["x-label"][lang]
        for name, prop in schema["properties"].items()
        if not prop.get("readOnly") and "x-label" in prop
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_form_labels_speak_the_page_language(browser, live_server, api, lang):
    """A plugin page's create form (coupons) and a plugin's settings form (WeChat Pay) label
    each field with its schema's ``x-label`` in the page's language, not the field's name."""
    owner = api.login(*OWNER)
    console = api.call("GET", "/api/v1/merchants/1/console", token=owner)["pages"]
    coupons = next(p for p in console if p["id"] == "coupons/templates")["create"]["schema"]
    plugins = api.call("GET", "/api/v1/merchants/1/plugins", token=owner)
    wechat = next(p for p in plugins if p["name"] == "payment_wechat")["config_schema"]
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="zh-CN" if lang == "zh" else "en-US"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server, OWNER)
        page.goto(f"{live_server}/console/m/1/p/coupons/templates")
        page.click("[data-action=create]")
        page.wait_for_selector(".modal .field")
        shown = page.evaluate(FORM_LABELS, ".modal")
        page.screenshot(path=f"/tmp/labels-coupons-create-{lang}.png")
        expected = schema_labels(coupons, lang)
        assert len(expected) >= 15  # the coupons form's fields are labelled
        assert {k: shown[k] for k in expected} == expected
        per_buyer = {"zh": "每人限领", "en": "Per buyer"}[lang]
        expect(page.locator("label[for=plugin-per_user]")).to_have_text(per_buyer)
        expect(page.locator(".field:has(#plugin-claimable) label.check")).to_have_text(
            {"zh": "可在领券中心领取", "en": "In the coupon centre"}[lang]
        )
        # a field without x-label keeps the console's own text for its name
        assert shown["starts_at"] == {"zh": "开始时间", "en": "Starts"}[lang]
        assert not [k for k, v in shown.items() if v == k], shown  # no raw field names
        page.keyboard.press("Escape")

        page.goto(f"{live_server}/console/m/1/plugins")
        page.click("[data-action=configure][data-plugin=payment_wechat]")
        page.wait_for_selector(".modal .field")
        shown = page.evaluate(FORM_LABELS, ".modal")
        page.screenshot(path=f"/tmp/labels-wechat-settings-{lang}.png")
        assert shown == schema_labels(wechat, lang)
        assert shown["mchid"] == {"zh": "商户号", "en": "Merchant id (mchid)"}[lang]
        assert shown["apiv3_key"] == {"zh": "APIv3 密钥", "en": "APIv3 key"}[lang]
        page.keyboard.press("Escape")
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


# codes and their names in each language: a column's choices, a form field's x-choices
CODE_NAMES = {
    "zh": {
        "home_banner": "首页轮播",
        "product": "商品",
        "types": ["限时折扣", "满减", "满折", "买N送M", "套餐", "满赠"],
        "gift": "满赠",
        "scopes": ["全部商品", "指定商品", "指定分类", "指定商品不可用"],
        "discount": "折扣",  # a coupon's type: the shared status text
    },
    "en": {
        "home_banner": "Home banner",
        "product": "Product",
        "types": [
            "Time-limited price",
            "Amount off per tier",
            "Percent off per tier",
            "Buy N get M",
            "Bundle",
            "Gift with purchase",
        ],
        "gift": "Gift with purchase",
        "scopes": [
            "All products",
            "Selected products",
            "Selected categories",
            "All but selected products",
        ],
        "discount": "Discount",
    },
}
OPTIONS = "(select) => [...select.options].filter((o) => o.value).map((o) => o.textContent)"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_codes_are_named_in_the_page_language(browser, live_server, lang):
    """A table cell shows the name of a code (the column's choices) and a select names its
    options (the schema's x-choices, else the shared status text) in the page's language,
    never the raw code: the ads page's placement, the promotions and coupons create forms."""
    names = CODE_NAMES[lang]
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="zh-CN" if lang == "zh" else "en-US"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server, OWNER)
        page.goto(f"{live_server}/console/m/1/p/ads/creatives")
        row = page.locator(".plugin-page tr", has_text="双11 爆款直降")  # the demo's banner
        expect(row.locator("td").nth(1)).to_have_text(names["home_banner"])  # 广告位
        expect(row.locator("td").nth(2)).to_have_text(names["product"])  # 跳转
        page.screenshot(path=f"/tmp/choices-ads-{lang}.png", full_page=True)

        page.goto(f"{live_server}/console/m/1/p/promotions/promotions")
        page.click("[data-action=create]")
        page.wait_for_selector(".modal #plugin-type")
        assert page.locator("#plugin-type").evaluate(OPTIONS) == names["types"]
        page.select_option("#plugin-type", "gift")  # the value sent is still the code
        expect(page.locator("#plugin-type option:checked")).to_have_text(names["gift"])
        assert page.locator("#plugin-type").input_value() == "gift"
        page.screenshot(path=f"/tmp/choices-promotions-create-{lang}.png")
        page.keyboard.press("Escape")

        page.goto(f"{live_server}/console/m/1/p/coupons/templates")
        page.click("[data-action=create]")
        page.wait_for_selector(".modal #plugin-scope")
        assert page.locator("#plugin-scope").evaluate(OPTIONS) == names["scopes"]
        type_options = page.locator("#plugin-type").evaluate(OPTIONS)
        assert names["discount"] in type_options and "discount" not in type_options
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
