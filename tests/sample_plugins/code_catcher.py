"""A platform plugin that receives verification codes as a mailbox would (tests)."""

from mallkit.core.plugin_api import PluginMeta
from mallkit.hookspecs import hookimpl

meta = PluginMeta(name="code_catcher", version="1.0.0", title="Code catcher", level="platform")

SENT: list[dict] = []


@hookimpl
def send_verification_code(channel, recipient, code, purpose, expires_at, locale):
    SENT.append(
        {
            "channel": channel,
            "recipient": recipient,
            "code": code,
            "purpose": purpose,
            "locale": locale,
            "expires_at": expires_at,
        }
    )
    return True
