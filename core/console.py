"""What the web console (``/console/``) asks the server about itself: the pages plugins add.

Plugins describe console pages with :class:`ConsolePage` (returned by the
``register_console_pages`` hook): a menu entry, a list read from one of the plugin's REST
routes with its columns, row actions, a create form — forms are the plugin's own marshmallow
input schemas converted to JSON Schema, so a plugin ships pages with no front-end code — or,
for anything else, a small ES module of its own (``component``) served from the plugin's
``console/`` folder at ``/web/plugins/<plugin>/<file>``.

The console reads the pages the caller may use from ``GET /merchants/{id}/console`` (staff:
the store's enabled plugins, filtered by the caller's role) and ``GET /admin/console``
(platform admins). The console then calls the plugin's REST routes itself, with the same
token: a page is only a description, every permission is still checked by the route.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from flask import abort, send_from_directory
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema as MaSchema
from marshmallow import fields, validate

from mallkit.core.accounts import auth
from mallkit.core.accounts.merchants.service import get_merchant
from mallkit.core.api import Schema
from mallkit.core.plugins import get_host, merchant_plugins
from mallkit.core.schema_json import json_schema

ROLES = ("owner", "manager", "agent")
COLUMN_KINDS = ("text", "money", "datetime", "date", "bool", "number", "status", "percent", "json")


@dataclass(frozen=True)
class ConsoleColumn:
    """A column of a page's list: ``field`` of each row (dotted for nested values), its
    heading in Chinese (``title``) and English (``title_en``), and how it is shown: ``text``,
    ``money`` (fen shown as yuan), ``datetime``, ``date``, ``bool``, ``number``, ``status``
    (a badge), ``percent`` (basis points shown as %), ``json``.

    ``choices`` names the codes a ``text`` or ``status`` column shows, in Chinese and English:
    ``{"home_banner": ("首页轮播", "Home banner")}``, served as ``{value: {"zh", "en"}}``; the
    console shows the name in its language (each item of a list value too), else the shared
    ``status.<value>`` text, else the code itself."""

    field: str
    title: str
    title_en: str = ""
    kind: str = "text"
    choices: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in COLUMN_KINDS:
            raise ValueError(f"console column kind must be one of {COLUMN_KINDS}")
        if self.choices and self.kind not in ("text", "status"):
            raise ValueError("console column choices name the codes of a text or status column")
        for value, names in self.choices.items():
            if not (
                isinstance(names, tuple)
                and len(names) == 2
                and all(isinstance(n, str) and n for n in names)
            ):
                raise ValueError(
                    f"console column {self.field!r}: the choice {value!r} must be named "
                    '("中文", "English")'
                )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "field": self.field,
            "title": {"zh": self.title, "en": self.title_en or self.title},
            "kind": self.kind,
        }
        if self.choices:
            out["choices"] = {str(v): {"zh": zh, "en": en} for v, (zh, en) in self.choices.items()}
        return out


@dataclass(frozen=True)
class ConsoleForm:
    """A form built from a marshmallow input schema (the one the route loads): the console
    renders each field from its JSON Schema, shows the route's field errors beside the fields
    and sends the result as JSON. ``money``: fields in fen that people type in yuan.
    ``only``: the fields to show, in order (default: all)."""

    schema: type[MaSchema]
    money: tuple[str, ...] = ()
    only: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        schema = json_schema(self.schema)
        if self.only:
            props = schema.get("properties", {})
            schema["properties"] = {k: props[k] for k in self.only if k in props}
            schema["required"] = [r for r in schema.get("required", []) if r in self.only]
        return {"schema": schema, "money": list(self.money)}


@dataclass(frozen=True)
class ConsoleAction:
    """A button: on each row of the list (``path`` has ``{id}`` or other ``{row field}``
    placeholders) or, with ``row=False``, above the list. ``form``: ask for a body first;
    ``confirm``: ask "are you sure?" first. ``when``: show it only for rows whose ``field``
    has one of the values, e.g. ``{"status": ["pending"]}``. ``prefill``: the form opens
    with the row's values (those the list answers) — a change form; with ``PATCH`` it sends
    only the fields the user changed (one emptied is sent as ``null``, or ``""`` where it is
    not nullable), so an untouched box or field never overwrites what the row has; with
    ``PUT`` or ``POST``, the whole form.
    ``reveal``: fields of the route's answer shown once after it succeeds, in a dialog to
    copy them from, as :class:`ConsoleColumn` (field and its names) — a secret the API answers
    only this once (a rotated signing key). ``show``: fields of the answer shown the same way
    but as a plain result (a template rendered for a preview).

    Most row buttons are one of three kinds, each with a shorthand: :meth:`step` (POST to
    the row's route + ``/<key>``, for rows in some states), :meth:`edit` and :meth:`delete`."""

    key: str
    title: str
    title_en: str = ""
    method: str = "POST"
    path: str = ""
    form: ConsoleForm | None = None
    confirm: bool = False
    row: bool = True
    when: dict[str, list[Any]] = field(default_factory=dict)
    prefill: bool = False
    reveal: tuple[ConsoleColumn, ...] = ()
    show: tuple[ConsoleColumn, ...] = ()

    @classmethod
    def step(
        cls,
        item: str,
        key: str,
        title: str,
        title_en: str = "",
        *,
        status: Sequence[str] = (),
        form: ConsoleForm | None = None,
        confirm: bool = False,
    ) -> ConsoleAction:
        """A step of a row's workflow, the usual row button: POST ``<item>/<key>``, where
        ``item`` is the row's own route (``/merchants/{merchant_id}/coupon-templates/{id}``),
        shown only for rows whose ``status`` is one of ``status`` (every row when empty)."""
        return cls(
            key,
            title,
            title_en,
            path=f"{item}/{key}",
            form=form,
            confirm=confirm,
            when={"status": list(status)} if status else {},
        )

    @classmethod
    def edit(cls, item: str, form: ConsoleForm, method: str = "PATCH") -> ConsoleAction:
        """修改 / Edit: ``form``, opened with the row's values, sent to the row's route ``item``:
        ``PATCH`` with the fields the user changed, or ``PUT`` with the whole form."""
        return cls("edit", "修改", "Edit", method=method, path=item, form=form, prefill=True)

    @classmethod
    def delete(cls, item: str) -> ConsoleAction:
        """删除 / Delete: ``DELETE`` the row's route ``item``, after "are you sure?"."""
        return cls("delete", "删除", "Delete", method="DELETE", path=item, confirm=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": {"zh": self.title, "en": self.title_en or self.title},
            "method": self.method,
            "path": self.path,
            "form": self.form.to_dict() if self.form else None,
            "confirm": self.confirm,
            "row": self.row,
            "when": self.when,
            "prefill": self.prefill,
            "reveal": [c.to_dict() for c in self.reveal],
            "show": [c.to_dict() for c in self.show],
        }


@dataclass(frozen=True)
class ConsolePage:
    """A page a plugin adds to the console.

    ``key``: unique within the plugin (the URL is ``/console/p/<plugin>/<key>``);
    ``title``/``title_en``: the menu entry; ``scope``: ``"merchant"`` (the store's console,
    shown when the plugin is on for the store) or ``"platform"`` (platform admins);
    ``roles``: the staff roles that see it (merchant scope; platform admins see every page);
    ``group``: the menu section (``marketing``, ``orders``, ``customers``, ``service``,
    ``finance``, ``analytics``, ``content``, ``platform``, ``plugins``); within a section a
    plugin's pages keep the order its hook returns them in.

    The page is either a list — ``path`` (a GET route answering a JSON list, paginated or
    not; ``{merchant_id}`` is filled in), ``columns``, ``filters`` (query parameters the
    list takes: a form), ``actions`` and ``create`` (a form POSTed to ``create_path``,
    default ``path``; ``create_reveal``: fields of its answer shown once, as an action's
    ``reveal``) — or a ``component``: an ES module in the plugin's ``console/`` folder
    whose default export renders the page (docs/console.md)."""

    key: str
    title: str
    title_en: str = ""
    scope: Literal["merchant", "platform"] = "merchant"
    roles: tuple[str, ...] = ROLES
    group: str = "plugins"
    path: str = ""
    columns: tuple[ConsoleColumn, ...] = ()
    filters: ConsoleForm | None = None
    actions: tuple[ConsoleAction, ...] = ()
    create: ConsoleForm | None = None
    create_path: str = ""
    create_reveal: tuple[ConsoleColumn, ...] = ()
    component: str = ""
    description: str = ""
    description_en: str = ""

    def __post_init__(self) -> None:
        if self.scope not in ("merchant", "platform"):
            raise ValueError("console page scope must be 'merchant' or 'platform'")
        if not set(self.roles) <= set(ROLES):
            raise ValueError(f"console page roles must be among {ROLES}")
        if bool(self.path) == bool(self.component):
            raise ValueError("a console page has either a list path or a component")

    def to_dict(self, plugin: str) -> dict[str, Any]:
        return {
            "plugin": plugin,
            "key": self.key,
            "id": f"{plugin}/{self.key}",
            "title": {"zh": self.title, "en": self.title_en or self.title},
            "description": {
                "zh": self.description,
                "en": self.description_en or self.description,
            },
            "scope": self.scope,
            "roles": list(self.roles),
            "group": self.group,
            "path": self.path,
            "columns": [c.to_dict() for c in self.columns],
            "filters": self.filters.to_dict() if self.filters else None,
            "actions": [a.to_dict() for a in self.actions],
            "create": self.create.to_dict() if self.create else None,
            "create_path": self.create_path or self.path,
            "create_reveal": [c.to_dict() for c in self.create_reveal],
            "component": f"/web/plugins/{plugin}/{self.component}" if self.component else "",
        }


def all_pages() -> list[tuple[str, ConsolePage]]:
    """Every installed plugin's pages, as (plugin name, page), in menu order."""
    host = get_host()
    out: list[tuple[str, ConsolePage]] = []
    for impl in host.pm.hook.register_console_pages.get_hookimpls():
        for page in impl.function() or ():
            if not isinstance(page, ConsolePage):
                raise TypeError(
                    f"plugin {impl.plugin_name!r}: register_console_pages must return "
                    "ConsolePage items"
                )
            out.append((impl.plugin_name, page))
    # by menu section and plugin; a plugin's pages keep the order its hook returned them in
    return sorted(out, key=lambda item: (item[1].group, item[0]))


def merchant_pages(merchant_id: int, role: str | None) -> list[dict[str, Any]]:
    """The merchant-scope pages of the store's enabled plugins that ``role`` may use
    (``None``: a platform admin, who sees them all)."""
    view = merchant_plugins(merchant_id)
    platform_level = {n for n, p in get_host().plugins.items() if p.meta.level == "platform"}
    return [
        page.to_dict(plugin)
        for plugin, page in all_pages()
        if page.scope == "merchant"
        and (plugin in view.enabled or plugin in platform_level)
        and (role is None or role in page.roles)
    ]


def platform_pages() -> list[dict[str, Any]]:
    return [page.to_dict(plugin) for plugin, page in all_pages() if page.scope == "platform"]


# -- REST ------------------------------------------------------------------------------------

blp = Blueprint("console", __name__, url_prefix="/api/v1", description="Web console")


class ConsoleOut(Schema):
    role = fields.String(
        metadata={"description": "The caller's staff role, or admin for a platform admin"},
        validate=validate.OneOf((*ROLES, "admin")),
    )
    pages = fields.List(
        fields.Dict(),
        metadata={"description": "Pages plugins add (register_console_pages), see docs/console.md"},
    )


@blp.route("/merchants/<int:merchant_id>/console")
class MerchantConsole(MethodView):
    @blp.response(200, ConsoleOut)
    def get(self, merchant_id):
        """The store console's plugin pages the caller may use (staff)."""
        user = auth.require_staff(merchant_id)
        get_merchant(merchant_id)
        role = None if user.is_platform_admin else auth.staff_role(user, merchant_id)
        return {"role": role or "admin", "pages": merchant_pages(merchant_id, role)}


@blp.route("/admin/console")
class PlatformConsole(MethodView):
    @blp.response(200, ConsoleOut)
    def get(self):
        """The platform console's plugin pages (platform admins)."""
        auth.require_admin()
        return {"role": "admin", "pages": platform_pages()}


def install_plugin_assets(app) -> None:
    """Serve each plugin's ``console/`` folder at ``/web/plugins/<plugin>/``: the ES modules
    of pages with a ``component``."""

    @app.get("/web/plugins/<string:plugin>/<path:filename>")
    def _plugin_console_asset(plugin: str, filename: str):
        loaded = get_host().plugins.get(plugin)
        if loaded is None or loaded.directory is None:
            abort(404)
        folder = loaded.directory / "console"
        if not (folder / filename).is_file():
            abort(404)
        return send_from_directory(folder, filename, max_age=300)
