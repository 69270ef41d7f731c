"""mallkit-hello: a greeting per merchant.

Shows every part of a plugin: ``meta`` with a config schema (``api_token`` is a secret), a
migration folder for its own table, a blueprint made with ``plugin_blueprint`` (404 for
merchants that have not enabled it), a merchant-scoped hook and a page in the web console
(``register_console_pages`` with its own small component, ``console/greeting.js``).
"""

from pathlib import Path

import click
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from mallkit.core.plugin_api import (
    ConsolePage,
    MigrationSource,
    PluginMeta,
    create_app,
    merchant_plugins,
    plugin_blueprint,
)
from mallkit.hookspecs import hookimpl


class HelloConfig(Schema):
    greeting = fields.String(load_default="你好", validate=validate.Length(min=1, max=50))
    api_token = fields.String(load_default="", metadata={"secret": True})


meta = PluginMeta(
    name="hello",
    version="1.0.0",
    title="Hello",
    description="A greeting on the store profile; an example plugin.",
    mallkit=">=0.1,<1",
    config_schema=HelloConfig,
    level="merchant",
    category="example",
)

blp = plugin_blueprint("hello", __name__, description="Hello (example plugin)")


@blp.route("/merchants/<int:merchant_id>/hello")
class Hello(MethodView):
    @blp.doc(security=[])
    @blp.response(200)
    def get(self, merchant_id):
        """The merchant's greeting and how many times it was served."""
        from mallkit_hello.models import Visit

        Visit.create(merchant_id=merchant_id)
        count = Visit.select().where(Visit.merchant_id == merchant_id).count()
        greeting = merchant_plugins(merchant_id).config("hello")["greeting"]
        return {"greeting": greeting, "visits": count}


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_migrations():
    return [MigrationSource("hello", Path(__file__).parent / "migrations")]


@hookimpl
def extend_store_profile(merchant):
    return {"hello": {"greeting": merchant_plugins(merchant.id).config("hello")["greeting"]}}


@hookimpl
def register_cli_commands(cli):
    @cli.command("hello-visits")
    @click.option("--merchant", "merchant_id", type=int, required=True)
    def hello_visits(merchant_id):
        """How often the merchant's greeting was served."""
        from mallkit_hello.models import Visit

        with create_app().app_context():
            count = Visit.select().where(Visit.merchant_id == merchant_id).count()
        click.echo(f"merchant {merchant_id}: {count} visit(s)")


@hookimpl
def register_console_pages():
    return [
        ConsolePage(
            key="greeting",
            title="问候",
            title_en="Greeting",
            group="plugins",
            component="greeting.js",
            description="示例插件：店铺的问候语及其展示次数。",
            description_en="The example plugin: the store's greeting and how often it was served.",
        )
    ]
