"""Marshmallow schemas as JSON Schema (apispec's converter), for forms generated in the browser:
plugin config forms and the forms of console pages plugins add (docs/console.md)."""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema


def field2choices_names(self, field, ret=None, **kwargs) -> dict[str, Any]:
    """``x-choices`` beside the ``enum`` the converter wrote: the names of the values from the
    field's metadata ``choices`` (English) and ``choices_zh`` (Chinese), each value → label.
    Called for every field, nested ones and a list's items too; on a ``List`` field the
    names go to its items, where the enum is."""
    en, zh = field.metadata.get("choices") or {}, field.metadata.get("choices_zh") or {}
    if not (en or zh):
        return {}
    if "enum" not in (ret or {}) and "enum" in (ret or {}).get("items", {}):
        return {"items": {**ret["items"], "x-choices": _choices(field, ret["items"], en, zh)}}
    return {"x-choices": _choices(field, ret or {}, en, zh)}


def _choices(field, prop: dict[str, Any], en: dict, zh: dict) -> dict[str, dict[str, str]]:
    enum = prop.get("enum")
    unknown = [v for v in (*en, *zh) if enum is None or v not in enum]
    if unknown:
        raise ValueError(
            f"field {field.name!r}: metadata choices/choices_zh name values that are not in "
            f"its enum (validate.OneOf): {sorted(map(str, unknown))}"
        )
    return {
        str(value): {"zh": zh.get(value) or en.get(value), "en": en.get(value) or zh.get(value)}
        for value in enum
        if value in en or value in zh
    }


@lru_cache(maxsize=1)
def _converter():
    # schema_name_resolver → None: nested schemas are written inline, never as $ref
    plugin = MarshmallowPlugin(schema_name_resolver=lambda schema: None)
    APISpec("forms", "1", "3.0.3", plugins=[plugin])
    plugin.converter.add_attribute_function(field2choices_names)
    return plugin.converter


@lru_cache(maxsize=256)
def _cached(schema_cls: type[Schema]) -> dict[str, Any]:
    schema = schema_cls()
    out = _converter().schema2jsonschema(schema)
    props = out.setdefault("properties", {})
    for name, fld in schema.load_fields.items():
        key = fld.data_key or name
        if key in props and fld.metadata.get("secret"):
            props[key]["writeOnly"] = True
            props[key]["x-secret"] = True
        if key in props and fld.metadata.get("form_description"):
            # a form's own hint where it differs from the API's (a date-time's time zone)
            props[key]["x-description"] = dict(fld.metadata["form_description"])
        elif key in props and fld.metadata.get("description_zh"):
            # the hint in both languages, as the console's other texts: {zh, en}
            props[key]["x-description"] = {
                "zh": fld.metadata["description_zh"],
                "en": fld.metadata.get("description", ""),
            }
        label, label_zh = fld.metadata.get("label"), fld.metadata.get("label_zh")
        if key in props and (label or label_zh):
            # the field's name on a form in both languages, as a column's title: {zh, en}
            props[key]["x-label"] = {"zh": label_zh or label, "en": label or label_zh}
    return out


def json_schema(schema_cls: type[Schema] | None) -> dict[str, Any] | None:
    """The JSON Schema (OpenAPI 3 flavour) of what ``schema_cls`` loads: ``properties`` with
    ``type``, ``format``, ``enum``, ``minLength``/``maxLength``, ``minimum``/``maximum``,
    ``default``, ``description``; ``required``; secret fields (``metadata={"secret": True}``)
    carry ``"x-secret": true``; a field whose ``description`` (English, as in the API docs) has
    a Chinese twin (``metadata={"description_zh": ...}``) carries both as
    ``"x-description": {"zh": ..., "en": ...}``, which the console shows in its language
    (``metadata={"form_description": {"zh": ..., "en": ...}}`` gives a form its own hint
    where the API's does not fit: a ``UtcDateTime`` says the form takes local time); a
    field's label (``metadata={"label": "Per buyer", "label_zh": "每人限领"}``, English and
    Chinese; one alone stands for both) is served as ``"x-label": {"zh": ..., "en": ...}``,
    which the console's forms show instead of the field's name; the
    values of an enum (``validate.OneOf``) are named with ``metadata={"choices": {value:
    English}, "choices_zh": {value: 中文}}``, served beside the enum as ``"x-choices": {value:
    {"zh": ..., "en": ...}}`` (one language alone stands for both; a name for a value not in
    the enum is a ``ValueError``) — on nested fields too, and on a list field's ``items`` —
    which the console's selects show instead of the codes."""
    if schema_cls is None:
        return None
    return copy.deepcopy(_cached(schema_cls))
