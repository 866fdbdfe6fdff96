"""Orderly's answers read: the envelope (`success: true`), each documented error code's kind and its help text."""

from __future__ import annotations

from ...transport import RawResponse

AUTH_HELP = ("check credential account_id (the 0x... Orderly account id), that credential secret is the base58 "
             "ed25519 private key of an orderly key registered to that account, not expired or revoked, "
             "with the read and trading scopes, and that this machine's clock is right (Orderly allows 300 s)")

# Every code of DOCS error-codes.mdx the adapter can meet; a code not listed is a business refusal.
ERROR_KINDS = {
    "-1000": "unknown",  # HTTP 500 "an unknown error occurred while processing the request"
    "-1001": "auth", "-1002": "auth",
    "-1003": "rate_limit",
    # Unconfirmed: -1011 "Cannot place/cancel orders due to an internal network error. Please try again in a
    # few seconds." speaks of orders and does not say whether a settings or margin request was carried out,
    # so its outcome is unknown (ccxt: NetworkError). A margin move answered with it is re-read after waiting.
    "-1011": "unknown",
    # -1012 "The order request was rejected by an internal module ... Please try again in a few seconds":
    # a rejection, so nothing was done; safe to send again.
    "-1012": "busy",
}
ERROR_HELP = {
    "-1001": f"Orderly could not verify the request's signature or headers: {AUTH_HELP}",
    "-1002": f"Orderly does not accept this key for this account: {AUTH_HELP}",
    "-1003": "Orderly's rate limit; the reconciler slows down and retries",
    "-1004": "Orderly does not know a parameter of this request",
    "-1005": ("a parameter is out of range or not allowed now: leverage above the symbol's maximum for the "
              "position size, or a margin mode / isolated leverage change while the symbol has an open "
              "position or pending orders (Orderly gives such refusals no code of their own)"),
    "-1006": "Orderly found no such data (for a margin move: no open isolated position on the symbol)",
    "-1000": "Orderly met an unknown error; whether the request was carried out is not known",
    "-1011": "Orderly had an internal network error; whether the request was carried out is not known",
    "-1012": ("Orderly's internal module rejected the request (for example while the account is being "
              "liquidated); the reconciler retries"),
    "-1101": ("insufficient margin after the operation: the account or the position would not have enough "
              "margin; lower the margin to remove, raise the leverage less, or add collateral"),
}


def data_of(adapter, response: RawResponse):
    """The envelope's `data` of a success (`success: true` and a 2xx status), else the VenueError it is."""
    payload = adapter.payload(response)
    if payload.get("success") is True and 200 <= response.status < 300:
        return payload.get("data")
    code = payload.get("code")
    # `code` may arrive as a number or a string ("-1011") (orderly.md section 4): normalise it.
    code = None if code is None else str(code).strip()
    message = str(payload.get("message") or f"HTTP {response.status}")
    # No documented code says "refused because of open positions or orders" (error-codes.mdx, the SPEC, the
    # JS SDK and orderly-evm-connector name none): such refusals are found at plan time from the positions
    # and orders read, and one met at apply (the state moved since) is a failure with Orderly's message.
    raise adapter.error(code, message, response, adapter.kind_of(code, response.status))
