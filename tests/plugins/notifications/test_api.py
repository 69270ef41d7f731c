"""Templates (sandboxed, previewed, per store), the inbox, preferences, verification codes
sent for real, and who may call what."""

from __future__ import annotations

from mallkit.core.accounts.models import User
from mallkit.core.testing import (
    make_account,
    make_product,
    pay_order,
    place_order,
    run_tasks,
    skus_of,
)
from mallkit.plugins.notifications.models import Message

BASE = "/api/v1/merchants/{}/notifications"


def test_a_stores_own_wording_is_used_and_can_be_reset(
    notify, client, merchant, owner, buyer, mailbox
):
    url = BASE.format(merchant.id) + "/templates/order_paid/email/zh-CN"
    r = client.put(
        url,
        json={
            "subject": "付好啦 {{ order.number }}",
            "body": "{{ buyer.name }}，收到 ¥{{ order.paid_amount|yuan }}",
        },
        headers=owner.headers,
    )
    assert r.status_code == 200 and r.json["custom"] is True
    listed = client.get(BASE.format(merchant.id) + "/templates", headers=owner.headers).json
    mine = next(
        t
        for t in listed
        if (t["event"], t["channel"], t["locale"]) == ("order_paid", "email", "zh-CN")
    )
    assert mine["custom"] and mine["subject"].startswith("付好啦")
    (sku,) = skus_of(make_product(merchant, prices=(1234,)))
    order = pay_order(place_order(buyer, [(sku, 1)]))
    run_tasks()
    (mail,) = [m for m in mailbox.to(buyer.user.email) if m["Subject"].startswith("付好啦")]
    assert mail["Subject"] == f"付好啦 {order.number}"
    assert mail.get_content().strip() == f"{buyer.user.name}，收到 ¥12.34"
    assert client.delete(url, headers=owner.headers).status_code == 204
    listed = client.get(BASE.format(merchant.id) + "/templates", headers=owner.headers).json
    assert not any(t["custom"] for t in listed)


def test_a_template_is_checked_in_the_sandbox_before_it_is_saved(notify, client, merchant, owner):
    url = BASE.format(merchant.id) + "/templates/order_paid/email/zh-CN"
    for body in (
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",  # reaching for Python internals
        "{{ order.number ",  # does not compile
        "{{ nonsense.field }}",  # a name the event does not give
        "{{ order.total / 0 }}",  # arithmetic that fails
        "{{ 2.0 ** 5000 }}",  # arithmetic that overflows
        "{{ 9 ** 9 ** 9 }}",  # arithmetic that would keep a worker busy for hours
        "{{ 'x' * 100000000 }}",  # text too long to send
        "{% for i in range(1000000) %}{% for j in range(1000000) %}{% endfor %}{% endfor %}",
        # Loops within range() and text limits whose passes multiply: 10⁶, and 4,000³.
        "{% for a in range(100) %}{% for b in range(100) %}{% for c in range(100) %}"
        "{% endfor %}{% endfor %}{% endfor %}",
        "{% set s = 'x' * 4000 %}{% for a in s %}{% for b in s %}{% for c in s %}"
        "{% endfor %}{% endfor %}{% endfor %}",
        "{% for x in range(9) recursive %}{{ loop(range(9)) }}{% endfor %}",
    ):
        r = client.put(url, json={"subject": "x", "body": body}, headers=owner.headers)
        assert r.status_code == 422 and r.json["code"] == "template_error", (body, r.json)
    preview = client.post(
        BASE.format(merchant.id) + "/templates/preview",
        json={
            "event": "order_refunded",
            "subject": "退 {{ amount|yuan }}",
            "body": "{{ order.number }}",
        },
        headers=owner.headers,
    )
    assert preview.status_code == 200
    assert preview.json["subject"] == "退 50.00" and preview.json["body"] == "2026112700000001"
    unknown = client.put(
        BASE.format(merchant.id) + "/templates/no_such_event/email/zh-CN",
        json={"body": "x"},
        headers=owner.headers,
    )
    assert unknown.status_code == 404


