"""Inspection sweeps (排查): a checklist over a list of places (the seed's 1,638 street shops
and 523 firms), each checked once with a result; progress is counted from the results."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from ..errors import InvalidInput

PENDING = "pending"          # 待检查
OK = "ok"                    # 合格
PROBLEM = "problem"          # 发现问题 (becomes a patrol order)
UNREACHABLE = "unreachable"  # 未营业 / 无法检查
RESULTS = (OK, PROBLEM, UNREACHABLE)
KINDS = ("shop", "firm", "compound", "site", "other")
MAX_PLACES = 20_000


@dataclass(frozen=True)
class Place:
    name: str
    address: str = ""
    lat: float | None = None
    lng: float | None = None


def checked_places(rows: Iterable[Any]) -> tuple[list[Place], list[dict]]:
    """Places from rows (dicts with name, address, lat, lng): good ones, and a report of the bad
    rows (row number and reason) — a bad row never drops the good ones."""
    places: list[Place] = []
    errors: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            errors.append({"row": i, "error": "须为对象 (a row is an object with name, address, lat, lng)"})
            continue
        name = str(row.get("name") or "").strip()
        address = str(row.get("address") or "").strip()
        if not name:
            errors.append({"row": i, "error": "名称不能为空 (name is required)"})
            continue
        if len(name) > 200 or len(address) > 300:
            errors.append({"row": i, "error": "名称或地址过长 (name ≤ 200, address ≤ 300 characters)"})
            continue
        try:
            lat = float(row["lat"]) if row.get("lat") not in (None, "") else None
            lng = float(row["lng"]) if row.get("lng") not in (None, "") else None
        except (TypeError, ValueError):
            errors.append({"row": i, "error": "坐标不是数字 (lat/lng must be numbers)"})
            continue
        if (lat is None) != (lng is None) or (lat is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180)):
            errors.append({"row": i, "error": "坐标无效 (give both lat and lng, in range)"})
            continue
        key = (name, address)
        if key in seen:
            errors.append({"row": i, "error": f"重复的地点 {name} (duplicate place; kept once)"})
            continue
        seen.add(key)
        places.append(Place(name, address, lat, lng))
    if len(places) > MAX_PLACES:
        raise InvalidInput(f"一次排查最多 {MAX_PLACES} 个地点 (at most {MAX_PLACES} places per sweep)", field="places")
    return places, errors


def checked_result(result: str) -> str:
    if result not in RESULTS:
        raise InvalidInput(f"检查结果须为 {RESULTS} 之一 (result must be one of {RESULTS})", field="result")
    return result


def progress(counts: dict[str, int]) -> dict[str, Any]:
    total = sum(counts.values())
    done = total - counts.get(PENDING, 0)
    return {"total": total, "done": done, "pending": counts.get(PENDING, 0), "ok": counts.get(OK, 0),
            "problem": counts.get(PROBLEM, 0), "unreachable": counts.get(UNREACHABLE, 0),
            "percent": round(100 * done / total, 1) if total else 0.0}
