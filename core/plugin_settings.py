"""Per-merchant plugin settings: the enable / disable / configure service that owns the
``merchant_plugin`` rows (stored by :mod:`mallkit.core.plugin_store`).

Enabling checks the required plugins are enabled, validates the config with the plugin's
marshmallow schema, encrypts secret fields (Fernet, key derived from the app secret) and bumps
the merchant's ``plugin_settings_version`` so every process rebuilds its cached view.
Disabling keeps the plugin's data and its config.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import marshmallow as ma

from mallkit.core import audit
from mallkit.core.db import transaction, utcnow
from mallkit.core.errors import Conflict, NotFound, PluginError, ValidationError
from mallkit.core.plugin_store import (
    MASK,
    MerchantPlugin,
    bump_settings_version,
    decrypt_secrets,
    encrypt_secrets,
    mask_secrets,
)
from mallkit.core.plugins import PluginHost, forget_merchant_plugins, get_host

if TYPE_CHECKING:
    from mallkit.core.accounts.merchants.models import Merchant


def settings_for(merchant: Merchant) -> list[dict[str, Any]]:
    """Every installed plugin with its state for the merchant (secrets masked)."""
    host = get_host()
    rows = {
        r.plugin: r for r in MerchantPlugin.select().where(MerchantPlugin.merchant == merchant.id)
    }
    out = []
    for name in sorted(host.plugins):
        loaded = host.plugins[name]
        row = rows.get(name)
        enabled = loaded.meta.level == "platform" or bool(row and row.enabled)
        config = row.config if row else {}
        out.append(
            {
                **loaded.to_dict(),
                "enabled": enabled,
                "config": mask_secrets(config or {}, loaded.meta.secret_fields()),
            }
        )
    return out


def setting_for(merchant: Merchant, plugin: str) -> dict[str, Any]:
    for item in settings_for(merchant):
        if item["name"] == plugin:
            return item
    raise NotFound(f"plugin {plugin!r} is not installed", code="plugin_not_installed")


# -- changing --------------------------------------------------------------------------------


def _installed(host: PluginHost, plugin: str):
    loaded = host.plugins.get(plugin)
    if loaded is None:
        raise NotFound(f"plugin {plugin!r} is not installed", code="plugin_not_installed")
    if loaded.meta.level == "platform":
        raise PluginError(
            f"plugin {plugin!r} is platform-level: it is on for every merchant",
            code="plugin_platform_level",
        )
    return loaded


def _load_config(
    loaded, merchant: Merchant, raw: dict[str, Any] | None, previous: dict[str, Any]
) -> dict[str, Any]:
    """Validate ``raw`` with the plugin's schema; a masked secret keeps its previous value."""
    raw = dict(raw or {})
    secret = loaded.meta.secret_fields()
    for name in secret:
        if raw.get(name) == MASK and name in previous:
            raw[name] = previous[name]
    schema_cls = loaded.meta.config_schema
    if schema_cls is None:
        if raw:
            raise ValidationError(
                f"plugin {loaded.meta.name!r} takes no configuration",
                errors={k: ["Unknown field."] for k in raw},
            )
        return {}
    try:
        return schema_cls().load(raw)
    except ma.ValidationError as exc:
        raise ValidationError(
            f"invalid configuration for plugin {loaded.meta.name!r}",
            code="invalid_plugin_config",
            errors=exc.normalized_messages(),
        ) from exc


def _bump(merchant: Merchant) -> None:
    bump_settings_version(merchant.id)
    forget_merchant_plugins(merchant.id)


