"""Per-merchant plugin settings: the ``merchant_plugin`` rows and the enable / disable /
configure service that owns them.

Enabling checks the required plugins are enabled, validates the config with the plugin's
marshmallow schema, encrypts secret fields (Fernet, key derived from the app secret) and bumps
the merchant's ``plugin_settings_version`` so every process rebuilds its cached view.
Disabling keeps the plugin's data and its config.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import marshmallow as ma
import peewee as pw
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from mallkit.core import audit
from mallkit.core.db import BaseModel, JSONField, transaction, utcnow
from mallkit.core.errors import Conflict, NotFound, PluginError, ValidationError
from mallkit.core.merchants.models import Merchant
from mallkit.core.plugins import PluginHost, forget_merchant_plugins, get_host

MASK = "********"
_ENC_PREFIX = "fernet:"


class MerchantPlugin(BaseModel):
    """Which plugin a merchant has, with its config (secret fields encrypted)."""

    merchant = pw.ForeignKeyField(Merchant, backref="plugin_settings", on_delete="CASCADE")
    plugin = pw.CharField(max_length=64)
    enabled = pw.BooleanField(default=False)
    config = JSONField(default=dict)
    version = pw.CharField(max_length=32, default="")
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("merchant", "plugin"), True),)


# -- secrets ---------------------------------------------------------------------------------


def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"].encode()
    key = hashlib.sha256(b"mallkit plugin secrets\0" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secrets(config: dict[str, Any], secret_fields: frozenset[str]) -> dict[str, Any]:
    f = _fernet()
    out = dict(config)
    for name in secret_fields:
        value = out.get(name)
        if isinstance(value, str) and value:
            out[name] = _ENC_PREFIX + f.encrypt(value.encode()).decode()
    return out


def decrypt_secrets(config: dict[str, Any], secret_fields: frozenset[str]) -> dict[str, Any]:
    f = _fernet()
    out = dict(config)
    for name in secret_fields:
        value = out.get(name)
        if isinstance(value, str) and value.startswith(_ENC_PREFIX):
            try:
                out[name] = f.decrypt(value[len(_ENC_PREFIX) :].encode()).decode()
            except InvalidToken as exc:
                raise PluginError(
                    f"secret field {name!r} cannot be decrypted: was MALLKIT_SECRET_KEY changed?",
                    code="secret_unreadable",
                ) from exc
    return out


def mask_secrets(config: dict[str, Any], secret_fields: frozenset[str]) -> dict[str, Any]:
    return {k: (MASK if k in secret_fields and v else v) for k, v in config.items()}


# -- reading ---------------------------------------------------------------------------------


def load_merchant_plugins(
    host: PluginHost, merchant_id: int
) -> tuple[set[str], dict[str, dict[str, Any]]]:
    """Enabled plugin names and their decrypted configs (used to build the cached view)."""
    enabled: set[str] = set()
    configs: dict[str, dict[str, Any]] = {}
    rows = MerchantPlugin.select().where(
        (MerchantPlugin.merchant == merchant_id) & (MerchantPlugin.enabled == True)  # noqa: E712
    )
    for row in rows:
        loaded = host.plugins.get(row.plugin)
        if loaded is None:  # uninstalled since: its row stays, it is simply not called
            continue
        enabled.add(row.plugin)
        configs[row.plugin] = decrypt_secrets(row.config or {}, loaded.meta.secret_fields())
    return enabled, configs


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
    Merchant.update(plugin_settings_version=Merchant.plugin_settings_version + 1).where(
        Merchant.id == merchant.id
    ).execute()
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
