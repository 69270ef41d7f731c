"""An index on ``notification_message (channel, status, created_at)``: the hourly purge
(notifications/retention.py) finds finished e-mail and SMS messages older than the retention
period through it, a batch at a time, without reading the in-app inbox it keeps."""


def up(migrator, db):
    migrator.migrate(
        migrator.add_index("notification_message", ("channel", "status", "created_at"), False)
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index(
            "notification_message", "notification_message_channel_status_created_at"
        )
    )
