"""``cityops duty …``: patterns, roster generation, coverage, who is on duty now, the duty
sweep; and the demo hook run by ``cityops seed-demo``."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

import typer

from ..app.duty import board, rosters
from ..app.duty.demo import seed_demo_duty as _seed
from ..app.duty.sweep import sweep_duty
from ..bootstrap import Container
from .cli_common import box as _box
from .cli_common import echo_json as _out
from .cli_common import guarded as _run

duty_cli = typer.Typer(help="Duty rosters and field teams (值班值守 · 联动队伍).", no_args_is_help=True)


def seed_demo_duty(box: Container) -> str:
    return _seed(box)


@duty_cli.command("patterns")
def patterns() -> None:
    """List the shift patterns and whether each covers 7×24."""
    box = _box()
    for p in rosters.list_patterns(box.uow()):
        typer.echo(f"{p['code']:16} {p['name']}  groups={','.join(p['groups'])}  cycle={p['cycle_days']}d  "
                   f"7x24={'yes' if p['covers_24x7'] else 'no (' + str(p['uncovered_hours']) + ' h uncovered)'}")


@duty_cli.command("generate")
def generate(team: str, pattern: str = typer.Option(..., help="two_shifts | seven_fourteen | day_night | …"),
             start: str = typer.Option(..., help="first day, YYYY-MM-DD (local)"),
             days: int = typer.Option(30, help="how many days"),
             people: Optional[str] = typer.Option(None, help="usernames, comma separated (default: all members)"),
             replace: bool = typer.Option(False, help="replace the team's work shifts in the period")) -> None:
    """Generate a roster for a team; prints the gaps and overlaps it leaves."""
    box = _box()
    try:
        first = date.fromisoformat(start)
    except ValueError:
        typer.echo("错误 (error): start must be YYYY-MM-DD", err=True)
        raise typer.Exit(1) from None
    names = [p.strip() for p in people.split(",") if p.strip()] if people else None
    _out(_run(lambda: rosters.generate_roster(box.uow(), None, team, pattern, first, days, box.now(), people=names,
                                              replace_existing=replace)))


@duty_cli.command("coverage")
def coverage(team: str, hours: int = typer.Option(48, help="how far ahead")) -> None:
    """Every stretch in the next hours with nobody (or too few) on duty."""
    box = _box()
    now = box.now()
    r = _run(lambda: rosters.roster(box.uow(), None, team, now, now + timedelta(hours=hours)))
    if not r["gaps"]:
        typer.echo(f"{r['name']}: 未来 {hours} 小时无缺口 (no gaps in the next {hours} h)")
    for g in r["gaps"]:
        typer.echo(f"{g['starts_at']} – {g['ends_at']}  {g['on_duty']}/{g['required']} on duty")
    for o in r["overlaps"]:
        typer.echo(f"overlap: {o['name']} shifts {o['first_id']} and {o['second_id']}")
    if r["gaps"]:
        raise typer.Exit(3)


@duty_cli.command("now")
def now_cmd(team: Optional[str] = typer.Option(None, help="one team's code")) -> None:
    """Who is on duty now, per team."""
    box = _box()
    r = _run(lambda: board.duty_now(box.uow(), None, box.now(), team))
    for t in r["teams"]:
        on = [m["name"] + ("(忙)" if m["status"] == "busy" else "") for m in t["members"] if m["status"] != "off"]
        typer.echo(f"{t['code']:12} {t['name']}: {t['on_duty']}/{t['min_on_duty']} 在岗  {'、'.join(on) or '—'}"
                   + ("  ⚠ 人手不足" if t["short_now"] else ""))


@duty_cli.command("sweep")
def sweep() -> None:
    """Run the duty sweep once: escalations, ended assignments, coverage gaps."""
    box = _box()
    r = sweep_duty(box.uow, box.now())
    _out({"escalated": r.escalated, "cancelled": r.cancelled, "gaps": r.gaps})


@duty_cli.command("seed-demo")
def seed_demo() -> None:
    """Add the demo district's rosters and inspection sweeps (also run by ``cityops seed-demo``)."""
    box = _box()
    typer.echo(_run(lambda: seed_demo_duty(box)))
