"""Message templates: the built-in wording of every event per channel and locale, a store's
own (``Template`` rows), and rendering in a sandboxed Jinja2 environment.

A template is a ``subject`` (e-mail subject, inbox title; empty for SMS) and a ``body``. Both
are Jinja2 rendered by :class:`jinja2.sandbox.SandboxedEnvironment`, so a merchant's template
can read the values it is given (``{{ order.number }}``) but cannot reach Python internals
(``{{ ''.__class__ }}`` is refused), and ``StrictUndefined`` turns a misspelt name into an
error the editor sees at save time instead of an empty hole in a sent message. Output is plain
text — e-mail goes out as ``text/plain`` and the inbox is shown as text — so nothing is
HTML-escaped here; front-ends escape it when they display it.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Iterator
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from mallkit.core.plugin_api import ValidationError

LOCALES = ("zh-CN", "en")
LOCALES_ZH = {"zh-CN": "简体中文", "en": "英文"}
LOCALES_EN = {"zh-CN": "Chinese (Simplified)", "en": "English"}
MAX_BODY = 4000

MAX_RANGE = 100  # a message lists a few lines, never thousands
# Loop passes one rendering may make, all its loops together (nested ones multiply: three
# loops of 100 are 10⁶ passes, a worker's seconds; over a 4,000-character string, hours).
MAX_PASSES = 2000


class _Sandbox(SandboxedEnvironment):
    """The sandbox, also refusing arithmetic that can keep a worker busy or fill its memory:
    ``**`` (``9 ** 9 ** 9``), repeating text or a list beyond a message's length, ``range``
    beyond :data:`MAX_RANGE`, and loops making more than :data:`MAX_PASSES` passes in all
    (each ``{% for %}`` iterates through :func:`_counted`)."""

    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            raise SecurityError("** is not available in templates")
        sized = [x for x in (left, right) if isinstance(x, (str, list, tuple))]
        if operator == "*" and sized:
            count = right if sized[0] is left else left
            if isinstance(count, int) and len(sized[0]) * count > MAX_BODY:
                raise SecurityError(f"repeated beyond {MAX_BODY} characters")
        return super().call_binop(context, operator, left, right)


def _range(*args: int) -> range:
    found = range(*args)
    if len(found) > MAX_RANGE:
        raise SecurityError(f"range() gives at most {MAX_RANGE} items in templates")
    return found


_passes: contextvars.ContextVar[list[int]] = contextvars.ContextVar("template_passes")


def _counted(iterable: Any) -> Iterator[Any]:
    """What every ``{% for %}`` of a template iterates: the loop's own items, each pass
    counted against the rendering's :data:`MAX_PASSES`."""
    left = _passes.get()
    for item in iterable:
        left[0] -= 1
        if left[0] < 0:
            raise SecurityError(f"the loops make more than {MAX_PASSES} passes")
        yield item


_COUNTED = "__mallkit_counted"  # not a name a template can write (names with __ are refused)


def _with_counted_loops(tree: nodes.Template) -> nodes.Template:
    for loop in tree.find_all(nodes.For):
        if loop.recursive:  # loop(...) would iterate past the count, and recurse without end
            raise SecurityError("recursive loops are not available in templates")
        loop.iter = nodes.Call(nodes.Name(_COUNTED, "load"), [loop.iter], [], None, None)
    return tree


_env = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=False)
_env.globals["range"] = _range
_env.globals[_COUNTED] = _counted
_env.filters["yuan"] = lambda fen: f"{int(fen) // 100}.{int(fen) % 100:02d}"

