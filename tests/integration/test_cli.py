"""The cityops CLI on a fresh SQLite file: migrate, users, policies, mode, stats; clear errors."""
import json

import pytest
from typer.testing import CliRunner

from cityops.entrypoints.cli import app


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("CITYOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CITYOPS_ENV", "test")
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(app, list(args), input=input)

    r = run("migrate")
    assert r.exit_code == 0, r.output
    return run


def test_migrate_is_idempotent_and_installs_the_taxonomy(cli):
    r = cli("migrate")
    assert r.exit_code == 0 and "'categories': 0" in r.output


def test_policies_export_import_round_trip_and_mode_switch(cli, tmp_path):
    from cityops.app import identity
    from cityops.bootstrap import bootstrap

    box = bootstrap()
    identity.create_unit(box.uow(), None, code="D", name="区", kind="district", parent_code=None, now=box.now())
    identity.create_unit(box.uow(), None, code="C", name="中心", kind="center", parent_code="D", now=box.now())
    r = cli("create-user", "admin", "--role", "admin", "--unit", "C", input="admin-password\nadmin-password\n")
    assert r.exit_code == 0 and "created user admin" in r.output
    out = tmp_path / "p.json"
    assert cli("policies", "export", str(out)).exit_code == 0
    data = json.loads(out.read_text("utf-8"))
    assert len(data) == 6
    data[0]["resolve_minutes"] = 150
    out.write_text(json.dumps(data), encoding="utf-8")
    r = cli("policies", "import", str(out))
    assert r.exit_code == 0 and "imported 6" in r.output
    data[0]["resolve_minutes"] = -1
    out.write_text(json.dumps(data), encoding="utf-8")
    r = cli("policies", "import", str(out))
    assert r.exit_code == 1 and "resolve_minutes" in r.output
    out.write_bytes(b"\xff\xfe not json")
    r = cli("policies", "import", str(out))
    assert r.exit_code == 1 and "cannot read" in r.output
    assert cli("mode").output.strip() == "epidemic"
    assert "normal" in cli("mode", "normal").output
    assert cli("mode", "lunar").exit_code == 1
    r = cli("stats", "--days", "3")
    assert r.exit_code == 0 and json.loads(r.output)["received"] == 0


def test_create_user_in_an_unknown_unit_is_a_clear_error(cli):
    r = cli("create-user", "bob", "--role", "operator", "--unit", "NOPE", input="long-password\nlong-password\n")
    assert r.exit_code == 1 and "NOPE" in r.output


def test_seed_demo_ships_gazetteer_routing_rules_and_knowledge_base(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("CITYOPS_MEDIA_DIR", str(tmp_path / "media"))
    r = cli("seed-demo", "--orders", "30")
    assert r.exit_code == 0, r.output
    assert "cityops-demo" in r.output and "地名库 gazetteer: 269 entries (0 bad rows)" in r.output
    assert "口径库 knowledge base: 40 entries" in r.output
    r = cli("seed-demo")
    assert "already" in r.output


def test_gazetteer_and_kb_imports_report_bad_rows(cli, tmp_path):
    from cityops.app import identity
    from cityops.bootstrap import bootstrap

    box = bootstrap()
    for code, kind, parent in (("D", "district", None), ("S", "street", "D"), ("C1", "committee", "S")):
        identity.create_unit(box.uow(), None, code=code, name=code, kind=kind, parent_code=parent, now=box.now())
    g = tmp_path / "g.csv"
    g.write_bytes("类型,名称,起号,止号,居委编码\n道路,青年路,1,9,C1\n道路,青年路,9,1,C1\n".encode("gbk"))
    r = cli("gazetteer", "import", str(g))
    assert r.exit_code == 0 and '"imported": 1' in r.output and '"bad_rows": 1' in r.output
    k = tmp_path / "kb.csv"
    k.write_text("问题,答复口径,类别\n怎么开证明,找居委,epi.certificate\n,空问题,epi.certificate\n", encoding="utf-8")
    r = cli("kb", "import", str(k))
    assert r.exit_code == 0 and '"added": 1' in r.output and '"bad_rows": 1' in r.output
    r = cli("kb", "import", str(tmp_path / "missing.xlsx"))
    assert r.exit_code == 1 and "cannot read" in r.output
