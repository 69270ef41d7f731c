"""The retention purge (core/retention.py): what outlived its time goes, in small batches; the
rest stays; the hourly job runs once per period however many workers sweep."""

from __future__ import annotations

import datetime as dt

from mallkit.core import retention
from mallkit.core.accounts import auth
from mallkit.core.accounts.models import AccessToken
from mallkit.core.idempotency import IdempotencyKey
from mallkit.core.orders.models import OrderSettings
from mallkit.core.payments.models import PaymentLog
from mallkit.core.tasks import recurring
from mallkit.core.tasks.queue import (
    CANCELLED,
    DONE,
    FAILED,
    PENDING,
    ScheduledTask,
    periodic_handlers,
    schedule,
)
from mallkit.core.tasks.runner import run_due
from mallkit.core.testing import make_account, make_merchant

NOW = dt.datetime(2026, 11, 26, 12, 0)
DAY = dt.timedelta(days=1)


def _task(status: str, age_days: float) -> int:
    task = schedule("retention.test", run_at=NOW - age_days * DAY)
    ScheduledTask.update(status=status).where(ScheduledTask.id == task.id).execute()
    return task.id


def _alive(model, ids) -> set[int]:
    return {row.id for row in model.select(model.id).where(model.id.in_(list(ids)))}


def test_finished_tasks_go_after_their_days_and_live_ones_stay(app):
    old_done, old_cancelled = _task(DONE, 8), _task(CANCELLED, 8)
    recent_done, old_pending = _task(DONE, 6), _task(PENDING, 400)
    old_failed, young_failed = _task(FAILED, 31), _task(FAILED, 29)
    counts = retention.purge(NOW)
    assert counts["tasks"] == 3
    kept = {recent_done, old_pending, young_failed}
    assert _alive(ScheduledTask, kept | {old_done, old_cancelled, old_failed}) == kept


def test_idempotency_records_tokens_and_settings_driven_payment_logs(app):
    user = make_account(email="keep@test.mallkit.dev").user
    for age in (8, 6):
        IdempotencyKey.create(
            user_id=user.id, scope="t", key=f"k{age}", request_hash="h", created_at=NOW - age * DAY
        )
    live, _ = auth.issue_token(user)
    dead = [
        AccessToken.create(user=user, token_hash="a" * 64, expires_at=NOW - DAY),
        AccessToken.create(
            user=user, token_hash="b" * 64, expires_at=NOW + DAY, revoked_at=NOW - DAY
        ),
    ]
    keeps_default = make_merchant("Default keeper")
    keeps_longer = make_merchant("Long keeper")
    OrderSettings.create(merchant=keeps_longer, record_keeping_days=2000)

    def log(merchant_id, age_days):
        return PaymentLog.create(
            merchant_id=merchant_id,
            channel="c",
            action="notify",
            verdict="ok",
            at=NOW - age_days * DAY,
        ).id

    gone = {log(keeps_default.id, 1200), log(keeps_longer.id, 2100), log(None, 1100)}
    kept = {log(keeps_default.id, 1000), log(keeps_longer.id, 1200), log(None, 1000)}

    counts = retention.purge(NOW)

    assert [k.key for k in IdempotencyKey.select()] == ["k6"]
    assert counts["idempotency_keys"] == 1
    assert counts["tokens"] == 2 and not _alive(AccessToken, [t.id for t in dead])
    assert AccessToken.select().where(AccessToken.token_hash == auth._digest(live)).exists()
    assert counts["payment_logs"] == 3
    assert _alive(PaymentLog, gone | kept) == kept


def test_batches_commit_until_everything_old_is_gone(make_app):
    app = make_app(RETENTION_BATCH_SIZE=3)
    with app.app_context():
        old = [_task(DONE, 10) for _ in range(10)]
        assert retention.purge(NOW)["tasks"] == 10
        assert not _alive(ScheduledTask, old)


def test_the_hourly_purge_runs_once_per_period_and_schedules_the_next(app):
    # one chain per periodic job: the core's purge and the installed plugins' (webhooks, ...)
    jobs = {handler.kind for handler in periodic_handlers()}
    assert retention.PURGE in jobs
    assert recurring.ensure_periodic(now=NOW) == len(jobs)
    assert recurring.ensure_periodic(now=NOW) == 0  # a second worker's sweep adds nothing
    [task] = ScheduledTask.select().where(ScheduledTask.kind == retention.PURGE)
    assert (task.run_at, task.merchant_id) == (NOW, None)  # the current hour: due at once
    old = _task(DONE, 30)
    assert run_due(worker_id="w1", now=NOW + dt.timedelta(minutes=5)) == len(jobs)
    assert not _alive(ScheduledTask, [old])
    runs = list(
        ScheduledTask.select()
        .where(ScheduledTask.kind == retention.PURGE)
        .order_by(ScheduledTask.run_at)
    )
    assert [(t.status, t.run_at) for t in runs] == [
        (DONE, NOW),
        (PENDING, NOW + dt.timedelta(hours=1)),
    ]
    assert run_due(worker_id="w2", now=NOW + dt.timedelta(minutes=30)) == 0


def test_the_record_keeping_period_has_the_laws_floor(client, owner, merchant):
    url = f"/api/v1/merchants/{merchant.id}/order-settings"
    answer = client.patch(url, json={"record_keeping_days": 365}, headers=owner.headers)
    assert answer.status_code == 422
    assert "record_keeping_days" in answer.get_json()["errors"]
    assert client.get(url, headers=owner.headers).get_json()["record_keeping_days"] == 1095
    answer = client.patch(url, json={"record_keeping_days": 1825}, headers=owner.headers)
    assert answer.status_code == 200 and answer.get_json()["record_keeping_days"] == 1825


def test_plugins_delete_in_batches_of_the_platforms_size_through_the_plugin_api(
    make_app, monkeypatch
):
    from mallkit.core import plugin_api

    assert plugin_api.delete_in_batches is retention.delete_in_batches  # one implementation
    app = make_app(RETENTION_BATCH_SIZE=2)
    with app.app_context():
        old = [_task(DONE, 10) for _ in range(5)]
        young = _task(DONE, 1)
        deletes = []
        real = ScheduledTask.delete

        def counting_delete():
            deletes.append(1)
            return real()

        monkeypatch.setattr(ScheduledTask, "delete", counting_delete)
        gone = plugin_api.delete_in_batches(ScheduledTask, ScheduledTask.run_at < NOW - 5 * DAY)
        assert gone == 5 and not _alive(ScheduledTask, old)
        assert len(deletes) == 3  # 2 + 2 + 1: the platform's batch size
        assert _alive(ScheduledTask, [young]) == {young}
        assert plugin_api.delete_in_batches(ScheduledTask, ScheduledTask.id == young, 50) == 1


def test_a_row_that_stops_matching_before_its_batch_is_deleted_stays(app, monkeypatch):
    """An operator retries a failed task between the purge's read and its delete (on
    PostgreSQL the read locks nothing): the task is pending again and must not go."""
    old = [_task(FAILED, 40) for _ in range(3)]
    real = ScheduledTask.delete

    def retried_meanwhile():
        ScheduledTask.update(status=PENDING).where(ScheduledTask.id == old[1]).execute()
        return real()

    monkeypatch.setattr(ScheduledTask, "delete", retried_meanwhile)
    assert retention.purge(NOW)["tasks"] == 2
    assert _alive(ScheduledTask, old) == {old[1]}
    assert ScheduledTask.get_by_id(old[1]).status == PENDING
