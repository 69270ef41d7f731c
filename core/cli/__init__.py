"""The ``mallkit`` console command."""

from __future__ import annotations

import json
import sys

import click

from mallkit.core import __version__


class Context:
    """Lazily builds the app, so ``mallkit --help`` works without a database."""

    def __init__(self) -> None:
        self._app = None

    @property
    def app(self):
        if self._app is None:
            from mallkit.core.app import create_app
            from mallkit.core.config import ConfigurationError

            try:
                self._app = create_app()
            except ConfigurationError as exc:  # a message, not a traceback
                raise click.ClickException(str(exc)) from exc
        return self._app

    def migrated_app(self):
        """The app, once its database is known to be migrated: otherwise the command stops
        with a message saying to run ``mallkit db upgrade`` (exit status 1), not a traceback."""
        from mallkit.core import migrate

        app = self.app
        url = _redacted(app.config.get("DATABASE_URL", ""))
        try:
            missing = migrate.pending(app.extensions["mallkit"].plugins)
        except Exception as exc:  # unreachable server, bad credentials, unreadable file ...
            raise click.ClickException(f"cannot use the database {url}: {exc}") from exc
        if not missing:
            return app
        if "core:0001_initial" in missing:
            state = "is not migrated"
        else:
            shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
            state = f"has {len(missing)} pending migration(s) ({shown})"
        raise click.ClickException(f"the database {url} {state}: run `mallkit db upgrade` first")


def _redacted(url: str) -> str:
    """A database URL without its password."""
    import re

    return re.sub(r"//([^/@:]*):[^/@]*@", r"//\1:***@", url)


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def _plugin_commands(group: click.Group) -> None:
    """Let installed plugins add sub-commands (``register_cli_commands``)."""
    from mallkit.core.plugins import PluginHost

    try:
        host = PluginHost()
        host.load_installed()
    except Exception:  # a broken plugin is reported by the command that builds the app
        return
    host.pm.hook.register_cli_commands(cli=group)


class MallkitGroup(click.Group):
    _loaded = False

    def _load(self) -> None:
        if not MallkitGroup._loaded:
            MallkitGroup._loaded = True
            _plugin_commands(self)

    def list_commands(self, ctx):
        self._load()
        return super().list_commands(ctx)

    def get_command(self, ctx, name):
        self._load()
        return super().get_command(ctx, name)


@click.group(cls=MallkitGroup)
@click.version_option(__version__, prog_name="mallkit")
def cli() -> None:
    """mallkit: a plugin-based commerce framework.

    Settings come from MALLKIT_* environment variables (MALLKIT_DATABASE_URL,
    MALLKIT_SECRET_KEY, ...) or the file named by MALLKIT_CONFIG.
    """


def main() -> None:
    cli(prog_name="mallkit")


# -- database --------------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Apply every pending migration of the core and the installed plugins."""
    from mallkit.core import migrate

    applied = migrate.upgrade(ctx.app.extensions["mallkit"].plugins)
    total = sum(len(v) for v in applied.values())
    for source, names in applied.items():
        for name in names:
            click.echo(f"applied {source}:{name}")
    click.echo(f"{total} migration(s) applied; database is up to date.")


@db.command("status")
@pass_ctx
def db_status(ctx: Context) -> None:
    """List migrations and whether each is applied."""
    from mallkit.core import migrate

    for source, rows in migrate.status(ctx.app.extensions["mallkit"].plugins).items():
        for name, applied in rows:
            click.echo(f"{'x' if applied else ' '} {source}:{name}")


# -- users and merchants ---------------------------------------------------------------------


@cli.group()
def users() -> None:
    """Accounts."""


@users.command("create-admin")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default="Platform admin")
@pass_ctx
def create_admin(ctx: Context, email: str, password: str, name: str) -> None:
    """Create a platform admin account."""
    from mallkit.core.accounts import service
    from mallkit.core.errors import MallkitError

    with ctx.migrated_app().app_context():
        try:
            user = service.register(
                email=email, password=password, name=name, is_platform_admin=True
            )
        except MallkitError as exc:
            raise click.ClickException(f"{exc.message} {exc.errors or ''}".strip()) from exc
    click.echo(f"platform admin {user.email} created (id {user.id})")


