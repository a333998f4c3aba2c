"""CLIs speak the language of --lang or of LANG / LC_ALL; machine formats (CSV, JSON keys,
metric ids) stay the same in every language. Figures: the fixture's (tests/ui/test_app.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import i18n
from metrics.__main__ import main

REPO = Path(__file__).resolve().parents[2]
CARD = ["scorecard", "--start", "2026-01-01", "--end", "2026-01-14"]


def test_lang_option_prints_the_scorecard_in_chinese(
    fixture_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*CARD, "--lang", "zh-CN", "--db", str(fixture_db)]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header[:3] == ["指标", "数值", "目标"]
    availability = next(line for line in out.splitlines() if "可用性" in line)
    assert "99.380 %" in availability
    assert i18n.current() == "en"  # the call's language does not outlive it


def test_machine_formats_do_not_change_with_the_language(
    fixture_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main([*CARD, "--format", "csv", "--db", str(fixture_db)])
    english = capsys.readouterr().out
    main([*CARD, "--format", "csv", "--lang=zh-CN", "--db", str(fixture_db)])
    chinese = capsys.readouterr().out
    assert english.splitlines()[0] == chinese.splitlines()[0]  # the same column names
    main([*CARD, "--format", "json", "--lang", "zh-CN", "--db", str(fixture_db)])
    rows = json.loads(capsys.readouterr().out)
    assert {r["kpi"] for r in rows} >= {"availability", "p95_latency"}  # ids stay ids
    # 99.380 % sits between warn 99.0 and target 99.5 (config/targets.toml): the id "amber"
    assert next(r for r in rows if r["kpi"] == "availability")["status"] == "amber"


def test_lang_environment_and_a_bad_value(fixture_db: Path) -> None:
    env = {**os.environ, "LANG": "zh_CN.UTF-8", "PYTHONPATH": str(REPO)}

    def cli(*words: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "metrics", *words]
        return subprocess.run(
            command, capture_output=True, text=True, env=env, cwd=REPO, check=False, timeout=120
        )

    done = cli(*CARD, "--db", str(fixture_db))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "指标"
    bad = cli("--lang", "fr", *CARD)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: --lang 'fr' is not supported; use one of: en, zh-CN"


@pytest.mark.parametrize("module", ["metrics", "connectors", "data", "data.demo"])
def test_help_reads_in_chinese(module: str) -> None:
    """--help in Chinese: argparse's own words (usage, sections, -h) and every option's help."""
    done = subprocess.run(
        [sys.executable, "-m", module, "--lang", "zh-CN", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("用法：python -m ")
    assert "选项:" in done.stdout and "显示此帮助信息并退出" in done.stdout
    assert "show this help" not in done.stdout and "usage:" not in done.stdout


def test_usage_errors_read_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["scorecard", "--lang", "zh-CN", "--end", "2026-01-14"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "python -m metrics scorecard：错误：缺少以下必需参数：--start"
    )
    with pytest.raises(SystemExit):
        main(["scorecard", "--end", "2026-01-14"])  # English again outside the call
    assert "the following arguments are required: --start" in capsys.readouterr().err


def test_warehouse_and_catalog_messages_read_in_chinese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first commands a new organisation runs, in Chinese: init, a dry-run catalog apply,
    and a scorecard against a missing warehouse (problem and fix with no space after 。)."""
    from data.__main__ import main as data_main

    db = tmp_path / "w.duckdb"
    assert data_main(["init", "--db", str(db), "--lang", "zh-CN"]) == 0
    assert capsys.readouterr().out.startswith(f"{db}：已创建空数据仓库（表结构 v9）。下一步：")
    catalog = REPO / "config" / "catalog.example.toml"
    assert data_main(["catalog", "apply", str(catalog), "--db", str(db), "--lang", "zh-CN"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # the example declares teams payments and commerce and the service checkout-api
    assert lines[0] == "团队：新增 2，变更 0，退役 0，恢复 0"
    assert "服务：新增 1，变更 0，退役 0，恢复 0" in lines
    assert lines[-1] == "预演：没有写入任何内容；加 --yes 重新运行即可应用"
    missing = tmp_path / "none.duckdb"
    assert main([*CARD, "--db", str(missing), "--lang", "zh-CN"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"错误：{missing} 处没有数据仓库。用 `python -m data init --db {missing}` 为你的组织"
        "创建一个空数据仓库，用 `make demo` 构建演示组织，或把 TECHPULSE_DB 设为现有的数据仓库。"
    )


def test_a_refused_csv_reads_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Line 2 names an unknown service and line 3 has a date that is not one: both errors, in
    Chinese, line by line; the summary counts two."""
    from connectors.__main__ import main as connectors_main
    from data.__main__ import main as data_main

    db = tmp_path / "w.duckdb"
    data_main(["init", "--db", str(db)])
    capsys.readouterr()
    csv = tmp_path / "d.csv"
    csv.write_text(
        "external_id,service_id,environment,started_at,status\n"
        "d1,nowhere,production,2026-01-02T10:00:00Z,success\n"
        "d2,nowhere,production,31/01/2026,success\n",
        encoding="utf-8",
    )
    code = connectors_main(["import", "deployments", str(csv), "--db", str(db), "--lang", "zh-CN"])
    assert code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"错误：{csv} 未导入（3 个错误；没有写入任何内容）："
    assert "第 3 行：started_at '31/01/2026' 不是 2026-01-31T14:05:00Z 这样的 ISO-8601 时间" in err
    assert "第 2 行：service_id 'nowhere' 不是数据仓库中的服务" in err