def enable(
    merchant: Merchant, plugin: str, config: dict[str, Any] | None = None, *, actor_id=None
) -> dict[str, Any]:
    """Enable ``plugin`` for ``merchant`` with ``config`` (or its saved config when None)."""
    host = get_host()
    loaded = _installed(host, plugin)
    with transaction():
        current = host.for_merchant(merchant.id)
        missing = [
            d
            for d in loaded.meta.requires
            if d not in current.enabled and host.plugins[d].meta.level != "platform"
        ]
        if missing:
            raise PluginError(
                f"plugin {plugin!r} requires {', '.join(repr(m) for m in missing)} "
                "to be enabled first",
                code="plugin_requires",
                errors={"requires": missing},
            )
        row = MerchantPlugin.get_or_none(merchant=merchant.id, plugin=plugin)
        secret = loaded.meta.secret_fields()
        previous = decrypt_secrets(row.config or {}, secret) if row else {}
        clean = _load_config(loaded, merchant, previous if config is None else config, previous)
        get_host().hook.validate_plugin_config(merchant=merchant, plugin=plugin, config=clean)
        stored = encrypt_secrets(clean, secret)
        before = mask_secrets(row.config, secret) if row else None
        if row is None:
            row = MerchantPlugin.create(
                merchant=merchant.id,
                plugin=plugin,
                enabled=True,
                config=stored,
                version=loaded.meta.version,
            )
        else:
            MerchantPlugin.update(
                enabled=True, config=stored, version=loaded.meta.version, updated_at=utcnow()
            ).where(MerchantPlugin.id == row.id).execute()
        _bump(merchant)
        audit.record(
            "plugin.enable",
            actor_id=actor_id,
            merchant_id=merchant.id,
            target_type="plugin",
            target_id=plugin,
            before=before,
            after=mask_secrets(clean, secret),
        )
        view = host.for_merchant(merchant.id)
        view.hook.on_plugin_enabled(merchant=merchant, plugin=plugin, config=clean)
    return setting_for(merchant, plugin)


def configure(
    merchant: Merchant, plugin: str, config: dict[str, Any], *, actor_id=None
) -> dict[str, Any]:
    """Replace the config of a plugin the merchant has enabled."""
    host = get_host()
    loaded = _installed(host, plugin)
    row = MerchantPlugin.get_or_none(merchant=merchant.id, plugin=plugin)
    if row is None or not row.enabled:
        raise Conflict(
            f"plugin {plugin!r} is not enabled for this merchant", code="plugin_not_enabled"
        )
    with transaction():
        secret = loaded.meta.secret_fields()
        previous = decrypt_secrets(row.config or {}, secret)
        clean = _load_config(loaded, merchant, config, previous)
        host.for_merchant(merchant.id).hook.validate_plugin_config(
            merchant=merchant, plugin=plugin, config=clean
        )
        MerchantPlugin.update(config=encrypt_secrets(clean, secret), updated_at=utcnow()).where(
            MerchantPlugin.id == row.id
        ).execute()
        _bump(merchant)
        audit.record(
            "plugin.configure",
            actor_id=actor_id,
            merchant_id=merchant.id,
            target_type="plugin",
            target_id=plugin,
            before=mask_secrets(row.config or {}, secret),
            after=mask_secrets(clean, secret),
        )
    return setting_for(merchant, plugin)


def disable(merchant: Merchant, plugin: str, *, actor_id=None) -> dict[str, Any]:
    """Disable ``plugin`` for ``merchant``; refused while an enabled plugin requires it."""
    host = get_host()
    _installed(host, plugin)
    with transaction():
        current = host.for_merchant(merchant.id)
        if plugin not in current.enabled:
            return setting_for(merchant, plugin)
        dependents = sorted(n for n in current.enabled if plugin in host.plugins[n].meta.requires)
        if dependents:
            raise Conflict(
                f"plugin {plugin!r} is required by {', '.join(map(repr, dependents))}",
                code="plugin_required_by",
                errors={"required_by": dependents},
            )
        current.hook.on_plugin_disabled(merchant=merchant, plugin=plugin)
        MerchantPlugin.update(enabled=False, updated_at=utcnow()).where(
            (MerchantPlugin.merchant == merchant.id) & (MerchantPlugin.plugin == plugin)
        ).execute()
        _bump(merchant)
        audit.record(
            "plugin.disable",
            actor_id=actor_id,
            merchant_id=merchant.id,
            target_type="plugin",
            target_id=plugin,
        )
    return setting_for(merchant, plugin)
