"""Campaign messages: to the store's buyers by filters, capped per person, with an
unsubscribe link that works; daily birthday greetings."""

from __future__ import annotations

import datetime as dt

from mallkit.core import db as dbm
from mallkit.core.accounts.models import User
from mallkit.core.testing import (
    make_account,
    make_product,
    pay_order,
    place_order,
    run_tasks,
    skus_of,
)
from mallkit.plugins.notifications import campaigns
from mallkit.plugins.notifications.models import Campaign, Message, OptOut

BASE = "/api/v1/merchants/{}/notifications/campaigns"


def _buyers_with_orders(merchant, buyer, counts):
    (sku,) = skus_of(make_product(merchant, prices=(1000,), stocks=(100,)))
    people = [buyer] + [make_account(email=f"c{i}@example.com") for i in range(len(counts) - 1)]
    for person, n in zip(people, counts, strict=True):
        for _ in range(n):
            pay_order(place_order(person, [(sku, 1)]))
    run_tasks()
    return people


def test_a_campaign_reaches_its_filtered_buyers_once_with_an_unsubscribe_link(
    notify, client, app, merchant, owner, buyer, mailbox, enable_plugin
):
    app.config["PUBLIC_BASE_URL"] = "https://shop.example.com"
    people = _buyers_with_orders(merchant, buyer, [2, 1, 0])
    r = client.post(
        BASE.format(merchant.id),
        json={
            "name": "回购",
            "audience": {"min_orders": 2},
            "channels": ["email", "inbox"],
            "subject": "{{ buyer.name }}，老朋友专享",
            "body": "全场 9 折",
        },
        headers=owner.headers,
    )
    assert r.status_code == 201, r.json
    run_tasks()
    campaign = Campaign.get_by_id(r.json["id"])
    assert campaign.status == "sent" and campaign.sent_count == 1
    (mail,) = [m for m in mailbox.to(buyer.user.email) if "老朋友专享" in m["Subject"]]
    assert mail["Subject"] == f"{buyer.user.name}，老朋友专享"
    text = mail.get_content()
    link = next(w for w in text.split() if "unsubscribe" in w).split("：")[-1]
    assert link.startswith("https://shop.example.com/api/v1/notifications/unsubscribe?token=")
    assert mail["List-Unsubscribe"] == f"<{link}>"
    assert not [m for m in mailbox.to(people[1].user.email) if "老朋友" in m["Subject"]]
    # the link turns marketing off everywhere; a forged one is refused
    path = link.removeprefix("https://shop.example.com")
    assert client.get(path).status_code == 200
    assert OptOut.select().where(OptOut.user_id == buyer.user.id).count() == 3
    forged = path.split("token=")[0] + f"token={people[1].user.id}.{'0' * 32}"
    assert client.get(forged).status_code == 404
    with enable_plugin("notifications", merchant, {"sms_quiet_hours": "", "marketing_per_day": 5}):
        again = client.post(
            BASE.format(merchant.id),
            json={
                "name": "再来",
                "audience": {"min_orders": 1},
                "channels": ["email"],
                "body": "x",
            },
            headers=owner.headers,
        )
        assert again.status_code == 201
        run_tasks()
    skipped = Message.get(
        (Message.campaign_id == again.json["id"]) & (Message.user_id == buyer.user.id)
    )
    assert skipped.status == "skipped" and skipped.last_error == "opted out"


def test_frequency_caps_hold_across_campaigns(notify, client, merchant, owner, buyer):
    _buyers_with_orders(merchant, buyer, [1])
    for name in ("一", "二"):
        r = client.post(
            BASE.format(merchant.id),
            json={"name": name, "channels": ["inbox"], "body": name},
            headers=owner.headers,
        )
        assert r.status_code == 201
        run_tasks()
    first, second = Campaign.select().order_by(Campaign.id)
    assert (first.sent_count, first.capped_count) == (1, 0)
    assert (second.sent_count, second.capped_count) == (0, 1)  # one a day by default


