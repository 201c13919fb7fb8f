"""Synthetic residents and test results that look like a real city's, at any scale.

* :func:`synth_parquet` — the engine's input (the same columns a snapshot of the operational
  database has) for N residents, generated inside DuckDB in seconds per 10 M rows: ~4,150
  residents per committee (Shanghai: 24.9 M in ~6,000), ~60 buildings each, 1-4 units;
  present 90 % / away 6 % / moved out 4 %, bedridden 0.5 %; results for ~93 % of those
  present and some of those away, 1 in 5,000 positive, ~10 % of results for people in no ledger
  (workers, visitors: the city sampled 25.7 M for 24.9 M residents), ~6 % tested twice.
* :func:`synth_files` — ledger and results *files* (CSV in UTF-8 or GBK, or XLSX with a title
  row and a two-row merged header) with realistic names, phones and valid ID numbers, for
  import tests, demos and the import benchmark.
"""
from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ...domain.people import id_check_digit
from .crossmatch import connect

RESIDENTS_PER_COMMITTEE = 4150
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅海燕鹏飞宇浩然子涵欣怡梓轩雨桐俊杰佳怡晨曦嘉怡思远雅婷文博一诺"
REGIONS = ("310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113", "310115")
COMPOUNDS = ("龙华苑", "漕溪新村", "望潮小区", "康健公寓", "田林十二村", "华泾绿苑", "徐汇新城", "枫林花园")
SITES = ("龙华街道社区卫生服务中心", "漕溪公园采样点", "望潮小区门口", "田林体育馆", "徐家汇公园采样点")


