"""A schema's dump without marshmallow's per-field machinery, for answers on the hot path (a
placed order: some 300 values a 10-line order). Each schema class is looked at once: its
plain fields (``Integer``, ``String``, ``Boolean``, ``Raw``, ``Dict`` without inner fields,
nested schemas and lists of them) are then copied the way marshmallow copies them, and any
other field (dates, custom fields, a field with a dump default) is serialized by the field
itself. A schema with ``pre_dump``/``post_dump`` hooks is dumped by marshmallow whole.
``tests/core/test_fastdump.py`` holds the output to marshmallow's, value for value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields
from marshmallow.utils import missing

Dumper = Callable[[Any], Any]


def dumper(schema: Schema) -> Dumper:
    """The fast dump of ``schema`` (an instance; ``many``, ``only``, ``exclude`` honoured):
    ``dumper(s)(obj)`` equals ``s.dump(obj)``. Build it once and keep it (a module constant):
    building it looks at every field."""
    return _build(schema)


def _build(schema: Schema) -> Dumper:
    if schema._hooks.get("pre_dump") or schema._hooks.get("post_dump"):
        return schema.dump
    steps = [_step(schema, name, field) for name, field in schema.dump_fields.items()]

    def one(obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        getitem = hasattr(obj, "__getitem__")
        for key, attribute, convert, field in steps:
            if convert is None:  # the field's own way
                value = field.serialize(attribute, obj, accessor=schema.get_attribute)
                if value is not missing:
                    out[key] = value
                continue
            if getitem:
                try:
                    value = obj[attribute]
                except (KeyError, IndexError, TypeError, AttributeError):
                    value = getattr(obj, attribute, missing)
            else:
                value = getattr(obj, attribute, missing)
            if value is missing:
                continue
            out[key] = None if value is None else convert(value)
        return out

    if schema.many:
        return lambda objs: None if objs is None else [one(o) for o in objs]
    return one


def _same(value: Any) -> Any:
    return value


def _step(schema: Schema, name: str, field: fields.Field) -> tuple:
    key = field.data_key if field.data_key is not None else name
    attribute = field.attribute or name
    kind = type(field)
    convert: Dumper | None = None
    if field.dump_default is not missing or "." in attribute:
        convert = None
    elif kind is fields.Integer and not field.as_string:
        convert = int
    elif kind is fields.String:
        convert = _text
    elif kind in (fields.Boolean, fields.Raw):
        convert = _same
    elif kind is fields.Dict and field.key_field is None and field.value_field is None:
        convert = dict
    elif kind is fields.Nested:
        convert = _nested(field)
    elif kind is fields.List and type(field.inner) is fields.Nested:
        inner = _nested(field.inner)
        convert = lambda values: [None if v is None else inner(v) for v in values]  # noqa: E731
    return key, attribute, convert, field


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _nested(field: fields.Nested) -> Dumper:
    nested = field.schema  # an instance, with the field's many/only/exclude
    return dumper(nested)
