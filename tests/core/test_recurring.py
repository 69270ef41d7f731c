"""Recurring jobs (``JobHandler(..., daily_at=...)``): one run per merchant and local day at
the store's local time, the next occurrence scheduled as each run starts, enable/disable
wiring, platform-level jobs, DST."""

from __future__ import annotations

import datetime as dt
import types
from zoneinfo import ZoneInfo

import pytest

from mallkit.core import plugin_settings
from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.db import utcnow
from mallkit.core.errors import PluginLoadError
from mallkit.core.plugins import PluginMeta
from mallkit.core.tasks import recurring
from mallkit.core.tasks.queue import CANCELLED, DONE, PENDING, JobHandler, ScheduledTask
from mallkit.core.tasks.runner import claim_due, run_claimed, run_due
from mallkit.core.tasks.worker import Worker
from mallkit.core.testing import make_merchant
from mallkit.hookspecs import hookimpl
from tests.sample_plugins import daily

SECOND = dt.timedelta(seconds=1)
HOUR = dt.timedelta(hours=1)
NIGHTLY_RUNS: list[tuple[int, str]] = []


def _nightly_plugin() -> types.ModuleType:
    """A platform-level plugin whose recurring job runs for every active merchant."""
    module = types.ModuleType("nightly")
    module.meta = PluginMeta(name="nightly", version="1.0.0", title="Nightly", level="platform")

    def run(task):
        NIGHTLY_RUNS.append((task.merchant_id, task.payload["local_date"]))

    @hookimpl
    def register_job_handlers():
        return [JobHandler("nightly.sweep", run, daily_at=dt.time(1, 30))]

    module.register_job_handlers = register_job_handlers
    return module


@pytest.fixture
def clock(monkeypatch):
    """``clock(when)``: the time (naive UTC) enabling and disabling see."""

    def set_clock(when: dt.datetime) -> None:
        monkeypatch.setattr(recurring, "utcnow", lambda: when)

    return set_clock


@pytest.fixture
def daily_app(make_app):
    daily.RUNS.clear()
    app = make_app(plugins=[daily])
    with app.app_context():
        yield app
    daily.RUNS.clear()


def _pending(kind: str = daily.REPORT, merchant_id: int | None = None) -> list[ScheduledTask]:
    query = ScheduledTask.select().where(
        (ScheduledTask.kind == kind) & (ScheduledTask.status == PENDING)
    )
    if merchant_id is not None:
        query = query.where(ScheduledTask.merchant_id == merchant_id)
    return list(query.order_by(ScheduledTask.run_at))


def test_a_daily_job_runs_at_the_stores_local_time_and_schedules_the_next(daily_app, clock):
    store = make_merchant("Shanghai store", timezone="Asia/Shanghai")  # UTC+8
    clock(dt.datetime(2026, 11, 26, 10, 0))  # 18:00 in Shanghai: today's 03:00 has passed
    plugin_settings.enable(store, "daily")
    [task] = _pending()
    assert task.run_at == dt.datetime(2026, 11, 26, 19, 0)  # 03:00 on the 27th in Shanghai
    assert task.payload == {"local_date": "2026-11-27"} and task.merchant_id == store.id
    assert task.dedupe_key == f"daily.report:{store.id}:2026-11-27"

    assert run_due(worker_id="w", now=task.run_at - SECOND) == 0
    assert daily.RUNS == []
    assert run_due(worker_id="w", now=task.run_at) == 1
    assert daily.RUNS == [(store.id, "2026-11-27")]
    assert ScheduledTask.get_by_id(task.id).status == DONE
    [following] = _pending()
    assert following.run_at == dt.datetime(2026, 11, 27, 19, 0)
    assert following.payload == {"local_date": "2026-11-28"}

    # Idempotent: enabling again, or a worker's sweep, adds nothing.
    clock(task.run_at + SECOND)
    plugin_settings.enable(store, "daily")
    assert recurring.ensure_scheduled(now=task.run_at + SECOND) == 0
    assert [t.id for t in _pending()] == [following.id]

    assert run_due(worker_id="w", now=following.run_at) == 1
    assert daily.RUNS == [(store.id, "2026-11-27"), (store.id, "2026-11-28")]
    assert [t.payload["local_date"] for t in _pending()] == ["2026-11-29"]


def test_each_store_runs_at_its_own_local_time(daily_app, clock):
    shanghai = make_merchant("Shanghai", timezone="Asia/Shanghai")
    london = make_merchant("London", timezone="Europe/London")
    clock(dt.datetime(2026, 11, 26, 12, 0))
    plugin_settings.enable(shanghai, "daily")
    plugin_settings.enable(london, "daily")
    runs = {t.merchant_id: (t.run_at, t.payload["local_date"]) for t in _pending()}
    assert runs == {
        shanghai.id: (dt.datetime(2026, 11, 26, 19, 0), "2026-11-27"),
        london.id: (dt.datetime(2026, 11, 27, 3, 0), "2026-11-27"),  # GMT in winter
    }
    assert run_due(worker_id="w", now=dt.datetime(2026, 11, 26, 19, 0)) == 1
    assert daily.RUNS == [(shanghai.id, "2026-11-27")]
    assert run_due(worker_id="w", now=dt.datetime(2026, 11, 27, 3, 0)) == 1
    assert daily.RUNS[-1] == (london.id, "2026-11-27")


