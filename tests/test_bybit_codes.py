"""How the Bybit adapter reads the venue's answers: what each code proves about a request, and what it does next."""

from __future__ import annotations

import json
import time

import pytest

from reconciler.errors import VenueError
from reconciler.model import AccountSpec
from reconciler.transport import RawResponse
from reconciler.venues.bybit import BybitAdapter


def adapter() -> BybitAdapter:
    return BybitAdapter(AccountSpec("bb", "bybit", "sim", "http://127.0.0.1:1", {}, {}, {}), {})


def answer(code, message="", result=None, status=200, headers=None) -> RawResponse:
    body = {"retCode": code, "retMsg": message, "result": result or {}, "retExtInfo": {}, "time": 1}
    return RawResponse(status, json.dumps(body), headers or {})


def refusal(response: RawResponse) -> VenueError:
    with pytest.raises(VenueError) as caught:
        adapter().parse(response)
    return caught.value


@pytest.mark.parametrize("code", [110043, 110025, 110026, 110027])
def test_not_modified_means_already_so_and_is_done(code):
    with pytest.raises(VenueError) as answered:
        adapter().parse(answer(code, "has not been modified"))
    assert answered.value.kind == "done"  # the client takes it as success with nothing to resend


@pytest.mark.parametrize("code, status, kind", [
    (10000, 200, "unknown"), (10016, 200, "unknown"), (429, 200, "unknown"), (-1, 200, "unknown"),
    (10016, 500, "unknown"), (10006, 200, "rate_limit"), (110024, 200, "blocked"), (110028, 200, "blocked"),
    (10004, 200, "auth"), (33004, 200, "auth"), (110013, 200, "business"), (100028, 200, "business"),
])
def test_each_code_says_what_it_proves_about_the_request(code, status, kind):
    error = refusal(answer(code, "text", status=status))
    assert (error.code, error.kind) == (str(code), kind)
    assert error.ambiguous == (kind == "unknown")


def test_a_rate_limited_request_waits_for_the_reset_bybit_names():
    reset = int(time.time() * 1000) + 1500
    error = refusal(answer(10006, "Too many visits!", headers={"X-Bapi-Limit-Reset-Timestamp": str(reset)}))
    assert 1.0 <= error.retry_after <= 1.5


def test_a_refused_margin_mode_switch_names_bybits_reasons():
    error = refusal(answer(3400045, "Set margin mode failed", {"reasons": [
        {"reasonCode": "3400208", "reasonMsg": "You have an open position: SOLUSDT Buy size 10"}]}))
    assert error.kind == "blocked"
    assert "You have an open position: SOLUSDT Buy size 10 (3400208)" in error.message


def test_the_per_ip_ban_is_a_refusal_that_says_to_stop_for_ten_minutes():
    error = refusal(RawResponse(403, "403 Forbidden: access too frequent", {}))
    assert error.kind == "business" and not error.ambiguous and "10 minutes" in error.message


def test_an_answer_without_retcode_is_an_unknown_outcome_nothing_can_execute_later():
    error = refusal(RawResponse(200, json.dumps({"result": {}}), {}))
    assert error.kind == "unknown" and error.settled
