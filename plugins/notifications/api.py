"""Notification routes.

- A person's inbox and preferences: ``/me/notifications...`` (any signed-in user).
- A store's templates, delivery log and campaigns:
  ``/merchants/<merchant_id>/notifications/...`` (owner and manager; 404 to others and where
  the store has not enabled the plugin).
- The unsubscribe link of marketing messages: ``/notifications/unsubscribe`` (the signed
  token is the credential).
"""

from __future__ import annotations

from flask.views import MethodView

from mallkit.core.plugin_api import (
    NotFound,
    PeeweePage,
    ValidationError,
    plugin_blueprint,
    require_staff,
    require_user,
    transaction,
    utcnow,
)
from mallkit.plugins.notifications import campaigns, service, templates
from mallkit.plugins.notifications.models import CHANNELS, Campaign, Message, Template
from mallkit.plugins.notifications.schemas import (
    NotifyCampaignIn,
    NotifyCampaignOut,
    NotifyInboxItemOut,
    NotifyMarkedOut,
    NotifyMessageArgs,
    NotifyMessageOut,
    NotifyPreferencesIn,
    NotifyPreferencesOut,
    NotifyPreviewIn,
    NotifyPreviewOut,
    NotifyTemplateIn,
    NotifyTemplateOut,
    NotifyUnreadOut,
    NotifyUnsubscribedOut,
    NotifyUnsubscribeIn,
)

blp = plugin_blueprint("notifications", __name__, description="Notifications (消息通知)")
STORE = "/merchants/<int:merchant_id>/notifications"


def staff(merchant_id: int):
    return require_staff(merchant_id, "owner", "manager", not_staff=NotFound("not found"))


# -- a person's inbox and preferences --------------------------------------------------------


@blp.route("/me/notifications")
class Inbox(MethodView):
    @blp.response(200, NotifyInboxItemOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self):
        """My in-app messages, newest first."""
        return service.inbox(require_user().id)


@blp.route("/me/notifications/unread-count")
class Unread(MethodView):
    @blp.response(200, NotifyUnreadOut)
    def get(self):
        """How many of my in-app messages are unread."""
        return {"unread": service.unread(require_user().id)}


@blp.route("/me/notifications/<int:message_id>/read")
class MarkRead(MethodView):
    @blp.response(204)
    def post(self, message_id):
        """Mark one of my messages read."""
        service.mark_read(require_user().id, message_id)


@blp.route("/me/notifications/read-all")
class MarkAllRead(MethodView):
    @blp.response(200, NotifyMarkedOut)
    def post(self):
        """Mark all my messages read."""
        return {"marked": service.mark_read(require_user().id)}


@blp.route("/me/notifications/preferences")
class Preferences(MethodView):
    @blp.response(200, NotifyPreferencesOut)
    def get(self):
        """Which messages I get on which channel: ``transactional`` (orders, refunds,
        stock) and ``marketing`` (campaigns). Verification codes always come."""
        return service.preferences(require_user().id)

    @blp.arguments(NotifyPreferencesIn)
    @blp.response(200, NotifyPreferencesOut)
    def put(self, data):
        """Turn channels on or off per kind of message (the channels sent are changed)."""
        return service.set_preferences(require_user().id, data)


@blp.route("/notifications/unsubscribe")
class Unsubscribe(MethodView):
    @blp.doc(security=[])
    @blp.arguments(NotifyUnsubscribeIn, location="query")
    @blp.response(200, NotifyUnsubscribedOut)
    def get(self, args):
        """The unsubscribe link of a marketing message: no more marketing messages on any
        channel (transactional ones still come)."""
        service.unsubscribe(args["token"])
        return {"message": "you will get no more marketing messages"}

    @blp.doc(security=[])
    @blp.arguments(NotifyUnsubscribeIn, location="query")
    @blp.response(200, NotifyUnsubscribedOut)
    def post(self, args):
        """One-click unsubscribe (RFC 8058, ``List-Unsubscribe-Post``)."""
        service.unsubscribe(args["token"])
        return {"message": "you will get no more marketing messages"}


# -- a store's templates ---------------------------------------------------------------------


@blp.route(f"{STORE}/templates")
class Templates(MethodView):
    @blp.response(200, NotifyTemplateOut(many=True))
    def get(self, merchant_id):
        """Every event's wording per channel and locale: the store's own where it has one,
        else the built-in one (``custom`` false)."""
        staff(merchant_id)
        own = {
            (t.event, t.channel, t.locale): t
            for t in Template.select().where(Template.merchant_id == merchant_id)
        }
        rows = []
        for event in templates.STORE_EVENTS:
            for channel in CHANNELS:
                for locale in templates.LOCALES:
                    mine = own.get((event, channel, locale))
                    if mine is not None:
                        rows.append(
                            {
                                "event": event,
                                "channel": channel,
                                "locale": locale,
                                "subject": mine.subject,
                                "body": mine.body,
                                "enabled": mine.enabled,
                                "custom": True,
                            }
                        )
                        continue
                    built_in = templates.DEFAULTS[event].get(channel, {}).get(locale)
                    if built_in:
                        rows.append(
                            {
                                "event": event,
                                "channel": channel,
                                "locale": locale,
                                "subject": built_in[0],
                                "body": built_in[1],
                                "enabled": True,
                                "custom": False,
                            }
                        )
        return rows


