"""A checkpoint offline: `cityops pass fetch` pins the anchor and downloads the signed lists;
`cityops pass verify QRTEXT` decides without the server; a revocation reaches it at the next fetch."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from cityops.adapters.crypto.offline import BundleError, fetch
from cityops.entrypoints.cli import app
from tests.integration.api_helpers import Api
from tests.integration.passes_helpers import apply, id_number, import_results, local, setup_area


@pytest.fixture
def api(box, district):
    a = Api(box)
    setup_area(a)
    return a


def getter(api):
    def get(path):
        r = api.client.get(path)
        assert r.status_code == 200, r.text
        return r.json()
    return get


def verify(folder, qr, clock, direction="in", checkpoint="G1"):
    r = CliRunner().invoke(app, ["pass", "verify", qr, "--checkpoint", checkpoint, "--direction", direction,
                                 "--dir", str(folder), "--at", clock.now.isoformat(), "--json"])
    assert r.exit_code in (0, 1), r.output
    return json.loads(r.stdout), r.exit_code


def test_offline_verify_allows_a_good_pass_and_denies_a_revoked_one_after_the_next_fetch(api, box, clock, tmp_path):
    import_results(api, [[id_number(1), "张三丰", local(clock.now - timedelta(hours=3)), "阴性", "混管", "", "T"]])
    qr = apply(api, box, clock, number=id_number(1))["pass"]["qr_text"]
    folder = tmp_path / "gate"
    assert fetch(folder, getter(api))["keys"] == 1
    out, code = verify(folder, qr, clock)
    assert (out["result"], code) == ("ALLOW", 0) and out["pass"]["name"] == "张三丰"
    assert verify(folder, qr, clock, direction="in", checkpoint="G1")[0]["result"] == "ALLOW"
    pid = out["pass"]["id"]
    assert api.post("adm", f"/api/v1/passes/{pid}/revoke", json={"reason": "离职"}).status_code == 200
    assert verify(folder, qr, clock)[0]["result"] == "ALLOW"           # not fetched yet: the gate cannot know
    rep = fetch(folder, getter(api))
    assert (rep["new_revocations"], rep["upto"]) == (1, 1)
    out, code = verify(folder, qr, clock)
    assert (out["result"], out["reason"], code) == ("DENY", "revoked", 1)
    assert fetch(folder, getter(api))["new_revocations"] == 0          # incremental: nothing new


def test_offline_verify_denies_garbage_and_expired_passes_with_their_reasons(api, box, clock, tmp_path):
    import_results(api, [[id_number(2), "李四", local(clock.now - timedelta(hours=40)), "阴性", "单管", "", "T"]])
    qr = apply(api, box, clock, number=id_number(2))["pass"]["qr_text"]
    fetch(tmp_path, getter(api))
    assert verify(tmp_path, "HC1:NCFOXN", clock)[0]["reason"] == "wrong_prefix"
    assert verify(tmp_path, qr[:-7], clock)[0]["reason"] == "malformed"
    clock.advance(hours=9)
    assert verify(tmp_path, qr, clock)[0]["reason"] == "expired"


def test_a_tampered_key_list_or_a_changed_anchor_is_refused(api, box, clock, tmp_path):
    fetch(tmp_path, getter(api))
    env = json.loads((tmp_path / "keys.json").read_text())
    env["payload"] = env["payload"][:-4] + ("AAAA" if not env["payload"].endswith("AAAA") else "BBBB")
    (tmp_path / "keys.json").write_text(json.dumps(env))
    r = CliRunner().invoke(app, ["pass", "verify", "CO1:X", "--checkpoint", "G1", "--dir", str(tmp_path)])
    assert r.exit_code == 2 and "签名无效" in r.output
    anchor = json.loads((tmp_path / "anchor.json").read_text())
    anchor["fingerprint"] = "0" * 64
    (tmp_path / "anchor.json").write_text(json.dumps(anchor))
    with pytest.raises(BundleError):
        fetch(tmp_path, getter(api))
