"""The storefront (``/shop/``) in a real browser at phone width, against a live ``mallkit demo``.

Each test sets up what it needs through the merchant's REST API (coupons, activities), then
acts as a buyer would: only through the pages. Screenshots for docs/storefront/ are taken on
the way (look at them after a change)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.browser.conftest import BUYER, FRIEND, OWNER

expect = pytest.importorskip("playwright.sync_api").expect
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


@contextmanager
def phone(browser):
    """Another person's phone: a fresh 375 px context of its own (JavaScript errors fail)."""
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


def sign_in(page, base: str, login: str, password: str) -> None:
    page.goto(base + "/shop/login?next=/me")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_selector(".me-name")


def pay_with_wechat(page) -> None:
    """From the checkout page: choose WeChat Pay, place, pay in the simulator's cashier."""
    page.get_by_role("radio", name="微信支付").check()
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_url(re.compile(r"/_sim/wechat/cashier/"))
    page.get_by_role("button", name="确认支付 / Pay").click()
    page.wait_for_url(re.compile(r"/shop/pay/result"))
    page.wait_for_selector(".result-title[data-status=paid]", timeout=20000)


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
    # the home page's sections come in one after another: wait for the cards, then count them
    page.wait_for_function("() => document.querySelectorAll('.product-card').length >= 3")
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


def test_a_second_buyer_joins_a_group_through_the_share_link_and_the_group_succeeds(
    mobile_page, browser, live_server, api, owner
):
    start, end = window()
    product = api.call("GET", "/api/v1/products/2")
    sku = product["skus"][0]
    activity = api.call(
        "POST",
        f"/api/v1/merchants/{STORE}/groupbuy/activities",
        {
            "title": "保温杯两人团",
            "product_id": product["id"],
            "prices": {str(sku["id"]): 9900},
            "group_size": 2,
            "time_limit_minutes": 60,
            "starts_at": start,
            "ends_at": end,
        },
        token=owner,
    )
    page = mobile_page
    sign_in(page, live_server, *BUYER)
    page.goto(live_server + f"/shop/product/{product['id']}")
    page.locator(".group-activity").get_by_role("button", name="发起拼团").click()
    page.wait_for_selector(".checkout-line")
    assert page.locator(".action-bar .price").inner_text() == "¥99.00"
    pay_with_wechat(page)
    page.get_by_role("link", name="去邀请好友拼团").click()
    page.wait_for_selector(".group-state:has-text('还差 1 人成团')")
    page.get_by_role("button", name="邀请好友参团").click()
    link = page.locator(".share-url").input_value()
    assert re.fullmatch(re.escape(live_server) + r"/shop/s/[A-Za-z0-9_-]+", link), link
    shot(page, "group-leader")

    with phone(browser) as friend:
        sign_in(friend, live_server, *FRIEND)
        friend.goto(link)
        friend.wait_for_selector(".group-page[data-status=open]")
        shot(friend, "group-share")
        friend.get_by_role("button", name=re.compile("一键参团")).click()
        friend.wait_for_selector(".checkout")
        if friend.locator("input[name=recipient]").count():
            add_address(friend)
        friend.wait_for_selector(".checkout-line")
        pay_with_wechat(friend)
        friend_token = api.login(*FRIEND)
        orders = api.call("GET", "/api/v1/orders?status=paid", token=friend_token)
        joined = [o for o in orders if o["lines"][0]["activity"]]
        assert joined and joined[0]["total"] == 9900

    # the leader's page: the group is complete, both orders paid
    page.reload()
    page.wait_for_selector(".group-page[data-status=succeeded]")
    assert page.locator(".group-state").inner_text() == "拼团成功"
    shot(page, "group-succeeded")
    leader = api.login(*BUYER)
    groups = api.call(
        "GET", f"/api/v1/merchants/{STORE}/groupbuy/activities/{activity['id']}/groups"
    )
    assert groups == []  # none waiting any more
    mine = api.call("GET", "/api/v1/orders?page_size=5", token=leader)
    group_order = next(o for o in mine if o["lines"][0]["activity"])
    assert group_order["status"] == "paid"
    group = api.call(
        "GET", f"/api/v1/merchants/{STORE}/groupbuy/orders/{group_order['id']}/group", token=leader
    )
    assert group["status"] == "succeeded" and group["paid"] == 2


