"""A platform-level plugin that binds a new buyer to whoever shared the link they signed up
through, reading the sign-up's share code from ``on_user_registered``."""

from mallkit.core.plugin_api import NotFound, PluginMeta, get_share
from mallkit.hookspecs import hookimpl

meta = PluginMeta(name="referrals", version="1.0.0", title="Referrals (tests)", level="platform")

BOUND: list = []


@hookimpl
def on_user_registered(user, share_code):
    try:
        sharer = get_share(share_code).sharer_id if share_code else None
    except NotFound:  # a stale or mistyped code never refuses a sign-up
        sharer = None
    BOUND.append((user.id, share_code, sharer))
