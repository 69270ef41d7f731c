"""An app process for the two-process tests: ``python serve_app.py <database url>
[KEY=value ...]`` serves the app (werkzeug, threaded) on a free port and prints
``port <n>``. The tables exist already (the test session made them)."""

from __future__ import annotations

import sys

from werkzeug.serving import make_server

from mallkit.core.plugin_api import create_app
from mallkit.core.testing import TEST_SECRET


def main() -> None:
    settings = {"DATABASE_URL": sys.argv[1], "SECRET_KEY": TEST_SECRET, "DB_POOL_SIZE": 24}
    settings.update(arg.split("=", 1) for arg in sys.argv[2:])
    app = create_app(settings)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"port {httpd.server_port}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