def test_a_bargain_is_helped_by_two_users_and_bought_at_the_floor(
    mobile_page, browser, live_server, api, owner
):
    start, end = window()
    product = api.call("GET", "/api/v1/products/3")
    sku = product["skus"][0]
    api.call(
        "POST",
        f"/api/v1/merchants/{STORE}/bargain/activities",
        {
            "title": "咖啡豆砍到 1 元",
            "sku_id": sku["id"],
            "start_price": sku["price"],
            "floor_price": 100,
            "helpers_needed": 2,
            "starts_at": start,
            "ends_at": end,
        },
        token=owner,
    )
    page = mobile_page
    register(page, live_server, "砍价发起人", "starter")
    page.goto(live_server + f"/shop/product/{product['id']}")
    page.locator(".bargain-activity").get_by_role("button", name="发起砍价").click()
    page.wait_for_selector(".bargain-page[data-status=active]")
    page.get_by_role("button", name="邀请好友帮砍").click()
    link = page.locator(".share-url").input_value()

    with phone(browser) as first:
        sign_in(first, live_server, *FRIEND)
        first.goto(link)
        first.get_by_role("button", name="帮TA砍一刀").click()
        first.wait_for_selector(".toast:has-text('你砍掉了')")
        shot(first, "bargain-help")
    with phone(browser) as second:
        register(second, live_server, "帮砍好友", "helper")
        second.goto(link)
        second.get_by_role("button", name="帮TA砍一刀").click()
        second.wait_for_selector(".toast:has-text('你砍掉了')")

    page.reload()
    page.wait_for_selector(".bargain-page:has-text('已砍到底价')")
    assert page.locator(".help-row").count() == 2
    shot(page, "bargain-floor")
    page.get_by_role("button", name=re.compile("以当前价购买")).click()
    page.wait_for_selector("input[name=recipient]")
    add_address(page)
    page.wait_for_selector(".checkout-line")
    assert "¥1.00 × 1" in page.locator(".checkout-line").inner_text()
    shot(page, "bargain-checkout")
    pay_with_wechat(page)
    page.goto(live_server + "/shop/orders")
    page.wait_for_selector(".order-card")
    assert page.locator(".order-card .status").first.inner_text() == "待发货"
    starter = page.evaluate("localStorage.getItem('mallkit.shop.token')")
    (order,) = api.call("GET", "/api/v1/orders", token=starter)
    (line,) = order["lines"]
    assert order["status"] == "paid" and line["sale_unit_price"] == 100
    assert line["activity"]["type"] == "bargain"
    assert order["total"] == 100 + order["freight"]


def test_an_after_sales_application_appears_in_the_merchant_console(
    mobile_page, browser, live_server, api, owner
):
    buyer = api.login(*BUYER)
    (order,) = api.call(
        "POST",
        "/api/v1/checkout/place",
        {"items": [{"sku_id": 2, "quantity": 1}], "address_id": 1},
        token=buyer,
        headers={"Idempotency-Key": secrets.token_hex(8)},
    )
    api.call("POST", f"/api/v1/orders/{order['id']}/payments", {"channel": "balance"}, token=buyer)
    page = mobile_page
    sign_in(page, live_server, *BUYER)
    page.goto(live_server + f"/shop/orders/{order['id']}")
    page.wait_for_selector(".order-detail .status[data-status=paid]")
    page.get_by_role("link", name="申请售后").first.click()
    page.wait_for_selector("select[name=reason]")
    page.fill("textarea[name=description]", "不想要了，还没发货")
    shot(page, "aftersale")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_selector(".aftersale-case")
    assert "仅退款" in page.locator(".aftersale-case").first.inner_text()
    (case,) = api.call(
        "GET",
        f"/api/v1/merchants/{STORE}/aftersales/staff/cases?order_id={order['id']}",
        token=owner,
    )
    assert case["type"] == "refund" and case["status"] == "applied"
    assert case["description"] == "不想要了，还没发货"

    # the store's staff see it in the web console's after-sales page
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    console = context.new_page()
    try:
        console.goto(live_server + "/console/")
        console.fill("#login", OWNER[0])
        console.fill("#password", OWNER[1])
        console.click("form button[type=submit]")
        console.wait_for_selector("nav.menu")
        console.click("nav.menu a[data-page='aftersales/cases']")
        row = console.locator(".plugin-page table tr", has_text=case["number"])
        row.wait_for(timeout=10000)
        assert str(order["id"]) in row.inner_text()
        shot(console, "aftersale-in-console")
    finally:
        context.close()


