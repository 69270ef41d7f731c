"""The plugin host: discovery, metadata, the hook contract and per-merchant dispatch.

Every installed plugin is registered once at start-up, found through the ``mallkit.plugins``
entry-point group (built-in plugins are declared there too). Which merchant has which plugin
is data (``merchant_plugin`` rows); merchant-scoped hooks are called through
:func:`merchant_plugins`, a cached per-merchant view built on
``PluginManager.subset_hook_caller``. The view is rebuilt only when the merchant's
``plugin_settings_version`` moves, which each process checks at most once per request.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import pluggy
from flask import current_app, has_app_context, has_request_context, request
from flask.globals import _cv_request  # what has_request_context() reads
from flask_smorest import Blueprint
from marshmallow import Schema
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from mallkit import hookspecs
from mallkit.core import __version__
from mallkit.core.db import database, transaction
from mallkit.core.errors import NotFound, PluginLoadError
from mallkit.core.plugin_store import (
    bump_settings_version,
    load_merchant_plugins,
    settings_version,
)
from mallkit.core.schema_json import json_schema

ENTRY_POINT_GROUP = "mallkit.plugins"
log = logging.getLogger("mallkit.plugins")

# Hooks whose implementations run one by one, each in a savepoint (:func:`call_isolated`).
ISOLATED_HOOKS = ("on_low_stock", "on_order_refunded", "on_existing_account_sign_up")

# The core's own replaceable behaviour, written as plugins on the public hooks and registered
# before the installed ones (as pytest does with its default plugins). Each can be left out
# with the ``PLUGINS_DISABLED`` setting so that a plugin of yours takes its place.
DEFAULT_PLUGINS = (
    "mallkit.core.catalog.defaults",
    "mallkit.core.checkout.defaults",
    "mallkit.core.orders.defaults",
    "mallkit.core.payments.defaults",
    "mallkit.core.shares.defaults",
    "mallkit.core.tasks.defaults",
    "mallkit.core.retention",
)


@dataclass(frozen=True, slots=True)
class MigrationSource:
    """A folder of numbered peewee migration scripts with its own history table
    (``migrations_<name>``). The core's folder runs first, then each plugin's after the
    plugins it requires."""

    name: str
    directory: Path


@dataclass(frozen=True)
class PluginMeta:
    """What a plugin says about itself. Every plugin module defines ``meta = PluginMeta(...)``.

    ``level``: ``"merchant"`` plugins are switched on per merchant; ``"platform"`` plugins run
    for everyone once installed (core defaults, infrastructure). ``config_schema`` is a
    marshmallow schema class; fields with ``metadata={"secret": True}`` are encrypted at rest
    and masked when read back. ``title``/``description`` are English (the API's and the
    English console's); ``title_zh``/``description_zh`` what the Chinese console shows.
    """

    name: str
    version: str
    title: str
    description: str = ""
    title_zh: str = ""
    description_zh: str = ""
    mallkit: str = ">=0.1"
    requires: tuple[str, ...] = ()
    config_schema: type[Schema] | None = None
    level: Literal["platform", "merchant"] = "merchant"
    category: str = "feature"

    def secret_fields(self) -> frozenset[str]:
        if self.config_schema is None:
            return frozenset()
        return frozenset(
            name for name, f in self.config_schema().fields.items() if f.metadata.get("secret")
        )


@dataclass
class LoadedPlugin:
    """An installed plugin: its meta, its module and where it came from."""

    meta: PluginMeta
    module: ModuleType
    distribution: str = ""

    @property
    def directory(self) -> Path | None:
        path = getattr(self.module, "__file__", None)
        return Path(path).parent if path else None

    def to_dict(self) -> dict[str, Any]:
        m = self.meta
        return {
            "name": m.name,
            "version": m.version,
            "title": m.title,
            "description": m.description,
            "title_zh": m.title_zh or m.title,
            "description_zh": m.description_zh or m.description,
            "level": m.level,
            "category": m.category,
            "requires": list(m.requires),
            "mallkit": m.mallkit,
            "distribution": self.distribution,
            "config_fields": sorted(m.config_schema().fields) if m.config_schema else [],
            "secret_fields": sorted(m.secret_fields()),
            "config_schema": json_schema(m.config_schema),
        }


_fallback_logged = False


def _snapshot_caller(proxy: pluggy.HookCaller) -> pluggy.HookCaller:
    """A plain ``HookCaller`` holding the implementations ``subset_hook_caller`` selected.

    pluggy's subset proxy filters the implementations and follows properties to the original
    caller on every call. The host's registrations only change at start-up (and in tests),
    and the host drops every cached caller when they do, so the selection can be kept: a
    merchant-scoped call then costs what a bare call does (``bench/hooks.py``). mallkit
    declares no historic hooks, the case pluggy's proxy exists for.

    **The only use of pluggy internals in mallkit**: ``HookCaller(name, hook_execute)`` (a
    ``:meta private:`` constructor), the proxy's ``_hookexec`` and the caller's ``_hookimpls``
    list. ``tests/core/test_plugins.py::test_pluggy_internals_the_snapshot_relies_on`` fails
    when a pluggy release changes them, which is why ``pyproject.toml`` bounds pluggy below
    2. Should they change anyway, this falls back to pluggy's public proxy — the same
    results, at the proxy's per-call cost — and logs that once.
    """
    if type(proxy) is pluggy.HookCaller:  # nothing removed: pluggy returned the caller itself
        return proxy
    impls = proxy.get_hookimpls()
    try:
        caller = pluggy.HookCaller(proxy.name, proxy._hookexec)
        caller.spec = proxy.spec
        caller._hookimpls[:] = impls
        if caller.get_hookimpls() != impls:
            raise TypeError("HookCaller no longer keeps its implementations in _hookimpls")
    except (AttributeError, TypeError) as exc:
        global _fallback_logged
        if not _fallback_logged:
            _fallback_logged = True
            log.warning("pluggy internals changed (%s): merchant hooks use pluggy's proxy", exc)
        return proxy
    return caller


class _HookView:
    """``view.hook.<name>(...)``: hook callers restricted to one merchant's plugin set."""

    def __init__(self, host: PluginHost, removed: frozenset[str]) -> None:
        self._host = host
        self._removed = removed

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        caller = self._host._subset_caller(name, self._removed)
        # Cache on the instance: the next lookup is a plain attribute read.
        setattr(self, name, caller)
        return caller


@dataclass(frozen=True)
class MerchantPlugins:
    """One merchant's view of the installed plugins: which are on, their config, their hooks."""

    merchant_id: int
    version: int
    enabled: frozenset[str]
    configs: dict[str, dict[str, Any]]
    hook: Any = field(repr=False)
    memos: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def is_enabled(self, name: str) -> bool:
        return name in self.enabled

    def config(self, name: str) -> dict[str, Any]:
        """The plugin's decrypted config for this merchant (empty when not enabled)."""
        return self.configs.get(name, {})

    def memo(self, key: Any, load: Callable[[], Any]) -> Any:
        """``load()``'s value, kept with this view: every process drops it when the merchant's
        ``plugin_settings_version`` moves (:func:`touch_merchant_plugins`, or a database
        trigger for rows changed by any writer), like the view itself. For data read on every
        request that changes rarely (a store's running promotions). Key it by the plugin's
        name. The value is shared by every request and thread of the process: never change
        it. A value loaded inside a transaction is not kept (it may hold writes that roll
        back)."""
        try:
            return self.memos[key]
        except KeyError:
            pass
        value = load()
        if not database.in_transaction():
            self.memos[key] = value
        return value


class PluginHost:
    """Owns the pluggy ``PluginManager`` and the installed plugins of one process."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, LoadedPlugin] = {}
        self._subset_cache: dict[tuple[str, frozenset[str]], Any] = {}
        self._views: dict[frozenset[str], _HookView] = {}
        self._merchant_cache: dict[int, MerchantPlugins] = {}
        self._lock = threading.Lock()
        self._added_specs: set[int] = set()
        # Derived registrations (order transitions, payment channels, job handlers), built on
        # first use and dropped whenever the set of plugins changes.
        self.cache: dict[str, Any] = {}

    # -- loading ---------------------------------------------------------------------------

    @property
    def hook(self) -> Any:
        """Platform-wide hook callers: every installed plugin."""
        return self.pm.hook

    def load_defaults(self, disabled: Iterable[str] = ()) -> None:
        """Register the core's default plugins (:data:`DEFAULT_PLUGINS`) but those named in
        ``disabled``."""
        skip = set(disabled)
        for path in DEFAULT_PLUGINS:
            module = importlib.import_module(path)
            if module.meta.name not in skip:
                self.register(module, distribution="mallkit")

    def load_installed(self, disabled: Iterable[str] = ()) -> None:
        """Load the default plugins, then every plugin of the ``mallkit.plugins`` entry-point
        group, but those named in ``disabled``."""
        skip = set(disabled)
        self.load_defaults(skip)
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in skip:
                continue
            try:
                module = ep.load()
            except Exception as exc:  # a broken plugin must stop start-up, named
                raise PluginLoadError(
                    f"plugin {ep.name!r} ({ep.value}) failed to import: {type(exc).__name__}: {exc}"
                ) from exc
            dist = ep.dist.name if ep.dist else ""
            self.register(module, distribution=dist, entry_name=ep.name)

    def register(self, module: ModuleType, *, distribution: str = "", entry_name: str = "") -> None:
        """Register one plugin module after checking its meta and compatibility."""
        meta = getattr(module, "meta", None)
        label = entry_name or getattr(module, "__name__", repr(module))
        if not isinstance(meta, PluginMeta):
            raise PluginLoadError(f"plugin {label!r} has no `meta = PluginMeta(...)`")
        if entry_name and entry_name != meta.name:
            raise PluginLoadError(
                f"plugin {label!r}: entry point name differs from meta.name {meta.name!r}"
            )
        if meta.name in self.plugins:
            raise PluginLoadError(f"plugin {meta.name!r} is installed twice")
        try:
            compatible = Version(__version__) in SpecifierSet(meta.mallkit)
        except InvalidSpecifier as exc:
            raise PluginLoadError(
                f"plugin {meta.name!r}: bad mallkit version specifier {meta.mallkit!r}"
            ) from exc
        if not compatible:
            raise PluginLoadError(
                f"plugin {meta.name!r} {meta.version} needs mallkit {meta.mallkit}, "
                f"this is {__version__}"
            )
        try:
            self.pm.register(module, name=meta.name)
        except pluggy.PluginValidationError as exc:
            raise PluginLoadError(f"plugin {meta.name!r}: {exc}") from exc
        self.plugins[meta.name] = LoadedPlugin(meta, module, distribution)
        self._invalidate()

    def unregister(self, name: str) -> None:
        """Remove a plugin (the test kit uses this to undo a test plugin)."""
        loaded = self.plugins.pop(name)
        self.pm.unregister(loaded.module)
        self._invalidate()

    def finalize(self) -> None:
        """Add plugin-declared hook specs, then check every hookimpl names a known hook."""
        for specs in self.pm.hook.register_hookspecs():
            for item in specs or ():
                if id(item) not in self._added_specs:
                    self._added_specs.add(id(item))
                    self.pm.add_hookspecs(item)
        for loaded in self.plugins.values():
            for dep in loaded.meta.requires:
                if dep not in self.plugins:
                    raise PluginLoadError(
                        f"plugin {loaded.meta.name!r} requires plugin {dep!r}, "
                        "which is not installed"
                    )
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            name = getattr(exc.plugin, "meta", None)
            label = name.name if isinstance(name, PluginMeta) else repr(exc.plugin)
            raise PluginLoadError(f"plugin {label!r}: {exc}") from exc
        for hook in ISOLATED_HOOKS:  # call_isolated calls each implementation on its own
            for impl in getattr(self.pm.hook, hook).get_hookimpls():
                if impl.wrapper or impl.hookwrapper:
                    raise PluginLoadError(
                        f"plugin {impl.plugin_name!r}: {hook} is an isolated hook and takes no "
                        "wrappers; implement it plainly"
                    )

    def migration_sources(self) -> list[MigrationSource]:
        """The core's migrations first, then every plugin's, in dependency order."""
        core_dir = Path(__file__).parent / "migrations"
        sources = [MigrationSource("core", core_dir)]
        by_plugin: dict[str, list[MigrationSource]] = {}
        for impl in self.pm.hook.register_migrations.get_hookimpls():
            result = impl.function()
            by_plugin.setdefault(impl.plugin_name, []).extend(result or ())
        for name in self.dependency_order():
            sources.extend(by_plugin.get(name, ()))
        return sources

    def dependency_order(self) -> list[str]:
        """Plugin names with every plugin after the plugins it requires."""
        ordered: list[str] = []
        seen: set[str] = set()

        def visit(name: str, stack: tuple[str, ...]) -> None:
            if name in seen:
                return
            if name in stack:
                raise PluginLoadError(f"plugin dependency cycle: {' -> '.join(stack + (name,))}")
            for dep in self.plugins[name].meta.requires:
                if dep in self.plugins:
                    visit(dep, stack + (name,))
            seen.add(name)
            ordered.append(name)

        for name in sorted(self.plugins):
            visit(name, ())
        return ordered

    # -- per-merchant dispatch -------------------------------------------------------------

    def merchant_level(self) -> frozenset[str]:
        return frozenset(n for n, p in self.plugins.items() if p.meta.level == "merchant")

    def _invalidate(self) -> None:
        with self._lock:
            self.cache.clear()
            self._subset_cache.clear()
            self._views.clear()
            self._merchant_cache.clear()

    def _subset_caller(self, hook_name: str, removed: frozenset[str]) -> Any:
        key = (hook_name, removed)
        caller = self._subset_cache.get(key)
        if caller is None:
            modules = [self.plugins[n].module for n in removed if n in self.plugins]
            caller = _snapshot_caller(self.pm.subset_hook_caller(hook_name, modules))
            self._subset_cache[key] = caller
        return caller

    def view_for(self, enabled: Iterable[str]) -> _HookView:
        """Hook callers for a set of enabled merchant-level plugins (shared by merchants with
        the same set)."""
        removed = self.merchant_level() - frozenset(enabled)
        view = self._views.get(removed)
        if view is None:
            view = _HookView(self, removed)
            self._views[removed] = view
        return view

    def for_merchant(self, merchant_id: int, version: int | None = None) -> MerchantPlugins:
        """The merchant's plugin view; one indexed read checks it is current (none when the
        caller has just read ``version``, the merchant's ``plugin_settings_version``)."""
        if version is None:
            version = settings_version(merchant_id)
        if version is None:
            raise NotFound(f"merchant {merchant_id} not found", code="merchant_not_found")
        cached = self._merchant_cache.get(merchant_id)
        if cached is not None and cached.version == version:
            return cached
        enabled, configs = load_merchant_plugins(self, merchant_id)
        view = MerchantPlugins(
            merchant_id=merchant_id,
            version=version,
            enabled=frozenset(enabled) & frozenset(self.plugins),
            configs=configs,
            hook=self.view_for(enabled),
        )
        self._merchant_cache[merchant_id] = view
        return view


def get_host() -> PluginHost:
    """The plugin host of the current app."""
    return current_app.extensions["mallkit"].plugins


def merchant_plugins(merchant_id: int) -> MerchantPlugins:
    """The merchant's plugin view, resolved at most once per request.

    Inside a request the view is memoised on the request, so however many hooks a request calls
    for the merchant, plugin resolution costs one indexed read; outside a request (workers,
    CLI) each call checks the version once.
    """
    # The request context itself, not flask's ``request`` proxy: this runs a dozen times per
    # checkout, and each proxy lookup costs more than the rest of the function.
    ctx = _cv_request.get(None)
    if ctx is not None:
        memo = ctx.request.environ.setdefault("mallkit.merchant_plugins", {})
        view = memo.get(merchant_id)
        if view is None:
            view = memo[merchant_id] = get_host().for_merchant(merchant_id)
        return view
    return get_host().for_merchant(merchant_id)


def prime_merchant_plugins(merchant_id: int, version: int) -> None:
    """Memoise the merchant's view on this request from the ``plugin_settings_version`` just
    read with the merchant's row (the cart and checkout read it with the SKUs): the view then
    costs no read of its own."""
    if has_request_context():
        memo = request.environ.setdefault("mallkit.merchant_plugins", {})
        if merchant_id not in memo:
            memo[merchant_id] = get_host().for_merchant(merchant_id, version)


def order_hooks(order: Any) -> Any:
    """Hook callers for compensations of an order: the merchant's plugins now, plus the
    merchant-level plugins that were enabled when the order was placed (``order.plugins``)
    and are still installed — a coupon is given back on cancel even if the merchant switched
    coupons off after the order was placed."""
    view = merchant_plugins(order.merchant_id)
    placed = frozenset(order.plugins or ())
    if placed <= view.enabled:
        return view.hook
    return get_host().view_for(view.enabled | placed)


def call_isolated(caller: Any, **kwargs: Any) -> list[Any]:
    """Call every implementation of a hook on its own, each in a savepoint: one that raises is
    logged and its writes rolled back, and the others still run (for *isolated* hooks such as
    ``on_low_stock`` and ``on_order_refunded``). Returns the results that came back."""
    results = []
    for impl in reversed(caller.get_hookimpls()):  # pluggy's calling order: last registered first
        try:
            with transaction():  # a savepoint: its after-commit callbacks go with it
                result = impl.function(*[kwargs[name] for name in impl.argnames])
        except Exception:
            log.exception("hook %s of plugin %r failed (isolated)", caller.name, impl.plugin_name)
            continue
        if result is not None:
            results.append(result)
    return results


def forget_merchant_plugins(merchant_id: int) -> None:
    """Drop this request's memo after the merchant's plugin settings changed."""
    if has_request_context():
        request.environ.setdefault("mallkit.merchant_plugins", {}).pop(merchant_id, None)


def touch_merchant_plugins(merchant_id: int) -> None:
    """The merchant's plugin data changed: every process rebuilds the merchant's view (and
    drops its :meth:`MerchantPlugins.memo` values) at its next request, this one included.
    Part of the caller's transaction: a rollback takes it back."""
    bump_settings_version(merchant_id)
    forget_merchant_plugins(merchant_id)


def plugin_blueprint(plugin: str, import_name: str, **kwargs: Any) -> Blueprint:
    """A flask-smorest Blueprint for a plugin's routes.

    Its routes are mounted once at start-up; any route with ``<int:merchant_id>`` in its URL
    answers 404 for a merchant that has not enabled ``plugin``.
    """
    kwargs.setdefault("url_prefix", "/api/v1")
    blp = Blueprint(plugin, import_name, **kwargs)

    @blp.before_request
    def _require_enabled() -> None:
        merchant_id = (request.view_args or {}).get("merchant_id")
        if merchant_id is None or not has_app_context():
            return
        host = get_host()
        if host.plugins.get(plugin) and host.plugins[plugin].meta.level == "platform":
            return
        if not merchant_plugins(int(merchant_id)).is_enabled(plugin):
            raise NotFound("not found")

    return blp
