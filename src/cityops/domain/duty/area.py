"""Where a team (or one member) works: residents' committees (or streets) and polygons; whether
a place is inside; whether a phone's reported position is plausible.

Places are given as the units they resolve to (an order's committee, the committee the
gazetteer finds for its coordinates) and, when known, a point (lng, lat).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable, Sequence

from ..errors import InvalidInput
from ..routing.geo import Point, point_in_polygon, valid_point

NEAR_KM = 1.0          # outside the drawn area by less than this: boundaries are never that precise
FAR_KM = 5.0           # further than this from the area: "nowhere near" — a warning
MAX_SPEED_KMH = 150.0  # faster than this between two reports: a position jump — a warning
MAX_POLYGONS = 50
MAX_POINTS = 2000


@dataclass(frozen=True)
class Area:
    unit_ids: frozenset[int] = frozenset()
    polygons: tuple[tuple[Point, ...], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.unit_ids and not self.polygons

    def covers(self, place_units: Iterable[int], point: Point | None,
               is_within: Callable[[int, int], bool]) -> bool:
        """Is the place inside: one of its units is (under) a covered unit, or its point is in a polygon."""
        for u in place_units:
            if any(is_within(u, a) for a in self.unit_ids):
                return True
        if point is not None and valid_point(*point):
            return any(point_in_polygon(point[0], point[1], ring) for ring in self.polygons)
        return False


def checked_polygons(value: object) -> tuple[tuple[Point, ...], ...]:
    """Polygons from JSON: a list of rings, each a list of [lng, lat] pairs (3 or more)."""
    if value in (None, ""):
        return ()
    if not isinstance(value, (list, tuple)) or len(value) > MAX_POLYGONS:
        raise InvalidInput(f"区域须为多边形列表（最多 {MAX_POLYGONS} 个） (polygons: a list of rings of [lng, lat])",
                           field="polygons")
    out = []
    total = 0
    for i, ring in enumerate(value):
        try:
            pts = tuple((float(p[0]), float(p[1])) for p in ring)
        except (TypeError, ValueError, IndexError, KeyError):
            raise InvalidInput(f"第 {i + 1} 个多边形格式错误 (polygon {i + 1}: points must be [lng, lat])",
                               field="polygons") from None
        if len(pts) < 3:
            raise InvalidInput(f"第 {i + 1} 个多边形少于 3 个点 (polygon {i + 1} needs at least 3 points)", field="polygons")
        bad = [p for p in pts if not valid_point(*p)]
        if bad:
            raise InvalidInput(f"第 {i + 1} 个多边形有无效坐标 {bad[0]} (polygon {i + 1}: invalid coordinate; "
                               f"give [lng, lat])", field="polygons")
        total += len(pts)
        out.append(pts)
    if total > MAX_POINTS:
        raise InvalidInput(f"多边形点数超过 {MAX_POINTS} (more than {MAX_POINTS} points in all)", field="polygons")
    return tuple(out)


def km_between(a: Point, b: Point) -> float:
    """Great-circle distance (haversine) between two (lng, lat) points, in km."""
    lng1, lat1, lng2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 6371.0088 * 2 * math.asin(min(1.0, math.sqrt(h)))


def _km_to_segment(p: Point, a: Point, b: Point) -> float:
    # local equirectangular projection around p: good to metres at city scale
    kx = 111.320 * math.cos(math.radians(p[1]))
    ky = 110.574
    ax, ay = (a[0] - p[0]) * kx, (a[1] - p[1]) * ky
    bx, by = (b[0] - p[0]) * kx, (b[1] - p[1]) * ky
    dx, dy = bx - ax, by - ay
    L = dx * dx + dy * dy
    t = 0.0 if L == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / L))
    return math.hypot(ax + t * dx, ay + t * dy)


def km_outside(point: Point, rings: Sequence[Sequence[Point]]) -> float | None:
    """0 inside any ring, else the distance to the nearest edge; None when no ring is known."""
    if not rings:
        return None
    best = math.inf
    for ring in rings:
        if point_in_polygon(point[0], point[1], ring):
            return 0.0
        n = len(ring)
        for i in range(n):
            best = min(best, _km_to_segment(point, ring[i - 1], ring[i]))
    return best


@dataclass(frozen=True)
class PositionCheck:
    km_outside: float | None    # None: the area's geometry is unknown
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.warnings


def check_position(point: Point, at: datetime, rings: Sequence[Sequence[Point]],
                   previous: tuple[Point, datetime] | None = None) -> PositionCheck:
    """A reported position, judged against the area (its polygons and the covered committees'
    boundaries) and the previous report. The position is always kept; this only says what is odd."""
    if not valid_point(*point):
        raise InvalidInput("坐标无效：经度 -180~180，纬度 -90~90 (invalid position: lng -180..180, lat -90..90)",
                           field="lat")
    warnings = []
    dist = km_outside(point, rings)
    if dist is not None and dist > FAR_KM:
        warnings.append(f"位置距负责区域 {dist:.1f} 公里，远离辖区 (position is {dist:.1f} km from the covered area)")
    if previous is not None:
        (p0, t0) = previous
        hours = (at - t0).total_seconds() / 3600
        km = km_between(p0, point)
        if hours > 0 and km > FAR_KM and km / hours > MAX_SPEED_KMH:
            warnings.append(f"位置在 {hours * 60:.0f} 分钟内移动了 {km:.1f} 公里，疑似定位漂移 "
                            f"(moved {km:.1f} km in {hours * 60:.0f} min: a position jump)")
    return PositionCheck(dist, tuple(warnings))
