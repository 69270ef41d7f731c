"""Specifications → SKUs: the pure rules, no database.

A product declares its specification dimensions in order, each with its values::

    [{"name": "颜色", "values": ["红", "蓝"]}, {"name": "尺码", "values": ["M", "L"]}]

and every SKU is one combination (``{"颜色": "红", "尺码": "M"}``). A product without
dimensions has exactly one SKU with empty specs. SKUs may cover a subset of the combinations
(red may not come in XL), but every declared value must be used by at least one SKU.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mallkit.core.errors import ValidationError

MAX_DIMENSIONS = 5
MAX_VALUES = 50
MAX_SKUS = 600


def check_specs(specs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validate dimensions (unique names, unique non-empty values); return a clean copy."""
    errors: dict[str, list[str]] = {}
    clean: list[dict[str, Any]] = []
    names: set[str] = set()
    if len(specs) > MAX_DIMENSIONS:
        errors["specs"] = [f"At most {MAX_DIMENSIONS} specification dimensions."]
    for i, dim in enumerate(specs):
        name = str(dim.get("name", "")).strip()
        values = [str(v).strip() for v in dim.get("values", [])]
        if not name:
            errors[f"specs.{i}.name"] = ["A dimension needs a name."]
        elif name in names:
            errors[f"specs.{i}.name"] = [f"Dimension {name!r} is declared twice."]
        names.add(name)
        if not values:
            errors[f"specs.{i}.values"] = ["A dimension needs at least one value."]
        elif len(values) > MAX_VALUES:
            errors[f"specs.{i}.values"] = [f"At most {MAX_VALUES} values."]
        elif "" in values or len(set(values)) != len(values):
            errors[f"specs.{i}.values"] = ["Values are non-empty and unique."]
        clean.append({"name": name, "values": values})
    if errors:
        raise ValidationError("invalid specifications", code="invalid_specs", errors=errors)
    return clean


def combinations(specs: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Every combination of the dimensions' values, in declaration order (one empty
    combination for a product without dimensions)."""
    count = 1
    for d in specs:
        count *= len(d["values"])
    if count > MAX_SKUS:
        raise ValidationError(
            "too many combinations",
            code="invalid_specs",
            errors={"specs": [f"At most {MAX_SKUS} combinations."]},
        )
    names = [d["name"] for d in specs]
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(d["values"] for d in specs))
    ]


def spec_key(specs: Sequence[Mapping[str, Any]], values: Mapping[str, str]) -> str:
    """A canonical text key for a combination: ``颜色:红;尺码:M`` in dimension order."""
    return ";".join(f"{d['name']}:{values[d['name']]}" for d in specs)


def match_skus(
    specs: Sequence[Mapping[str, Any]], skus: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Check each SKU names one valid combination, no combination twice and every value is
    used; return the SKUs with ``specs`` normalised and ``spec_key`` and ``position`` set
    (in the order of :func:`combinations`)."""
    skus = list(skus)
    errors: dict[str, list[str]] = {}
    if not skus:
        raise ValidationError(
            "a product needs at least one SKU",
            code="invalid_skus",
            errors={"skus": ["At least one SKU."]},
        )
    if len(skus) > MAX_SKUS:
        raise ValidationError(
            "too many SKUs", code="invalid_skus", errors={"skus": [f"At most {MAX_SKUS} SKUs."]}
        )
    names = [d["name"] for d in specs]
    allowed = {d["name"]: set(d["values"]) for d in specs}
    seen: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    for i, sku in enumerate(skus):
        values = {str(k).strip(): str(v).strip() for k, v in (sku.get("specs") or {}).items()}
        if set(values) != set(names):
            want = ", ".join(names) or "no specifications"
            errors[f"skus.{i}.specs"] = [f"Give exactly one value for each of: {want}."]
            continue
        bad = [f"{k}={v}" for k, v in values.items() if v not in allowed[k]]
        if bad:
            errors[f"skus.{i}.specs"] = [f"Not a declared value: {', '.join(bad)}."]
            continue
        key = spec_key(specs, values)
        if key in seen:
            errors[f"skus.{i}.specs"] = [f"Same combination as SKU {seen[key]}: {key}."]
            continue
        seen[key] = i
        out.append(
            {
                **sku,
                "specs": {n: values[n] for n in names},
                "spec_key": key,
                "position": _position(specs, values),
            }
        )
    if not errors:
        unused = [
            f"{d['name']}={v}"
            for d in specs
            for v in d["values"]
            if not any(s["specs"][d["name"]] == v for s in out)
        ]
        if unused:
            errors["specs"] = [f"No SKU uses: {', '.join(unused)}."]
    if errors:
        raise ValidationError(
            "the SKUs do not match the specifications", code="invalid_skus", errors=errors
        )
    return sorted(out, key=lambda s: s["position"])


def _position(specs: Sequence[Mapping[str, Any]], values: Mapping[str, str]) -> int:
    """The combination's index in :func:`combinations` order (mixed radix), without
    enumerating them."""
    position = 0
    for d in specs:
        position = position * len(d["values"]) + d["values"].index(values[d["name"]])
    return position


def generate_skus(
    specs: Sequence[Mapping[str, Any]], defaults: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """One SKU per combination, each a copy of ``defaults`` (price, stock ...)."""
    return match_skus(specs, [{**defaults, "specs": c} for c in combinations(specs)])
