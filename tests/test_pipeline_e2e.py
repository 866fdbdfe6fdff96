"""No barrier between accounts: each account writes as soon as its own plan is ready, and the report is the same;
a reviewed (saved) plan is still sent whole or not at all.

Bitget's per-symbol reads are slowed to 1 a second (the world's limit and the file's), so its plan takes seconds
while Orderly's takes a few round trips. Times come from the simulator's call log, never from the wall clock.
"""

from __future__ import annotations

import asyncio
import copy
import json
import shutil
from pathlib import Path

import yaml

import test_bitget_e2e as bitget
import test_orderly_e2e as orderly
from conftest import write_yaml, writes
from test_turns import counting_turns
from reconciler import api
from reconciler.executor import execute
from reconciler.journal import Journal
from reconciler.planner import plan as plan_all
from reconciler.policy.rules import enforce_windows
from reconciler.views.report_json import report_document
from reconciler.views.text import render_report

SLOW_READ = {"GET /api/v2/mix/account/account": "1/1s"}
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def slow_world() -> dict:
    return {**bitget.world(), **orderly.world(), "rate_limits": dict(SLOW_READ)}


def both(tmp_path: Path, url: str) -> Path:
    """One file with the slow Bitget account first and the fast Orderly account second."""
    document = yaml.safe_load(bitget.config(tmp_path, url, rate_limits=dict(SLOW_READ)).read_text())
    document["accounts"].update(yaml.safe_load(orderly.config(tmp_path, url).read_text())["accounts"])
    return write_yaml(tmp_path / "both.yaml", document)


def first_write(calls: list[dict]) -> float:
    return min(c["time"] for c in writes(calls))


def plan_reads_end(calls: list[dict]) -> float:
    """When the account's last read before its first write was logged: the end of its plan."""
    start = first_write(calls)
    return max(c["time"] for c in calls if c["method"] == "GET" and c["time"] < start)


def test_the_fast_account_writes_before_the_slow_one_has_finished_reading(start_sim, cli, tmp_path):
    sim = start_sim(slow_world())
    path = both(tmp_path, sim.url)
    code, out, err = cli("apply", path, "--auto-approve")
    assert code == 3, out + err  # blocked items remain on both venues; everything else holds
    assert first_write(sim.calls("orderly")) < plan_reads_end(sim.calls("bitget"))
    assert "Verified: " in out and "error" not in err
    code, out, _ = cli("plan", path, "--format", "json")
    assert code == 0 and {c["status"] for c in json.loads(out)["changes"]} <= {"blocked", "conflict"}


def test_a_saved_plan_is_sent_whole_no_account_writes_before_every_account_is_re_read(start_sim, cli, tmp_path):
    sim = start_sim(slow_world())
    path, saved = both(tmp_path, sim.url), tmp_path / "plan.json"
    assert cli("plan", path, "--out", saved)[0] == 0
    for venue in ("bitget", "orderly"):
        sim.clear_calls(venue)
    code, out, err = cli("apply", saved)
    assert code == 3, out + err
    # The reviewed plan is a whole: the fast account waits until the slow one is known to be as reviewed.
    assert first_write(sim.calls("orderly")) > plan_reads_end(sim.calls("bitget"))


def test_one_stale_account_in_a_saved_plan_sends_nothing_anywhere(start_sim, cli, tmp_path):
    sim = start_sim({**bitget.world(), **orderly.world()})
    document = yaml.safe_load(bitget.config(tmp_path, sim.url).read_text())
    document["accounts"].update(yaml.safe_load(orderly.config(tmp_path, sim.url).read_text())["accounts"])
    path, saved = write_yaml(tmp_path / "both.yaml", document), tmp_path / "plan.json"
    assert cli("plan", path, "--out", saved)[0] == 0
    state = copy.deepcopy(sim.state("bitget"))
    state["accounts"][0]["symbols"]["SOLUSDT"]["crossedMarginLeverage"] = "9"
    sim.put_state("bitget", state)
    for venue in ("bitget", "orderly"):
        sim.clear_calls(venue)
    code, out, err = cli("apply", saved)
    assert code == 1, out + err
    assert writes(sim.calls("bitget")) == [] and writes(sim.calls("orderly")) == []
    assert "plan is stale, nothing was sent" in err
    assert "bg: SOLUSDT cross leverage was 10, is now 9" in err


def _quickstart(directory: Path) -> Path:
    directory.mkdir()
    for name in ("quickstart.yaml", "quickstart-world.yaml"):
        shutil.copy(EXAMPLES / name, directory / name)
    return directory / "quickstart.yaml"


async def _with_barrier(path: Path):
    """What apply --auto-approve did before: every account planned, then every account applied."""
    state = api.load(str(path))
    async with api.open_run(state, journal_path=str(path.parent / "journal.jsonl")) as run:
        planned = await plan_all(state, connections=run)
        enforce_windows(planned, state.policy)
        return await execute(planned, state, run)


def test_the_report_of_a_three_venue_apply_is_the_one_the_barrier_gave(tmp_path, monkeypatch):
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path / "locks"))
    before = asyncio.run(_with_barrier(_quickstart(tmp_path / "before")))
    pipelined_path = _quickstart(tmp_path / "now")
    now = asyncio.run(api.reconcile(api.load(str(pipelined_path)),
                                    journal_path=str(pipelined_path.parent / "journal.jsonl")))
    assert len(now.plan.accounts) == 3 and now.exit_code == before.exit_code == 3
    assert render_report(now) == render_report(before)
    times = {"started_at": "t", "finished_at": "t"}
    assert report_document(now, **times) == report_document(before, **times)
    # in the order the plan shows, whichever account finished first
    assert list(now.outcomes) == [c.id for c in now.plan.changes]


def test_each_accounts_first_write_leaves_within_a_few_turns_of_the_loop_after_its_last_answer(tmp_path, monkeypatch):
    """On a busy loop (50 accounts) a turn is several milliseconds: between an account's last answer and its first
    write lie its diff, checks and gate, and as few hand-overs from one task to another (each waits a turn) as can
    be. One account a run, so that no other venue's listing check (which every account's writes wait for) is awaited."""
    monkeypatch.setenv("RECONCILER_LOCK_DIR", str(tmp_path / "locks"))
    lines: list[tuple[str, int]] = []  # (event, turn of the loop its journal line was written in)
    counter: list[list[int]] = []
    write_line = Journal._write

    def noting_turn(journal, entry):
        if not counter:
            counter.append(counting_turns(asyncio.get_running_loop()))
        lines.append((entry["event"], counter[0][0]))
        write_line(journal, entry)

    monkeypatch.setattr(Journal, "_write", noting_turn)
    waited = {}
    for account in ("okx-main", "bitget-main", "orderly-main"):
        lines.clear()
        counter.clear()
        path = _quickstart(tmp_path / account)
        report = asyncio.run(api.reconcile(api.load(str(path)), accounts=[account],
                                           journal_path=str(path.parent / "journal.jsonl")))
        assert report.exit_code == 3 and report.outcomes
        first = next(index for index, (event, _) in enumerate(lines) if event == "intent")
        waited[account] = lines[first][1] - max(at for event, at in lines[:first] if event == "read")
    assert max(waited.values()) <= 3, waited  # 4 to 6 when each account's read, plan and writes had tasks of their own
