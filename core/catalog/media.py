"""Product images and videos uploaded by staff, and photos plugins store, kept by the media
backend (:mod:`mallkit.core.storage`: ``MEDIA_ROOT`` on local disk, or an S3 bucket).

Files get the key ``<folder>/<merchant_id>/<random>.<ext>`` (``catalog`` for staff uploads;
plugins store buyers' photos under their own folder with ``store_media``) and are served at
``/api/v1/media/<folder>/<merchant_id>/<name>`` (or at ``MEDIA_PUBLIC_URL`` when set). The
type is decided by the file's first bytes, not by its name, and only common image and video
formats are accepted.
"""

from __future__ import annotations

import re
import secrets
from typing import IO

from mallkit.core.errors import ValidationError
from mallkit.core.storage import storage

MAX_IMAGE_BYTES = 10 * 1024 * 1024
URL_PREFIX = "/api/v1/media/"
_FOLDER = re.compile(r"[a-z][a-z0-9_]{0,31}")

# (extension, kind, test on the first bytes)
_SIGNATURES = (
    ("jpg", "image", lambda b: b.startswith(b"\xff\xd8\xff")),
    ("png", "image", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    ("gif", "image", lambda b: b[:6] in (b"GIF87a", b"GIF89a")),
    ("webp", "image", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
    ("mp4", "video", lambda b: b[4:8] == b"ftyp" and b[8:10] != b"qt"),
    ("mov", "video", lambda b: b[4:8] == b"ftyp" and b[8:10] == b"qt"),
    ("webm", "video", lambda b: b.startswith(b"\x1a\x45\xdf\xa3")),
)


CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
}


def is_folder(name: str) -> bool:
    return bool(_FOLDER.fullmatch(name))


def sniff(head: bytes) -> tuple[str, str]:
    """``(extension, kind)`` of a file from its first bytes; refuses anything else."""
    for ext, kind, test in _SIGNATURES:
        if test(head):
            return ext, kind
    raise ValidationError(
        "only JPEG, PNG, GIF, WebP images and MP4, MOV, WebM videos",
        code="unsupported_media",
        errors={"file": ["Unsupported file type."]},
    )


def store(
    merchant_id: int,
    stream: IO[bytes],
    *,
    folder: str = "catalog",
    kinds: tuple[str, ...] = ("image", "video"),
) -> dict[str, object]:
    """Save an upload; return its public ``url``, ``kind`` and ``size``.

    ``folder`` keeps each owner's files apart (``catalog`` for staff uploads; a plugin passes its
    own name, e.g. ``aftersales`` for buyers' evidence photos); ``kinds`` limits what is accepted
    (``("image",)`` for photos)."""
    if not is_folder(folder):
        raise ValueError(f"bad media folder {folder!r}")
    data = stream.read()
    if not data:
        raise ValidationError(
            "the file is empty", code="unsupported_media", errors={"file": ["Empty file."]}
        )
    ext, kind = sniff(data[:16])
    if kind not in kinds:
        raise ValidationError(
            f"only {' or '.join(kinds)} files here",
            code="unsupported_media",
            errors={"file": ["Unsupported file type."]},
        )
    if kind == "image" and len(data) > MAX_IMAGE_BYTES:
        raise ValidationError(
            "images are at most 10 MB", code="file_too_large", errors={"file": ["At most 10 MB."]}
        )
    key = f"{folder}/{int(merchant_id)}/{secrets.token_hex(16)}.{ext}"
    backend = storage()
    backend.save(key, data, CONTENT_TYPES[ext])
    return {"url": backend.public_url(key) or URL_PREFIX + key, "kind": kind, "size": len(data)}
