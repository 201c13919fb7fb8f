"""Latency of one gazetteer resolve (address → committee → street), indexed vs a naive scan.

The demo district's gazetteer (src/cityops/data/demo_gazetteer.csv, 269 rows) is scaled up with
synthetic streets, roads, compounds and boundaries to ``--entries`` rows (default 5,000), then
``--addresses`` addresses (default 10,000) are resolved: half written by the demo seeder's own
address generator, half synthetic in every typed variant (road+lane+compound, road+number,
alias, Chinese numerals, full-width digits, road without 路, intersections, road only).

Baseline measured in the same run: a naive gazetteer that scans every entry's names with
``name in text`` per address (same normalisation, same order of evidence).
Pinned to one core.  Usage: python bench/routing_latency.py [--entries N] [--addresses N] [--seed S]
Prints a readable summary, then one JSON object as the last line.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:  # running from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))

from cityops.app.demo.places import _gazetteer  # noqa: E402
from cityops.app.demo.plan import _Planner  # noqa: E402
from cityops.domain.routing import Area, Gazetteer, GazetteerEntry, parse_gazetteer_csv  # noqa: E402
from cityops.domain.routing.address import house_number_at, normalize_address  # noqa: E402
from _timing import percentile, pin_one_core  # noqa: E402

POOL = "安宁康乐华兴盛泰和平丰瑞祥福庆嘉裕隆昌富荣德仁义智信忠廉明清远春秋冬夏金银铜玉石山水林木竹松柏梅兰菊桃李杏枣杨" \
       "枫桐橡槐榆樱荷莲芦苇溪涧泉潭湖港湾滩岛洲渚汀岸堤桥塘泾浜汇浦江河川峰岭岗坡原野田园"
SUFFIXES = ("苑", "新村", "花园", "小区", "公寓", "佳园")
ALIAS = {"花园": "花苑", "佳园": "家园", "新村": "新邨"}
CN = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """88 → 八十八, 105 → 一百零五, 240 → 二百四十 (what an operator might type)."""
    if n < 10:
        return CN[n]
    if n < 20:
        return "十" + (CN[n % 10] if n % 10 else "")
    if n < 100:
        return CN[n // 10] + "十" + (CN[n % 10] if n % 10 else "")
    rest = n % 100
    head = CN[n // 100] + "百"
    if rest == 0:
        return head
    return head + ("零" + CN[rest] if rest < 10 else cn_number(rest) if rest >= 20 else "一" + cn_number(rest))


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in text)


# ------------------------------------------------------------------------------ synthetic district

class Synthetic:
    """Extra streets (each 24 committees on 4 roads) until the gazetteer reaches ``target`` rows."""

    def __init__(self, rng: random.Random, target: int, start: int, taken: set[str]):
        self.rng = rng
        self.entries: list[GazetteerEntry] = []
        self.areas: list[Area] = []
        self.committees: list[dict] = []
        self.streets: list[dict] = []
        n_street = 0
        while start + len(self.entries) < target:
            n_street += 1
            self._street(n_street, taken)

    def _stem(self, taken: set[str]) -> str:
        while True:
            stem = "".join(self.rng.sample(POOL, 3))
            if stem not in taken and stem[:2] not in taken and stem[1:] not in taken:
                taken.add(stem)
                return stem

    def _street(self, n: int, taken: set[str]) -> None:
        code = f"SY-S{n:03d}"
        sname = self._stem(taken) + "街道"
        roads = [self._stem(taken) + self.rng.choice(("路", "路", "路", "公路", "街")) for _ in range(4)]
        self.areas.append(Area(code, sname, "street"))
        street = {"code": code, "name": sname, "roads": roads}
        self.streets.append(street)
        cs = []
        for j in range(1, 25):
            stem = self._stem(taken)
            ccode = f"{code}-C{j:02d}"
            comps = [stem + s for s in self.rng.sample(SUFFIXES, 2)]
            c = {"code": ccode, "name": stem + "居委", "street": street, "compounds": comps,
                 "road": roads[j % 4], "lane0": 20 + 40 * (j // 4)}
            cs.append(c)
            self.areas.append(Area(ccode, c["name"], "committee", code))
            for comp in comps:
                aliases = tuple(comp[: -len(s)] + a for s, a in ALIAS.items() if comp.endswith(s))
                self.entries.append(GazetteerEntry("compound", comp, ccode, aliases=aliases, road=c["road"]))
            if j % 5 == 0:
                x0, y0 = 120.0 + n * 0.1 + (j % 6) * 0.015, 30.0 + (j // 6) * 0.015
                ring = ((x0, y0), (x0 + 0.014, y0), (x0 + 0.014, y0 + 0.014), (x0, y0 + 0.014))
                c["point"] = (x0 + 0.007, y0 + 0.007)
                self.entries.append(GazetteerEntry("polygon", c["name"] + "边界", ccode, polygon=ring))
        for road in roads:
            on = sorted((c for c in cs if c["road"] == road), key=lambda c: c["lane0"])
            first, other = on[0], cs[(cs.index(on[0]) + 1) % len(cs)]
            self.entries.append(GazetteerEntry("road", road, first["code"], number_from=1,
                                               number_to=first["lane0"] - 1, parity="odd"))
            self.entries.append(GazetteerEntry("road", road, other["code"], number_from=2,
                                               number_to=first["lane0"] - 1, parity="even"))
            for k, c in enumerate(on):
                to = on[k + 1]["lane0"] - 1 if k + 1 < len(on) else 9999
                self.entries.append(GazetteerEntry("road", road, c["code"], number_from=c["lane0"], number_to=to))
        self.committees.extend(cs)

    def address(self) -> tuple[str, str | None, str]:
        """(address, the committee it must resolve to or None when it cannot be told, its street)."""
        r = self.rng
        c = r.choice(self.committees)
        code, street = c["code"], c["street"]["code"]
        road, lane = c["road"], c["lane0"] + r.randint(0, 30)
        comp = r.choice(c["compounds"])
        room = f"{r.randint(1, 18)}0{r.randint(1, 4)}室"
        form = r.randrange(9)
        if form == 0:
            return f"{c['street']['name']}{road}{lane}弄{r.randint(1, 30)}号{room}（{comp}）", code, street
        if form == 1:
            return f"{road}{lane}号", code, street
        if form == 2:
            for s, a in ALIAS.items():
                if comp.endswith(s):
                    comp = comp[: -len(s)] + a
            return f"{comp}{r.randint(1, 30)}号楼{room}", code, street
        if form == 3:
            return f"{road}{cn_number(lane)}弄{cn_number(r.randint(1, 30))}号", code, street
        if form == 4:
            return full_width(f"{road}{lane}弄{r.randint(1, 30)}号{room}"), code, street
        if form == 5:
            stem = road[:-2] if road.endswith("公路") else road[:-1]
            return f"{stem}{lane}弄", code, street
        if form == 6:
            other = r.choice([x for x in c["street"]["roads"] if x != road])
            return f"近{road}与{other}路口", None, street
        if form == 7:
            return f"{c['street']['name']}附近", None, street
        return f"{road}附近的垃圾箱满了", None, street


# ------------------------------------------------------------------------------ the naive baseline

class NaiveGazetteer:
    """For every address, test every entry's (pre-normalised) names with ``in``; same evidence order."""

    def __init__(self, entries: list[GazetteerEntry]):
        self.items = []
        for e in entries:
            names = tuple(normalize_address(n) for n in (e.name, *e.aliases))
            self.items.append((e, names))

    def resolve(self, address: str) -> str | None:
        text = normalize_address(address)
        compound: list[GazetteerEntry] = []
        number: list[GazetteerEntry] = []
        road: list[GazetteerEntry] = []
        for e, names in self.items:
            for name in names:
                pos = text.find(name)
                if pos < 0:
                    continue
                if e.kind == "compound":
                    compound.append(e)
                elif e.kind == "road":
                    road.append(e)
                    n = house_number_at(text, pos + len(name))
                    if n is not None and e.covers(n):
                        number.append(e)
                break
        for layer in (compound, number, road):
            codes = {e.committee_code for e in layer}
            if codes:
                return codes.pop() if len(codes) == 1 else None
        return None


