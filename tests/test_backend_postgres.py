"""The PostgreSQL backend on a real server: several "machines" (processes with their own lock directories) share one truth."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time

import test_bitget_e2e as bitget
from conftest import writes
from reconciler.backends.schema import LATEST
from pg import PASSWORD, PostgresServer, pg_server, pg_url  # noqa: F401  (pg_server, pg_url: fixtures)
from test_concurrency_e2e import SLOW, margin_moves

PACED = {endpoint: "1/2s" for endpoint in SLOW}  # an apply that writes for several seconds: time to meet it
from test_pacing_e2e import flat_bitget, rate_limited


def machine(tmp_path, name: str) -> dict:
    """A separate machine: its own working directory (local journal) and lock directory."""
    home = tmp_path / name
    home.mkdir(exist_ok=True)
    return {"cwd": home, "env": {**os.environ, "RECONCILER_LOCK_DIR": str(home / "locks")}}


def start(on: dict, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "reconciler", *map(str, args)], cwd=on["cwd"], env=on["env"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(on: dict, *args) -> tuple[int, str, str]:
    process = start(on, *args)
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def wait_for_writes(sim, process, count: int = 1) -> None:
    deadline = time.monotonic() + 30
    while len(writes(sim.calls("bitget"))) < count:
        assert time.monotonic() < deadline and process.poll() is None, "the apply never started writing"
        time.sleep(0.02)


def test_backend_init_creates_the_tables_then_finds_them_up_to_date(pg_url, pg_server, cli, monkeypatch):
    monkeypatch.setenv("TEST_PG_PASSWORD", PASSWORD)
    url = pg_url.replace(PASSWORD, "${TEST_PG_PASSWORD}")
    code, out, err = cli("backend", "init", "--backend", url)
    assert code == 0, err
    assert f"schema version {LATEST} (created)" in out and PASSWORD not in out + err
    code, out, err = cli("backend", "init", "--backend", pg_url)
    assert code == 0 and f"schema version {LATEST}, up to date" in out and PASSWORD not in out + err
    assert "reconciler:***@127.0.0.1" in out
    database = pg_url.rsplit("/", 1)[1]
    tables = {row[0] for row in pg_server.execute(
        "SELECT tablename FROM pg_tables WHERE tablename LIKE 'reconciler_%%'", database=database)}
    assert tables == {"reconciler_schema", "reconciler_runs", "reconciler_calls", "reconciler_applied_plans",
                      "reconciler_rate_slots", "reconciler_lock_holders", "reconciler_leases",
                      "reconciler_intents"}
    pg_server.execute("INSERT INTO reconciler_schema (version) VALUES (99)", database=database)
    code, _, err = cli("backend", "init", "--backend", pg_url)
    assert code == 1 and f"schema version 99, newer than this reconciler knows ({LATEST})" in err


def test_a_missing_variable_or_unknown_backend_is_one_clear_line(cli, tmp_path):
    code, _, err = cli("backend", "init", "--backend", "postgresql://u:${NOT_SET_ANYWHERE}@127.0.0.1/db")
    assert code == 1 and err.strip() == ("error: backend URL names ${NOT_SET_ANYWHERE}, which is not set in the "
                                         "environment")
    code, _, err = cli("backend", "init", "--backend", "mysql://u:hunter2@db/x")
    assert code == 1 and "is not known" in err and "hunter2" not in err
    code, _, err = cli("backend", "init", "--backend", "postgresql://u@127.0.0.1:9/x?password=qq-secret")
    assert code == 1 and len(err.splitlines()) == 1 and "cannot be reached" in err and "qq-secret" not in err
    assert "password=***" in err


def test_an_unreachable_backend_refuses_apply_before_any_venue_is_read(start_sim, cli, tmp_path, monkeypatch):
    sim = start_sim(bitget.world())
    path = bitget.config(tmp_path, sim.url)
    closed = "postgresql://reconciler:hunter2-secret@127.0.0.1:9/nowhere"
    code, out, err = cli("apply", path, "--auto-approve", "--backend", closed)
    assert code == 1 and "cannot be reached" in err and "reconciler:***@127.0.0.1:9" in err
    assert "hunter2-secret" not in out + err
    assert sim.calls("bitget") == []  # not even a read
    monkeypatch.setenv("RECONCILER_BACKEND", closed)
    code, _, err = cli("plan", path)
    assert code == 1 and "cannot be reached" in err and sim.calls("bitget") == []
    code, out, err = cli("plan", path, "--no-lock")  # a plan may run on this machine's own windows
    assert code == 0 and "ETHUSDT" in out, err
    assert writes(sim.calls("bitget")) == []


def test_two_machines_applying_to_one_account_move_margin_once(start_sim, pg_url, cli, tmp_path):
    sim = start_sim(bitget.world())
    path = bitget.config(tmp_path, sim.url, rate_limits=PACED)
    first, second = machine(tmp_path, "ci-runner"), machine(tmp_path, "laptop")
    process = start(first, "apply", path, "--auto-approve", "--backend", pg_url)
    wait_for_writes(sim, process)

    code, out, err = cli("apply", path, "--auto-approve", "--backend", pg_url)  # this process: locks elsewhere
    assert code == 1 and "is in use by pid" in err and "lock in backend postgresql://reconciler:***@" in err, err
    code, out, err = run(second, "apply", path, "--auto-approve", "--backend", pg_url, "--lock-timeout", "60")
    assert code == 3, out + err  # waited for the first machine, then planned afresh
    assert process.wait(timeout=60) == 3, process.stderr.read()
    assert len(margin_moves(sim)) == 1
    state = sim.state("bitget")["accounts"][0]
    assert next(p for p in state["positions"] if p["symbol"] == "ETHUSDT")["marginSize"] == "400"
    assert state["balances"]["USDT"] == "99900"


def test_two_machines_share_rate_windows_and_stay_under_the_venue_limit(start_sim, pg_url, pg_server, tmp_path):
    sim, path = flat_bitget(start_sim, tmp_path)
    runs = [start(machine(tmp_path, name), "plan", path, "--backend", pg_url) for name in ("drift-job", "person")]
    for process in runs:
        assert process.wait(timeout=90) == 0, process.stderr.read()
    assert len([c for c in sim.calls("bitget") if c["path"] == "/api/v2/mix/account/account"]) == 50
    assert rate_limited(sim, "bitget") == []
    database = pg_url.rsplit("/", 1)[1]
    windows = {row[0] for row in pg_server.execute("SELECT DISTINCT window_key FROM reconciler_rate_slots",
                                                   database=database)}
    assert any(key.endswith("GET /api/v2/mix/account/account") for key in windows)  # counted in the database


def test_a_saved_plan_is_applied_at_most_once_across_machines(start_sim, pg_url, tmp_path):
    sim = start_sim(bitget.world())
    path = bitget.config(tmp_path, sim.url)
    first, second = machine(tmp_path, "merge-job"), machine(tmp_path, "pre-market")
    plan_path = tmp_path / "plan.json"
    code, _, err = run(first, "plan", path, "--out", plan_path, "--backend", pg_url)
    assert code == 0, err
    before = copy.deepcopy(sim.state("bitget"))
    code, out, err = run(first, "apply", plan_path, "--backend", pg_url)
    assert code == 3, out + err
    sent = len(writes(sim.calls("bitget")))
    assert sent == 5
    sim.put_state("bitget", before)  # the venue is back where the plan found it: a replay would pass every check
    code, out, err = run(second, "apply", plan_path, "--backend", pg_url)
    assert code == 1 and "was applied already and is applied at most once, nothing was sent" in err, out + err
    assert len(writes(sim.calls("bitget"))) == sent


def test_the_backend_going_away_mid_apply_stops_sending_and_loses_nothing_acknowledged(start_sim, tmp_path):
    server = PostgresServer()  # its own server: this test stops it
    try:
        url = server.create_database("gone")
        sim = start_sim(bitget.world())
        path = bitget.config(tmp_path, sim.url, rate_limits=PACED)
        process = start(machine(tmp_path, "runner"), "apply", path, "--auto-approve", "--backend", url)
        wait_for_writes(sim, process)
        server.stop("immediate")
        out, err = process.communicate(timeout=60)
        sent = writes(sim.calls("bitget"))
        assert process.returncode == 1, out + err
        assert "backend postgresql://reconciler:***@" in out + err and "nothing more is sent" in out + err
        assert PASSWORD not in out + err
        assert 1 <= len(sent) < 5  # stopped: the rest of the plan was never sent
        server.start()
        rows = server.execute("SELECT method, path, body::text, http_status FROM reconciler_calls "
                              "WHERE method <> 'GET' ORDER BY id", database="gone")
        journaled = [(method, path, json.loads(body)) for method, path, body, _ in rows]
        reached = [(call["method"], call["path"], call["body"]) for call in sent]
        for call in reached:  # every write that reached the venue had its journal row first
            assert call in journaled
        assert len([call for call in journaled if call in reached]) == len(sent)
        for row, call in zip(rows, journaled):  # a row written just before the backend went, its write never sent:
            if call not in reached:  # it claims no answer
                assert row[3] is None, row
        answered = [row for row in rows if row[3] is not None]
        assert all(row[3] == 200 for row in answered)
        run_row = server.execute("SELECT command, outcome FROM reconciler_runs", database="gone")
        assert run_row == [("apply", None)]  # started, and its end could not be recorded: shown as unfinished
    finally:
        server.remove()


def test_history_answers_who_changed_what_newest_first(start_sim, pg_url, cli, tmp_path):
    sim = start_sim(bitget.world())
    path = bitget.config(tmp_path, sim.url)
    code, out, err = cli("apply", path, "--auto-approve", "--backend", pg_url)
    assert code == 3, out + err
    code, out, err = cli("plan", path, "--backend", pg_url)
    assert code == 0, err

    code, out, err = cli("history", "--backend", pg_url, "--account", "bg", "--format", "json")
    assert code == 0, err
    answer = json.loads(out)
    assert PASSWORD not in out and answer["backend"].startswith("postgresql://reconciler:***@")
    runs = answer["runs"]
    assert [run["command"] for run in runs] == ["plan", "apply"]  # newest first
    applied = runs[1]
    assert applied["outcome"].startswith("exit 3:") and applied["user"] and applied["host"]
    assert applied["config_sha256"] and applied["plan_id"]
    sent = [c for c in applied["calls"] if c["method"] == "POST"]
    assert len(sent) == 5 and all(c["status"] == 200 and c["code"] == "00000" for c in sent)
    times = [c["time"] for c in applied["calls"]]
    assert times == sorted(times, reverse=True)
    assert bitget.KEY["secret"] not in out and bitget.KEY["passphrase"] not in out

    code, out, err = cli("history", "--backend", pg_url, "--symbol", "SOLUSDT", "--format", "json")
    runs = json.loads(out)["runs"]
    assert [run["command"] for run in runs] == ["apply"]  # the plan sent nothing about SOLUSDT
    calls = runs[0]["calls"]
    assert [(c["body"]["symbol"], c["body"]["leverage"]) for c in calls if c["method"] == "POST"] == [("SOLUSDT", "20")]
    assert all("SOLUSDT" in json.dumps([c["body"], c["query"]]) for c in calls)

    code, out, err = cli("history", "--backend", pg_url, "--symbol", "SOLUSDT")
    assert code == 0
    lines = out.splitlines()
    assert " apply  by " in lines[0] and "-> exit 3:" in lines[0]
    assert [line for line in lines[1:] if "POST /api/v2/mix/account/set-leverage" in line
            and '"leverage":"20"' in line and "-> HTTP 200 code 00000" in line and line.startswith("    ")]
    code, out, _ = cli("history", "--backend", pg_url, "--since", "2999-01-01")
    assert out == "No runs or calls match.\n"
    code, _, err = cli("history", "--backend", pg_url, "--since", "yesterday")
    assert code == 1 and "--since 'yesterday'" in err


def test_history_from_the_local_backend(start_sim, cli, tmp_path):
    sim = start_sim(bitget.world())
    path = bitget.config(tmp_path, sim.url)
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err
    code, out, err = cli("history", "--symbol", "ETHUSDT", "--format", "json")
    assert code == 0, err
    runs = json.loads(out)["runs"]
    assert len(runs) == 1 and runs[0]["outcome"].startswith("exit 3:")
    assert [c["path"].rsplit("/", 1)[1] for c in runs[0]["calls"] if c["method"] == "POST"] == [
        "set-margin", "set-leverage"]  # newest first
    assert all(c["status"] == 200 for c in runs[0]["calls"])


def test_a_run_whose_lock_session_is_cut_stops_and_another_machine_finishes(start_sim, pg_url, pg_server, tmp_path):
    sim = start_sim(bitget.world())
    path = bitget.config(tmp_path, sim.url, rate_limits=PACED)
    process = start(machine(tmp_path, "cut"), "apply", path, "--auto-approve", "--backend", pg_url)
    wait_for_writes(sim, process)
    database = pg_url.rsplit("/", 1)[1]
    cut = pg_server.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                            "AND application_name = 'reconciler'", (database,))
    assert cut == [(True,)]  # its one session: the lock, the windows and the journal go with it
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and "nothing more is sent" in out + err, out + err
    stopped_after = len(writes(sim.calls("bitget")))
    assert stopped_after < 5
    code, out, err = run(machine(tmp_path, "other"), "apply", path, "--auto-approve", "--backend", pg_url)
    assert code == 3, out + err  # the lock was free: the other machine planned afresh and finished the work
    assert len(margin_moves(sim)) == 1
    state = sim.state("bitget")["accounts"][0]
    assert next(p for p in state["positions"] if p["symbol"] == "ETHUSDT")["marginSize"] == "400"
    assert state["symbols"]["XRPUSDT"]["marginMode"] == "isolated"
    journaled = pg_server.execute("SELECT count(*) FROM reconciler_calls WHERE method <> 'GET'", database=database)
    assert journaled == [(len(writes(sim.calls("bitget"))),)]
