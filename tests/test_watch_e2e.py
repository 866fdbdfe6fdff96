"""`reconciler watch` end to end: a real watcher process against the simulator, its /metrics and its webhooks."""

from __future__ import annotations

import json
import shutil
import signal
import time
from pathlib import Path

import pytest
import yaml

from conftest import write_yaml, writes
from test_okx_e2e import instruments
from watching import WatchProcess, Webhooks, within

INTERVAL = 1.0
KEYS = [{"api_key": f"wk-{n}", "secret": f"watch-secret-{n}-5f3a", "passphrase": f"watch-pass-{n}", "uid": f"70{n}"}
        for n in range(2)]
DESIRED = {"BTC-USDT-SWAP": {"margin_mode": "cross", "leverage": 5},
           "ETH-USDT-SWAP": {"margin_mode": "isolated", "leverage": 10, "isolated_margin": 400},
           "XRP-USDT-SWAP": {"margin_mode": "isolated", "leverage": 10}}
MARGIN = "/api/v5/account/position/margin-balance"


def okx_account(key: dict) -> dict:
    return {**key, "config": {"posMode": "net_mode", "acctLv": "2", "ctIsoMode": "automatic"},
            "balances": {"USDT": "100000"},
            "leverage": {"BTC-USDT-SWAP": {"cross": "5"}, "ETH-USDT-SWAP": {"isolated": "10"},
                         "XRP-USDT-SWAP": {"isolated": "10"}},
            "positions": [{"instId": "ETH-USDT-SWAP", "mgnMode": "isolated", "posSide": "net", "pos": "2",
                           "margin": "400", "avgPx": "3000"}],
            "orders": [{"instId": "XRP-USDT-SWAP", "tdMode": "isolated", "side": "buy", "posSide": "net",
                        "sz": "10", "px": "0.5", "ordId": "111"}]}


def world(accounts: int = 1) -> dict:
    return {"okx": {"instruments": instruments(), "accounts": [okx_account(KEYS[n]) for n in range(accounts)]}}


def desired(tmp_path, url, *, accounts: int = 1, watch=None, policy=None, symbols=None, extra=None):
    data = {"version": 1, "watch": {"interval": INTERVAL, **(watch or {})}, "accounts": {
        f"ox{n}": {"venue": "okx", "environment": "sim", "base_url": url,
                   "credentials": {k: KEYS[n][k] for k in ("api_key", "secret", "passphrase")},
                   "settings": {"position_mode": "net"}, "symbols": symbols or DESIRED}
        for n in range(accounts)}}
    data["accounts"].update(extra or {})
    if policy:
        data["policy"] = policy
    return write_yaml(tmp_path / "desired.yaml", data)


def drift(sim, account: int = 0, *, leverage: str | None = None, margin: str | None = None) -> None:
    """Change the account out of band, as a person clicking on the venue's site would."""
    state = sim.state("okx")
    live = state["accounts"][account]
    if leverage is not None:
        live["leverage"]["BTC-USDT-SWAP"]["cross"] = leverage
    if margin is not None:
        live["positions"][0]["margin"] = margin
    sim.put_state("okx", state)


def margin_of(sim, account: int = 0) -> str:
    return sim.state("okx")["accounts"][account]["positions"][0]["margin"]


@pytest.fixture
def hooks():
    receiver = Webhooks()
    yield receiver
    receiver.stop()


@pytest.fixture
def watchers(tmp_path):
    started = []

    def start(path, *args, **options):
        watcher = WatchProcess(path, "--webhook", options.pop("webhook"), *args, cwd=tmp_path, **options) \
            if "webhook" in options else WatchProcess(path, *args, cwd=tmp_path, **options)
        started.append(watcher)
        return watcher

    yield start
    for watcher in started:
        watcher.kill()


def item(account="ox0", setting="leverage/cross", symbol="BTC-USDT-SWAP", **labels) -> dict:
    return {"account": account, "symbol": symbol, "setting": setting, **labels}


