"""A merchant-level plugin that records every hook call it receives, and can veto."""

from marshmallow import Schema, fields, validate

from mallkit.core.plugin_api import PluginMeta, ValidationError
from mallkit.hookspecs import hookimpl

CALLS: list[tuple] = []
REFUSE_USERS: set[str] = set()


class RecorderConfig(Schema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=20))
    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=100))
    webhook_secret = fields.String(load_default="", metadata={"secret": True})


meta = PluginMeta(
    name="recorder",
    version="0.3.0",
    title="Recorder",
    description="Records hook calls (tests).",
    config_schema=RecorderConfig,
)


@hookimpl
def validate_plugin_config(merchant, plugin, config):
    CALLS.append(("validate_plugin_config", merchant.id, plugin))
    if plugin == "recorder" and config["label"] == "forbidden":
        raise ValidationError("label not allowed", errors={"label": ["Not allowed."]})


@hookimpl
def on_plugin_enabled(merchant, plugin, config):
    CALLS.append(("on_plugin_enabled", merchant.id, plugin))


@hookimpl
def on_plugin_disabled(merchant, plugin):
    CALLS.append(("on_plugin_disabled", merchant.id, plugin))


@hookimpl
def extend_store_profile(merchant):
    CALLS.append(("extend_store_profile", merchant.id))
    return {"recorder": {"merchant": merchant.id}}


@hookimpl
def on_existing_account_sign_up(user):
    CALLS.append(("on_existing_account_sign_up", user.email))


@hookimpl
def on_user_registered(user):
    CALLS.append(("on_user_registered", user.email))
    if user.email in REFUSE_USERS:
        raise ValidationError("registration refused by recorder", code="refused")
