"""Live chat tables: one conversation per buyer and store, its messages (numbered per
conversation), staff presence and canned replies."""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

# A conversation: queued (waiting for an agent) -> assigned -> closed (resolved; the buyer's
# next message routes it again).
QUEUED, ASSIGNED, CLOSED = "queued", "assigned", "closed"
# Who wrote a message.
BUYER, STAFF, SYSTEM = "buyer", "staff", "system"
KINDS = ("text", "image", "product", "order", "system")
# Staff presence.
ONLINE, AWAY, OFFLINE = "online", "away", "offline"


class Conversation(BaseModel):
    """The one conversation between a buyer and a store.

    ``last_seq`` numbers the messages; it only moves by ``last_seq + 1`` in the transaction
    that writes the message, which locks the row, so per conversation the numbers follow the
    commit order. ``buyer_read_seq`` / ``staff_read_seq`` are the read receipts of each side
    (only ever raised). ``agent_id`` is the agent it is assigned to (``None`` in the queue),
    ``last_agent_id`` the last agent who had it — routing prefers them. ``priority`` orders the
    queue (higher first; plugins answer ``livechat_queue_priority``)."""

    merchant_id = pw.IntegerField()
    buyer_id = pw.IntegerField(index=True)
    status = pw.CharField(max_length=16, default=QUEUED)
    agent_id = pw.IntegerField(null=True, index=True)
    last_agent_id = pw.IntegerField(null=True)
    priority = pw.IntegerField(default=0)
    last_seq = pw.IntegerField(default=0)
    buyer_read_seq = pw.IntegerField(default=0)
    staff_read_seq = pw.IntegerField(default=0)
    last_message_at = pw.DateTimeField(null=True)
    buyer_seen_at = pw.DateTimeField(null=True)  # heartbeat of the buyer's live connection
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "livechat_conversation"
        indexes = ((("merchant_id", "buyer_id"), True), (("merchant_id", "status"), False))


class Message(BaseModel):
    """One message. ``text`` is stored HTML-escaped; ``payload`` holds the image URL or the
    product/order card. ``client_id`` (optional, from the sender) makes a resend idempotent."""

    conversation_id = pw.IntegerField()
    merchant_id = pw.IntegerField(index=True)
    seq = pw.IntegerField()
    sender_id = pw.IntegerField(null=True)
    sender_role = pw.CharField(max_length=8)
    kind = pw.CharField(max_length=8)
    text = pw.TextField(default="")
    payload = JSONField(null=True)
    client_id = pw.CharField(max_length=64, null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "livechat_message"
        indexes = (
            (("conversation_id", "seq"), True),
            (("conversation_id", "sender_id", "client_id"), True),
        )


class Agent(BaseModel):
    """A staff member's presence in a store's chat. Online counts only while heartbeats keep
    ``seen_at`` recent (``presence_timeout`` seconds, a setting)."""

    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    status = pw.CharField(max_length=8, default=OFFLINE)
    seen_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "livechat_agent"
        indexes = ((("merchant_id", "user_id"), True),)


class CannedReply(BaseModel):
    """A ready-made answer staff pick from."""

    merchant_id = pw.IntegerField(index=True)
    title = pw.CharField(max_length=50)
    text = pw.TextField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "livechat_canned_reply"
