"""Live-chat REST routes. Every URL carries the merchant, so a store without the plugin
answers 404.

- Buyer side, ``/merchants/<id>/livechat/conversation[s/...]``: the signed-in buyer's own
  conversation with the store; anyone else's conversation answers 404.
- Staff side, ``/merchants/<id>/livechat/staff/...``: the store's staff (owner, manager or
  agent); anyone else gets 403 (``require_staff``).

The WebSocket (docs/plugins/livechat.md) is in :mod:`mallkit.plugins.livechat.ws`.
"""

from __future__ import annotations

from flask.views import MethodView

from mallkit.core.plugin_api import (
    PeeweePage,
    Rendered,
    User,
    merchant_plugins,
    plugin_blueprint,
    require_staff,
    require_user,
    store_media,
)
from mallkit.plugins.livechat import service
from mallkit.plugins.livechat.models import BUYER, STAFF, Agent, CannedReply, Conversation
from mallkit.plugins.livechat.schemas import (
    AgentOut,
    CannedReplyIn,
    CannedReplyOut,
    ConversationOut,
    HistoryArgs,
    HistoryOut,
    ImageIn,
    InboxArgs,
    MessageIn,
    MessageOut,
    PresenceIn,
    ReadIn,
    TransferIn,
)

blp = plugin_blueprint("livechat", __name__, description="Live chat (在线客服)")
BASE = "/merchants/<int:merchant_id>/livechat"
STAFF_BASE = f"{BASE}/staff"


def _names(user_ids) -> dict[int, str]:
    ids = list({i for i in user_ids if i is not None})
    return {u.id: u.name for u in User.select(User.id, User.name).where(User.id.in_(ids))}


def render_conversations(rows: list[Conversation]) -> list[dict]:
    counts = service.unread_counts(rows)
    names = _names(c.buyer_id for c in rows)
    return [
        {**service.conversation_view(c, counts[c.id]), "buyer_name": names.get(c.buyer_id, "")}
        for c in rows
    ]


def one(c: Conversation) -> dict:
    return render_conversations([c])[0]


def _send(c: Conversation, user: User, role: str, data: dict) -> dict:
    kind, text, payload = service.build_content(c, data)
    return service.message_view(
        service.send(c, user, role, kind, text, payload, client_id=data.get("client_id"))
    )


def _send_image(c: Conversation, user: User, role: str, files: dict) -> dict:
    service.check_rate(c.merchant_id, user.id)
    media = store_media(c.merchant_id, files["file"].stream, folder="livechat", kinds=("image",))
    return service.message_view(service.send(c, user, role, "image", "", media, rate_checked=True))


# -- buyer side -----------------------------------------------------------------------------


@blp.route(f"{BASE}/conversation")
class MyConversation(MethodView):
    @blp.response(200, ConversationOut)
    def post(self, merchant_id):
        """Your conversation with the store (opened on first use; the same one each time)."""
        return one(service.open_conversation(merchant_id, require_user().id))


@blp.route("/me/livechat/conversations")
class MyConversations(MethodView):
    @blp.response(200, ConversationOut(many=True))
    def get(self):
        """Your conversations with the stores that have live chat on, latest first, with
        unread counts (the badge across stores)."""
        user = require_user()
        rows = [
            c
            for c in Conversation.select()
            .where(Conversation.buyer_id == user.id)
            .order_by(Conversation.last_message_at.desc(nulls="LAST"), Conversation.id.desc())
            .limit(200)
            if merchant_plugins(c.merchant_id).is_enabled(service.PLUGIN)
        ]
        return render_conversations(rows)


@blp.route(f"{BASE}/conversations/<int:conversation_id>")
class BuyerConversation(MethodView):
    @blp.response(200, ConversationOut)
    def get(self, merchant_id, conversation_id):
        """Your conversation, with unread counts."""
        return one(service.buyer_conversation(merchant_id, require_user().id, conversation_id))