def test_a_disabled_template_stops_that_event_on_that_channel(
    notify, client, merchant, owner, buyer, texts
):
    url = BASE.format(merchant.id) + "/templates/order_shipped/sms/zh-CN"
    client.put(url, json={"body": "x", "enabled": False}, headers=owner.headers)
    from tests.plugins.notifications.test_delivery import ship

    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    ship(pay_order(place_order(buyer, [(sku, 1)])))
    run_tasks()
    assert not texts.received()
    assert not Message.select().where(Message.channel == "sms").exists()


def test_only_the_stores_owner_and_managers_reach_its_templates_and_log(
    notify, client, merchant, other_merchant, buyer
):
    stranger = make_account(email="other-owner@example.com")
    from mallkit.core.accounts.merchants.models import StaffMember

    StaffMember.create(merchant=other_merchant, user=stranger.user, role="owner")
    for who in (buyer, stranger):
        for path in ("/templates", "/messages", "/campaigns"):
            r = client.get(BASE.format(merchant.id) + path, headers=who.headers)
            assert r.status_code == 404, (who, path)
    assert client.get(BASE.format(merchant.id) + "/templates").status_code in (401, 404)


def test_the_inbox_lists_counts_and_marks_read_only_its_owners_messages(
    notify, client, merchant, buyer, other_buyer
):
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    pay_order(place_order(buyer, [(sku, 1)]))
    run_tasks()
    inbox = client.get("/api/v1/me/notifications", headers=buyer.headers).json
    assert len(inbox) == 2 and all(i["read_at"] is None for i in inbox)
    first = inbox[0]["id"]
    assert (
        client.post(
            f"/api/v1/me/notifications/{first}/read", headers=other_buyer.headers
        ).status_code
        == 404
    )
    assert client.get("/api/v1/me/notifications", headers=other_buyer.headers).json == []
    assert (
        client.post(f"/api/v1/me/notifications/{first}/read", headers=buyer.headers).status_code
        == 204
    )
    unread = client.get("/api/v1/me/notifications/unread-count", headers=buyer.headers).json
    assert unread == {"unread": 1}
    r = client.post("/api/v1/me/notifications/read-all", headers=buyer.headers)
    assert r.json == {"marked": 1}
    assert client.get("/api/v1/me/notifications/unread-count", headers=buyer.headers).json == {
        "unread": 0
    }
    assert client.get("/api/v1/me/notifications").status_code == 401


def test_verification_codes_arrive_by_email_and_sms_and_are_logged_masked(
    notify, client, mailbox, texts
):
    r = client.post("/api/v1/auth/codes", json={"login": "fresh@example.com", "purpose": "sign_in"})
    assert r.status_code == 202
    (mail,) = mailbox.to("fresh@example.com")
    code = mail["Subject"].split("：")[1]
    assert len(code) == 6 and code in mail.get_content()
    signed_in = client.post(
        "/api/v1/auth/codes/sign-in", json={"login": "fresh@example.com", "code": code}
    )
    assert signed_in.status_code == 200
    r = client.post("/api/v1/auth/codes", json={"login": "13800000009", "purpose": "sign_in"})
    assert r.status_code == 202
    (sms,) = texts.received("13800000009")
    sms_code = sms["text"].split("验证码")[1][:6]
    logged = list(Message.select().where(Message.event == "verification_code"))
    assert {m.channel for m in logged} == {"email", "sms"}
    assert all(m.status == "sent" for m in logged)
    assert all(code not in m.body + m.subject and sms_code not in m.body for m in logged)
    assert all("******" in m.body for m in logged)
    assert User.select().where(User.email == "fresh@example.com").count() == 1


