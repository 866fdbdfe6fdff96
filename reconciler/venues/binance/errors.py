"""What Binance's answers mean: success without an envelope, its error codes by kind, and their plain help (§2, §7)."""

from __future__ import annotations

from decimal import Decimal

# binance.md §5.6: "no need to change" answers of the absolute setters: the setting already has that value.
ALREADY_SET = {"-4046": "margin type", "-4059": "position mode", "-4171": "Multi-Assets mode"}

CHECK_KEY = ("check the api_key and secret of this account, that the key has the Enable Futures permission, and "
             "that this machine's IP is on the key's whitelist")

# Codes by what they prove about the request (binance.md §2, §7); a code not listed is a business refusal.
ERROR_KINDS = {
    **{code: "done" for code in ALREADY_SET},  # "No need to change ...": the setting already has the value sent
    "-1003": "rate_limit",  # HTTP 429 (418 once banned: see BinanceAdapter.kind_of)
    "-1001": "busy",  # GI: 503 "Internal error; unable to process your request. Please try again." failed, resend
    # Execution status unknown (ERR): the request may have been carried out.
    "-1000": "unknown", "-1006": "unknown", "-1007": "unknown",
    # Unconfirmed for fapi (binance.md §2): -1008 is a temporary throttle on the Portfolio Margin page; whether a
    # throttled request was carried out is not said, so its outcome is unknown (a margin move is waited out).
    "-1008": "unknown",
    "-1022": "auth", "-2014": "auth", "-2015": "auth",
    "-4047": "blocked", "-4048": "blocked", "-4067": "blocked", "-4068": "blocked", "-4161": "blocked",
    "-4167": "blocked", "-4168": "blocked", "-4170": "blocked", "-4531": "blocked",
}

ERROR_HELP = {
    "-1021": ("this machine's clock differs from Binance's: a request must reach Binance within its recvWindow "
              "and its timestamp must not be 1 s or more ahead of Binance's clock; sync this machine's clock "
              "(NTP) and run again"),
    "-1022": f"the signature does not match, usually a wrong secret: {CHECK_KEY}",
    "-2014": f"Binance cannot read this API key: {CHECK_KEY}",
    "-2015": (f"Binance refuses this key, this IP or this action: {CHECK_KEY} (a Portfolio Margin account's key is "
              "refused on fapi too)"),
    "-1003": "Binance's request-weight limit for this IP; the reconciler slows down and retries",
    "-1001": "Binance had an internal error and did not carry out the request; the reconciler retries",
    "-1000": "Binance met an unknown error; whether the request was carried out is not known",
    "-1006": "Binance does not know whether the request was carried out (unexpected answer from its message bus)",
    "-1007": "Binance timed out waiting for its backend; whether the request was carried out is not known",
    "-1121": "Binance does not list this symbol on USDⓈ-M futures",
    "-2027": "the open position is larger than Binance allows at that leverage (its notional brackets); choose a "
             "lower leverage or reduce the position",
    "-2028": "the account's margin balance is too small for that lower leverage; add funds or choose a higher one",
    "-4028": "the leverage is outside what Binance allows for this symbol and account (1 up to bracket 1's "
             "initialLeverage)",
    "-4047": "the symbol has open orders; cancel them (plan again to see which), then apply again",
    "-4048": "the symbol has an open position; close it, then apply again",
    "-4049": "the symbol is not in isolated margin, so it has no isolated margin to move",
    "-4050": "the cross wallet cannot pay for this margin",
    "-4051": "the isolated position needs more margin than reducing it would leave; raise the target in the file",
    "-4054": "there is no open position to add margin to (it was closed after the plan)",
    "-4060": "the position side does not match the account's position mode; plan again",
    "-4067": "the account has open orders (USDⓈ-M or COIN-M); cancel them, then apply again",
    "-4068": "the account has open positions (USDⓈ-M or COIN-M); close them, then apply again",
    "-4161": "Binance refuses lowering the leverage of an isolated position while it is open",
    "-4167": "Multi-Assets mode cannot be switched on while a symbol is in isolated margin",
    "-4168": "the account is in Multi-Assets mode, which allows cross margin only; switch Multi-Assets mode off first",
    "-4531": "COIN-M holds positions or orders; Binance changes the position mode of USDⓈ-M and COIN-M together",
}


def error_of(payload) -> tuple[str, str] | None:
    """(code, message) when the answer is Binance's error object {"code": <negative>, "msg": ...}."""
    if not isinstance(payload, dict):
        return None
    code = payload.get("code")
    if isinstance(code, (int, Decimal)) and not isinstance(code, bool) and code < 0:
        return str(int(code)), str(payload.get("msg") or "")
    return None
