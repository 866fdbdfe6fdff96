"""The write gate end to end: what is sent is what was reviewed and allowed, exactly once, on every path.

Each test walks a path beside the obvious one: a run killed with a margin move in flight, a second runner,
another spelling of the venue address, a batch call, a mode switch, a send-time amount, a window that
closes mid-apply, an answer nobody can read.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import write_yaml, writes
from kits import kit, venues_with_kits
from test_faults_e2e import MARGIN_WRITES, WINDOW, config_of, scenario, world_of

from pg import pg_server, pg_url  # noqa: F401  (fixtures)

import test_bitget_e2e as bitget
import test_okx_e2e as okx
import test_orderly_e2e as orderly


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch):
    monkeypatch.setenv("RECONCILER_HTTP_TIMEOUT", "0.5")


def _environment(lock_dir: Path) -> dict:
    return {**os.environ, "RECONCILER_LOCK_DIR": str(lock_dir), "RECONCILER_HTTP_TIMEOUT": "0.5"}


def _kill_with_a_move_in_flight(command, cwd, env, lock_dir: Path):
    """Start `command`, SIGKILL it once it has recorded a margin move and put it on the wire."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    records = lock_dir / "intents"
    while not (records.is_dir() and any(path.stat().st_size for path in records.iterdir())):
        if process.poll() is not None:
            raise AssertionError("apply ended before moving margin: " + process.stderr.read().decode())
        assert time.monotonic() < deadline, "apply never moved margin"
        time.sleep(0.02)
    time.sleep(0.2)  # the request is on the wire: the simulator holds it (a late delivery)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def with_policy(path: Path, policy: dict) -> Path:
    import yaml
    data = yaml.safe_load(path.read_text())
    data["policy"] = policy
    return write_yaml(path, data)


def _margin_moves(sim, venue) -> list[dict]:
    sim.admin("POST", f"/__sim/{venue}/settle")
    return [c for c in sim.calls(venue) if c["path"] == MARGIN_WRITES[venue] and c.get("status") == 200]


def _positions_moved(venue, moves: list[dict]) -> list[tuple]:
    """(symbol, side) of each executed move, in the venue's own body fields: each position once, or it moved twice."""
    return sorted(kit(venue).moved_position(m) for m in moves)


LONG_WINDOW = 10  # seconds a signed request stays valid
# Seconds the simulator holds the killed run's move before executing it: long enough for the next run to read
# the old margin first, short enough to execute while valid (each kit's HELD_MOVE_SECONDS).
HELD = {venue: kit(venue).HELD_MOVE_SECONDS for venue in venues_with_kits()}


def _held_move(venue, start_sim, tmp_path):
    """A simulator that holds the margin move HELD seconds, then executes it (still valid), and the file."""
    world = world_of(venue)
    world["timestamp_windows"] = {venue: LONG_WINDOW}
    sim = start_sim(world)
    sim.faults(venue, [{"method": "POST", "path": MARGIN_WRITES[venue], "kind": "delay", "seconds": HELD[venue]}])
    return sim, scenario(venue).config(tmp_path, sim.url, request_lifetime=LONG_WINDOW)


