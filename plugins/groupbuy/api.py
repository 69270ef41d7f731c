"""Group-buy REST routes. Every URL carries the merchant, so a store without the plugin
answers 404. Staff manage activities; anyone reads open groups and a group's share page;
a member gets their share code."""

from __future__ import annotations

from flask.views import MethodView

from mallkit.core.plugin_api import (
    NotFound,
    PeeweePage,
    User,
    plugin_blueprint,
    require_staff,
    require_user,
    share_url,
    utcnow,
)
from mallkit.plugins.groupbuy import service
from mallkit.plugins.groupbuy.models import Group, GroupActivity
from mallkit.plugins.groupbuy.schemas import (
    GroupActivityIn,
    GroupActivityOut,
    GroupDetailOut,
    GroupOut,
    GroupShareDetailOut,
    GroupShareOut,
)

blp = plugin_blueprint("groupbuy", __name__, description="Group buy (拼团)")
STAFF = ("owner", "manager")


def _mask(name: str) -> str:
    return (name[:1] + "**") if name else "**"


def group_view(group: Group, names: dict[int, str] | None = None) -> dict:
    names = names if names is not None else _names([group.leader_id])
    left = max(0, int((group.expires_at - utcnow()).total_seconds())) if group.expires_at else 0
    return {
        "id": group.id,
        "activity_id": group.activity_id,
        "size": group.size,
        "joined": group.joined,
        "paid": group.paid,
        "seats_left": max(0, group.size - group.joined) if group.status == "open" else 0,
        "status": group.status,
        "simulated": group.simulated,
        "leader": _mask(names.get(group.leader_id, "")),
        "opened_at": group.opened_at,
        "expires_at": group.expires_at,
        "seconds_left": left if group.status == "open" else 0,
    }


def _names(user_ids) -> dict[int, str]:
    ids = list(set(user_ids))
    return {u.id: u.name for u in User.select(User.id, User.name).where(User.id.in_(ids))}


def group_detail(group: Group) -> dict:
    members = service.visible_members(group)
    names = _names([m.user_id for m in members] + [group.leader_id])
    activity = GroupActivity.get_by_id(group.activity_id)
    return {
        **group_view(group, names),
        "title": activity.title,
        "price": activity.prices,
        "members": [
            {
                "name": _mask(names.get(m.user_id, "")),
                "is_leader": m.is_leader,
                "status": m.status,
                "joined_at": m.created_at,
            }
            for m in members
        ],
    }


class GroupPage(PeeweePage):
    @property
    def items(self):
        groups = super().items
        names = _names([g.leader_id for g in groups])
        return [group_view(g, names) for g in groups]


@blp.route("/merchants/<int:merchant_id>/groupbuy/activities")
class Activities(MethodView):
    @blp.doc(security=[])
    @blp.response(200, GroupActivityOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """Running activities of the store (newest first)."""
        now = utcnow()
        return (
            GroupActivity.select()
            .where(
                (GroupActivity.merchant_id == merchant_id)
                & (GroupActivity.status == "active")
                & (GroupActivity.starts_at <= now)
                & (GroupActivity.ends_at > now)
            )
            .order_by(GroupActivity.id.desc())
        )

    @blp.arguments(GroupActivityIn)
    @blp.response(201, GroupActivityOut)
    def post(self, data, merchant_id):
        """Create an activity (owner or manager)."""
        require_staff(merchant_id, *STAFF)
        return service.create_activity(merchant_id, data)


@blp.route("/merchants/<int:merchant_id>/groupbuy/activities/<int:activity_id>")
class Activity(MethodView):
    @blp.doc(security=[])
    @blp.response(200, GroupActivityOut)
    def get(self, merchant_id, activity_id):
        """One activity."""
        return service.get_activity(merchant_id, activity_id)


@blp.route("/merchants/<int:merchant_id>/groupbuy/activities/<int:activity_id>/close")
class CloseActivity(MethodView):
    @blp.response(200, GroupActivityOut)
    def post(self, merchant_id, activity_id):
        """Stop new groups and joins (open groups run to their end)."""
        require_staff(merchant_id, *STAFF)
        return service.close_activity(service.get_activity(merchant_id, activity_id))


@blp.route("/merchants/<int:merchant_id>/groupbuy/activities/<int:activity_id>/groups")
class OpenGroups(MethodView):
    @blp.doc(security=[])
    @blp.response(200, GroupOut(many=True))
    @blp.paginate(GroupPage)
    def get(self, merchant_id, activity_id):
        """Groups waiting for members, with seats and seconds left, soonest to expire first."""
        return service.open_groups(service.get_activity(merchant_id, activity_id))


@blp.route("/merchants/<int:merchant_id>/groupbuy/groups/<int:group_id>")
class GroupDetail(MethodView):
    @blp.doc(security=[])
    @blp.response(200, GroupDetailOut)
    def get(self, merchant_id, group_id):
        """A group for its share page (members' names masked)."""
        return group_detail(service.get_group(merchant_id, group_id))


@blp.route("/merchants/<int:merchant_id>/groupbuy/orders/<int:order_id>/group")
class OrderGroup(MethodView):
    @blp.response(200, GroupDetailOut)
    def get(self, merchant_id, order_id):
        """The group of one of your group orders (its buyer, or the store's staff): where
        to share from after paying."""
        user = require_user()
        missing = NotFound("no group for this order", code="group_not_found")
        member = service.member_of_order(merchant_id, order_id)
        if member is None or member.user_id != user.id:
            require_staff(merchant_id, not_staff=missing)  # staff see any order's group
        if member is None:
            raise missing
        return group_detail(member.group)


@blp.route("/merchants/<int:merchant_id>/groupbuy/groups/<int:group_id>/share")
class ShareGroup(MethodView):
    @blp.response(201, GroupShareOut)
    def post(self, merchant_id, group_id):
        """Your share code and link for a group you are in (the same one each time)."""
        user = require_user()
        share = service.share_for(service.get_group(merchant_id, group_id), user.id)
        return _share_view(share)


@blp.route("/merchants/<int:merchant_id>/groupbuy/shares/<string:code>")
class ShareDetail(MethodView):
    @blp.doc(security=[])
    @blp.response(200, GroupShareDetailOut)
    def get(self, merchant_id, code):
        """What a share link opens: the group and who invited."""
        share = service.get_share(merchant_id, code)
        return {**_share_view(share), "group": group_detail(Group.get_by_id(share.target_id))}


def _share_view(share) -> dict:
    return {
        "code": share.code,
        "url": share_url(share),
        "group_id": share.target_id,
        "inviter_id": share.sharer_id,
    }
