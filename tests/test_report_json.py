"""apply --format json and --report against the Bitget simulator: one document, valid against its schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import test_bitget_e2e as bitget

SCHEMA = json.loads((Path(__file__).parent.parent / "schemas" / "apply-report.schema.json").read_text())
APPLICABLE = {"SOLUSDT": {"margin_mode": "cross", "leverage": 20},
              "XRPUSDT": {"margin_mode": "isolated", "leverage": 8}}


def report_of(out: str) -> dict:
    """stdout parsed as one JSON document (json.loads refuses anything around it) and checked by the schema."""
    document = json.loads(out)
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(document)
    return document


def results(document: dict) -> dict[str, str]:
    return {item["id"]: item["result"] for item in document["changes"]}


@pytest.fixture
def sim(start_sim):
    return start_sim(bitget.world())


def test_a_successful_apply_reports_every_change_applied(sim, cli, tmp_path):
    code, out, err = cli("apply", bitget.config(tmp_path, sim.url, symbols=APPLICABLE), "--auto-approve",
                         "--format", "json")
    document = report_of(out)
    assert code == 0 == document["exit_code"], err
    assert results(document) == {"bg/SOLUSDT/leverage/cross": "applied", "bg/XRPUSDT/margin_mode": "applied",
                                 "bg/XRPUSDT/leverage/isolated/long": "applied",
                                 "bg/XRPUSDT/leverage/isolated/short": "applied"}
    solusdt = next(item for item in document["changes"] if item["symbol"] == "SOLUSDT")
    assert (solusdt["account"], solusdt["field"], solusdt["from"], solusdt["to"]) == ("bg", "leverage", "10", "20")
    assert document["summary"]["applied"] == 4 and document["account_errors"] == {}
    assert document["started_at"] <= document["finished_at"]
    assert "SOLUSDT" in err  # the plan preview went to stderr
    assert sim.state("bitget")["accounts"][0]["symbols"]["SOLUSDT"]["crossedMarginLeverage"] == "20"


def test_blocked_changes_are_reported_blocked_with_their_reason_and_exit_3(sim, cli, tmp_path):
    code, out, err = cli("apply", bitget.config(tmp_path, sim.url), "--auto-approve", "--format", "json")
    document = report_of(out)
    assert code == 3 == document["exit_code"], err
    assert results(document)["bg/BTCUSDT/margin_mode"] == "blocked"
    blocked = next(item for item in document["changes"] if item["id"] == "bg/BTCUSDT/margin_mode")
    assert "BTCUSDT" in blocked["message"]
    assert results(document)["bg/SOLUSDT/leverage/cross"] == "applied"
    assert document["summary"]["blocked"] == 3
    assert "bg/BTCUSDT/margin_mode" in err  # the plan preview is on stderr


def test_a_refused_write_is_reported_failed_with_the_venue_code(sim, cli, tmp_path):
    sim.faults("bitget", [{"method": "POST", "path": "/api/v2/mix/account/set-leverage", "kind": "venue_error",
                           "status": 400, "code": "40797", "after": False, "count": 1}])
    code, out, err = cli("apply", bitget.config(tmp_path, sim.url, symbols={"SOLUSDT": APPLICABLE["SOLUSDT"]}),
                         "--auto-approve", "--format", "json")
    document = report_of(out)
    assert code == 1 == document["exit_code"], err
    failed = document["changes"][0]
    assert (failed["id"], failed["result"]) == ("bg/SOLUSDT/leverage/cross", "failed")
    assert "40797" in failed["message"]
    assert sim.state("bitget")["accounts"][0]["symbols"]["SOLUSDT"]["crossedMarginLeverage"] == "10"


def test_an_unreachable_account_is_an_account_error_and_the_other_is_still_applied(sim, cli, tmp_path):
    path = bitget.config(tmp_path, sim.url, symbols=APPLICABLE)
    text = path.read_text()
    path.write_text(text + text.split("accounts:\n")[1].replace("  bg:", "  down:", 1).replace(
        sim.url, "http://127.0.0.1:1"))  # nothing listens on port 1
    code, out, err = cli("apply", path, "--auto-approve", "--format", "json")
    document = report_of(out)
    assert code == 1 == document["exit_code"]
    assert list(document["account_errors"]) == ["down"]
    assert {item["account"] for item in document["changes"]} == {"bg"}
    assert set(results(document).values()) == {"applied"}


def test_a_refused_apply_still_prints_one_document_naming_why(sim, cli, tmp_path):
    path = bitget.config(tmp_path, sim.url, symbols=APPLICABLE)
    assert cli("plan", path, "--out", tmp_path / "plan.json")[0] == 0
    path.write_text(path.read_text().replace("leverage: 20", "leverage: 21"))
    code, out, err = cli("apply", tmp_path / "plan.json", "--format", "json")
    document = report_of(out)
    assert code == 1 == document["exit_code"]
    assert "changed since this plan was made" in document["error"] and document["changes"] == []
    assert "changed since this plan was made" in err
    assert not [c for c in sim.calls("bitget") if c["method"] != "GET" and "set-" in c["path"]]


def test_report_file_is_written_beside_the_text_output(sim, cli, tmp_path):
    path = bitget.config(tmp_path, sim.url, symbols=APPLICABLE)
    code, out, _ = cli("plan", path, "--report", tmp_path / "plan-report.json")
    assert code == 0 and "SOLUSDT" in out and not out.lstrip().startswith("{")
    saved_plan = json.loads((tmp_path / "plan-report.json").read_text())
    assert {c["id"] for c in saved_plan["changes"]} >= {"bg/SOLUSDT/leverage/cross"}
    code, out, _ = cli("apply", path, "--auto-approve", "--report", tmp_path / "apply-report.json")
    assert code == 0 and "Apply: 4 applied" in out
    document = report_of((tmp_path / "apply-report.json").read_text())
    assert document["summary"]["applied"] == 4 and document["config_sha256"] == saved_plan["config_sha256"]


def test_report_into_a_missing_directory_is_refused_before_anything_is_read(sim, cli, tmp_path):
    code, out, err = cli("plan", bitget.config(tmp_path, sim.url), "--report", tmp_path / "no" / "r.json")
    assert code == 1 and "--report" in err and "does not exist" in err
    assert sim.calls("bitget") == []


def test_the_readmes_apply_report_example_is_valid_against_the_schema():
    import test_readme_examples as readme
    reports = [json.loads(block) for block in readme.fenced("json") if '"exit_code"' in block]
    assert reports
    for document in reports:
        report_of(json.dumps(document))