def test_the_starter_is_told_once_when_their_bargain_reaches_the_floor(
    notify, merchant, buyer, enable_plugin
):
    import datetime as dt

    from mallkit.core.db import utcnow
    from mallkit.plugins.bargain import service as bargains

    (sku,) = skus_of(make_product(merchant, prices=(10000,)))
    with enable_plugin("bargain", merchant):
        activity = bargains.create_activity(
            merchant.id,
            {
                "title": "砍一刀",
                "sku_id": sku.id,
                "start_price": 10000,
                "floor_price": 100,
                "helpers_needed": 2,
                "helps_per_user": 1,
                "helps_per_day": 0,
                "bargains_per_user": 1,
                "validity_minutes": 60,
                "initiator_may_cut": False,
                "floor_only": True,
                "allow_discounts": False,
                "starts_at": utcnow() - dt.timedelta(hours=1),
                "ends_at": utcnow() + dt.timedelta(days=1),
            },
        )
        bargain = bargains.start(activity, buyer.user.id)
        helpers = [make_account(email=f"h{i}@example.com") for i in range(2)]
        bargains.help_cut(bargain.id, helpers[0].user.id)
        run_tasks()
        assert not Message.select().where(Message.event == "bargain_finished").exists()
        bargains.help_cut(bargain.id, helpers[1].user.id)
        run_tasks()
    (told,) = Message.select().where(Message.event == "bargain_finished")
    assert told.user_id == buyer.user.id and told.channel == "inbox" and "1.00" in told.body


def test_offline_chat_messages_are_told_once_per_conversation_in_ten_minutes(
    notify, merchant, buyer, mailbox, texts
):
    from mallkit.core.db import transaction
    from mallkit.core.plugins import get_host

    hook = get_host().for_merchant(merchant.id).hook
    for n in (1, 2, 3):
        with transaction():
            hook.on_chat_message_offline(
                merchant=merchant,
                message={"id": n, "conversation_id": 7, "text": "有货吗？&lt;急&gt;"},
                recipient_id=buyer.user.id,
                unread=n,
            )
    run_tasks()
    (mail,) = mailbox.to(buyer.user.email)
    assert "1 条未读" in mail["Subject"] and mail.get_content().strip() == "有货吗？<急>"
    assert len(texts.received("13900000001")) == 1


def test_after_sale_changes_are_told_to_the_buyer_per_status(notify, merchant, buyer):
    import types

    from mallkit.core.db import transaction
    from mallkit.core.plugins import get_host

    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    order = pay_order(place_order(buyer, [(sku, 1)]))
    hook = get_host().for_merchant(merchant.id).hook
    case = types.SimpleNamespace(
        id=3,
        number="AS1",
        merchant_id=merchant.id,
        buyer_id=buyer.user.id,
        type="refund",
        status="approved",
    )
    with transaction():
        hook.on_aftersale_approved(case=case, order=order)
        hook.on_aftersale_approved(case=case, order=order)  # the same change twice
    case.status = "closed"
    with transaction():
        hook.on_aftersale_closed(case=case, order=order)
    run_tasks()
    told = Message.select().where(
        (Message.event == "aftersale_updated") & (Message.channel == "inbox")
    )
    # the state by name, as the buyer reads it (not the code)
    assert sorted(m.body.split("：")[-1] for m in told) == ["已关闭。", "已同意。"]


def test_group_endings_and_settled_commission_reach_the_people_concerned(
    notify, merchant, buyer, other_buyer, texts
):
    import types

    from mallkit.core.db import transaction
    from mallkit.core.plugins import get_host

    User.update(phone="13900000002").where(User.id == other_buyer.user.id).execute()
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    mine = pay_order(place_order(buyer, [(sku, 1)]))
    theirs = pay_order(place_order(other_buyer, [(sku, 1)]))
    hook = get_host().for_merchant(merchant.id).hook
    group = types.SimpleNamespace(id=1, merchant_id=merchant.id)
    members = [
        types.SimpleNamespace(order_id=mine.id, user_id=buyer.user.id),
        types.SimpleNamespace(order_id=theirs.id, user_id=other_buyer.user.id),
    ]
    commission = types.SimpleNamespace(id=9, merchant_id=merchant.id, settled=1250)
    with transaction():
        hook.on_group_failed(group=group, members=members)
        hook.on_commission_settled(
            commission=commission, promoter=types.SimpleNamespace(user_id=other_buyer.user.id)
        )
    run_tasks()
    texted = {t["to"]: t["text"] for t in texts.received()}
    assert mine.number in texted["13900000001"] and theirs.number in texted["13900000002"]
    assert all("拼团未成团" in text for text in texted.values())
    (settled,) = Message.select().where(Message.event == "commission_settled")
    assert settled.user_id == other_buyer.user.id and "¥12.50" in settled.body
