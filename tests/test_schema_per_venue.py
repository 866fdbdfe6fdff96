"""The schema knows each venue's names, so an editor flags a mistake before `validate` does."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from reconciler.venues.registry import adapter_class, supported_venues

ROOT = Path(__file__).parent.parent
SCHEMA = json.loads((ROOT / "schemas" / "desired-state.schema.json").read_text())
EDITOR = jsonschema.Draft202012Validator(SCHEMA)  # what an editor's YAML language server runs
CREDENTIALS = {venue: {name: "${X}" for name in adapter_class(venue).credential_names} for venue in supported_venues()}


def venue_rules() -> dict[str, dict]:
    rules = SCHEMA["$defs"]["account"]["allOf"][1:]
    return {rule["if"]["properties"]["venue"]["const"]: rule["then"] for rule in rules}


def document(venue: str, **account) -> dict:
    required = adapter_class(venue).required_options if venue in supported_venues() else ()
    block = {"venue": venue, "environment": "live", "credentials": CREDENTIALS.get(venue, {}),
             **{key: adapter_class(venue).account_options[key]["examples"][0] for key in required}, **account}
    return {"version": 1, "accounts": {"a": block}}


def editor_errors(data: dict) -> list[tuple]:
    """(where, JSON Schema keyword, the offending name) per error: what an editor flags, not jsonschema's wording."""
    return [(error.json_path, error.validator, error.instance if isinstance(error.instance, str) else None)
            for error in EDITOR.iter_errors(data)]


def test_the_schema_files_are_the_one_generated_from_the_venue_packages():
    """schemas/ and the installed package hold exactly what `reconciler schema` prints (regenerate with
    `reconciler schema > schemas/desired-state.schema.json` and copy it to reconciler/schemas/)."""
    from reconciler.schema import schema_text

    generated = schema_text()
    assert (ROOT / "schemas" / "desired-state.schema.json").read_text() == generated
    assert (ROOT / "reconciler" / "schemas" / "desired-state.schema.json").read_text() == generated


def test_the_schema_lists_exactly_the_venues_and_names_the_adapters_declare():
    assert SCHEMA["$defs"]["account"]["allOf"][0]["properties"]["venue"]["enum"] == supported_venues()
    rules = venue_rules()
    assert sorted(rules) == sorted(supported_venues())
    for venue, then in rules.items():
        adapter = adapter_class(venue)
        credentials = then["properties"]["credentials"]
        assert credentials["required"] == credentials["propertyNames"]["enum"] == list(adapter.credential_names)
        settings = then["properties"]["settings"]
        assert settings.get("propertyNames", {}).get("enum", []) == list(adapter.settings)
        assert then.get("required", []) == list(adapter.required_options)
        for key in adapter.account_options:
            assert then["properties"][key] == adapter.account_options[key]


@pytest.mark.parametrize("venue", supported_venues())
def test_an_editor_accepts_a_correct_account_of_each_venue(venue):
    assert editor_errors(document(venue, symbols={"X": {"leverage": 3}})) == []


@pytest.mark.parametrize("data, expected", [
    (document("kraken"), ("$.accounts.a.venue", "enum", "kraken")),
    (document("okx", credentials={"account_id": "${A}", "secret": "${S}"}), ("$.accounts.a.credentials", "required", None)),
    (document("orderly", credentials={**CREDENTIALS["orderly"], "passphrase": "${P}"}),
     ("$.accounts.a.credentials", "enum", "passphrase")),
    (document("bitget", product_type="USDT-PERPETUAL"), ("$.accounts.a.product_type", "pattern", "USDT-PERPETUAL")),
    (document("okx", product_type="USDT-FUTURES"), ("$.accounts.a", "not", None)),
    (document("orderly", symbols={"PERP_BTC_USDC": {"margin_coin": "USDC"}}),
     ("$.accounts.a.symbols.PERP_BTC_USDC", "not", None)),
    (document("okx", defaults={"margin_coin": "USDT"}), ("$.accounts.a.defaults", "not", None)),
    (document("orderly", settings={"position_mode": "hedge"}), ("$.accounts.a.settings", "maxProperties", None)),
    (document("bitget", currencies={"BTC": {"leverage": 3}}), ("$.accounts.a", "not", None)),
], ids=["venue", "okx-credentials", "orderly-credentials", "bitget-product-type", "okx-product-type",
        "orderly-margin-coin", "okx-default-margin-coin", "orderly-settings", "bitget-currencies"])
def test_an_editor_flags_what_a_venue_does_not_have(data, expected):
    assert expected in editor_errors(data), editor_errors(data)


def test_bitget_product_type_is_accepted_in_any_case_as_the_loader_reads_it():
    assert editor_errors(document("bitget", product_type="usdt-futures")) == []


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_names_the_schema_and_the_desired_state_ones_pass_it(path):
    text = path.read_text()
    data = yaml.safe_load(text)
    if "accounts" in data:
        assert text.startswith("# yaml-language-server: $schema=../schemas/desired-state.schema.json")
        assert editor_errors(data) == []


def test_the_loader_says_each_venue_mistake_once(cli, tmp_path):
    path = tmp_path / "desired.yaml"
    path.write_text(yaml.safe_dump(document("orderly", credentials={**CREDENTIALS["orderly"], "passphrase": "${P}"},
                                            symbols={"PERP_BTC_USDC": {"margin_coin": "USDC"}})))
    code, out, err = cli("validate", str(path))
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 2, err
    assert "unknown credential 'passphrase' for orderly" in err and "'margin_coin' is not a orderly setting" in err


def test_the_schema_takes_exactly_the_product_types_the_bitget_adapter_declares():
    from reconciler.venues.bitget.adapter import PRODUCT_TYPES, BitgetAdapter
    for product_type in PRODUCT_TYPES:
        assert editor_errors(document("bitget", product_type=product_type.lower())) == []
        assert BitgetAdapter.product_type_problem(product_type.lower()) is None
    for wrong in ("USDT-PERP", "COIN-M", "SUSD-FUTURES", "USDT-FUTURES "):
        assert editor_errors(document("bitget", product_type=wrong))
        assert BitgetAdapter.product_type_problem(wrong)