def test_a_new_buyer_signs_in_with_wechat_on_h5_and_is_recognised_next_time(
    mobile_page, live_server, api
):
    page = mobile_page
    page.goto(live_server + "/shop/login?next=/me")
    page.get_by_role("button", name="微信登录").click()
    page.wait_for_url(re.compile(r"/_sim/wechat-login/connect/oauth2/authorize"))
    page.fill("input[name=nickname]", "微信小王")
    shot(page, "wechat-consent")
    page.get_by_role("button", name="允许 / Allow").click()
    # first time: prove a phone by SMS (sent through the demo's SMS simulator)
    phone = "138" + str(secrets.randbelow(10**8)).zfill(8)
    page.wait_for_selector("input[name=phone]")
    page.fill("input[name=phone]", phone)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_selector(".toast:has-text('验证码已发送')")
    texts = [m["text"] for m in api.call("GET", "/_sim/sms/messages") if m["to"].endswith(phone)]
    code = re.search(r"\d{6}", texts[-1]).group(0)
    page.fill("input[name=code]", code)
    shot(page, "wechat-bind-phone")
    page.get_by_role("button", name="验证并登录").click()
    page.wait_for_selector(".me-name:has-text('微信小王')")
    token = page.evaluate("localStorage.getItem('mallkit.shop.token')")
    me = api.call("GET", "/api/v1/me", token=token)
    assert me["phone"] == phone and me["name"] == "微信小王"

    # signed out and back with WeChat: the same account, no phone asked
    page.get_by_role("button", name="退出登录").click()
    page.goto(live_server + "/shop/login?next=/me")
    page.get_by_role("button", name="微信登录").click()
    page.wait_for_url(re.compile(r"/_sim/wechat-login/"))
    page.get_by_role("button", name="允许 / Allow").click()
    page.wait_for_selector(".me-name:has-text('微信小王')")
    again = page.evaluate("localStorage.getItem('mallkit.shop.token')")
    assert again != token and api.call("GET", "/api/v1/me", token=again)["id"] == me["id"]


def test_the_member_and_promoter_centres_chat_and_the_inbox(mobile_page, live_server, api, owner):
    page = mobile_page
    sign_in(page, live_server, *BUYER)
    # member centre: the demo buyer is a 金卡 member; signing in for today once
    page.get_by_role("link", name="会员中心").click()
    page.wait_for_selector(".level-name:has-text('金卡会员')")
    button = page.locator(".member .btn.wide")
    if button.inner_text() == "每日签到":
        button.click()
        page.wait_for_selector(".toast:has-text('签到成功')")
    page.wait_for_selector(".member .btn.wide:has-text('今日已签到')")
    # the points ledger in the page's language, by each entry's kind (the server's notes are
    # English: "sign-in day 1", "order …"); a store's adjustment shows the reason it typed
    page.locator(".ledger-row", has_text="每日签到").first.wait_for()
    page.locator(".ledger-row", has_text="商家调整 · 演示赠送").wait_for()
    labels = [text.split("\n")[0] for text in page.locator(".ledger-row").all_inner_texts()]
    assert labels and not [x for x in labels if re.search("[A-Za-z]", x)], labels
    shot(page, "member")
    me = api.call("GET", f"/api/v1/merchants/{STORE}/membership/me", token=api.login(*BUYER))
    assert me["signed_today"] is True

    # promoter centre: the demo buyer is a promoter; a share link and the poster
    page.goto(live_server + "/shop/me")
    page.get_by_role("link", name="推广中心").click()
    page.wait_for_selector(".promoter-code")
    page.get_by_role("button", name="生成推广链接和海报").click()
    page.wait_for_selector("img.poster")
    assert "/shop/s/" in page.locator(".share-url").input_value()
    page.wait_for_function(
        "() => { const i = document.querySelector('img.poster'); return i && i.complete"
        " && i.naturalWidth > 0 }",
        timeout=10000,
    )
    shot(page, "promoter")

    # chat with the store: the message reaches the store's inbox
    words = "请问保温杯能保温多久？" + secrets.token_hex(2)
    page.goto(live_server + "/shop/chat/1")
    page.fill("input[name=message]", words)
    page.get_by_role("button", name="发送").click()
    page.wait_for_selector(f".bubble.mine:has-text('{words}')")
    shot(page, "chat")
    inbox = api.call("GET", f"/api/v1/merchants/{STORE}/livechat/staff/inbox?box=all", token=owner)
    assert inbox, "the store sees the conversation"

    # notifications inbox: the buyer's in-app messages (orders paid earlier in this session)
    page.goto(live_server + "/shop/notifications")
    page.wait_for_selector(".notice, .empty")
    shot(page, "notifications")

    # English on the 我的 page, and back
    page.goto(live_server + "/shop/me")
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("nav.menu a:has-text('My orders')")
    assert page.locator(".tab-bar").inner_text().split() == ["Home", "Categories", "Cart", "Me"]
    shot(page, "me-english")
    page.get_by_role("button", name="中文").click()
    page.wait_for_selector("nav.menu a:has-text('我的订单')")


