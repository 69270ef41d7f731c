"""Media storage backends (core/storage.py): one contract, run against local disk and against
an S3-compatible server (moto's, started here), plus uploads and serving through the app."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

from mallkit.core import storage as storage_module
from mallkit.core.storage import LocalStorage, S3Storage

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64
CREDENTIALS = {"access_key_id": "test", "secret_access_key": "test", "region": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """A local S3-compatible server (moto) for the session."""
    pytest.importorskip("boto3")
    pytest.importorskip("moto.server")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(endpoint + "/", timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the local S3 server (moto) did not start")
            time.sleep(0.2)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


def _bucket(endpoint: str) -> str:
    name = f"media-{uuid.uuid4().hex[:12]}"
    S3Storage(name, endpoint_url=endpoint, **CREDENTIALS).client.create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "media")
    endpoint = request.getfixturevalue("s3_endpoint")
    return S3Storage(_bucket(endpoint), endpoint_url=endpoint, prefix="shop/", **CREDENTIALS)


def test_save_load_exists_delete(backend):
    key = "catalog/7/a1.png"
    assert backend.load(key) is None and not backend.exists(key)
    backend.save(key, PNG, "image/png")
    assert backend.exists(key) and backend.load(key) == PNG
    backend.save(key, PNG + b"2", "image/png")  # replaced whole
    assert backend.load(key) == PNG + b"2"
    assert backend.delete(key) is True
    assert backend.delete(key) is False
    assert backend.load(key) is None and not backend.exists(key)


def test_keys_cannot_leave_the_store(backend):
    for key in ("../outside.png", "catalog/../../x.png", "/etc/passwd"):
        assert not backend.exists(key)
        with pytest.raises(ValueError):
            backend.save(key, PNG, "image/png")


def test_settings_choose_and_check_the_backend(tmp_path):
    assert isinstance(storage_module.build({"MEDIA_ROOT": str(tmp_path)}), LocalStorage)
    with pytest.raises(RuntimeError, match="MEDIA_S3_BUCKET"):
        storage_module.build({"MEDIA_STORAGE": "s3"})
    with pytest.raises(RuntimeError, match="local or s3"):
        storage_module.build({"MEDIA_STORAGE": "ftp"})


def _s3_app(make_app, endpoint: str, **extra):
    return make_app(
        MEDIA_STORAGE="s3",
        MEDIA_S3_BUCKET=_bucket(endpoint),
        MEDIA_S3_ENDPOINT_URL=endpoint,
        MEDIA_S3_ACCESS_KEY_ID="test",
        MEDIA_S3_SECRET_ACCESS_KEY="test",
        **extra,
    )


def _upload(client, merchant_id: int, headers: dict) -> dict:
    answer = client.post(
        f"/api/v1/merchants/{merchant_id}/media",
        data={"file": (io.BytesIO(PNG), "photo.png")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_uploads_go_to_the_bucket_and_are_served_by_presigned_redirect(make_app, s3_endpoint):
    from mallkit.core.testing import make_account, make_merchant

    app = _s3_app(make_app, s3_endpoint)
    with app.app_context():
        owner = make_account(email="s3-owner@test.mallkit.dev")
        store = make_merchant("S3 store", owner=owner.user)
        client = app.test_client()
        url = _upload(client, store.id, owner.headers)["url"]
        assert url.startswith(f"/api/v1/media/catalog/{store.id}/") and url.endswith(".png")
        key = url.removeprefix("/api/v1/media/")
        assert storage_module.storage().load(key) == PNG

        served = client.get(url)
        assert served.status_code == 302
        assert served.headers["Location"].startswith(s3_endpoint)
        assert "X-Amz-Signature=" in served.headers["Location"]
        with urllib.request.urlopen(served.headers["Location"], timeout=10) as answer:
            assert answer.read() == PNG
            assert answer.headers["Content-Type"] == "image/png"
        missing = url.rsplit("/", 1)[0] + "/" + "0" * 32 + ".png"
        assert client.get(missing).status_code == 404


def test_a_public_media_address_is_used_directly(make_app, s3_endpoint):
    from mallkit.core.testing import make_account, make_merchant

    app = _s3_app(make_app, s3_endpoint, MEDIA_PUBLIC_URL="https://cdn.example.com/")
    with app.app_context():
        owner = make_account(email="cdn-owner@test.mallkit.dev")
        store = make_merchant("CDN store", owner=owner.user)
        url = _upload(app.test_client(), store.id, owner.headers)["url"]
        assert url.startswith(f"https://cdn.example.com/catalog/{store.id}/")


def test_local_files_never_appear_half_written(tmp_path):
    store = LocalStorage(tmp_path)
    store.save("a/1/x.png", PNG, "image/png")
    assert sorted(p.name for p in (tmp_path / "a" / "1").iterdir()) == ["x.png"]
