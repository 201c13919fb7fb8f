"""The gazetteer (地名地址库): a typed address → residents' committee (居委/村委) → street.

Entries are plain data (imported from CSV by :mod:`cityops.domain.routing.csv_import`, or
built by the caller from database rows):

- **road** segments: road name + house-number range (from, to, parity odd/even/all) → committee;
- **compound** (小区/村): name + aliases → committee, optionally with the road it stands on and
  its number range there;
- **polygon**: a committee boundary as a ring of (lng, lat), used when coordinates are given.

:meth:`Gazetteer.resolve` normalises the address (:func:`normalize_address`), finds every
gazetteer name in it (one dict probe per position and name length: the cost follows the
address, not the gazetteer), and weighs the evidence in this order:

    compound  >  road + number  >  polygon  >  road only  (>  street named in the text)

The first kind of evidence present decides; the others narrow it when it is ambiguous
(two 幸福小区 in different streets, told apart by the road or the street named) and lower
the confidence when they disagree (the compound says one committee, the number another).
A road that spans several committees with no number, or a number that several segments
claim, is *ambiguous*: no committee, the alternatives, and the street when they share one.

Pure: no I/O, no clock.  The names of streets and committees (for 东湖镇…, 潮音居委…) come
in as :class:`Area` values, built from the org tree by :func:`areas_from_units`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cityops.domain.errors import InvalidInput
from cityops.domain.org import Unit, UnitKind
from cityops.domain.routing.address import house_number_at, normalize_address, road_stem
from cityops.domain.routing.geo import Point, PolygonIndex, valid_point

ROAD = "road"
COMPOUND = "compound"
POLYGON = "polygon"
ENTRY_KINDS: tuple[str, ...] = (ROAD, COMPOUND, POLYGON)

ALL, ODD, EVEN = "all", "odd", "even"
PARITIES: tuple[str, ...] = (ALL, ODD, EVEN)

# How an address was resolved, best evidence first.
METHOD_COMPOUND = "compound"
METHOD_ROAD_NUMBER = "road_number"
METHOD_POLYGON = "polygon"
METHOD_ROAD_ONLY = "road_only"
METHOD_STREET = "street"        # only the street is known (东湖镇…): committee_code is None
METHODS: tuple[str, ...] = (METHOD_COMPOUND, METHOD_ROAD_NUMBER, METHOD_POLYGON, METHOD_ROAD_ONLY, METHOD_STREET)

#: Confidence of a unique answer by each kind of evidence (before agreement/disagreement).
CONFIDENCE: Mapping[str, float] = {
    METHOD_COMPOUND: 0.95,
    "compound_alias": 0.9,
    METHOD_ROAD_NUMBER: 0.9,
    METHOD_POLYGON: 0.85,
    "intersection": 0.7,
    METHOD_ROAD_ONLY: 0.6,
    METHOD_STREET: 0.5,
}
DISAGREEMENT = 0.6   # factor when road+number or polygon evidence points to another committee
AGREEMENT = 0.03     # bonus (capped at 0.99) per kind of lower evidence that confirms the answer
NARROWED = 0.9       # factor when the answer needed lower evidence to break a tie


@dataclass(frozen=True)
class GazetteerEntry:
    """One row of the gazetteer.  ``line`` is the CSV line it came from (None if built otherwise)."""

    kind: str                                 # road | compound | polygon
    name: str                                 # road name, compound name, or a label for a boundary
    committee_code: str
    aliases: tuple[str, ...] = ()
    road: str | None = None                   # compound: the road its gate is on
    number_from: int | None = None            # road: first number of the segment; compound: on ``road``
    number_to: int | None = None
    parity: str = ALL                         # all | odd (单号) | even (双号)
    polygon: tuple[Point, ...] = ()           # (lng, lat) ring, any kind may carry one
    line: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ENTRY_KINDS:
            raise InvalidInput(f"gazetteer entry {self.name!r}: kind must be one of {list(ENTRY_KINDS)}", "kind")
        if not self.name.strip():
            raise InvalidInput("gazetteer entry: empty name", "name")
        if not self.committee_code.strip():
            raise InvalidInput(f"gazetteer entry {self.name!r}: empty committee code", "committee_code")
        if self.parity not in PARITIES:
            raise InvalidInput(f"gazetteer entry {self.name!r}: parity must be one of {list(PARITIES)}", "parity")
        if self.number_from is not None and self.number_to is not None and self.number_from > self.number_to:
            raise InvalidInput(f"gazetteer entry {self.name!r}: number_from > number_to", "number_from")
        if self.kind == POLYGON and len(self.polygon) < 3:
            raise InvalidInput(f"gazetteer entry {self.name!r}: a polygon needs at least 3 points", "polygon")

    @property
    def has_range(self) -> bool:
        return self.number_from is not None or self.number_to is not None

    def covers(self, number: int) -> bool:
        """Does this segment hold house number ``number`` (range and parity)?"""
        if self.number_from is not None and number < self.number_from:
            return False
        if self.number_to is not None and number > self.number_to:
            return False
        if self.parity == ODD:
            return number % 2 == 1
        if self.parity == EVEN:
            return number % 2 == 0
        return True

    def describe(self) -> str:
        """A short Chinese description for explanations: 望潮路 1–247号 单号 / 小区 滨江花园."""
        if self.kind == POLYGON:
            return f"边界 {self.name}"
        if self.kind == COMPOUND:
            return f"小区 {self.name}"
        rng = ""
        if self.has_range:
            rng = f" {self.number_from or 1}–{self.number_to if self.number_to is not None else ''}号"
        par = {ODD: " 单号", EVEN: " 双号"}.get(self.parity, "")
        return f"{self.name}{rng}{par}"


@dataclass(frozen=True)
class Area:
    """A street (街道/镇) or a committee (居委/村委) as the gazetteer needs it: code and name."""

    code: str
    name: str
    kind: str                       # "street" | "committee"
    street_code: str | None = None  # a committee's street


def areas_from_units(units: Iterable[Unit]) -> tuple[Area, ...]:
    """Streets, residents' committees and villages of the org tree as :class:`Area` values."""
    units = list(units)
    by_id = {u.id: u for u in units}
    out: list[Area] = []
    for u in units:
        if u.kind == UnitKind.STREET:
            out.append(Area(u.code, u.name, "street"))
        elif u.kind in (UnitKind.COMMITTEE, UnitKind.VILLAGE):
            parent = by_id.get(u.parent_id) if u.parent_id is not None else None
            street = parent.code if parent is not None and parent.kind == UnitKind.STREET else None
            out.append(Area(u.code, u.name, "committee", street))
    return tuple(out)


