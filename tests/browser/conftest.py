"""Real-browser tests: Debian's ``chromium`` driven by Playwright against a live ``mallkit
demo`` server (a temporary SQLite file, every plugin on, the task worker running).

- The server is the real demo command in its own process, so what the browser sees is what
  a person trying mallkit sees; tests change data through the same public REST API (``api``).
- They run on the SQLite pass only (the browser checks the pages, not the database; the API
  behind them is tested on both databases).
- Without a usable ``chromium`` or the ``playwright`` package they skip, unless
  ``MALLKIT_TEST_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which makes that a failure.
- ``page.screenshot`` images for the docs are written by the tests that own them
  (``docs/console/``, ``docs/storefront/``); look at them after a change.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REQUIRE = os.environ.get("MALLKIT_TEST_REQUIRE_BROWSER") == "1"
ROOT = Path(__file__).resolve().parents[2]

ADMIN = ("admin@demo.mallkit.dev", "demo-admin-1")
OWNER = ("owner@demo.mallkit.dev", "demo-owner-1")
BUYER = ("buyer@demo.mallkit.dev", "demo-buyer-1")
FRIEND = ("friend@demo.mallkit.dev", "demo-friend-1")


def _why_not() -> str | None:
    if os.environ.get("MALLKIT_TEST_DATABASE_URL"):
        return "browser tests run on the SQLite pass only"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no chromium at {CHROMIUM} (apt install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _why_not()
    if reason is None:
        return
    if REQUIRE and not os.environ.get("MALLKIT_TEST_DATABASE_URL"):
        raise pytest.UsageError(f"MALLKIT_TEST_REQUIRE_BROWSER=1 but {reason}")
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


class Api:
    """A small JSON client for the live server's REST API."""

    def __init__(self, base: str) -> None:
        self.base = base

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        expect: int | tuple[int, ...] = (200, 201, 202, 204),
    ) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        wanted = (expect,) if isinstance(expect, int) else expect
        payload = json.loads(raw) if raw else None
        assert status in wanted, f"{method} {path} -> {status}: {payload}"
        return payload

    def login(self, email: str, password: str) -> str:
        answer = self.call("POST", "/api/v1/auth/login", {"login": email, "password": password})
        return answer["token"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:
    """``mallkit demo`` on a free port; yields its base URL (``http://127.0.0.1:PORT``)."""
    workdir = tmp_path_factory.mktemp("live")
    port = _free_port()
    env = {
        **os.environ,
        "MALLKIT_SECRET_KEY": "browser-tests-secret-key-0123456789",
        # the tests sign the same people in many times in a minute
        "MALLKIT_LOGIN_PAIR_RATE_LIMIT": "1000 per minute",
        "MALLKIT_LOGIN_RATE_LIMIT": "1000 per minute",
        "MALLKIT_LOGIN_ADDRESS_RATE_LIMIT": "1000 per minute",
    }
    env.pop("MALLKIT_DATABASE_URL", None)
    log = open(workdir / "server.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from mallkit.core.cli import main; main()",
            "demo",
            "--port",
            str(port),
            "--database",
            f"sqlite:///{workdir / 'demo.db'}",
        ],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError((workdir / "server.log").read_text()[-4000:])
            try:
                with urllib.request.urlopen(base + "/", timeout=2):
                    pass
                break
            except urllib.error.HTTPError:
                break  # answering (401 is fine): it is up
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        # The demo leaves the example plugin off; the console tests show its page.
        subprocess.run(
            [sys.executable, "-c", "from mallkit.core.cli import main; main()",
             "plugins", "enable", "hello", "--merchant", "1"],
            cwd=workdir,
            env={**env, "MALLKIT_DATABASE_URL": f"sqlite:///{workdir / 'demo.db'}"},
            check=True,
            capture_output=True,
        )  # fmt: skip
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def api(live_server) -> Api:
    return Api(live_server)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no stored token) per test, desktop-sized."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def mobile_page(browser):
    """A 375 px wide phone-sized context (the storefront's target)."""
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
