"""Marshmallow schemas as JSON Schema (apispec's converter), for forms generated in the browser:
plugin config forms and the forms of console pages plugins add (docs/console.md)."""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema


@lru_cache(maxsize=1)
def _converter():
    # schema_name_resolver → None: nested schemas are written inline, never as $ref
    plugin = MarshmallowPlugin(schema_name_resolver=lambda schema: None)
    APISpec("forms", "1", "3.0.3", plugins=[plugin])
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
        if key in props and fld.metadata.get("description_zh"):
            # the hint in both languages, as the console's other texts: {zh, en}
            props[key]["x-description"] = {
                "zh": fld.metadata["description_zh"],
                "en": fld.metadata.get("description", ""),
            }
    return out


def json_schema(schema_cls: type[Schema] | None) -> dict[str, Any] | None:
    """The JSON Schema (OpenAPI 3 flavour) of what ``schema_cls`` loads: ``properties`` with
    ``type``, ``format``, ``enum``, ``minLength``/``maxLength``, ``minimum``/``maximum``,
    ``default``, ``description``; ``required``; secret fields (``metadata={"secret": True}``)
    carry ``"x-secret": true``; a field whose ``description`` (English, as in the API docs) has
    a Chinese twin (``metadata={"description_zh": ...}``) carries both as
    ``"x-description": {"zh": ..., "en": ...}``, which the console shows in its language."""
    if schema_cls is None:
        return None
    return copy.deepcopy(_cached(schema_cls))
