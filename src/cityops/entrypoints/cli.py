"""The ``cityops`` command line. Every command calls the same use cases as the API."""
from __future__ import annotations

import json
import logging
import signal
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional

import typer

from ..bootstrap import Container, bootstrap
from ..domain.errors import DomainError

app = typer.Typer(help="cityops — 城运中心 work orders, deadlines and notifications.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
policies_cli = typer.Typer(help="Deadline policies (时限规则): export and import as JSON.", no_args_is_help=True)
app.add_typer(policies_cli, name="policies")
triage_cli = typer.Typer(help="Triage (智能分拨): evaluate and retrain the suggestion engine.", no_args_is_help=True)
app.add_typer(triage_cli, name="triage")


def _box() -> Container:
    try:
        return bootstrap()
    except Exception as e:  # settings errors: say what is wrong, no traceback
        typer.echo(f"配置错误 (configuration error): {e}", err=True)
        raise typer.Exit(2) from None


def _fail(e: DomainError) -> None:
    typer.echo(f"错误 (error): {e.message}" + (f" [field: {e.field}]" if e.field else ""), err=True)
    raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema, then install reference data (taxonomy, policies)."""
    from ..adapters.db.migrate import upgrade
    from ..app.reference import install_defaults

    box = _box()
    upgrade(box.engine)
    added = install_defaults(box.uow(), box.now())
    typer.echo(f"schema up to date; reference data added: {added}")


@app.command("seed-demo")
def seed_demo(orders: int = typer.Option(2000, help="orders over the last 14 days"),
              seed: int = typer.Option(2022, help="random seed"),
              force: bool = typer.Option(False, help="seed again even if demo data exists")) -> None:
    """Seed the fictional demo district: streets, committees, departments, teams, users, orders."""
    from ..app.demo import seed_demo as run
    from .demo_knowledge import seed_demo_knowledge

    box = _box()
    try:
        report = run(box, orders=orders, seed=seed, force=force)
        report += "\n" + seed_demo_knowledge(box)
    except DomainError as e:
        _fail(e)
    typer.echo(report)


@app.command()
def serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000),
          workers_in_process: Optional[bool] = typer.Option(None, "--workers/--no-workers",
                                                            help="run deadline/outbox workers in this process")) -> None:
    """Serve the REST and Open311 APIs (with the workers in-process unless --no-workers)."""
    import uvicorn

    from .api.app import create_app
    from .workers import WorkerThreads

    box = _box()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_workers = box.settings.run_workers_in_process if workers_in_process is None else workers_in_process
    api = create_app(box, workers=WorkerThreads(box) if run_workers else None)
    uvicorn.run(api, host=host, port=port, log_level="info")


@app.command()
def worker(kind: str = typer.Option("all", help="deadlines | outbox | all"),
           once: bool = typer.Option(False, help="sweep until nothing is due, then exit")) -> None:
    """Run the deadline sweeper and/or the outbox sender as a separate process."""
    from ..app.orders.sweep import sweep_until_idle
    from .workers import WorkerThreads

    box = _box()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if once:
        r = sweep_until_idle(box.uow, box.now, box.settings.sweep_batch)
        typer.echo(json.dumps({"orders": r.orders, "steps": r.steps, "notices": r.notices}))
        return
    kinds = ("deadlines", "outbox") if kind == "all" else (kind,)
    if any(k not in ("deadlines", "outbox") for k in kinds):
        typer.echo("kind must be deadlines, outbox or all", err=True)
        raise typer.Exit(2)
    threads = WorkerThreads(box, kinds)
    signal.signal(signal.SIGTERM, lambda *_: threads.stop_event.set())
    threads.start()
    try:
        while not threads.stop_event.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    threads.stop()


@app.command("create-user")
def create_user(username: str, role: str = typer.Option(..., help="operator|supervisor|unit_handler|field_member|commander|admin"),
                unit: str = typer.Option(..., help="unit code"),
                password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
                display_name: str = "", phone: str = "", email: str = "") -> None:
    """Create a user (on the server itself; audited)."""
    from ..app import identity

    box = _box()
    try:
        u = identity.create_user(box.uow(), box.hasher, None, username=username, password=password, role=role,
                                 unit_code=unit, now=box.now(), display_name=display_name, phone=phone, email=email)
    except DomainError as e:
        _fail(e)
    typer.echo(f"created user {u['username']} ({u['role']}) in {u['unit_code']}")


@policies_cli.command("export")
def policies_export(file: Path = typer.Argument(Path("-"), help="output file, - for stdout")) -> None:
    from ..app.orders.policies import list_policies

    box = _box()
    data = json.dumps([p.to_dict() for p in list_policies(box.uow())], ensure_ascii=False, indent=2)
    if str(file) == "-":
        typer.echo(data)
    else:
        file.write_text(data + "\n", encoding="utf-8")
        typer.echo(f"wrote {file}")


@policies_cli.command("import")
def policies_import(file: Path, as_user: str = typer.Option("admin", help="admin username recorded in the audit log")) -> None:
    """Create or replace policies from a JSON list (all or nothing)."""
    from ..app.identity import actor_of
    from ..app.orders.policies import put_policies

    box = _box()
    try:
        items = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        typer.echo(f"错误 (error): cannot read {file}: {e}", err=True)
        raise typer.Exit(1) from None
    if not isinstance(items, list):
        typer.echo("错误 (error): the file must hold a JSON list of policies", err=True)
        raise typer.Exit(1)
    with box.uow() as uow:
        user = uow.users.by_username(as_user)
    if user is None:
        typer.echo(f"错误 (error): no user {as_user!r}", err=True)
        raise typer.Exit(1)
    try:
        saved = put_policies(box.uow(), actor_of(user), items, box.now())
    except DomainError as e:
        _fail(e)
    typer.echo(f"imported {len(saved)} policies")


@app.command()
def mode(value: Optional[str] = typer.Argument(None, help="epidemic | normal; omit to show"),
         as_user: str = typer.Option("admin")) -> None:
    """Show or switch the district's mode (one action: new orders follow the mode's policies)."""
    from ..app.identity import actor_of
    from ..app.orders.policies import set_mode

    box = _box()
    with box.uow() as uow:
        current = uow.policies.mode()
        user = uow.users.by_username(as_user)
    if value is None:
        typer.echo(str(current))
        return
    if user is None:
        typer.echo(f"错误 (error): no user {as_user!r}", err=True)
        raise typer.Exit(1)
    try:
        typer.echo(f"mode: {set_mode(box.uow(), actor_of(user), value, box.now())}")
    except DomainError as e:
        _fail(e)


@app.command()
def stats(days: int = typer.Option(7, min=1, max=400), as_user: str = typer.Option("admin")) -> None:
    """Print statistics for the last N days as JSON."""
    from ..adapters.db.stats import statistics
    from ..app.identity import actor_of

    box = _box()
    with box.uow() as uow:
        user = uow.users.by_username(as_user)
    if user is None:
        typer.echo(f"错误 (error): no user {as_user!r}", err=True)
        raise typer.Exit(1)
    now = box.now()
    with box.engine.connect() as conn:
        out = statistics(conn, actor_of(user), now - timedelta(days=days), now, now, tz=box.settings.timezone)
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v)))


@triage_cli.command("eval")
def triage_eval(file: Path, as_json: bool = typer.Option(False, "--json", help="one JSON object as the last line"),
                cache_dir: Optional[Path] = typer.Option(None, help="directory to cache the trained model")) -> None:
    """Category top-1/top-3, urgency, critical and special-group recall/precision, with the keyword baseline."""
    from ..adapters.triage.model import build_default_triager
    from ..app.triage.evaluate import main as evaluate_main

    raise typer.Exit(evaluate_main(file, as_json, triager=build_default_triager(cache_dir)))


gazetteer_cli = typer.Typer(help="Gazetteer (地名库): address → committee → street.", no_args_is_help=True)
app.add_typer(gazetteer_cli, name="gazetteer")
kb_cli = typer.Typer(help="Knowledge base (口径库).", no_args_is_help=True)
app.add_typer(kb_cli, name="kb")


def _read_bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as e:
        typer.echo(f"错误 (error): cannot read {file}: {e}", err=True)
        raise typer.Exit(1) from None


def _print_report(report: dict) -> None:
    for err in report.get("errors", []):
        typer.echo(f"  {err['message']}", err=True)
    typer.echo(json.dumps({k: v for k, v in report.items() if k != "errors"} | {"bad_rows": len(report.get("errors", []))},
                          ensure_ascii=False))


@gazetteer_cli.command("import")
def gazetteer_import(file: Path) -> None:
    """Replace the gazetteer from a CSV (UTF-8 or GBK); every bad row is reported, good rows kept."""
    from ..app.triage.knowledge import import_gazetteer
    from .api.knowledge import decode_text

    box = _box()
    try:
        _print_report(import_gazetteer(box.uow(), None, decode_text(_read_bytes(file)), box.now()))
    except DomainError as e:
        _fail(e)


@kb_cli.command("import")
def kb_import(file: Path) -> None:
    """Import knowledge-base entries from CSV or XLSX; bad rows reported, good rows kept."""
    from ..adapters.kb_files import import_file
    from ..app.triage.knowledge import kb_import as run

    box = _box()
    with box.uow() as uow:
        cats = uow.reference.category_names()
    try:
        result = import_file(_read_bytes(file), file.name, known_categories=cats, default_valid_from=box.now())
        _print_report(run(box.uow(), None, result, box.now()))
    except DomainError as e:
        _fail(e)


@triage_cli.command("retrain")
def triage_retrain() -> None:
    """Train a new model version from the shipped corpus plus operator-confirmed orders and make it active."""
    from ..app.triage.usecases import retrain

    box = _box()
    r = retrain(box.uow(), box.triage, None, box.now())
    typer.echo(f"model {r['version']}: {r['examples']} examples ({r['confirmed']} confirmed by operators, "
               f"{r['corrected']} of them corrected); now active")


open311_cli = typer.Typer(help="Open311 GeoReport v2: API keys for third-party 311 apps.", no_args_is_help=True)
app.add_typer(open311_cli, name="open311")
open311_keys_cli = typer.Typer(help="API keys (each tied to a channel).", no_args_is_help=True)
open311_cli.add_typer(open311_keys_cli, name="keys")


@open311_keys_cli.command("create")
def open311_key_create(name: str, channel: str = typer.Option("open311", help="open311 | web")) -> None:
    """Issue a key; it is printed once (only its hash is stored)."""
    from ..app import open311 as o311

    box = _box()
    try:
        k = o311.create_key(box.uow(), None, name, channel, box.now())
    except DomainError as e:
        _fail(e)
    typer.echo(f"key {k['id']} ({k['name']}, channel {k['channel']}) — store it now, it is not shown again:")
    typer.echo(k["key"])


@open311_keys_cli.command("list")
def open311_key_list() -> None:
    from ..app import open311 as o311

    box = _box()
    for k in o311.list_keys(box.uow(), None):
        used = k["last_used_at"].isoformat(timespec="seconds") if k["last_used_at"] else "never"
        typer.echo(f"{k['id']}\t{k['prefix']}…\t{k['name']}\t{k['channel']}\t"
                   f"{'active' if k['active'] else 'revoked'}\tlast used {used}")


@open311_keys_cli.command("revoke")
def open311_key_revoke(key_id: int) -> None:
    from ..app import open311 as o311

    box = _box()
    try:
        o311.revoke_key(box.uow(), None, key_id, box.now())
    except DomainError as e:
        _fail(e)
    typer.echo(f"key {key_id} revoked")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