def _template_key(event: str, channel: str, locale: str) -> None:
    if (
        event not in templates.STORE_EVENTS
        or channel not in CHANNELS
        or locale not in templates.LOCALES
    ):
        raise NotFound("no such template", code="template_not_found")


@blp.route(f"{STORE}/templates/<event>/<channel>/<locale>")
class StoreTemplate(MethodView):
    @blp.arguments(NotifyTemplateIn)
    @blp.response(200, NotifyTemplateOut)
    def put(self, data, merchant_id, event, channel, locale):
        """Save the store's wording of an event on a channel (checked by rendering it with a
        sample first; ``enabled`` false stops the event on that channel)."""
        staff(merchant_id)
        _template_key(event, channel, locale)
        templates.check(event, data["subject"], data["body"])
        with transaction():
            updated = (
                Template.update(**data, updated_at=utcnow())
                .where(
                    (Template.merchant_id == merchant_id)
                    & (Template.event == event)
                    & (Template.channel == channel)
                    & (Template.locale == locale)
                )
                .execute()
            )
            if not updated:
                Template.create(
                    merchant_id=merchant_id, event=event, channel=channel, locale=locale, **data
                )
        return {"event": event, "channel": channel, "locale": locale, "custom": True, **data}

    @blp.response(204)
    def delete(self, merchant_id, event, channel, locale):
        """Go back to the built-in wording."""
        staff(merchant_id)
        _template_key(event, channel, locale)
        with transaction():
            Template.delete().where(
                (Template.merchant_id == merchant_id)
                & (Template.event == event)
                & (Template.channel == channel)
                & (Template.locale == locale)
            ).execute()


@blp.route(f"{STORE}/templates/preview")
class Preview(MethodView):
    @blp.arguments(NotifyPreviewIn)
    @blp.response(200, NotifyPreviewOut)
    def post(self, data, merchant_id):
        """Render a template with the event's sample values, as the editor types."""
        staff(merchant_id)
        subject, body = templates.check(data["event"], data["subject"], data["body"])
        return {"subject": subject, "body": body, "context": templates.sample(data["event"])}


# -- the delivery log ------------------------------------------------------------------------


@blp.route(f"{STORE}/messages")
class Messages(MethodView):
    @blp.arguments(NotifyMessageArgs, location="query")
    @blp.response(200, NotifyMessageOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id):
        """The store's messages with their delivery status, newest first."""
        staff(merchant_id)
        query = Message.select().where(Message.merchant_id == merchant_id)
        for name in ("status", "event", "channel"):
            if args[name]:
                query = query.where(getattr(Message, name) == args[name])
        return query.order_by(Message.id.desc())


@blp.route(f"{STORE}/messages/<int:message_id>/redeliver")
class Redeliver(MethodView):
    @blp.response(200, NotifyMessageOut)
    def post(self, merchant_id, message_id):
        """Send a failed message again."""
        staff(merchant_id)
        return service.redeliver(merchant_id, message_id)


# -- campaigns -------------------------------------------------------------------------------


@blp.route(f"{STORE}/campaigns")
class Campaigns(MethodView):
    @blp.response(200, NotifyCampaignOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """The store's campaigns, newest first."""
        staff(merchant_id)
        return (
            Campaign.select()
            .where(Campaign.merchant_id == merchant_id)
            .order_by(Campaign.id.desc())
        )

    @blp.arguments(NotifyCampaignIn)
    @blp.response(201, NotifyCampaignOut)
    def post(self, data, merchant_id):
        """Create a campaign: ``once`` (at ``run_at``, else now), or daily ``birthday`` /
        ``winback`` ones (10:00 store time)."""
        user = staff(merchant_id)
        if data["coupon_template_id"] is not None and data["coupon_template_id"] < 1:
            raise ValidationError("no such coupon", errors={"coupon_template_id": ["Unknown."]})
        return campaigns.create(merchant_id, data, user.id)


@blp.route(f"{STORE}/campaigns/<int:campaign_id>/stop")
class StopCampaign(MethodView):
    @blp.response(200, NotifyCampaignOut)
    def post(self, merchant_id, campaign_id):
        """Stop a campaign that has not run (or a daily one)."""
        staff(merchant_id)
        return campaigns.stop(merchant_id, campaign_id)
