"""The README's "A first order, by hand" runs as pasted: its shell block, unchanged but for the
port, against a live ``mallkit demo`` — the order is placed, paid by transfer with the total
the block captured, shipped and confirmed, and a second order is paid from the balance."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _walkthrough() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### A first order, by hand") :]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the walkthrough uses curl")
def test_the_readme_walkthrough_runs_as_pasted(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLKIT_")}
    log = open(tmp_path / "demo.log", "w")  # noqa: SIM115 - closed below
    demo = subprocess.Popen(
        [sys.executable, "-c", "from mallkit.core.cli import main; main()", "demo",
         "--port", str(port), "--database", f"sqlite:///{tmp_path / 'demo.db'}"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert demo.poll() is None, (tmp_path / "demo.log").read_text()[-3000:]
            try:
                urllib.request.urlopen(base + "/", timeout=2).close()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                assert time.monotonic() < deadline, "the demo did not start"
                time.sleep(0.3)
        script = _walkthrough().replace("http://127.0.0.1:8000", base)
        run = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script],
            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr[-3000:] + run.stdout[-3000:]
        out = run.stdout
        placed = re.search(r"^order (\d+), total (\d+)$", out, re.M)
        assert placed, out[-3000:]
        total = placed.group(2)
        assert f'"amount":{total}' in out.replace(" ", "")  # the transfer asked for it
        assert '"status":"completed"' in out.replace(" ", "")  # confirmed by the buyer
        assert '"status":"paid"' in out.replace(" ", "")  # the balance payment
        assert "招商银行" in out  # the transfer instructions name an account
    finally:
        demo.terminate()
        try:
            demo.wait(timeout=15)
        except subprocess.TimeoutExpired:
            demo.kill()
        log.close()
