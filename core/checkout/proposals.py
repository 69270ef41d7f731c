"""The value types the pricing hooks exchange with the core.

Plugins *propose*; the core decides. A proposal carries a ``priority`` and a ``stacking``
group so the order in which money is applied never depends on plugin registration order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict


class CheckoutLine(TypedDict):
    """A line as the pricing and checkout hooks see it (a plain dict with these keys).

    ``propose_unit_prices`` gets the first five (catalog ``unit_price``) plus what the line
    carries (``activity``: ``{"type", "id", "params"}`` for a group-buy or bargain line).
    ``propose_adjustments`` and ``propose_shipping_quotes`` get the line after unit pricing:
    ``unit_price`` is then the sale unit price, with ``catalog_unit_price``, ``amount``
    (sale unit price × quantity) and ``price_kind``. ``validate_checkout`` and
    ``on_order_placed`` get the fully priced line: every share of money in minor units
    (``promotion_discount``, ``coupon_discount``, ``points_discount``, ``other_discount``,
    ``freight_share``) and ``pay_amount`` = amount − discounts + freight share.
    """

    key: str
    sku_id: int
    product_id: int
    quantity: int
    unit_price: int
    activity: NotRequired[dict[str, Any] | None]
    catalog_unit_price: NotRequired[int]
    sale_unit_price: NotRequired[int]
    amount: NotRequired[int]
    price_kind: NotRequired[str]
    price_source: NotRequired[str]
    price_label: NotRequired[str]
    is_gift: NotRequired[bool]
    promotion_discount: NotRequired[int]
    coupon_discount: NotRequired[int]
    points_discount: NotRequired[int]
    other_discount: NotRequired[int]
    freight_share: NotRequired[int]
    pay_amount: NotRequired[int]


class PricingContext(TypedDict, total=False):
    """The buyer's choices ``propose_adjustments`` reads (a plain dict; keys may be absent).

    ``coupon_ids``: the coupons the buyer picked (empty: the coupons plugin offers its best);
    ``points``: points to redeem; ``preview``: True when nothing will be written (cart,
    preview); ``address`` and ``shipping_code``: the delivery chosen; ``plugins``: the
    per-plugin options the buyer sent at checkout (``{"<plugin name>": {...}}``).
    """

    coupon_ids: list[int] | None
    points: int
    preview: bool
    address: dict[str, Any] | None
    shipping_code: str | None
    plugins: dict[str, dict[str, Any]]


class CheckoutOrder(TypedDict):
    """The order ``validate_checkout`` is asked about, before anything is written: the same
    money as the :class:`~mallkit.core.orders.models.Order` ``on_order_placed`` receives.

    ``options`` are the buyer's choices for this store: ``shipping_code``, ``coupon_ids``,
    ``points``, ``note`` and ``plugins`` (``{"<plugin name>": {...}}``, only names the store
    has enabled; validate your own entry here)."""

    merchant_id: int
    buyer_id: int
    total: int
    currency: str
    lines: list[CheckoutLine]
    address: dict[str, Any] | None
    options: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PriceCandidate:
    """A unit price a plugin offers for one line (member price, activity price, ...).

    Fields: ``line_key`` — the ``key`` of the line it prices; ``unit_price`` — minor units;
    ``source`` — who offers it (your plugin name, or ``"groupbuy:12"``); ``kind`` —
    ``"activity"`` (group buy, bargain, flash sale), ``"discount"`` (a time-limited
    discount) or ``"member"`` (a member price); ``label`` — shown to the buyer;
    ``priority`` — breaks ties; ``data`` — free for the plugin, and ``{"exclusive": True}``
    keeps promotions and coupons off the line.

    How the core picks: the best-ranked kind wins (``activity`` first; ``discount`` and
    ``member`` rank equal, so a line gets the better of the member price and a time-limited
    discount, never both); within it the lowest price, ties broken by ``priority`` (higher
    first) then ``source``. A candidate of another kind, or not below the catalog price, is
    ignored; the catalog price is the fallback.
    """

    line_key: str
    unit_price: int
    source: str
    kind: str
    label: str = ""
    priority: int = 0
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Adjustment:
    """An order-level change of money proposed for some lines (coupon, 满减, points ...).

    Fields (pass them by name): ``source`` — who proposes it (``"coupons:42"``); ``kind`` —
    its place in the fixed order ``"promotion"`` → ``"coupon"`` → ``"points"``, or
    ``"gift"``; any other kind is applied after ``points`` and its discount is stored in the
    lines' ``other_discount``; ``amount`` — negative minor units for a discount (charges are
    refused as unusable); ``label`` — shown to the buyer; ``line_keys`` — the lines it
    applies to (empty: all lines); ``priority`` — order within a kind (higher first);
    ``stacking`` — a group name: only the first usable adjustment of a group applies;
    ``usable``/``reason`` — False with a reason puts it on the "unusable offers" list;
    ``data`` — free for the plugin, and stored with the applied adjustment in
    ``order.pricing["applied"]``; ``threshold`` — minor units: usable only when the running
    amount of its lines, after the adjustments of *earlier kinds* (a coupon's lines after
    满减, not after other coupons; lines it skips as exclusive do not count), reaches it —
    0 for none. Propose a 满X减Y coupon with
    ``threshold=X`` instead of comparing X with the amounts the hook sees (those are before
    every adjustment): the core checks it while applying and turns a proposal that falls short
    into an unusable one with the reason ``"¥12.00 short"``; one that falls short does not take
    its ``stacking`` group, so the next of the group in order can apply. (Not read for
    ``kind="gift"``.)

    The core applies adjustments kind by kind, caps each at what its lines still owe (a line
    never goes below zero; promotions and coupons skip lines priced with an exclusive
    candidate) and apportions it over its lines by their running amounts, largest remainder
    first. ``kind="gift"`` (满赠, ``amount=0``, ``data={"sku_id", "product_id", "quantity"}``)
    adds a zero-price gift line instead of moving money; checkout refuses it without stock.
    """

    source: str
    kind: str
    amount: int
    label: str = ""
    line_keys: tuple[str, ...] = ()
    priority: int = 0
    stacking: str = ""
    usable: bool = True
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    threshold: int = 0


@dataclass(frozen=True, slots=True)
class ShippingQuote:
    """A way to deliver the lines with its freight in minor units.

    ``code`` is what the buyer picks (``shipping_code``); the cheapest deliverable quote is the
    default. ``deliverable=False`` with ``reason`` refuses delivery (an excluded region): the
    checkout's ``undeliverable`` error carries the reason, so name the region in it.
    ``delivery_days`` — ``(fewest, most)`` days the delivery is expected to take, shown in
    the checkout preview (``None``: no estimate; since API 1.3).
    When no plugin quotes, the core's ``checkout_defaults`` plugin offers free delivery
    (``core``/``standard``)."""

    source: str
    code: str
    label: str
    amount: int
    deliverable: bool = True
    reason: str = ""
    delivery_days: tuple[int, int] | None = None
