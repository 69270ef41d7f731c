"""``store_media`` (plugin API): a plugin's uploads go to its own folder, limited to its kinds."""

import io

import pytest

from mallkit.core.errors import ValidationError
from mallkit.core.plugin_api import store_media

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 64


def test_a_plugin_folder_keeps_its_files_apart_and_serves_them(app, client, merchant, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path)
    with app.app_context():
        saved = store_media(merchant.id, io.BytesIO(PNG), folder="reviews", kinds=("image",))
    assert saved["kind"] == "image" and saved["size"] == len(PNG)
    assert saved["url"].startswith(f"/api/v1/media/reviews/{merchant.id}/")
    assert [p.name for p in (tmp_path / "reviews" / str(merchant.id)).iterdir()]
    assert client.get(saved["url"]).data == PNG


def test_kinds_and_folder_names_are_enforced(app, merchant, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path)
    with app.app_context():
        with pytest.raises(ValidationError) as refused:
            store_media(merchant.id, io.BytesIO(MP4), folder="reviews", kinds=("image",))
        assert refused.value.code == "unsupported_media"
        for bad in ("../etc", "Reviews", "", "a/b"):
            with pytest.raises(ValueError):
                store_media(merchant.id, io.BytesIO(PNG), folder=bad)
    assert not (tmp_path / "reviews").exists()
