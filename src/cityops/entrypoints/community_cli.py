"""``cityops community …`` — the community registry on the command line: building registers,
ledger and results imports (with a progress bar), synthetic data, rounds and the cross-match,
notices. Every command calls the same use cases as the API; ``None`` as the actor is the
server's own command line (trusted, audited as such)."""
from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

import typer

from ..domain.errors import DomainError
from .cli_common import box as _box
from .cli_common import echo_json as _out
from .cli_common import fail as _fail
from .cli_common import read_bytes as _read

app = typer.Typer(help="Community registry and testing progress (居村微平台).", no_args_is_help=True)
buildings_cli = typer.Typer(help="Building registers (楼栋名册): a ledger row must name a registered building.",
                            no_args_is_help=True)
rounds_cli = typer.Typer(help="Testing rounds: create, list, progress.", no_args_is_help=True)
notices_cli = typer.Typer(help="Notices to residents (SMS and in-app) and their delivery status.", no_args_is_help=True)
app.add_typer(buildings_cli, name="buildings")
app.add_typer(rounds_cli, name="rounds")
app.add_typer(notices_cli, name="notices")


def _report(report: dict, seconds: float) -> None:
    errors = report.pop("errors", [])
    for e in errors[:200]:
        typer.echo(f"  {e['message']}", err=True)
    if len(errors) > 200:
        typer.echo(f"  … {len(errors) - 200} more (all of them: GET /api/v1/community/imports/{report.get('import_id')})",
                   err=True)
    if report.get("imported_before"):
        b = report["imported_before"]
        typer.echo(f"注意：同一文件已于 {b['at']} 导入过（第 {b['import_id']} 次导入）；本次没有产生重复 "
                   f"(this file was imported before; nothing was doubled)", err=True)
    rows = report.get("rows", 0)
    report["seconds"] = round(seconds, 2)
    report["rows_per_second"] = round(rows / seconds) if seconds else None
    typer.echo(json.dumps(report, ensure_ascii=False, default=str))


def _with_progress(label: str, total_rows: int, run: Callable[[Callable[[int], None]], dict]) -> dict:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=False) as bar:
        task = bar.add_task(label, total=total_rows)
        out = run(lambda n: bar.advance(task, n))
        bar.update(task, completed=total_rows)
    return out


def _header_map(path: Optional[Path]) -> dict | None:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        typer.echo(f"错误 (error): header map {path}: {e}", err=True)
        raise typer.Exit(2) from None


@buildings_cli.command("import")
def buildings_import(file: Path, committee: Optional[str] = typer.Option(None, help="committee code if the file has none")) -> None:
    """A building register file (CSV/XLSX): 居委编码, 小区, 楼号."""
    from ..adapters.community.files import read_rows
    from ..app.community.ledger import import_buildings

    box = _box()
    try:
        t0 = time.perf_counter()
        _report(import_buildings(box.uow(), None, read_rows(_read(file), file.name), box.now(), committee),
                time.perf_counter() - t0)
    except DomainError as e:
        _fail(e)


@buildings_cli.command("list")
def buildings_list(committee: Optional[str] = None) -> None:
    from ..app.community.ledger import list_buildings

    _out(list_buildings(_box().uow(), None, committee))


@app.command("import-ledger")
def import_ledger(file: Path, committee: Optional[str] = typer.Option(None, help="committee code if the file has none"),
                  header_map: Optional[Path] = typer.Option(None, help='JSON file: {"id_number": ["证件号"], …}')) -> None:
    """Import a resident ledger (CSV UTF-8/GBK or XLSX): every bad row reported, good rows kept,
    importing again updates (never doubles)."""
    from ..adapters.community.files import read_rows, sha256
    from ..app.community.ledger import import_ledger as run

    box = _box()
    data = _read(file)
    try:
        t0 = time.perf_counter()
        rows = read_rows(data, file.name)
        out = _with_progress("台账 ledger", len(rows), lambda tick: run(
            box.uow(), None, rows, filename=file.name, sha256=sha256(data), secret=box.settings.id_secret,
            now=box.now(), committee_code=committee, header_map=_header_map(header_map), tz=box.settings.timezone,
            progress=tick))
        _report(out, time.perf_counter() - t0)
    except DomainError as e:
        _fail(e)