def test_missed_days_are_coalesced_into_one_run(daily_app, clock):
    store = make_merchant("Store", timezone="Asia/Shanghai")
    clock(dt.datetime(2026, 11, 26, 10, 0))
    plugin_settings.enable(store, "daily")
    [task] = _pending()
    # The workers were down for three days: one run, then back on the daily rhythm.
    late = task.run_at + dt.timedelta(days=3, hours=5)
    assert run_due(worker_id="w", now=late) == 1
    assert run_due(worker_id="w", now=late) == 0
    assert daily.RUNS == [(store.id, "2026-11-27")]
    [following] = _pending()
    assert (following.run_at, following.payload["local_date"]) == (
        dt.datetime(2026, 11, 30, 19, 0),
        "2026-12-01",
    )


def test_disabling_cancels_and_enabling_again_the_same_day_schedules_it_again(daily_app, clock):
    store = make_merchant("Store", timezone="Asia/Shanghai")
    clock(dt.datetime(2026, 11, 26, 17, 0))  # 01:00 on the 27th in Shanghai
    plugin_settings.enable(store, "daily")
    [first] = _pending()
    assert first.run_at == dt.datetime(2026, 11, 26, 19, 0)  # today, 03:00

    clock(dt.datetime(2026, 11, 26, 17, 30))
    plugin_settings.disable(store, "daily")
    assert ScheduledTask.get_by_id(first.id).status == CANCELLED
    assert _pending() == []

    clock(dt.datetime(2026, 11, 26, 18, 0))  # 02:00 the same day: 03:00 is still ahead
    plugin_settings.enable(store, "daily")
    [again] = _pending()
    assert again.id != first.id
    assert (again.run_at, again.dedupe_key) == (first.run_at, first.dedupe_key)

    assert run_due(worker_id="w", now=again.run_at) == 1
    assert daily.RUNS == [(store.id, "2026-11-27")]  # once, not twice

    # Disabled and enabled again after today's run: the next run is tomorrow's.
    clock(dt.datetime(2026, 11, 26, 20, 0))
    plugin_settings.disable(store, "daily")
    plugin_settings.enable(store, "daily")
    assert [t.payload["local_date"] for t in _pending()] == ["2026-11-28"]
    assert ScheduledTask.select().where(ScheduledTask.status == CANCELLED).count() == 2


def test_a_run_claimed_before_the_plugin_was_disabled_does_not_run_and_ends_the_chain(
    daily_app, clock
):
    store = make_merchant("Store", timezone="Asia/Shanghai")
    clock(dt.datetime(2026, 11, 26, 10, 0))
    plugin_settings.enable(store, "daily")
    [task] = _pending()
    claimed = claim_due(worker_id="w", now=task.run_at)
    assert [t.id for t in claimed] == [task.id]
    plugin_settings.disable(store, "daily")  # the running task is not cancelled by this ...
    run_claimed(claimed, worker_id="w", now=task.run_at)
    assert daily.RUNS == []  # ... but it re-checks before running
    stored = ScheduledTask.get_by_id(task.id)
    assert stored.status == CANCELLED and "off for this merchant" in stored.last_error
    assert _pending() == []


def test_an_inactive_merchant_is_skipped_until_it_is_active_again(daily_app, clock):
    store = make_merchant("Store", timezone="Asia/Shanghai")
    clock(dt.datetime(2026, 11, 26, 10, 0))
    plugin_settings.enable(store, "daily")
    [task] = _pending()
    Merchant.update(is_active=False).where(Merchant.id == store.id).execute()
    assert run_due(worker_id="w", now=task.run_at) == 1
    assert daily.RUNS == [] and ScheduledTask.get_by_id(task.id).status == CANCELLED
    assert recurring.ensure_scheduled(now=task.run_at) == 0

    Merchant.update(is_active=True).where(Merchant.id == store.id).execute()
    assert recurring.ensure_scheduled(now=task.run_at + HOUR) == 1
    assert [t.payload["local_date"] for t in _pending()] == ["2026-11-28"]


