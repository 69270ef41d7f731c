"""Feedback REST routes. To a store: ``/merchants/<merchant_id>/feedback`` (404 where the
store has not enabled the plugin; its staff manage it). To the platform: ``/feedback``
(platform admins manage it). A buyer lists everything they sent at ``/me/feedback``."""

from __future__ import annotations

import json

import peewee as pw
from flask.views import MethodView

from mallkit.core.plugin_api import (
    NotFound,
    PeeweePage,
    User,
    plugin_blueprint,
    require_admin,
    require_staff,
    require_user,
    store_media,
)
from mallkit.plugins.feedback import service
from mallkit.plugins.feedback.models import Feedback
from mallkit.plugins.feedback.schemas import (
    FeedbackAnswerIn,
    FeedbackArgs,
    FeedbackIn,
    FeedbackOut,
    FeedbackPhotoIn,
    FeedbackPhotoOut,
    FeedbackStatsOut,
    FeedbackTagsIn,
    StaffFeedbackOut,
)

blp = plugin_blueprint("feedback", __name__, description="Feedback and suggestions (意见反馈)")
STORE = "/merchants/<int:merchant_id>/feedback"
PLATFORM = "/feedback"


def staff_of(merchant_id: int | None) -> User:
    """The store's staff (or a platform admin) — for the platform's feedback, an admin;
    anyone else gets 404 for a store (403 for the platform, whose routes are no secret)."""
    if merchant_id is None:
        return require_admin()
    return require_staff(merchant_id, not_staff=NotFound("not found"))


class _Send(MethodView):
    @blp.arguments(FeedbackIn)
    @blp.response(201, FeedbackOut)
    def post(self, data, merchant_id=None):
        """Send feedback (a signed-in buyer)."""
        return service.send(merchant_id, require_user().id, data)


class _Photos(MethodView):
    @blp.arguments(FeedbackPhotoIn, location="files")
    @blp.response(201, FeedbackPhotoOut)
    def post(self, files, merchant_id=None):
        """Upload a photo for feedback (JPEG, PNG, GIF or WebP, ≤ 10 MB)."""
        require_user()
        folder_owner = service.PLATFORM_MEDIA if merchant_id is None else merchant_id
        return store_media(folder_owner, files["file"].stream, folder="feedback", kinds=("image",))


class _Manage(MethodView):
    @blp.arguments(FeedbackArgs, location="query")
    @blp.response(200, StaffFeedbackOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id=None):
        """Feedback received, newest first, by status, category or tag (staff)."""
        staff_of(merchant_id)
        where = service.addressed_to(merchant_id)
        if args["status"]:
            where &= Feedback.status == args["status"]
        if args["category"]:
            where &= Feedback.category == args["category"]
        if args["tag"]:
            # Tags hold no LIKE wildcards or quotes (FeedbackTagsIn), so the JSON-quoted tag
            # is an exact element match; str() keeps the JSON field from encoding the pattern.
            quoted = json.dumps(args["tag"], ensure_ascii=False)
            where &= pw.Expression(Feedback.tags, pw.OP.ILIKE, pw.Value(f"%{quoted}%", str))
        return Feedback.select().where(where).order_by(Feedback.id.desc())


class _Answer(MethodView):
    @blp.arguments(FeedbackAnswerIn)
    @blp.response(200, StaffFeedbackOut)
    def post(self, data, feedback_id, merchant_id=None):
        """Answer new feedback (staff; once)."""
        staff = staff_of(merchant_id)
        return service.answer(merchant_id, feedback_id, data["text"], staff.id)


class _Close(MethodView):
    @blp.response(200, StaffFeedbackOut)
    def post(self, feedback_id, merchant_id=None):
        """Close feedback, answered or not (staff)."""
        staff_of(merchant_id)
        return service.close(merchant_id, feedback_id)


class _Tags(MethodView):
    @blp.arguments(FeedbackTagsIn)
    @blp.response(200, StaffFeedbackOut)
    def put(self, data, feedback_id, merchant_id=None):
        """Replace the staff's tags on feedback."""
        staff_of(merchant_id)
        return service.tag(merchant_id, feedback_id, data["tags"])


class _Stats(MethodView):
    @blp.response(200, FeedbackStatsOut)
    def get(self, merchant_id=None):
        """Counts by category and status (staff)."""
        staff_of(merchant_id)
        return service.stats(merchant_id)


for base, prefix in ((STORE, "Store"), (PLATFORM, "Platform")):
    for path, view in (
        ("", _Send),
        ("/photos", _Photos),
        ("/manage", _Manage),
        ("/stats", _Stats),
        ("/<int:feedback_id>/answer", _Answer),
        ("/<int:feedback_id>/close", _Close),
        ("/<int:feedback_id>/tags", _Tags),
    ):
        blp.route(base + path)(type(prefix + "Feedback" + view.__name__.lstrip("_"), (view,), {}))


@blp.route("/me/feedback")
class MyFeedback(MethodView):
    @blp.response(200, FeedbackOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self):
        """Everything you sent, to stores and to the platform, newest first, with answers."""
        user = require_user()
        return Feedback.select().where(Feedback.user_id == user.id).order_by(Feedback.id.desc())
