"""The web console's server side: the pages plugins add (``register_console_pages``, through
the coupons plugin and the example hello plugin), plugin config schemas as JSON Schema, the
console's files, and suspending a merchant."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from marshmallow import Schema, fields, validate

from mallkit.core import console as console_module
from mallkit.core.accounts.merchants.service import add_staff
from mallkit.core.audit import AuditLog
from mallkit.core.console import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage, all_pages
from mallkit.core.plugins import get_host
from mallkit.core.schema_json import json_schema
from mallkit.core.testing import concurrently, make_account


def pages(client, merchant, account):
    answer = client.get(f"/api/v1/merchants/{merchant.id}/console", headers=account.headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def test_staff_see_the_pages_of_the_plugins_their_store_enabled(
    client, merchant, owner, enable_plugin
):
    ids = [p["id"] for p in pages(client, merchant, owner)["pages"]]
    assert "coupons/templates" not in ids and "hello/greeting" not in ids
    with enable_plugin("coupons", merchant), enable_plugin("hello", merchant):
        answer = pages(client, merchant, owner)
        assert answer["role"] == "owner"
        by_id = {p["id"]: p for p in answer["pages"]}
        coupons = by_id["coupons/templates"]
        assert coupons["path"] == "/merchants/{merchant_id}/coupon-templates"
        assert {"field": "amount", "title": {"zh": "面额", "en": "Amount"}, "kind": "money"} in (
            coupons["columns"]
        )
        form = coupons["create"]
        assert form["money"] == ["threshold", "amount", "cap"]
        assert form["schema"]["properties"]["type"]["enum"] == [
            "full_reduction",
            "discount",
            "no_threshold",
        ]
        assert "name" in form["schema"]["required"]
        assert by_id["hello/greeting"]["component"] == "/web/plugins/hello/greeting.js"


def test_pages_follow_the_role(client, merchant, owner, enable_plugin):
    agent = make_account(email="agent@console.test")
    add_staff(merchant, agent.user.email, "agent")
    with enable_plugin("coupons", merchant), enable_plugin("hello", merchant):
        answer = pages(client, merchant, agent)
        ids = [p["id"] for p in answer["pages"]]
        assert answer["role"] == "agent"
        assert "hello/greeting" in ids  # every role
        assert "coupons/templates" not in ids  # owner and manager only


def test_nobody_else_reads_a_store_console(client, merchant, other_merchant, buyer, admin):
    url = f"/api/v1/merchants/{merchant.id}/console"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=buyer.headers).status_code == 403
    stranger = other_merchant.owner_account
    assert client.get(url, headers=stranger.headers).status_code == 403
    answer = client.get(url, headers=admin.headers)
    assert answer.status_code == 200 and answer.json["role"] == "admin"
    assert client.get("/api/v1/merchants/999999/console", headers=admin.headers).status_code == 404


def test_the_platform_console_is_for_platform_admins(client, admin, owner):
    assert client.get("/api/v1/admin/console", headers=owner.headers).status_code == 403
    answer = client.get("/api/v1/admin/console", headers=admin.headers)
    assert answer.status_code == 200
    assert answer.json["role"] == "admin"
    assert all(p["scope"] == "platform" for p in answer.json["pages"])


def test_plugin_config_schema_is_served_as_json_schema(client, merchant, owner, enable_plugin):
    with enable_plugin("hello", merchant, {"greeting": "hi", "api_token": "s3cret"}):
        plugins = client.get(f"/api/v1/merchants/{merchant.id}/plugins", headers=owner.headers).json
    hello = next(p for p in plugins if p["name"] == "hello")
    schema = hello["config_schema"]
    assert schema["properties"]["greeting"] == {
        "type": "string",
        "default": "你好",
        "minLength": 1,
        "maxLength": 50,
    }
    assert schema["properties"]["api_token"]["x-secret"] is True
    assert hello["config"]["api_token"] == "********"  # masked, never the secret
    no_config = next(p for p in plugins if p["config_fields"] == [])
    assert no_config["config_schema"] is None or no_config["config_schema"]["properties"] == {}


def test_json_schema_of_nested_and_validated_fields():
    class Line(Schema):
        sku_id = fields.Integer(required=True)

    class Form(Schema):
        count = fields.Integer(required=True, validate=validate.Range(min=1, max=9))
        kind = fields.String(validate=validate.OneOf(["a", "b"]))
        lines = fields.List(fields.Nested(Line))
        token = fields.String(metadata={"secret": True})

    schema = json_schema(Form)
    assert schema["required"] == ["count"]
    assert schema["properties"]["count"]["minimum"] == 1
    assert schema["properties"]["count"]["maximum"] == 9
    assert schema["properties"]["kind"]["enum"] == ["a", "b"]
    assert schema["properties"]["lines"]["items"]["properties"]["sku_id"]["type"] == "integer"
    assert schema["properties"]["token"]["x-secret"] is True
    schema["properties"].clear()  # a copy: the cache is not changed
    assert json_schema(Form)["properties"]


def test_the_values_of_an_enum_are_named_in_both_languages_beside_the_enum():
    class Line(Schema):
        unit = fields.String(
            validate=validate.OneOf(["piece", "kg"]),
            metadata={
                "choices": {"piece": "Piece", "kg": "Kilogram"},
                "choices_zh": {"kg": "千克"},
            },
        )

    class Form(Schema):
        scope = fields.String(
            validate=validate.OneOf(["all", "category"]),
            allow_none=True,
            metadata={"choices": {"all": "Whole store"}, "choices_zh": {"all": "全店通用"}},
        )
        days = fields.List(
            fields.String(validate=validate.OneOf(["mon", "tue"])),
            metadata={"choices": {"mon": "Monday"}, "choices_zh": {"mon": "周一", "tue": "周二"}},
        )
        lines = fields.List(fields.Nested(Line))
        plain = fields.String(validate=validate.OneOf(["a", "b"]))

    props = json_schema(Form)["properties"]
    assert props["scope"]["enum"] == ["all", "category", None]
    assert props["scope"]["x-choices"] == {"all": {"zh": "全店通用", "en": "Whole store"}}
    # a list's values are its items: the names sit beside the items' enum
    assert props["days"]["items"]["x-choices"] == {
        "mon": {"zh": "周一", "en": "Monday"},
        "tue": {"zh": "周二", "en": "周二"},  # one language alone stands for both
    }
    assert "x-choices" not in props["days"]
    unit = props["lines"]["items"]["properties"]["unit"]
    assert unit["x-choices"] == {
        "piece": {"zh": "Piece", "en": "Piece"},
        "kg": {"zh": "千克", "en": "Kilogram"},
    }
    assert "x-choices" not in props["plain"]
    assert "choices" not in props["scope"] and "choices_zh" not in props["scope"]


def test_a_name_for_a_value_an_enum_does_not_have_is_refused():
    class Typo(Schema):
        kind = fields.String(
            validate=validate.OneOf(["a", "b"]), metadata={"choices_zh": {"c": "丙"}}
        )

    class NoEnum(Schema):
        kind = fields.String(metadata={"choices": {"a": "A"}})

    with pytest.raises(ValueError, match=r"not in its enum.*\['c'\]"):
        json_schema(Typo)
    with pytest.raises(ValueError, match="not in its enum"):
        json_schema(NoEnum)


def test_a_field_hint_in_both_languages_is_served_for_the_console():
    class Form(Schema):
        rate = fields.Integer(
            metadata={"description": "Percentage paid", "description_zh": "实付比例"}
        )
        plain = fields.String(metadata={"description": "One language"})

    props = json_schema(Form)["properties"]
    assert props["rate"]["description"] == "Percentage paid"  # the API docs keep English
    assert props["rate"]["x-description"] == {"zh": "实付比例", "en": "Percentage paid"}
    assert "x-description" not in props["plain"]
    assert "description_zh" not in props["rate"]


def test_a_field_label_in_both_languages_is_served_for_the_console():
    class Form(Schema):
        per_user = fields.Integer(metadata={"label": "Per buyer", "label_zh": "每人限领"})
        chinese_only = fields.Integer(metadata={"label_zh": "一级佣金比例（基点）"})
        english_only = fields.String(metadata={"label": "Merchant id"})
        plain = fields.String()

    props = json_schema(Form)["properties"]
    assert props["per_user"]["x-label"] == {"zh": "每人限领", "en": "Per buyer"}
    # one language alone stands for both, as a column's title does
    assert props["chinese_only"]["x-label"] == {
        "zh": "一级佣金比例（基点）",
        "en": "一级佣金比例（基点）",
    }
    assert props["english_only"]["x-label"] == {"zh": "Merchant id", "en": "Merchant id"}
    assert "x-label" not in props["plain"]
    assert "label" not in props["per_user"] and "label_zh" not in props["per_user"]


def console_forms():
    """Every form the console shows for the installed plugins, as (plugin, form, JSON Schema):
    each plugin's settings form and every registered page's filter, create and action forms."""
    for name, loaded in sorted(get_host().plugins.items()):
        if loaded.meta.config_schema is not None:
            yield name, "settings", json_schema(loaded.meta.config_schema)
    for plugin, page in all_pages():
        forms = [("filters", page.filters), ("create", page.create)]
        forms += [(f"action {a.key}", a.form) for a in page.actions]
        for which, form in forms:
            if form is not None:
                yield plugin, f"page {page.key} {which}", form.to_dict()["schema"]


def test_every_field_hint_of_a_console_form_has_a_chinese_twin(app):
    missing, checked = [], set()
    for plugin, form, schema in console_forms():
        for field, prop in schema.get("properties", {}).items():
            if prop.get("readOnly") or not prop.get("description"):
                continue  # not shown, or no hint
            checked.add((plugin, form, field))
            zh = prop.get("x-description", {}).get("zh", "")
            if not re.search(r"[\u4e00-\u9fff]", zh):  # absent, or not Chinese
                missing.append(f"{plugin}: {form}: {field} ({prop['description']!r})")
    assert not missing, "field hints without a Chinese twin (metadata description_zh):\n" + (
        "\n".join(missing)
    )
    # the walk sees the forms: settings, create forms and action forms of several plugins
    assert ("coupons", "settings", "one_per_order") in checked
    assert ("coupons", "page templates action issue", "segment_id") in checked
    assert len({plugin for plugin, _, _ in checked}) >= 10


def status_texts_zh() -> dict[str, str]:
    """The console's shared ``status.<value>`` texts in Chinese (``texts.js``), value → text."""
    texts = (Path(console_module.__file__).parent / "web" / "console" / "texts.js").read_text()
    zh = texts[texts.index("zh: {") : texts.index("en: {")]
    return dict(re.findall(r'"status\.([^"]+)":\s*"([^"]*)"', zh))


