"""Demo data: a platform admin, a merchant with every merchant-level plugin switched on and a
few products, its owner, and a buyer with an address and one completed order — enough to go
cart → checkout → manual payment → shipped → completed through the API. Running it again
changes nothing and prints the same credentials."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

from flask import Flask

from mallkit.core import migrate, plugin_settings
from mallkit.core.accounts import service as accounts
from mallkit.core.accounts.merchants import service as merchants
from mallkit.core.accounts.merchants.models import Merchant, StaffMember
from mallkit.core.accounts.models import Address, User
from mallkit.core.accounts.service import save_address
from mallkit.core.catalog.models import Sku
from mallkit.core.checkout import service as checkout
from mallkit.core.db import utcnow
from mallkit.core.errors import MallkitError
from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order
from mallkit.core.payments import service as payments
from mallkit.core.payments.channel import ChannelPayment

ADMIN = ("admin@demo.mallkit.dev", "demo-admin-1")
OWNER = ("owner@demo.mallkit.dev", "demo-owner-1")
BUYER = ("buyer@demo.mallkit.dev", "demo-buyer-1")
# A second buyer, for plugins that show two buyers together (a promoter and their team).
FRIEND = ("friend@demo.mallkit.dev", "demo-friend-1")
AGENT = ("agent@demo.mallkit.dev", "demo-agent-1")  # customer-service staff (role agent)
STORE = "Demo Store 演示商城"


# Installed plugins of these categories (the example plugin, test plugins) are not switched on.
NOT_DEMOED = frozenset({"example", "test"})

# Plugins whose defaults would show the demo buyer something empty.
DEMO_CONFIG = {
    # the bank-transfer instructions name an account to pay into
    "payment_manual": {
        "bank_account": "招商银行上海分行 户名：mallkit 演示店 账号：6214 8300 0000 0000",
    },
}


def _user(email: str, password: str, name: str, admin: bool = False) -> User:
    user = User.get_or_none(User.email == email)
    if user is None:
        user = accounts.register(email=email, password=password, name=name, is_platform_admin=admin)
    return user


PRODUCTS = [
    {
        "name": "纯棉T恤",
        "subtitle": "夏季新款",
        "tags": ["新品", "热门"],
        "specs": [{"name": "颜色", "values": ["白", "黑"]}, {"name": "尺码", "values": ["M", "L"]}],
        "sku_defaults": {"price": 7900, "original_price": 9900, "stock": 200},
    },
    {
        "name": "保温杯 500ml",
        "subtitle": "316 不锈钢",
        "tags": ["推荐"],
        "specs": [{"name": "颜色", "values": ["银", "蓝"]}],
        "sku_defaults": {"price": 12900, "stock": 80},
    },
    {
        "name": "手冲咖啡豆 250g",
        "subtitle": "云南保山",
        "tags": ["热门"],
        "specs": [],
        "sku_defaults": {"price": 6800, "stock": 50},
    },
]


def _catalog(merchant: Merchant) -> None:
    from mallkit.core.catalog.models import Product
    from mallkit.core.catalog.service import create_product

    if Product.select().where(Product.merchant == merchant.id).exists():
        return
    for product in PRODUCTS:
        create_product(merchant.id, product)


def _sample_order(merchant: Merchant, owner: User, buyer: User) -> None:
    """One completed order of the demo buyer — placed, paid by bank transfer, shipped and
    received — so the plugins' demos have an order to show (a review, an after-sale case)."""
    if Order.select().where((Order.merchant == merchant.id) & (Order.buyer == buyer.id)).exists():
        return
    sku = Sku.select().where(Sku.merchant == merchant.id).order_by(Sku.id).first()
    address = Address.get(Address.user == buyer.id)
    (order,) = checkout.place(
        buyer, {"items": [{"sku_id": sku.id, "quantity": 2}], "address_id": address.id}
    )
    attempt = payments.start(order, "manual", method="transfer")
    payments.record_payment(
        merchant.id,
        "manual",
        ChannelPayment(attempt.number, "paid", f"DEMO-{order.number}", order.total, order.currency),
        "staff",
    )
    staff = Actor("staff", owner.id)
    orders.ship(Order.get_by_id(order.id), staff, carrier="SF", tracking_number="SF1000000000")
    orders.confirm_receipt(Order.get_by_id(order.id), Actor("buyer", buyer.id))


# A month of sales by demo shoppers, so reports (the analytics plugin) have history to show.
SHOPPERS = [
    ("上海市", "上海市", "浦东新区"),
    ("浙江省", "杭州市", "西湖区"),
    ("江苏省", "南京市", "鼓楼区"),
    ("广东省", "广州市", "天河区"),
    ("北京市", "北京市", "朝阳区"),
    ("四川省", "成都市", "武侯区"),
]


def _pay_by_transfer(merchant: Merchant, order: Order) -> None:
    attempt = payments.start(order, "manual", method="transfer")
    payments.record_payment(
        merchant.id,
        "manual",
        ChannelPayment(attempt.number, "paid", f"DEMO-{order.number}", order.total, order.currency),
        "staff",
    )


