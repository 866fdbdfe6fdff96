"""Bybit's answers: the retCode envelope, what each code proves about a request, and the codes that mean "already so"."""

from __future__ import annotations

import time

from ...transport import RawResponse

# bybit.md 5.7: the setters' "not modified" codes: what was asked already holds, so the request is done.
ALREADY_DONE = {
    "110043": "set leverage has not been modified",
    "110025": "position mode has not been modified",
    "110026": "cross/isolated margin mode has not been modified",
    "110027": "margin has not been modified",
}
MARGIN_MODE_REFUSED = "3400045"  # set-margin-mode: "Set margin mode failed", reasons in result.reasons[]
IP_REFUSED = "403"  # bybit.md 6: the gateway's "access too frequent", no envelope (also a US IP)

AUTH_HELP = ("check the api_key and secret of this account, that the key was made for this environment "
             "(live, testnet and demo keys each work on their own host only) and that it has the Contract "
             "(Position) read/write permission")

# What each code proves about the request (bybit.md 2, 7); a code not listed is a business refusal.
ERROR_KINDS = {
    **{code: "done" for code in ALREADY_DONE},  # what was asked already holds: a success, nothing to resend
    "10006": "rate_limit",  # per UID and endpoint: refused before any work
    # bybit.md 2, unknown outcomes: "Server Timeout", "Server error.", the trading service's high load (retCode
    # 429). Unconfirmed: -1 "request expired" (treated as not executed there; we re-read before any retry,
    # which is what an unknown outcome does).
    "10000": "unknown", "10016": "unknown", "429": "unknown", "-1": "unknown",
    "110024": "blocked", "110028": "blocked", MARGIN_MODE_REFUSED: "blocked",
    **{code: "auth" for code in ("10002", "10003", "10004", "10005", "10007", "10009", "10010", "33004")},
}
ERROR_HELP = {
    "10002": "the request timestamp is outside its recv_window of Bybit's clock; sync this machine's clock (NTP)",
    "10003": f"Bybit does not know this API key on this host: {AUTH_HELP}",
    "10004": f"the signature does not match, usually a wrong secret: {AUTH_HELP}",
    "10005": "the API key lacks the permission this needs (Contract: Position, read and write); a read-only key "
             "can plan but not apply",
    "10010": "this machine's IP address is not among the API key's bound addresses",
    "33004": "the API key has expired (a key bound to no IP lasts 90 days); make a new one",
    "10006": "Bybit's per-endpoint rate limit; the reconciler waits for the reset Bybit names and retries",
    "10000": "Bybit's server timed out; whether the request was carried out is not known, so the reconciler "
             "reads the state again before sending anything more",
    "10016": "Bybit had a server error; whether the request was carried out is not known, so the reconciler "
             "reads the state again before sending anything more",
    "429": "Bybit's trading service is under high load; whether the request was carried out is not known",
    "110024": "the symbol has an open position, so its position mode cannot be switched; close it first",
    "110028": "the symbol has open orders, so its position mode cannot be switched; cancel them first",
    "110029": "Bybit has hedge mode for USDT perpetuals only",
    "110013": "the position is too large for this leverage at its risk limit; lower the leverage in the file or "
              "reduce the position",
    "110036": "under cross margin both sides take one leverage",
    "110038": "a portfolio-margin account has no leverage per symbol",
    "110044": "the available margin cannot pay for this lower leverage or this margin",
    "110014": "the available balance cannot pay for this margin",
    "110011": "taking this much margin out would liquidate the position at once; raise the target in the file",
    "110033": "there is no open position to move margin to or from (it was closed after the plan)",
    "100028": "this is a unified account: its margin mode is the account's (settings.margin_mode), not the symbol's",
    "10028": "this is a classic account: it has no account-level margin mode; set margin_mode per symbol",
    MARGIN_MODE_REFUSED: "the account's margin mode cannot be switched now; close or cancel what Bybit names, "
                         "then apply again",
    IP_REFUSED: "stop every run from this machine for at least 10 minutes (more than 600 requests in 5 s from one "
                "IP), or this IP is in a region Bybit refuses",
}


def result_of(adapter, response: RawResponse):
    """The `result` of a Bybit answer; a VenueError in the adapter's terms when it is a refusal."""
    if response.status == 403:
        raise adapter.error(IP_REFUSED, "HTTP 403: Bybit refused this IP (access too frequent)", response, "business")
    payload = adapter.payload(response)
    code = None if payload.get("retCode") is None else str(payload["retCode"])
    ok = 200 <= response.status < 300
    if ok and code is None:
        # bybit.md 2: every answer carries retCode; one that does not cannot say what was done
        raise adapter._unreadable(f"HTTP {response.status}: the answer has no retCode", response)
    if ok and code == "0":
        result = payload.get("result")
        if not isinstance(result, dict):  # bybit.md 2: a success carries its result object ({} when empty)
            raise adapter._unreadable(f"HTTP {response.status}: the answer's result is not an object", response)
        return result
    message = str(payload.get("retMsg") or f"HTTP {response.status}")
    if code == MARGIN_MODE_REFUSED:
        reasons = (payload.get("result") or {}).get("reasons") or []
        named = "; ".join(f"{r.get('reasonMsg', '')} ({r.get('reasonCode', '')})" for r in reasons if isinstance(r, dict))
        message += f": {named}" if named else ""
    error = adapter.error(code, message, response, adapter.kind_of(code, response.status))
    if code == "10006":
        error.retry_after = _until_reset(response.headers)
    raise error


def _until_reset(headers: dict[str, str]) -> float | None:
    """Seconds until X-Bapi-Limit-Reset-Timestamp (ms), the time Bybit names for an exceeded limit to reset."""
    for key, value in headers.items():
        if key.lower() == "x-bapi-limit-reset-timestamp":
            try:
                return min(max(int(value) / 1000 - time.time(), 0.0), 60.0)
            except ValueError:
                return None
    return None