# event -> channel -> locale -> (subject, body)
DEFAULTS: dict[str, dict[str, dict[str, tuple[str, str]]]] = {
    "order_placed": {
        "inbox": {
            "zh-CN": (
                "订单已提交",
                "订单 {{ order.number }} 已提交，应付 ¥{{ order.total|yuan }}。",
            ),
            "en": (
                "Order placed",
                "Order {{ order.number }} placed: ¥{{ order.total|yuan }} to pay.",
            ),
        },
        "email": {
            "zh-CN": (
                "【{{ store.name }}】订单 {{ order.number }} 已提交",
                "{{ buyer.name }}，您好：\n\n您在{{ store.name }}的订单 {{ order.number }} 已提交，"
                "应付 ¥{{ order.total|yuan }}。请尽快完成支付。",
            ),
            "en": (
                "[{{ store.name }}] Order {{ order.number }} placed",
                "Hello {{ buyer.name }},\n\nYour order {{ order.number }} at {{ store.name }} "
                "was placed: ¥{{ order.total|yuan }} to pay.",
            ),
        },
    },
    "order_unpaid_reminder": {
        "inbox": {
            "zh-CN": (
                "订单即将取消",
                "订单 {{ order.number }} 将在 {{ minutes }} 分钟后自动取消，请尽快支付。",
            ),
            "en": (
                "Pay soon",
                "Order {{ order.number }} is cancelled in {{ minutes }} minutes unless paid.",
            ),
        },
        "sms": {
            "zh-CN": (
                "",
                "【{{ store.name }}】您的订单{{ order.number }}将在{{ minutes }}分钟后自动取消，请尽快支付。",
            ),
            "en": (
                "",
                "[{{ store.name }}] Order {{ order.number }} is cancelled in {{ minutes }} min unless paid.",
            ),
        },
    },
    "order_paid": {
        "inbox": {
            "zh-CN": (
                "支付成功",
                "订单 {{ order.number }} 已支付 ¥{{ order.paid_amount|yuan }}，我们会尽快发货。",
            ),
            "en": (
                "Payment received",
                "Order {{ order.number }}: ¥{{ order.paid_amount|yuan }} paid. We ship soon.",
            ),
        },
        "email": {
            "zh-CN": (
                "【{{ store.name }}】订单 {{ order.number }} 支付成功",
                "{{ buyer.name }}，您好：\n\n订单 {{ order.number }} 已支付 ¥{{ order.paid_amount|yuan }}。",
            ),
            "en": (
                "[{{ store.name }}] Payment for {{ order.number }} received",
                "Hello {{ buyer.name }},\n\nWe received ¥{{ order.paid_amount|yuan }} for order "
                "{{ order.number }}.",
            ),
        },
    },
    "order_shipped": {
        "inbox": {
            "zh-CN": ("订单已发货", "订单 {{ order.number }} 已发货。"),
            "en": ("Shipped", "Order {{ order.number }} is on its way."),
        },
        "email": {
            "zh-CN": (
                "【{{ store.name }}】订单 {{ order.number }} 已发货",
                "订单 {{ order.number }} 已发货，请留意查收。",
            ),
            "en": (
                "[{{ store.name }}] Order {{ order.number }} shipped",
                "Order {{ order.number }} is on its way.",
            ),
        },
        "sms": {
            "zh-CN": ("", "【{{ store.name }}】您的订单{{ order.number }}已发货，请留意查收。"),
            "en": ("", "[{{ store.name }}] Order {{ order.number }} has shipped."),
        },
    },
    "order_completed": {
        "inbox": {
            "zh-CN": ("订单已签收", "订单 {{ order.number }} 已确认收货，欢迎评价。"),
            "en": ("Delivered", "Order {{ order.number }} was received. Tell us how it went."),
        },
    },
    "order_refunded": {
        "inbox": {
            "zh-CN": ("退款成功", "订单 {{ order.number }} 已退款 ¥{{ amount|yuan }}。"),
            "en": ("Refunded", "Order {{ order.number }}: ¥{{ amount|yuan }} refunded."),
        },
        "email": {
            "zh-CN": (
                "【{{ store.name }}】订单 {{ order.number }} 退款成功",
                "订单 {{ order.number }} 已退款 ¥{{ amount|yuan }}，将原路退回。",
            ),
            "en": (
                "[{{ store.name }}] Refund for {{ order.number }}",
                "¥{{ amount|yuan }} of order {{ order.number }} is on its way back to you.",
            ),
        },
        "sms": {
            "zh-CN": (
                "",
                "【{{ store.name }}】订单{{ order.number }}已退款¥{{ amount|yuan }}，将原路退回。",
            ),
            "en": (
                "",
                "[{{ store.name }}] ¥{{ amount|yuan }} of order {{ order.number }} refunded.",
            ),
        },
    },
    "low_stock": {
        "inbox": {
            "zh-CN": (
                "库存不足",
                "{{ product.name }} {{ sku.name }} 库存剩 {{ stock }}（阈值 {{ threshold }}）。",
            ),
            "en": (
                "Low stock",
                "{{ product.name }} {{ sku.name }}: {{ stock }} left (threshold {{ threshold }}).",
            ),
        },
        "email": {
            "zh-CN": (
                "【{{ store.name }}】库存不足：{{ product.name }}",
                "{{ product.name }} {{ sku.name }}（{{ sku.code }}）库存剩 {{ stock }}，低于阈值 {{ threshold }}。",
            ),
            "en": (
                "[{{ store.name }}] Low stock: {{ product.name }}",
                "{{ product.name }} {{ sku.name }} ({{ sku.code }}): {{ stock }} left, threshold {{ threshold }}.",
            ),
        },
    },
    "group_succeeded": {
        "inbox": {
            "zh-CN": ("拼团成功", "您参加的拼团已成团，订单 {{ order.number }} 将尽快发货。"),
            "en": (
                "Group complete",
                "Your group is complete; order {{ order.number }} ships soon.",
            ),
        },
        "sms": {
            "zh-CN": ("", "【{{ store.name }}】拼团成功，订单{{ order.number }}将尽快发货。"),
            "en": ("", "[{{ store.name }}] Group complete: order {{ order.number }} ships soon."),
        },
    },
    "group_failed": {
        "inbox": {
            "zh-CN": ("拼团未成功", "拼团未成团，订单 {{ order.number }} 已原路退款。"),
            "en": ("Group failed", "The group did not fill; order {{ order.number }} is refunded."),
        },
        "sms": {
            "zh-CN": ("", "【{{ store.name }}】拼团未成团，订单{{ order.number }}已原路退款。"),
            "en": (
                "",
                "[{{ store.name }}] The group did not fill; order {{ order.number }} refunded.",
            ),
        },
    },
    "bargain_finished": {
        "inbox": {
            "zh-CN": ("砍价成功", "已砍到底价 ¥{{ bargain.price|yuan }}，快去下单吧。"),
            "en": ("Bargain done", "Your bargain reached ¥{{ bargain.price|yuan }}: buy it now."),
        },
    },
    "commission_settled": {
        "inbox": {
            "zh-CN": ("佣金到账", "¥{{ amount|yuan }} 佣金已可提现。"),
            "en": ("Commission settled", "¥{{ amount|yuan }} of commission can be withdrawn now."),
        },
    },
    "aftersale_updated": {
        "inbox": {
            "zh-CN": ("售后进度", "订单 {{ order.number }} 的售后申请：{{ case.status_zh }}。"),
            "en": (
                "After-sale update",
                "Your after-sale case on order {{ order.number }}: {{ case.status_en }}.",
            ),
        },
        "email": {
            "zh-CN": (
                "【{{ store.name }}】售后进度",
                "订单 {{ order.number }} 的售后申请：{{ case.status_zh }}。",
            ),
            "en": (
                "[{{ store.name }}] After-sale update",
                "Your after-sale case on order {{ order.number }}: {{ case.status_en }}.",
            ),
        },
    },
    "chat_offline": {
        "email": {
            "zh-CN": ("【{{ store.name }}】您有 {{ unread }} 条未读消息", "{{ text }}"),
            "en": ("[{{ store.name }}] {{ unread }} unread messages", "{{ text }}"),
        },
        "sms": {
            "zh-CN": ("", "【{{ store.name }}】您有{{ unread }}条未读消息，请登录查看。"),
            "en": ("", "[{{ store.name }}] {{ unread }} unread messages are waiting for you."),
        },
    },
    "verification_code": {
        "email": {
            "zh-CN": (
                "您的验证码：{{ code }}",
                "您的验证码是 {{ code }}，{{ minutes }} 分钟内有效。如非本人操作，请忽略。",
            ),
            "en": (
                "Your code: {{ code }}",
                "Your code is {{ code }}. It works for {{ minutes }} minutes. If you did not ask for it, ignore this message.",
            ),
        },
        "sms": {
            "zh-CN": ("", "【mallkit】验证码{{ code }}，{{ minutes }}分钟内有效，请勿泄露。"),
            "en": ("", "[mallkit] Your code is {{ code }} ({{ minutes }} min). Never share it."),
        },
    },
    "campaign": {
        "inbox": {
            "zh-CN": ("{{ subject }}", "{{ body }}"),
            "en": ("{{ subject }}", "{{ body }}"),
        },
        "email": {
            "zh-CN": (
                "{{ subject }}",
                "{{ body }}\n\n不想再收到此类消息？退订：{{ unsubscribe_url }}",
            ),
            "en": ("{{ subject }}", "{{ body }}\n\nUnsubscribe: {{ unsubscribe_url }}"),
        },
        "sms": {
            "zh-CN": ("", "【{{ store.name }}】{{ body }} 退订：{{ unsubscribe_url }}"),
            "en": ("", "[{{ store.name }}] {{ body }} Unsubscribe: {{ unsubscribe_url }}"),
        },
    },
}

