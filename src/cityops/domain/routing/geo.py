"""Point-in-polygon for committee boundaries: ray casting, with a grid index on bounding boxes.

Coordinates are (lng, lat) pairs in degrees, as WGS-84/GCJ-02 maps give them (the gazetteer
does not convert datums: use the same one for boundaries and points).  Polygons are simple
rings (no holes); the closing point may be repeated or not.  Pure code.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from typing import Generic, TypeVar

Point = tuple[float, float]
T = TypeVar("T", bound=Hashable)


def point_in_polygon(lng: float, lat: float, ring: Sequence[Point]) -> bool:
    """Ray casting (even-odd rule): is (lng, lat) inside ``ring``?  Points exactly on an edge
    may fall either way; boundaries drawn on a map are never that precise anyway."""
    inside = False
    n = len(ring)
    if n < 3:
        return False
    x0, y0 = ring[-1]
    for x1, y1 in ring:
        if (y1 > lat) != (y0 > lat):
            x_cross = x1 + (lat - y1) * (x0 - x1) / (y0 - y1)
            if lng < x_cross:
                inside = not inside
        x0, y0 = x1, y1
    return inside


def bbox(ring: Sequence[Point]) -> tuple[float, float, float, float]:
    xs = [p[0] for p in ring]
    ys = [p[1] for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def valid_point(lng: float, lat: float) -> bool:
    return (isinstance(lng, (int, float)) and isinstance(lat, (int, float))
            and math.isfinite(lng) and math.isfinite(lat) and -180 <= lng <= 180 and -90 <= lat <= 90)


class PolygonIndex(Generic[T]):
    """Which polygons hold a point: a uniform grid over the bounding boxes, then ray casting
    on the few polygons of the point's cell.  Cost follows the polygons near the point."""

    def __init__(self, items: Iterable[tuple[T, Sequence[Point]]]):
        self._items: list[tuple[T, tuple[Point, ...], tuple[float, float, float, float]]] = [
            (key, tuple(ring), bbox(ring)) for key, ring in items if len(ring) >= 3
        ]
        self._grid: dict[tuple[int, int], list[int]] = {}
        if not self._items:
            self._x0 = self._y0 = 0.0
            self._cell = 1.0
            return
        x0 = min(b[0] for _, _, b in self._items)
        y0 = min(b[1] for _, _, b in self._items)
        x1 = max(b[2] for _, _, b in self._items)
        y1 = max(b[3] for _, _, b in self._items)
        side = max(1, int(math.sqrt(len(self._items))))
        self._x0, self._y0 = x0, y0
        self._cell = max((x1 - x0) / side, (y1 - y0) / side, 1e-9)
        for i, (_, _, (bx0, by0, bx1, by1)) in enumerate(self._items):
            for cx in range(self._cx(bx0), self._cx(bx1) + 1):
                for cy in range(self._cy(by0), self._cy(by1) + 1):
                    self._grid.setdefault((cx, cy), []).append(i)

    def _cx(self, x: float) -> int:
        return int((x - self._x0) // self._cell)

    def _cy(self, y: float) -> int:
        return int((y - self._y0) // self._cell)

    def __len__(self) -> int:
        return len(self._items)

    def locate(self, lng: float, lat: float) -> list[T]:
        """The keys of every polygon holding the point, in insertion order."""
        if not self._items or not valid_point(lng, lat):
            return []
        out = []
        for i in self._grid.get((self._cx(lng), self._cy(lat)), ()):
            key, ring, (bx0, by0, bx1, by1) = self._items[i]
            if bx0 <= lng <= bx1 and by0 <= lat <= by1 and point_in_polygon(lng, lat, ring):
                out.append(key)
        return out