@cli.group()
def merchants() -> None:
    """Merchants."""


@merchants.command("create")
@click.option("--name", required=True)
@click.option("--owner", "owner_login", default=None, help="E-mail or phone of the owner")
@click.option("--currency", default="CNY")
@click.option("--timezone", default="Asia/Shanghai")
@pass_ctx
def merchants_create(ctx, name, owner_login, currency, timezone) -> None:
    """Create a merchant."""
    from mallkit.core.accounts.merchants import service
    from mallkit.core.accounts.models import User
    from mallkit.core.accounts.service import normalise_login
    from mallkit.core.errors import MallkitError

    with ctx.migrated_app().app_context():
        try:
            owner = None
            if owner_login:
                field, value = normalise_login(owner_login)
                owner = User.get_or_none(getattr(User, field) == value)
                if owner is None:
                    raise click.ClickException(f"no account {owner_login!r}")
            m = service.create_merchant(
                {"name": name, "currency": currency, "timezone": timezone}, owner=owner
            )
        except MallkitError as exc:
            raise click.ClickException(exc.message) from exc
    click.echo(f"merchant {m.name!r} created (id {m.id})")


@merchants.command("list")
@pass_ctx
def merchants_list(ctx) -> None:
    """List merchants."""
    from mallkit.core.accounts.merchants.models import Merchant

    with ctx.migrated_app().app_context():
        for m in Merchant.select().order_by(Merchant.id):
            click.echo(f"{m.id}\t{m.name}\t{m.currency}\t{m.timezone}")


# -- plugins ---------------------------------------------------------------------------------


@cli.group()
def plugins() -> None:
    """Installed plugins and their per-merchant settings."""


def _merchant(merchant_id: int):
    from mallkit.core.accounts.merchants.service import get_merchant
    from mallkit.core.errors import MallkitError

    try:
        return get_merchant(merchant_id)
    except MallkitError as exc:
        raise click.ClickException(exc.message) from exc


def _run(fn, *args, **kwargs):
    from mallkit.core.errors import MallkitError

    try:
        return fn(*args, **kwargs)
    except MallkitError as exc:
        detail = f" {json.dumps(exc.errors, ensure_ascii=False)}" if exc.errors else ""
        raise click.ClickException(f"{exc.message}{detail}") from exc


@plugins.command("list")
@click.option(
    "--merchant", "merchant_id", type=int, default=None, help="Show the state for this merchant"
)
@pass_ctx
def plugins_list(ctx, merchant_id) -> None:
    """List installed plugins (and their state for a merchant)."""
    from mallkit.core import plugin_settings

    app = ctx.app if merchant_id is None else ctx.migrated_app()  # the list needs no database
    with app.app_context():
        host = app.extensions["mallkit"].plugins
        if merchant_id is None:
            for name in sorted(host.plugins):
                p = host.plugins[name].to_dict()
                click.echo(f"{p['name']:<20} {p['version']:<10} {p['level']:<9} {p['title']}")
            return
        for p in plugin_settings.settings_for(_merchant(merchant_id)):
            state = "on " if p["enabled"] else "off"
            click.echo(f"{state} {p['name']:<20} {p['version']:<10} {p['level']:<9} {p['title']}")


def _parse_config(config: str | None):
    if config is None:
        return None
    try:
        value = json.loads(config)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise click.BadParameter("the config is a JSON object")
    return value


@plugins.command("enable")
@click.argument("plugin")
@click.option("--merchant", "merchant_id", type=int, required=True)
@click.option("--config", default=None, help="Config as a JSON object")
@pass_ctx
def plugins_enable(ctx, plugin, merchant_id, config) -> None:
    """Enable PLUGIN for a merchant."""
    from mallkit.core import plugin_settings

    cfg = _parse_config(config)
    with ctx.migrated_app().app_context():
        result = _run(plugin_settings.enable, _merchant(merchant_id), plugin, cfg)
    click.echo(
        f"{plugin} enabled for merchant {merchant_id}: "
        f"{json.dumps(result['config'], ensure_ascii=False)}"
    )


