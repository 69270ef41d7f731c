"""Where per-merchant plugin settings are kept: the ``merchant_plugin`` table, with secret
config fields encrypted at rest (Fernet, key derived from the app secret), and the read that
builds a merchant's plugin view. The service that changes them is
:mod:`mallkit.core.plugin_settings`."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

import peewee as pw
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from mallkit.core.db import BaseModel, JSONField, database, utcnow
from mallkit.core.errors import PluginError

if TYPE_CHECKING:
    from mallkit.core.plugins import PluginHost

MASK = "********"
_ENC_PREFIX = "fernet:"


class MerchantPlugin(BaseModel):
    """Which plugin a merchant has, with its config (secret fields encrypted)."""

    # The plugin kernel sits below the merchants package, so this is the merchant's id (the
    # database keeps the foreign key with ON DELETE CASCADE from migration 0001).
    merchant = pw.IntegerField(column_name="merchant_id")
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


# Plain SQL on the merchant's row: the plugin kernel sits below the merchants package, and
# this read runs once per request (a built peewee query costs ~20x the database round trip).


def settings_version(merchant_id: int) -> int | None:
    """The merchant's ``plugin_settings_version`` (None: no such merchant) in one indexed read."""
    sql = f'SELECT plugin_settings_version FROM "merchant" WHERE id = {database.param}'
    row = database.execute_sql(sql, (merchant_id,)).fetchone()
    return None if row is None else row[0]


def bump_settings_version(merchant_id: int) -> None:
    """Move the merchant's ``plugin_settings_version`` on: every process rebuilds its view."""
    database.execute_sql(
        'UPDATE "merchant" SET plugin_settings_version = plugin_settings_version + 1 '
        f"WHERE id = {database.param}",
        (merchant_id,),
    )


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