@blp.route(f"{BASE}/conversations/<int:conversation_id>/messages")
class BuyerMessages(MethodView):
    @blp.arguments(HistoryArgs, location="query")
    @blp.response(200, HistoryOut)
    def get(self, args, merchant_id, conversation_id):
        """History, newest page first (``before``/``after`` are message numbers)."""
        c = service.buyer_conversation(merchant_id, require_user().id, conversation_id)
        return service.history(c, args["before"], args["after"], args["limit"])

    @blp.arguments(MessageIn)
    @blp.response(201, MessageOut)
    def post(self, data, merchant_id, conversation_id):
        """Send text, a product card or an order card (your own order at this store)."""
        user = require_user()
        return _send(
            service.buyer_conversation(merchant_id, user.id, conversation_id), user, BUYER, data
        )


@blp.route(f"{BASE}/conversations/<int:conversation_id>/images")
class BuyerImages(MethodView):
    @blp.arguments(ImageIn, location="files")
    @blp.response(201, MessageOut)
    def post(self, files, merchant_id, conversation_id):
        """Send a photo (JPEG, PNG, GIF or WebP; the type is read from the bytes)."""
        user = require_user()
        c = service.buyer_conversation(merchant_id, user.id, conversation_id)
        return _send_image(c, user, BUYER, files)


@blp.route(f"{BASE}/conversations/<int:conversation_id>/read")
class BuyerRead(MethodView):
    @blp.arguments(ReadIn)
    @blp.response(200, ConversationOut)
    def post(self, data, merchant_id, conversation_id):
        """Mark the store's messages read up to a message number."""
        c = service.buyer_conversation(merchant_id, require_user().id, conversation_id)
        return one(service.mark_read(c, BUYER, data["up_to"]))


# -- staff side -----------------------------------------------------------------------------


@blp.route(f"{STAFF_BASE}/inbox")
class Inbox(MethodView):
    @blp.arguments(InboxArgs, location="query")
    @blp.response(200, ConversationOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id):
        """Conversations: ``assigned`` to you, the ``queue``, or ``all``; ``q`` searches."""
        user = require_staff(merchant_id)
        query = service.inbox(merchant_id, user.id, args["box"], args["q"])
        return Rendered(query, render_conversations)


@blp.route(f"{STAFF_BASE}/conversations/<int:conversation_id>")
class StaffConversation(MethodView):
    @blp.response(200, ConversationOut)
    def get(self, merchant_id, conversation_id):
        """A conversation of the store."""
        require_staff(merchant_id)
        return one(service.store_conversation(merchant_id, conversation_id))


@blp.route(f"{STAFF_BASE}/conversations/<int:conversation_id>/messages")
class StaffMessages(MethodView):
    @blp.arguments(HistoryArgs, location="query")
    @blp.response(200, HistoryOut)
    def get(self, args, merchant_id, conversation_id):
        """History of a conversation of the store."""
        require_staff(merchant_id)
        c = service.store_conversation(merchant_id, conversation_id)
        return service.history(c, args["before"], args["after"], args["limit"])

    @blp.arguments(MessageIn)
    @blp.response(201, MessageOut)
    def post(self, data, merchant_id, conversation_id):
        """Answer (text, a product card, or a card of one of this buyer's orders). Answering
        a queued conversation takes it."""
        user = require_staff(merchant_id)
        return _send(service.store_conversation(merchant_id, conversation_id), user, STAFF, data)


@blp.route(f"{STAFF_BASE}/conversations/<int:conversation_id>/images")
class StaffImages(MethodView):
    @blp.arguments(ImageIn, location="files")
    @blp.response(201, MessageOut)
    def post(self, files, merchant_id, conversation_id):
        """Send a photo."""
        user = require_staff(merchant_id)
        c = service.store_conversation(merchant_id, conversation_id)
        return _send_image(c, user, STAFF, files)


@blp.route(f"{STAFF_BASE}/conversations/<int:conversation_id>/read")
class StaffRead(MethodView):
    @blp.arguments(ReadIn)
    @blp.response(200, ConversationOut)
    def post(self, data, merchant_id, conversation_id):
        """Mark the buyer's messages read up to a message number."""
        require_staff(merchant_id)
        c = service.store_conversation(merchant_id, conversation_id)
        return one(service.mark_read(c, STAFF, data["up_to"]))