def synth_parquet(out_dir: str | Path, residents: int, *, seed: int = 2022, memory_limit: str = "6GB",
                  threads: int = 2) -> dict:
    """Write residents.parquet and results.parquet (engine columns) for ``residents`` people."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    con = connect(memory_limit, threads, str(out / "spill"))
    try:
        con.execute(f"SELECT setseed({(seed % 1000) / 1000.0})")
        per = RESIDENTS_PER_COMMITTEE
        con.execute(f"""
            CREATE TEMP TABLE people AS
            SELECT i AS resident_id,
                   (i // {per})::INTEGER + 1 AS committee_id,
                   ((i // {per}) * 100 + (hash(i, {seed}) % 60))::INTEGER + 1 AS building_id,
                   (1 + hash(i, {seed}, 'u') % 4)::VARCHAR AS unit,
                   CASE WHEN hash(i, {seed}, 's') % 100 < 90 THEN 'present'
                        WHEN hash(i, {seed}, 's') % 100 < 96 THEN 'away' ELSE 'moved_out' END AS status,
                   hash(i, {seed}, 'b') % 1000 < 5 AS bedridden,
                   (hash(i, {seed}, 'k1') >> 4)::BIGINT AS k1,
                   (hash(i, {seed}, 'k2') >> 4)::BIGINT AS k2
            FROM range({int(residents)}) t(i)""")
        con.execute(f"COPY people TO '{out / 'residents.parquet'}' (FORMAT parquet)")
        # who was tested: ~93 % of those present, 10 % of those away, 60 % of the bedridden (home sampling)
        con.execute(f"""
            CREATE TEMP TABLE results AS
            WITH tested AS (
                SELECT k1, k2, resident_id AS i FROM people
                WHERE (status = 'present' AND NOT bedridden AND hash(resident_id, {seed}, 't') % 100 < 93)
                   OR (status = 'away' AND hash(resident_id, {seed}, 't') % 100 < 10)
                   OR (bedridden AND status = 'present' AND hash(resident_id, {seed}, 't') % 100 < 60)
            ), twice AS (SELECT * FROM tested WHERE hash(i, {seed}, 'twice') % 100 < 6),
            strangers AS (
                SELECT (hash(j, {seed}, 'x1') >> 4)::BIGINT AS k1, (hash(j, {seed}, 'x2') >> 4)::BIGINT AS k2,
                       {int(residents)} + j AS i
                FROM range({int(residents * 0.10)}) t(j))
            SELECT k1, k2, hash(i, {seed}, 'p') % 5000 = 0 AS positive
            FROM (SELECT * FROM tested UNION ALL SELECT * FROM twice UNION ALL SELECT * FROM strangers)
            ORDER BY hash(i, k2, {seed})""")
        con.execute(f"COPY results TO '{out / 'results.parquet'}' (FORMAT parquet)")
        n_res = con.execute("SELECT count(*) FROM people").fetchone()[0]
        n_out = con.execute("SELECT count(*) FROM results").fetchone()[0]
    finally:
        con.close()
    return {"residents": n_res, "results": n_out, "committees": -(-residents // RESIDENTS_PER_COMMITTEE),
            "dir": str(out)}


# ----------------------------------------------------------------------------- files


def id_number(rng: random.Random, i: int) -> str:
    """A valid-looking ID number, unique per ``i`` (region, birth date and sequence from i)."""
    region = REGIONS[i % len(REGIONS)]
    day = datetime(1935, 1, 1) + timedelta(days=(i // len(REGIONS)) // 1000 % 31000)
    seq = f"{(i // len(REGIONS)) % 1000:03d}"
    first17 = f"{region}{day:%Y%m%d}{seq}"
    return first17 + id_check_digit(first17)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _phone(rng: random.Random) -> str:
    return rng.choice(("13", "15", "18", "17", "19")) + str(rng.randint(0, 9)) + f"{rng.randint(0, 99999999):08d}"


@dataclass
class SynthPeople:
    committee_code: str
    buildings: list[tuple[str, str]]          # (compound, number)
    rows: list[dict]                         # ledger rows (clear data: only ever written to the files)


def synth_people(committee_code: str, residents: int, *, seed: int = 2022, start: int = 0,
                 buildings: int = 12) -> SynthPeople:
    rng = random.Random(f"{seed}:{committee_code}")
    blds = [(COMPOUNDS[b % len(COMPOUNDS)] if b < 4 else COMPOUNDS[(b + 1) % len(COMPOUNDS)], str(b + 1))
            for b in range(buildings)]
    rows = []
    for k in range(residents):
        compound, number = blds[rng.randrange(len(blds))]
        roll = rng.random()
        tags = []
        if rng.random() < 0.03:
            tags.append("独居老人")
        if rng.random() < 0.006:
            tags.append("卧床")
        if rng.random() < 0.01:
            tags.append("孕妇")
        if rng.random() < 0.02:
            tags.append("婴幼儿")
        rows.append({"compound": compound, "building": f"{number}号", "unit": f"{rng.randint(1, 4)}单元",
                     "room": f"{rng.randint(1, 6)}0{rng.randint(1, 4)}", "household": f"H{start + k // 3:07d}",
                     "name": _name(rng), "phone": "" if rng.random() < 0.04 else _phone(rng),
                     "id_number": id_number(rng, start + k), "tags": "、".join(tags),
                     "status": "在住" if roll < 0.9 else "外出" if roll < 0.96 else "已搬离",
                     "moved_in": f"{rng.randint(1995, 2021)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"})
    return SynthPeople(committee_code, blds, rows)


LEDGER_HEADER = ("居委编码", "小区", "楼号", "单元", "室号", "户号", "姓名", "手机", "身份证号", "特殊人群", "居住状态", "入住日期")
RESULT_HEADER = ("身份证号", "姓名", "采样时间", "检测结果", "采样点", "试管编码", "检测类型")


def ledger_table(people: list[SynthPeople]) -> list[list[str]]:
    return [[p.committee_code, r["compound"], r["building"], r["unit"], r["room"], r["household"], r["name"],
             r["phone"], r["id_number"], r["tags"], r["status"], r["moved_in"]] for p in people for r in p.rows]


def results_table(people: list[SynthPeople], window_start: datetime, *, seed: int = 2022, hours: int = 12,
                  strangers: float = 0.03, positive_every: int = 5000) -> list[list[str]]:
    rng = random.Random(f"{seed}:results")
    out: list[list[str]] = []
    tube, in_tube = 0, 0
    everyone = [r for p in people for r in p.rows]
    for n, r in enumerate(everyone):
        bedridden = "卧床" in r["tags"]
        p = 0.93 if r["status"] == "在住" and not bedridden else 0.6 if bedridden and r["status"] == "在住" else \
            0.1 if r["status"] == "外出" else 0.0
        if rng.random() >= p:
            continue
        if in_tube == 0:
            tube += 1
        in_tube = (in_tube + 1) % 10
        at = window_start + timedelta(minutes=rng.randint(0, hours * 60 - 1))
        out.append([r["id_number"], r["name"], f"{at:%Y-%m-%d %H:%M}",
                    "阳性" if rng.randrange(positive_every) == 0 else "阴性",
                    SITES[n % len(SITES)], f"T{window_start:%m%d}{tube:07d}", "混管" if not bedridden else "上门采样"])
    for j in range(int(len(everyone) * strangers)):
        at = window_start + timedelta(minutes=rng.randint(0, hours * 60 - 1))
        out.append([id_number(rng, 90_000_000 + j), _name(rng), f"{at:%Y-%m-%d %H:%M}", "阴性",
                    SITES[j % len(SITES)], f"S{window_start:%m%d}{j // 10:07d}", "混管"])
    rng.shuffle(out)
    return out


def write_csv(path: Path, header: tuple[str, ...], rows: list[list[str]], encoding: str = "utf-8") -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode("gb18030" if encoding.lower() in ("gbk", "gb18030") else "utf-8-sig"))


def write_xlsx(path: Path, title: str, header: tuple[str, ...], rows: list[list[str]], *, merged: bool = True) -> None:
    """A sheet the way committees keep it: a title row, then a two-row header with merged cells
    ("住址" over 小区 … 室号; the other names merged down over both header rows)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    if merged and "小区" in header:
        first, last = header.index("小区"), header.index("室号")
        ws.append([None if first <= i <= last else h for i, h in enumerate(header)])
        ws.cell(row=2, column=first + 1, value="住址")
        ws.append([h if first <= i <= last else None for i, h in enumerate(header)])
        ws.merge_cells(start_row=2, start_column=first + 1, end_row=2, end_column=last + 1)
        for i in range(len(header)):
            if not first <= i <= last:
                ws.merge_cells(start_row=2, start_column=i + 1, end_row=3, end_column=i + 1)
    else:
        ws.append(list(header))
    for r in rows:
        ws.append(r)
    wb.save(path)
