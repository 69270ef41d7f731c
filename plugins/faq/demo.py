"""Demo data: the demo store's FAQ in two categories, one platform entry, and the warranty
of its first product. Only ``mallkit demo`` calls it; running it again adds nothing."""

from __future__ import annotations

from mallkit.core.plugin_api import Product, merchant_plugins
from mallkit.plugins.faq import service
from mallkit.plugins.faq.models import FaqEntry

STORE_FAQ = {
    "配送": [("多久发货？", "付款后 48 小时内从上海发货，默认顺丰。")],
    "售后": [
        ("支持七天无理由退货吗？", "支持。签收 7 天内、商品完好即可申请，退货运费由买家承担。"),
        ("怎么开发票？", "下单时选择电子发票，或在订单详情里申请；7 天内发到邮箱。"),
    ],
}
PLATFORM_FAQ = ("如何联系平台客服？", "在「我的 → 意见反馈」留言，平台客服一个工作日内回复。")


def attach(app, merchant, base_url) -> list[str]:
    if not merchant_plugins(merchant.id).is_enabled("faq"):
        return []
    if not FaqEntry.select().where(FaqEntry.merchant_id == merchant.id).exists():
        for position, (name, entries) in enumerate(STORE_FAQ.items()):
            category = service.save_category(merchant.id, {"name": name, "position": position})
            for n, (question, answer) in enumerate(entries):
                service.save_entry(
                    merchant.id,
                    {
                        "question": question,
                        "answer": answer,
                        "category_id": category.id,
                        "position": n,
                        "published": True,
                    },
                )
    if not FaqEntry.select().where(FaqEntry.merchant_id.is_null()).exists():
        question, answer = PLATFORM_FAQ
        service.save_entry(None, {"question": question, "answer": answer, "position": 0})
    product = Product.select().where(Product.merchant == merchant.id).order_by(Product.id).first()
    if product is not None:
        service.save_care(
            merchant.id,
            product.id,
            {"warranty_months": 12, "warranty": "一年质保", "repair": "质量问题寄回维修，往返包邮"},
        )
    return [f"faq             {base_url}/api/v1/merchants/{merchant.id}/faq/entries?q=发票"]
