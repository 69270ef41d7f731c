"""Demo rows: the demo buyer's conversation with the store — a question with a product card,
the owner's answer — plus canned replies and a keyword auto-reply."""

from __future__ import annotations

from mallkit.core.plugin_api import Merchant, Product, User, configure_plugin, merchant_plugins
from mallkit.plugins.livechat import service
from mallkit.plugins.livechat.models import BUYER, STAFF, CannedReply, Message

BUYER_EMAIL = "buyer@demo.mallkit.dev"
OWNER_EMAIL = "owner@demo.mallkit.dev"
CANNED = (
    ("发货时间", "付款后 48 小时内发货，顺丰包邮。"),
    ("退换货", "签收后 7 天内可无理由退货，请在订单页申请。"),
)
AUTO_REPLIES = [{"keyword": "发票", "reply": "电子发票在订单完成后自动开具，可在订单详情下载。"}]


def extend(app, merchant: Merchant, base_url: str) -> list[str] | None:
    if not merchant_plugins(merchant.id).is_enabled(service.PLUGIN):
        return None
    buyer = User.get_or_none(User.email == BUYER_EMAIL)
    owner = User.get_or_none(User.email == OWNER_EMAIL)
    if buyer is None or owner is None:
        return None
    config = merchant_plugins(merchant.id).config(service.PLUGIN)
    if not config["auto_replies"]:
        configure_plugin(merchant, service.PLUGIN, {**config, "auto_replies": AUTO_REPLIES})
    if not CannedReply.select().where(CannedReply.merchant_id == merchant.id).exists():
        for title, text in CANNED:
            CannedReply.create(merchant_id=merchant.id, title=title, text=text)
    c = service.open_conversation(merchant.id, buyer.id)
    if not Message.select().where(Message.conversation_id == c.id).exists():
        service.send(
            c, buyer, BUYER, "text", service.clean_text(merchant.id, "你好，这款有现货吗？")
        )
        product = (
            Product.select().where(Product.merchant == merchant.id).order_by(Product.id).first()
        )
        if product is not None:
            card = service.product_card(merchant.id, product.id)
            service.send(c, buyer, BUYER, "product", "", card)
        service.send(
            c, owner, STAFF, "text", service.clean_text(merchant.id, "有的，今天下单明天发货。")
        )
    ws = base_url.replace("http", "ws", 1)
    return [
        f"livechat        {BUYER_EMAIL} has a conversation with the store; "
        f"live at {ws}/api/v1/merchants/{merchant.id}/livechat/ws?token=<token>"
    ]
