"""Two runs never fight: locks are keyed by the venue account, held from the first read to the last write."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import time

import test_bitget_e2e as bitget
from conftest import writes
from test_prompt import apply_on_a_terminal

SLOW = {"POST /api/v2/mix/account/set-leverage": "1/1s", "POST /api/v2/mix/account/set-margin-mode": "1/1s",
        "POST /api/v2/mix/account/set-margin": "1/1s"}
OTHER_KEY = {"api_key": "bk-other", "secret": "bitget-secret-other", "passphrase": "bitget-pass-other", "uid": "2002"}


def slow_world():
    world = bitget.world()
    world["rate_limits"] = SLOW
    second = copy.deepcopy(world["bitget"]["accounts"][0])
    second.update(OTHER_KEY)
    world["bitget"]["accounts"].append(second)
    return world


def start_slow_apply(path, cwd, sim):
    """A paced apply in another process, returned once it holds the lock and is writing."""
    env = {**os.environ, "RECONCILER_LOCK_DIR": str(cwd / "locks")}
    process = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(path), "--auto-approve"],
                               cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not writes(sim.calls("bitget")):
        assert time.monotonic() < deadline and process.poll() is None, "the first apply never started writing"
        time.sleep(0.05)
    return process


def margin_moves(sim):
    return [c for c in sim.calls("bitget") if c["path"] == "/api/v2/mix/account/set-margin" and c["status"] == 200]


def test_the_same_account_under_two_names_shares_one_lock(start_sim, cli, tmp_path):
    sim = start_sim(slow_world())
    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir(), second_dir.mkdir()
    first = bitget.config(first_dir, sim.url, rate_limits=SLOW)
    second = bitget.config(second_dir, sim.url, rate_limits=SLOW)
    second.write_text(second.read_text().replace("  bg:", "  renamed-bg:"))
    process = start_slow_apply(first, tmp_path, sim)

    code, out, err = cli("apply", second, "--auto-approve")
    assert code == 1 and "is in use by pid" in err and "lock-timeout" in err, out + err

    code, out, err = cli("apply", second, "--auto-approve", "--lock-timeout", "60")  # waits, then plans afresh
    assert code == 3, out + err
    assert process.wait(timeout=60) == 3, process.stderr.read()
    assert len(margin_moves(sim)) == 1  # the second apply saw the margin already there
    state = sim.state("bitget")["accounts"][0]
    assert next(p for p in state["positions"] if p["symbol"] == "ETHUSDT")["marginSize"] == "400"
    assert state["balances"]["USDT"] == "99900"


def test_two_accounts_with_the_same_name_in_two_files_do_not_share_a_lock(start_sim, cli, tmp_path):
    sim = start_sim(slow_world())
    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir(), second_dir.mkdir()
    first = bitget.config(first_dir, sim.url, rate_limits=SLOW)
    second = bitget.config(second_dir, sim.url, rate_limits=SLOW,
                           credentials={k: OTHER_KEY[k] for k in ("api_key", "secret", "passphrase")})
    process = start_slow_apply(first, tmp_path, sim)
    code, out, err = cli("apply", second, "--auto-approve")  # both are called "bg"; different venue accounts
    assert code == 3, out + err
    assert process.wait(timeout=60) == 3


def test_a_prompt_left_waiting_holds_the_account(start_sim, cli, tmp_path):
    """A person looks at the plan; a cron apply starting meanwhile is refused instead of racing them."""
    sim = start_sim(bitget.world())
    path = bitget.config(tmp_path, sim.url)
    seen_refusal = {}

    def while_waiting():
        seen_refusal["result"] = cli("apply", path, "--auto-approve")

    code, text = apply_on_a_terminal(path, "yes", tmp_path, while_waiting=while_waiting)
    assert code == 3, text
    refused_code, _, refused_err = seen_refusal["result"]
    assert refused_code == 1 and "is in use by pid" in refused_err
    assert len(margin_moves(sim)) == 1
