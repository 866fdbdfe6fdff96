"""Venue identities do not depend on how a file spells the address; the record of moves survives a cut line."""

from __future__ import annotations

import asyncio
import time

import pytest

from reconciler.intents import Intent, LocalIntents
from reconciler.model import AccountSpec
from reconciler.venues.base import address_key
from reconciler.venues.registry import adapter_class


@pytest.mark.parametrize("one,other", [
    ("http://127.0.0.1:8800", "http://localhost:8800/"),
    ("http://[::1]:8800", "http://127.0.0.2:8800"),
    ("https://www.okx.com", "https://WWW.OKX.com:443/"),
    ("https://api.bitget.com/", "https://api.bitget.com."),
])
def test_one_address_however_spelled(one, other):
    assert address_key(one) == address_key(other)


@pytest.mark.parametrize("one,other", [
    ("http://127.0.0.1:8800", "http://127.0.0.1:8801"),  # two local simulators
    ("https://www.okx.com", "https://eea.okx.com"),
])
def test_two_addresses_stay_two(one, other):
    assert address_key(one) != address_key(other)


def test_a_live_account_without_base_url_is_the_one_that_writes_the_default_host():
    def identity(base_url):
        spec = AccountSpec("main", "okx", "live", base_url, {}, {}, {})
        adapter = adapter_class("okx")(spec, {"api_key": "k", "secret": "s", "passphrase": "p"})
        return adapter.identity(adapter.base_url())

    assert identity(None) == identity("https://www.okx.com/") == identity("https://WWW.okx.com")
    assert identity(None).startswith("okx-") and len(identity(None)) == len("okx-") + 16  # a digest, no key


def test_the_record_of_moves_keeps_an_intent_whose_answer_line_was_cut_short(tmp_path):
    store = LocalIntents(tmp_path)
    now = time.time()
    intent = Intent(identity="okx-1", symbol="ETH-USDT-SWAP", side="long", move="100", coin="USDT", account="a",
                    run_id="r1", signed_at=now, expires_at=now + 30)
    asyncio.run(store.record(intent))
    with (tmp_path / "okx-1.jsonl").open("a") as handle:
        handle.write('{"identity": "okx-1", "state": "do')  # the process died writing the answer
    found = asyncio.run(store.unresolved("okx-1", "ETH-USDT-SWAP", "long", now))
    assert [i.id for i in found] == [intent.id]
    assert asyncio.run(store.unresolved("okx-1", "ETH-USDT-SWAP", "long", now + 31)) == []  # expired: harmless
    assert asyncio.run(store.moved("okx-1", "USDT", now - 1)) == 100
