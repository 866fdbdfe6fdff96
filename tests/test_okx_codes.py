"""What the OKX adapter makes of each answer OKX can give (okx.md 2, 7), and the expTime it sends."""

from __future__ import annotations

import json
import time

import pytest

from reconciler.errors import VenueError
from reconciler.model import AccountSpec
from reconciler.transport import RawResponse
from reconciler.venues.okx import OkxAdapter


def adapter() -> OkxAdapter:
    return OkxAdapter(AccountSpec("ox", "okx", "sim", None, {}, {}, {}),
                      {"api_key": "k", "secret": "s", "passphrase": "p"})


def refusal(status: int, payload) -> VenueError:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    with pytest.raises(VenueError) as caught:
        adapter().parse(RawResponse(status, text, {}))
    return caught.value


@pytest.mark.parametrize("status, code, kind", [
    (500, "50026", "unknown"),      # "System error": HTTP 500 with OKX's JSON body
    (400, "50004", "unknown"),      # "Endpoint request timeout": the docs say it does not tell
    (503, "50001", "unknown"),      # "Service temporarily unavailable": not proven pre-execution
    (429, "50011", "rate_limit"),
    (200, "50011", "rate_limit"),   # okx.md 6 lists 50011 both as HTTP 200 and 429
    (200, "50040", "rate_limit"),
    (200, "50061", "rate_limit"),
    (429, "50013", "busy"),         # "Systems are busy": refused before anything was done
    (200, "59000", "blocked"),
    (200, "59001", "blocked"),
    (200, "59002", "blocked"),      # sub-account: "close positions, orders or trading bots"
    (200, "59101", "blocked"),
    (200, "59107", "blocked"),
    (200, "59112", "blocked"),
    (200, "59302", "blocked"),
    (400, "51000", "business"),
    (200, "51010", "business"),
    (200, "51039", "business"),
    (200, "59102", "business"),
    (200, "59300", "business"),
    (401, "50102", "auth"),
    (401, "50113", "auth"),
    (200, "50120", "auth"),
])
def test_every_code_has_the_kind_its_meaning_proves(status, code, kind):
    error = refusal(status, {"code": code, "msg": "as OKX says it", "data": []})
    assert (error.code, error.kind, error.status) == (code, kind, status)
    assert error.ambiguous == (kind == "unknown")


def test_unknown_outcome_codes_say_what_the_reconciler_does():
    for code in ("50026", "50004"):
        assert "reads the state again before sending anything more" in refusal(500, {"code": code, "data": []}).message


def test_a_5xx_without_okx_envelope_is_a_server_error_and_an_item_code_wins():
    assert refusal(502, "<html>bad gateway</html>").kind == "server"
    error = refusal(200, {"code": "1", "msg": "All operations failed",
                          "data": [{"sCode": "59002", "sMsg": "Sub-account settings failed"}]})
    assert (error.code, error.kind) == ("59002", "blocked")


def test_writes_carry_exp_time_a_few_seconds_ahead_and_reads_do_not():
    okx = adapter()
    before = int(time.time() * 1000)
    headers = okx.sign("POST", "/api/v5/account/set-leverage", '{"lever":"5"}')
    after = int(time.time() * 1000)
    assert before + 5000 <= int(headers["expTime"]) <= after + 5000
    assert "expTime" not in okx.sign("GET", "/api/v5/account/config", "")
    # Unconfirmed on OKX for these endpoints, so the wait after an unknown outcome is the longer window.
    assert okx.request_lifetime >= 30
