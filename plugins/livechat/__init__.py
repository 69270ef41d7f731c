"""livechat (在线客服): real-time buyer ↔ store conversations over WebSocket.

One conversation per buyer and store; messages are text, images (the media store), product
and order cards and system notes, numbered per conversation. History and every action are
REST; live delivery is a WebSocket (``ws.py``) fed by a broker — Redis pub/sub across
processes when ``MALLKIT_REDIS_URL`` is set, in-process otherwise (``broker.py``). Messages
are stored first and published after commit; clients catch up from the database. Staff
presence, routing (last agent, least busy, queue), transfer, canned replies, keyword and
off-hours automatic replies. See docs/plugins/livechat.md.
"""

from __future__ import annotations

from pathlib import Path

from mallkit.core.plugin_api import MigrationSource, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.livechat import demo, ws
from mallkit.plugins.livechat.api import blp
from mallkit.plugins.livechat.hookspecs import LivechatSpecs
from mallkit.plugins.livechat.schemas import LivechatConfig

meta = PluginMeta(
    name="livechat",
    version="1.0.0",
    title="Live chat (在线客服)",
    description="Real-time chat between buyers and the store's agents, across app processes.",
    mallkit=">=0.1,<1",
    config_schema=LivechatConfig,
    level="merchant",
    category="service",
    title_zh="在线客服",
    description_zh="买家与店铺客服实时聊天，支持多进程部署。",
)


@hookimpl
def register_hookspecs():
    return [LivechatSpecs]


@hookimpl
def register_migrations():
    return [MigrationSource("livechat", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    ws.init_app(app)
    return [blp]


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.extend(app, merchant, base_url)


@hookimpl
def register_console_pages():
    from mallkit.plugins.livechat.console import PAGES

    return PAGES