@plugins.command("disable")
@click.argument("plugin")
@click.option("--merchant", "merchant_id", type=int, required=True)
@pass_ctx
def plugins_disable(ctx, plugin, merchant_id) -> None:
    """Disable PLUGIN for a merchant (its data is kept)."""
    from mallkit.core import plugin_settings

    with ctx.migrated_app().app_context():
        _run(plugin_settings.disable, _merchant(merchant_id), plugin)
    click.echo(f"{plugin} disabled for merchant {merchant_id}")


@plugins.command("config")
@click.argument("plugin")
@click.option("--merchant", "merchant_id", type=int, required=True)
@click.option("--set", "config", default=None, help="New config as a JSON object")
@pass_ctx
def plugins_config(ctx, plugin, merchant_id, config) -> None:
    """Show (masked) or replace the config of PLUGIN for a merchant."""
    from mallkit.core import plugin_settings

    cfg = _parse_config(config)
    with ctx.migrated_app().app_context():
        merchant = _merchant(merchant_id)
        if cfg is None:
            result = _run(plugin_settings.setting_for, merchant, plugin)
        else:
            result = _run(plugin_settings.configure, merchant, plugin, cfg)
    click.echo(json.dumps(result["config"], ensure_ascii=False, indent=2))


# -- products --------------------------------------------------------------------------------


@cli.group()
def products() -> None:
    """Bulk import and export of a merchant's products (CSV)."""


@products.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--merchant", "merchant_id", type=int, required=True)
@click.option(
    "--skip-bad-rows",
    is_flag=True,
    help="Import the good products and leave out those with a bad row (default: all or nothing)",
)
@pass_ctx
def products_import(ctx, file, merchant_id, skip_bad_rows) -> None:
    """Import products from a CSV FILE (one row per SKU; see docs/catalog.md)."""
    from mallkit.core.catalog.importer import import_csv

    with open(file, encoding="utf-8-sig", newline="") as fh:
        total = max(sum(1 for _ in fh) - 1, 0)
        fh.seek(0)
        with ctx.migrated_app().app_context():
            _merchant(merchant_id)
            with click.progressbar(length=total, label="importing", file=sys.stderr) as bar:
                report = import_csv(
                    merchant_id, fh, skip_bad_rows=skip_bad_rows, progress=bar.update
                )
    for error in report.errors:
        click.echo(f"{file}:{error}", err=True)
    if report.committed:
        click.echo(
            f"{report.created_products} product(s), {report.created_skus} SKU(s) imported; "
            f"{report.skipped_products} product(s) skipped."
        )
    if report.errors and not report.committed:
        raise click.ClickException(
            f"{len(report.errors)} error(s); nothing was imported "
            "(fix the rows, or use --skip-bad-rows)"
        )
    if report.errors:
        sys.exit(1)


@products.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@click.option("--merchant", "merchant_id", type=int, required=True)
@pass_ctx
def products_export(ctx, file, merchant_id) -> None:
    """Export the merchant's products to a CSV FILE (the import format)."""
    from mallkit.core.catalog.importer import export_csv
    from mallkit.core.catalog.models import Product

    with ctx.migrated_app().app_context():
        _merchant(merchant_id)
        total = (
            Product.select()
            .where((Product.merchant == merchant_id) & Product.deleted_at.is_null())
            .count()
        )
        with (
            open(file, "w", encoding="utf-8", newline="") as fh,
            click.progressbar(length=total, label="exporting", file=sys.stderr) as bar,
        ):
            rows = export_csv(merchant_id, fh, progress=bar.update)
    click.echo(f"{total} product(s), {rows} SKU row(s) written to {file}")


