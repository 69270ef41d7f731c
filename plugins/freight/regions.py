"""Mainland China's provinces and prefecture-level cities with their GB/T 2260 codes and
coordinates, from the data file shipped with the plugin (``regions_cn.json``, 31 provinces
and 344 cities). Used to price freight by region, to validate addresses and to locate them
(``locate_address``).

Matching an address: the province by its full name (``广东省``) or short name (``广东``,
``内蒙古``); the city by its full name or without ``市`` (``深圳``). In the four
municipalities (北京, 天津, 上海, 重庆) any city text is accepted — buyers write a district
there — and the address is placed in the municipality's urban city (``310100``).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).parent / "regions_cn.json"
MUNICIPALITIES = ("110000", "120000", "310000", "500000")
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    lng: float
    lat: float
    province_code: str  # itself for a province


@dataclass(frozen=True, slots=True)
class Place:
    """Where an address is: its province and (when known) city."""

    province: Region
    city: Region | None

    @property
    def codes(self) -> tuple[str, ...]:
        """Most specific first: the city's code, then the province's."""
        return (self.city.code, self.province.code) if self.city else (self.province.code,)

    def as_dict(self) -> dict[str, Any]:
        spot = self.city or self.province
        return {
            "country": "CN",
            "province_code": self.province.code,
            "province": self.province.name,
            "city_code": self.city.code if self.city else "",
            "city": self.city.name if self.city else "",
            "lng": spot.lng,
            "lat": spot.lat,
        }


def _short(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


class Regions:
    def __init__(self, data: dict[str, Any]) -> None:
        self.provinces: list[Region] = []
        self.by_code: dict[str, Region] = {}
        self.cities: dict[str, list[Region]] = {}
        self._province_names: dict[str, Region] = {}
        self._city_names: dict[str, dict[str, Region]] = {}
        for p in data["provinces"]:
            province = Region(p["code"], p["name"], p["lng"], p["lat"], p["code"])
            self.provinces.append(province)
            self.by_code[province.code] = province
            self._province_names[province.name] = province
            self._province_names[_short(province.name)] = province
            names = self._city_names.setdefault(province.code, {})
            for code, name, lng, lat in p["cities"]:
                city = Region(code, name, lng, lat, province.code)
                self.by_code[code] = city
                self.cities.setdefault(province.code, []).append(city)
                names[name] = city
                names.setdefault(_short(name), city)

    def name_of(self, code: str) -> str:
        region = self.by_code.get(code)
        if region is None:
            return code
        if region.code == region.province_code:
            return region.name
        province = self.by_code[region.province_code]
        return region.name if region.name == province.name else province.name + region.name

    def province(self, name: str) -> Region | None:
        name = (name or "").strip()
        return self._province_names.get(name) or self._province_names.get(_short(name))

    def city(self, province: Region, name: str) -> Region | None:
        name = (name or "").strip()
        if province.code in MUNICIPALITIES:
            return self.cities[province.code][0]
        names = self._city_names[province.code]
        return names.get(name) or names.get(_short(name))

    def locate(self, address: dict[str, Any] | None) -> Place | None:
        """The place of a mainland address, or None (another country, an unknown
        province). An unknown city leaves the place at its province."""
        if not address or (address.get("country") or "CN").upper() != "CN":
            return None
        province = self.province(address.get("province", ""))
        if province is None:
            return None
        return Place(province, self.city(province, address.get("city", "")))

    def check(self, address: dict[str, Any]) -> dict[str, list[str]]:
        """Field errors of a mainland address (empty when it is fine or not mainland)."""
        if (address.get("country") or "CN").upper() != "CN":
            return {}
        province = self.province(address.get("province", ""))
        if province is None:
            return {
                "province": [
                    "Not a province of mainland China (Hong Kong, Macao and Taiwan use "
                    "their own country codes HK, MO, TW)."
                ]
            }
        if self.city(province, address.get("city", "")) is None:
            return {"city": [f"Not a city of {province.name}."]}
        return {}

    def as_list(self) -> list[dict[str, Any]]:
        return [
            {
                "code": p.code,
                "name": p.name,
                "cities": [{"code": c.code, "name": c.name} for c in self.cities.get(p.code, [])],
            }
            for p in self.provinces
        ]


@functools.cache
def regions() -> Regions:
    return Regions(json.loads(DATA_FILE.read_text(encoding="utf-8")))