def measure(fn, addresses: list[str]) -> list[float]:
    for a in addresses[:200]:  # warm-up
        fn(a)
    out = []
    for a in addresses:
        start = time.perf_counter_ns()
        fn(a)
        out.append((time.perf_counter_ns() - start) / 1000)
    return out


def summary(us: list[float]) -> dict:
    return {"calls": len(us), "p50_us": round(percentile(us, 50), 1), "p99_us": round(percentile(us, 99), 1),
            "mean_us": round(statistics.fmean(us), 1), "max_us": round(max(us), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--addresses", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    core = pin_one_core()
    rng = random.Random(args.seed)

    streets, committees = _gazetteer()
    text = (ROOT / "src" / "cityops" / "data" / "demo_gazetteer.csv").read_text("utf-8")
    entries, errors = parse_gazetteer_csv(text, known_committees={c.code for c in committees})
    assert not errors, errors
    areas = ([Area(s.code, s.name, "street") for s in streets]
             + [Area(c.code, c.name, "committee", c.street.code) for c in committees])
    taken = {n for e in entries for n in (e.name, *e.aliases)} | {a.name for a in areas}
    taken |= {n[:2] for n in list(taken)}
    syn = Synthetic(rng, args.entries, len(entries), taken)
    all_entries = entries + syn.entries
    all_areas = areas + syn.areas

    t0 = time.perf_counter()
    gaz = Gazetteer(all_entries, all_areas)
    build_ms = (time.perf_counter() - t0) * 1000
    naive = NaiveGazetteer(all_entries)

    planner = _Planner(rng, datetime(2022, 3, 25, tzinfo=timezone.utc), "Asia/Shanghai", committees)
    addresses: list[str] = []
    expected: list[tuple[str | None, str]] = []
    for i in range(args.addresses):
        if i % 2 == 0:
            c = rng.choice(committees)
            addresses.append(planner._address(c, planner._slots(c)))
            expected.append((c.code, c.street.code))
        else:
            address, code, street = syn.address()
            addresses.append(address)
            expected.append((code, street))

    indexed = measure(gaz.resolve, addresses)
    baseline = measure(naive.resolve, addresses)
    results = [gaz.resolve(a) for a in addresses]
    resolved = sum(r.resolved for r in results) / len(results)
    street_known = sum(r.street_code is not None for r in results) / len(results)
    agree = sum((r.committee_code == naive.resolve(a)) for r, a in zip(results, addresses)) / len(results)
    determinable = [(r, e) for r, e in zip(results, expected) if e[0] is not None]
    correct = sum(r.committee_code == e[0] for r, e in determinable) / len(determinable)
    wrong = sum(r.committee_code not in (None, e[0]) for r, e in determinable) / len(determinable)
    street_ok = sum(r.street_code == e[1] for r, e in zip(results, expected)) / len(results)
    methods: dict[str, int] = {}
    for r in results:
        methods[r.method or "none"] = methods.get(r.method or "none", 0) + 1

    s_idx, s_base = summary(indexed), summary(baseline)
    print(f"gazetteer: {len(all_entries)} entries ({len(entries)} demo + {len(syn.entries)} synthetic), "
          f"{len(all_areas)} areas; index built in {build_ms:.1f} ms; {len(addresses)} addresses; {core}")
    print(f"{'':<22}{'p50 µs':>10}{'p99 µs':>10}{'mean µs':>10}{'max µs':>10}")
    for label, s in (("indexed Gazetteer", s_idx), ("naive scan (baseline)", s_base)):
        print(f"{label:<22}{s['p50_us']:>10}{s['p99_us']:>10}{s['mean_us']:>10}{s['max_us']:>10}")
    print(f"speed-up p50 ×{s_base['p50_us'] / s_idx['p50_us']:.0f}, p99 ×{s_base['p99_us'] / s_idx['p99_us']:.0f}; "
          f"committee resolved {resolved:.1%}, street known {street_known:.1%}, methods {methods}; "
          f"same committee as the baseline {agree:.1%}")
    print(f"where the committee can be told ({len(determinable)} addresses): right {correct:.2%}, wrong {wrong:.2%}; "
          f"street right on {street_ok:.2%} of all addresses")
    print(json.dumps({
        "bench": "routing_latency", "entries": len(all_entries), "areas": len(all_areas),
        "addresses": len(addresses), "core": core, "build_ms": round(build_ms, 1),
        "indexed": s_idx, "baseline_naive_scan": s_base,
        "speedup_p50": round(s_base["p50_us"] / s_idx["p50_us"], 1),
        "speedup_p99": round(s_base["p99_us"] / s_idx["p99_us"], 1),
        "resolved_share": round(resolved, 4), "street_known_share": round(street_known, 4),
        "methods": methods, "agreement_with_baseline": round(agree, 4),
        "determinable": len(determinable), "committee_right_share": round(correct, 4),
        "committee_wrong_share": round(wrong, 4), "street_right_share": round(street_ok, 4),
    }, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
