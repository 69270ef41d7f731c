"""The public plugin API: everything a plugin may import from the core.

A plugin — built-in or third-party — imports from two modules only: ``mallkit.hookspecs``
(``hookimpl`` and the contract) and this one. Everything else under ``mallkit.core`` is
private and may change in any release; ``import-linter`` contracts in CI keep the built-in
plugins to this surface. ``__all__`` is the surface.

Versioning: the plugin API follows semantic versioning with :data:`PLUGIN_API_VERSION`. A
breaking change — removing or renaming a name below, a hook or a hook parameter, changing a
value type's fields or a verb's meaning — bumps the major version, and so does the
``mallkit`` version a plugin declares compatibility with (``PluginMeta(mallkit=">=0.2,<1")``,
checked at start-up). Additions bump the minor version. ``CHANGELOG.md`` lists every change
under "Plugin API".

Groups, each documented in ``docs/plugins.md``:

- declaring a plugin: :class:`PluginMeta`, :class:`MigrationSource`, :func:`plugin_blueprint`,
  :func:`merchant_plugins`, :func:`configure_plugin`; a store's data kept per process with
  its plugin view (:meth:`MerchantPlugins.memo`, :func:`touch_merchant_plugins`,
  :func:`forget_merchant_plugins`, since API 1.4);
- console pages (``register_console_pages``, docs/console.md): :class:`ConsolePage`,
  :class:`ConsoleColumn`, :class:`ConsoleAction`, :class:`ConsoleForm` (since API 1.3);
- value types the hooks exchange: :class:`PriceCandidate`, :class:`Adjustment`,
  :class:`ShippingQuote`, :class:`CheckoutLine`, :class:`CheckoutOrder`,
  :class:`PricingContext`, :class:`OrderTransition`, :class:`JobHandler` (durable tasks;
  with ``daily_at=datetime.time(...)`` a recurring job run daily per merchant at that local
  time, since API 1.1), :class:`Allocation`, :class:`StockReference`, :class:`Actor`;
- payment channels: :class:`PaymentChannel` and the values it returns;
  :func:`check_gateway` / :func:`ensure_gateway` (a gateway URL must be official or allowed
  by the platform, since API 1.2);
- the core's rows a plugin reads: :class:`Merchant`, :class:`User`, :class:`Product`,
  :class:`Sku`, :class:`Order`, :class:`OrderLine`, :class:`PaymentAttempt`, :class:`Refund`,
  :class:`ScheduledTask`, :class:`ShareLink`, :class:`Shipment` (a parcel, since API 1.3);
- addresses: :func:`locate_address` (an address's region codes and coordinates, from the
  ``locate_address`` hook; since API 1.3);
- catalog: :func:`category_lineage` (a category's ancestors, for scopes that include
  sub-categories), :func:`store_media` (save an uploaded image under the plugin's folder of
  the media store, since API 1.2), :func:`foreign_catalog_ids` (which ids are not the
  store's own products, SKUs or categories, since API 1.2), :func:`search_document` and
  :func:`search_query_tokens` (the catalog search's tokenizer, for a plugin that searches its
  own text the same way, since API 1.2);
- data and money: :class:`BaseModel`, :class:`JSONField`, :func:`transaction`,
  :func:`on_commit`, :func:`utcnow`, :func:`as_utc`, :func:`is_postgres`, :data:`database`,
  :func:`apportion`, :class:`Money`; :func:`delete_in_batches` (the retention purge's batch
  delete, for a plugin's own periodic purge; since API 1.4);
- signals, sent after commit (docs/hooks.md): :data:`order_placed`, :data:`order_paid`,
  :data:`order_shipped`, :data:`order_completed`, :data:`order_cancelled`,
  :data:`order_refunded`, :data:`user_registered`;
- REST: :class:`Schema`, :class:`UtcDateTime`, :class:`PeeweePage` (with :class:`Rendered`
  for pages rendered as a whole), :func:`current_user`, :func:`require_user`,
  :func:`require_staff`, :func:`require_admin`, :func:`idempotency_key` (the request's
  ``Idempotency-Key``, checked; since API 1.2);
- errors: :class:`MallkitError` and its subclasses (:class:`OutOfStock` for allocators);
- the service verbs plugins legitimately call: orders (:func:`buyer_order`,
  :func:`merchant_order`, :func:`cancel_order`, :func:`transition_order`,
  :func:`restart_auto_confirm` (the auto-confirm countdown from a delivery, since API 1.3),
  :func:`place_virtual_order`), payments
  (:func:`start_payment`, :func:`record_payment`, :func:`channel_context`,
  :func:`record_payment_log`), refunds (:func:`refund_order`; :func:`refund_lines` for
  chosen lines and quantities, since API 1.2), tasks (:func:`schedule_task`,
  :func:`cancel_task`), the audit log (:func:`record_audit`), share links
  (:func:`create_share`, :func:`get_share`, :func:`share_url`, :func:`attribute_order`,
  :func:`order_source`; docs/shares.md), the store's staff (:func:`merchant_staff`, since
  API 1.3), stock taken for and given back by a document through the ``allocate_stock`` /
  ``release_stock`` hooks (:func:`allocate_stock_lines`, :func:`release_stock_lines`, since
  API 1.3);
- REST schemas of the core a plugin's routes answer with: :class:`PaymentAttemptOut`;
- operations: :func:`count_notification_verdict` (a notification's outcome in ``/metrics``,
  since API 1.3);
- accounts, for sign-in plugins (WeChat login, since API 1.3): :func:`find_account`,
  :func:`register_user`, :func:`sign_in_verified` (a phone or e-mail proven with a one-time
  code), :func:`sign_in_answer` (the bearer token answer of ``/auth/login``) and its schema
  :class:`SignInOut`;
- tooling: :func:`create_app` (for a plugin's CLI commands), :mod:`simkit`, the
  gateway-simulator kit.
"""