def test_a_scheduled_campaign_waits_and_can_be_stopped(notify, client, merchant, owner, buyer):
    _buyers_with_orders(merchant, buyer, [1])
    later = (dbm.utcnow() + dt.timedelta(days=1)).isoformat() + "Z"
    r = client.post(
        BASE.format(merchant.id),
        json={"name": "明天", "channels": ["inbox"], "body": "x", "run_at": later},
        headers=owner.headers,
    )
    run_tasks()
    assert Campaign.get_by_id(r.json["id"]).status == "scheduled"
    stopped = client.post(BASE.format(merchant.id) + f"/{r.json['id']}/stop", headers=owner.headers)
    assert stopped.json["status"] == "stopped"
    run_tasks(at=dbm.utcnow() + dt.timedelta(days=2))
    assert not Message.select().where(Message.campaign_id == r.json["id"]).exists()


def test_bad_audiences_are_refused(notify, client, merchant, owner):
    for audience in ({"segment_id": 99}, {"shoe_size": 42}, {"min_orders": -1}):
        r = client.post(
            BASE.format(merchant.id),
            json={"name": "x", "audience": audience, "body": "x"},
            headers=owner.headers,
        )
        assert r.status_code == 422, audience
    assert Campaign.select().count() == 0


def test_birthday_greetings_go_out_on_the_day(notify, app, merchant, owner, buyer):
    _buyers_with_orders(merchant, buyer, [1])
    today = dt.date(2026, 11, 27)
    User.update(birthday=dt.date(1990, 11, 27)).where(User.id == buyer.user.id).execute()
    with app.test_request_context():
        campaigns.create(
            merchant.id,
            {
                "name": "生日",
                "kind": "birthday",
                "audience": {},
                "channels": ["inbox"],
                "subject": "生日快乐",
                "body": "{{ buyer.name }} 生日快乐",
                "coupon_template_id": None,
                "run_at": None,
            },
            owner.user.id,
        )

    class Task:
        merchant_id = merchant.id
        payload = {"local_date": today.isoformat()}

    with dbm.transaction():
        campaigns.daily(Task)
        Task.payload = {"local_date": "2026-11-28"}
        campaigns.daily(Task)
    run_tasks()
    (greeting,) = Message.select().where(Message.event == "campaign")
    assert greeting.user_id == buyer.user.id and "生日快乐" in greeting.body


def test_a_win_back_campaign_gives_each_recipient_a_coupon(
    notify, client, merchant, owner, buyer, enable_plugin
):
    from mallkit.plugins.coupons.models import UserCoupon
    from tests.plugins.coupons.conftest import template

    _buyers_with_orders(merchant, buyer, [1])
    with enable_plugin("coupons", merchant):
        coupon = template(merchant, name="回来看看", per_user=1)
        r = client.post(
            BASE.format(merchant.id),
            json={
                "name": "回来看看",
                "audience": {},
                "channels": ["inbox"],
                "body": "送你一张 {{ coupon.name }} 券",
                "coupon_template_id": coupon.id,
            },
            headers=owner.headers,
        )
        assert r.status_code == 201, r.json
        run_tasks()
    (granted,) = UserCoupon.select().where(UserCoupon.user_id == buyer.user.id)
    assert granted.template_id == coupon.id
    (told,) = Message.select().where(Message.event == "campaign")
    assert told.body == "送你一张 回来看看 券"