def test_every_word_has_both_languages_and_no_screen_shows_a_key(mobile_page, live_server):
    page = mobile_page
    page.goto(live_server + "/shop/")
    missing = page.evaluate(
        """async () => {
            const { WORDS } = await import('/shop/js/words.js');
            return Object.entries(WORDS).filter(([, w]) => !w.zh || !w.en).map(([k]) => k);
        }"""
    )
    assert missing == []
    for path in ("/shop/", "/shop/categories", "/shop/search?q=杯", "/shop/product/1", "/shop/me"):
        page.goto(live_server + path)
        page.wait_for_timeout(800)
        text = page.locator("body").inner_text()
        keys = re.findall(r"\\b[a-z]+\\.[a-z_]+\\b", text)
        assert not keys, (path, keys)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path


def test_a_buyer_confirms_receipt_reviews_and_cancels_an_unpaid_order(
    mobile_page, live_server, api, owner
):
    buyer = api.login(*BUYER)

    def place(sku_id: int) -> dict:
        (order,) = api.call(
            "POST",
            "/api/v1/checkout/place",
            {"items": [{"sku_id": sku_id, "quantity": 1}], "address_id": 1},
            token=buyer,
            headers={"Idempotency-Key": secrets.token_hex(8)},
        )
        return order

    shipped = place(3)
    api.call(
        "POST", f"/api/v1/orders/{shipped['id']}/payments", {"channel": "balance"}, token=buyer
    )
    api.call(
        "POST",
        f"/api/v1/merchants/{STORE}/orders/{shipped['id']}/ship",
        {"carrier": "SF", "tracking_number": "SF" + str(secrets.randbelow(10**10)).zfill(10)},
        token=owner,
    )
    unpaid = place(4)

    page = mobile_page
    sign_in(page, live_server, *BUYER)
    page.goto(live_server + f"/shop/orders/{shipped['id']}")
    page.get_by_role("button", name="确认收货").click()
    page.wait_for_selector(".order-detail .status[data-status=completed]")
    page.get_by_role("link", name="评价").first.click()
    words = "颜色正，面料舒服 " + secrets.token_hex(2)
    page.fill("textarea[name=text]", words)
    page.get_by_role("button", name="4").first.click()  # four stars for the product
    shot(page, "review")
    page.get_by_role("button", name="发表评价").click()
    page.wait_for_selector(f".review:has-text('{words}')")
    reviews = api.call(
        "GET", f"/api/v1/merchants/{STORE}/reviews/products/{shipped['lines'][0]['product_id']}"
    )
    mine = next(r for r in reviews if r["text"] == words)
    assert mine["rating"] == 4 and mine["service_rating"] == 5

    page.goto(live_server + f"/shop/orders/{unpaid['id']}")
    page.get_by_role("button", name="取消订单").click()
    page.wait_for_selector(".order-detail .status[data-status=cancelled]")
    assert api.call("GET", f"/api/v1/orders/{unpaid['id']}", token=buyer)["status"] == "cancelled"


