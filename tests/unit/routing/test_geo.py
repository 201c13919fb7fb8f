from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cityops.domain.routing import PolygonIndex, point_in_polygon

# an L-shaped (concave) ring: the notch at the top right is outside
L_SHAPE = ((0, 0), (4, 0), (4, 2), (2, 2), (2, 4), (0, 4))


def test_ray_casting_handles_a_concave_ring():
    assert point_in_polygon(1, 1, L_SHAPE)
    assert point_in_polygon(1, 3, L_SHAPE)
    assert point_in_polygon(3, 1, L_SHAPE)
    assert not point_in_polygon(3, 3, L_SHAPE)      # the notch
    assert not point_in_polygon(5, 1, L_SHAPE)
    assert not point_in_polygon(-1, 1, L_SHAPE)


def test_a_closing_point_repeated_changes_nothing():
    closed = L_SHAPE + (L_SHAPE[0],)
    for p in [(1, 1), (3, 3), (1, 3), (5, 5)]:
        assert point_in_polygon(*p, closed) == point_in_polygon(*p, L_SHAPE)


def test_a_degenerate_ring_holds_nothing():
    assert not point_in_polygon(0, 0, ((0, 0), (1, 1)))


def test_the_grid_index_finds_each_of_many_squares():
    squares = [((i, j), ((i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1))) for i in range(40) for j in range(40)]
    index = PolygonIndex(squares)
    assert len(index) == 1600
    assert index.locate(10.5, 20.5) == [(10, 20)]
    assert index.locate(39.9, 0.1) == [(39, 0)]
    assert index.locate(40.5, 0.5) == []
    assert PolygonIndex([]).locate(1, 1) == []


@settings(max_examples=300, deadline=None)
@given(st.floats(-1, 41, allow_nan=False), st.floats(-1, 41, allow_nan=False))
def test_the_index_agrees_with_a_plain_scan(x, y):
    rings = {k: ((k, k), (k + 3, k), (k + 3, k + 2), (k + 1, k + 4)) for k in range(0, 40, 2)}
    index = PolygonIndex(rings.items())
    assert index.locate(x, y) == [k for k, ring in rings.items() if point_in_polygon(x, y, ring)]
