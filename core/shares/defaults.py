"""share_defaults: the core's share-link behaviour, written as a plugin on the public hooks
(one of :data:`mallkit.core.plugins.DEFAULT_PLUGINS`): a buyer who signs up through a live
share link is attributed to it, in the registration transaction."""

from __future__ import annotations

from mallkit.core.plugins import PluginMeta
from mallkit.core.shares import service
from mallkit.hookspecs import hookimpl

meta = PluginMeta(
    name="share_defaults",
    version="1.0.0",
    title="Share defaults",
    description="Sign-ups through a share link are attributed to it.",
    level="platform",
    category="core",
    title_zh="分享默认规则",
    description_zh="通过分享链接注册的用户归属于该链接。",
)


# tryfirst: the sign-up's attribution is recorded before other plugins react to it.
@hookimpl(tryfirst=True)
def on_user_registered(user, share_code):
    if share_code:
        service.record_signup(user, share_code)
