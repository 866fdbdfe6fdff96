"""Edits a hostile case makes to a good file's text, and the three-venue file they start from."""

from __future__ import annotations

import test_bitget_e2e as bitget
import test_okx_e2e as okx
import test_orderly_e2e as orderly

# One account per venue, all valid; `{url}` is the simulator's address.
THREE_VENUES = f"""\
version: 1
accounts:
  bg:
    venue: bitget
    environment: sim
    base_url: {{url}}
    product_type: USDT-FUTURES
    credentials: {{{{api_key: {bitget.KEY['api_key']}, secret: {bitget.KEY['secret']}, passphrase: {bitget.KEY['passphrase']}}}}}
    settings: {{{{position_mode: hedge}}}}
    symbols:
      SOLUSDT: {{{{margin_mode: cross, leverage: 5}}}}
      ETHUSDT: {{{{margin_mode: isolated, leverage: {{{{long: 20, short: 15}}}}, isolated_margin: {{{{min: 400, max: 600}}}}}}}}
  ox:
    venue: okx
    environment: sim
    base_url: {{url}}
    credentials: {{{{api_key: {okx.KEY['api_key']}, secret: {okx.KEY['secret']}, passphrase: {okx.KEY['passphrase']}}}}}
    settings: {{{{position_mode: hedge}}}}
    symbols:
      ETH-USDT-SWAP: {{{{margin_mode: isolated, leverage: {{{{long: 20, short: 15}}}}}}}}
      {okx.FUT1}: {{{{margin_mode: cross, leverage: 7}}}}
  ol:
    venue: orderly
    environment: sim
    base_url: {{url}}
    credentials: {{{{account_id: "{orderly.ACCOUNT}", secret: {orderly.SECRET}}}}}
    symbols:
      {orderly.SOL}: {{{{margin_mode: cross, leverage: 5}}}}
"""


def three_venue_world() -> dict:
    return {**bitget.world(), **okx.world(), **orderly.world()}


def replace(old: str, new: str, count: int = 1):
    """An edit replacing the first `count` occurrences of `old` (which must be there) by `new`."""
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, count)
    return edit


def then(*edits):
    """Several edits, one after the other."""
    def edit(text: str) -> str:
        for one in edits:
            text = one(text)
        return text
    return edit
