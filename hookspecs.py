"""The mallkit plugin contract: every hook a plugin may implement, documented hook by hook.

Import it as ``from mallkit.hookspecs import hookimpl``. A plugin is a module with a
``meta = PluginMeta(...)`` and functions decorated with ``@hookimpl``. The types named below
(``Order``, ``Adjustment``, ``MallkitError`` ...) are importable from
``mallkit.core.plugin_api``, the only core module a plugin imports.

Vocabulary
----------
``register_*``  return lists of things the core collects once (blueprints, migrations, jobs,
                order transitions, payment channels).
``validate_*``  raise a ``MallkitError`` to veto; return ``None``.
``on_*``        react to an event; the return value is ignored. Each says whether it *vetoes*
                (it runs inside the business transaction: raising rolls the change back and
                the caller sees the error) or is *isolated* (each implementation runs on
                its own in a savepoint; an exception is logged and swallowed and the caller
                goes on, as with ``on_low_stock``; isolated hooks take no wrappers).
``propose_*``   pricing proposals: return values the core sorts and applies by kind, priority
                and stacking rules, so money never depends on registration order.
``extend_*``    return extra fields for a representation the core builds (a store profile).

Where a hook applies
--------------------
*Platform-wide* hooks are called on every installed plugin. *Merchant-scoped* hooks are called
through the merchant's plugin view (``merchant_plugins(merchant_id).hook``): a merchant-level
plugin runs only for merchants that enabled it; platform-level plugins always run.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from flask import Flask
    from flask_smorest import Blueprint

    from mallkit.core.accounts.merchants.models import Merchant
    from mallkit.core.accounts.models import User
    from mallkit.core.catalog.allocation import Allocation, StockReference
    from mallkit.core.catalog.models import Product, Sku
    from mallkit.core.checkout.proposals import (
        Adjustment,
        CheckoutLine,
        CheckoutOrder,
        PriceCandidate,
        PricingContext,
        ShippingQuote,
    )
    from mallkit.core.console import ConsolePage
    from mallkit.core.orders.machine import Actor, OrderTransition
    from mallkit.core.orders.models import Order
    from mallkit.core.payments.channel import PaymentChannel
    from mallkit.core.payments.models import Refund
    from mallkit.core.plugins import MigrationSource
    from mallkit.core.shares.models import ShareLink
    from mallkit.core.tasks.queue import JobHandler

PROJECT = "mallkit"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --------------------------------------------------------------------------------------------
# Registration: called once at start-up, platform-wide.
# --------------------------------------------------------------------------------------------


@hookspec
def register_hookspecs() -> list[Any]:
    """Declare hooks of your own so other plugins can build on yours.

    When: right after every installed plugin is registered, before hook names are checked.
    Returns: collects all; each item is a module or class holding ``@hookspec`` functions
    (made with ``pluggy.HookspecMarker("mallkit")``), added to the plugin manager.
    Applies: platform-wide. Example: groupbuy declares ``on_group_succeeded``.
    """


@hookspec
def register_blueprints(app: Flask) -> list[Blueprint]:
    """Give the core the flask-smorest blueprints that carry your REST routes.

    When: once, while the app is created; routes are mounted for every merchant.
    Returns: collects all; a list of ``flask_smorest.Blueprint`` (build them with
    ``plugin_blueprint`` so a merchant that has not enabled the
    plugin gets 404 from any route with ``<merchant_id>`` in its URL).
    Parameters: ``app`` — the Flask app, for reading settings.
    Applies: platform-wide.
    """


@hookspec
def register_migrations() -> list[MigrationSource]:
    """Name the folders of numbered migration scripts that create and change your tables.

    When: by ``mallkit db upgrade`` (and the test kit), which applies the core's first and
    then each plugin's in dependency order, each with its own history table.
    Returns: collects all; a list of ``MigrationSource``.
    Applies: platform-wide (tables exist whether or not a merchant enables the plugin).
    """


@hookspec
def register_cli_commands(cli: click.Group) -> None:
    """Add sub-commands to the ``mallkit`` console command.

    When: when the ``mallkit`` command starts. Returns: nothing; call ``cli.add_command``.
    Applies: platform-wide.
    """


@hookspec
def register_job_handlers() -> list[JobHandler]:
    """Handlers for durable scheduled tasks (group expiry, commission unfreeze, ...).

    When: once per app, while it is created (and again if the installed plugins change).
    Schedule the tasks with ``schedule_task``, in the transaction of the
    business change they belong to.
    Returns: collects all; ``JobHandler`` items. A ``kind`` is
    unique across the core and every plugin — prefix it with your plugin name
    (``"groupbuy.expire"``); a kind registered twice stops start-up naming both owners.
    Handler contract: a worker calls ``run(task)`` with the
    ``ScheduledTask`` (``task.payload``, ``task.merchant_id``,
    ``task.attempts``) inside the task's own transaction: its database writes commit together
    with the task becoming ``done``, and roll back if it raises — the task is then retried
    with exponential backoff, and ``failed`` after ``max_attempts``. A handler must be
    idempotent: a task whose worker died runs again, so effects outside the database (a
    gateway call) may repeat; re-check the business state first (is the order still unpaid?).
    Applies: platform-wide; the handler runs whether or not the task's merchant still has the
    plugin enabled (check ``merchant_plugins(task.merchant_id)`` when that matters).
    Recurring: ``JobHandler(kind, run, daily_at=datetime.time(3, 0))`` runs daily per merchant
    with the plugin enabled at that local time in the merchant's time zone, scheduled and
    cancelled by the core (:mod:`mallkit.core.tasks.recurring`), and only while enabled.
    """


@hookspec
def register_order_transitions() -> list[OrderTransition]:
    """Add order states and the transitions between them (group buy's ``awaiting_group``).

    When: at start-up, merged with the core state machine. Returns: collects all.
    Applies: platform-wide (the transitions exist; guards decide per merchant).
    """


@hookspec
def register_payment_channels() -> list[PaymentChannel]:
    """Payment channel objects (create, query, close, refund, parse notification, acknowledge).

    When: at start-up. Returns: collects all; each has a unique ``code``.
    Applies: platform-wide registration; a merchant can pay through a channel only when the
    plugin providing it is enabled for that merchant.
    """


# --------------------------------------------------------------------------------------------
# Plugin lifecycle: merchant-scoped.
# --------------------------------------------------------------------------------------------


@hookspec
def validate_plugin_config(merchant: Merchant, plugin: str, config: dict[str, Any]) -> None:
    """Veto a plugin configuration beyond what its marshmallow schema can check.

    When: after the schema loaded ``config`` and before it is saved, on enable and on
    configure. Raise ``ValidationError`` with field errors to refuse; nothing is written.
    Parameters: ``plugin`` — the plugin being configured (check it is yours); ``config`` —
    the loaded config with secrets in clear.
    Applies: called on the plugin being configured and on every plugin the merchant has enabled.
    """


@hookspec
def on_plugin_enabled(merchant: Merchant, plugin: str, config: dict[str, Any]) -> None:
    """React to a plugin being enabled for a merchant (seed defaults, schedule tasks).

    When: inside the enabling transaction, after the ``merchant_plugin`` row is written;
    raising rolls the enablement back. Applies: merchant-scoped, the new plugin included.
    """


@hookspec
def on_plugin_disabled(merchant: Merchant, plugin: str) -> None:
    """React to a plugin being disabled for a merchant. Its data is kept.

    When: inside the disabling transaction, before the plugin leaves the merchant's set, so
    the plugin being disabled is still called. Applies: merchant-scoped.
    """


# --------------------------------------------------------------------------------------------
# Accounts and stores.
# --------------------------------------------------------------------------------------------


@hookspec
def on_user_registered(user: User, share_code: str | None) -> None:
    """React to a buyer account being created (new-user gifts, welcome messages, binding the
    buyer to whoever shared the link).

    When: inside the registration transaction; raising refuses the registration.
    Parameters: ``share_code`` — the share link the buyer signed up through, as sent (None
    without one; it may be unknown or expired: check it with ``get_share``). The core's
    ``share_defaults`` plugin records the sign-up's attribution from it. Take only the
    parameters you need: ``def on_user_registered(user)`` keeps working.
    Applies: platform-wide (a user belongs to no merchant).
    """


@hookspec
def on_existing_account_sign_up(user: User) -> None:
    """Someone tried to register with this account's e-mail or phone. The sign-up answered
    exactly as for a new account (so it tells nobody the account exists); tell the owner out
    of band — "did you try to sign up? you already have an account; forgot your password?".

    When: after the refused sign-up, outside any transaction. Isolated: an exception is
    logged and changes nothing. Applies: platform-wide.
    """


@hookspec(firstresult=True)
def send_verification_code(
    channel: str, recipient: str, code: str, purpose: str, expires_at: dt.datetime, locale: str
) -> bool | None:
    """Deliver a one-time verification code (sign in or sign up by code, password reset).

    When: after the transaction that stored the code (only its HMAC) has committed, outside
    any transaction, in the request that asked for it. The code is never stored in clear, so
    send it now rather than queue it in the task table; a failure is logged by the core and
    the person asks again. Returns: first non-None result — ``True`` once a plugin has sent
    it; return ``None`` for channels you do not handle. Parameters: ``channel`` — ``"email"``
    or ``"sms"``; ``recipient`` — the address or phone number, normalised; ``purpose`` —
    ``"sign_in"`` or ``"reset_password"``; ``expires_at`` — UTC; ``locale`` — the asker's
    language (``zh-CN``, ``en``). Codes are transactional: send them whatever the person's
    marketing opt-outs and quiet hours. Applies: platform-wide.
    """


@hookspec
def extend_store_profile(merchant: Merchant) -> dict[str, Any] | None:
    """Add fields to a store's public profile (a membership badge, chat availability).

    When: each time ``GET /api/v1/stores/{merchant_id}`` is served.
    Returns: collects all; each dict is merged into the profile's ``extensions`` — key it by
    your plugin name (``{"hello": {...}}``); ``None`` adds nothing. Applies: merchant-scoped.
    """


@hookspec
def validate_address(address: dict[str, Any]) -> None:
    """Refuse a delivery address that does not exist (an unknown province, a city of another
    province).

    When: when a buyer saves an address book entry (the entry as it will be saved) and when a
    checkout gives an address inline. Raise ``ValidationError`` naming the wrong fields
    (``errors={"city": [...]}``); nothing is written. Check only the countries you know.
    Parameters: ``address`` — ``recipient``, ``phone``, ``country`` (ISO code, ``"CN"`` when
    empty), ``province``, ``city``, ``district``, ``detail``, ``postal_code``.
    Applies: platform-wide (an address book belongs to no store). The ``freight`` plugin
    checks mainland Chinese addresses against its region data.
    """


@hookspec(firstresult=True)
def locate_address(address: dict[str, Any]) -> dict[str, Any] | None:
    """Say where an address is: its region codes and coordinates.

    When: by plugins that price or route by region (freight rows, the nearest warehouse),
    through :func:`mallkit.core.plugin_api.locate_address`. Read only.
    Returns: first non-None result: ``{"country", "province_code", "province",
    "city_code", "city", "lng", "lat"}`` (codes as strings; ``city_code`` may be ``""``
    when only the province is known); ``None`` when you do not know the address.
    Applies: platform-wide. The ``freight`` plugin answers for mainland China.
    """


# --------------------------------------------------------------------------------------------
# Pricing: proposals the core sorts and applies in the fixed order of docs/rules.md.
# --------------------------------------------------------------------------------------------


@hookspec
def propose_unit_prices(
    merchant: Merchant, buyer: User | None, lines: list[CheckoutLine]
) -> list[PriceCandidate]:
    """Offer unit prices for cart or order lines (member price, activity price ...).

    When: every time lines are priced (cart read, checkout preview, place).
    Returns: collects all; a list of :class:`PriceCandidate`. The core keeps, per line, the
    best candidate of the highest-ranked kind; the catalog price is the fallback.
    Parameters: ``lines`` — ``{"key", "sku_id", "product_id", "quantity", "unit_price"}``.
    Applies: merchant-scoped.
    """


@hookspec
def propose_adjustments(
    merchant: Merchant, buyer: User | None, lines: list[CheckoutLine], context: PricingContext
) -> list[Adjustment]:
    """Offer order-level discounts or charges (满减, coupons, points deduction ...).

    When: after unit prices are fixed. Returns: collects all; :class:`Adjustment` items,
    usable or not (with the reason), which the core applies by kind and priority, honouring
    ``stacking``, and apportions over lines. ``context`` carries the buyer's choices
    (``coupon_ids``, ``points``) and ``preview`` (True when nothing will be written).
    Applies: merchant-scoped.
    """


@hookspec
def propose_shipping_quotes(
    merchant: Merchant,
    buyer: User | None,
    lines: list[CheckoutLine],
    address: dict[str, Any] | None,
) -> list[ShippingQuote]:
    """Quote freight for the lines to an address.

    When: at checkout preview and place. Returns: collects all; the buyer picks one by
    ``code`` (cheapest deliverable by default). A quote with ``deliverable=False`` and a
    ``reason`` naming the region makes the checkout refuse (``undeliverable``) with that
    reason when no quote is deliverable. ``delivery_days`` is shown in the preview.
    Parameters: ``buyer`` — who checks out (``None`` for an anonymous price), for perks such
    as free shipping (since API 1.3; take only the parameters you need);
    ``address`` — the delivery address (``province``, ``city``, ... as the buyer wrote them;
    :func:`locate_address` gives their region codes), ``None`` before one is chosen.
    Applies: merchant-scoped.
    """


# --------------------------------------------------------------------------------------------
# Checkout and orders.
# --------------------------------------------------------------------------------------------


@hookspec
def validate_checkout(merchant: Merchant, buyer: User, order: CheckoutOrder) -> None:
    """Refuse a checkout with a reason (limits per user, activity rules ...).

    When: at place, inside the transaction, before stock moves. Raise a ``MallkitError``
    with a code to refuse; nothing is written. Applies: merchant-scoped.
    """


@hookspec
def on_order_placed(
    merchant: Merchant, buyer: User, order: Order, lines: list[CheckoutLine]
) -> None:
    """React to an order being placed: consume the coupon it used, join the group it opens.

    When: inside the checkout transaction, after the order and its lines are written and
    before stock is taken; raising (a ``MallkitError`` with a code) refuses the whole checkout
    and nothing is written. ``order.pricing["applied"]`` lists the adjustments applied, with
    their ``source``, ``amount`` and ``data``.
    Parameters: ``order`` — the ``Order`` (pending payment);
    ``lines`` — each line's ``key``, ``sku_id``, ``quantity``, ``price_kind``, ``activity``
    and every share of money, as priced.
    Applies: merchant-scoped (the order's merchant).
    """


@hookspec
def on_shipment_created(order: Order, shipment: Any) -> None:
    """React to a parcel of the order being shipped (subscribe its tracking number).

    When: inside the shipping transaction, after the ``Shipment`` and its lines are written
    and before the order becomes ``shipped`` (a partial shipment calls it too). Vetoes:
    raising refuses the shipment and nothing is written. Call carriers after commit (schedule
    a task). Parameters: ``shipment`` — the ``Shipment`` (``id``, ``carrier``,
    ``tracking_number``, ``shipped_at``). Applies: merchant-scoped (the order's merchant).
    """


@hookspec
def validate_order_transition(order: Order, source: str, target: str, actor: Actor) -> None:
    """Guard an order state change (a group order may not ship before the group succeeds).

    When: before the compare-and-set of a transition. Raise ``Conflict`` to veto.
    Applies: merchant-scoped (the order's merchant).
    """


@hookspec
def on_order_state_changed(order: Order, source: str, target: str, actor: Actor) -> None:
    """React to an order state change (release a coupon on cancel, settle on completion).

    When: inside the transaction of the change, after the order event row is written.
    Vetoes: raising rolls the change back. ``order`` is the
    ``Order`` after the change (``order.status == target``);
    core states are ``pending_payment``, ``paid``, ``shipped``, ``completed``, ``cancelled``
    and ``closed`` (fully refunded), plus the states plugins register. ``actor`` is an
    ``Actor`` (``type``: buyer, staff, admin or system).
    Applies: the order's merchant's plugins, and — so compensations keep working — the
    plugins that were enabled for it when the order was placed (``order.plugins``), even if
    the merchant has disabled them since.
    """


@hookspec
def on_order_price_changed(order: Order, before: int, after: int, actor: Actor) -> None:
    """React to staff changing an unpaid order's total (close payments opened for the old
    amount, recompute a commission).

    When: inside the transaction of the change, after the lines carry their new shares.
    Vetoes: raising refuses the change. ``before`` and ``after`` are totals in minor units.
    Applies: merchant-scoped (the order's merchant).
    """


@hookspec
def on_order_refunded(
    order: Order, refund: Refund, lines: list[dict[str, Any]], full: bool
) -> None:
    """React to money given back for some of an order's lines (reverse points or a
    commission in proportion, return a stamp).

    When: once per refund, when the channel reports it succeeded, inside the transaction that
    records it (after the order's ``refund_status`` and, for the last refund, its ``closed``
    transition). Partial refunds call it too.
    Isolated: the money has already left; an exception is logged and rolls back only that
    plugin's writes (a savepoint per plugin) — schedule a task for work that may fail.
    Parameters: ``refund`` — the ``Refund`` (``number``,
    ``amount``); ``lines`` — ``{"order_line_id", "sku_id", "quantity", "amount"}`` per order
    line refunded; ``full`` — True when the order is now refunded in full.
    Applies: like ``on_order_state_changed``: the merchant's plugins plus those enabled when
    the order was placed.
    """


@hookspec
def order_lines_on_hold(order: Order) -> list[int] | None:
    """Name the order's lines whose money is not final yet (an open after-sale case, a
    complaint awaiting arbitration).

    When: by plugins whose settlement waits for an order to be final — a commission becoming
    withdrawable asks before it settles, and settles a line only when no plugin holds it
    (it asks again later). Called inside the caller's transaction; answer from your own
    rows without writing.
    Returns: collects all; each a list of ``OrderLine`` ids held (``None`` or ``[]`` holds
    nothing). Applies: merchant-scoped (the order's merchant's plugins as they are now).
    """


# --------------------------------------------------------------------------------------------
# Buyers: perks, segments and rewards (answered by membership and coupons; asked by others).
# --------------------------------------------------------------------------------------------


@hookspec
def buyer_perks(merchant: Merchant, buyer: User) -> dict[str, Any] | None:
    """Say what a buyer is entitled to at a store (a member level's perks).

    When: by plugins that grant something per buyer — a flash sale or group buy opening early
    for some, an order flagged for priority shipping, a chat routed to a dedicated queue.
    Returns: collects all; each a dict of the documented keys (others are ignored):
    ``level`` (a label), ``early_access_minutes`` (int, how long before everyone else the
    buyer may buy a timed activity), ``free_shipping``, ``priority_shipping`` (bools),
    ``service_queue`` (a live-chat queue name, ``""`` for the default). Combine several
    answers by taking the largest number and any true flag. ``None`` grants nothing; with
    no plugin answering (membership off) the buyer has no perks.
    Applies: merchant-scoped. Read only: no writes.
    """


@hookspec(firstresult=True)
def buyer_in_segment(merchant: Merchant, buyer: User, segment_id: int) -> bool | None:
    """Is the buyer in one of the store's buyer segments (total spend, orders, region ...)?

    When: by plugins that target a segment — a promotion for one segment only.
    Returns: first non-None result; ``None`` when no plugin knows the segment (the caller
    then treats the buyer as outside it). Applies: merchant-scoped. Read only.
    """


@hookspec(firstresult=True)
def segment_members(merchant: Merchant, segment_id: int) -> list[int] | None:
    """The user ids in one of the store's buyer segments, evaluated now.

    When: by plugins that act on a whole segment — issuing a coupon to it.
    Returns: first non-None result; ``None`` when no plugin knows the segment.
    Applies: merchant-scoped. Read only.
    """


@hookspec
def on_share_visited(share: ShareLink, visit: Any) -> None:
    """React to someone opening a share link of the store (points for the sharer).

    When: inside the transaction that records the visit (``POST /shares/{code}/visits``).
    Isolated: an exception is logged and rolls back only that plugin's writes; the visit is
    kept. Parameters: ``share`` — the ``ShareLink`` (``sharer_id``, ``kind``, ``target_id``);
    ``visit`` — the visit row (``id``, ``user_id`` for a signed-in visitor, else None, and
    ``device_id``). Visits are not deduplicated: cap what you give. Applies: merchant-scoped
    (the link's merchant).
    """


@hookspec(firstresult=True)
def grant_coupon(
    merchant: Merchant, buyer: User, template_id: int, channel: str
) -> dict[str, Any] | None:
    """Give a buyer one coupon of one of the store's coupon templates (a reward bought with
    points, a prize).

    When: by a plugin that hands out coupons it does not keep itself (membership sells
    coupons for points), inside its transaction: raising a ``MallkitError`` (the template is
    exhausted, stopped, the buyer holds as many as allowed) rolls back the caller's writes
    with it. ``channel`` names where the coupon came from (``"points"``).
    Returns: first non-None result: ``{"coupon_id", "template_id", "name"}``; ``None`` when
    no plugin keeps coupons for the store (coupons off) — the caller refuses then.
    Applies: merchant-scoped.
    """


# --------------------------------------------------------------------------------------------
# Catalog: product representation, related products, stock allocation and low stock.
# --------------------------------------------------------------------------------------------


@hookspec
def propose_related_products(merchant: Merchant, product: Product, limit: int) -> list[int]:
    """Name products related to ``product`` ("bought together", "people also viewed").

    When: each time a product's related products are served. Returns: collects all; each a
    list of product ids, most related first. The core keeps the visible ones in the order the
    lists come (newest-registered plugin first, the core's "bought together" last), without
    repeats, then fills up with the same category and brand. Applies: merchant-scoped.
    """


@hookspec
def extend_product(
    merchant: Merchant, product: Product, data: dict[str, Any]
) -> dict[str, Any] | None:
    """Add fields to a product's representation (a group-buy badge, a member price tag).

    When: each time a product is rendered for buyers or staff — the product detail, every
    card of a product list or search page, related products — after the core built ``data``.
    Returns: collects all; each dict is merged into ``data["extensions"]`` — key it by your
    plugin name (``{"groupbuy": {"badge": "2人团", "price": 990}}``); ``None`` adds nothing.
    A list page calls this once per product, so read what you need for the page with care
    (the core resolves the page's merchants' plugins in one query; your own queries are
    yours to keep bounded).
    Parameters: ``merchant`` — the product's store; ``product`` — the
    ``Product`` row; ``data`` — the representation built
    so far (read it; change nothing outside ``extensions``).
    Applies: merchant-scoped (the product's merchant).
    """


@hookspec(firstresult=True)
def allocate_stock(
    merchant: Merchant, sku: Sku, quantity: int, reference: StockReference
) -> Allocation | None:
    """Take ``quantity`` of a SKU out of stock for a document (an order line) and say where
    it came from.

    When: at checkout, inside the order's transaction, once per SKU of the order (through
    :func:`mallkit.core.catalog.stock.allocate`). The built-in default (plugin
    ``catalog_defaults``, registered ``trylast``) decrements the SKU's own stock with the
    stock service; a warehouse plugin answers first with stock taken from its warehouses
    (writing its movements through ``decrement_stock`` so the ledger stays
    whole). While only the default answers, the core decrements all lines in one batch with
    the same outcome.
    Returns: first non-None result wins; an
    ``Allocation`` (``sku_id``, ``quantity``, ``source``,
    ``movement_ids``, ``data``). Raise ``OutOfStock`` when
    the stock is not there; the whole order is refused and nothing moves. Return ``None`` to
    leave the SKU to the next allocator.
    Parameters: ``sku`` — the ``Sku``; ``quantity`` — a
    positive int (lines of the same SKU are summed); ``reference`` — the
    ``StockReference`` of the order, to write on ledger rows.
    Applies: merchant-scoped (the order's merchant).
    """


@hookspec(firstresult=True)
def release_stock(
    merchant: Merchant,
    sku: Sku,
    quantity: int,
    reference: StockReference,
    reason: str,
    actor_id: int | None,
) -> Allocation | None:
    """Put ``quantity`` of a SKU taken for a document back into stock — where it was taken
    from.

    When: when an order is cancelled after its stock was taken, or a refund restocks its
    lines, inside that transaction, once per SKU (through
    :func:`mallkit.core.catalog.stock.release`). The built-in default (``catalog_defaults``,
    ``trylast``) increments the SKU's own stock; a warehouse plugin answers first for what it
    allocated for ``reference`` (writing the SKU's movement through ``increment_stock``).
    Returns: first non-None result wins; an ``Allocation`` saying where it went back
    (``None`` leaves the SKU to the next one).
    Parameters: ``reason`` — ``"cancel"`` or ``"refund"`` (a stock ledger reason);
    ``reference`` — the ``StockReference`` the stock was allocated for; ``actor_id`` — who
    caused it (``None`` for the system).
    Applies: merchant-scoped (the order's merchant).
    """


@hookspec
def validate_stock_change(merchant: Merchant, sku_ids: list[int], reason: str) -> None:
    """Veto a change of SKUs' own stock that no allocator sees: the catalog's stock-take
    and stock adjustments by the store's staff (the product editor's stock fields included).

    When: before the change, inside its transaction, once per request with every SKU it
    touches (through :func:`mallkit.core.catalog.stock.stocktake` and
    :func:`~mallkit.core.catalog.stock.adjust`). A plugin that keeps stock somewhere of its
    own (a warehouse plugin: a SKU's stock is the sum of its warehouses) refuses SKUs it keeps,
    so their stock is changed where it is kept and never drifts from it.
    Returns: nothing; raise a mallkit error (``Conflict`` with the refused SKU ids in
    ``errors``) to refuse the whole change — nothing moves.
    Parameters: ``sku_ids`` — the SKUs' ids (the merchant's own), ascending; ``reason`` — the
    ledger reason (``"stocktake"``, ``"adjustment"``, ``"refund"`` ...).
    Applies: merchant-scoped (the SKUs' merchant).
    """


@hookspec
def on_low_stock(merchant: Merchant, sku: Sku, stock: int, threshold: int) -> None:
    """React to a SKU's stock falling to its low-stock threshold (notify the merchant).

    When: after a stock movement takes the SKU from above its threshold (its own, else the
    merchant's default) to at or below it, inside the movement's transaction, right after the
    :class:`~mallkit.core.catalog.models.LowStockAlert` row is written. Exactly once per
    crossing: further decrements below the threshold do not call it again; a restock above
    it and a new fall do. Send messages after commit (queue them) — the movement can still
    be rolled back with its order. Isolated: errors are logged and swallowed (and that
    plugin's writes rolled back to a savepoint); a failing notifier never blocks a sale.
    Returns: nothing.
    Parameters: ``sku`` — the SKU (``sku.product`` is loaded); ``stock`` — its stock after
    the movement; ``threshold`` — the threshold that was crossed.
    Applies: merchant-scoped (the SKU's merchant).
    """


# --------------------------------------------------------------------------------------------
# Messaging: buyer ↔ store conversations (the livechat plugin calls these).
# --------------------------------------------------------------------------------------------


@hookspec
def on_chat_message_offline(
    merchant: Merchant, message: dict[str, Any], recipient_id: int | None, unread: int
) -> None:
    """React to a chat message its reader is not connected to receive (notify them).

    When: inside the transaction that stores the message, when nobody on the reading side
    has a live connection: the buyer for a store's message; for a buyer's message, the
    conversation's agent when offline, or the whole store when it waits in the queue with
    no agent online. The message is kept and counted as unread either way; deliver it later
    (queue a durable task — the transaction can still roll back). Isolated: errors are
    logged and that call's writes rolled back to a savepoint; the message stands.
    Returns: nothing.
    Parameters: ``message`` — the message as the chat API shows it (``id``,
    ``conversation_id``, ``seq``, ``sender_id``, ``sender_role``, ``kind``, ``text``
    (HTML-escaped), ``payload``, ``created_at``); ``recipient_id`` — the user to notify, or
    ``None`` for the store's queue; ``unread`` — how many messages that side has not read.
    Applies: merchant-scoped (the conversation's store).
    """


@hookspec
def register_console_pages() -> list[ConsolePage]:
    """Add pages to the web console (``/console/``): menu entries with a list, its columns,
    row actions and forms — described, so the plugin ships no front-end code — or a small ES
    module of the plugin's own (``component``, served from its ``console/`` folder).

    When: when the console asks which pages to show (``GET /merchants/{id}/console``,
    ``GET /admin/console``). Returns: collects all; a list of ``ConsolePage``.
    Applies: platform-wide; the core shows a merchant-scope page only to staff of stores that
    enabled the plugin and whose role is in the page's ``roles``, and platform-scope pages
    to platform admins. The routes the page calls check permissions as always.
    """


# --------------------------------------------------------------------------------------------
# Tooling.
# --------------------------------------------------------------------------------------------


@hookspec
def extend_demo(app: Flask, merchant: Merchant, base_url: str) -> list[str] | None:
    """Make the demo store show your plugin working on one machine.

    When: by ``mallkit demo`` before it serves, after the demo rows exist and every
    merchant-level plugin that needs no configuration is on. Mount local stand-ins for
    outside services under ``/_sim/<name>`` of ``app`` (``simkit.mount``) and configure your
    plugin for ``merchant`` (``configure_plugin``); ``base_url`` is where the demo serves.
    Returns: collects all; lines for the demo banner. Applies: platform-wide.
    """
