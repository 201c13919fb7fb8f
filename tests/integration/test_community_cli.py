"""``cityops community …`` on a real SQLite file: imports with their row reports, a round, the
cross-match, a notice; the same use cases as the API."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cityops.app.community import ledger as led
from cityops.entrypoints.cli import app

from .community_helpers import ID, LEDGER_HEADER, RESULT_HEADER, at, csv_bytes, ledger_rows


@pytest.fixture
def cli_env(box, district, tmp_path, monkeypatch):
    if box.engine.dialect.name != "sqlite":
        pytest.skip("the CLI test drives the SQLite file")
    monkeypatch.setenv("CITYOPS_DATABASE_URL", str(box.engine.url))
    monkeypatch.setenv("CITYOPS_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("CITYOPS_ID_HASH_SECRET", "cli-secret")
    led.add_buildings(box.uow(), None, "S1C1", [("望潮小区", "1号楼"), ("望潮小区", "2号楼")], box.now())
    return tmp_path


def _last_json(output: str) -> dict:
    return json.loads([line for line in output.splitlines() if line.startswith("{")][-1])


def test_the_command_line_imports_matches_and_sends(cli_env):
    runner = CliRunner()
    rows = ledger_rows() + [["望潮小区", "7号楼", "1单元", "101", "无楼", "13900000009", ID(30), "", "在住"]]
    (cli_env / "台账.csv").write_bytes(csv_bytes(LEDGER_HEADER, rows, "gbk"))
    r = runner.invoke(app, ["community", "import-ledger", str(cli_env / "台账.csv"), "--committee", "S1C1"])
    assert r.exit_code == 0, r.output
    out = _last_json(r.output)
    assert (out["added"], out["bad_rows"]) == (8, 1) and out["rows_per_second"] > 0
    assert "第10行" in r.output and "unknown_building" not in r.output  # the readable message, not the code
    r = runner.invoke(app, ["community", "import-ledger", str(cli_env / "台账.csv"), "--committee", "S1C1"])
    assert _last_json(r.output)["unchanged"] == 8 and "imported before" in r.output

    (cli_env / "r.csv").write_bytes(csv_bytes(RESULT_HEADER, [[ID(1), "张三丰", at(1), "阴性", "点", "T1", "混管"]]))
    r = runner.invoke(app, ["community", "import-results", str(cli_env / "r.csv")])
    assert r.exit_code == 0 and _last_json(r.output)["imported"] == 1, r.output

    r = runner.invoke(app, ["community", "rounds", "create", "--name", "第一轮", "--area", "S1",
                            "--start", "2022-03-25T06:00", "--end", "2022-03-25T22:00"])
    assert r.exit_code == 0, r.output
    rid = json.loads(r.output)["id"]
    r = runner.invoke(app, ["community", "cross-match", str(rid)])
    assert r.exit_code == 0 and json.loads(r.output)["tested"] == 1, r.output
    r = runner.invoke(app, ["community", "notices", "send", "--committee", "S1C1", "--template", "testing",
                            "--audience", "all", "--field", "time=明早7点", "--field", "place=小区广场"])
    assert r.exit_code == 0 and json.loads(r.output)["sms_queued"] == 6, r.output  # 7 present/away, one without a phone
    r = runner.invoke(app, ["community", "notices", "send", "--committee", "S1C1", "--template", "testing",
                            "--audience", "all"])
    assert r.exit_code == 1 and "请填写模板字段" in r.output
