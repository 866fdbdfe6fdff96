"""Writes bench/README.md from one benchmark run: the fixed text (bench/readme_intro.md), then the run's tables
and what they say, every figure taken from the run's JSON.

    python bench/run.py --symbols 20 --json > run.json && python bench/readme.py run.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from bench.run import markdown  # noqa: E402


def reading(r: dict) -> list[str]:
    """What the run says, in sentences, each figure from the run."""
    lines = []
    for case in r.get("whole_process", []):
        tool, careful, accounts = case["tool"], case["careful"], case["tool"].get("accounts") or {}
        lines.append(
            f"- **{case['accounts']} accounts × {case['symbols_per_account']} symbols, whole process**: the tool "
            f"{tool['seconds']} s, the careful script {careful['seconds']} s (careful / tool "
            f"{case['careful_over_tool']}×); the floor of the documents' limits {case['floor']['seconds']} s "
            f"({case['floor']['account']}), so the tool took {case['tool_over_floor']}× the floor and the script "
            f"{case['careful_over_floor']}×. 429s: {tool['rate_limited']} / {careful['rate_limited']}; converged: "
            f"{tool['converged']} / {careful['converged']}.")
        if accounts:
            lines.append(
                f"  Each account's first write left {accounts['first_write_after_own_plan_median']} s (median) and "
                f"at most {accounts['first_write_after_own_plan_max']} s after its own plan's last read; the "
                f"longest plan took {accounts['own_plan_seconds_max']} s (with a barrier between accounts, every "
                "account would wait for it)."
                + (f" Of that, the tool's own part (its journal: from the plan's last answer read to the first "
                   f"write's intent) was {accounts['tool_first_write_after_last_answer_median']} s (median) and at "
                   f"most {accounts['tool_first_write_after_last_answer_max']} s; the rest is the way of the answer and "
                   "of the write between the simulator and the tool, answers waiting their turn in a busy event "
                   "loop." if "tool_first_write_after_last_answer_median" in accounts else "")
                + (f" That last read's round trip, as the tool saw it under the same load, was "
                   f"{accounts['tool_last_read_round_trip_median']} s (median)."
                   if "tool_last_read_round_trip_median" in accounts else ""))
    for venue, v in r["per_venue"].items():
        lines.append(f"- **{venue}, in process**: plan {v['plan_seconds']} s (floor {v['plan_floor_seconds']}), apply "
                     f"{v['apply_seconds']} s (floor {v['floor_seconds']}, {v['apply_vs_floor'] or '–'}×); the careful "
                     f"script {v['careful']['seconds']} s ({v['speedup_vs_careful']}× against plan + apply: case 1 "
                     "pauses between them, the whole-process cases do not).")
    scale = r.get("scale")
    if scale and scale["sizes"]:
        largest = scale["sizes"][-1]
        plan = largest["plan"]
        ratio = next((value for key, value in scale.items() if key.startswith("plan_ratio_")), None)
        lines.append(f"- **Scale**: plan of {largest['symbols']} symbols {plan['wall_seconds']} s wall, "
                     f"{plan['cpu_seconds']} s CPU, {plan['peak_memory_mb']} MiB peak; the last size step "
                     f"(×{scale.get('size_ratio')}) took ×{ratio} the time. `validate`: "
                     f"{largest['validate']['wall_seconds']} s.")
        profile = largest.get("plan_profile")
        if profile:
            phases = profile["phases"]
            windows = [value for label, value in phases.items() if "rate windows" in label]
            if windows:
                seconds = sum(value["seconds"] for value in windows)
                total = phases["total (profiled)"]["seconds"]
                lines.append(f"  The rate windows (reconciler/pacing.py, before each request and after each answer) "
                             f"took {round(seconds, 1)} s of the profiled {total} s ({round(100 * seconds / total)} %).")
            top = ", ".join(f"{row['function']} {row['own_seconds']} s" for row in profile["top_functions"][:4])
            lines.append(f"  Where the time goes (cProfile, own time): {top}.")
    if "startup" in r:
        st = r["startup"]
        lines.append(f"- **Start-up**: `--help` {st['--help']} s, `--version` {st['--version']} s, `validate` "
                     f"{st['validate']} s; a bare interpreter {st['bare_interpreter']} s (`--help` is "
                     f"{round(st['--help'] / st['bare_interpreter'], 1)}× a bare interpreter).")
    for e in r.get("estimate", {}).values():
        lines.append(f"- **Estimate, {e['case']}**: the plan said about {e['estimate_seconds']} s, "
                     f"`apply --auto-approve` took {e['apply_seconds']} s ({e['ratio']}×).")
    return lines


def readme(result: dict) -> str:
    machine = result.get("machine") or {}
    header = (f"## Latest run\n\nOne run of `python bench/run.py --symbols {result['symbols_per_venue']} --json`, "
              f"{machine.get('date', 'date not recorded')}, on a shared {machine.get('cores', '?')}-core machine "
              f"(load average {machine.get('load_average_at_start', '?')} at the start, "
              f"{machine.get('load_average_at_end', '?')} at the end): wall times are noisy, compare the ratios, "
              f"all taken in this one run. Total run {result['total_run_seconds']} s. Written by `bench/readme.py` "
              "from that run's JSON.\n\n")
    return ((HERE / "readme_intro.md").read_text().rstrip() + "\n\n" + header + markdown(result)
            + "\n\n### Reading it\n\n" + "\n".join(reading(result)) + "\n")


def main(argv: list[str]) -> int:
    result = json.loads(Path(argv[1]).read_text())
    (HERE / "README.md").write_text(readme(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
