"""``cityops pass …`` — 通行码 from the command line: set-up (areas, checkpoints, rules, keys),
test-result import, revocation, trace and statistics on the server; ``fetch`` and ``verify`` at
a checkpoint, offline, from a folder holding the pinned anchor and the signed lists."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import typer

from ..bootstrap import Container
from ..domain.errors import DomainError
from ..domain.passes.model import reason_message
from .cli_common import box as _box
from .cli_common import echo_json_iso as _out
from .cli_common import fail as _fail
from .cli_common import read_bytes, read_json

app = typer.Typer(help="Passes (通行码): areas, checkpoints, rules, keys, results, revocation, trace; "
                       "offline fetch and verify at a checkpoint.", no_args_is_help=True)
CST = timezone(timedelta(hours=8))
DEFAULT_DIR = Path("./pass-offline")


def _when(text: Optional[str], default: datetime) -> datetime:
    if not text:
        return default
    dt = datetime.fromisoformat(text)
    return (dt if dt.tzinfo else dt.replace(tzinfo=CST)).astimezone(timezone.utc)


@app.command("area-add")
def area_add(code: str, name: str, unit: str = typer.Option(..., help="street office unit code"),
             kind: str = typer.Option("sealed", help="sealed | controlled | precaution"),
             manual: bool = typer.Option(False, help="applications wait for the street office's approval")) -> None:
    """Add an area people apply to cross."""
    from ..app.passes.setup import add_area
    box = _box()
    try:
        _out(add_area(box.uow(), None, code=code, name=name, kind=kind, unit=unit, manual_approval=manual, now=box.now()))
    except DomainError as e:
        _fail(e)


@app.command("checkpoint-add")
def checkpoint_add(code: str, name: str, area: str = typer.Option(..., help="area code")) -> None:
    """Add a checkpoint (卡口) of an area."""
    from ..app.passes.setup import add_checkpoint
    box = _box()
    try:
        _out(add_checkpoint(box.uow(), None, code=code, name=name, area=area, now=box.now()))
    except DomainError as e:
        _fail(e)


@app.command("rules-export")
def rules_export(file: Path = typer.Argument(Path("-"), help="output file, - for stdout")) -> None:
    """The eligibility ruleset in force (CertLogic), as JSON to edit."""
    from ..app.passes.setup import get_ruleset
    text = json.dumps(get_ruleset(_box().uow()), ensure_ascii=False, indent=2)
    typer.echo(text) if str(file) == "-" else file.write_text(text + "\n", encoding="utf-8")


@app.command("rules-import")
def rules_import(file: Path) -> None:
    """Save an edited ruleset as a new version (checked first: a bad rule names itself)."""
    from ..app.passes.setup import save_ruleset
    box = _box()
    body = read_json(file)
    try:
        out = save_ruleset(box.uow(), None, body, box.now())
    except DomainError as e:
        _fail(e)
    typer.echo(f"ruleset version {out['version']} saved: {len(out['rules'])} rules")


@app.command("keys")
def keys(rotate: bool = typer.Option(False, help="rollover: a new pass key signs from now on"),
         withdraw: Optional[str] = typer.Option(None, help="kid of a retired key to withdraw")) -> None:
    """Signing keys (kid, status, fingerprint); --rotate, --withdraw KID. Private parts are never shown."""
    from ..app.passes import setup
    box = _box()
    try:
        if rotate:
            setup.rotate_key(box.uow(), box.pass_crypto, None, box.now())
        if withdraw:
            setup.withdraw_key(box.uow(), box.pass_crypto, None, withdraw, box.now())
        _out(setup.list_keys(box.uow(), box.pass_crypto, None, box.now()))
    except DomainError as e:
        _fail(e)


@app.command("results-import")
def results_import(file: Path) -> None:
    """Import nucleic-acid results from a CSV (row report; a positive revokes passes and opens an order)."""
    from ..app.passes.results import import_results
    box = _box()
    data = read_bytes(file)
    try:
        rep = import_results(box.uow(), box.pass_crypto, None, data, file.name, box.now())
    except DomainError as e:
        _fail(e)
    _out(rep)
    if rep["problems"]:
        raise typer.Exit(3)


@app.command("revoke")
def revoke(pass_id: str, reason: str = typer.Option(..., help="why (recorded and audited)")) -> None:
    """Revoke a pass: denied online at once, offline after the checkpoints' next fetch."""
    from ..app.passes.scan import revoke as run
    box = _box()
    try:
        _out(run(box.uow(), None, pass_id, reason, box.now()))
    except DomainError as e:
        _fail(e)


def _trace_actor(box: Container, username: str):
    from ..app import identity
    with box.uow() as uow:
        row = uow.users.by_username(username)
    if row is None:
        typer.echo(f"错误 (error): 用户 {username} 不存在 (unknown user)", err=True)
        raise typer.Exit(1)
    return identity.actor_of(row)


def _write_xlsx(file: Path, title: str, headers: list[str], rows: list[list]) -> None:
    from .web.exports import xlsx_bytes
    file.write_bytes(xlsx_bytes([(title, headers, rows)]))
    typer.echo(f"{len(rows)} rows written to {file}")


def _t(v):
    return v.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v


SCAN_HEADERS = ["扫码时间", "卡口", "方向", "结果", "原因", "服务器核验", "方式", "通行码", "姓名", "证件", "单位"]


def _scan_rows(items):
    return [[_t(i["scanned_at"]), i["checkpoint"], i["direction"], i["result"], i["reason"], i["server_reason"] or "",
             i["mode"], i["pass_id"] or "", i["name"], i["id_masked"], i["employer"]] for i in items]


