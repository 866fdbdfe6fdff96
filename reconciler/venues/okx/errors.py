"""OKX's answers: the error table (code -> kind, code -> help) and the envelope read into data or an error."""

from __future__ import annotations

from ...transport import RawResponse
from .instruments import slim_instrument

AUTH_CHECK = ("check this account's api_key, secret and passphrase (an OKX key is bound to the passphrase "
              "chosen when it was created), that the key was made for this environment (demo keys need "
              "environment: demo, live keys environment: live) and that it has the Read and Trade "
              "permissions")

# okx.md 7 and DOCS' error table. Only the rate-limit codes and 50013 ("systems are busy", HTTP 429)
# say the request was refused before anything was done. 50004 ("endpoint request timeout", which the
# docs say does not tell whether the request succeeded) and 50026 ("system error", HTTP 500) do not
# say it: unknown outcome. Unconfirmed: 50001 ("service temporarily unavailable", HTTP 503) is not
# documented as pre-execution either; unknown outcome is the safe choice. Every other code is a
# terminal refusal (business) unless listed.
ERROR_KINDS = {
    "59000": "blocked", "59001": "blocked", "59002": "blocked", "59101": "blocked", "59107": "blocked",
    "59112": "blocked", "59302": "blocked",
    "50011": "rate_limit", "50061": "rate_limit", "50040": "rate_limit",
    "50013": "busy",
    "50004": "unknown", "50026": "unknown", "50001": "unknown",
    **{code: "auth" for code in ("50035", "50100", "50101", "50102", "50103", "50104", "50105", "50106",
                                 "50107", "50110", "50111", "50112", "50113", "50114", "50120")},
}
ERROR_HELP = {
    "59000": "OKX refuses to change this setting while the account has open positions or pending "
             "orders; close the positions and cancel the orders (plan again to see which), then apply again",
    "59001": "OKX refuses this switch while the account has borrowings; repay them first",
    "59002": "OKX refuses to change this sub-account's settings while it has open positions, pending orders "
             "or running trading bots; close, cancel and stop them (plan again to see which), then apply again",
    "50004": "OKX's endpoint timed out; it does not say whether the request was carried out, so the "
             "reconciler reads the state again before sending anything more",
    "50026": "OKX had a system error; it does not say whether the request was carried out, so the "
             "reconciler reads the state again before sending anything more",
    "59101": "pending isolated-margin orders on this instrument lock its isolated leverage; cancel them "
             "(plan again to see which), then apply again",
    "59107": "pending cross-margin orders on this instrument lock its cross leverage; cancel them "
             "(plan again to see which), then apply again",
    "59112": "pending orders on this instrument (isolated or cross) lock its leverage; cancel them "
             "(plan again to see which), then apply again",
    "59302": "a pending close order on this position blocks margin changes; cancel it first",
    "59102": "the leverage is above this instrument's maximum (or its position tier's); lower it in the file",
    "59103": "the account has too little free margin for this lower leverage; add funds or choose "
             "a higher leverage",
    "59105": "the leverage is below OKX's minimum; raise it in the file",
    "59108": "the account has too little free margin for this lower leverage; add funds or choose "
             "a higher leverage",
    "59300": "there is no open isolated position to move margin to or from (it was closed after the plan)",
    "59301": "the position needs more margin than reducing it would leave; raise the target in the file",
    "59200": "the account's available balance cannot pay for this margin",
    "51000": "OKX rejected a parameter; for posSide this usually means the account's position mode "
             "changed since the plan: plan again",
    "51001": "OKX does not know this instrument (expired or delisted?)",
    "51010": "the account mode (acctLv) does not allow this: plan again to see what this account's mode "
             "allows",
    "51039": "cross leverage of SWAP/FUTURES cannot be set on a portfolio-margin account",
    "51041": "a portfolio-margin account supports only the net position mode",
    "59111": "cross leverage of SWAP/FUTURES cannot be read on a portfolio-margin account",
    "50011": "OKX's rate limit; the reconciler slows down and retries",
    "50013": "OKX is busy; the reconciler retries",
    "50001": "OKX is temporarily unavailable; it does not say whether the request was carried out, so "
             "the reconciler reads the state again before sending anything more",
    # Unconfirmed (okx.md 1): the REST timestamp window (likely 30 s). We do not shift our clock to
    # /public/time; we say so when OKX refuses, which is the safe behaviour (no hidden skew).
    "50102": "the request timestamp is too far from OKX's clock (about 30 s), or the request arrived "
             "after its expTime; sync this machine's clock (NTP) and try again",
    "50112": "the request timestamp is malformed; sync this machine's clock",
    "50113": f"the signature does not match, usually a wrong secret: {AUTH_CHECK}",
    "50111": f"OKX does not know this API key: {AUTH_CHECK}",
    "50105": f"the passphrase is wrong for this API key: {AUTH_CHECK}",
    "50101": "the API key does not match the environment: a demo-trading key needs environment: demo, "
             "a live key environment: live",
    "50110": "this machine's IP address is not on the API key's allowlist; add it on OKX's API page",
    "50035": "this endpoint needs an API key bound to an IP address; bind one on OKX's API page",
    "50114": f"OKX refused the authorization: {AUTH_CHECK}",
    "50120": "the API key lacks the Trade permission that settings changes need; enable it or use a "
             "key that has it",
    "50100": "the API key is frozen; contact OKX support or use another key",
    **{code: f"a required OKX header is empty: {AUTH_CHECK}" for code in ("50103", "50104", "50106", "50107")},
}


class Envelope:
    """The adapter's `parse` of OKX's `{"code", "msg", "data"}` (okx.md 2) and its `explain` of an error."""

    def parse(self, response: RawResponse):
        # An instrument list (public/instruments, some 30 fields per row) keeps only the fields read here: an
        # account of 100k instruments would otherwise hold 3M strings for the whole run.
        slim = slim_instrument if '"tickSz"' in response.text else None
        payload = self.payload(response, slim)
        code, message = str(payload.get("code")), str(payload.get("msg") or "")
        data = payload.get("data")
        if code == self.success_code and 200 <= response.status < 300:
            return data if data is not None else []
        # okx.md 2: batch-style answers (code 1/2) carry the reason per item in sCode/sMsg.
        for item in data if isinstance(data, list) else []:
            if isinstance(item, dict) and item.get("sCode") not in (None, "", "0"):
                code, message = str(item["sCode"]), str(item.get("sMsg") or message)
                break
        raise self.error(code, message or f"HTTP {response.status}", response, self.kind_of(code, response.status))

    def explain(self, code, message):
        text = super().explain(code, message)
        if self.error_kinds.get(str(code)) == "auth":
            text += f" [account {self.account.name}, {self._key_origin()}]"
        return text

    def _key_origin(self) -> str:
        """Which key was used, without a secret: the file's ${VAR} references, or where the literal is."""
        refs = {name: self.account.credentials.get(name, "") for name in self.credential_names}
        if all(value.startswith("${") for value in refs.values()):
            return "credentials from " + ", ".join(f"{name} {value}" for name, value in refs.items())
        where = self.account.origins.get("api_key")
        return f"credentials written in the file{' at ' + where if where else ''}"
