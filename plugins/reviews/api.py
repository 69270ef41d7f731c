"""Reviews REST routes, all under ``/merchants/<merchant_id>/reviews`` (404 where the store
has not enabled the plugin). Anyone reads a product's visible reviews and summary; a buyer
writes, follows up and lists their own; the store's staff list, reply and moderate."""

from __future__ import annotations

from flask.views import MethodView

from mallkit.core.plugin_api import (
    NotFound,
    PeeweePage,
    Rendered,
    User,
    plugin_blueprint,
    require_staff,
    require_user,
    store_media,
)
from mallkit.plugins.reviews import service
from mallkit.plugins.reviews.models import HIDDEN, VISIBLE, Review
from mallkit.plugins.reviews.schemas import (
    AwaitingReviewOut,
    OwnReviewOut,
    ProductReviewsArgs,
    ReviewFollowUpIn,
    ReviewHideIn,
    ReviewIn,
    ReviewOut,
    ReviewPhotoIn,
    ReviewPhotoOut,
    ReviewReplyIn,
    ReviewStatsOut,
    ReviewSummaryOut,
    StoreReviewsArgs,
)

blp = plugin_blueprint("reviews", __name__, description="Reviews (评价)")
STAFF = ("owner", "manager", "agent")
BASE = "/merchants/<int:merchant_id>/reviews"


def staff_of(merchant_id: int, *roles: str) -> User:
    """Staff of this store (a platform admin too); anyone else gets 404, as if the store's
    reviews did not exist for them."""
    return require_staff(merchant_id, *roles, not_staff=NotFound("not found"))


def _mask(name: str) -> str:
    return (name[:1] + "**") if name else "**"


def render(reviews: list[Review]) -> list[dict]:
    """Reviews with their writers' masked names, read in one query."""
    ids = {r.buyer_id for r in reviews if not r.anonymous}
    names = (
        {u.id: u.name for u in User.select(User.id, User.name).where(User.id.in_(list(ids)))}
        if ids
        else {}
    )
    out = []
    for r in reviews:
        view = {k: getattr(r, k) for k in OwnReviewOut._declared_fields if k != "buyer"}
        view["buyer"] = "匿名用户" if r.anonymous else _mask(names.get(r.buyer_id, ""))
        out.append(view)
    return out


@blp.route(f"{BASE}/photos")
class Photos(MethodView):
    @blp.arguments(ReviewPhotoIn, location="files")
    @blp.response(201, ReviewPhotoOut)
    def post(self, files, merchant_id):
        """Upload a photo for a review (a buyer; JPEG, PNG, GIF or WebP, ≤ 10 MB)."""
        require_user()
        return store_media(merchant_id, files["file"].stream, folder="reviews", kinds=("image",))


@blp.route(BASE)
class Reviews(MethodView):
    @blp.arguments(ReviewIn)
    @blp.response(201, OwnReviewOut)
    def post(self, data, merchant_id):
        """Review one line of your received order (once per line)."""
        user = require_user()
        return render([service.create(merchant_id, user.id, data)])[0]


@blp.route(f"{BASE}/mine")
class MyReviews(MethodView):
    @blp.response(200, OwnReviewOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """Your reviews at this store, newest first (hidden ones too, with the reason)."""
        user = require_user()
        query = (
            Review.select()
            .where((Review.merchant_id == merchant_id) & (Review.buyer_id == user.id))
            .order_by(Review.id.desc())
        )
        return Rendered(query, render)


@blp.route(f"{BASE}/awaiting")
class Awaiting(MethodView):
    @blp.response(200, AwaitingReviewOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """Your received lines at this store that await a review (newest order first)."""
        user = require_user()
        return Rendered(
            service.awaiting(merchant_id, user.id),
            lambda lines: service.awaiting_view(merchant_id, lines),
        )


@blp.route(f"{BASE}/<int:review_id>/follow-up")
class FollowUp(MethodView):
    @blp.arguments(ReviewFollowUpIn)
    @blp.response(200, OwnReviewOut)
    def post(self, data, merchant_id, review_id):
        """Add your one follow-up (追评) to your review."""
        user = require_user()
        return render([service.follow_up(merchant_id, user.id, review_id, data)])[0]


@blp.route(f"{BASE}/products/<int:product_id>")
class ProductReviews(MethodView):
    @blp.doc(security=[])
    @blp.arguments(ProductReviewsArgs, location="query")
    @blp.response(200, ReviewOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id, product_id):
        """A product's visible reviews, newest first; filter by photos or rating."""
        where = (
            (Review.merchant_id == merchant_id)
            & (Review.product_id == product_id)
            & (Review.status == VISIBLE)
        )
        if args["with_photos"]:
            where &= Review.has_photos == True  # noqa: E712
        if args["rating"] is not None:
            where &= Review.rating == args["rating"]
        query = Review.select().where(where).order_by(Review.created_at.desc(), Review.id.desc())
        return Rendered(query, render)


@blp.route(f"{BASE}/products/<int:product_id>/summary")
class ProductSummary(MethodView):
    @blp.doc(security=[])
    @blp.response(200, ReviewSummaryOut)
    def get(self, merchant_id, product_id):
        """A product's rating summary: count, average, distribution, with photos, tags."""
        return service.summary(product_id)


@blp.route(f"{BASE}/manage")
class StoreReviews(MethodView):
    @blp.arguments(StoreReviewsArgs, location="query")
    @blp.response(200, OwnReviewOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id):
        """Every review of the store for its staff, newest first, with filters."""
        staff_of(merchant_id, *STAFF)
        where = Review.merchant_id == merchant_id
        for name in ("status", "product_id", "rating"):
            if args[name] is not None:
                where &= getattr(Review, name) == args[name]
        if args["replied"] is not None:
            where &= Review.replied_at.is_null(not args["replied"])
        return Rendered(Review.select().where(where).order_by(Review.id.desc()), render)


@blp.route(f"{BASE}/stats")
class Stats(MethodView):
    @blp.response(200, ReviewStatsOut)
    def get(self, merchant_id):
        """The store's review statistics (staff)."""
        staff_of(merchant_id, *STAFF)
        return service.store_stats(merchant_id)


@blp.route(f"{BASE}/<int:review_id>/reply")
class Reply(MethodView):
    @blp.arguments(ReviewReplyIn)
    @blp.response(200, OwnReviewOut)
    def post(self, data, merchant_id, review_id):
        """The store's one reply (staff)."""
        staff = staff_of(merchant_id, *STAFF)
        return render([service.reply(merchant_id, review_id, data["text"], staff.id)])[0]


@blp.route(f"{BASE}/<int:review_id>/hide")
class Hide(MethodView):
    @blp.arguments(ReviewHideIn)
    @blp.response(200, OwnReviewOut)
    def post(self, data, merchant_id, review_id):
        """Hide a review from the storefront, with a reason (owner or manager)."""
        staff = staff_of(merchant_id, "owner", "manager")
        hidden = service.moderate(merchant_id, review_id, HIDDEN, data["reason"], actor_id=staff.id)
        return render([hidden])[0]


@blp.route(f"{BASE}/<int:review_id>/show")
class Show(MethodView):
    @blp.response(200, OwnReviewOut)
    def post(self, merchant_id, review_id):
        """Show a hidden review again (owner or manager)."""
        staff = staff_of(merchant_id, "owner", "manager")
        return render([service.moderate(merchant_id, review_id, VISIBLE, actor_id=staff.id)])[0]
