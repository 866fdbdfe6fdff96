"""OKX request signing: the OK-ACCESS headers, expTime on writes, and the headers every call carries."""

from __future__ import annotations

from datetime import datetime, timezone

from ..signing import hmac_sha256_base64

# okx.md 1, "Transaction timeouts" of the OKX docs: a request carrying an expTime header is not processed
# after that time. Unconfirmed: OKX documents expTime only for placing and amending orders, not for
# set-leverage or margin-balance. We send it on every write (never harmful) but do not count on it: the
# request lifetime stays the timestamp window (okx.md 1: likely 30 s, unconfirmed too), the longer of the
# two, because waiting too short after an unknown outcome could move margin twice.
EXP_TIME_MS = 5_000
TIMESTAMP_WINDOW_S = 30.0


class Signing:
    """The adapter's `sign` and `public_headers` for OKX (okx.md 1)."""

    def sign(self, method, path_with_query, body):
        # okx.md 1: ISO 8601 UTC with exactly 3 fractional digits and a trailing Z.
        now = datetime.now(timezone.utc)
        timestamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
        return {
            "OK-ACCESS-KEY": self._credentials.get("api_key", ""),
            "OK-ACCESS-SIGN": hmac_sha256_base64(self._credentials.get("secret", ""),
                                                 timestamp + method.upper() + path_with_query + body),
            "OK-ACCESS-TIMESTAMP": timestamp,
            "OK-ACCESS-PASSPHRASE": self._credentials.get("passphrase", ""),
            **({"expTime": str(int(now.timestamp() * 1000) + EXP_TIME_MS)} if method.upper() == "POST" else {}),
            **self.public_headers(),
        }

    def public_headers(self):
        headers = {"Content-Type": "application/json"}
        if self.account.environment == "demo":
            headers["x-simulated-trading"] = "1"  # okx.md 1: demo trading, with a demo key
        return headers
