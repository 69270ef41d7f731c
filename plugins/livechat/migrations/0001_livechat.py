"""Live chat tables (mallkit.plugins.livechat.models), frozen as they were when written."""

import peewee as pw


class Conversation(pw.Model):
    merchant_id = pw.IntegerField()
    buyer_id = pw.IntegerField(index=True)
    status = pw.CharField(max_length=16, default="queued")
    agent_id = pw.IntegerField(null=True, index=True)
    last_agent_id = pw.IntegerField(null=True)
    priority = pw.IntegerField(default=0)
    last_seq = pw.IntegerField(default=0)
    buyer_read_seq = pw.IntegerField(default=0)
    staff_read_seq = pw.IntegerField(default=0)
    last_message_at = pw.DateTimeField(null=True)
    buyer_seen_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "livechat_conversation"
        indexes = ((("merchant_id", "buyer_id"), True), (("merchant_id", "status"), False))


class Message(pw.Model):
    conversation_id = pw.IntegerField()
    merchant_id = pw.IntegerField(index=True)
    seq = pw.IntegerField()
    sender_id = pw.IntegerField(null=True)
    sender_role = pw.CharField(max_length=8)
    kind = pw.CharField(max_length=8)
    text = pw.TextField(default="")
    payload = pw.TextField(null=True)
    client_id = pw.CharField(max_length=64, null=True)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "livechat_message"
        indexes = (
            (("conversation_id", "seq"), True),
            (("conversation_id", "sender_id", "client_id"), True),
        )


class Agent(pw.Model):
    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    status = pw.CharField(max_length=8, default="offline")
    seen_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "livechat_agent"
        indexes = ((("merchant_id", "user_id"), True),)


class CannedReply(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    title = pw.CharField(max_length=50)
    text = pw.TextField()
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "livechat_canned_reply"


MODELS = [Conversation, Message, Agent, CannedReply]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
