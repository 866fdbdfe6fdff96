"""A venue's documented rate limit: what its documents state, apart from the pacing an adapter chooses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """At most `count` requests in any `seconds`, counted `per` UID, user or IP, as `source` says."""

    count: int
    seconds: float
    per: str
    source: str
    # False where the documents state no limit and the line is ccxt's cost weight for the endpoint
    # (its own reading of the venue); pacing to it is then the adapter's choice, not the venue's rule.
    stated: bool = True

    @property
    def text(self) -> str:
        return f"{self.count}/{self.seconds:g}s"
