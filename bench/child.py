"""Runs one reconciler command in this process and writes its CPU time and peak memory as JSON.

    python bench/child.py [--profile OUT.prof] OUT.json -- validate FILE

The benchmark starts it as a child process, so that what is measured is the command alone (imports
included), not the simulator serving it.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def peak_memory_mb() -> float:
    """This process's peak resident memory. Not ru_maxrss: Linux carries that across exec, so a child
    started by a large parent would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # elsewhere: kilobytes on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--profile", help="also write a cProfile of the command here")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    started = time.perf_counter()
    profiler = cProfile.Profile() if args.profile else None
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        if profiler:
            profiler.enable()
        from reconciler.cli import main as cli_main  # imported here: its import time is part of the cost
        exit_code = cli_main(command)
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    Path(args.out).write_text(json.dumps({
        "exit_code": exit_code,
        "seconds_in_process": time.perf_counter() - started,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_memory_mb": peak_memory_mb(),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