def test_report_mode_sees_out_of_band_drift_within_an_interval_and_one_unreadable_account_stops_nothing(
        start_sim, tmp_path, hooks, watchers):
    sim = start_sim(world())
    dead = {"venue": "okx", "environment": "sim", "base_url": "http://127.0.0.1:9",
            "credentials": {"api_key": "x1", "secret": "x2", "passphrase": "x3"}, "symbols": {}}
    path = desired(tmp_path, sim.url, extra={"dead": dead})
    watcher = watchers(path, webhook=hooks.url)
    within(10, lambda: watcher.get("/readyz")[0] == 200)
    assert watcher.get("/healthz")[0] == 200
    assert watcher.value("reconciler_item_info", **item(status="in_sync")) == 1
    assert watcher.value("reconciler_item_info", **item(status="blocked", symbol="XRP-USDT-SWAP",
                                                        setting="leverage/isolated")) == 0  # in sync: nothing to do
    drift(sim, leverage="7")
    within(INTERVAL * 2, lambda: watcher.value("reconciler_item_info", **item(status="drift")) == 1)
    [detected] = within(INTERVAL * 2, lambda: hooks.events("drift_detected"))
    assert (detected["account"], detected["setting"], detected["old"], detected["new"]) == (
        "ox0", "leverage/cross", "7", "5")
    assert watcher.value("reconciler_item_info", **item(status="in_sync")) == 0
    time.sleep(INTERVAL * 2)
    assert len(hooks.events("drift_detected")) == 1, "once per drift episode"
    assert writes(sim.calls("okx")) == [], "report mode sends nothing"
    assert watcher.value("reconciler_drift_seconds", account="ox0") > 0
    drift(sim, leverage="5")
    within(INTERVAL * 2, lambda: hooks.events("drift_resolved"))
    assert watcher.value("reconciler_item_info", **item(status="in_sync")) == 1
    # The unreachable account (the client retries a refused connection for some seconds before giving up):
    # reported once, backing off, and the other account went on all along.
    within(30, lambda: hooks.events("watcher_errored"))
    assert [e["account"] for e in hooks.events("watcher_errored")] == ["dead"]
    assert watcher.value("reconciler_reconcile_total", account="dead", result="error") >= 1
    assert watcher.value("reconciler_reconcile_total", account="ox0", result="in_sync") >= 2
    assert watcher.value("reconciler_last_success_timestamp_seconds", account="ox0") > time.time() - 60
    assert watcher.value("reconciler_venue_requests_total", venue="okx", code="0") > 0
    for event in hooks.received:
        assert KEYS[0]["secret"] not in json.dumps(event) and KEYS[0]["passphrase"] not in json.dumps(event)
    watcher.signal(signal.SIGTERM)
    assert watcher.wait() == 0


def test_heal_puts_drift_back_once_through_the_policy_path(start_sim, tmp_path, hooks, watchers):
    sim = start_sim(world())
    path = desired(tmp_path, sim.url, watch={"mode": "heal"}, policy={"max_leverage": 20})
    watcher = watchers(path, webhook=hooks.url)
    within(10, lambda: watcher.get("/readyz")[0] == 200)
    drift(sim, leverage="7", margin="300")
    within(INTERVAL * 5, lambda: watcher.value("reconciler_heals_total", account="ox0", result="applied") == 1)
    assert margin_of(sim) == "400"
    assert sim.state("okx")["accounts"][0]["leverage"]["BTC-USDT-SWAP"]["cross"] == "5"
    sent = writes(sim.calls("okx"))
    assert sorted(c["path"] for c in sent) == sorted(["/api/v5/account/set-leverage", MARGIN])
    assert json.loads(json.dumps(sent[[c["path"] for c in sent].index(MARGIN)]["body"]))["amt"] == "100"
    within(INTERVAL * 3, lambda: len(hooks.events("drift_resolved")) == 2)
    time.sleep(INTERVAL * 2)
    assert len(writes(sim.calls("okx"))) == 2, "healed once, never again"
    journal = [json.loads(line) for line in (tmp_path / ".reconciler" / "journal.jsonl").read_text().splitlines()]
    assert sorted(e["path"] for e in journal if e.get("event") == "intent") == sorted(c["path"] for c in sent)
    assert watcher.value("reconciler_venue_requests_total", endpoint=f"POST {MARGIN}", code="0") == 1


