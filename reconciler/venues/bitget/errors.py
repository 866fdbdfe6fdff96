"""Bitget's answers read: the envelope (`code` "00000" is success), each error code's kind and its help text."""

from __future__ import annotations

from ...transport import RawResponse

AUTH_HELP = ("check the api_key, secret and passphrase of this account (a Bitget key is bound to its "
             "passphrase), that the key has futures read/write permission and that this machine's IP is "
             "on the key's whitelist")

# Bitget codes (bitget.md sections 2, 7, 8 and ccxt's exception map) by what they prove about the request;
# a code not listed is a business refusal, a 5xx without a code an unknown outcome.
ERROR_KINDS = {
    "429": "rate_limit",  # HTTP 429 {"code":"429","msg":"Too Many Requests"}: refused before any work
    "40604": "busy",  # "Server is busy, please try again later"
    "40200": "busy",  # "Server upgrade, please try again later"
    "40015": "unknown",  # "System is abnormal, please try again later": does not say what was done
    # 40010 "Request timed out" (the legacy REST error table transcribed in CACHY-err, the source bitget.md §2
    # and §8 cite for their other codes; bitget.md itself does not list 40010): the server gave up waiting, which
    # does not say whether the request was carried out, so its outcome is unknown, never a refusal. (ccxt 4.5.64
    # maps 40010 to AuthenticationError under 40009's comment "sign signature error"; the table says otherwise.)
    "40010": "unknown",
    # 40872: "currently holding position or order or plan order" (legacy table)
    "45117": "blocked", "40920": "blocked", "40872": "blocked",
    **{code: "auth" for code in ("40001", "40002", "40003", "40004", "40005", "40006", "40008", "40009",
                                 "40011", "40012", "40014", "40018", "40036", "40037", "40038", "22010",
                                 "40085", "40099")},
}
ERROR_HELP = {
    "45117": "the symbol has open positions or orders; close or cancel them first",
    "40920": "the product line has open positions or orders; close or cancel them first",
    "40797": "the leverage is above what Bitget allows for this symbol or position size",
    "40008": "the request timestamp is more than 30 s from Bitget's clock; fix this machine's clock",
    "40005": "the request timestamp is invalid; fix this machine's clock",
    "40009": f"the signature does not match: {AUTH_HELP}",
    "40006": f"Bitget does not know this API key: {AUTH_HELP}",
    "40037": f"Bitget does not know this API key: {AUTH_HELP}",
    "40012": f"API key or passphrase incorrect: {AUTH_HELP}",
    "40036": f"the passphrase is wrong: {AUTH_HELP}",
    "40014": "the API key lacks a permission this needs (futures trading)",
    "40018": "this machine's IP is not allowed for the API key",
    "40038": "this machine's IP is not on the API key's whitelist",
    "40085": "the account is a Unified Trading Account; the classic v2 mix API does not apply to it",
    "40099": "demo and live do not match: a demo key needs environment: demo, a live key environment: live",
    "429": "Bitget's rate limit; the reconciler slows down and retries",
    "40604": "Bitget is busy and did not take the request; the reconciler retries",
    "40200": "Bitget is being upgraded and did not take the request; the reconciler retries",
    "40015": "Bitget's system is abnormal; whether the request was carried out is not known",
    "40010": "Bitget timed out on the request; whether it was carried out is not known",
}


def data_of(adapter, response: RawResponse):
    """The envelope's `data` of a success (code "00000" and a 2xx status), else the VenueError it is."""
    payload = adapter.payload(response)
    code = str(payload.get("code"))
    if code == adapter.success_code and 200 <= response.status < 300:
        return payload.get("data")
    raise adapter.error(code, str(payload.get("msg", "")), response, adapter.kind_of(code, response.status))