@pytest.mark.parametrize("venue", venues_with_kits())
def test_a_run_killed_with_a_margin_move_in_flight_never_moves_it_twice(venue, start_sim, tmp_path):
    """SIGKILL while the venue holds the move; apply again at once: it waits the move out, reads, sends nothing."""
    sim, path = _held_move(venue, start_sim, tmp_path)
    env = _environment(tmp_path / "locks")
    command = [sys.executable, "-m", "reconciler", "apply", str(path), "--auto-approve"]
    _kill_with_a_move_in_flight(command, tmp_path, env, tmp_path / "locks")

    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode in (0, 3), again.stdout + again.stderr
    # The report says what it found, unless (on a loaded machine) its plan read the margin after the move landed.
    assert "sent a margin move" in again.stdout or "isolated_margin" not in again.stdout, again.stdout
    moves = _margin_moves(sim, venue)
    assert len(set(_positions_moved(venue, moves))) == len(moves), moves  # no position moved twice
    assert [m.get("fault") for m in moves].count("delay") == 1, moves  # the killed run's move executed, once
    plan = subprocess.run([sys.executable, "-m", "reconciler", "plan", str(path), "--format", "json"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert not [c for c in json.loads(plan.stdout)["changes"] if c["field"] == "isolated_margin"], plan.stdout


def test_a_second_runner_on_postgres_never_moves_margin_a_killed_runner_sent(start_sim, tmp_path, pg_url):
    """Runner A (its own machine: lock directory) dies mid-move; runner B, elsewhere, finds A's move in the backend."""
    venue = "bitget"
    sim, path = _held_move(venue, start_sim, tmp_path)
    command = [sys.executable, "-m", "reconciler", "apply", str(path), "--auto-approve", "--backend", pg_url]
    process = subprocess.Popen(command, cwd=tmp_path, env=_environment(tmp_path / "a"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    from pg import PostgresServer  # noqa: F401
    import psycopg
    deadline = time.monotonic() + 60
    while True:
        with psycopg.connect(pg_url, autocommit=True) as connection:
            try:
                if connection.execute("SELECT count(*) FROM reconciler_intents").fetchone()[0]:
                    break
            except psycopg.errors.UndefinedTable:
                pass
        assert process.poll() is None and time.monotonic() < deadline, "runner A never moved margin"
        time.sleep(0.05)
    time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    b = subprocess.run(command, cwd=tmp_path, env=_environment(tmp_path / "b"), capture_output=True, text=True,
                       timeout=120)
    assert b.returncode in (0, 3), b.stdout + b.stderr
    assert "sent a margin move" in b.stdout or "isolated_margin" not in b.stdout, b.stdout
    moves = _margin_moves(sim, venue)
    assert len(set(_positions_moved(venue, moves))) == len(moves) == 1, moves


def _slow_bitget(start_sim, tmp_path, host: str):
    slow = {"POST /api/v2/mix/account/set-leverage": "1/1s", "POST /api/v2/mix/account/set-margin-mode": "1/1s",
            "POST /api/v2/mix/account/set-margin": "1/1s"}
    world = bitget.world()
    world["rate_limits"] = slow
    sim = start_sim(world)
    first = bitget.config(tmp_path / "a", sim.url, rate_limits=slow) if (tmp_path / "a").mkdir() is None else None
    other_url = sim.url.replace("127.0.0.1", host)
    (tmp_path / "b").mkdir()
    second = bitget.config(tmp_path / "b", other_url, rate_limits=slow,
                           symbols={"DOGEUSDT": {"margin_mode": "cross", "leverage": 13}})
    return sim, first, second


@pytest.mark.parametrize("how", ["localhost", "other lock directory", "postgres backend"])
def test_two_applies_on_one_venue_account_exclude_each_other_however_spelled(how, start_sim, cli, tmp_path,
                                                                             monkeypatch, request):
    backend = request.getfixturevalue("pg_url") if how == "postgres backend" else None  # started before the race
    sim, first, second = _slow_bitget(start_sim, tmp_path, "localhost" if how == "localhost" else "127.0.0.1")
    command = [sys.executable, "-m", "reconciler", "apply", str(first), "--auto-approve"]
    process = subprocess.Popen(command, cwd=tmp_path, env=_environment(tmp_path / "locks"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not writes(sim.calls("bitget")):
            assert process.poll() is None and time.monotonic() < deadline, "the first apply never wrote"
            time.sleep(0.05)
        args = ["apply", second, "--auto-approve"]
        if how == "other lock directory":
            monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path / "elsewhere"))
        if backend:
            args += ["--backend", backend]
        code, out, err = cli(*args)
        assert code == 1 and "in use" in err, out + err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    finally:
        process.wait(timeout=60)
    assert process.returncode == 3
    assert not [c for c in writes(sim.calls("bitget")) if (c["body"] or {}).get("leverage") == "13"]


def test_a_policy_denial_never_rides_on_an_orderly_batch_call(start_sim, cli, tmp_path):
    names = [orderly.BTC, orderly.ETH, orderly.SOL]
    world = {"orderly": {"symbols": orderly.symbol_rows(names), "accounts": [{
        "account_id": orderly.ACCOUNT, "orderly_key": orderly.ORDERLY_KEY, "balances": {"USDC": "100000"},
        "leverage": {name: {"CROSS": "10", "ISOLATED": "10"} for name in names}}]}}
    sim = start_sim(world)
    every = {name: {"margin_mode": "cross", "leverage": 20} for name in names}
    path = orderly.config(tmp_path, sim.url, symbols=every)
    text = path.read_text() + f"policy:\n  max_leverage:\n    '*': 50\n    {orderly.BTC}: 15\n"
    path.write_text(text)
    code, out, err = cli("plan", path, "--format", "json")
    plan = json.loads(out)
    status = {c["symbol"]: c["status"] for c in plan["changes"]}
    assert status == {orderly.BTC: "denied", orderly.ETH: "change", orderly.SOL: "change"}
    allowed = [c for c in plan["changes"] if c["status"] == "change"]
    assert all(call["body"].get("symbol") == c["symbol"] for c in allowed for call in c["calls"])  # split
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err
    sent = writes(sim.calls("orderly"))
    assert sorted(c["body"]["symbol"] for c in sent) == [orderly.ETH, orderly.SOL]
    leverage = sim.state("orderly")["accounts"][0]["leverage"]
    assert leverage[orderly.BTC]["CROSS"] == "10"


def test_a_mode_switch_is_judged_by_the_leverage_it_makes_live(start_sim, cli, tmp_path):
    world = bitget.world(position_mode="one_way_mode")
    symbols = world["bitget"]["accounts"][0]["symbols"]
    symbols["SOLUSDT"].update({"isolatedLongLever": "75", "isolatedShortLever": "75"})
    sim = start_sim(world)
    path = with_policy(bitget.config(tmp_path, sim.url, settings={}, symbols={"SOLUSDT": {"margin_mode": "isolated"}}),
                       {"max_leverage": 20})
    code, out, err = cli("plan", path, "--format", "json")
    change = json.loads(out)["changes"][0]
    assert change["status"] == "denied" and change["rule"] == "max_leverage", change
    assert "75" in change["reason"] and "made live" in change["reason"]
    effects = change["calls"][0]["effects"]
    assert {"symbol": "SOLUSDT", "field": "leverage", "margin_mode": "isolated", "side": "long", "value": "75"}.items() \
        <= next(e for e in effects if e["field"] == "leverage" and e["side"] == "long").items()
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3 and not writes(sim.calls("bitget")), out + err

    # naming the leverage for the new mode makes the switch's effect that value: allowed
    path = with_policy(bitget.config(tmp_path, sim.url, settings={},
                                     symbols={"SOLUSDT": {"margin_mode": "isolated", "leverage": 10}}),
                       {"max_leverage": 20})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    assert sim.state("bitget")["accounts"][0]["symbols"]["SOLUSDT"]["isolatedLongLever"] == "10"


def test_max_margin_moved_counts_every_name_and_every_run_of_one_venue_account(start_sim, cli, tmp_path):
    world = bitget.world(position_mode="one_way_mode")
    account = world["bitget"]["accounts"][0]
    account["symbols"]["SOLUSDT"]["marginMode"] = "isolated"
    account["positions"] = [
        {"symbol": s, "marginCoin": "USDT", "holdSide": "long", "marginMode": "isolated", "total": "2",
         "marginSize": "300", "openPriceAvg": "100"} for s in ("ETHUSDT", "SOLUSDT")]
    sim = start_sim(world)
    url = sim.url

    def block(symbol):
        return {"venue": "bitget", "environment": "sim", "base_url": url, "product_type": "USDT-FUTURES",
                "credentials": {k: bitget.KEY[k] for k in ("api_key", "secret", "passphrase")},
                "symbols": {symbol: {"margin_mode": "isolated", "isolated_margin": 400}}}

    two_names = write_yaml(tmp_path / "two.yaml", {"version": 1, "policy": {"max_margin_moved": 150}, "accounts": {
        "desk-a": block("ETHUSDT"), "desk-b": block("SOLUSDT")}})
    code, out, err = cli("plan", two_names, "--format", "json")
    status = sorted(c["status"] for c in json.loads(out)["changes"])
    assert status == ["change", "denied"], out
    code, out, err = cli("apply", two_names, "--auto-approve")
    assert code == 3, out + err
    assert len([c for c in writes(sim.calls("bitget")) if c["path"] == MARGIN_WRITES["bitget"]]) == 1

    # another file, another name, a later run: the 100 already moved counts
    later = write_yaml(tmp_path / "later.yaml", {"version": 1, "policy": {"max_margin_moved": 150}, "accounts": {
        "third-name": block("SOLUSDT")}})
    sim.clear_calls("bitget")
    code, out, err = cli("apply", later, "--auto-approve")
    assert code == 3, out + err
    assert "max_margin_moved" in out and "moved already" in out
    assert not writes(sim.calls("bitget"))


def test_a_change_window_that_closes_mid_apply_stops_what_is_left(start_sim, cli, tmp_path, monkeypatch):
    from datetime import datetime, timedelta, timezone

    from reconciler.policy import windows

    start, asked = datetime(2026, 12, 7, 10, 3, 0, tzinfo=timezone.utc), []  # a Monday

    def now():  # 40 s pass each time the clock is read: the window closes after a send or two, however loaded
        asked.append(1)
        return start + timedelta(seconds=40 * (len(asked) - 1))

    monkeypatch.setattr(windows, "now", now)
    slow = {"POST /api/v2/mix/account/set-leverage": "1/1s", "POST /api/v2/mix/account/set-margin-mode": "1/1s"}
    world = bitget.world()
    world["rate_limits"] = slow
    sim = start_sim(world)
    symbols = {s: {"margin_mode": "cross", "leverage": 30} for s in bitget.SYMBOLS if s not in ("BTCUSDT", "ETHUSDT")}
    path = with_policy(bitget.config(tmp_path, sim.url, settings={}, symbols=symbols, rate_limits=slow),
                       {"change_windows": ["Mon 10:00-10:05"]})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err
    sent = writes(sim.calls("bitget"))
    assert 0 < len(sent) < len(symbols), out
    assert "outside the change windows" in out
    moments = [c["time"] for c in sent]
    assert moments == sorted(moments)


def test_a_margin_move_whose_amount_is_known_at_send_time_stays_within_the_shown_bound(start_sim, cli, tmp_path):
    sim = start_sim(okx.world())
    symbols = {"ETH-USDT-SWAP": okx.DESIRED["ETH-USDT-SWAP"]}
    path = okx.config(tmp_path, sim.url, symbols=symbols)
    code, out, err = cli("plan", path, "--format", "json")
    margin = next(c for c in json.loads(out)["changes"] if c["field"] == "isolated_margin")
    assert margin["move_bound"] is not None and "leverage" in " ".join(margin["depends_on"])
    code, shown, err = cli("plan", path)
    assert f"it will move at most {margin['move_bound']}" in shown, shown
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 0, out + err
    moves = [c for c in writes(sim.calls("okx")) if c["path"] == MARGIN_WRITES["okx"]]
    # The plan showed +100 (300 -> 400); the leverage change 10x -> 20x released 30 first, so 130 was needed.
    assert margin["calls"][0]["body"]["amt"] == "100"
    assert [m["body"]["amt"] for m in moves] == ["130"] and Decimal("130") <= Decimal(margin["move_bound"])

    # max_margin_move 110 allows the plan's 100 but not the 130 needed at send time: not sent, and said so
    sim2 = start_sim(okx.world())
    path = with_policy(okx.config(tmp_path, sim2.url, symbols=symbols), {"max_margin_move": 110})
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err
    assert not [c for c in writes(sim2.calls("okx")) if c["path"] == MARGIN_WRITES["okx"]]
    assert "max_margin_move 110" in out and "130" in out, out


@pytest.mark.parametrize("venue", venues_with_kits())
def test_a_margin_move_that_executed_with_an_unreadable_answer_is_reported_as_read_back(venue, start_sim, cli,
                                                                                      tmp_path):
    sim = start_sim(world_of(venue))
    sim.faults(venue, [{"method": "POST", "path": MARGIN_WRITES[venue], "kind": "garbled"}])
    code, out, err = cli("apply", config_of(venue, tmp_path, sim.url), "--auto-approve")
    assert code in (0, 3), out + err
    assert "could not be read" in out and "margin reads" in out, out
    moves = _margin_moves(sim, venue)
    assert len(set(_positions_moved(venue, moves))) == len(moves), moves


def test_a_saved_plan_applies_only_to_the_venue_account_it_was_made_for(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    path = bitget.config(tmp_path, sim.url)
    code, _, err = cli("plan", path, "--out", tmp_path / "plan.json")
    assert code == 0, err
    saved = json.loads((tmp_path / "plan.json").read_text())
    saved["accounts"]["bg"]["identity"] = "bitget-0000000000000000"
    (tmp_path / "plan.json").write_text(json.dumps(saved))
    sim.clear_calls("bitget")
    code, out, err = cli("apply", tmp_path / "plan.json")
    assert code == 1 and "another venue account" in err, out + err
    assert not writes(sim.calls("bitget"))


def test_no_write_leaves_without_the_gate(start_sim):
    """The client refuses a write when no apply has put a gate in front of it (nothing else may send one)."""
    import asyncio

    from reconciler.config import load
    from reconciler.connections import Connections
    from reconciler.errors import ReconcilerError
    from reconciler.plan import Call

    sim = start_sim(bitget.world())
    import tempfile
    with tempfile.TemporaryDirectory() as where:
        state = load(str(bitget.config(Path(where), sim.url)))

        async def attempt():
            async with Connections() as connections:
                _, client = connections.open(state.accounts["bg"])
                await client.request(Call("POST", "/api/v2/mix/account/set-leverage",
                                          body={"symbol": "BTCUSDT", "leverage": "3"}))

        with pytest.raises(ReconcilerError, match="no write gate"):
            asyncio.run(attempt())
    assert not writes(sim.calls("bitget"))
