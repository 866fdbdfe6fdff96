"""Start-up: --help and --version load no HTTP, schema or simulator code; validate loads no HTTP client or simulator.

What is checked is the modules a fresh `python -m reconciler ...` process has imported when it ends, not a time
(the time is measured by bench/startup.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "quickstart.yaml"
HTTP = ("aiohttp", "yarl", "psycopg")
SCHEMA = ("jsonschema",)
SIMULATOR = ("reconciler.sim",)
PROBE = """
import json, runpy, sys
sys.argv = ["reconciler", *json.loads(sys.argv[1])]
code = 0
try:
    runpy.run_module("reconciler", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def imported(*args: str, cwd: Path | None = None) -> tuple[int, str, set[str]]:
    """Run the CLI in a fresh interpreter: (exit code, stdout, the modules it imported)."""
    env = {**os.environ, **({"RECONCILER_LOCK_DIR": str(cwd / "locks")} if cwd else {})}
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True,
                            timeout=60, cwd=cwd, env=env)
    report = json.loads(result.stderr.strip().splitlines()[-1])
    return report["code"], result.stdout, set(report["modules"])


def loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


@pytest.mark.parametrize("flag", ["--help", "--version", "apply --help", "plan --help"])
def test_help_and_version_load_no_http_schema_or_simulator(flag):
    code, out, modules = imported(*flag.split())
    assert code == 0 and "reconciler" in out
    assert loaded(modules, HTTP + SCHEMA + SIMULATOR) == []
    assert loaded(modules, ("reconciler.venues", "reconciler.api", "reconciler.config")) == []
    assert loaded(modules, ("asyncio", "yaml")) == []  # no event loop and no YAML to print a help text


def test_validate_loads_no_http_client_and_no_simulator():
    code, out, modules = imported("validate", str(EXAMPLE))
    assert code == 0 and "valid" in out
    assert loaded(modules, HTTP + SIMULATOR) == []
    assert loaded(modules, ("reconciler.api", "reconciler.client", "reconciler.connections")) == []
    # nor anything that plans, sends or paces an apply
    assert loaded(modules, ("reconciler.planner", "reconciler.executor", "reconciler.pipeline", "reconciler.gate")) == []


def test_plan_does_load_the_http_client(tmp_path):
    """The probe sees what a command imports: a plan of the embedded quickstart does reach aiohttp."""
    config = tmp_path / "quickstart.yaml"
    config.write_text(EXAMPLE.read_text())
    (tmp_path / "quickstart-world.yaml").write_text((EXAMPLE.parent / "quickstart-world.yaml").read_text())
    code, _, modules = imported("plan", str(config), cwd=tmp_path)
    assert code == 0
    assert "aiohttp" in modules and "reconciler.sim" in modules