@app.command("import-results")
def import_results(file: Path, header_map: Optional[Path] = typer.Option(None, help="JSON file of extra column names")) -> None:
    """Import test results (incremental: rows seen before are skipped; people in no ledger are kept
    and counted; every new positive raises a critical order)."""
    from ..adapters.community.files import read_rows, sha256
    from ..app.community.results import import_results as run

    box = _box()
    data = _read(file)
    try:
        t0 = time.perf_counter()
        rows = read_rows(data, file.name)
        out = _with_progress("结果 results", len(rows), lambda tick: run(
            box.uow(), None, rows, filename=file.name, sha256=sha256(data), secret=box.settings.id_secret,
            now=box.now(), header_map=_header_map(header_map), tz=box.settings.timezone, progress=tick))
        _report(out, time.perf_counter() - t0)
    except DomainError as e:
        _fail(e)


@app.command()
def synth(residents: int = typer.Option(..., min=1, help="how many residents (25000000 for a whole city)"),
          out: Path = typer.Option(Path("./synth"), help="directory for the files"),
          files: bool = typer.Option(False, "--files", help="ledger/results files (CSV, GBK CSV, XLSX) instead of engine Parquet"),
          into_db: bool = typer.Option(False, "--into-db", help="also register buildings and import the files into this database, "
                                                                "spread over its committees"),
          round_start: str = typer.Option("", help="results' sample day start (ISO, local time; default: today 07:00)"),
          seed: int = typer.Option(2022)) -> None:
    """Generate realistic synthetic residents and test results at a given scale."""
    from ..adapters.community import synth as S

    t0 = time.perf_counter()
    if not files and not into_db:
        info = S.synth_parquet(out, residents, seed=seed)
        info["seconds"] = round(time.perf_counter() - t0, 1)
        _out(info)
        return
    from zoneinfo import ZoneInfo

    box = _box()
    tz = ZoneInfo(box.settings.timezone)
    start = datetime.fromisoformat(round_start).replace(tzinfo=tz) if round_start else \
        box.now().astimezone(tz).replace(hour=7, minute=0, second=0, microsecond=0)
    with box.uow() as uow:
        codes = sorted(uow.community.committee_codes())
    if not codes:
        typer.echo("错误 (error): no committees in this database (seed the demo district first)", err=True)
        raise typer.Exit(1)
    per = max(1, residents // len(codes))
    people = [S.synth_people(code, per, seed=seed, start=k * per) for k, code in enumerate(codes)]
    out.mkdir(parents=True, exist_ok=True)
    ledger, results = S.ledger_table(people), S.results_table(people, start.astimezone(tz), seed=seed)
    S.write_csv(out / "buildings.csv", ("居委编码", "小区", "楼号"),
                [[p.committee_code, c, n] for p in people for c, n in p.buildings])
    S.write_csv(out / "ledger.csv", S.LEDGER_HEADER, ledger)
    S.write_csv(out / "ledger-gbk.csv", S.LEDGER_HEADER, ledger, encoding="gbk")
    S.write_xlsx(out / "ledger.xlsx", "居民台账", S.LEDGER_HEADER, ledger)
    S.write_csv(out / "results.csv", S.RESULT_HEADER, results)
    S.write_xlsx(out / "results.xlsx", "核酸检测结果", S.RESULT_HEADER, results, merged=False)
    info = {"committees": len(codes), "residents": len(ledger), "results": len(results), "dir": str(out)}
    if into_db:
        from ..adapters.community.files import read_rows, sha256
        from ..app.community.ledger import import_buildings, import_ledger as run_ledger
        from ..app.community.results import import_results as run_results

        info["buildings"] = import_buildings(box.uow(), None, read_rows((out / "buildings.csv").read_bytes()), box.now())
        info["buildings"].pop("errors")
        for name, run in (("ledger.csv", run_ledger), ("results.csv", run_results)):
            data = (out / name).read_bytes()
            r = run(box.uow(), None, read_rows(data, name), filename=name, sha256=sha256(data),
                    secret=box.settings.id_secret, now=box.now(), tz=box.settings.timezone)
            info[name] = {k: v for k, v in r.items() if k != "errors"}
    info["seconds"] = round(time.perf_counter() - t0, 1)
    _out(info)


@rounds_cli.command("create")
def rounds_create(name: str = typer.Option(...), area: str = typer.Option(..., help="unit code: committee, street or district"),
                  start: datetime = typer.Option(..., help="local time, e.g. 2022-04-02T06:00"),
                  end: datetime = typer.Option(..., help="local time"),
                  buildings: str = typer.Option("", help="only these building ids (comma separated)")) -> None:
    from zoneinfo import ZoneInfo

    from ..app.community.rounds import create_round

    box = _box()
    tz = ZoneInfo(box.settings.timezone)
    ids = [int(x) for x in buildings.split(",") if x.strip()]
    try:
        _out(create_round(box.uow(), None, name=name, area_code=area, starts_at=start.replace(tzinfo=start.tzinfo or tz),
                          ends_at=end.replace(tzinfo=end.tzinfo or tz), now=box.now(),
                          scope="buildings" if ids else "everyone", building_ids=ids))
    except DomainError as e:
        _fail(e)


@rounds_cli.command("list")
def rounds_list() -> None:
    from ..app.community.rounds import list_rounds

    _out(list_rounds(_box().uow(), None))


@rounds_cli.command("progress")
def rounds_progress(round_id: int, by: str = typer.Option("street", help="district | street | committee | building | unit")) -> None:
    from ..app.community.rounds import progress

    try:
        _out(progress(_box().uow(), None, round_id, by))
    except DomainError as e:
        _fail(e)


@app.command("cross-match")
def cross_match(round_id: Optional[int] = typer.Argument(None, help="the round to match (its whole area)"),
                parquet: Optional[Path] = typer.Option(None, help="instead: run the engine on a synth directory"),
                memory_limit: str = typer.Option("4GB")) -> None:
    """Cross-match a round's ledger with its results (DuckDB) and store the figures; or, with
    --parquet, time the engine on synthetic data."""
    if parquet is not None:
        from ..adapters.community.crossmatch import connect, crossmatch

        con = connect(memory_limit, 2, str(parquet / "spill"))
        t0 = time.perf_counter()
        crossmatch(con, f"read_parquet('{parquet / 'residents.parquet'}')",
                   f"read_parquet('{parquet / 'results.parquet'}')", untested_out=str(parquet / "untested.parquet"))
        totals = con.execute("SELECT count(*), sum(must), sum(tested), sum(exempted), sum(untested), sum(positive) "
                             "FROM progress").fetchall()[0]
        _out({"units": totals[0], "must": totals[1], "tested": totals[2], "exempted": totals[3], "untested": totals[4],
              "positive": totals[5], "seconds": round(time.perf_counter() - t0, 2)})
        return
    if round_id is None:
        typer.echo("give a round id, or --parquet DIR", err=True)
        raise typer.Exit(2)
    from .api.community import matcher
    from ..app.community.rounds import refresh_progress

    box = _box()
    try:
        _out(refresh_progress(box.uow(), None, round_id, matcher(box), box.now(), box.settings.timezone))
    except DomainError as e:
        _fail(e)


@notices_cli.command("send")
def notices_send(committee: str = typer.Option(...), template: str = typer.Option(...),
                 audience: str = typer.Option("all", help="all | buildings | untested"),
                 field: list[str] = typer.Option([], help="template field as name=value (repeat)"),
                 buildings: str = typer.Option("", help="building ids (comma separated)"),
                 round_id: Optional[int] = typer.Option(None, "--round"),
                 channels: str = typer.Option("sms,inapp")) -> None:
    from ..app.community.notices import send_notice

    box = _box()
    fields = dict(f.split("=", 1) for f in field if "=" in f)
    try:
        _out(send_notice(box.uow(), None, template=template, fields=fields, audience=audience, now=box.now(),
                         committee_code=committee, building_ids=[int(x) for x in buildings.split(",") if x.strip()],
                         round_id=round_id, channels=tuple(c.strip() for c in channels.split(","))))
    except DomainError as e:
        _fail(e)


@notices_cli.command("list")
def notices_list() -> None:
    from ..app.community.notices import list_notices

    _out(list_notices(_box().uow(), None))


@notices_cli.command("status")
def notices_status(notice_id: int) -> None:
    from ..app.community.notices import notice_deliveries

    try:
        d = notice_deliveries(_box().uow(), None, notice_id)
    except DomainError as e:
        _fail(e)
    _out({"notice": d["notice"], "counts": d["counts"]})


@notices_cli.command("templates")
def notices_templates() -> None:
    from ..app.community.notices import list_templates

    box = _box()
    _out(list_templates(box.uow(), None, box.now()))
