"""The package people install: the built wheel, in a fresh venv, gives a working `reconciler` with its schemas."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
SCRATCH = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis",
                                 ".reconciler", ".pytest_cache")


def source_copy(tmp_path: Path) -> Path:
    """The source tree copied aside: setuptools writes build/ and egg-info beside the sources it builds."""
    return Path(shutil.copytree(ROOT, tmp_path / "source", ignore=SCRATCH, symlinks=True))


CAN_BUILD = importlib.util.find_spec("build") is not None and importlib.util.find_spec("ensurepip") is not None


@pytest.mark.skipif(not CAN_BUILD, reason="this machine cannot build: the `build` module or ensurepip is missing")
@pytest.mark.timeout(420)  # a build, a venv, an install and a mypy run on two shared cores
def test_the_wheel_installs_in_a_fresh_venv_and_runs(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source_copy(tmp_path))],
                   check=True,
                   capture_output=True)
    wheel = next(dist.glob("margin_reconciler-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in ("reconciler/py.typed", "reconciler/schemas/desired-state.schema.json",
                    "reconciler/schemas/plan.schema.json", "reconciler/schemas/apply-report.schema.json"):
        assert shipped in names
    assert any(name.endswith("/licenses/LICENSE") for name in names)

    venv.create(tmp_path / "venv", with_pip=True)
    bin_dir = tmp_path / "venv" / "bin"
    subprocess.run([str(bin_dir / "pip"), "install", "-q", str(wheel)], check=True, capture_output=True)
    # run away from the source tree, so that only the installed package can answer
    for name in ("quickstart.yaml", "quickstart-world.yaml"):
        shutil.copy(ROOT / "examples" / name, tmp_path / name)
    version = subprocess.run([str(bin_dir / "reconciler"), "--version"], cwd=tmp_path, capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout == f"reconciler {VERSION}\n"
    checked = subprocess.run([str(bin_dir / "reconciler"), "validate", "quickstart.yaml"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("quickstart.yaml: valid (3 accounts")
    where = subprocess.run([str(bin_dir / "python"), "-c", "import reconciler; print(reconciler.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True).stdout
    assert where.startswith(str(tmp_path / "venv"))
    schema = subprocess.run([str(bin_dir / "reconciler"), "schema"], cwd=tmp_path, capture_output=True, text=True)
    assert schema.returncode == 0 and json.loads(schema.stdout) == json.loads(
        (ROOT / "schemas" / "desired-state.schema.json").read_text())
    # The installed package's types (py.typed), as a user's mypy finds them in site-packages.
    typed = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
                            "--python-executable", str(bin_dir / "python"), "--cache-dir", str(tmp_path / "mypy"),
                            str(ROOT / "tests" / "typed_job" / "public_api.py")],
                           cwd=tmp_path, capture_output=True, text=True)
    assert typed.returncode == 0, typed.stdout + typed.stderr


@pytest.mark.skipif(not CAN_BUILD, reason="this machine cannot build: the `build` module or ensurepip is missing")
@pytest.mark.timeout(240)
def test_the_sdist_carries_what_its_tests_need(tmp_path):
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path), str(source_copy(tmp_path))],
                   check=True,
                   capture_output=True)
    sdist = next(tmp_path.glob("margin_reconciler-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "tests/conftest.py", "tests/test_package.py", "bench/venue_limits.py",
            "examples/quickstart.yaml", "examples/quickstart-world.yaml",
            "reconciler/schemas/apply-report.schema.json", "pyproject.toml"} <= names


def test_the_dockerfile_installs_the_wheel_and_runs_as_a_non_root_user():
    lines = [line.split() for line in (ROOT / "Dockerfile").read_text().splitlines() if line and line[0] != "#"]
    instructions = [line[0] for line in lines]
    assert instructions.count("FROM") == 2 and all("slim" in line[1] for line in lines if line[0] == "FROM")
    assert any("build" in line and "--wheel" in line for line in lines)
    user = next(line[1] for line in lines if line[0] == "USER")
    assert user not in ("root", "0")
    runs = [line for line in (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
            if line.startswith("RUN ")]
    install = next(run for run in runs if "-c /tmp/dist/constraints.txt" in run)  # what CI tested
    assert '"$(ls /tmp/dist/*.whl)[postgres]"' in install  # the postgres backend's driver is in the image
    assert ["ENV", "RECONCILER_STATE_DIR=/state"] in lines and ["VOLUME", "/state"] in lines
    assert f"chown {user}:{user} /state" in install  # the state directory belongs to that user
    assert lines[instructions.index("ENTRYPOINT")][1:] == ['["reconciler"]']


def test_the_readmes_completion_line_prints_a_completion_script_for_reconciler():
    readme = (ROOT / "README.md").read_text()
    assert 'eval "$(register-python-argcomplete reconciler)"' in readme and "pipx install ." in readme
    register = Path(sys.executable).parent / "register-python-argcomplete"
    done = subprocess.run([str(register), "reconciler"], capture_output=True, text=True)
    assert done.returncode == 0 and "complete" in done.stdout and "reconciler" in done.stdout


def test_the_readme_and_ci_install_what_constraints_txt_pins_and_the_pins_fit_the_ranges():
    from packaging.requirements import Requirement
    readme = (ROOT / "README.md").read_text()
    assert "pip install -c constraints.txt -e '.[test]' && .venv/bin/python -m pytest -q" in readme
    assert "pip\" install --quiet -c constraints.txt -e '.[test]'" in (ROOT / ".ci" / "run").read_text()
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] not in pins  # the project itself is installed from the checkout
    wanted = [Requirement(text) for text in project["dependencies"] + project["optional-dependencies"]["test"]]
    for requirement in wanted:
        if requirement.marker is None or requirement.marker.evaluate():
            name = requirement.name.lower().replace("_", "-")
            assert name in pins and requirement.specifier.contains(pins[name]), requirement
