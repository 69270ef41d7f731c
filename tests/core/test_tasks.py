"""Durable scheduled tasks: scheduling in the caller's transaction, dedupe, claiming, retries,
exactly-once under concurrent workers, surviving a dead worker, and the APScheduler loop."""

from __future__ import annotations

import datetime as dt
import threading
import time
import types
from collections import Counter
from zoneinfo import ZoneInfo

import peewee as pw
import pytest
from click.testing import CliRunner

from mallkit.core import audit
from mallkit.core import cli as cli_module
from mallkit.core import db as dbm
from mallkit.core.audit import AuditLog
from mallkit.core.db import transaction, utcnow
from mallkit.core.errors import PluginLoadError
from mallkit.core.plugins import PluginMeta
from mallkit.core.tasks.queue import (
    CANCELLED,
    DONE,
    FAILED,
    PENDING,
    RUNNING,
    JobHandler,
    ScheduledTask,
    cancel,
    job_handlers,
    periodic_handlers,
    reschedule,
    schedule,
)
from mallkit.core.tasks.runner import claim_due, retry_delay, run_claimed, run_due
from mallkit.core.tasks.worker import Worker
from mallkit.hookspecs import hookimpl
from tests.sample_plugins import jobs

SECOND = dt.timedelta(seconds=1)


class Boom(Exception):
    pass


@pytest.fixture
def jobs_app(make_app):
    """An app with the ``jobs`` test plugin installed (its handlers registered)."""
    jobs.CALLS.clear()
    app = make_app(plugins=[jobs])
    with app.app_context():
        yield app
    jobs.CALLS.clear()


def _task(task_id: int) -> ScheduledTask:
    return ScheduledTask.get_by_id(task_id)


def _rows(action: str) -> Counter:
    """Audit rows the handlers wrote, counted per task id."""
    return Counter(int(row.target_id) for row in AuditLog.select().where(AuditLog.action == action))


