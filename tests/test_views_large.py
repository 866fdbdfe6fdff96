"""Views of this round's plan contents: large plans summarised, pattern sources, denied items, liquidation."""

from __future__ import annotations

import json

from reconciler.plan import Change, Plan
from reconciler.views.markdown import render_markdown
from reconciler.views.text import render_plan


def leverage(symbol: str, source: str | None = None, **fields) -> Change:
    return Change(f"okx/{symbol}/leverage/cross", "okx", "okx", symbol, "leverage", None, "cross", "3", "5",
                  source=source or symbol, **fields)


def large_plan() -> Plan:
    changes = [leverage(f"C{n}-USDT-SWAP", "*-USDT-SWAP") for n in range(30)]
    changes.append(Change("okx/BTC-USDT-SWAP/isolated_margin/long", "okx", "okx", "BTC-USDT-SWAP",
                          "isolated_margin", "long", "isolated", "100", "150", source="BTC-USDT-SWAP"))
    changes.append(leverage("ETH-USDT-SWAP", status="denied", rule="max_leverage",
                            reason="max_leverage 4 (policy.yaml:2, pattern *) is below 5"))
    small = [Change("bg/BTCUSDT/leverage/cross", "bg", "bitget", "BTCUSDT", "leverage", None, "cross", "5", "10")]
    return Plan(changes=changes + small, observed={}, config_path="desired.yaml", config_sha256="0" * 64,
                accounts={"okx": {"venue": "okx", "environment": "sim"},
                          "bg": {"venue": "bitget", "environment": "sim"}})


def test_a_large_account_is_counted_per_field_and_status_before_its_items():
    text = render_plan(large_plan())
    assert "  32 items: 30 leverage, 1 isolated_margin to change; 1 denied" in text
    assert text.index("32 items") < text.index("C0-USDT-SWAP")
    assert "bg (bitget)\n  ~ BTCUSDT leverage (cross): 5 -> 10\n" in text  # a short account looks as before
    assert "Plan: 32 to change, 0 blocked, 0 conflicts, 1 denied, 0 in sync." in text


def test_markdown_counts_accounts_and_folds_a_long_table():
    markdown = render_markdown(large_plan())
    assert "| `okx` | 32: 30 leverage, 1 isolated_margin to change; 1 denied |" in markdown
    assert "<details><summary>32 items: 30 leverage, 1 isolated_margin to change; 1 denied</summary>\n\n| symbol |" \
        in markdown
    folded = markdown[markdown.index("<details>"):markdown.index("</details>")]
    assert "C29-USDT-SWAP" in folded and "|\n\n</details>" in markdown  # blank line: GitHub renders the table
    assert markdown.count("<details>") == 1  # the short Bitget table is not folded


def test_a_change_made_by_a_pattern_names_it_and_a_symbol_key_does_not():
    text = render_plan(large_plan())
    assert "~ C7-USDT-SWAP leverage (cross): 3 -> 5  (from *-USDT-SWAP)" in text
    assert "~ BTC-USDT-SWAP isolated_margin (long): 100 -> 150\n" in text
    assert "from `*-USDT-SWAP`" in render_markdown(large_plan())


def test_denied_items_show_their_rule_and_reason():
    text = render_plan(large_plan())
    assert ("- ETH-USDT-SWAP leverage (cross): 3 -> 5  [denied: max_leverage]\n"
            "      denied: max_leverage 4 (policy.yaml:2, pattern *) is below 5") in text
    markdown = render_markdown(large_plan())
    assert "| **denied** |" in markdown
    assert "- `okx/ETH-USDT-SWAP/leverage/cross` (denied: max_leverage): max_leverage 4 (policy.yaml:2" in markdown


def test_a_liquidation_preview_is_shown_with_thousands_separators_and_the_mark():
    change = leverage("BTC-USDT-SWAP", liquidation_price={"from": "52100", "to": "48300.5", "mark": "50000"})
    unknown = leverage("ETH-USDT-SWAP", liquidation_price={"from": None, "to": "2900", "mark": "3000"})
    plan = Plan(changes=[change, unknown], observed={}, accounts={"okx": {"venue": "okx"}})
    text = render_plan(plan)
    assert "~ BTC-USDT-SWAP leverage (cross): 3 -> 5\n      liq ≈ 52,100 → 48,300.5 (mark 50,000)\n" in text
    assert "liq ≈ ? → 2,900 (mark 3,000)" in text
    assert "change<br>liq ≈ 52,100 → 48,300.5 (mark 50,000) |" in render_markdown(plan)


def test_show_renders_a_saved_plan_carrying_the_new_fields(cli, tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(large_plan().dumps())
    code, out, err = cli("show", str(path))
    assert code == 0, err
    assert "[denied: max_leverage]" in out and "(from *-USDT-SWAP)" in out
    code, out, err = cli("show", str(path), "--format", "json")
    saved = {c["id"]: c for c in json.loads(out)["changes"]}
    assert saved["okx/C3-USDT-SWAP/leverage/cross"]["source"] == "*-USDT-SWAP"
    assert saved["okx/ETH-USDT-SWAP/leverage/cross"]["rule"] == "max_leverage"