def test_a_denied_heal_and_a_heal_in_a_deny_window_are_reported_not_sent(start_sim, tmp_path, hooks, watchers):
    sim = start_sim(world())
    path = desired(tmp_path, sim.url, watch={"mode": "heal"}, policy={
        "max_margin_move": 50, "deny_windows": [{"cron": "0 0 * * *", "duration": "1d", "timezone": "Asia/Tokyo"}]})
    watcher = watchers(path, webhook=hooks.url)
    within(10, lambda: watcher.get("/readyz")[0] == 200)
    drift(sim, leverage="7", margin="300")
    margin = item(symbol="ETH-USDT-SWAP", setting="isolated_margin")
    within(INTERVAL * 2, lambda: watcher.value("reconciler_item_info", **margin, status="denied") == 1)
    within(INTERVAL * 3, lambda: watcher.value("reconciler_heals_total", account="ox0", result="waiting") == 1)
    time.sleep(INTERVAL * 2)
    assert writes(sim.calls("okx")) == []
    [denied] = hooks.events("blocked", item="ox0/ETH-USDT-SWAP/isolated_margin")
    assert denied["status"] == "denied" and "max_margin_move" in denied["reason"]
    assert "heal waits: inside the deny window cron '0 0 * * *' for 1d (Asia/Tokyo)" in watcher.stderr()
    assert watcher.value("reconciler_heals_total", account="ox0", result="waiting") == 1, "said once"


def test_a_blocked_item_is_reported_once_and_never_sent(start_sim, tmp_path, hooks, watchers):
    sim = start_sim(world())
    symbols = {**DESIRED, "XRP-USDT-SWAP": {"margin_mode": "isolated", "leverage": 8}}  # its pending order locks it
    watcher = watchers(desired(tmp_path, sim.url, watch={"mode": "heal"}, symbols=symbols), webhook=hooks.url)
    blocked = item(symbol="XRP-USDT-SWAP", setting="leverage/isolated", status="blocked")
    within(10, lambda: watcher.value("reconciler_item_info", **blocked) == 1)
    time.sleep(INTERVAL * 4)
    [event] = hooks.events("blocked")
    assert event["item"] == "ox0/XRP-USDT-SWAP/leverage/isolated" and "order" in event["reason"]
    assert writes(sim.calls("okx")) == []
    assert watcher.value("reconciler_reconcile_total", account="ox0", result="drift") >= 4


def test_sigterm_during_a_heal_finishes_and_records_the_margin_move(start_sim, tmp_path, hooks, watchers):
    sim = start_sim(world())
    watcher = watchers(desired(tmp_path, sim.url, watch={"mode": "heal"}), webhook=hooks.url)
    within(10, lambda: watcher.get("/readyz")[0] == 200)
    sim.faults("okx", [{"method": "POST", "path": MARGIN, "kind": "delay", "seconds": 2}])
    drift(sim, margin="300")
    journal = tmp_path / ".reconciler" / "journal.jsonl"
    within(INTERVAL * 5, lambda: journal.exists() and MARGIN in journal.read_text())
    watcher.signal(signal.SIGTERM)
    assert watcher.wait(timeout=30) == 0
    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    moves = [e for e in entries if e["path"] == MARGIN]
    assert [e["event"] for e in moves] == ["intent", "outcome"] and moves[1]["code"] == "0"
    assert margin_of(sim) == "400"
    assert [c["path"] for c in writes(sim.calls("okx"))] == [MARGIN]
    assert "stopped" in watcher.stderr()


