"""The pipeline workflow: saved plans, stale-plan refusal, drift exit codes, Markdown, import, targeting."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from test_bitget_e2e import KEY, config, world, writes

SCHEMAS = Path(__file__).parent.parent / "schemas"


@pytest.fixture
def sim(start_sim):
    return start_sim(world())


@pytest.fixture
def live_config(tmp_path, sim, monkeypatch):
    """The desired file with credentials from the environment, as a pipeline has it."""
    monkeypatch.setenv("BG_KEY", KEY["api_key"])
    monkeypatch.setenv("BG_SECRET", KEY["secret"])
    monkeypatch.setenv("BG_PASS", KEY["passphrase"])
    return config(tmp_path, sim.url, environment="sim",
                  credentials={"api_key": "${BG_KEY}", "secret": "${BG_SECRET}", "passphrase": "${BG_PASS}"})


def test_saved_plan_applies_exactly_its_calls(sim, cli, tmp_path, live_config):
    plan_path = tmp_path / "plan.json"
    code, _, err = cli("plan", live_config, "--out", plan_path)
    assert code == 0, err
    saved = json.loads(plan_path.read_text())
    planned = sorted(json.dumps({key: call[key] for key in ("method", "path", "query", "body")}, sort_keys=True)
                     for change in saved["changes"] for call in change["calls"])
    planned = sorted(set(planned))
    sim.clear_calls("bitget")
    code, out, err = cli("apply", plan_path)  # a saved plan needs no confirmation
    assert code == 3, out + err
    sent = sorted(json.dumps({"method": c["method"], "path": c["path"], "query": None, "body": c["body"]},
                             sort_keys=True) for c in writes(sim.calls("bitget")))
    assert sent == planned


def test_stale_plan_is_refused_before_anything_is_sent(sim, cli, tmp_path, live_config):
    plan_path = tmp_path / "plan.json"
    cli("plan", live_config, "--out", plan_path)
    state = copy.deepcopy(sim.state("bitget"))
    state["accounts"][0]["symbols"]["SOLUSDT"]["crossedMarginLeverage"] = "9"
    sim.put_state("bitget", state)
    sim.clear_calls("bitget")
    code, out, err = cli("apply", plan_path)
    assert code == 1
    assert "plan is stale, nothing was sent" in err and "error:   bg: SOLUSDT cross leverage was 10, is now 9\n" in err
    assert "run plan again" in err
    assert writes(sim.calls("bitget")) == []


def test_detailed_exitcode_is_2_then_0_around_an_apply(sim, cli, tmp_path):
    path = config(tmp_path, sim.url, symbols={"SOLUSDT": {"margin_mode": "cross", "leverage": 20}})
    assert cli("plan", path, "--detailed-exitcode")[0] == 2
    assert cli("plan", path)[0] == 0  # without the flag, success is 0
    assert cli("apply", path, "--auto-approve")[0] == 0
    assert cli("plan", path, "--detailed-exitcode")[0] == 0


def test_markdown_has_a_summary_and_a_table_per_account(sim, cli, tmp_path):
    code, out, _ = cli("plan", config(tmp_path, sim.url), "--format", "markdown")
    assert code == 0
    assert "Plan: 7 to change, 3 blocked, 0 conflicts, 5 in sync." in out
    assert "#### `bg` (bitget)" in out
    assert "| symbol | setting | from | to | status |" in out
    assert "| SOLUSDT | leverage (cross) | 10 | 20 | change |" in out
    assert "| BTCUSDT | margin mode | cross | isolated | **blocked** |" in out
    assert "`bg/BTCUSDT/margin_mode` (blocked): open cross position BTCUSDT long" in out


def test_show_renders_a_saved_plan_in_each_format(sim, cli, tmp_path):
    plan_path = tmp_path / "plan.json"
    _, text, _ = cli("plan", config(tmp_path, sim.url), "--out", plan_path)
    sim.clear_calls("bitget")
    assert cli("show", plan_path)[1] == text
    assert json.loads(cli("show", plan_path, "--format", "json")[1]) == json.loads(plan_path.read_text())
    assert "| symbol |" in cli("show", plan_path, "--format", "markdown")[1]
    assert sim.calls("bitget") == []


def test_import_round_trips_to_an_empty_plan(sim, cli, tmp_path, live_config):
    code, out, err = cli("import", live_config, "--account", "bg")
    assert code == 0, err
    assert "${BG_SECRET}" in out and KEY["secret"] not in out
    imported = tmp_path / "imported.yaml"
    imported.write_text(out)
    assert cli("validate", imported)[0] == 0
    code, out, _ = cli("plan", imported, "--detailed-exitcode")
    assert code == 0, out


def test_import_of_named_symbols_only(sim, cli, tmp_path, live_config):
    code, out, _ = cli("import", live_config, "--account", "bg", "--symbol", "ETHUSDT")
    assert code == 0 and "ETHUSDT" in out and "SOLUSDT" not in out


def test_saved_plan_validates_against_the_schema_and_holds_no_secret(sim, cli, tmp_path, live_config):
    plan_path = tmp_path / "plan.json"
    cli("plan", live_config, "--out", plan_path)
    document = json.loads(plan_path.read_text())
    jsonschema.Draft202012Validator(json.loads((SCHEMAS / "plan.schema.json").read_text())).validate(document)
    text = plan_path.read_text()
    for secret in (KEY["secret"], KEY["passphrase"]):
        assert secret not in text


def test_sim_literal_credentials_are_not_written_to_a_saved_plan(sim, cli, tmp_path):
    plan_path = tmp_path / "plan.json"
    cli("plan", config(tmp_path, sim.url), "--out", plan_path)
    assert KEY["secret"] not in plan_path.read_text()
    assert cli("apply", plan_path)[0] == 3  # the literals come from the desired-state file again


def test_targeting_narrows_plan_and_apply(sim, cli, tmp_path):
    path = config(tmp_path, sim.url)
    code, out, _ = cli("plan", path, "--symbol", "SOLUSDT", "--format", "json")
    assert {c["symbol"] for c in json.loads(out)["changes"]} == {"SOLUSDT"}
    plan_path = tmp_path / "plan.json"
    cli("plan", path, "--symbol", "SOLUSDT", "--symbol", "XRPUSDT", "--out", plan_path)
    sim.clear_calls("bitget")
    code, _, _ = cli("apply", plan_path)
    assert code == 0
    assert {c["body"]["symbol"] for c in writes(sim.calls("bitget"))} == {"SOLUSDT", "XRPUSDT"}
    code, _, err = cli("plan", path, "--account", "nope")
    assert code == 1 and "no account named nope" in err


def test_apply_of_a_saved_plan_narrowed_to_a_symbol_it_does_not_hold_is_refused(sim, cli, tmp_path):
    path = config(tmp_path, sim.url)
    plan_path = tmp_path / "plan.json"
    cli("plan", path, "--symbol", "SOLUSDT", "--out", plan_path)
    sim.clear_calls("bitget")
    code, out, err = cli("apply", plan_path, "--symbol", "XRPUSDT")
    assert code == 1 and "--symbol XRPUSDT: not in this plan" in err, out + err
    assert sim.calls("bitget") == []