# A sample of what each event's templates are given, for the preview and for checking a
# template at save time.
_ORDER = {"number": "2026112700000001", "total": 19900, "paid_amount": 19900, "status": "paid"}
SAMPLES: dict[str, dict[str, Any]] = {
    "order_placed": {"order": _ORDER},
    "order_unpaid_reminder": {"order": _ORDER, "minutes": 10},
    "order_paid": {"order": _ORDER},
    "order_shipped": {"order": _ORDER},
    "order_completed": {"order": _ORDER},
    "order_refunded": {"order": _ORDER, "amount": 5000},
    "low_stock": {
        "product": {"name": "香薰蜡烛"},
        "sku": {"name": "大号", "code": "CANDLE-L"},
        "stock": 3,
        "threshold": 5,
    },
    "group_succeeded": {"order": _ORDER},
    "group_failed": {"order": _ORDER},
    "bargain_finished": {"bargain": {"price": 990, "id": 1}},
    "commission_settled": {"amount": 1250},
    "aftersale_updated": {
        "order": _ORDER,
        "case": {
            "status": "approved",
            "status_zh": "已同意",
            "status_en": "approved",
            "type": "refund",
        },
    },
    "chat_offline": {"text": "您好，请问还有货吗？", "unread": 2},
    "campaign": {
        "subject": "双十一",
        "body": "全场满 199 减 30",
        "unsubscribe_url": "https://example.com/u",
    },
}
EVENTS = tuple(DEFAULTS)
# Events a store may reword (verification codes are the platform's).
STORE_EVENTS = tuple(e for e in EVENTS if e != "verification_code")
# each event named in both languages (the console's cells), event → (中文, English)
EVENT_NAMES = {
    "order_placed": ("下单成功", "Order placed"),
    "order_unpaid_reminder": ("待付款提醒", "Payment reminder"),
    "order_paid": ("付款成功", "Order paid"),
    "order_shipped": ("发货通知", "Order shipped"),
    "order_completed": ("交易完成", "Order completed"),
    "order_refunded": ("退款通知", "Order refunded"),
    "low_stock": ("库存预警", "Low stock"),
    "group_succeeded": ("拼团成功", "Group buy succeeded"),
    "group_failed": ("拼团失败", "Group buy failed"),
    "bargain_finished": ("砍价成功", "Bargain done"),
    "commission_settled": ("佣金到账", "Commission settled"),
    "aftersale_updated": ("售后进度", "After-sale update"),
    "chat_offline": ("客服未读消息", "Unread chat messages"),
    "verification_code": ("验证码", "Verification code"),
    "campaign": ("营销消息", "Campaign"),
}


