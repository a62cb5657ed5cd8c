"""`comptoir import` as a user runs it: exit status 0 / 3 / 1, --report and --html."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from comptoir.cli import app
from tests.comptoir.imports.conftest import count


def test_import_with_rejections_exits_3_and_writes_both_reports(dossier, dossier_url, files,
                                                               tmp_path) -> None:
    path = files("customers.csv", "CODE;DESIG\nN1;One\nN1;Again\n")
    env = {**os.environ, "COMPTOIR_DATABASE_URL": dossier_url,
           "COMPTOIR_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [sys.executable, "-c", "from comptoir.cli import main; main()", "import", "customers",
         str(path), "--report", str(tmp_path / "out" / "r.json"), "--html",
         str(tmp_path / "out" / "r.html")],
        capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 3, result.stderr
    report = json.loads((tmp_path / "out" / "r.json").read_text(encoding="utf-8"))
    assert (report["accepted"], report["rejections"][0]["rule"]) == (1, "duplicate_in_file")
    assert "duplicate_in_file" in (tmp_path / "out" / "r.html").read_text(encoding="utf-8")
    assert "customers: 2 records, 1 accepted, 1 rejected" in result.stdout
    noise = result.stdout + result.stderr
    assert "Calculating Metrics" not in noise and "great_expectations" not in noise
    assert "Traceback" not in noise and "INFO" not in noise


def test_clean_import_exits_0_and_dry_run_writes_nothing(dossier, files) -> None:
    path = files("depots.csv", "code;desig\nD7;Seven\n")
    dry = CliRunner().invoke(app, ["import", "depots", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing written" in dry.output and count(dossier, "depots") == 2
    real = CliRunner().invoke(app, ["import", "depots", str(path)])
    assert real.exit_code == 0 and count(dossier, "depots") == 3


def test_file_level_problems_exit_1(dossier, files) -> None:
    path = files("bom.csv", "GCPARTIC_CODE\nA1\n")
    wrong_mode = CliRunner().invoke(app, ["import", "bom", str(path), "--mode", "modify"])
    assert wrong_mode.exit_code == 1
    missing = CliRunner().invoke(app, ["import", "customers", str(files("c.csv", "DESIG\nx\n"))])
    assert missing.exit_code == 1
    unknown = CliRunner().invoke(app, ["import", "planets", str(path)])
    assert unknown.exit_code == 1 and "unknown entity" in unknown.output
