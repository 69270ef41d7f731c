"""Demo rows: the demo buyer is a promoter (group 高级) and the demo friend is bound to them
through a share link of the store."""

from __future__ import annotations

from mallkit.core.plugin_api import Merchant, User, create_share, transaction
from mallkit.plugins.distribution import promoters
from mallkit.plugins.distribution.models import PromoterGroup

PROMOTER_EMAIL = "buyer@demo.mallkit.dev"
FRIEND_EMAIL = "friend@demo.mallkit.dev"


def seed(merchant: Merchant) -> list[str] | None:
    if not promoters.enabled(merchant.id):
        return None
    promoter_user = User.get_or_none(User.email == PROMOTER_EMAIL)
    friend = User.get_or_none(User.email == FRIEND_EMAIL)
    if promoter_user is None or friend is None:
        return None
    with transaction():
        group, _ = PromoterGroup.get_or_create(
            merchant_id=merchant.id,
            name="高级",
            defaults={"level1_bp": 1500, "level2_bp": 500},
        )
        promoter = promoters.make_promoter(
            merchant.id, promoter_user.id, "appointed", group_id=group.id
        )
        share = create_share(promoter_user.id, merchant.id, "store", merchant.id)
        if promoters.live_binding(merchant.id, friend.id) is None:
            promoters.quietly_bind(merchant.id, friend.id, share, "share")
    return [
        f"distribution    {PROMOTER_EMAIL} is a promoter (code {promoter.code}); "
        f"{FRIEND_EMAIL} is bound to them"
    ]
