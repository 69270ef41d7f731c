"""Where uploaded media live: a small storage interface with a local-disk backend (the default)
and an S3-compatible one (AWS S3, MinIO, Ceph, Alibaba OSS / Tencent COS in S3 mode), chosen
by settings (docs/deployment.md "Media storage").

Keys are relative paths (``catalog/7/ab12….jpg``). The upload rules — sniffing the type,
sizes, folders — live in :mod:`mallkit.core.catalog.media`; this module only keeps bytes.

- ``MEDIA_STORAGE = "local"``: files under ``MEDIA_ROOT``, served by the app at
  ``/api/v1/media/<key>``. One machine (or a shared volume).
- ``MEDIA_STORAGE = "s3"``: objects in ``MEDIA_S3_BUCKET`` (under ``MEDIA_S3_PREFIX``) at
  ``MEDIA_S3_ENDPOINT_URL`` (empty: AWS) in ``MEDIA_S3_REGION``, with
  ``MEDIA_S3_ACCESS_KEY_ID``/``MEDIA_S3_SECRET_ACCESS_KEY`` (empty: boto3's usual credential
  chain — instance roles, ``AWS_*`` variables). With ``MEDIA_PUBLIC_URL`` (a CDN or public
  bucket address) media URLs point there and never touch the app; without it
  ``/api/v1/media/<key>`` redirects to a presigned URL valid ``MEDIA_S3_URL_SECONDS`` (3600).
  Stateless app nodes on several machines need this backend (or a shared volume).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, Response, current_app, redirect, send_from_directory

_EXTENSION = "mallkit.storage"


class MediaStorage(Protocol):
    """What a media backend does; keys are validated relative paths."""

    def save(self, key: str, data: bytes, content_type: str) -> None: ...

    def load(self, key: str) -> bytes | None: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> bool: ...

    def public_url(self, key: str) -> str | None:
        """A URL that serves the file without the app, or None (the app serves it)."""

    def serve(self, key: str, max_age: int) -> Response:
        """The app's answer to ``GET /api/v1/media/<key>`` for a key that exists."""


def _content_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


class LocalStorage:
    """Files under one folder (``MEDIA_ROOT``)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"media key {key!r} leaves the media folder")
        return path

    def save(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".part")
        temporary.write_bytes(data)
        temporary.replace(path)  # readers never see half a file

    def load(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except ValueError:
            return False

    def delete(self, key: str) -> bool:
        path = self._path(key)
        if not path.is_file():
            return False
        path.unlink()
        return True

    def public_url(self, key: str) -> str | None:
        return None

    def serve(self, key: str, max_age: int) -> Response:
        return send_from_directory(self.root, key, max_age=max_age)  # ranges for video


class S3Storage:
    """Objects in an S3-compatible bucket, through boto3 (``pip install 'mallkit[s3]'``)."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
        public_base_url: str | None = None,
        url_seconds: int = 3600,
    ) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError("MEDIA_STORAGE=s3 needs boto3: pip install 'mallkit[s3]'") from exc
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.public_base_url = (public_base_url or "").rstrip("/") or None
        self.url_seconds = url_seconds
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or "us-east-1",
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=Config(signature_version="s3v4", retries={"max_attempts": 3}),
        )

    def _key(self, key: str) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"bad media key {key!r}")
        return self.prefix + key

    def save(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
        )

    def load(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            return None
        return answer["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        if key.startswith("/") or ".." in key.split("/"):
            return False
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def delete(self, key: str) -> bool:
        if not self.exists(key):
            return False
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        return True

    def public_url(self, key: str) -> str | None:
        return f"{self.public_base_url}/{self._key(key)}" if self.public_base_url else None

    def presigned_url(self, key: str) -> str:
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self._key(key)},
            ExpiresIn=self.url_seconds,
        )

    def serve(self, key: str, max_age: int) -> Response:
        answer = redirect(self.public_url(key) or self.presigned_url(key), code=302)
        # the presigned address expires: let a browser reuse the redirect for a while only
        answer.headers["Cache-Control"] = f"private, max-age={min(max_age, 300)}"
        return answer


def build(config: dict[str, Any] | Any) -> MediaStorage:
    """The backend the settings name."""
    kind = (config.get("MEDIA_STORAGE") or "local").lower()
    if kind == "local":
        return LocalStorage(config.get("MEDIA_ROOT") or "media")
    if kind == "s3":
        bucket = config.get("MEDIA_S3_BUCKET")
        if not bucket:
            raise RuntimeError("MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET")
        return S3Storage(
            bucket,
            endpoint_url=config.get("MEDIA_S3_ENDPOINT_URL"),
            region=config.get("MEDIA_S3_REGION"),
            access_key_id=config.get("MEDIA_S3_ACCESS_KEY_ID"),
            secret_access_key=config.get("MEDIA_S3_SECRET_ACCESS_KEY"),
            prefix=config.get("MEDIA_S3_PREFIX") or "",
            public_base_url=config.get("MEDIA_PUBLIC_URL"),
            url_seconds=int(config.get("MEDIA_S3_URL_SECONDS") or 3600),
        )
    raise RuntimeError(f"MEDIA_STORAGE is local or s3, not {kind!r}")


_SETTINGS = (
    "MEDIA_STORAGE",
    "MEDIA_ROOT",
    "MEDIA_S3_BUCKET",
    "MEDIA_S3_ENDPOINT_URL",
    "MEDIA_S3_REGION",
    "MEDIA_S3_ACCESS_KEY_ID",
    "MEDIA_S3_SECRET_ACCESS_KEY",
    "MEDIA_S3_PREFIX",
    "MEDIA_PUBLIC_URL",
    "MEDIA_S3_URL_SECONDS",
)


def init_app(app: Flask) -> None:
    """Build the app's media backend at start-up, so a bad setting stops it there."""
    _for(app)


def _for(app: Flask) -> MediaStorage:
    # Built once per distinct settings (an S3 client is worth keeping); settings changed at
    # run time — a test pointing MEDIA_ROOT at a temporary folder — take effect.
    key = tuple(str(app.config.get(name)) for name in _SETTINGS)
    cached = app.extensions.get(_EXTENSION)
    if cached is None or cached[0] != key:
        cached = (key, build(app.config))
        app.extensions[_EXTENSION] = cached
    return cached[1]


def storage() -> MediaStorage:
    """The current app's media backend."""
    return _for(current_app._get_current_object())
