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
