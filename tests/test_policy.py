"""Policy: each rule denies the right changes on every venue, and nothing is sent for them."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
import yaml

import test_bitget_e2e as bitget
import test_okx_e2e as okx
import test_orderly_e2e as orderly
from kits import kit, venues_with_kits
from reconciler.policy import windows
from reconciler.policy.load import Bound, Policy
from reconciler.policy.rules import bound
from reconciler.venues.registry import supported_venues

BTC, SOL, XRP = orderly.BTC, orderly.SOL, orderly.XRP


def with_policy(path: str, policy: dict) -> str:
    """The desired-state file at `path` with a top-level `policy:` block."""
    document = yaml.safe_load(open(path))
    document["policy"] = policy
    open(path, "w").write(yaml.safe_dump(document, sort_keys=False))
    return path


def policy_file(tmp_path, policy: dict, name="risk.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return str(path)


def writes(sim, venue: str) -> list[dict]:
    return [c for c in sim.calls(venue) if c["method"] == "POST"]


def written_symbols(sim, venue: str) -> set[str]:
    found = set()
    for call in writes(sim, venue):
        body = call.get("body") or {}
        found.add(body.get("symbol") or body.get("instId"))
    return found


def results(out: str) -> dict[str, tuple[str, str | None]]:
    return {c["id"]: (c["result"], c["message"]) for c in json.loads(out)["changes"]}


# --- max_leverage on every venue: denied, nothing sent for it or its dependants, the rest applied -------

def test_bitget_max_leverage_denies_one_change_and_applies_the_others(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    path = with_policy(bitget.config(tmp_path, sim.url, settings={}, symbols={
        "SOLUSDT": {"margin_mode": "cross", "leverage": 20}, "XRPUSDT": {"margin_mode": "isolated", "leverage": 8}}),
        {"max_leverage": {"*": 15}})
    sim.clear_calls("bitget")
    code, out, err = cli("apply", path, "--auto-approve", "--format", "json")
    assert code == 3, out + err
    outcome = results(out)
    assert outcome["bg/SOLUSDT/leverage/cross"][0] == "denied"
    assert "max_leverage 15" in outcome["bg/SOLUSDT/leverage/cross"][1] and "is below 20" in outcome[
        "bg/SOLUSDT/leverage/cross"][1]
    assert outcome["bg/XRPUSDT/margin_mode"][0] == "applied"
    assert written_symbols(sim, "bitget") == {"XRPUSDT"}


def test_okx_a_denied_leverage_holds_back_the_margin_move_that_waits_on_it(start_sim, cli, tmp_path):
    sim = start_sim(okx.world())
    symbols = {k: okx.DESIRED[k] for k in ("ETH-USDT-SWAP", "SOL-USDT-SWAP")}
    path = with_policy(okx.config(tmp_path, sim.url, symbols=symbols), {"max_leverage": {"ETH-*": 12}})
    code, out, err = cli("plan", path, "--format", "json")
    plan = {c["id"]: c for c in json.loads(out)["changes"]}
    assert plan["ox/ETH-USDT-SWAP/leverage/isolated/long"]["status"] == "denied"
    assert plan["ox/ETH-USDT-SWAP/leverage/isolated/long"]["rule"] == "max_leverage"
    assert plan["ox/ETH-USDT-SWAP/isolated_margin/long"]["status"] == "blocked"
    assert "(denied)" in plan["ox/ETH-USDT-SWAP/isolated_margin/long"]["reason"]
    sim.clear_calls("okx")
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err
    assert written_symbols(sim, "okx") == {"SOL-USDT-SWAP"}


def test_orderly_max_leverage_for_one_venue_only(start_sim, cli, tmp_path):
    sim = start_sim(orderly.world())
    path = with_policy(orderly.config(tmp_path, sim.url, symbols={
        SOL: {"margin_mode": "isolated", "leverage": 8}, XRP: {"margin_mode": "cross", "leverage": 20}}),
        {"venues": {"orderly": {"max_leverage": 10}, "okx": {"max_leverage": 2}}})
    sim.clear_calls("orderly")
    code, out, err = cli("apply", path, "--auto-approve", "--format", "json")
    assert code == 3, out + err
    outcome = results(out)
    assert outcome[f"ol/{XRP}/leverage/cross"][0] == "denied"
    assert outcome[f"ol/{SOL}/leverage/isolated"][0] == "applied"  # the okx limit does not speak for orderly
    assert XRP not in json.dumps(writes(sim, "orderly"))


# --- in sync but outside policy: a drift check catches it on every venue ------------------------------

@pytest.mark.parametrize("venue", venues_with_kits())
def test_a_value_in_sync_outside_policy_fails_the_drift_check(venue, start_sim, cli, tmp_path):
    module = kit(venue)
    sim = start_sim(module.world())
    symbols, rule, extra = module.IN_SYNC_OUTSIDE_POLICY
    path = module.config(tmp_path, sim.url, symbols=symbols, **extra)
    code, out, err = cli("plan", path, "--detailed-exitcode")
    assert code == 0, out + err  # in sync, no policy
    with_policy(path, rule)
    code, out, err = cli("plan", path, "--detailed-exitcode", "--format", "json")
    assert code == 2, out + err
    denied = [c for c in json.loads(out)["changes"] if c["status"] == "denied"]
    assert denied and all(c["from"] == c["to"] and c["calls"] == [] for c in denied)
    assert all(c["reason"].startswith("in sync but outside policy: ") for c in denied)
    sim.clear_calls(venue)
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3 and writes(sim, venue) == []


# --- margin rules ----------------------------------------------------------------------------------

def test_max_margin_move_denies_a_move_larger_than_allowed_on_bitget_and_orderly(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    path = with_policy(bitget.config(tmp_path, sim.url, symbols={"ETHUSDT": {
        "margin_mode": "isolated", "leverage": {"long": 10, "short": 10}, "isolated_margin": 400}}),
        {"max_margin_move": 50})
    code, out, err = cli("apply", path, "--auto-approve", "--format", "json")
    assert code == 3
    message = results(out)["bg/ETHUSDT/isolated_margin/long"]
    assert message[0] == "denied" and "max_margin_move 50" in message[1] and "move of 100 (300 -> 400)" in message[1]
    assert not [c for c in writes(sim, "bitget") if c["path"].endswith("set-margin")]

    sim = start_sim(orderly.world())
    path = with_policy(orderly.config(tmp_path, sim.url, symbols={
        BTC: {"margin_mode": "isolated", "leverage": 5, "isolated_margin": 1300}}), {"max_margin_move": {"PERP_*": 100}})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3 and writes(sim, "orderly") == []


def test_max_margin_moved_caps_the_run_in_plan_order_on_okx(start_sim, cli, tmp_path):
    sim = start_sim(okx.world())
    symbols = {"ETH-USDT-SWAP": {"margin_mode": "isolated", "leverage": 10, "isolated_margin": 400},    # +100
               "SOL-USDT-SWAP": {"margin_mode": "isolated", "leverage": 5, "isolated_margin": 500}}     # +200
    path = with_policy(okx.config(tmp_path, sim.url, symbols=symbols), {"max_margin_moved": 250})
    code, out, err = cli("apply", path, "--auto-approve", "--format", "json")
    assert code == 3, out + err
    outcome = results(out)
    assert outcome["ox/ETH-USDT-SWAP/isolated_margin/long"][0] == "applied"
    assert outcome["ox/SOL-USDT-SWAP/isolated_margin/short"][0] == "denied"
    assert "100 already planned" in outcome["ox/SOL-USDT-SWAP/isolated_margin/short"][1]
    assert written_symbols(sim, "okx") == {"ETH-USDT-SWAP"}


def test_allowed_margin_modes_denies_a_mode_and_the_leverage_waiting_on_it(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    path = with_policy(bitget.config(tmp_path, sim.url, settings={}, symbols={
        "XRPUSDT": {"margin_mode": "isolated", "leverage": 8}, "SOLUSDT": {"margin_mode": "cross", "leverage": 20}}),
        {"allowed_margin_modes": {"*": ["cross"], "BTC*": ["cross", "isolated"]}})
    sim.clear_calls("bitget")
    code, out, err = cli("apply", path, "--auto-approve", "--format", "json")
    assert code == 3
    outcome = results(out)
    assert outcome["bg/XRPUSDT/margin_mode"][0] == "denied"
    assert outcome["bg/XRPUSDT/leverage/isolated/long"][0] == "denied"  # an isolated leverage is not allowed either
    assert written_symbols(sim, "bitget") == {"SOLUSDT"}


def test_min_liquidation_distance_denies_a_change_too_close_to_liquidation():
    from reconciler.plan import Change, Plan
    from reconciler.policy.rules import check
    close = Change("a/X/leverage/isolated", "a", "okx", "X", "leverage", None, "isolated", "5", "20",
                   liquidation_price={"from": "40000", "to": "47500", "mark": "50000"})
    far = Change("a/Y/leverage/isolated", "a", "okx", "Y", "leverage", None, "isolated", "5", "3",
                 liquidation_price={"from": "40000", "to": "30000", "mark": "50000"})
    unknown = Change("a/Z/leverage/isolated", "a", "okx", "Z", "leverage", None, "isolated", "5", "3",
                     liquidation_price={"from": None, "to": None, "mark": "50000"})
    plan = Plan(changes=[close, far, unknown], observed={}, accounts={"a": {"venue": "okx"}})
    check(plan, Policy([Bound("min_liquidation_distance", Decimal(10), "*", None, "p:1", "p:1")]))
    assert (close.status, far.status, unknown.status) == ("denied", "change", "change")
    assert "is 5.00 % from the mark price 50000" in close.reason
    assert any("could not be checked for a/Z" in note["text"] for note in plan.notes)


# --- where rules come from -------------------------------------------------------------------------

def test_the_stricter_of_the_file_block_and_the_policy_file_wins(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    path = with_policy(bitget.config(tmp_path, sim.url, settings={}, symbols={
        "SOLUSDT": {"margin_mode": "cross", "leverage": 18}}), {"max_leverage": 20})
    code, out, err = cli("plan", path, "--format", "json")
    assert json.loads(out)["changes"][0]["status"] == "change"
    risk = policy_file(tmp_path, {"version": 1, "max_leverage": {"SOL*": 15, "*": 50}})
    code, out, err = cli("plan", path, "--policy", risk, "--format", "json")
    change = json.loads(out)["changes"][0]
    assert change["status"] == "denied" and "max_leverage 15 (" in change["reason"] and "risk.yaml:3" in change[
        "reason"]


def test_in_one_map_the_most_specific_pattern_speaks_and_ties_take_the_stricter():
    def bounds(*items):
        return Policy([Bound("max_leverage", Decimal(v), p, None, "f:1", f"f:{n}") for n, (p, v) in enumerate(items)])
    policy = bounds(("*", 20), ("BTC*", 50), ("BTCUSDT", 60))
    assert [b.value for b in bound(policy, "max_leverage", "bitget", "BTCUSDT")] == [60]
    assert [b.value for b in bound(policy, "max_leverage", "bitget", "BTCDOMUSDT")] == [50]
    assert [b.value for b in bound(policy, "max_leverage", "bitget", "ETHUSDT")] == [20]
    assert [b.value for b in bound(bounds(("BT*", 30), ("*TC", 40)), "max_leverage", "okx", "BTC")] == [30]
    assert [b.value for b in bound(bounds(("btc*", 9)), "max_leverage", "bitget", "BTCUSDT")] == [9]  # venue case


# --- change windows with a fixed clock --------------------------------------------------------------

def at(monkeypatch, text: str) -> datetime:
    moment = datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    monkeypatch.setattr(windows, "now", lambda: moment)
    return moment


def test_windows_read_days_times_and_ranges_crossing_midnight():
    weekday = [windows.parse("Mon-Fri 06:00-07:30")]
    night = [windows.parse("Sun 22:00-02:00")]
    monday = datetime(2026, 11, 23, tzinfo=timezone.utc)  # a Monday
    assert windows.open_window(weekday, monday.replace(hour=6)) is not None
    assert windows.open_window(weekday, monday.replace(hour=7, minute=30)) is None
    assert windows.open_window(weekday, monday.replace(day=28, hour=6, minute=30)) is None  # Saturday
    assert windows.open_window(night, monday.replace(hour=1, minute=59)) is not None  # Sunday's, after midnight
    assert windows.open_window(night, monday.replace(hour=2)) is None
    opening = windows.next_opening(weekday, monday.replace(hour=8))
    assert opening == monday.replace(day=24, hour=6)
    assert windows.describe_wait(opening, monday.replace(hour=8)) == "Tue 2026-11-24 06:00 UTC (in 22 h)"
    assert windows.next_opening([windows.parse("Fri-Mon 23:00-23:30")], monday.replace(day=24)) == \
        monday.replace(day=27, hour=23)
    with pytest.raises(ValueError, match="not a window like"):
        windows.parse("Mon-Fri 6-7")


def test_outside_the_windows_apply_sends_nothing_and_says_when_the_next_opens(start_sim, cli, tmp_path, monkeypatch):
    sim = start_sim(bitget.world())
    path = with_policy(bitget.config(tmp_path, sim.url, settings={}, symbols={
        "SOLUSDT": {"margin_mode": "cross", "leverage": 20}}), {"change_windows": ["Mon-Fri 06:00-07:30"]})
    at(monkeypatch, "2026-11-23T08:00:00")
    code, out, err = cli("plan", path, "--out", str(tmp_path / "plan.json"))
    assert code == 0 and "the next opens Tue 2026-11-24 06:00 UTC (in 22 h)" in out
    sim.clear_calls("bitget")
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3 and "[denied]" in out and "outside the change windows" in out
    code, out, err = cli("apply", str(tmp_path / "plan.json"))
    assert code == 3
    assert writes(sim, "bitget") == []
    at(monkeypatch, "2026-11-24T06:15:00")
    code, out, err = cli("apply", str(tmp_path / "plan.json"))
    assert code == 0, out + err
    assert written_symbols(sim, "bitget") == {"SOLUSDT"}


# --- saved plans and bad input ------------------------------------------------------------------------

def test_a_saved_plan_applied_under_a_stricter_policy_is_stale(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    path = bitget.config(tmp_path, sim.url, settings={}, symbols={"SOLUSDT": {"margin_mode": "cross", "leverage": 20}})
    cli("plan", path, "--out", str(tmp_path / "plan.json"))
    risk = policy_file(tmp_path, {"max_leverage": 15})
    sim.clear_calls("bitget")
    code, out, err = cli("apply", str(tmp_path / "plan.json"), "--policy", risk)
    assert code == 1 and "plan is stale" in err and "denied" in err
    assert writes(sim, "bitget") == []


@pytest.mark.parametrize("policy, expected", [
    ({"max_leverage": 0}, "risk.yaml:1: max_leverage: must be a positive number"),
    ({"max_levrage": 5}, "risk.yaml:1: (top level): unknown key 'max_levrage'"),
    ({"change_windows": ["Mon-Fri 6:00-7:30"]}, "risk.yaml:2: change_windows.0: must be like 'Mon-Fri 06:00-07:30'"),
    ({"allowed_margin_modes": ["portfolio"]}, "risk.yaml:1: allowed_margin_modes: must be a list of cross/isolated"),
    ({"venues": {"kraken": {"max_leverage": 5}}}, "risk.yaml:1: venues: must be one of: " + ", ".join(supported_venues()) + " (got 'kraken')"),
], ids=["zero", "misspelt", "window", "mode", "venue"])
def test_a_bad_policy_file_is_one_clear_line_and_nothing_is_read_or_sent(policy, expected, start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    path = bitget.config(tmp_path, sim.url, settings={}, symbols={"SOLUSDT": {"margin_mode": "cross", "leverage": 20}})
    sim.clear_calls("bitget")
    code, out, err = cli("apply", path, "--auto-approve", "--policy", policy_file(tmp_path, policy))
    assert code == 1
    assert expected in err, err
    assert "Traceback" not in err and sim.calls("bitget") == []


def test_a_policy_file_that_does_not_exist_is_refused(cli, tmp_path):
    path = bitget.config(tmp_path, "http://127.0.0.1:1", settings={}, symbols={"SOLUSDT": {"leverage": 2}})
    code, out, err = cli("validate", path, "--policy", str(tmp_path / "missing.yaml"))
    assert code == 1 and "missing.yaml: no such policy file" in err


def test_a_bad_policy_block_is_checked_like_the_rest_of_the_file(cli, tmp_path):
    path = with_policy(bitget.config(tmp_path, "http://127.0.0.1:1", settings={}, symbols={}),
                       {"change_windows": ["Mon-Fri 06:00-07:30"], "max_leverage": {"*": -1}})
    code, out, err = cli("validate", path)
    assert code == 1 and "policy.max_leverage" in err and "must be a positive number" in err


def test_the_readmes_policy_file_loads(tmp_path):
    from reconciler.policy.load import load_file
    from test_readme_examples import fenced
    block = next(b for b in fenced("yaml") if b.startswith("# risk.yaml"))
    (tmp_path / "risk.yaml").write_text(block)
    policy = load_file(tmp_path / "risk.yaml")
    assert {b.rule for b in policy.bounds} == {"max_leverage", "min_leverage", "max_margin_move", "max_margin_moved",
                                               "min_liquidation_distance", "allowed_margin_modes"}
    assert [w.text for _, ws in policy.windows for w in ws] == ["Mon-Fri 06:00-07:30"]


# --- every rule on every venue ------------------------------------------------------------------------

# Per venue (its kit): a world, a desired state with a leverage change, a margin-mode change (or a leverage
# change in the mode the rule forbids on a venue that keeps no mode per symbol) and a margin move.
MATRIX = {venue: (kit(venue).rules_world, kit(venue).rules_config, kit(venue).RULE_TARGETS)
          for venue in venues_with_kits()}
RULES = {  # rule -> (the policy, which change it denies)
    "max_leverage": ({"max_leverage": 7.5}, "leverage"),
    "min_leverage": ({"min_leverage": 21}, "leverage"),
    "allowed_margin_modes": ({"allowed_margin_modes": {"*": ["cross"], "BTC-USDT-SWAP": ["isolated"]}}, "margin_mode"),
    "max_margin_move": ({"max_margin_move": 50}, "margin_move"),
    "max_margin_moved": ({"max_margin_moved": 50}, "margin_move"),
    "min_liquidation_distance": ({"min_liquidation_distance": 99}, "margin_move"),
}


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("venue", MATRIX)
def test_each_rule_denies_its_change_on_every_venue_and_nothing_is_sent_for_it(venue, rule, start_sim, cli,
                                                                               tmp_path):
    make_world, desired, ids = MATRIX[venue]
    policy, target = RULES[rule]
    sim = start_sim(make_world())
    path = with_policy(desired(tmp_path, sim.url), policy)
    code, out, err = cli("plan", path, "--format", "json")
    assert code == 0, err
    planned = {c["id"]: c for c in json.loads(out)["changes"]}
    denied = planned[ids[target]]
    assert denied["status"] == "denied" and denied["rule"] == rule, denied
    calls = {json.dumps(call, sort_keys=True) for call in denied["calls"]}
    sim.clear_calls(venue)
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err
    named = {key for call in denied["calls"] for key in (call.get("query") or {})}  # not the signing parameters
    sent = {json.dumps({"method": c["method"], "path": c["path"], "body": c["body"] or None,
                        "query": {k: v for k, v in (c.get("query") or {}).items() if k in named} or None},
                       sort_keys=True)
            for c in sim.calls(venue) if c["method"] == "POST"}
    calls = {json.dumps({key: call.get(key) or None for key in ("method", "path", "body", "query")}, sort_keys=True)
             for call in denied["calls"]}
    assert not calls & sent


def test_the_apply_report_of_a_denied_change_validates_against_its_schema(start_sim, cli, tmp_path):
    from test_report_json import report_of
    sim = start_sim(bitget.world())
    path = with_policy(bitget.config(tmp_path, sim.url, settings={}, symbols={
        "SOLUSDT": {"margin_mode": "cross", "leverage": 20}}), {"max_leverage": 15})
    code, out, err = cli("apply", path, "--auto-approve", "--format", "json")
    document = report_of(out)
    assert code == 3 == document["exit_code"]
    assert document["summary"]["denied"] == 1 and document["changes"][0]["result"] == "denied"


def test_policy_denies_changes_that_are_also_blocked_or_wait_on_a_blocked_one(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())  # BTCUSDT has an open cross position: its margin mode change is blocked
    path = with_policy(bitget.config(tmp_path, sim.url, symbols={
        "BTCUSDT": {"margin_mode": "isolated", "leverage": {"long": 5, "short": 5}}}),
        {"allowed_margin_modes": {"BTC*": ["cross"]}})
    code, out, err = cli("plan", path, "--format", "json")
    changes = {c["id"]: c for c in json.loads(out)["changes"]}
    assert changes["bg/BTCUSDT/margin_mode"]["status"] == "denied"
    assert changes["bg/BTCUSDT/leverage/isolated/long"]["status"] == "denied"  # isolated is not allowed either
    code, out, err = cli("plan", with_policy(path, {"max_leverage": 4}), "--format", "json")
    changes = {c["id"]: c for c in json.loads(out)["changes"]}
    assert changes["bg/BTCUSDT/margin_mode"]["status"] == "blocked"  # the open cross position
    assert changes["bg/BTCUSDT/leverage/isolated/long"]["status"] == "denied"


def test_equal_patterns_of_allowed_margin_modes_take_the_fewer_modes():
    policy = Policy([Bound("allowed_margin_modes", frozenset({"cross", "isolated"}), "BT*", None, "f:1", "f:2"),
                     Bound("allowed_margin_modes", frozenset({"cross"}), "*AP", None, "f:1", "f:3")])
    assert [b.value for b in bound(policy, "allowed_margin_modes", "okx", "BTC-USDT-SWAP")] == [frozenset({"cross"})]
