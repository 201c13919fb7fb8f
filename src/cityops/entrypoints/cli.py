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

from ..domain.errors import DomainError
from .cli_common import box as _box
from .cli_common import echo_json_iso as _json_out
from .cli_common import fail as _fail
from .cli_common import read_bytes as _read_bytes
from .cli_common import read_json as _read_json

app = typer.Typer(help="cityops — 城运中心 work orders, deadlines and notifications.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
policies_cli = typer.Typer(help="Deadline policies (时限规则): export and import as JSON.", no_args_is_help=True)
app.add_typer(policies_cli, name="policies")
triage_cli = typer.Typer(help="Triage (智能分拨): evaluate and retrain the suggestion engine.", no_args_is_help=True)
app.add_typer(triage_cli, name="triage")
from .duty_cli import duty_cli  # noqa: E402  (the duty commands: cityops duty …)
app.add_typer(duty_cli, name="duty")


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
    from .demo_alerts_passes import seed_demo_alerts_passes
    from .demo_knowledge import seed_demo_knowledge
    from .duty_cli import seed_demo_duty

    box = _box()
    try:
        report = run(box, orders=orders, seed=seed, force=force)
        report += "\n" + seed_demo_knowledge(box)
        from .demo_community import seed_demo_community

        report += "\n" + seed_demo_community(box)
        report += "\n" + seed_demo_duty(box)
        report += "\n" + seed_demo_alerts_passes(box)
    except DomainError as e:
        _fail(e)
    typer.echo(report)


@app.command()
def serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000),
          workers_in_process: Optional[bool] = typer.Option(None, "--workers/--no-workers",
                                                            help="run deadline/outbox workers in this process")) -> None:
    """Serve the web console, the REST and Open311 APIs (with the workers in-process unless --no-workers)."""
    import uvicorn

    from .api.app import create_app
    from .workers import WorkerThreads

    box = _box()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_workers = box.settings.run_workers_in_process if workers_in_process is None else workers_in_process
    api = create_app(box, workers=WorkerThreads(box) if run_workers else None)
    uvicorn.run(api, host=host, port=port, log_level="info")