def test_a_campaign_to_a_membership_level_reaches_exactly_that_levels_members(
    notify, client, app, merchant, other_merchant, owner, buyer, enable_plugin
):
    from mallkit.plugins.membership.models import Member
    from tests.plugins.membership.conftest import CONFIG as MEMBERSHIP

    with (
        enable_plugin("membership", merchant, MEMBERSHIP),
        enable_plugin("membership", other_merchant, MEMBERSHIP),
    ):
        (sku,) = skus_of(make_product(merchant, prices=(10000,), stocks=(100,)))
        (half,) = skus_of(make_product(merchant, prices=(5000,), stocks=(100,)))
        (elsewhere,) = skus_of(make_product(other_merchant, prices=(10000,), stocks=(9,)))
        silver, silver2, gold, low, stranger = [buyer] + [
            make_account(email=f"m{i}@example.com") for i in range(4)
        ]
        # ¥1 paid = 1 growth: 银卡 (level 1) from 100, 金卡 (level 2) from 500.
        for person, item, times in (
            (silver, sku, 1),
            (silver2, sku, 2),
            (gold, sku, 6),  # 100 + 5 × 95 (银卡 pays 5 % less)
            (low, half, 1),  # ¥50: still level 0
            (stranger, elsewhere, 1),  # 银卡 at the other store only
        ):
            for _ in range(times):
                pay_order(place_order(person, [(item, 1)]))
        run_tasks()
        levels = {(m.merchant_id, m.user_id): m.level for m in Member.select()}
        assert levels[(merchant.id, silver.user.id)] == levels[(merchant.id, silver2.user.id)] == 1
        assert levels[(merchant.id, gold.user.id)] == 2
        assert levels[(other_merchant.id, stranger.user.id)] == 1
        r = client.post(
            f"/api/v1/merchants/{merchant.id}/membership/segments",
            json={"name": "银卡会员", "rules": {"levels": [1]}},
            headers=owner.headers,
        )
        assert r.status_code == 201 and r.json["members"] == 2, r.json
        r = client.post(
            BASE.format(merchant.id),
            json={
                "name": "银卡专享",
                "audience": {"segment_id": r.json["id"]},
                "channels": ["inbox"],
                "body": "银卡会员专享价",
            },
            headers=owner.headers,
        )
        assert r.status_code == 201, r.json
        run_tasks()
    reached = Message.select().where(Message.campaign_id == r.json["id"])
    assert sorted(m.user_id for m in reached) == sorted([silver.user.id, silver2.user.id])
    assert Campaign.get_by_id(r.json["id"]).sent_count == 2


def test_an_unsubscribe_link_outside_ascii_is_not_valid(notify, client, buyer):
    for token in (f"{buyer.user.id}.{'é' * 32}", "١.abc"):
        r = client.get("/api/v1/notifications/unsubscribe", query_string={"token": token})
        assert r.status_code == 404 and r.json["code"] == "invalid_link", token
    assert OptOut.select().count() == 0


def test_the_frequency_cap_holds_when_two_campaigns_fan_out_at_once(notify, app, merchant, buyer):
    from mallkit.core.tasks.queue import ScheduledTask
    from mallkit.core.testing import concurrently
    from mallkit.plugins.notifications import service
    from mallkit.plugins.notifications.models import MARKETING, SKIPPED

    for n in range(4):  # four campaigns' messages to one buyer, fanned out by four workers
        with dbm.transaction():
            service.publish(
                "campaign",
                merchant.id,
                f"campaign:{n}:once:{buyer.user.id}",
                user_ids=[buyer.user.id],
                context={"subject": f"第{n}", "body": "x", "unsubscribe_url": ""},
                category=MARKETING,
                channels=["inbox"],
            )
    tasks = list(
        ScheduledTask.select()
        .where(ScheduledTask.kind == service.EVENT_TASK)
        .order_by(ScheduledTask.id)
    )

    def fan_out(i):
        with dbm.transaction():
            service.fan_out(tasks[i])

    results = concurrently(app, fan_out, len(tasks))
    assert not [r for r in results if isinstance(r, Exception)], results
    sent = Message.select().where(
        (Message.user_id == buyer.user.id)
        & (Message.category == MARKETING)
        & (Message.status != SKIPPED)
    )
    assert sent.count() == 1  # marketing_per_day is 1