def enum_props(prop, at):
    """(where, property) of every enum in ``prop``: itself, its nested properties, its items."""
    if prop.get("enum"):
        yield at, prop
    for name, sub in (prop.get("properties") or {}).items():
        yield from enum_props(sub, f"{at}.{name}")
    if isinstance(prop.get("items"), dict):
        yield from enum_props(prop["items"], f"{at}[]")


def test_every_enum_value_of_a_console_form_has_a_chinese_name(app):
    cjk = re.compile(r"[\u4e00-\u9fff]")
    shared = {v for v, text in status_texts_zh().items() if cjk.search(text)}
    assert {"pending", "full_reduction", "email"} <= shared  # the parse reads texts.js
    missing, checked = [], set()
    for plugin, form, schema in console_forms():
        for field, prop in schema.get("properties", {}).items():
            if prop.get("readOnly"):
                continue
            for at, enum in enum_props(prop, field):
                names = enum.get("x-choices", {})
                for value in enum["enum"]:
                    if value is None:
                        continue  # the empty choice, shown as —
                    checked.add((plugin, form, at, value))
                    zh = names.get(str(value), {}).get("zh", "")
                    if not cjk.search(zh) and str(value) not in shared:
                        missing.append(f"{plugin}: {form}: {at} = {value!r}")
    assert not missing, (
        "enum values a console form shows as a bare code (name them with metadata choices "
        "and choices_zh, or use a shared status.<value> text of texts.js):\n" + "\n".join(missing)
    )
    # the walk sees enums of several plugins' forms, nested ones too
    assert ("coupons", "page templates create", "type", "discount") in checked
    assert any("[]" in at or "." in at for _, _, at, _ in checked)
    assert len({plugin for plugin, _, _, _ in checked}) >= 8


