"""`import` writes a file that plans in sync, with relative paths and the editor's schema line; `schema` prints
the schema that line names."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from kits import kit, venues_with_kits

ROOT = Path(__file__).parent.parent
QUICKSTART_ACCOUNTS = list(yaml.safe_load((ROOT / "examples" / "quickstart.yaml").read_text())["accounts"])


@pytest.fixture
def quickstart(tmp_path) -> Path:
    """The README's quickstart files in the test's working directory (its embedded simulator, fresh)."""
    for name in ("quickstart.yaml", "quickstart-world.yaml"):
        shutil.copy(ROOT / "examples" / name, tmp_path / name)
    return tmp_path / "quickstart.yaml"


@pytest.mark.parametrize("account", QUICKSTART_ACCOUNTS)
def test_an_imported_quickstart_account_plans_in_sync(account, quickstart, cli, tmp_path):
    code, imported, err = cli("import", quickstart, "--account", account)
    assert code == 0, err
    (tmp_path / "imported.yaml").write_text(imported)
    code, out, err = cli("plan", tmp_path / "imported.yaml", "--detailed-exitcode")
    assert code == 0, out + err
    assert "No changes. Everything in the file holds" in out


@pytest.mark.parametrize("venue", venues_with_kits())
def test_an_imported_account_plans_in_sync_on_every_venue(venue, start_sim, cli, tmp_path):
    """The venue's default scenario (blocked changes, open positions and orders included) imported, then planned."""
    sim = start_sim(kit(venue).world())
    code, imported, err = cli("import", kit(venue).config(tmp_path, sim.url), "--account", kit(venue).ACCOUNT)
    assert code == 0, err
    assert yaml.safe_load(imported)["accounts"][kit(venue).ACCOUNT]["symbols"]
    (tmp_path / "imported.yaml").write_text(imported)
    sim.clear_calls(venue)
    code, out, err = cli("plan", tmp_path / "imported.yaml", "--detailed-exitcode")
    assert code == 0, out + err
    assert "No changes. Everything in the file holds" in out
    assert [c for c in sim.calls(venue) if c["method"] != "GET"] == []


def test_okx_import_takes_the_mode_the_open_position_uses_not_the_files(quickstart, cli, tmp_path):
    # The quickstart wants BTC-USDT-SWAP isolated while a cross position is open: that is a conflict in the
    # quickstart's plan, and what is live is cross at cross leverage.
    code, out, _ = cli("plan", quickstart)
    assert "x BTC-USDT-SWAP margin_mode: cross -> isolated  [conflict]" in out
    code, imported, err = cli("import", quickstart, "--account", "okx-main")
    symbol = yaml.safe_load(imported)["accounts"]["okx-main"]["symbols"]["BTC-USDT-SWAP"]
    assert symbol["margin_mode"] == "cross"


def test_import_writes_paths_relative_to_the_file_it_writes_and_never_absolute(quickstart, cli, tmp_path):
    (tmp_path / "accounts").mkdir()
    code, out, err = cli("import", quickstart, "--account", "okx-main", "--out", "accounts/okx.yaml")
    assert code == 0 and out == "", err
    text = (tmp_path / "accounts" / "okx.yaml").read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../.reconciler.schema.json"
    assert yaml.safe_load(text)["simulator"] == {"world": "../quickstart-world.yaml"}
    assert str(tmp_path) not in text
    code, out, err = cli("plan", "accounts/okx.yaml")
    assert code == 0 and "No changes." in out, out + err

    code, stdout_copy, err = cli("import", quickstart, "--account", "okx-main")  # to stdout: from the working dir
    assert stdout_copy.splitlines()[0] == "# yaml-language-server: $schema=.reconciler.schema.json"
    assert yaml.safe_load(stdout_copy)["simulator"] == {"world": "quickstart-world.yaml"}


def test_schema_prints_the_packaged_schema_and_an_editor_accepts_the_imported_file(quickstart, cli, tmp_path):
    code, printed, err = cli("schema")
    assert code == 0, err
    schema = json.loads(printed)
    assert schema == json.loads((ROOT / "schemas" / "desired-state.schema.json").read_text())
    (tmp_path / ".reconciler.schema.json").write_text(printed)  # the README's `reconciler schema > ...`
    code, imported, err = cli("import", quickstart, "--account", "bitget-main")
    named = imported.splitlines()[0].split("$schema=", 1)[1]
    editor = jsonschema.Draft202012Validator(json.loads((tmp_path / named).read_text()))
    assert list(editor.iter_errors(yaml.safe_load(imported))) == []
    assert list(editor.iter_errors({"version": 1, "accounts": {"a": {"venue": "kraken"}}}))  # it can say no
