"""payment_alipay (work in progress)."""

from mallkit.core.plugins import PluginMeta

meta = PluginMeta(name="payment_alipay", version="0.0.1", title="Alipay", category="payment")