def sample(event: str, store_name: str = "示例店铺") -> dict[str, Any]:
    return {
        "store": {"name": store_name},
        "buyer": {"name": "小明"},
        **SAMPLES[event],
    }


def default(event: str, channel: str, locale: str) -> tuple[str, str] | None:
    by_locale = DEFAULTS.get(event, {}).get(channel)
    if not by_locale:
        return None
    return by_locale.get(locale) or by_locale["zh-CN"]


@functools.lru_cache(maxsize=1024)
def _compiled(source: str) -> jinja2.Template:
    """Templates compiled once per process: a fan-out renders the same few again and again.
    Every loop's iterable goes through :func:`_counted`."""
    code = _env.compile(_with_counted_loops(_env.parse(source)))
    return _env.template_class.from_code(_env, code, _env.make_globals(None), None)


def render(subject: str, body: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render one template; ``ValidationError`` (``template_error``) when it does not
    compile, uses a name it is not given, or reaches for what the sandbox refuses."""
    budget = _passes.set([MAX_PASSES])  # the subject's and the body's loops together
    try:
        return (
            _compiled(subject).render(context).strip(),
            _compiled(body).render(context).strip(),
        )
    except jinja2.TemplateSyntaxError as exc:
        raise ValidationError(
            "the template does not compile",
            code="template_error",
            errors={"body": [f"line {exc.lineno}: {exc.message}"]},
        ) from exc
    except (
        jinja2.UndefinedError,
        SecurityError,
        TypeError,
        ValueError,
        ArithmeticError,  # 1 / 0, 2.0 ** 5000
    ) as exc:
        raise ValidationError(
            "the template cannot be rendered", code="template_error", errors={"body": [str(exc)]}
        ) from exc
    finally:
        _passes.reset(budget)


def check(event: str, subject: str, body: str) -> tuple[str, str]:
    """Render a template against the event's sample: what a preview shows, and the check a
    template passes before it is saved."""
    if len(body) > MAX_BODY:
        raise ValidationError("the template is too long", errors={"body": [f"At most {MAX_BODY}."]})
    return render(subject, body, sample(event))