def test_the_cart_flags_unavailable_lines_and_checkout_says_why_a_coupon_does_not_apply(
    mobile_page, live_server, api, owner
):
    tag = secrets.token_hex(2)
    made = [
        api.call(
            "POST",
            f"/api/v1/merchants/{STORE}/products",
            {"name": f"{name} {tag}", "is_on_shelf": True, "skus": [{"price": price, "stock": 5}]},
            token=owner,
        )
        for name, price in (("帆布袋", 1990), ("钥匙扣", 990))
    ]
    page = mobile_page
    register(page, live_server, "购物车测试", "carts")
    for product in made:
        page.goto(live_server + f"/shop/product/{product['id']}")
        page.get_by_role("button", name="加入购物车").click()
        page.wait_for_selector(".toast:has-text('已加入购物车')")
    # a coupon the cart cannot reach: 满 150 减 20 of the demo's coupon centre
    page.goto(live_server + "/shop/coupons")
    page.locator(".coupon-card", has_text="满¥150.00减¥20.00").get_by_role("button").click()
    page.wait_for_selector(".toast:has-text('已领取')")
    # the store takes one product off the shelf
    api.call(
        "POST",
        f"/api/v1/merchants/{STORE}/products/shelf",
        {"product_ids": [made[1]["id"]], "on_shelf": False},
        token=owner,
    )
    page.goto(live_server + "/shop/cart")
    gone = page.locator(".cart-line.unavailable")
    gone.wait_for()
    assert "商品已下架" in gone.inner_text() and "钥匙扣" in gone.inner_text()
    assert gone.locator("input[type=checkbox]").is_disabled()
    shot(page, "cart-unavailable")
    page.get_by_role("button", name=re.compile("去结算")).click()
    page.wait_for_selector("input[name=recipient]")
    add_address(page)
    page.wait_for_selector(".checkout-line")
    assert page.locator(".checkout-line").count() == 1  # only what can be bought
    page.locator(".coupon-cell .cell-button").click()
    unusable = page.locator(".coupons-list .unusable")
    unusable.wait_for()
    assert "不可用" in unusable.inner_text() and "short" in unusable.inner_text()
    shot(page, "checkout-unusable-coupon")


def test_a_shipped_order_shows_the_carrier_the_number_and_the_tracking_trail(
    mobile_page, live_server, api, owner
):
    buyer = api.login(*BUYER)
    (order,) = api.call(
        "POST",
        "/api/v1/checkout/place",
        {"items": [{"sku_id": 3, "quantity": 1}], "address_id": 1},
        token=buyer,
        headers={"Idempotency-Key": secrets.token_hex(8)},
    )
    api.call("POST", f"/api/v1/orders/{order['id']}/payments", {"channel": "balance"}, token=buyer)
    number = "SF" + str(secrets.randbelow(10**10)).zfill(10)
    api.call(
        "POST",
        f"/api/v1/merchants/{STORE}/orders/{order['id']}/ship",
        {"carrier": "顺丰速运", "tracking_number": number},
        token=owner,
    )
    # The demo's tracking simulator plays a parcel's trail one event every 20 s once the
    # worker has subscribed it: wait for two, so the trail has an order to check.
    deadline = time.monotonic() + 120
    while True:
        (trail,) = api.call("GET", f"/api/v1/orders/{order['id']}/tracking", token=buyer)
        if len(trail["events"]) >= 2:
            break
        assert time.monotonic() < deadline, f"no trail after two minutes: {trail}"
        time.sleep(2)

    page = mobile_page
    sign_in(page, live_server, *BUYER)
    page.goto(live_server + f"/shop/orders/{order['id']}")
    parcel = page.locator(f".shipments .parcel[data-shipment='{trail['shipment_id']}']")
    parcel.wait_for()
    assert "顺丰速运" in parcel.inner_text() and f"运单号 {number}" in parcel.inner_text()
    shown = parcel.locator(".trail li")
    expect(shown.first).to_have_class("latest")
    texts = [li.split("\n")[0] for li in shown.all_inner_texts()]
    # events only ever arrive: what the page shows is the trail as it was, newest first
    (now,) = api.call("GET", f"/api/v1/orders/{order['id']}/tracking", token=buyer)
    described = [e["description"] for e in now["events"]]
    assert len(texts) >= 2 and texts == described[len(described) - len(texts) :]
    assert texts[-1] == "快件已揽收"  # the first event, at the bottom
    latest = now["events"][len(described) - len(texts)]["status"]
    words = {"collected": "已揽收", "in_transit": "运输中", "out_for_delivery": "派送中"}
    words |= {"delivered": "已签收"}
    assert parcel.locator(".parcel-status").inner_text() == words[latest]
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "order-tracking")

    page.evaluate("localStorage.setItem('mallkit.shop.lang', 'en')")
    page.reload()
    parcel.wait_for()
    assert f"Tracking no. {number}" in parcel.inner_text()
    assert parcel.locator(".parcel-status").inner_text() in {
        "Picked up",
        "In transit",
        "Out for delivery",
        "Delivered",
    }
    page.evaluate("localStorage.setItem('mallkit.shop.lang', 'zh')")