@app.command("trace")
def trace(checkpoint: Optional[str] = typer.Option(None, help="who passed checkpoint X…"),
          since: Optional[str] = typer.Option(None, help="…from (local time, default 24 h ago)"),
          until: Optional[str] = typer.Option(None, help="…until (local time, default now)"),
          pass_id: Optional[str] = typer.Option(None, "--pass", help="where has pass P been"),
          employer: Optional[str] = typer.Option(None, help="all passes of employer E"),
          xlsx: Optional[Path] = typer.Option(None, help="write a spreadsheet instead of JSON"),
          as_user: str = typer.Option("admin", help="whose rights the query runs with (audited scope)")) -> None:
    """Trace queries: --checkpoint X [--since --until], --pass P, or --employer E."""
    from ..app.passes import trace as tr
    box = _box()
    actor = _trace_actor(box, as_user)
    now = box.now()
    try:
        if checkpoint:
            u = _when(until, now + timedelta(seconds=1))
            out = tr.passages(box.uow(), actor, checkpoint, _when(since, u - timedelta(days=1)), u)
            rows = _scan_rows(out["items"])
        elif pass_id:
            out = tr.history(box.uow(), actor, pass_id)
            rows = _scan_rows(out["items"])
        elif employer:
            out = tr.employer_passes(box.uow(), actor, employer)
            rows = [[p["id"], p["name"], p["id_masked"], p["area"], ",".join(p["directions"]), _t(p["issued_at"]),
                     _t(p["expires_at"]), _t(p["revoked_at"]) or ""] for p in out["items"]]
        else:
            typer.echo("give --checkpoint, --pass or --employer", err=True)
            raise typer.Exit(2)
    except DomainError as e:
        _fail(e)
    if xlsx:
        headers = SCAN_HEADERS if not employer else ["通行码", "姓名", "证件", "区域", "方向", "签发", "失效", "撤销"]
        _write_xlsx(xlsx, "trace", headers, rows)
    else:
        _out(out)


@app.command("stats")
def stats(days: int = typer.Option(7, min=1, max=400), as_user: str = typer.Option("admin")) -> None:
    """Counts: applications by status, issued, refused by rule, scans, denials by reason."""
    from ..app.passes.trace import stats as run
    box = _box()
    now = box.now()
    _out(run(box.uow(), _trace_actor(box, as_user), now - timedelta(days=days), now + timedelta(seconds=1)))


@app.command("fetch")
def fetch(server: str = typer.Option("http://127.0.0.1:8000", help="the cityops server"),
          folder: Path = typer.Option(DEFAULT_DIR, "--dir", help="the checkpoint's offline folder")) -> None:
    """Download the key list and the new revocations into the offline folder (pins the anchor once)."""
    import httpx

    from ..adapters.crypto.offline import BundleError, fetch as run
    from ..adapters.crypto.passkeys import ListSignatureError

    with httpx.Client(base_url=server.rstrip("/"), timeout=15) as client:
        def get(path: str):
            r = client.get(path)
            r.raise_for_status()
            return r.json()
        try:
            _out(run(folder, get))
        except (BundleError, ListSignatureError, httpx.HTTPError) as e:
            typer.echo(f"错误 (error): {e}", err=True)
            raise typer.Exit(1) from None


@app.command("verify")
def verify(qrtext: str = typer.Argument(..., help="the scanned text; - reads it from stdin"),
           checkpoint: str = typer.Option(..., help="checkpoint code"),
           direction: str = typer.Option("in", help="in | out"),
           folder: Path = typer.Option(DEFAULT_DIR, "--dir", help="the offline folder (cityops pass fetch)"),
           at: Optional[str] = typer.Option(None, help="decide as at this time (default now)"),
           as_json: bool = typer.Option(False, "--json")) -> None:
    """Verify a pass offline — no server: the signed lists in --dir. Exit code 0 ALLOW, 1 DENY."""
    from ..adapters.crypto.offline import BundleError, OfflineBundle
    from ..domain.passes.model import checked_direction

    text = sys.stdin.read().strip() if qrtext == "-" else qrtext
    try:
        direction = checked_direction(direction)
        bundle = OfflineBundle.load(folder)
        now = _when(at, datetime.now(timezone.utc))
        decision, claims = bundle.verify(text, checkpoint, direction, now)
    except BundleError as e:
        typer.echo(f"错误 (error): {e}", err=True)
        raise typer.Exit(2) from None
    except DomainError as e:
        typer.echo(f"错误 (error): {e.message}", err=True)
        raise typer.Exit(2) from None
    out = {"result": decision.result.upper(), "reason": str(decision.reason), "message": reason_message(decision.reason),
           "keys_issued_at": bundle.keys_issued_at, "revocations_upto": bundle.revocations_upto}
    if claims:
        out["pass"] = {"id": claims.pass_id, "name": claims.name, "id_masked": claims.id_masked, "area": claims.area,
                       "directions": list(claims.directions), "expires_at": _t(claims.expires_at)}
    if as_json:
        _out(out)
    else:
        typer.echo(f"{out['result']}  {out['message']}")
        if claims:
            typer.echo(f"  {claims.name} {claims.id_masked}  {claims.area} {'/'.join(claims.directions)}  "
                       f"至 {_t(claims.expires_at)}")
        if bundle.keys_valid_until < now.isoformat():
            typer.echo("  注意：密钥清单已超过24小时未更新 (the key list is older than 24 h: fetch when online)", err=True)
    raise typer.Exit(0 if decision.allow else 1)
