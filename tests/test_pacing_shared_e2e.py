"""Windows kept in memory are still shared: a plan beside an apply of the same account, on one machine or two.

The apply holds the account's lock and counts its windows in memory; the plan takes no lock. Both lease slots
of the same windows from the backend, so together they stay under the venue's limit: the simulator's call log
holds every read and not one rate-limit answer.
"""

from __future__ import annotations

import os
import subprocess
import sys

from pg import pg_server, pg_url
import test_pacing_e2e as pacing_e2e
from test_pacing_e2e import rate_limited

FIXTURES = (pg_server, pg_url)  # found by pytest by their names

READS = {"GET /api/v2/mix/account/account": "5/1s"}  # 25 reads each: five periods, time for the two to meet


def flat_bitget(start_sim, tmp_path):
    """A Bitget account of 25 flat USDT-M symbols in sync with the file, its reads paced to READS."""
    return pacing_e2e.flat_bitget(start_sim, tmp_path, rate_limits=READS)


def both(sim, path, homes, *backend):
    """An apply and a plan of the same file at once, each from its own directory; both must succeed."""
    runs = []
    for home, command in zip(homes, (["apply", "--auto-approve"], ["plan"])):
        home.mkdir(exist_ok=True)
        env = {**os.environ, "RECONCILER_LOCK_DIR": str(home / "locks")}
        runs.append(subprocess.Popen([sys.executable, "-m", "reconciler", *command, str(path), *backend],
                                     cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    for run in runs:
        assert run.wait(timeout=120) == 0, run.stderr.read().decode()
    assert len([c for c in sim.calls("bitget") if c["path"] == "/api/v2/mix/account/account"]) == 50
    assert rate_limited(sim, "bitget") == []


def test_a_plan_during_an_apply_of_the_same_account_shares_its_windows(start_sim, tmp_path):
    sim, path = flat_bitget(start_sim, tmp_path)
    both(sim, path, [tmp_path, tmp_path])  # one machine: one lock directory, the windows' files beside it


def test_a_plan_on_another_machine_shares_an_applys_windows_through_postgresql(start_sim, pg_url, tmp_path):
    sim, path = flat_bitget(start_sim, tmp_path)
    both(sim, path, [tmp_path / "ci-runner", tmp_path / "laptop"], "--backend", pg_url)