def test_a_failing_run_keeps_the_chain_going(make_app, clock):
    calls: list[str] = []

    def flaky(task):
        calls.append(task.payload["local_date"])
        raise RuntimeError("report service down")

    plugin = types.ModuleType("flaky")
    plugin.meta = PluginMeta(name="flaky", version="1.0.0", title="Flaky")
    plugin.register_job_handlers = hookimpl(
        lambda: [JobHandler("flaky.daily", flaky, max_attempts=1, daily_at=dt.time(3, 0))]
    )
    app = make_app(plugins=[plugin])
    with app.app_context():
        store = make_merchant("Store", timezone="Asia/Shanghai")
        clock(dt.datetime(2026, 11, 26, 10, 0))
        plugin_settings.enable(store, "flaky")
        [task] = _pending("flaky.daily")
        assert run_due(worker_id="w", now=task.run_at) == 1
        assert ScheduledTask.get_by_id(task.id).status == "failed"
        assert [t.payload["local_date"] for t in _pending("flaky.daily")] == ["2026-11-28"]
        assert calls == ["2026-11-27"]


def test_a_platform_level_job_runs_for_every_active_merchant(make_app):
    NIGHTLY_RUNS.clear()
    app = make_app(plugins=[_nightly_plugin()])
    with app.app_context():
        shanghai = make_merchant("Shanghai", timezone="Asia/Shanghai")
        new_york = make_merchant("New York", timezone="America/New_York")
        closed = make_merchant("Closed", timezone="Asia/Shanghai")
        Merchant.update(is_active=False).where(Merchant.id == closed.id).execute()

        now = dt.datetime(2026, 11, 26, 12, 0)
        assert recurring.ensure_scheduled(now=now) == 2
        assert recurring.ensure_scheduled(now=now) == 0
        runs = {t.merchant_id: t.run_at for t in _pending("nightly.sweep")}
        assert runs == {
            shanghai.id: dt.datetime(2026, 11, 26, 17, 30),  # 01:30 on the 27th, UTC+8
            new_york.id: dt.datetime(2026, 11, 27, 6, 30),  # 01:30 on the 27th, EST (UTC-5)
        }
        assert run_due(worker_id="w", now=dt.datetime(2026, 11, 27, 7, 0)) == 2
        assert sorted(NIGHTLY_RUNS) == sorted(
            [(shanghai.id, "2026-11-27"), (new_york.id, "2026-11-27")]
        )
        assert len(_pending("nightly.sweep")) == 2
    NIGHTLY_RUNS.clear()


def test_a_worker_schedules_recurring_jobs_when_it_starts(make_app):
    app = make_app(plugins=[_nightly_plugin()], TASK_RECURRING_SWEEP_SECONDS=3600)
    with app.app_context():
        store = make_merchant("Store", timezone="Asia/Shanghai")
    worker = Worker(app, worker_id="w-sweep")
    worker.run_once()
    with app.app_context():
        [task] = _pending("nightly.sweep")
        assert task.merchant_id == store.id and task.run_at > utcnow()
        ScheduledTask.delete().execute()
    worker.run_once()  # not again before the sweep interval has passed
    with app.app_context():
        assert _pending("nightly.sweep") == []


NEW_YORK = ZoneInfo("America/New_York")


def _local(instant: dt.datetime) -> dt.datetime:
    return instant.replace(tzinfo=dt.UTC).astimezone(NEW_YORK)


def test_one_run_per_local_day_across_daylight_saving_changes():
    # Spring forward (8 March 2026, 02:00 → 03:00): 02:30 does not exist that day.
    at = dt.time(2, 30)
    day, when = recurring.next_occurrence(at, NEW_YORK, dt.datetime(2026, 3, 8, 5, 0))
    assert (day, _local(when).time()) == (dt.date(2026, 3, 8), dt.time(3, 30))
    day, when = recurring.next_occurrence(at, NEW_YORK, when)
    assert (day, _local(when).time()) == (dt.date(2026, 3, 9), dt.time(2, 30))

    # Fall back (1 November 2026, 02:00 → 01:00): 01:30 happens twice; one run, the first.
    at = dt.time(1, 30)
    day, when = recurring.next_occurrence(at, NEW_YORK, dt.datetime(2026, 11, 1, 4, 0))
    assert (day, when) == (dt.date(2026, 11, 1), dt.datetime(2026, 11, 1, 5, 30))  # EDT
    day, when = recurring.next_occurrence(at, NEW_YORK, when)
    assert (day, when) == (dt.date(2026, 11, 2), dt.datetime(2026, 11, 2, 6, 30))  # EST

    # A whole year of daily 02:30 runs: one per local date, none skipped.
    after, days = dt.datetime(2026, 1, 1), []
    for _ in range(365):
        day, after = recurring.next_occurrence(dt.time(2, 30), NEW_YORK, after)
        days.append(day)
    assert days == [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(365)]


def test_a_recurring_handler_needs_a_naive_time(make_app):
    plugin = types.ModuleType("badtime")
    plugin.meta = PluginMeta(name="badtime", version="1.0.0", title="Bad", level="platform")
    plugin.register_job_handlers = hookimpl(
        lambda: [JobHandler("badtime.x", print, daily_at=dt.time(3, 0, tzinfo=dt.UTC))]
    )
    with pytest.raises(PluginLoadError, match="naive datetime.time"):
        make_app(plugins=[plugin])
