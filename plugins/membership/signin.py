"""Daily sign-in: once per store day (the store's time zone) per buyer, rewarded by a day-N
table; a missed day restarts the cycle, and after the table's last day it starts again.

"Once a day" is a unique key on (store, buyer, local date): of concurrent sign-ins exactly one
inserts its row, the others are refused with ``already_signed_in`` and write nothing.
"""

from __future__ import annotations

import datetime as dt

import peewee as pw

from mallkit.core.plugin_api import Conflict, transaction, utcnow
from mallkit.plugins.membership import members, points
from mallkit.plugins.membership.models import Member, SignIn


def sign_in(merchant_id: int, user_id: int, at: dt.datetime | None = None) -> SignIn:
    today = members.local_date(merchant_id, at or utcnow())
    rewards = members.config(merchant_id)["sign_in_rewards"]
    try:
        with transaction():
            member = members.lock(merchant_id, user_id)
            yesterday = (today - dt.timedelta(days=1)).isoformat()
            streak = member.sign_streak + 1 if member.last_sign_date == yesterday else 1
            if member.last_sign_date == today.isoformat():
                raise pw.IntegrityError("already signed in")
            reward = rewards[(streak - 1) % len(rewards)]
            row = SignIn.create(
                merchant_id=merchant_id,
                user_id=user_id,
                local_date=today.isoformat(),
                streak=streak,
                points=reward,
            )
            Member.update(sign_streak=streak, last_sign_date=today.isoformat()).where(
                Member.id == member.id
            ).execute()
            points.add(
                merchant_id,
                user_id,
                reward,
                "signin",
                key=f"signin:{merchant_id}:{user_id}:{today.isoformat()}",
                reason=f"sign-in day {streak}",
            )
    except pw.IntegrityError:
        raise Conflict(
            "already signed in today", code="already_signed_in", errors={"date": [str(today)]}
        ) from None
    return row
