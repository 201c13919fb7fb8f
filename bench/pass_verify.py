"""P4 — pass verification: decode + signature + rules per second on one core, against python-cwt's
own verification of the same passes in the same run; and the checkpoint scan's HTTP round trip.

1. Signs N passes (ES256, our prefix) with the production code path (python-cwt signs).
2. Ours: ``app.passes.scan.verify_text`` — prefix, Base45, zlib, COSE_Sign1, ES256 signature
   (cryptography), CWT claims, the gate's rules (revocation, expiry, area, direction) — per pass.
3. Baseline: Base45 + zlib (the same helpers) + ``cwt.decode(cose, key)``: python-cwt's COSE
   verification and its own claim checks (exp/nbf), with the key object built once.
   Both loops are pinned to one core, interleaved in rounds, best round reported.
4. HTTP: the real app (``cityops serve --no-workers``) on a SQLite file; one keep-alive client
   POSTs /api/v1/passes/scan sequentially (each scan verified and logged); p50/p99 against
   GET /api/v1/ping measured the same way.

    .venv/bin/python bench/pass_verify.py [--passes 2000] [--seconds 2] [--scans 2000]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import base45
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, fast_hasher, free_port, prepare_db  # noqa: E402
from _timing import percentile, pin_one_core  # noqa: E402

from cityops.adapters.crypto.passes import PassCryptoAdapter  # noqa: E402
from cityops.adapters.crypto.passkeys import certificate_der  # noqa: E402
from cityops.app.passes.scan import verify_text  # noqa: E402
from cityops.domain.passes.model import PassClaims  # noqa: E402

HOST = "127.0.0.1"


def make_passes(crypto: PassCryptoAdapter, key: dict, n: int, now: datetime) -> list[str]:
    out = []
    for i in range(n):
        c = PassClaims(pass_id=os.urandom(16).hex(), issuer="cityops", issued_at=now, valid_from=now,
                       expires_at=now + timedelta(hours=24), name="张三丰" if i % 2 else "欧阳建国",
                       id_masked="310***********1234", area="A1", directions=("in", "out"),
                       sample_time=now - timedelta(hours=10))
        out.append(crypto.sign_pass(c.to_cwt(), key))
    return out


def rate(fn, texts: list[str], seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for t in texts:
            fn(t)
        done += len(texts)
    return done / (time.perf_counter() - start)


def crypto_phase(args) -> dict:
    import cwt
    from cwt import COSEKey

    now = datetime.now(timezone.utc)
    crypto = PassCryptoAdapter(id_secret="bench", key_secret="bench-secret", prefix="CO1:")
    key = {**crypto.new_key("pass", "bench signer", now - timedelta(days=1), 30), "purpose": "pass", "status": "active"}
    texts = make_passes(crypto, key, args.passes, now)
    keys = [key]
    crypto.verifier(keys)  # built once, as a running server holds it

    def ours(t: str) -> None:
        d, _ = verify_text(crypto, keys, t, now=now, area="A1", direction="in", revoked=lambda pid: False)
        assert d.allow

    pem = key["certificate"]
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    pub_pem = x509.load_pem_x509_certificate(pem.encode()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    cose_key = COSEKey.from_pem(pub_pem, kid=bytes.fromhex(key["kid"]))
    assert len(certificate_der(pem)) > 0

    def baseline(t: str) -> None:
        claims = cwt.decode(zlib.decompress(base45.b45decode(t[4:])), cose_key)
        assert claims[4] > 0

    for t in texts[:50]:  # both accept the same passes
        ours(t)
        baseline(t)
    best_ours = best_base = 0.0
    for _ in range(args.rounds):
        best_ours = max(best_ours, rate(ours, texts, args.seconds))
        best_base = max(best_base, rate(baseline, texts, args.seconds))
    return {"passes": len(texts), "qr_chars_mean": round(sum(map(len, texts)) / len(texts)),
            "ours_per_s": round(best_ours), "python_cwt_per_s": round(best_base),
            "ratio": round(best_ours / best_base, 2)}


def http_phase(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench_p4_"))
    url = f"sqlite:///{tmp}/cityops.db"
    now = datetime.now(timezone.utc)
    prepare_db(url, now)
    from cityops.adapters.db.engine import make_engine
    from cityops.app.passes import apply as apply_uc
    from cityops.app.passes import results as results_uc
    from cityops.app.passes import setup as setup_uc
    from cityops.bootstrap import bootstrap
    from cityops.domain.people import id_check_digit
    from cityops.settings import load_settings

    engine = make_engine(url)
    box = bootstrap(load_settings({}, env="test"), engine=engine, now=lambda: now, hasher=fast_hasher(), transports={})
    setup_uc.add_area(box.uow(), None, code="A1", name="封控区", kind="sealed", unit="S1", manual_approval=False, now=now)
    setup_uc.add_checkpoint(box.uow(), None, code="G1", name="卡口", area="A1", now=now)
    number = "31010419900101123" + id_check_digit("31010419900101123")
    sample = (now - timedelta(hours=2) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    results_uc.import_results(box.uow(), box.pass_crypto, None,
                              f"身份证号,姓名,采样时间,检测结果\n{number},张三,{sample},阴性\n".encode(), "b.csv", now)
    otp = apply_uc.request_code(box.uow(), "13600000001", now)
    import re
    import sqlalchemy as sa
    from cityops.adapters.db.tables import outbox
    with engine.connect() as c:
        code = re.search(r"\d{6}", c.execute(sa.select(outbox.c.body)).scalar()).group(0)
    app = apply_uc.submit(box.uow(), box.pass_crypto, apply_uc.NewApplication(
        name="张三", id_number=number, phone="13600000001", otp_id=otp["otp_id"], code=code, employer="b",
        reason="supplies", area="A1", directions=["in"], period_start=now, period_end=now + timedelta(hours=20)), now)
    qr = app["pass"]["qr_text"]
    engine.dispose()

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYOPS_")}
    env.update(CITYOPS_DATABASE_URL=url, CITYOPS_ENV="test", CITYOPS_RUN_WORKERS_IN_PROCESS="false",
               PYTHONPATH=str(ROOT / "src"))
    cmd = [sys.executable, "-m", "cityops.entrypoints.cli", "serve", "--no-workers", "--host", HOST, "--port", str(port)]
    log = (tmp / "server.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://{HOST}:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/v1/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit((tmp / "server.log").read_text()[-3000:])
            time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=10) as client:
            token = client.post("/api/v1/auth/login", json={"username": "op", "password": "password-op"}).json()["token"]
            h = {"Authorization": f"Bearer {token}"}

            def timed(n, fn):
                out = []
                for _ in range(n):
                    t = time.perf_counter()
                    fn()
                    out.append((time.perf_counter() - t) * 1000)
                return out

            def do_scan():
                r = client.post("/api/v1/passes/scan", headers=h, json={"qr": qr, "checkpoint": "G1", "direction": "in"})
                assert r.status_code == 200 and r.json()["result"] == "ALLOW", r.text

            def do_ping():
                assert client.get("/api/v1/ping").status_code == 200
            timed(100, do_ping), timed(100, do_scan)  # warm-up
            ping = timed(args.scans, do_ping)
            scan = timed(args.scans, do_scan)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(20)
    return {"scans": len(scan), "scan_p50_ms": round(percentile(scan, 50), 2), "scan_p99_ms": round(percentile(scan, 99), 2),
            "ping_p50_ms": round(percentile(ping, 50), 2), "ping_p99_ms": round(percentile(ping, 99), 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passes", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--scans", type=int, default=2000)
    args = ap.parse_args()
    cpu = pin_one_core()
    c = crypto_phase(args)
    print(f"P4 verification on {cpu}: {c['passes']} passes, {c['qr_chars_mean']} characters each")
    print(f"  ours (decode + ES256 + rules)   {c['ours_per_s']:>8,}/s")
    print(f"  python-cwt decode (baseline)    {c['python_cwt_per_s']:>8,}/s   ratio {c['ratio']}x  "
          f"(goal >= 5,000/s and >= 1.0x)")
    h = http_phase(args)
    print(f"checkpoint scan over HTTP (SQLite, 1 process, sequential, scan logged): "
          f"p50 {h['scan_p50_ms']} ms  p99 {h['scan_p99_ms']} ms   baseline ping p50 {h['ping_p50_ms']} ms  "
          f"p99 {h['ping_p99_ms']} ms")
    print(json.dumps({"bench": "pass_verify", "cpu": cpu, **c, **h}))


if __name__ == "__main__":
    main()