def test_a_broken_file_on_sighup_keeps_the_last_good_one_running(start_sim, tmp_path, hooks, watchers):
    sim = start_sim(world())
    path = desired(tmp_path, sim.url)
    good = path.read_text()
    watcher = watchers(path, webhook=hooks.url)
    within(10, lambda: watcher.get("/readyz")[0] == 200)
    path.write_text(good.replace("leverage: 5", "leverage: -5"))
    watcher.signal(signal.SIGHUP)
    within(INTERVAL * 6, lambda: watcher.value("reconciler_config_valid") == 0)
    [alert] = within(INTERVAL * 6, lambda: hooks.events("watcher_errored"))
    assert "was not reloaded, the last good file keeps running" in alert["reason"]
    assert "desired.yaml:" in alert["reason"]
    drift(sim, leverage="7")
    within(INTERVAL * 6, lambda: watcher.value("reconciler_item_info", **item(status="drift")) == 1)
    [detected] = within(INTERVAL * 2, lambda: hooks.events("drift_detected"))  # delivered after the metric moves
    assert detected["new"] == "5", "the last good file still speaks"
    path.write_text(good.replace("leverage: 5", "leverage: 7"))  # a good file is picked up without a signal
    within(INTERVAL * 6, lambda: watcher.value("reconciler_config_valid") == 1)
    within(INTERVAL * 6, lambda: watcher.value("reconciler_item_info", **item(status="in_sync")) == 1)
    assert watcher.value("reconciler_config_reloads_total", result="invalid") == 1
    assert writes(sim.calls("okx")) == []


def test_a_heal_the_venue_refuses_is_reported_once_and_retried_only_when_the_live_value_changes(
        start_sim, tmp_path, hooks, watchers):
    sim = start_sim(world())
    watcher = watchers(desired(tmp_path, sim.url, watch={"mode": "heal"}), webhook=hooks.url)
    within(10, lambda: watcher.get("/readyz")[0] == 200)
    sim.faults("okx", [{"method": "POST", "path": "/api/v5/account/set-leverage", "kind": "venue_error",
                        "status": 200, "code": "51000", "message": "Parameter lever error", "count": 1}])
    drift(sim, leverage="7")
    within(INTERVAL * 5, lambda: watcher.value("reconciler_heals_total", account="ox0", result="failed") == 1)
    [failed] = within(INTERVAL, lambda: hooks.events("heal_failed"))
    assert failed["item"] == "ox0/BTC-USDT-SWAP/leverage/cross" and "51000" in failed["reason"]
    within(INTERVAL * 2, lambda: watcher.value("reconciler_item_info", **item(status="blocked")) == 1)
    time.sleep(INTERVAL * 3)
    assert len(writes(sim.calls("okx"))) == 1, "refused once, not sent again while nothing changed"
    drift(sim, leverage="8")  # the live value moved: the heal is tried again (two reads must agree first)
    within(INTERVAL * 5, lambda: watcher.value("reconciler_heals_total", account="ox0", result="applied") == 1)
    assert sim.state("okx")["accounts"][0]["leverage"]["BTC-USDT-SWAP"]["cross"] == "5"
    assert len(writes(sim.calls("okx"))) == 2
    assert len(hooks.events("heal_failed")) == 1


def test_the_quickstart_under_watch_heals_what_it_can_through_the_embedded_simulator(tmp_path, cli, watchers):
    examples = Path(__file__).resolve().parent.parent / "examples"
    for name in ("quickstart.yaml", "quickstart-world.yaml"):
        shutil.copy(examples / name, tmp_path / name)
    path = tmp_path / "quickstart.yaml"
    document = yaml.safe_load(path.read_text())
    write_yaml(path, {**document, "watch": {"mode": "heal", "interval": INTERVAL}})
    watcher = watchers(path)
    accounts = list(document["accounts"])
    within(INTERVAL * 15, lambda: all(watcher.value("reconciler_heals_total", account=a, result="applied") == 1
                                      for a in accounts))
    watcher.signal(signal.SIGTERM)
    assert watcher.wait() == 0
    code, out, err = cli("plan", path)
    assert code == 0 and "Plan: 0 to change, 6 blocked, 1 conflict" in out, out + err