def _month_of_sales(merchant: Merchant) -> None:
    """Orders of six demo shoppers (one per province) over the last 30 days, paid by bank
    transfer and backdated to their day — 1 to 3 a day, always the same ones (a seeded
    random). Skipped when the store already has orders older than a day."""
    day_ago = utcnow() - dt.timedelta(days=1)
    if Order.select().where((Order.merchant == merchant.id) & (Order.placed_at < day_ago)).exists():
        return
    rng = random.Random(16)
    skus = list(Sku.select().where(Sku.merchant == merchant.id).order_by(Sku.id))
    shoppers = []
    for n, (province, city, district) in enumerate(SHOPPERS, start=1):
        shopper = _user(f"shopper{n}@demo.mallkit.dev", f"demo-shopper-{n}", f"顾客{n}")
        if not Address.select().where(Address.user == shopper.id).exists():
            save_address(
                shopper,
                {
                    "recipient": f"顾客{n}",
                    "phone": f"1390000000{n}",
                    "province": province,
                    "city": city,
                    "district": district,
                    "detail": f"人民路 {n} 号",
                },
            )
        shoppers.append((shopper, Address.get(Address.user == shopper.id)))
    tz = zoneinfo.ZoneInfo(merchant.timezone)
    today = dt.datetime.now(tz).date()
    for days_ago in range(30, 0, -1):
        day = today - dt.timedelta(days=days_ago)
        for _ in range(rng.randint(1, 3)):
            shopper, address = rng.choice(shoppers)
            items = [
                {"sku_id": sku.id, "quantity": rng.randint(1, 2)}
                for sku in rng.sample(skus, rng.randint(1, 2))
            ]
            try:
                (order,) = checkout.place(shopper, {"items": items, "address_id": address.id})
                _pay_by_transfer(merchant, order)
            except MallkitError:
                continue  # sold out: the demo shows fewer orders that day
            local = dt.datetime.combine(day, dt.time(rng.randint(8, 22), rng.randint(0, 59)), tz)
            at = local.astimezone(dt.UTC).replace(tzinfo=None)
            Order.update(placed_at=at, paid_at=at + dt.timedelta(minutes=3)).where(
                Order.id == order.id
            ).execute()


def seed(app: Flask) -> list[str]:
    """Create (or find) the demo rows; return lines describing how to sign in."""
    host = app.extensions["mallkit"].plugins
    migrate.upgrade(host)
    notes: list[str] = []
    with app.app_context():
        _user(*ADMIN, "Demo admin", admin=True)
        owner = _user(*OWNER, "Demo owner")
        _user(*BUYER, "Demo buyer")
        _user(*FRIEND, "Demo friend")
        merchant = Merchant.get_or_none(Merchant.name == STORE)
        if merchant is None:
            merchant = merchants.create_merchant(
                {"name": STORE, "contact_phone": "400-000-0000", "address": "上海市浦东新区"},
                owner=owner,
            )
        current = host.for_merchant(merchant.id)
        for name in host.dependency_order():
            meta = host.plugins[name].meta
            if meta.level != "merchant" or name in current.enabled:
                continue
            if meta.category in NOT_DEMOED:  # installed, but not for a store's customers
                notes.append(
                    f"plugin {name} ({meta.category}) left off: "
                    f"mallkit plugins enable {name} --merchant {merchant.id}"
                )
                continue
            try:
                plugin_settings.enable(merchant, name, DEMO_CONFIG.get(name))
            except MallkitError as exc:
                notes.append(f"plugin {name} left off: {exc.message}")
        agent = _user(*AGENT, "Demo agent")
        if (
            not StaffMember.select()
            .where((StaffMember.merchant == merchant.id) & (StaffMember.user == agent.id))
            .exists()
        ):
            merchants.add_staff(merchant, AGENT[0], "agent")
        _catalog(merchant)
        buyer = User.get(User.email == BUYER[0])
        if not Address.select().where(Address.user == buyer.id).exists():
            save_address(
                buyer,
                {
                    "recipient": "张三",
                    "phone": "13800000000",
                    "province": "上海市",
                    "city": "上海市",
                    "district": "浦东新区",
                    "detail": "世纪大道 100 号",
                },
            )
        if "payment_manual" in host.for_merchant(merchant.id).enabled:
            _sample_order(merchant, owner, buyer)
            _month_of_sales(merchant)
        enabled = sorted(host.for_merchant(merchant.id).enabled)
    lines = [
        f"platform admin  {ADMIN[0]} / {ADMIN[1]}",
        f"merchant owner  {OWNER[0]} / {OWNER[1]}  (merchant id {merchant.id}: {STORE})",
        f"store agent     {AGENT[0]} / {AGENT[1]}  (staff role agent: orders, chats)",
        f"buyer           {BUYER[0]} / {BUYER[1]}",
        f"second buyer    {FRIEND[0]} / {FRIEND[1]}",
        f"plugins on      {', '.join(enabled) or '(none installed)'}",
    ]
    return lines + notes


def attach_services(app: Flask, base_url: str, banner: list[str]) -> list[str]:
    """Let every plugin make the demo store work on one machine (``extend_demo``: the payment
    plugins mount their gateway simulators under ``/_sim/`` and configure the store); return
    the banner without the "left off" notes of plugins that are now on, plus their lines."""
    host = app.extensions["mallkit"].plugins
    with app.app_context():
        merchant = Merchant.get_or_none(Merchant.name == STORE)
        if merchant is None:
            return banner
        results = host.hook.extend_demo(app=app, merchant=merchant, base_url=base_url)
        enabled = host.for_merchant(merchant.id).enabled
    kept = [
        line
        for line in banner
        if not any(line.startswith(f"plugin {name} left off") for name in enabled)
    ]
    return kept + [line for lines in results for line in lines or ()]