def _wait_for(condition, timeout: float = 10.0) -> bool:
    """Poll until ``condition()`` holds; the timeout only stops a broken test from hanging."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def _plugin(name: str, *handlers: JobHandler) -> types.ModuleType:
    module = types.ModuleType(name)
    module.meta = PluginMeta(name=name, version="1.0.0", title=name, level="platform")

    @hookimpl
    def register_job_handlers():
        return list(handlers)

    module.register_job_handlers = register_job_handlers
    return module


# -- scheduling ------------------------------------------------------------------------------


def test_a_task_commits_or_rolls_back_with_the_business_change(jobs_app):
    with pytest.raises(Boom), transaction():
        audit.record("order.create", actor_id=None, target_id=1)
        schedule(jobs.RECORD, delay=dt.timedelta(minutes=30), dedupe_key="order:1:cancel")
        raise Boom
    assert ScheduledTask.select().count() == 0
    assert _rows("order.create") == Counter()

    before = utcnow()
    with transaction():
        audit.record("order.create", actor_id=None, target_id=2)
        task = schedule(
            jobs.RECORD,
            delay=dt.timedelta(minutes=30),
            payload={"order_id": 2},
            merchant_id=7,
            dedupe_key="order:2:cancel",
        )
    stored = _task(task.id)
    assert (stored.kind, stored.status, stored.attempts) == (jobs.RECORD, PENDING, 0)
    assert stored.payload == {"order_id": 2} and stored.merchant_id == 7
    assert before + dt.timedelta(minutes=30) <= stored.run_at <= utcnow() + dt.timedelta(minutes=30)


def test_a_dedupe_key_already_present_returns_the_existing_task(jobs_app):
    first = schedule(jobs.RECORD, dedupe_key="group:9:expire", payload={"n": 1})
    again = schedule(jobs.RECORD, dedupe_key="group:9:expire", payload={"n": 2}, delay=SECOND)
    assert again.id == first.id and again.payload == {"n": 1}
    assert ScheduledTask.select().count() == 1


def test_a_finished_task_frees_its_dedupe_key(jobs_app):
    """A key is held while its task is pending or running; done, failed and cancelled tasks
    no longer hold it (a daily task cancelled on disable can be scheduled again that day)."""
    done = schedule(jobs.RECORD, dedupe_key="daily:1:2026-11-26")
    assert run_due(worker_id="w") == 1 and _task(done.id).status == DONE
    again = schedule(jobs.RECORD, dedupe_key="daily:1:2026-11-26", delay=dt.timedelta(hours=1))
    assert again.id != done.id and _task(again.id).status == PENDING

    assert cancel("daily:1:2026-11-26") is True
    revived = schedule(jobs.RECORD, dedupe_key="daily:1:2026-11-26", delay=dt.timedelta(hours=1))
    assert revived.id not in (done.id, again.id)
    assert schedule(jobs.RECORD, dedupe_key="daily:1:2026-11-26").id == revived.id  # held
    statuses = [t.status for t in ScheduledTask.select().order_by(ScheduledTask.id)]
    assert statuses == [DONE, CANCELLED, PENDING]

    failed = schedule(jobs.EXPLODE, dedupe_key="explode:1", max_attempts=1)
    assert run_due(worker_id="w") == 1 and _task(failed.id).status == FAILED
    assert schedule(jobs.RECORD, dedupe_key="explode:1").id != failed.id


def test_a_running_task_still_holds_its_key(jobs_app):
    task = schedule(jobs.RECORD, dedupe_key="running:1")
    assert [t.id for t in claim_due(worker_id="w")] == [task.id]
    assert _task(task.id).status == RUNNING
    assert schedule(jobs.RECORD, dedupe_key="running:1").id == task.id
    assert cancel("running:1") is False  # a claimed task is not cancelled


def test_the_database_refuses_two_live_tasks_with_one_key(jobs_app):
    """The partial unique index itself, beneath schedule(): two live rows with one key are
    refused, finished rows with that key are not."""
    row = {"kind": "x", "run_at": utcnow(), "dedupe_key": "same"}
    with pytest.raises(pw.IntegrityError), transaction():
        ScheduledTask.insert_many([row, {**row, "status": RUNNING}]).execute()
    ScheduledTask.insert_many(
        [{**row, "status": s} for s in (DONE, FAILED, CANCELLED, CANCELLED, PENDING)]
    ).execute()
    assert ScheduledTask.select().where(ScheduledTask.dedupe_key == "same").count() == 5
    with pytest.raises(pw.IntegrityError), transaction():
        ScheduledTask.update(status=PENDING).where(ScheduledTask.status == FAILED).execute()


def test_a_taken_dedupe_key_returns_the_winner_and_keeps_the_transaction_usable(jobs_app):
    winner = schedule(jobs.RECORD, dedupe_key="refund:3:submit")
    with transaction():
        audit.record("refund.create", actor_id=None, target_id=3)
        # schedule() inserts first: the unique violation happens in a savepoint (on
        # PostgreSQL the caller's transaction would be aborted otherwise) ...
        assert schedule(jobs.RECORD, dedupe_key="refund:3:submit").id == winner.id
        # ... so the caller's transaction goes on.
        audit.record("refund.create", actor_id=None, target_id=4)
    assert _rows("refund.create") == Counter({3: 1, 4: 1})
    assert ScheduledTask.select().count() == 1


def _race_schedules(app, key: str, threads: int = 4) -> list[int]:
    """``threads`` threads, each on its own connection, schedule ``key`` at the same moment;
    the ids they got back."""
    barrier = threading.Barrier(threads)
    ids: list[int] = []
    errors: list[BaseException] = []

    def place() -> None:
        try:
            with app.app_context(), dbm.database.connection_context():
                barrier.wait(timeout=60)
                with transaction():
                    ids.append(schedule(jobs.RECORD, dedupe_key=key, delay=SECOND).id)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    workers = [threading.Thread(target=place) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert not errors
    return ids


def test_racing_schedules_with_one_dedupe_key_make_one_task(jobs_app):
    ids = _race_schedules(jobs_app, "order:5:cancel")
    assert len(ids) == 4 and len(set(ids)) == 1
    assert ScheduledTask.select().count() == 1


def test_racing_schedules_of_a_freed_key_make_one_new_task(jobs_app):
    """Cancel, then reschedule from several transactions at once: one new live task."""
    old = schedule(jobs.RECORD, dedupe_key="daily:7:2026-11-26", delay=dt.timedelta(hours=1))
    assert cancel("daily:7:2026-11-26")
    ids = _race_schedules(jobs_app, "daily:7:2026-11-26")
    assert len(ids) == 4 and len(set(ids)) == 1 and ids[0] != old.id
    live = ScheduledTask.select().where(
        (ScheduledTask.dedupe_key == "daily:7:2026-11-26") & (ScheduledTask.status == PENDING)
    )
    assert [t.id for t in live] == ids[:1]


def test_scheduling_while_the_holder_finishes_makes_one_live_task(jobs_app):
    """Schedulers racing with a worker finishing the task that holds the key: whenever they
    look, at most one task with the key is live, and each call returns a live one."""
    key = "race:finish"
    errors: list[BaseException] = []

    def worker(barrier: threading.Barrier) -> None:
        try:
            with jobs_app.app_context():
                barrier.wait(timeout=60)
                run_due(worker_id="w-race")
        except BaseException as exc:
            errors.append(exc)

    def scheduler(barrier: threading.Barrier) -> None:
        try:
            with jobs_app.app_context(), dbm.database.connection_context():
                barrier.wait(timeout=60)
                with transaction():
                    schedule(jobs.RECORD, dedupe_key=key, delay=dt.timedelta(hours=1))
        except BaseException as exc:
            errors.append(exc)

    for _ in range(5):
        schedule(jobs.RECORD, dedupe_key=key)
        barrier = threading.Barrier(4)
        threads = [threading.Thread(target=worker, args=(barrier,))] + [
            threading.Thread(target=scheduler, args=(barrier,)) for _ in range(3)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        live = ScheduledTask.select().where(
            (ScheduledTask.dedupe_key == key) & ScheduledTask.status.in_((PENDING, RUNNING))
        )
        assert live.count() <= 1
        cancel(key)
    assert ScheduledTask.select().where(ScheduledTask.status == RUNNING).count() == 0


def test_cancel_and_reschedule_touch_pending_tasks_only(jobs_app):
    schedule(jobs.RECORD, dedupe_key="a", delay=dt.timedelta(hours=1))
    schedule(jobs.RECORD, dedupe_key="b", delay=dt.timedelta(hours=1))
    assert cancel("a") is True
    assert cancel("a") is False
    assert cancel("never-scheduled") is False
    assert ScheduledTask.get(dedupe_key="a").status == CANCELLED

    soon = utcnow()
    assert reschedule("b", soon) is True
    assert reschedule("a", soon) is False
    assert run_due(worker_id="w") == 1  # b, now due; a stays cancelled
    assert ScheduledTask.get(dedupe_key="b").status == DONE
    assert ScheduledTask.get(dedupe_key="a").status == CANCELLED
    assert cancel("b") is False and reschedule("b", soon) is False


def test_schedule_refuses_contradictions():
    with pytest.raises(ValueError):
        schedule("x", run_at=utcnow(), delay=SECOND)
    with pytest.raises(ValueError):
        schedule("", delay=SECOND)
    with pytest.raises(ValueError):
        schedule("x", max_attempts=0)


# -- running ---------------------------------------------------------------------------------


def test_a_task_not_yet_due_is_left_alone(jobs_app):
    in_an_hour = dt.datetime.now(ZoneInfo("Asia/Shanghai")) + dt.timedelta(hours=1)
    task = schedule(jobs.RECORD, run_at=in_an_hour)
    stored = _task(task.id)
    assert stored.run_at == in_an_hour.astimezone(dt.UTC).replace(tzinfo=None)  # UTC, naive
    assert run_due(worker_id="w") == 0
    assert _task(task.id).status == PENDING and _task(task.id).attempts == 0
    assert jobs.CALLS == []
    assert run_due(worker_id="w", now=stored.run_at) == 1
    assert jobs.CALLS == [task.id]


def test_a_due_task_runs_once_through_a_plugin_handler(jobs_app):
    assert {jobs.RECORD, jobs.EXPLODE} <= set(job_handlers())
    task = schedule(jobs.RECORD, payload={"order_id": 1}, merchant_id=3)
    assert run_due(worker_id="w1") == 1
    done = _task(task.id)
    assert (done.status, done.attempts, done.locked_by, done.last_error) == (DONE, 1, "w1", "")
    assert done.finished_at is not None and done.locked_until is None
    assert jobs.CALLS == [task.id]
    row = AuditLog.get(AuditLog.action == "jobs.ran")
    assert (row.target_id, row.merchant_id, row.after) == (str(task.id), 3, {"order_id": 1})
    assert run_due(worker_id="w1") == 0
    assert jobs.CALLS == [task.id]


def test_the_handlers_writes_roll_back_when_it_raises(jobs_app):
    task = schedule(jobs.EXPLODE)
    assert run_due(worker_id="w") == 1
    assert jobs.CALLS == [task.id]  # it ran ...
    assert _rows("jobs.exploded") == Counter()  # ... and what it wrote is gone
    failed_once = _task(task.id)
    assert (failed_once.status, failed_once.attempts) == (PENDING, 1)
    assert failed_once.last_error == "RuntimeError: boom on attempt 1"


def test_a_failing_task_is_retried_with_backoff_then_failed(jobs_app):
    task = schedule(jobs.EXPLODE)  # max_attempts=3 from its JobHandler
    now = utcnow()
    assert run_due(worker_id="w", now=now) == 1
    assert _task(task.id).run_at == now + 2 * SECOND  # 2^1 s
    assert run_due(worker_id="w", now=now + SECOND) == 0  # backing off

    now += 2 * SECOND
    assert run_due(worker_id="w", now=now) == 1
    second = _task(task.id)
    assert (second.status, second.attempts, second.run_at) == (PENDING, 2, now + 4 * SECOND)

    now += 4 * SECOND
    assert run_due(worker_id="w", now=now) == 1
    last = _task(task.id)
    assert (last.status, last.attempts, last.finished_at) == (FAILED, 3, now)
    assert last.last_error == "RuntimeError: boom on attempt 3"
    assert run_due(worker_id="w", now=now + dt.timedelta(days=1)) == 0
    assert jobs.CALLS == [task.id] * 3
    assert _rows("jobs.exploded") == Counter()


def test_a_task_may_allow_fewer_attempts_than_its_handler(jobs_app):
    task = schedule(jobs.EXPLODE, max_attempts=1)
    assert run_due(worker_id="w") == 1
    assert (_task(task.id).status, _task(task.id).attempts) == (FAILED, 1)


def test_backoff_doubles_up_to_a_configurable_cap(jobs_app):
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 11, 12, 500)] == [
        2,
        4,
        8,
        2048,
        3600,
        3600,
    ]
    jobs_app.config["TASK_RETRY_MAX_SECONDS"] = 60
    assert retry_delay(10) == dt.timedelta(seconds=60)


def test_a_task_of_an_unknown_kind_fails_with_a_clear_error(jobs_app):
    task = schedule("nobody.handles.this", payload={"x": 1})
    assert run_due(worker_id="w") == 1
    failed = _task(task.id)
    assert (failed.status, failed.attempts) == (FAILED, 1)
    assert failed.last_error == "no handler is registered for task kind 'nobody.handles.this'"


def test_run_due_refuses_to_run_inside_a_transaction(jobs_app):
    with pytest.raises(RuntimeError, match="own transaction"), transaction():
        run_due(worker_id="w")


# -- handler registry ------------------------------------------------------------------------


def test_a_kind_registered_twice_stops_start_up_naming_both(make_app):
    clash = _plugin("clash", JobHandler(jobs.RECORD, lambda task: None))
    with pytest.raises(PluginLoadError) as excinfo:
        make_app(plugins=[jobs, clash])
    message = str(excinfo.value)
    assert "'jobs.record' is registered twice" in message
    assert "plugin 'jobs'" in message and "plugin 'clash'" in message


def test_a_core_kind_is_replaced_by_leaving_its_default_plugin_out(make_app):
    mine = _plugin("my_confirm", JobHandler("order.auto_confirm", jobs.record))
    with pytest.raises(PluginLoadError) as excinfo:
        make_app(plugins=[mine])
    assert "plugin 'order_defaults' and by plugin 'my_confirm'" in str(excinfo.value)
    app = make_app(plugins=[mine], PLUGINS_DISABLED=["order_defaults"])
    with app.app_context():
        assert job_handlers()["order.auto_confirm"].run is jobs.record
        assert "order_defaults" not in app.extensions["mallkit"].plugins.plugins


def test_handlers_follow_the_installed_plugins(jobs_app):
    late = _plugin("late", JobHandler("late.kind", jobs.record))
    host = jobs_app.extensions["mallkit"].plugins
    assert "late.kind" not in job_handlers()
    host.register(late)
    try:
        assert "late.kind" in job_handlers()
        task = schedule("late.kind")
        assert run_due(worker_id="w") == 1 and _task(task.id).status == DONE
    finally:
        host.unregister("late")
    assert "late.kind" not in job_handlers()


# -- many workers, dead workers --------------------------------------------------------------


def test_concurrent_workers_never_run_a_task_twice(jobs_app):
    total, workers = 240, 4
    with transaction():
        ids = [schedule(jobs.RECORD, payload={"n": n}).id for n in range(total)]
    barrier = threading.Barrier(workers)
    claimed: Counter = Counter()
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            with jobs_app.app_context():  # run_due opens this thread's own connection
                barrier.wait()
                while got := run_due(worker_id=name, limit=7):
                    claimed[name] += got
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    assert sum(claimed.values()) == total
    assert sorted(jobs.CALLS) == sorted(ids)  # every handler ran once
    assert _rows("jobs.ran") == Counter(dict.fromkeys(ids, 1))  # and committed once
    assert ScheduledTask.select().where(ScheduledTask.status == DONE).count() == total
    assert ScheduledTask.select().where(ScheduledTask.attempts != 1).count() == 0


def test_a_task_survives_its_worker_dying(jobs_app):
    task = schedule(jobs.RECORD)
    start = utcnow()
    [orphan] = claim_due(worker_id="dead", now=start)  # ... and the worker dies here
    assert (_task(task.id).status, _task(task.id).locked_by) == (RUNNING, "dead")

    lease = dt.timedelta(seconds=jobs_app.config["TASK_LEASE_SECONDS"])
    assert run_due(worker_id="fresh", now=start + lease - SECOND) == 0  # lease still held
    assert run_due(worker_id="fresh", now=start + lease + SECOND) == 1  # taken over
    done = _task(task.id)
    assert (done.status, done.locked_by, done.attempts) == (DONE, "fresh", 2)

    # The dead worker comes back and runs what it had claimed: it has lost the task.
    run_claimed([orphan], worker_id="dead", now=start + lease + 2 * SECOND)
    assert jobs.CALLS == [task.id]
    assert _rows("jobs.ran") == Counter({task.id: 1})
    assert run_due(worker_id="fresh", now=start + 10 * lease) == 0


def test_a_task_whose_worker_keeps_dying_is_given_up(jobs_app):
    task = schedule(jobs.EXPLODE)  # 3 attempts
    lease = dt.timedelta(seconds=jobs_app.config["TASK_LEASE_SECONDS"])
    now = utcnow()
    for _ in range(3):
        assert len(claim_due(worker_id="crashing", now=now)) == 1
        now += lease + SECOND
    assert run_due(worker_id="w", now=now) == 1
    given_up = _task(task.id)
    assert (given_up.status, given_up.attempts) == (FAILED, 4)
    assert given_up.last_error.startswith("gave up: claimed 4 times")
    assert jobs.CALLS == []


def test_a_stopping_worker_hands_back_the_tasks_it_has_not_started(jobs_app):
    first, second = schedule(jobs.RECORD), schedule(jobs.RECORD)
    claimed = claim_due(worker_id="stopping")
    stop = threading.Event()
    stop.set()
    run_claimed(claimed, worker_id="stopping", stop=stop)
    for task in (first, second):
        assert (_task(task.id).status, _task(task.id).attempts) == (PENDING, 0)
    assert run_due(worker_id="next") == 2


# -- the worker loop and the commands --------------------------------------------------------


def test_the_worker_loop_runs_due_tasks_by_itself(jobs_app):
    task = schedule(jobs.RECORD)
    worker = Worker(jobs_app, interval=0.02)
    worker.start()
    try:
        assert _wait_for(lambda: _task(task.id).status == DONE)
        later = schedule(jobs.RECORD)  # scheduled while the worker is polling
        assert _wait_for(lambda: _task(later.id).status == DONE)
    finally:
        worker.stop()
    assert not worker.running
    assert sorted(jobs.CALLS) == sorted([task.id, later.id])
    assert _task(later.id).locked_by == worker.worker_id


class _Ctx(cli_module.Context):
    def __init__(self, app) -> None:
        super().__init__()
        self._app = app


def test_mallkit_worker_once_runs_the_due_tasks(jobs_app):
    due, later = schedule(jobs.RECORD), schedule(jobs.RECORD, delay=dt.timedelta(hours=1))
    r = CliRunner().invoke(cli_module.cli, ["worker", "--once"], obj=_Ctx(jobs_app))
    assert r.exit_code == 0, r.output
    # the due one, and the periodic purges the worker's sweep starts (due in their first
    # period): the core's retention purge and the installed plugins' (webhooks, ...)
    periodic = len(periodic_handlers())
    assert periodic >= 1
    assert r.output.strip() == f"{1 + periodic} task(s) run"
    assert (_task(due.id).status, _task(later.id).status) == (DONE, PENDING)
    purge = ScheduledTask.get(
        ScheduledTask.kind == "core.retention.purge", ScheduledTask.status == DONE
    )
    assert purge.merchant_id is None
    r = CliRunner().invoke(cli_module.cli, ["worker", "--interval", "0"], obj=_Ctx(jobs_app))
    assert r.exit_code == 2


def test_mallkit_serve_runs_a_worker_unless_told_not_to(make_app, monkeypatch):
    jobs.CALLS.clear()
    app = make_app(plugins=[jobs], TASK_POLL_INTERVAL=0.02)
    seen: dict[str, object] = {}

    def scheduler_threads() -> int:
        return sum(t.name == "APScheduler" and t.is_alive() for t in threading.enumerate())

    def serving(**kwargs) -> None:
        seen["threads"] = scheduler_threads()
        with app.app_context():
            task = schedule(jobs.RECORD)
            seen["done"] = _wait_for(lambda: _task(task.id).status == DONE)

    monkeypatch.setattr(app, "run", serving)
    r = CliRunner().invoke(cli_module.cli, ["serve"], obj=_Ctx(app))
    assert r.exit_code == 0, r.output
    assert seen == {"threads": 1, "done": True}
    assert scheduler_threads() == 0  # stopped with the server

    monkeypatch.setattr(app, "run", lambda **kwargs: seen.update(threads=scheduler_threads()))
    r = CliRunner().invoke(cli_module.cli, ["serve", "--no-worker"], obj=_Ctx(app))
    assert r.exit_code == 0, r.output
    assert seen["threads"] == 0
    jobs.CALLS.clear()


# -- operators -------------------------------------------------------------------------------


def test_operators_list_failed_tasks_and_retry_them(client, admin, owner):
    failed = schedule("nobody.handles.this", merchant_id=1)
    pending = schedule("nobody.handles.this", delay=dt.timedelta(hours=1))
    assert run_due(worker_id="w") == 1

    r = client.get("/api/v1/admin/tasks?status=failed&page=1", headers=admin.headers)
    assert r.status_code == 200, r.json
    assert [t["id"] for t in r.json] == [failed.id]
    assert r.json[0]["last_error"].startswith("no handler is registered")
    assert '"total": 1' in r.headers["X-Pagination"]
    r = client.get("/api/v1/admin/tasks", headers=admin.headers)
    assert [t["id"] for t in r.json] == [pending.id, failed.id]
    assert client.get("/api/v1/admin/tasks?status=bogus", headers=admin.headers).status_code == 422
    assert client.get("/api/v1/admin/tasks", headers=owner.headers).status_code == 403

    url = f"/api/v1/admin/tasks/{failed.id}/retry"
    assert client.post(url, headers=owner.headers).status_code == 403
    r = client.post(url, headers=admin.headers)
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["attempts"]) == (PENDING, 0)
    assert AuditLog.get(AuditLog.action == "task.retry").actor_id == admin.user.id
    r = client.post(url, headers=admin.headers)
    assert (r.status_code, r.json["code"]) == (409, "task_not_retryable")
    r = client.post("/api/v1/admin/tasks/999999/retry", headers=admin.headers)
    assert (r.status_code, r.json["code"]) == (404, "task_not_found")


def test_a_failed_task_is_not_retried_while_a_newer_one_holds_its_key(client, admin):
    failed = schedule("nobody.handles.this", dedupe_key="daily:3:2026-11-26")
    assert run_due(worker_id="w") == 1 and _task(failed.id).status == FAILED
    newer = schedule("nobody.handles.this", dedupe_key="daily:3:2026-11-26", delay=SECOND * 60)
    r = client.post(f"/api/v1/admin/tasks/{failed.id}/retry", headers=admin.headers)
    assert (r.status_code, r.json["code"]) == (409, "task_key_taken")
    assert str(newer.id) in r.json["message"]
    assert _task(failed.id).status == FAILED
    assert cancel("daily:3:2026-11-26")
    r = client.post(f"/api/v1/admin/tasks/{failed.id}/retry", headers=admin.headers)
    assert (r.status_code, r.json["status"]) == (200, PENDING)


def test_the_migration_creates_the_table_the_model_describes(app):
    columns = {c.name for c in dbm.database.get_columns("scheduled_task")}
    assert columns == {f.column_name for f in ScheduledTask._meta.sorted_fields}
    indexes = {
        i.name: (tuple(i.columns), i.unique) for i in dbm.database.get_indexes("scheduled_task")
    }
    assert indexes["scheduled_task_dedupe_key_any"] == (("dedupe_key",), False)
    assert indexes["scheduled_task_dedupe_key_live"] == (("dedupe_key",), True)  # partial
    assert "scheduled_task_dedupe_key" not in indexes  # 0003's plain UNIQUE is gone
    assert indexes["scheduled_task_status_run_at"] == (("status", "run_at"), False)
    with pytest.raises(pw.IntegrityError), transaction():
        ScheduledTask.insert_many(
            [{"kind": "x", "run_at": utcnow(), "dedupe_key": "same"}] * 2
        ).execute()


def test_a_handler_out_of_transaction_runs_with_no_transaction_open(make_app):
    seen: list[tuple[int, bool]] = []

    def network_call(task):
        seen.append((task.id, dbm.database.in_transaction()))
        if task.payload.get("fail"):
            raise Boom("gateway timeout")

    plugin = _plugin("outside", JobHandler("outside.call", network_call, in_transaction=False))
    app = make_app(plugins=[plugin])
    with app.app_context():
        ok = schedule("outside.call")
        bad = schedule("outside.call", payload={"fail": True})
        assert run_due(worker_id="w") == 2
        assert seen == [(ok.id, False), (bad.id, False)]
        assert (_task(ok.id).status, _task(ok.id).locked_until) == (DONE, None)
        failed = _task(bad.id)
        assert (failed.status, failed.attempts) == (PENDING, 1)
        assert failed.last_error == "Boom: gateway timeout"