@cli.command("new-plugin")
@click.argument("name")
@click.option("--title", default=None, help="Human title (default: from the name)")
@click.option(
    "--directory",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Where to create mallkit-NAME/",
)
def new_plugin(name, title, directory) -> None:
    """Create a plugin distribution mallkit-NAME with an entry point, a route, a config
    schema, a migrations folder and a passing test."""
    from pathlib import Path

    from mallkit.core.cli.scaffold import new_plugin as scaffold

    try:
        root = scaffold(name, Path(directory), title)
    except (ValueError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {root}\nnext: pip install -e '{root}[test]' && pytest {root}")


# -- running ---------------------------------------------------------------------------------


@cli.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
@click.option("--no-worker", is_flag=True, help="Do not run due scheduled tasks in this process")
@pass_ctx
def serve(ctx, host, port, no_worker) -> None:
    """Serve the API with the development server (use gunicorn in production).

    A background worker runs due scheduled tasks in the same process unless --no-worker.
    """
    _run_server(ctx.app, host, port, worker=not no_worker)


def _run_server(app, host: str, port: int, *, worker: bool) -> None:
    """The development server, with a background task worker in the same process."""
    from mallkit.core.tasks.worker import Worker

    task_worker = Worker(app) if worker else None
    if task_worker is not None:
        task_worker.start()
    try:
        app.run(host=host, port=port, threaded=True)
    finally:
        if task_worker is not None:
            task_worker.stop()


@cli.command()
@click.option(
    "--interval",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds between polls [default: TASK_POLL_INTERVAL, 1]",
)
@click.option("--once", is_flag=True, help="Run the tasks due now, then exit")
@pass_ctx
def worker(ctx, interval, once) -> None:
    """Run durable scheduled tasks as they fall due, until SIGINT or SIGTERM.

    Run as many workers as you like against one database: each task runs once.
    """
    from mallkit.core.observability import configure_logging
    from mallkit.core.tasks.worker import Worker

    task_worker = Worker(ctx.app, interval=interval)
    if once:
        click.echo(f"{task_worker.run_once()} task(s) run")
        return
    # JSON lines on stderr unless LOG_FORMAT says text (docs/deployment.md)
    config = ctx.app.config
    configure_logging(config.get("LOG_FORMAT") or "json", config.get("LOG_LEVEL") or "INFO")
    task_worker.run_forever()


@cli.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
@click.option(
    "--database",
    envvar="MALLKIT_DATABASE_URL",
    default="sqlite:///mallkit-demo.db",
    show_default=True,
)
@click.option("--no-serve", is_flag=True, help="Seed and exit")
def demo(host, port, database, no_serve) -> None:
    """Create a demo database (admin, merchant with every plugin on, buyer) and serve it."""
    from mallkit.core.app import create_app
    from mallkit.core.cli.demo_store import attach_services, seed

    # The demo's admin signs in with a password alone; production admins use two factors.
    # Share links open in the storefront (``/shop/s/<code>``).
    app = create_app(
        {
            "DATABASE_URL": database,
            "SECRET_KEY": _demo_secret(),
            "DEMO": True,
            "REQUIRE_ADMIN_2FA": False,
            "SHARE_BASE_URL": f"http://{host}:{port}/shop",
        }
    )
    credentials = seed(app)
    if not no_serve:  # e.g. WeChat Pay and Alipay against their gateway simulators under /_sim/
        credentials = attach_services(app, f"http://{host}:{port}", credentials)
    click.echo("mallkit demo is ready.\n")
    for line in credentials:
        click.echo("  " + line)
    click.echo(
        f"\n  Shop: http://{host}:{port}/shop/  (the storefront; open it at phone width)"
        f"\n  Console: http://{host}:{port}/console/  (sign in as the admin, owner or agent above)"
        f"\n  API:  http://{host}:{port}/api/v1\n  Docs: http://{host}:{port}/api/docs\n"
    )
    if not no_serve:
        _run_server(app, host, port, worker=True)  # unpaid demo orders cancel themselves


def _demo_secret() -> str:
    """A secret kept next to the demo database, so encrypted plugin secrets survive restarts."""
    import os
    import secrets
    from pathlib import Path

    if os.environ.get("MALLKIT_SECRET_KEY"):
        return os.environ["MALLKIT_SECRET_KEY"]
    path = Path(".mallkit-demo-secret")
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
