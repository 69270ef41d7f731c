"""groupbuy's and bargain's move to core share links: their 0002 migrations copy the old share
codes into the core's share links, so codes handed out before keep working (running one twice
copies nothing twice), and a config saved with the retired ``share_base_url`` still loads."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest

from mallkit.core import db as dbm
from mallkit.core.db import utcnow
from mallkit.core.errors import NotFound
from mallkit.core.shares.models import ShareLink
from mallkit.plugins.bargain import service as bargain_service
from mallkit.plugins.bargain.models import Bargain, BargainActivity
from mallkit.plugins.groupbuy import service as groupbuy_service
from mallkit.plugins.groupbuy.models import Group, GroupActivity
from tests.core.orders.conftest import make_product, skus_of

NOW = utcnow()
LATER = NOW + dt.timedelta(days=1)


def _old_share(table: str, target_column: str, code: str, merchant_id, target_id, inviter_id):
    dbm.database.execute_sql(
        f"INSERT INTO {table} (code, merchant_id, {target_column}, inviter_id, created_at) "
        "VALUES (%s, %s, %s, %s, %s)".replace("%s", dbm.database.param),
        (code, merchant_id, target_id, inviter_id, NOW),
    )


def _migrate(plugin: str, direction: str = "up"):
    module = importlib.import_module(f"mallkit.plugins.{plugin}.migrations.0002_core_shares")
    getattr(module, direction)(None, dbm.database)


def test_groupbuy_share_codes_are_copied_to_core_share_links(app, merchant, buyer):
    sku = skus_of(make_product(merchant))[0]
    activity = GroupActivity.create(
        merchant_id=merchant.id,
        title="t",
        product_id=sku.product_id,
        prices={str(sku.id): 1},
        group_size=2,
        starts_at=NOW,
        ends_at=LATER,
    )
    group = Group.create(
        merchant_id=merchant.id, activity=activity.id, leader_id=buyer.user.id, size=2
    )
    _old_share("groupbuy_share", "group_id", "old-group-code", merchant.id, group.id, buyer.user.id)
    _old_share("groupbuy_share", "group_id", "orphan-code", merchant.id, group.id, 999999)
    _migrate("groupbuy")
    _migrate("groupbuy")  # nothing twice
    (link,) = ShareLink.select()
    assert (link.code, link.kind, link.target_id, link.sharer_id, link.channel) == (
        "old-group-code",
        "group",
        group.id,
        buyer.user.id,
        "link",
    )
    assert groupbuy_service.get_share(merchant.id, "old-group-code").id == link.id
    # the member's share link for the group is the copied one
    assert (
        groupbuy_service.create_share(buyer.user.id, merchant.id, "group", group.id).id == link.id
    )
    _migrate("groupbuy", "down")
    assert ShareLink.select().count() == 0


def test_bargain_share_codes_are_copied_to_core_share_links(app, merchant, buyer):
    sku = skus_of(make_product(merchant))[0]
    activity = BargainActivity.create(
        merchant_id=merchant.id,
        title="t",
        product_id=sku.product_id,
        sku_id=sku.id,
        start_price=1000,
        floor_price=100,
        helpers_needed=3,
        starts_at=NOW,
        ends_at=LATER,
    )
    bargain = Bargain.create(
        merchant_id=merchant.id,
        activity=activity.id,
        user_id=buyer.user.id,
        slot=0,
        sku_id=sku.id,
        start_price=1000,
        floor_price=100,
        current_price=1000,
        helpers_needed=3,
        seed="s",
        expires_at=LATER,
    )
    _old_share("bargain_share", "bargain_id", "old-bargain", merchant.id, bargain.id, buyer.user.id)
    _migrate("bargain")
    _migrate("bargain")
    (link,) = ShareLink.select()
    assert (link.code, link.kind, link.target_id, link.sharer_id) == (
        "old-bargain",
        "bargain",
        bargain.id,
        buyer.user.id,
    )
    assert bargain_service.share_for(bargain, buyer.user.id).id == link.id
    # a bargain code is not a group code
    assert ShareLink.get(code="old-bargain").kind == "bargain"
    with pytest.raises(NotFound) as err:
        groupbuy_service.get_share(merchant.id, "old-bargain")
    assert err.value.code == "share_not_found"


@pytest.mark.parametrize("plugin", ["groupbuy", "bargain"])
def test_a_saved_share_base_url_is_dropped_not_refused(app, merchant, enable_plugin, plugin):
    from mallkit.core.plugins import merchant_plugins

    with enable_plugin(plugin, merchant, {"share_base_url": "https://old.example"}):
        assert merchant_plugins(merchant.id).config(plugin) == {}
