"""A stale saved plan says what changed in words, one line each, and `history` shows the same lines;
`history --writes` answers who changed a setting, when, from which plan, on both backends."""

from __future__ import annotations

import json

import pytest

from conftest import write_yaml, writes
from pg import pg_server, pg_url  # noqa: F401  (fixtures)
from test_bitget_e2e import KEY
from test_honest_checks import account, world

MANY = [f"S{i:02d}USDT" for i in range(14)]


def desired(tmp_path, url, symbols, leverage=20):
    return write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": {"bg": account(url, KEY, {
        s: {"margin_mode": "cross", "leverage": leverage} for s in symbols})}})


def test_a_stale_plan_lists_what_moved_in_words_cut_after_ten_and_history_shows_the_same(start_sim, cli, tmp_path):
    sim = start_sim(world(MANY))
    path = desired(tmp_path, sim.url, MANY)
    assert cli("plan", path, "--out", tmp_path / "plan.json")[0] == 0
    state = sim.state("bitget")
    for symbol in MANY[:13]:
        state["accounts"][0]["symbols"][symbol]["crossedMarginLeverage"] = "9"
    sim.put_state("bitget", state)
    sim.clear_calls("bitget")

    code, out, err = cli("apply", tmp_path / "plan.json")
    assert code == 1 and writes(sim.calls("bitget")) == []
    lines = err.splitlines()
    assert lines[0] == "error: plan is stale, nothing was sent; run plan again. What changed since it was made:"
    assert lines[1:] == [f"error:   bg: {s} cross leverage was 10, is now 9" for s in MANY[:10]] + [
        "error:   and 3 more"]
    assert "{" not in err and "'" not in err  # no Python reprs

    code, out, _ = cli("history", "--account", "bg")
    assert code == 0
    history = out.splitlines()
    refused = next(i for i, line in enumerate(history) if "-> stopped: plan is stale" in line)
    assert history[refused + 1:refused + 12] == [f"      bg: {s} cross leverage was 10, is now 9"
                                                 for s in MANY[:10]] + ["      and 3 more"]


def test_a_stale_plan_says_a_change_is_now_blocked_and_why(start_sim, cli, tmp_path):
    sim = start_sim(world())
    path = write_yaml(tmp_path / "desired.yaml", {"version": 1, "accounts": {"bg": account(sim.url, KEY, {
        "BTCUSDT": {"margin_mode": "isolated"}})}})
    assert cli("plan", path, "--out", tmp_path / "plan.json")[0] == 0
    state = sim.state("bitget")
    state["accounts"][0]["positions"].append({"symbol": "BTCUSDT", "marginCoin": "USDT", "holdSide": "long",
                                              "marginMode": "crossed", "total": "0.5", "marginSize": "300",
                                              "openPriceAvg": "60000"})
    sim.put_state("bitget", state)
    code, _, err = cli("apply", tmp_path / "plan.json")
    assert code == 1 and writes(sim.calls("bitget")) == []
    assert "error:   bg: BTCUSDT margin mode is now blocked, the saved plan had it as change (" in err


@pytest.mark.parametrize("backend", ["local", "postgres"])
def test_history_writes_says_who_changed_a_leverage_when_and_from_which_plan(backend, request, start_sim, cli,
                                                                             tmp_path):
    flags = ["--backend", request.getfixturevalue("pg_url")] if backend == "postgres" else []
    sim = start_sim(world())
    path = desired(tmp_path, sim.url, ["BTCUSDT", "ETHUSDT"])
    assert cli("plan", path, "--out", tmp_path / "plan.json", *flags)[0] == 0
    code, out, err = cli("apply", tmp_path / "plan.json", *flags)
    assert code == 0, out + err
    runs = json.loads(cli("history", "--format", "json", *flags)[1])["runs"]
    applied = next(run for run in runs if run["command"] == "apply saved plan")
    plan_id = json.loads((tmp_path / "plan.json").read_text())["plan_id"]
    assert applied["plan_id"] == plan_id

    code, out, err = cli("history", "--writes", "--symbol", "BTC", *flags)
    assert code == 0, err
    (line,) = out.splitlines()  # one write touched BTC
    assert f"@{applied['host']}  run {applied['run']}  plan {plan_id}  bg  BTCUSDT  leverage  " in line
    assert line.startswith(applied["calls"][0]["time"][:10]) and f"  {applied['user']}@" in line
    assert "leverage=20" in line and line.endswith("-> code 00000")

    code, out, _ = cli("history", "--writes", "--account", "bg", "--format", "json", *flags)
    found = json.loads(out)["writes"]
    assert sorted((w["symbol"], w["setting"], w["sent"]["leverage"], w["code"]) for w in found) == [
        ("BTCUSDT", "leverage", "20", "00000"), ("ETHUSDT", "leverage", "20", "00000")]
    assert all(w["plan_id"] == plan_id and w["run"] == applied["run"] for w in found)
    assert cli("history", "--writes", "--account", "nobody", *flags)[1] == "No writes match.\n"