from __future__ import annotations

from mallkit.core import simkit
from mallkit.core.accounts.auth import (
    current_user,
    require_admin,
    require_staff,
    require_user,
    sign_in_answer,
)
from mallkit.core.accounts.codes import sign_in as sign_in_verified
from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.accounts.merchants.service import staff_users as merchant_staff
from mallkit.core.accounts.models import User
from mallkit.core.accounts.schemas import TokenOut as SignInOut
from mallkit.core.accounts.service import find_account, locate_address
from mallkit.core.accounts.service import register as register_user
from mallkit.core.api import PeeweePage, Rendered, Schema, UtcDateTime
from mallkit.core.app import create_app
from mallkit.core.audit import record as record_audit
from mallkit.core.catalog.allocation import Allocation, StockReference
from mallkit.core.catalog.categories import lineage as category_lineage
from mallkit.core.catalog.errors import OutOfStock
from mallkit.core.catalog.media import store as store_media
from mallkit.core.catalog.models import Product, Sku
from mallkit.core.catalog.search import document as search_document
from mallkit.core.catalog.search import query_tokens as search_query_tokens
from mallkit.core.catalog.service import foreign_ids as foreign_catalog_ids
from mallkit.core.catalog.stock import allocate as allocate_stock_lines
from mallkit.core.catalog.stock import decrement as decrement_stock
from mallkit.core.catalog.stock import increment as increment_stock
from mallkit.core.catalog.stock import release as release_stock_lines
from mallkit.core.checkout.proposals import (
    Adjustment,
    CheckoutLine,
    CheckoutOrder,
    PriceCandidate,
    PricingContext,
    ShippingQuote,
)
from mallkit.core.console import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.core.db import (
    BaseModel,
    JSONField,
    Param,
    Prepared,
    as_utc,
    database,
    instance,
    is_postgres,
    on_commit,
    transaction,
    utcnow,
)
from mallkit.core.errors import (
    Conflict,
    Forbidden,
    MallkitError,
    NotFound,
    PluginError,
    RateLimited,
    Unauthorized,
    ValidationError,
)
from mallkit.core.idempotency import request_key as idempotency_key
from mallkit.core.metrics import count_notification_verdict
from mallkit.core.money import Money, apportion
from mallkit.core.orders.machine import SYSTEM, Actor, OrderTransition
from mallkit.core.orders.machine import transition as transition_order
from mallkit.core.orders.models import Order, OrderLine, Shipment
from mallkit.core.orders.service import buyer_order, merchant_order, restart_auto_confirm
from mallkit.core.orders.service import cancel as cancel_order
from mallkit.core.orders.virtual import place_virtual_order
from mallkit.core.payments.channel import (
    Acknowledgement,
    ChannelContext,
    ChannelPayment,
    ChannelRefund,
    InvalidNotification,
    Notification,
    PaymentChannel,
)
from mallkit.core.payments.gateways import check_gateway, ensure_gateway
from mallkit.core.payments.models import PaymentAttempt, Refund
from mallkit.core.payments.refunds import refund_everything as refund_order
from mallkit.core.payments.refunds import refund_lines
from mallkit.core.payments.registry import context as channel_context
from mallkit.core.payments.registry import record_log as record_payment_log
from mallkit.core.payments.schemas import AttemptOut as PaymentAttemptOut
from mallkit.core.payments.service import record_payment
from mallkit.core.payments.service import start as start_payment
from mallkit.core.plugin_settings import enable as configure_plugin
from mallkit.core.plugins import (
    MerchantPlugins,
    MigrationSource,
    PluginMeta,
    forget_merchant_plugins,
    merchant_plugins,
    plugin_blueprint,
    touch_merchant_plugins,
)
from mallkit.core.retention import delete_in_batches
from mallkit.core.shares.models import ShareLink
from mallkit.core.shares.service import (
    attribute_order,
    create_share,
    get_share,
    order_source,
    share_url,
)
from mallkit.core.signals import (
    order_cancelled,
    order_completed,
    order_paid,
    order_placed,
    order_refunded,
    order_shipped,
    user_registered,
)
from mallkit.core.tasks.queue import JobHandler, ScheduledTask
from mallkit.core.tasks.queue import cancel as cancel_task
from mallkit.core.tasks.queue import schedule as schedule_task

