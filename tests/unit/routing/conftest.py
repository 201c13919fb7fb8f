"""A small hand-made gazetteer (the brief's examples) and the demo district's gazetteer."""
from __future__ import annotations

from importlib.resources import files

import pytest

from cityops.domain.routing import Area, Gazetteer, GazetteerEntry, parse_gazetteer_csv

SQUARE_A1 = ((121.40, 31.20), (121.41, 31.20), (121.41, 31.21), (121.40, 31.21))
SQUARE_B1 = ((121.42, 31.20), (121.43, 31.20), (121.43, 31.21), (121.42, 31.21))

ENTRIES = [
    GazetteerEntry("road", "望潮路", "A1", number_from=1, number_to=99, parity="odd"),
    GazetteerEntry("road", "望潮路", "A2", number_from=2, number_to=98, parity="even"),
    GazetteerEntry("road", "望潮路", "A3", number_from=100, number_to=199),
    GazetteerEntry("road", "青年路", "A1", number_from=1, number_to=99),
    GazetteerEntry("road", "青年路", "B1", number_from=100, number_to=300),
    GazetteerEntry("road", "娄湾公路", "V1"),                     # one committee, no range
    GazetteerEntry("road", "东湖路", "B1", number_from=1, number_to=50),
    GazetteerEntry("road", "东湖路", "V1", number_from=40, number_to=80),  # 40-50 claimed twice
    GazetteerEntry("compound", "滨江花园", "A2", aliases=("滨江花苑",), road="望潮路"),
    GazetteerEntry("compound", "滨江花园二期", "A3", aliases=("滨江花苑二期",)),
    GazetteerEntry("compound", "幸福村", "V1"),
    GazetteerEntry("compound", "幸福小区", "A1", road="望潮路"),
    GazetteerEntry("compound", "幸福小区", "B1", road="青年路"),
    GazetteerEntry("compound", "观海公寓", "A3", road="观海路", number_from=400, number_to=420),
    GazetteerEntry("polygon", "A1 边界", "A1", polygon=SQUARE_A1),
    GazetteerEntry("polygon", "B1 边界", "B1", polygon=SQUARE_B1),
]
AREAS = [
    Area("SA", "望潮路街道", "street"),
    Area("SB", "东湖镇", "street"),
    Area("A1", "听涛居委", "committee", "SA"),
    Area("A2", "望潮居委", "committee", "SA"),
    Area("A3", "观海居委", "committee", "SA"),
    Area("B1", "湖滨居委", "committee", "SB"),
    Area("V1", "幸福村", "committee", "SB"),
]


@pytest.fixture(scope="session")
def gaz() -> Gazetteer:
    return Gazetteer(ENTRIES, AREAS)


@pytest.fixture(scope="session")
def demo_spec():
    from cityops.app.demo.places import _gazetteer
    return _gazetteer()


@pytest.fixture(scope="session")
def demo_areas(demo_spec):
    streets, committees = demo_spec
    return ([Area(s.code, s.name, "street") for s in streets]
            + [Area(c.code, c.name, "committee", c.street.code) for c in committees])


@pytest.fixture(scope="session")
def demo_csv() -> str:
    return files("cityops.data").joinpath("demo_gazetteer.csv").read_text("utf-8")


@pytest.fixture(scope="session")
def demo_gaz(demo_spec, demo_areas, demo_csv) -> Gazetteer:
    _streets, committees = demo_spec
    entries, errors = parse_gazetteer_csv(demo_csv, known_committees={c.code for c in committees})
    assert errors == []
    return Gazetteer(entries, demo_areas)