@blp.route(f"{STAFF_BASE}/conversations/<int:conversation_id>/claim")
class Claim(MethodView):
    @blp.response(200, ConversationOut)
    def post(self, merchant_id, conversation_id):
        """Take a conversation nobody has (409 with its agent when someone has)."""
        user = require_staff(merchant_id)
        return one(service.claim(service.store_conversation(merchant_id, conversation_id), user.id))


@blp.route(f"{STAFF_BASE}/conversations/<int:conversation_id>/transfer")
class Transfer(MethodView):
    @blp.arguments(TransferIn)
    @blp.response(200, ConversationOut)
    def post(self, data, merchant_id, conversation_id):
        """Hand the conversation to another agent of the store (its agent, an owner or a
        manager may)."""
        user = require_staff(merchant_id)
        c = service.store_conversation(merchant_id, conversation_id)
        if c.agent_id not in (None, user.id):
            require_staff(merchant_id, "owner", "manager")
        expected = (
            data["from_agent_id"]
            if "from_agent_id" in data and data["from_agent_id"] is not None
            else c.agent_id
        )
        return one(service.transfer(c, data["agent_id"], user, expected))


@blp.route(f"{STAFF_BASE}/conversations/<int:conversation_id>/close")
class Close(MethodView):
    @blp.response(200, ConversationOut)
    def post(self, merchant_id, conversation_id):
        """Resolve the conversation (409 when it is closed already)."""
        user = require_staff(merchant_id)
        return one(service.close(service.store_conversation(merchant_id, conversation_id), user))


@blp.route(f"{STAFF_BASE}/presence")
class Presence(MethodView):
    @blp.arguments(PresenceIn)
    @blp.response(200, AgentOut)
    def put(self, data, merchant_id):
        """Set your status (online, away, offline); sending it again is a heartbeat."""
        user = require_staff(merchant_id)
        return _agents_view([service.set_presence(merchant_id, user.id, data["status"])])[0]


@blp.route(f"{STAFF_BASE}/agents")
class Agents(MethodView):
    @blp.response(200, AgentOut(many=True))
    def get(self, merchant_id):
        """The store's agents with their status and load."""
        require_staff(merchant_id)
        rows = list(Agent.select().where(Agent.merchant_id == merchant_id).order_by(Agent.user_id))
        return _agents_view(rows)


def _agents_view(rows: list[Agent]) -> list[dict]:
    names = _names(a.user_id for a in rows)
    loads = service.agent_loads(rows[0].merchant_id) if rows else {}
    return [
        {
            "user_id": a.user_id,
            "name": names.get(a.user_id, ""),
            "status": service.effective_status(a),
            "seen_at": a.seen_at,
            "assigned": loads.get(a.user_id, 0),
        }
        for a in rows
    ]


@blp.route(f"{STAFF_BASE}/canned-replies")
class CannedReplies(MethodView):
    @blp.response(200, CannedReplyOut(many=True))
    def get(self, merchant_id):
        """The store's canned replies."""
        require_staff(merchant_id)
        return list(service.canned_replies(merchant_id))

    @blp.arguments(CannedReplyIn)
    @blp.response(201, CannedReplyOut)
    def post(self, data, merchant_id):
        """Add a canned reply (owner or manager)."""
        require_staff(merchant_id, "owner", "manager")
        return CannedReply.create(merchant_id=merchant_id, **data)


@blp.route(f"{STAFF_BASE}/canned-replies/<int:reply_id>")
class CannedReplyDetail(MethodView):
    @blp.arguments(CannedReplyIn)
    @blp.response(200, CannedReplyOut)
    def put(self, data, merchant_id, reply_id):
        """Change a canned reply (owner or manager)."""
        require_staff(merchant_id, "owner", "manager")
        reply = service.canned_reply(merchant_id, reply_id)
        CannedReply.update(**data).where(CannedReply.id == reply.id).execute()
        return service.canned_reply(merchant_id, reply_id)

    @blp.response(204)
    def delete(self, merchant_id, reply_id):
        """Delete a canned reply (owner or manager)."""
        require_staff(merchant_id, "owner", "manager")
        CannedReply.delete().where(
            CannedReply.id == service.canned_reply(merchant_id, reply_id).id
        ).execute()