@dataclass(frozen=True)
class Candidate:
    committee_code: str
    street_code: str | None
    method: str
    confidence: float
    entry: GazetteerEntry | None


@dataclass(frozen=True)
class Resolution:
    """Where an address belongs.  ``committee_code`` is None when unresolved or ambiguous;
    ``street_code`` may still be known (every alternative lies in one street)."""

    committee_code: str | None
    street_code: str | None
    method: str | None                     # one of METHODS, None when nothing matched
    confidence: float                      # 0-1
    entry: GazetteerEntry | None           # the entry that decided (None when ambiguous; line None for org names)
    alternatives: tuple[Candidate, ...] = ()  # ambiguous: the tied candidates; else: disagreeing ones
    ambiguous: bool = False
    normalized: str = ""
    house_number: int | None = None
    notes: tuple[str, ...] = ()            # machine-readable: alias, intersection, narrowed_by:road_only…

    @property
    def resolved(self) -> bool:
        return self.committee_code is not None

    @property
    def candidate_codes(self) -> tuple[str, ...]:
        return tuple(c.committee_code for c in self.alternatives)


UNRESOLVED = Resolution(None, None, None, 0.0, None)

# lexicon payloads: (tag, value, alias?)
_C, _R, _S, _A = "c", "r", "s", "a"   # compound entry index | road key | road stem → road key | street area


