"""Durable scheduled tasks for operators: list them (failed ones first of all) and retry."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from mallkit.core.accounts import auth
from mallkit.core.api import PeeweePage, Schema, UtcDateTime
from mallkit.core.tasks import heartbeat
from mallkit.core.tasks import queue as tasks
from mallkit.core.tasks.queue import ScheduledTask

blp = Blueprint(
    "tasks", __name__, url_prefix="/api/v1", description="Durable scheduled tasks (operators)"
)


class TaskArgs(Schema):
    status = fields.String(validate=validate.OneOf(tasks.STATUSES))
    kind = fields.String(validate=validate.Length(min=1, max=100))
    merchant_id = fields.Integer()


class TaskOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    merchant_id = fields.Integer(allow_none=True)
    payload = fields.Dict()
    run_at = UtcDateTime()
    status = fields.String()
    attempts = fields.Integer()
    max_attempts = fields.Integer(
        allow_none=True, metadata={"description": "None: the handler's default"}
    )
    last_error = fields.String()
    locked_by = fields.String(allow_none=True)
    locked_until = UtcDateTime(allow_none=True)
    dedupe_key = fields.String(allow_none=True)
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)


@blp.route("/admin/tasks")
class AdminTasks(MethodView):
    @blp.arguments(TaskArgs, location="query")
    @blp.response(200, TaskOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args):
        """Scheduled tasks, newest first; ``status=failed`` for the ones needing an operator
        (platform admin)."""
        auth.require_admin()
        query = ScheduledTask.select()
        if args.get("status"):
            query = query.where(ScheduledTask.status == args["status"])
        if args.get("kind"):
            query = query.where(ScheduledTask.kind == args["kind"])
        if args.get("merchant_id") is not None:
            query = query.where(ScheduledTask.merchant_id == args["merchant_id"])
        return query.order_by(ScheduledTask.id.desc())


@blp.route("/admin/tasks/<int:task_id>/retry")
class AdminTaskRetry(MethodView):
    @blp.response(200, TaskOut)
    def post(self, task_id):
        """Run a failed task again with a fresh set of attempts, due now (platform admin;
        audited). 409 ``task_not_retryable`` for a task that has not failed,
        ``task_key_taken`` when a newer task with its dedupe key is still to run."""
        admin = auth.require_admin()
        return tasks.retry(task_id, actor_id=admin.id)


class KindLag(Schema):
    kind = fields.String()
    due = fields.Integer()
    oldest_due_seconds = fields.Float(metadata={"description": "how long its oldest has waited"})


class WorkerOut(Schema):
    worker_id = fields.String()
    hostname = fields.String()
    pid = fields.Integer()
    started_at = UtcDateTime()
    seen_at = UtcDateTime()


class QueueOut(Schema):
    due = fields.Integer(metadata={"description": "pending tasks whose time has come"})
    oldest_due_seconds = fields.Float(
        metadata={"description": "the lag: how long the oldest due task has waited (0: none)"}
    )
    scheduled = fields.Integer(metadata={"description": "pending tasks due later"})
    running = fields.Integer()
    abandoned = fields.Integer(
        metadata={"description": "running tasks whose lease ran out (their worker died)"}
    )
    failed = fields.Integer()
    due_by_kind = fields.List(fields.Nested(KindLag))
    workers = fields.List(
        fields.Nested(WorkerOut),
        metadata={"description": "workers seen within WORKER_STALE_SECONDS"},
    )
    last_heartbeat_seconds = fields.Float(
        allow_none=True, metadata={"description": "since any worker last reported; None: never"}
    )


@blp.route("/admin/tasks/queue")
class AdminTaskQueue(MethodView):
    @blp.response(200, QueueOut)
    def get(self):
        """The durable task queue's lag: tasks due now and how long the oldest has waited, by
        kind; scheduled, running, abandoned and failed counts; the live task workers
        (platform admin)."""
        auth.require_admin()
        stale = float(current_app.config.get("WORKER_STALE_SECONDS") or 60)
        return heartbeat.queue_stats(stale_seconds=stale)