def known_field_texts() -> set[str]:
    """The field names the console has a text of its own for: ``field.<name>`` keys of
    texts.js in both its Chinese and its English part."""
    texts = (Path(console_module.__file__).parent / "web" / "console" / "texts.js").read_text()
    zh, en = texts[texts.index("zh: {") : texts.index("en: {")], texts[texts.index("en: {") :]
    return set(re.findall(r'"field\.(\w+)":', zh)) & set(re.findall(r'"field\.(\w+)":', en))


def test_every_field_of_a_console_form_has_a_chinese_label(app):
    """A merchant reading the console in Chinese sees no raw field name (per_user,
    apiv3_key): every field a console form shows has a label in metadata ``label_zh``
    (``x-label``) — or a name the console knows (``field.<name>`` in texts.js) — and a
    labelled field has an English label too."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    known = known_field_texts()
    assert {"name", "status", "starts_at", "amount"} <= known and "per_user" not in known
    missing, checked = [], set()
    for plugin, form, schema in console_forms():
        for field, prop in schema.get("properties", {}).items():
            if prop.get("readOnly"):
                continue  # not shown
            checked.add((plugin, form, field))
            label = prop.get("x-label", {})
            if not cjk.search(label.get("zh", "")) and field not in known:
                missing.append(f"{plugin}: {form}: {field}")
            elif label and cjk.search(label.get("en", "")):
                missing.append(f"{plugin}: {form}: {field} (no English label: {label['en']!r})")
    assert not missing, (
        "console form fields without a label (metadata label_zh and label):\n" + "\n".join(missing)
    )
    # the walk sees the forms: settings, filter, create and action forms of many plugins
    assert ("distribution", "settings", "level1_bp") in checked
    assert ("coupons", "page templates create", "per_user") in checked
    assert ("coupons", "page templates action issue", "segment_id") in checked
    assert ("membership", "page members filters", "level") in checked
    assert len({plugin for plugin, _, _ in checked}) >= 10


def test_console_page_descriptions_are_checked():
    with pytest.raises(ValueError, match="either a list path or a component"):
        ConsolePage(key="x", title="X")
    with pytest.raises(ValueError, match="scope"):
        ConsolePage(key="x", title="X", path="/x", scope="galaxy")
    with pytest.raises(ValueError, match="roles"):
        ConsolePage(key="x", title="X", path="/x", roles=("janitor",))
    with pytest.raises(ValueError, match="kind"):
        ConsoleColumn("x", "X", kind="sparkles")

    class In(Schema):
        a = fields.Integer(required=True)
        b = fields.String()

    assert list(ConsoleForm(In, only=("b",)).to_dict()["schema"]["properties"]) == ["b"]


def test_the_console_and_plugin_modules_are_served(client):
    index = client.get("/console/")
    assert index.status_code == 200 and b'src="/console/app.js"' in index.data
    deep = client.get("/console/m/1/orders/5")  # the app routes in the browser
    assert deep.status_code == 200 and deep.data == index.data
    for name in ("app.js", "lib.js", "texts.js", "console.css", "pages/orders.js"):
        assert client.get(f"/console/{name}").status_code == 200, name
    assert client.get("/console/nothing.js").status_code == 404
    module = client.get("/web/plugins/hello/greeting.js")
    assert module.status_code == 200
    assert module.mimetype in {"text/javascript", "application/javascript"}
    assert client.get("/web/plugins/hello/../__init__.py").status_code == 404
    assert client.get("/web/plugins/hello/nothing.js").status_code == 404
    assert client.get("/web/plugins/nobody/greeting.js").status_code == 404


def test_a_platform_admin_suspends_and_reinstates_a_merchant(client, admin, merchant, owner):
    url = f"/api/v1/admin/merchants/{merchant.id}"
    assert client.patch(url, json={"is_active": False}, headers=owner.headers).status_code == 403
    assert client.patch(url, json={}, headers=admin.headers).status_code == 422
    answer = client.patch(url, json={"is_active": False}, headers=admin.headers)
    assert answer.status_code == 200 and answer.json["is_active"] is False
    assert client.get(f"/api/v1/stores/{merchant.id}").status_code == 404
    assert client.get(url, headers=admin.headers).json["is_active"] is False
    answer = client.patch(url, json={"is_active": True}, headers=admin.headers)
    assert answer.json["is_active"] is True
    actions = [
        row.action
        for row in AuditLog.select()
        .where(AuditLog.merchant_id == merchant.id)
        .order_by(AuditLog.id)
    ]
    assert actions[-2:] == ["merchant.suspend", "merchant.reinstate"]
    assert (
        client.patch(
            "/api/v1/admin/merchants/999999", json={"is_active": False}, headers=admin.headers
        ).status_code
        == 404
    )


def test_suspending_twice_at_once_is_recorded_once(app, admin, merchant):
    from mallkit.core.accounts.merchants import service

    results = concurrently(
        app, lambda i: service.set_active(merchant, False, actor_id=admin.user.id), 5
    )
    assert all(not isinstance(r, Exception) for r in results), results
    suspended = AuditLog.select().where(
        (AuditLog.merchant_id == merchant.id) & (AuditLog.action == "merchant.suspend")
    )
    assert suspended.count() == 1


def test_a_column_names_its_codes_in_both_languages():
    column = ConsoleColumn(
        "placement",
        "广告位",
        "Placement",
        choices={"home_banner": ("首页轮播", "Home banner"), "popup": ("弹窗", "Pop-up")},
    )
    assert column.to_dict() == {
        "field": "placement",
        "title": {"zh": "广告位", "en": "Placement"},
        "kind": "text",
        "choices": {
            "home_banner": {"zh": "首页轮播", "en": "Home banner"},
            "popup": {"zh": "弹窗", "en": "Pop-up"},
        },
    }
    assert "choices" not in ConsoleColumn("name", "名称", "Name").to_dict()
    assert ConsoleColumn("s", "状态", kind="status", choices={"x": ("甲", "X")}).choices
    with pytest.raises(ValueError, match="text or status column"):
        ConsoleColumn("amount", "金额", kind="money", choices={"0": ("零", "Zero")})
    with pytest.raises(ValueError, match="中文"):
        ConsoleColumn("placement", "广告位", choices={"popup": "弹窗"})


def test_the_row_button_shorthands_describe_the_usual_buttons():
    item = "/merchants/{merchant_id}/things/{id}"
    form = ConsoleForm(Schema.from_dict({"note": fields.String()}))
    step = ConsoleAction.step(item, "approve", "通过", "Approve", status=["pending"], form=form)
    assert step.to_dict() | {"form": None} == {
        "key": "approve",
        "title": {"zh": "通过", "en": "Approve"},
        "method": "POST",
        "path": "/merchants/{merchant_id}/things/{id}/approve",
        "form": None,
        "confirm": False,
        "row": True,
        "when": {"status": ["pending"]},
        "prefill": False,  # a step's form asks for something new
        "reveal": [],
        "show": [],
    }
    assert step.to_dict()["form"]["schema"]["properties"] == {"note": {"type": "string"}}
    assert ConsoleAction.step(item, "show", "显示", "Show", confirm=True).when == {}
    edit = ConsoleAction.edit(item, form, method="PUT")
    assert (edit.key, edit.title, edit.title_en, edit.method, edit.path, edit.form) == (
        "edit",
        "修改",
        "Edit",
        "PUT",
        item,
        form,
    )
    assert edit.to_dict()["prefill"] is True  # a change form opens with the row's values
    # fields an answer holds only once (a new secret) are named to be shown once
    secret = ConsoleColumn("secret", "签名密钥", "Signing secret")
    rotate = ConsoleAction("rotate", "轮换密钥", "Rotate", path=f"{item}/rotate", reveal=(secret,))
    (shown,) = rotate.to_dict()["reveal"]
    assert (shown["field"], shown["title"]) == (
        "secret",
        {"zh": "签名密钥", "en": "Signing secret"},
    )
    page = ConsolePage(
        "things", "东西", path="/merchants/{merchant_id}/things", create_reveal=(secret,)
    )
    assert page.to_dict("p")["create_reveal"] == rotate.to_dict()["reveal"]
    delete = ConsoleAction.delete(item)
    assert (delete.key, delete.title_en, delete.method, delete.path, delete.confirm) == (
        "delete",
        "Delete",
        "DELETE",
        item,
        True,
    )


def test_a_date_time_field_tells_a_form_it_takes_local_time(app):
    """A console form takes a date-time in the browser's time zone and sends it as UTC; the
    API's documentation keeps its own wording (UTC, ISO 8601)."""
    from mallkit.core.api import UtcDateTime

    Form = Schema.from_dict(
        {
            "ends": UtcDateTime(
                metadata={"description": "Empty: no end", "description_zh": "留空表示不结束"}
            ),
            "starts": UtcDateTime(),
        }
    )
    props = json_schema(Form)["properties"]
    assert props["ends"]["x-description"] == {
        "zh": "留空表示不结束（按本机时区填写）",
        "en": "Empty: no end (in this computer's time zone)",
    }
    assert props["starts"]["x-description"] == {
        "zh": "按本机时区填写",
        "en": "In this computer's time zone",
    }
    assert "UTC" in props["ends"]["description"]  # what the API documents
    openapi = app.test_client().get("/api/openapi.json").get_data(as_text=True)
    assert "form_description" not in openapi and "按本机时区" not in openapi