@dataclass
class _Layer:
    method: str
    cands: dict[str, tuple[GazetteerEntry | None, float]] = field(default_factory=dict)

    def add(self, code: str, entry: GazetteerEntry | None, conf: float) -> None:
        old = self.cands.get(code)
        if old is None or conf > old[1]:
            self.cands[code] = (entry, conf)


class Gazetteer:
    """An index over gazetteer entries (and the org's street/committee names) for :meth:`resolve`."""

    def __init__(self, entries: Iterable[GazetteerEntry], areas: Iterable[Area] = ()):
        self.entries: tuple[GazetteerEntry, ...] = tuple(entries)
        self.areas: tuple[Area, ...] = tuple(areas)
        self._street_of: dict[str, str] = {a.code: a.street_code for a in self.areas
                                           if a.kind == "committee" and a.street_code}
        # org committee names behave like compounds (潮音居委, 娄湾村): synthetic entries
        org: list[GazetteerEntry] = []
        for a in self.areas:
            if a.kind == "committee" and a.name.strip():
                org.append(GazetteerEntry(COMPOUND, a.name, a.code, aliases=_committee_variants(a.name)))
        self._all: tuple[GazetteerEntry, ...] = self.entries + tuple(org)
        self._lex: dict[str, list[tuple[str, object, bool]]] = {}
        self._segments: dict[str, list[GazetteerEntry]] = {}   # road key → segments (and compounds with a range)
        self._compound_road: dict[int, str] = {}               # compound index → its road key
        polygons: list[tuple[int, Sequence[Point]]] = []
        for i, e in enumerate(self._all):
            if e.polygon:
                polygons.append((i, e.polygon))
            if e.kind == ROAD:
                key = normalize_address(e.name)
                self._segments.setdefault(key, []).append(e)
                for name in (e.name, *e.aliases):
                    n = normalize_address(name)
                    self._add(n, (_R, key, n != key))
                    stem = road_stem(n)
                    if stem:
                        self._add(stem, (_S, key, True))
            elif e.kind == COMPOUND:
                self._add(normalize_address(e.name), (_C, i, False))
                for alias in e.aliases:
                    self._add(normalize_address(alias), (_C, i, True))
                if e.road:
                    rkey = normalize_address(e.road)
                    self._compound_road[i] = rkey
                    self._add(rkey, (_R, rkey, False))     # a road known only through its compounds
                    stem = road_stem(rkey)
                    if stem:
                        self._add(stem, (_S, rkey, True))
                    if e.has_range:
                        self._segments.setdefault(rkey, []).append(e)
        for a in self.areas:
            if a.kind == "street" and a.name.strip():
                self._add(normalize_address(a.name), (_A, a.code, False))
        # first character → the name lengths starting with it, longest first
        lengths: dict[str, set[int]] = {}
        for key in self._lex:
            lengths.setdefault(key[0], set()).add(len(key))
        self._lengths = {ch: tuple(sorted(ls, reverse=True)) for ch, ls in lengths.items()}
        self._polygons: PolygonIndex[int] = PolygonIndex(polygons)

    def _add(self, key: str, payload: tuple[str, object, bool]) -> None:
        if not key:
            return
        bucket = self._lex.setdefault(key, [])
        if payload not in bucket:
            bucket.append(payload)

    # ---- queries ------------------------------------------------------------------
    def street_of(self, committee_code: str) -> str | None:
        return self._street_of.get(committee_code)

    def committees(self) -> frozenset[str]:
        return frozenset(e.committee_code for e in self.entries)

    def locate(self, lng: float, lat: float) -> tuple[GazetteerEntry, ...]:
        """The entries whose polygon holds (lng, lat)."""
        return tuple(self._all[i] for i in self._polygons.locate(lng, lat))

    def resolve(self, address: str, point: Point | None = None) -> Resolution:
        """Resolve a typed address (and, optionally, a (lng, lat) point) to a committee."""
        text = normalize_address(address or "")
        mentions = self._mentions(text)

        compound = _Layer(METHOD_COMPOUND)
        road_number = _Layer(METHOD_ROAD_NUMBER)
        polygon = _Layer(METHOD_POLYGON)
        road_only = _Layer(METHOD_ROAD_ONLY)
        streets: list[str] = []
        roads: list[tuple[str, int | None]] = []
        compound_idx: dict[str, list[int]] = {}
        notes: list[str] = []

        for _start, end, payloads in mentions:
            for tag, value, alias in payloads:
                if tag == _C:
                    e = self._all[value]  # type: ignore[index]
                    conf = CONFIDENCE["compound_alias" if alias else METHOD_COMPOUND]
                    compound.add(e.committee_code, e, conf)
                    compound_idx.setdefault(e.committee_code, []).append(value)  # type: ignore[arg-type]
                elif tag in (_R, _S):
                    roads.append((value, house_number_at(text, end)))  # type: ignore[arg-type]
                elif tag == _A and value not in streets:
                    streets.append(value)  # type: ignore[arg-type]

        house_number = next((n for _, n in roads if n is not None), None)
        road_keys = list(dict.fromkeys(k for k, _ in roads))
        for key, number in roads:
            if number is None:
                continue
            hits = [e for e in self._segments.get(key, ()) if e.covers(number)]
            for e in hits:
                road_number.add(e.committee_code, e, CONFIDENCE[METHOD_ROAD_NUMBER])
            if not hits:
                notes.append("number_out_of_range")
        per_road = [{e.committee_code: e for e in self._segments.get(k, ())} for k in road_keys]
        per_road = [r for r in per_road if r]
        if len(per_road) >= 2:
            common = set(per_road[0]).intersection(*per_road[1:])
            if common:
                notes.append("intersection")
                for code in sorted(common):
                    road_only.add(code, per_road[0][code], CONFIDENCE["intersection"])
            else:
                for r in per_road:
                    for code, e in r.items():
                        road_only.add(code, e, CONFIDENCE[METHOD_ROAD_ONLY])
        elif per_road:
            for code, e in per_road[0].items():
                road_only.add(code, e, CONFIDENCE[METHOD_ROAD_ONLY])
        if point is not None and valid_point(*point):
            for i in self._polygons.locate(point[0], point[1]):
                e = self._all[i]
                polygon.add(e.committee_code, e, CONFIDENCE[METHOD_POLYGON])

        # a compound name shared by several committees: the one on a road named in the text
        if len(compound.cands) > 1 and road_keys:
            on_road = {c for c, idxs in compound_idx.items()
                       if any(self._compound_road.get(i) in road_keys for i in idxs)}
            if on_road and on_road != set(compound.cands):
                compound.cands = {c: v for c, v in compound.cands.items() if c in on_road}
                notes.append("narrowed_by:road")

        layers = [compound, road_number, polygon, road_only]
        if streets:
            for layer in layers:
                inside = {c: v for c, v in layer.cands.items() if self._street_of.get(c) in streets}
                if inside:
                    if len(inside) < len(layer.cands):
                        notes.append(f"narrowed_by:street:{layer.method}")
                    layer.cands = inside
                elif layer.cands:
                    notes.append(f"street_mismatch:{layer.method}")
        return self._decide(text, layers, streets, house_number, notes)

    # ---- internals ----------------------------------------------------------------
    def _mentions(self, text: str) -> list[tuple[int, int, list[tuple[str, object, bool]]]]:
        """Every gazetteer name in ``text``; overlaps resolved longest first, then leftmost."""
        found: list[tuple[int, int, list[tuple[str, object, bool]]]] = []
        n = len(text)
        lex, lengths = self._lex, self._lengths
        for i, ch in enumerate(text):
            for size in lengths.get(ch, ()):
                end = i + size
                if end > n:
                    continue
                payloads = lex.get(text[i:end])
                if payloads is None:
                    continue
                valid = [p for p in payloads if _valid(p, text, end)]
                if valid:
                    found.append((i, end, valid))
        if len(found) <= 1:
            return found
        found.sort(key=lambda m: (m[0] - m[1], m[0]))
        kept: list[tuple[int, int, list[tuple[str, object, bool]]]] = []
        for m in found:
            if all(m[1] <= k[0] or m[0] >= k[1] for k in kept):
                kept.append(m)
        kept.sort(key=lambda m: m[0])
        return kept

    def _decide(self, text: str, layers: list[_Layer], streets: list[str], house_number: int | None,
                notes: list[str]) -> Resolution:
        chosen_at = next((i for i, layer in enumerate(layers) if layer.cands), None)
        if chosen_at is None:
            if len(streets) == 1:
                return Resolution(None, streets[0], METHOD_STREET, CONFIDENCE[METHOD_STREET], None,
                                  normalized=text, house_number=house_number, notes=tuple(notes))
            return Resolution(None, None, None, 0.0, None, normalized=text, house_number=house_number,
                              notes=tuple(notes) + (("no_match",) if text else ("empty",)))
        chosen = layers[chosen_at]
        cands = dict(chosen.cands)
        narrowed = False
        for lower in layers[chosen_at + 1:]:
            if len(cands) <= 1:
                break
            common = cands.keys() & lower.cands.keys()
            if common and len(common) < len(cands):
                cands = {c: v for c, v in cands.items() if c in common}
                notes.append(f"narrowed_by:{lower.method}")
                narrowed = True

        if len(cands) > 1:
            alts = tuple(sorted((self._candidate(c, chosen.method, v) for c, v in cands.items()),
                                key=lambda c: (-c.confidence, c.committee_code)))
            street_set = {a.street_code for a in alts}
            street = street_set.pop() if len(street_set) == 1 else None
            conf = max(a.confidence for a in alts) / len(alts)
            return Resolution(None, street, chosen.method, round(conf, 3), None, alts, True, text,
                              house_number, tuple(notes))

        code, (entry, conf) = next(iter(cands.items()))
        if conf < CONFIDENCE[METHOD_COMPOUND] and chosen.method == METHOD_COMPOUND:
            notes.append("alias")
        if narrowed:
            conf *= NARROWED
        alternatives: list[Candidate] = []
        for lower in layers[chosen_at + 1:]:
            if lower.method not in (METHOD_ROAD_NUMBER, METHOD_POLYGON) or not lower.cands:
                continue
            if code in lower.cands:
                conf = min(0.99, conf + AGREEMENT)
            else:
                conf *= DISAGREEMENT
                notes.append(f"disagrees:{lower.method}")
                alternatives.extend(self._candidate(c, lower.method, v) for c, v in sorted(lower.cands.items()))
        street = self._street_of.get(code)
        if streets and street is not None and street not in streets:
            conf *= DISAGREEMENT
        return Resolution(code, street, chosen.method, round(conf, 3), entry, tuple(alternatives), False, text,
                          house_number, tuple(notes))

    def _candidate(self, code: str, method: str, value: tuple[GazetteerEntry | None, float]) -> Candidate:
        return Candidate(code, self._street_of.get(code), method, value[1], value[0])


def _valid(payload: tuple[str, object, bool], text: str, end: int) -> bool:
    tag = payload[0]
    if tag == _S:   # a bare stem (望潮) counts only before a house number: 望潮88弄
        return house_number_at(text, end) is not None
    if tag == _R:   # 望潮路街道 is a street's name, not the road
        return not text.startswith("街道", end)
    return True


def _committee_variants(name: str) -> tuple[str, ...]:
    """潮音居委 → 潮音居委会, 潮音居民区, 潮音居民委员会; 娄湾村 → 娄湾村委会, 娄湾村民委员会."""
    for suffix in ("居民委员会", "居委会", "居委", "居民区"):
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            return tuple(stem + s for s in ("居委", "居委会", "居民区", "居民委员会") if stem + s != name)
    if name.endswith("村") and len(name) > 1:
        return (name + "委会", name + "民委员会")
    return ()