@app.command()
def worker(kind: str = typer.Option("all", help="deadlines | outbox | duty | all"),
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
    kinds = ("deadlines", "outbox", "duty") if kind == "all" else (kind,)
    if any(k not in ("deadlines", "outbox", "duty") for k in kinds):
        typer.echo("kind must be deadlines, outbox, duty or all", err=True)
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
    items = _read_json(file)
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


alerts_cli = typer.Typer(help="Alerts (物联感知): the MQTT consumer, devices, webhook sources, rules.", no_args_is_help=True)
app.add_typer(alerts_cli, name="alerts")
alerts_device_cli = typer.Typer(help="Devices (door sensors, cameras, body cameras, site terminals).", no_args_is_help=True)
alerts_cli.add_typer(alerts_device_cli, name="device")
alerts_source_cli = typer.Typer(help="Webhook sources (video platforms) and their secrets.", no_args_is_help=True)
alerts_cli.add_typer(alerts_source_cli, name="source")
alerts_rule_cli = typer.Typer(help="Alert rules as JSON (see docs/operations.md).", no_args_is_help=True)
alerts_cli.add_typer(alerts_rule_cli, name="rule")


@alerts_cli.command("consume")
def alerts_consume(host: str = typer.Option("127.0.0.1", envvar="CITYOPS_MQTT_HOST"),
                   port: int = typer.Option(1883, envvar="CITYOPS_MQTT_PORT"),
                   client_id: str = typer.Option("cityops-alerts", envvar="CITYOPS_MQTT_CLIENT_ID",
                                                 help="fixed: the broker keeps this session's messages while it is down"),
                   prefix: str = typer.Option("cityops", envvar="CITYOPS_MQTT_PREFIX",
                                              help="topics: {prefix}/{district}/events/{kind}/{device}"),
                   batch: int = typer.Option(200, min=1, max=5000, help="events per transaction at most")) -> None:
    """Consume device events from MQTT (QoS 1, persistent session, ack after commit) until stopped."""
    from .alerts_consumer import build_consumer

    box = _box()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    consumer = build_consumer(box, host=host, port=port, client_id=client_id, prefix=prefix, batch_max=batch)
    signal.signal(signal.SIGTERM, lambda *_: consumer.stop_event.set())
    consumer.start()
    typer.echo(f"consuming {prefix}/{box.settings.district_code}/events/+/+ from {host}:{port} as {client_id}")
    try:
        consumer.run()
    except KeyboardInterrupt:
        pass
    consumer.stop()


@alerts_device_cli.command("add")
def alerts_device_add(code: str, kind: str = typer.Option(..., help="door_sensor|camera|body_camera|site_terminal|video_platform"),
                      name: str = typer.Option(...), unit: str = typer.Option(..., help="owning unit code"),
                      place: str = "", place_kind: str = typer.Option("other"),
                      tag: list[str] = typer.Option([], help="repeatable, e.g. --tag sealed"),
                      lat: Optional[float] = None, lng: Optional[float] = None,
                      source: Optional[str] = typer.Option(None, help="webhook source code")) -> None:
    """Register a device."""
    from ..app.alerts.devices import register_device

    box = _box()
    try:
        d = register_device(box.uow(), None, code=code, kind=kind, name=name, unit=unit, place=place,
                            place_kind=place_kind, tags=tag, lat=lat, lng=lng, source=source, now=box.now())
    except DomainError as e:
        _fail(e)
    typer.echo(f"device {d.code} ({d.kind}) registered; topic: cityops/{box.settings.district_code}/events/{d.kind}/{d.code}")


@alerts_device_cli.command("list")
def alerts_device_list(kind: Optional[str] = None) -> None:
    from ..app.alerts.devices import list_devices

    box = _box()
    for d in list_devices(box.uow(), None, kind, limit=1000)["items"]:
        typer.echo(f"{d['code']}\t{d['kind']}\t{d['name']}\t{d['unit']['code']}\t{d['place']}\t"
                   f"{'active' if d['active'] else 'inactive'}\topen alerts {d['open_alerts']}"
                   + ("\tFLAPPING" if d["flapping"] else ""))


@alerts_source_cli.command("add")
def alerts_source_add(code: str, name: str) -> None:
    """Add a webhook source; its secret is printed once."""
    from ..app.alerts.devices import create_source

    box = _box()
    try:
        s = create_source(box.uow(), None, code, name, box.settings.secret_key, box.now())
    except DomainError as e:
        _fail(e)
    typer.echo(f"source {s['code']} — secret (store it now, it is not shown again):")
    typer.echo(s["secret"])


@alerts_source_cli.command("rotate")
def alerts_source_rotate(code: str) -> None:
    """Give a source a new secret (printed once); the old one stops working."""
    from ..app.alerts.devices import rotate_source

    box = _box()
    try:
        typer.echo(rotate_source(box.uow(), None, code, box.settings.secret_key, box.now())["secret"])
    except DomainError as e:
        _fail(e)


@alerts_rule_cli.command("add")
def alerts_rule_add(file: Path) -> None:
    """Create a rule (or several: a JSON list) from a file."""
    from ..app.alerts.rules import create_rule

    box = _box()
    body = _read_json(file)
    try:
        for item in body if isinstance(body, list) else [body]:
            r = create_rule(box.uow(), None, item, box.now())
            typer.echo(f"rule {r['id']}: {r['name']} ({r['event_type']} → {r['category']}, {r['urgency']})")
    except DomainError as e:
        _fail(e)


@alerts_rule_cli.command("list")
def alerts_rule_list() -> None:
    from ..app.alerts.rules import list_rules

    _json_out(list_rules(_box().uow(), None))


@alerts_rule_cli.command("disable")
def alerts_rule_disable(rule_id: int) -> None:
    from ..app.alerts.rules import set_rule_active

    box = _box()
    try:
        set_rule_active(box.uow(), None, rule_id, False, box.now())
    except DomainError as e:
        _fail(e)
    typer.echo(f"rule {rule_id} disabled")


@alerts_rule_cli.command("dry-run")
def alerts_rule_dry_run(file: Path, hours: int = typer.Option(24, min=1, max=168)) -> None:
    """What a draft rule would have matched in the last HOURS of events (nothing is written)."""
    from ..app.alerts.rules import dry_run

    box = _box()
    try:
        _json_out(dry_run(box.uow(), None, _read_json(file), box.now(), hours=hours, tz=box.settings.timezone))
    except DomainError as e:
        _fail(e)


@alerts_cli.command("counters")
def alerts_counters() -> None:
    """Events accepted, duplicates, and rejections per reason."""
    from ..app.alerts.ingest import counters

    _json_out(counters(_box().uow()))


from .community_cli import app as community_cli  # noqa: E402

app.add_typer(community_cli, name="community")

from .passes_cli import app as passes_cli  # noqa: E402

app.add_typer(passes_cli, name="pass")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