# 1.1: Adjustment.threshold, category_lineage, JobHandler.daily_at, share links, signals,
# on_commit
# 1.2: store_media, check_gateway, ensure_gateway, simkit.allow_gateway, idempotency_key,
# foreign_catalog_ids, search_document, search_query_tokens, place_virtual_order, refund_lines
# 1.3: see CHANGELOG.md ("Plugin API 1.3")
# 1.4: MerchantPlugins.memo, touch_merchant_plugins, forget_merchant_plugins, delete_in_batches
PLUGIN_API_VERSION = "1.4"

__all__ = [
    "PLUGIN_API_VERSION",
    # accounts, for sign-in plugins
    "SignInOut",
    "find_account",
    "register_user",
    "sign_in_answer",
    "sign_in_verified",
    # declaring a plugin
    "MigrationSource",
    "PluginMeta",
    "configure_plugin",
    "merchant_plugins",
    "MerchantPlugins",
    "touch_merchant_plugins",
    "forget_merchant_plugins",
    "plugin_blueprint",
    # console pages (register_console_pages)
    "ConsoleAction",
    "ConsoleColumn",
    "ConsoleForm",
    "ConsolePage",
    # value types the hooks exchange
    "Actor",
    "Adjustment",
    "Allocation",
    "CheckoutLine",
    "CheckoutOrder",
    "JobHandler",
    "OrderTransition",
    "PriceCandidate",
    "PricingContext",
    "SYSTEM",
    "ShippingQuote",
    "StockReference",
    # payment channels
    "Acknowledgement",
    "ChannelContext",
    "ChannelPayment",
    "ChannelRefund",
    "InvalidNotification",
    "Notification",
    "PaymentChannel",
    "check_gateway",
    "ensure_gateway",
    # the core's rows
    "Merchant",
    "Order",
    "OrderLine",
    "PaymentAttempt",
    "PaymentAttemptOut",
    "Product",
    "Refund",
    "ScheduledTask",
    "ShareLink",
    "Shipment",
    "Sku",
    "User",
    # addresses
    "locate_address",
    # catalog
    "category_lineage",
    "foreign_catalog_ids",
    "search_document",
    "search_query_tokens",
    "store_media",
    # data and money
    "BaseModel",
    "JSONField",
    "Money",
    "Param",
    "Prepared",
    "instance",
    "apportion",
    "as_utc",
    "database",
    "delete_in_batches",
    "is_postgres",
    "on_commit",
    "transaction",
    "utcnow",
    # signals, sent after commit
    "order_cancelled",
    "order_completed",
    "order_paid",
    "order_placed",
    "order_refunded",
    "order_shipped",
    "user_registered",
    # REST
    "PeeweePage",
    "Rendered",
    "Schema",
    "UtcDateTime",
    "current_user",
    "idempotency_key",
    "require_admin",
    "require_staff",
    "require_user",
    # errors
    "Conflict",
    "Forbidden",
    "MallkitError",
    "NotFound",
    "OutOfStock",
    "PluginError",
    "RateLimited",
    "Unauthorized",
    "ValidationError",
    # service verbs
    "attribute_order",
    "buyer_order",
    "decrement_stock",
    "increment_stock",
    "allocate_stock_lines",
    "release_stock_lines",
    "cancel_order",
    "cancel_task",
    "channel_context",
    "create_share",
    "get_share",
    "merchant_order",
    "merchant_staff",
    "order_source",
    "place_virtual_order",
    "record_audit",
    "record_payment",
    "record_payment_log",
    "refund_lines",
    "refund_order",
    "restart_auto_confirm",
    "schedule_task",
    "share_url",
    "start_payment",
    "transition_order",
    # operations
    "count_notification_verdict",
    # tooling
    "create_app",
    "simkit",
]
