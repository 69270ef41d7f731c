"""Product images and videos uploaded by staff, stored under ``app.config["MEDIA_ROOT"]``.

Files go to ``<MEDIA_ROOT>/<folder>/<merchant_id>/<random>.<ext>`` (``catalog`` for staff
uploads; plugins store buyers' photos under their own folder with ``store_media``) and are
served at ``/api/v1/media/<folder>/<merchant_id>/<name>``. The type is decided by the file's
first bytes, not by its name, and only common image and video formats are accepted.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import IO

from flask import current_app

from mallkit.core.errors import ValidationError

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


def media_root() -> Path:
    return Path(current_app.config["MEDIA_ROOT"]).resolve()


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
    relative = Path(folder) / str(int(merchant_id)) / f"{secrets.token_hex(16)}.{ext}"
    target = media_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return {"url": URL_PREFIX + relative.as_posix(), "kind": kind, "size": len(data)}
