"""Routing (分拨) domain: the gazetteer (address → committee → street), its CSV import, and
the admin-editable routing rules (category + area + urgency → lead unit).  Pure code."""
from cityops.domain.routing.address import chinese_to_int, normalize_address
from cityops.domain.routing.csv_import import RowError, parse_gazetteer_csv, parse_polygon
from cityops.domain.routing.gazetteer import (
    COMPOUND,
    METHODS,
    POLYGON,
    ROAD,
    Area,
    Candidate,
    Gazetteer,
    GazetteerEntry,
    Resolution,
    areas_from_units,
)
from cityops.domain.routing.geo import PolygonIndex, point_in_polygon
from cityops.domain.routing.rules import (
    RoutingRule,
    RoutingRuleError,
    RoutingTarget,
    RuleProblem,
    Suggestion,
    parse_rules,
    route,
    validate_rules,
)

__all__ = [
    "chinese_to_int", "normalize_address",
    "RowError", "parse_gazetteer_csv", "parse_polygon",
    "COMPOUND", "METHODS", "POLYGON", "ROAD",
    "Area", "Candidate", "Gazetteer", "GazetteerEntry", "Resolution", "areas_from_units",
    "PolygonIndex", "point_in_polygon",
    "RoutingRule", "RoutingRuleError", "RoutingTarget", "RuleProblem", "Suggestion",
    "parse_rules", "route", "validate_rules",
]
